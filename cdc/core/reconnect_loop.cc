#include "cdc/core/reconnect_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace deltabridge {

void SleepUnlessStopped(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status RunReconnecting(std::string_view source, const std::atomic<bool>& stop,
                       std::chrono::milliseconds max_backoff, std::atomic<uint64_t>* reconnects,
                       const std::function<Status()>& session) {
  std::chrono::milliseconds backoff(500);
  while (!stop.load()) {
    auto started = std::chrono::steady_clock::now();
    Status s = session();
    // A stop during a snapshot or a reconnect is a clean stop, not a failure.
    if (stop.load() && (s.ok() || s.IsUnavailable() || s.code() == Status::Code::kAborted)) {
      return Status::Ok();
    }
    if (s.ok()) return s;
    if (!s.IsUnavailable()) {
      spdlog::error("source {}: {}", source, s.message());
      return s;
    }
    // A session that ran a while resets the backoff.
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(30)) {
      backoff = std::chrono::milliseconds(500);
    }
    ++*reconnects;
    spdlog::warn("source {}: {}; reconnecting in {} ms", source, s.message(), backoff.count());
    SleepUnlessStopped(backoff, stop);
    backoff = std::min(backoff * 2, max_backoff);
  }
  return Status::Ok();
}

}  // namespace deltabridge
