#include "gateway/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace deltabridge {
namespace {

// OpenSSL's reason for the first failure queued on this thread ("no start
// line", "key values mismatch": the innermost), or `fallback`; clears the
// error queue.
std::string OpenSslReason(const std::string& fallback) {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    const char* text = ERR_reason_error_string(code);
    if (text != nullptr && reason.empty()) reason = text;
  }
  return reason.empty() ? fallback : reason;
}

// asio moved the first queued error into `ec`: its text is OpenSSL's reason.
std::string ReasonOf(const boost::system::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

Status CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::InvalidArgument(what + " " + path + ": cannot read it: " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file) {
  namespace ssl = boost::asio::ssl;
  DB_RETURN_IF_ERROR(CheckReadable("tls.cert_file", cert_file));
  DB_RETURN_IF_ERROR(CheckReadable("tls.key_file", key_file));

  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    return Status::FailedPrecondition("TLS: cannot require TLS 1.2: " +
                                      OpenSslReason("unknown OpenSSL error"));
  }
  ERR_clear_error();
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Status::InvalidArgument(
        "tls.cert_file " + cert_file +
        ": not a PEM certificate chain OpenSSL can load: " + ReasonOf(ec));
  }
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec && ec.message().find("mismatch") != std::string::npos) {
    return Status::InvalidArgument("tls.key_file " + key_file +
                                   " does not match the certificate in " + cert_file + ": " +
                                   ReasonOf(ec));
  }
  if (ec) {
    return Status::InvalidArgument("tls.key_file " + key_file +
                                   ": not a PEM private key OpenSSL can load: " + ReasonOf(ec));
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return Status::InvalidArgument("tls.key_file " + key_file +
                                   " does not match the certificate in " + cert_file + ": " +
                                   OpenSslReason("key values mismatch"));
  }
  return context;
}

}  // namespace deltabridge
