// Publisher: the live side of the fan-out, one ZeroMQ PUB socket bound on the
// bridge's `publish` endpoint (contract section 3, docs/wire-protocol.md).
//
// Each delta goes out as two frames, the topic then the JSON body; the
// heartbeat goes out on "<bridge>._heartbeat". PUB never blocks the bridge: a
// subscriber that falls more than `send_hwm` messages behind loses messages
// (PUB drops for that subscriber only), sees the jump in seq and repairs it
// through the replay server. The Publisher owns its ZeroMQ context and socket.
//
// Not thread-safe: one publishing thread calls Publish and PublishHeartbeat
// (a ZeroMQ socket must not be used from two threads at once).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "cdc/core/status.h"
#include "cdc/wire/envelope.h"

namespace deltabridge {

struct PublisherOptions {
  // Messages queued per subscriber before PUB drops that subscriber's
  // messages. 100k deltas of a few hundred bytes is tens of MiB per slow
  // subscriber, several seconds of a busy bridge; beyond it the subscriber
  // repairs through replay rather than the bridge buffering without bound.
  int send_hwm = 100'000;
  // How long closing the publisher waits to flush messages already queued.
  std::chrono::milliseconds linger{200};
};

class Publisher {
 public:
  // Binds a PUB socket on `endpoint` (tcp:// or ipc://). Fails with a Status
  // naming the endpoint (IoError when the address is in use).
  static Result<std::unique_ptr<Publisher>> Bind(std::string_view endpoint,
                                                 const PublisherOptions& options = {});

  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;
  ~Publisher();

  // Sends one delta: frame 1 the topic, frame 2 the body. Never blocks.
  Status Publish(std::string_view topic, std::string_view body);
  // Sends {"seq":newest_seq,"bridge":...,"ts":...,"nodes":{...}} on "<bridge>._heartbeat".
  Status PublishHeartbeat(std::string_view bridge, uint64_t newest_seq,
                          const SourceNodes& nodes = {});

  // The endpoint actually bound ("tcp://127.0.0.1:*" comes back with its port).
  const std::string& endpoint() const { return endpoint_; }
  // Messages handed to ZeroMQ so far (deltas and heartbeats).
  uint64_t published() const { return published_; }

 private:
  Publisher(zmq::context_t context, zmq::socket_t socket, std::string endpoint);

  zmq::context_t context_;
  zmq::socket_t socket_;  // PUB, bound on endpoint_
  std::string endpoint_;
  uint64_t published_ = 0;
};

}  // namespace deltabridge
