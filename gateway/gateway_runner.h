// GatewayRunner: `deltabridge gateway GATEWAY.yaml` (docs/gateway.md).
//
//   bridge --ZeroMQ--> Feed (one per bridge: Subscriber thread, gap repair
//   through replay) --> materializer thread (EntityStore: rows, log,
//   position; one durable commit per batch) --> Hub on the network thread
//   (fan-out to client streams) --> HttpServer (WebSocket, SSE) --> clients
//
// The network thread runs the io_context: the HTTP front, the hub, the
// tokens and the answers of the push workers (one thread per entity that
// takes pushes). The materializer posts each committed batch to it.
//
// Start-up: the store is opened; when a bridge's entities changed since the
// rows were built (their `from` patterns differ) its rows are rebuilt from
// the bridge's journal from seq 1; each bridge's stream resumes after the
// store's position. A journal that no longer holds the seq needed stops the
// gateway with the fix.
//
// Ownership: owns everything it starts. Run is called once, from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "cdc/core/status.h"
#include "gateway/gateway_config.h"

namespace deltabridge {

struct GatewayRunnerOptions {
  // No delta nor heartbeat from a bridge for this long: reconnect.
  std::chrono::milliseconds heartbeat_timeout{3000};
  // Called once the listener is bound, with its port (tests listen on port 0).
  std::function<void(uint16_t port)> on_listening;
};

class GatewayRunner {
 public:
  explicit GatewayRunner(GatewayConfig config, GatewayRunnerOptions options = {});
  ~GatewayRunner();
  GatewayRunner(const GatewayRunner&) = delete;
  GatewayRunner& operator=(const GatewayRunner&) = delete;

  // Serves until `stop` becomes true (then Ok, after closing every stream
  // and committing what was received), or a fatal error: the store cannot
  // be opened, the listener cannot bind, a bridge's journal no longer holds
  // the seq needed.
  Status Run(const std::atomic<bool>& stop);

 private:
  class Impl;
  GatewayConfig config_;
  GatewayRunnerOptions options_;
};

}  // namespace deltabridge
