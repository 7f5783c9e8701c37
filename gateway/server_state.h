// ServerState: what every connection of one HttpServer shares (options,
// CORS policy, the service, the TLS context, counters) and the books of open
// connections that max_connections and Stop() work from.
//
// Owned jointly (shared_ptr) by the HttpServer and its connections, so a
// connection whose last handler runs after the server object is gone still
// finds it. The service must outlive every connection (the io thread's run).
// Everything but `counters` is used on the network thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "gateway/cors_policy.h"
#include "gateway/http_counters.h"
#include "gateway/http_server_options.h"
#include "gateway/service.h"

namespace deltabridge {

// One open connection, whatever it carries now (an HTTP exchange, a
// WebSocket, an SSE stream).
class Connection {
 public:
  virtual ~Connection() = default;
  // Stop(): end gracefully: WebSocket close 1001 "gateway stopping", SSE
  // end of response, HTTP close after the answer being written.
  virtual void Shutdown() = 0;
  // Stop()'s wait is over: close the socket now.
  virtual void ForceClose() = 0;
};

struct ServerState {
  ServerState(boost::asio::io_context& io_context, HttpServerOptions server_options,
              GatewayService* gateway_service)
      : io(io_context),
        options(std::move(server_options)),
        cors(options.cors_origins),
        service(gateway_service) {}

  boost::asio::io_context& io;
  const HttpServerOptions options;
  const CorsPolicy cors;
  GatewayService* const service;
  std::unique_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  HttpServerCounters counters;

  // Network thread only. Every open connection by id; weak: a connection
  // owns itself through its pending handlers.
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections;
  uint64_t next_connection_id = 1;
  size_t refusing = 0;  // connections being answered 503 (in `connections` too)
  bool stopping = false;
  // Set by Stop(): called once `connections` is empty while stopping.
  std::function<void()> on_all_closed;
};

// A connection's entry in the books, from accept to close. Moves with the
// connection when an HTTP exchange becomes a WebSocket or an SSE stream.
// Release() (or the destructor) counts the close and leaves the books.
// Network thread only; move-only.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(std::shared_ptr<ServerState> state, bool refusing);
  ConnectionSlot(ConnectionSlot&& other) noexcept;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot();

  // The connection now carried as `transport`, by `connection`.
  void Attach(std::weak_ptr<Connection> connection, Transport transport);
  // The connection closed because of `cause`. Idempotent.
  void Release(CloseCause cause);

  bool active() const { return state_ != nullptr; }

 private:
  std::shared_ptr<ServerState> state_;
  uint64_t id_ = 0;
  Transport transport_ = Transport::kHttp;
  bool refusing_ = false;
};

}  // namespace deltabridge
