// LogLimiter: lets one log line through per interval and counts the ones held
// back, so a peer that sends garbage in a loop cannot flood the operator's log.
//
// Not thread-safe: one per logging thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace deltabridge {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::seconds interval) : interval_(interval) {}

  // True when a line may be logged now; *suppressed is then set to the number
  // of lines held back since the last one allowed.
  bool Allow(uint64_t* suppressed) {
    auto now = std::chrono::steady_clock::now();
    if (any_ && now - last_ < interval_) {
      ++suppressed_;
      return false;
    }
    any_ = true;
    last_ = now;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  std::chrono::steady_clock::duration interval_;
  bool any_ = false;  // a line was allowed already
  std::chrono::steady_clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

}  // namespace deltabridge
