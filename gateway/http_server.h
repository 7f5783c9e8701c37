// HttpServer: the gateway's network front (docs/gateway.md): one listener
// (TLS when configured) serving WebSocket and Server-Sent Events streams,
// pushes, CORS preflights, /client.js, the optional live page and /healthz,
// over Boost.Beast. It parses requests and moves bytes; what a request gets
// is the GatewayService's decision (gateway/service.h).
//
// Threads: everything runs on the one thread that runs `io` (the caller's
// io.run()); no locks on that path. Stop() and stats() may be called from
// any thread.
//
// Ownership: borrows `io` and `service`, which must outlive every
// connection (until io.run() returns after Stop()). Connections share the
// server's state, so a handler that runs after the HttpServer is destroyed
// is harmless.
//
// Limits and timeouts are HttpServerOptions'. Close codes a client sees:
// 1001 "gateway stopping" (Stop), the service's closing() code and reason
// (4008 slow client, 1008 token revoked), 1009 a frame above
// max_request_bytes.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

#include "cdc/core/status.h"
#include "gateway/http_counters.h"
#include "gateway/http_server_options.h"
#include "gateway/service.h"

namespace deltabridge {

struct ServerState;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, GatewayService* service);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS files (when configured), binds and listens, and starts
  // accepting on `io`. Call before io.run(), or on the io thread. A bad TLS
  // file names the file and OpenSSL's reason; an address in use names the
  // address and what to do.
  Status Start();

  // Stops accepting and ends every connection: WebSocket close 1001
  // "gateway stopping", Server-Sent Events end of response, HTTP after the
  // answer being written. From another thread, returns once every
  // connection closed, or after options.stop_timeout (then the remaining
  // sockets are closed) and a little more: it does not wait for ever on an
  // io thread that is not running. On the io thread, starts the same and
  // returns at once. Idempotent.
  void Stop();

  // The bound port (the configured one, or the system's choice for 0);
  // 0 before Start().
  uint16_t port() const { return port_; }

  // The counters, copied; any thread.
  HttpServerStats stats() const;
  const HttpServerCounters& counters() const;

 private:
  class Listener;

  std::shared_ptr<ServerState> state_;
  std::shared_ptr<Listener> listener_;
  uint16_t port_ = 0;
  bool started_ = false;
  std::atomic<bool> stopped_{false};
};

}  // namespace deltabridge
