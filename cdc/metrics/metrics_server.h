// MetricsServer: serves GET /metrics over HTTP (cpp-httplib) for Prometheus.
//
// Start() binds the address first, so a port in use or a bad address fails
// at startup with a message naming it; then one thread accepts scrapes and
// calls `render` for each (from that thread: render must be thread-safe).
// Any other path answers 404. Stop() (or the destructor) stops serving and
// joins the thread. Owns its httplib::Server and thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "cdc/config/host_port.h"
#include "cdc/core/status.h"

namespace httplib {
class Server;
}

namespace deltabridge {

class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // `what` names the owner in messages ("bridge parks").
  Status Start(const HostPort& address, std::string what, std::function<std::string()> render);
  void Stop();

  // The bound port (the configured one, or the one the system chose for 0).
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> exited_{true};
  int port_ = 0;
};

}  // namespace deltabridge
