#include "cdc/publish/zmq_endpoint.h"

#include <cerrno>

namespace deltabridge {

Status CheckEndpoint(std::string_view what, std::string_view endpoint) {
  if (endpoint.starts_with("tcp://") || endpoint.starts_with("ipc://")) {
    if (endpoint.size() > 6) return Status::Ok();
  }
  return Status::InvalidArgument(std::string(what) + " endpoint \"" + std::string(endpoint) +
                                 "\": expected tcp://HOST:PORT or ipc://PATH");
}

Result<std::string> BindEndpoint(zmq::socket_t& socket, std::string_view what,
                                 std::string_view endpoint) {
  DB_RETURN_IF_ERROR(CheckEndpoint(what, endpoint));
  const std::string ep(endpoint);
  try {
    socket.bind(ep);
    return socket.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    std::string msg = "cannot bind " + std::string(what) + " endpoint " + ep + ": " + e.what();
    switch (e.num()) {
      case EADDRINUSE:
        return Status::IoError(msg + " (another process, or another bridge, is bound to it)");
      case EINVAL:
      case EPROTONOSUPPORT:
      case ENODEV:
        return Status::InvalidArgument(msg);
      default:
        return Status::IoError(msg);
    }
  }
}

Status ZmqErrorStatus(const zmq::error_t& e, std::string_view context) {
  std::string msg = std::string(context) + ": " + e.what();
  if (e.num() == ETERM) return Status::Aborted(msg);
  return Status::IoError(msg);
}

}  // namespace deltabridge
