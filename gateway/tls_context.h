// The gateway's TLS server context (`tls: {cert_file, key_file}`): OpenSSL
// through boost::asio::ssl, TLS 1.2 and newer only.
//
// MakeServerTlsContext loads a PEM certificate chain and its private key and
// checks that they match. A file that cannot be read, is not PEM or does not
// match fails with a message naming the file and OpenSSL's reason, for the
// operator to act on. The returned context is shared read-only by every TLS
// connection of one io thread.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "cdc/core/status.h"

namespace deltabridge {

Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace deltabridge
