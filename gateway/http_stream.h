// The two kinds of stream a gateway connection runs on, and what differs
// between them. Sessions are templates over the stream type, instantiated
// for both in their .cc files: one listener serves TLS when the gateway file
// has `tls`, plain TCP otherwise.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <type_traits>

namespace deltabridge {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

template <class Stream>
inline constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// Closes the TCP socket under `stream` (pending operations complete with
// operation_aborted). Never throws.
template <class Stream>
void CloseSocket(Stream& stream) {
  boost::system::error_code ignored;
  auto& socket = boost::beast::get_lowest_layer(stream).socket();
  if (socket.is_open()) {
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }
}

}  // namespace deltabridge
