// Durations and sizes as written in deltabridge's YAML files.
//
// A duration is an unsigned decimal integer followed by one unit: ms, s, m, h
// or d ("500ms", "2s", "5m", "1h", "7d"). A size is a byte count ("1048576")
// or an unsigned decimal integer followed by KiB, MiB or GiB ("512KiB",
// "64MiB", "10GiB"). No signs, spaces, fractions or other units; results that
// do not fit (int64 microseconds, uint64 bytes) are errors, never wrapped.
//
// Failure messages are written to follow "file:line:col: key: " in a
// configuration error ("expected a duration such as ..., got \"5 min\"").
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge {

// "2s" -> 2'000'000us. InvalidArgument on bad syntax or overflow.
Result<std::chrono::microseconds> ParseDuration(std::string_view text);

// "64MiB" -> 67'108'864; "4096" -> 4096. InvalidArgument on bad syntax or overflow.
Result<uint64_t> ParseSize(std::string_view text);

// The largest unit that represents `duration` exactly: "7d", "90m", "1500ms";
// sub-millisecond remainders as "250us". Negative durations get a leading '-'.
std::string FormatDuration(std::chrono::microseconds duration);

// The largest binary unit that represents `bytes` exactly: "10GiB", "1536KiB",
// else the plain byte count.
std::string FormatSize(uint64_t bytes);

}  // namespace deltabridge
