// HttpServerOptions: what the gateway's front is told by the gateway file
// (contract section 6, docs/gateway.md) plus the timeouts that protect it.
// A plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "cdc/config/host_port.h"

namespace deltabridge {

struct HttpTlsFiles {
  std::string cert_file;  // `tls.cert_file`: PEM certificate chain
  std::string key_file;   // `tls.key_file`: PEM private key
};

struct HttpServerOptions {
  // `listen`: the one listener (HTTP, WebSocket and Server-Sent Events).
  // Port 0: the system picks one; HttpServer::port() tells it after Start().
  HostPort listen{"127.0.0.1", 0};
  std::optional<HttpTlsFiles> tls;        // `tls`; none: plain HTTP
  std::vector<std::string> cors_origins;  // `cors.origins` ("*": any)
  bool page = false;                      // `page`: serve the live page at /
  size_t max_request_bytes = 1u << 20;    // `limits.max_request_bytes`: POST body, WebSocket frame
  size_t max_connections = 10'000;        // `limits.max_connections`: 503 beyond
  size_t max_header_bytes = 16u << 10;    // request line and headers together: 431 beyond

  // A whole request (request line, headers, body), and a TLS handshake, must
  // arrive within this from when the front starts reading it; an idle
  // keep-alive connection is closed after it too. A client that trickles
  // bytes (slowloris) cannot hold a connection longer.
  std::chrono::milliseconds request_timeout{10'000};
  // One write (an HTTP answer, a batch of Server-Sent Events) that the
  // client does not take within this closes the connection.
  std::chrono::milliseconds write_timeout{30'000};
  // A WebSocket client is pinged after half of this without a frame from it,
  // and closed after all of it; also bounds the closing handshake.
  std::chrono::milliseconds websocket_idle_timeout{60'000};
  // Stop() waits this long for streams to close cleanly, then closes the
  // sockets that are left.
  std::chrono::milliseconds stop_timeout{5'000};

  // One Subscription::Take: at most this many messages / bytes per write
  // (with batch=1, per WebSocket message).
  size_t take_max_messages = 512;
  size_t take_max_bytes = 256u << 10;

  std::string name = "gateway";  // names the server in log messages
};

}  // namespace deltabridge
