#include "sinks/bridge_probe.h"

#include <zmq.hpp>

#include "cdc/core/change.h"
#include "cdc/wire/envelope.h"
#include "cdc/wire/topic.h"

namespace deltabridge {

Result<uint64_t> ProbeBridgeNewestSeq(const std::string& publish_endpoint,
                                      const std::string& bridge,
                                      std::chrono::milliseconds timeout) {
  try {
    zmq::context_t context(1);
    zmq::socket_t sub(context, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    const std::string topic = HeartbeatTopic(bridge);
    sub.set(zmq::sockopt::subscribe, topic);
    sub.connect(publish_endpoint);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t t, body;
      if (!sub.recv(t, zmq::recv_flags::dontwait)) continue;
      if (!t.more() || !sub.recv(body, zmq::recv_flags::dontwait)) continue;
      if (t.to_string_view() != topic) continue;
      Result<uint64_t> seq = DecodeHeartbeatSeq(body.to_string_view());
      if (seq.ok()) return seq;
    }
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot listen to " + publish_endpoint + ": " + e.what());
  }
  return Status::Unavailable("no heartbeat from bridge " + bridge + " at " + publish_endpoint +
                             " within " + std::to_string(timeout.count()) +
                             " ms: is the bridge running, and is that its publish endpoint?");
}

}  // namespace deltabridge
