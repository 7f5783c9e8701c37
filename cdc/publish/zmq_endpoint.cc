#include "cdc/publish/zmq_endpoint.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace deltabridge {

Status CheckEndpoint(std::string_view what, std::string_view endpoint) {
  if (endpoint.starts_with("tcp://") || endpoint.starts_with("ipc://")) {
    if (endpoint.size() > 6) return Status::Ok();
  }
  return Status::InvalidArgument(std::string(what) + " endpoint \"" + std::string(endpoint) +
                                 "\": expected tcp://HOST:PORT or ipc://PATH");
}

namespace {

// libzmq's ipc bind unlinks whatever socket file is at the path, so a second
// bridge on the same path would silently take it from the first. A path with
// a live listener is refused; a stale file (nobody listening) is fine.
bool IpcPathHasListener(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return false;  // libzmq reports it
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

}  // namespace

Result<std::string> BindEndpoint(zmq::socket_t& socket, std::string_view what,
                                 std::string_view endpoint) {
  DB_RETURN_IF_ERROR(CheckEndpoint(what, endpoint));
  const std::string ep(endpoint);
  if (endpoint.starts_with("ipc://") && IpcPathHasListener(ep.substr(6))) {
    return Status::IoError("cannot bind " + std::string(what) + " endpoint " + ep +
                           ": another process is listening on that path (another bridge?)");
  }
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
