#include "cdc/publish/publisher.h"

#include "cdc/core/change.h"
#include "cdc/core/wall_clock.h"
#include "cdc/publish/zmq_endpoint.h"
#include "cdc/wire/envelope.h"
#include "cdc/wire/topic.h"

namespace deltabridge {

Result<std::unique_ptr<Publisher>> Publisher::Bind(std::string_view endpoint,
                                                   const PublisherOptions& options) {
  DB_RETURN_IF_ERROR(CheckEndpoint("publish", endpoint));
  try {
    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::pub);
    socket.set(zmq::sockopt::sndhwm, options.send_hwm);
    socket.set(zmq::sockopt::linger, static_cast<int>(options.linger.count()));
    // Subscribers only send subscriptions; nothing else may come in.
    socket.set(zmq::sockopt::maxmsgsize, int64_t{64 * 1024});
    // A TCP client that never completes the ZMTP handshake is dropped soon.
    socket.set(zmq::sockopt::handshake_ivl, 5000);
    Result<std::string> bound = BindEndpoint(socket, "publish", endpoint);
    if (!bound.ok()) return bound.status();
    return std::unique_ptr<Publisher>(
        new Publisher(std::move(context), std::move(socket), std::move(bound).value()));
  } catch (const zmq::error_t& e) {
    return ZmqErrorStatus(e, "publish endpoint " + std::string(endpoint));
  }
}

Publisher::Publisher(zmq::context_t context, zmq::socket_t socket, std::string endpoint)
    : context_(std::move(context)), socket_(std::move(socket)), endpoint_(std::move(endpoint)) {}

Publisher::~Publisher() = default;  // socket_ closes before context_ (reverse order)

Status Publisher::Publish(std::string_view topic, std::string_view body) {
  try {
    // PUB never blocks and never answers EAGAIN: at the high-water mark it
    // drops the message for the slow subscriber only.
    if (!socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait) ||
        !socket_.send(zmq::buffer(body), zmq::send_flags::dontwait)) {
      return Status::Unavailable("publish on " + endpoint_ + ": socket would block");
    }
  } catch (const zmq::error_t& e) {
    return ZmqErrorStatus(e, "publish on " + endpoint_);
  }
  ++published_;
  return Status::Ok();
}

Status Publisher::PublishHeartbeat(std::string_view bridge, uint64_t newest_seq,
                                   const SourceNodes& nodes) {
  return Publish(HeartbeatTopic(bridge),
                 EncodeHeartbeat(bridge, newest_seq, WallClockMicros(), nodes));
}

}  // namespace deltabridge
