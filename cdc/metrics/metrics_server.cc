#include "cdc/metrics/metrics_server.h"

#include <httplib.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace deltabridge {

MetricsServer::MetricsServer() = default;

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start(const HostPort& address, std::string what,
                            std::function<std::string()> render) {
  server_ = std::make_unique<httplib::Server>();
  server_->Get("/metrics",
               [render = std::move(render)](const httplib::Request&, httplib::Response& res) {
                 res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
               });
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("only /metrics is served here\n", "text/plain");
  });
  errno = 0;
  if (address.port == 0) {
    port_ = server_->bind_to_any_port(address.host);
  } else {
    port_ = server_->bind_to_port(address.host, address.port) ? address.port : -1;
  }
  if (port_ < 0) {
    const int err = errno;
    server_.reset();
    return Status::FailedPrecondition(
        what + ": cannot serve metrics on " + address.ToString() + ": " +
        (err != 0 ? std::strerror(err) : "cannot bind") +
        " (is another process using the port? change `metrics:` or free the port)");
  }
  exited_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "db-metrics");
    server_->listen_after_bind();
    exited_ = true;
  });
  spdlog::info("{}: metrics on http://{}/metrics", what,
               address.port == 0 ? address.host + ":" + std::to_string(port_) : address.ToString());
  return Status::Ok();
}

void MetricsServer::Stop() {
  if (thread_.joinable()) {
    // httplib's stop() does nothing until the listening loop has begun: ask
    // until the thread is out.
    while (!exited_.load()) {
      server_->stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    thread_.join();
  }
  server_.reset();
}

}  // namespace deltabridge
