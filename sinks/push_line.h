// A push line: one change an application sends back into a database
// (`deltabridge push`, docs/push.md), as one JSON object in the wire format's
// terms (contract section 3):
//
//   {"op":"update","key":{"id":42},"changes":{"status":{"old":"open","new":"booked"}},
//    "ts":"2026-11-27T10:00:00.123456Z","origin":["app.web"],"ref":"app:17"}
//
//   op       insert | update | delete
//   key      the mapping's key columns and their values (an update that
//            changes the key: the old key, the new one in `changes`)
//   changes  per column: an insert {"new": v}; an update {"old": v, "new": v}
//            or {"new": v}; a delete {"old": v} (or {} for none)
//   ts       optional: the commit time, UTC (default: when it is pushed)
//   origin   optional: the path of nodes the change has passed through
//   ref      optional: the push's own reference (1 to 200 printable ASCII
//            characters), written into the origin tag so that the change,
//            captured again, comes back with it (Change::ref)
//
// Columns carry the names of the mapping's source (as in a delta the sink
// would receive); values are JSON scalars (JSON columns as their text in a
// string). ParsePushLine turns a line into the SinkDelta the sink's apply
// engine takes, so renames, exclude, key and rules apply as for a delta from
// a bridge; a line that is not a change is InvalidArgument whose message says
// what was expected.
//
// Plain values; the functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cdc/core/status.h"
#include "mappings/mapping.h"
#include "sinks/sql/sql_session.h"
#include "sinks/target.h"

namespace deltabridge {

// The longest line a push takes (1 MiB); a longer one is rejected.
inline constexpr size_t kMaxPushLineBytes = size_t{1} << 20;

// Where pushed lines go and whom they come from.
struct PushRoute {
  // The sink's mapping the lines go through (its `to` is the target table);
  // borrowed, never null.
  const MappingConfig* mapping = nullptr;
  // The pushing node (at least two parts, PushNodeParts): the change's path
  // when a line has no origin, and its source in the last-writer metadata.
  std::string node;
  // The target table as the database describes it: every column a line
  // names must land in one of its columns (or be excluded). Borrowed;
  // nullptr: not checked.
  const TargetTableInfo* table = nullptr;
};

// The bridge and source names a node stands for in a delta, so that the
// delta's qualified source (<bridge>.<source>) is the node itself:
// "app.web" -> {"app", "web"}, "push.to-legacy.eu" -> {"push", "to-legacy.eu"}.
// nullopt when `node` is not a node name of at least two parts.
std::optional<std::pair<std::string, std::string>> PushNodeParts(std::string_view node);

// The delta `line` stands for through `route`, numbered `seq`; `now_us` is its
// commit time when the line has no ts. InvalidArgument (why, and what is
// expected) when the line is not a change this route takes.
Result<SinkDelta> ParsePushLine(std::string_view line, const PushRoute& route, uint64_t seq,
                                int64_t now_us);

}  // namespace deltabridge
