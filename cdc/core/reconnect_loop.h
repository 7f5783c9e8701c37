// RunReconnecting: the outer loop of a streaming source. It runs one session
// after another: a session that ends Unavailable (connection lost, server
// restarting) is retried after a backoff of 0.5 s doubling up to
// `max_backoff` (back to 0.5 s after a session that ran 30 s or more), and
// counted in `reconnects`; any other error is logged and returned (the
// bridge stops); Ok ends the loop. A stop (`stop` set) during a session or a
// backoff is a clean end, whatever the session returned on its way out
// (Unavailable or Aborted included).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge {

// Sleeps up to `d`, returning early (within 50 ms) when `stop` is set.
void SleepUnlessStopped(std::chrono::milliseconds d, const std::atomic<bool>& stop);

Status RunReconnecting(std::string_view source, const std::atomic<bool>& stop,
                       std::chrono::milliseconds max_backoff, std::atomic<uint64_t>* reconnects,
                       const std::function<Status()>& session);

}  // namespace deltabridge
