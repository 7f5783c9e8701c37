// The wall clock in the unit deltabridge uses for points in time:
// microseconds since the Unix epoch (UTC), as in the envelope's "ts", the
// journal's commit times and the sinks' writers records. Not monotonic (it
// follows the system clock when it is set): measure intervals with
// std::chrono::steady_clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace deltabridge {

inline int64_t WallClockMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace deltabridge
