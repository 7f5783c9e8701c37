// Asks a running bridge for its newest seq by listening for one heartbeat on
// its publish endpoint (`status` and `check` for sinks). The bridge beats once
// a second (contract section 3).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cdc/core/status.h"

namespace deltabridge {

// The newest seq of bridge `bridge` at `publish_endpoint`; Unavailable when
// no heartbeat arrives within `timeout`.
Result<uint64_t> ProbeBridgeNewestSeq(const std::string& publish_endpoint,
                                      const std::string& bridge, std::chrono::milliseconds timeout);

}  // namespace deltabridge
