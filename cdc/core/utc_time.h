// Points in time as text: the UTC form the wire, the journal and the sinks'
// records use ("2026-11-27T10:00:00.123456Z"), from and to microseconds since
// the Unix epoch (WallClockMicros' unit, cdc/core/wall_clock.h).
//
// Pure functions; thread-safe (FormatUtcMicros keeps a per-thread cache).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace deltabridge {

// "2026-11-27T10:00:00.123456Z"
std::string FormatUtcMicros(int64_t us_since_epoch);
// Appends FormatUtcMicros(us_since_epoch).
void AppendUtcMicros(std::string* out, int64_t us_since_epoch);

// Parses "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" into microseconds since the epoch
// (digits past the sixth are ignored); false when malformed.
bool ParseUtcMicros(std::string_view text, int64_t* out);

}  // namespace deltabridge
