// The running sink's report, <state_dir>/sink-status.json: its checkpoint,
// lag and counters, which `deltabridge sink` rewrites once a second and soon
// after each commit, and `deltabridge status SINK.yaml` reads without
// touching the sink (the bridge's twin is cdc/bridge/bridge_stats.h).
//
// Pure functions but for the file's I/O; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "cdc/core/status.h"
#include "sinks/sink_config.h"
#include "sinks/sink_runner.h"

namespace deltabridge {

// <state_dir>/sink-status.json
std::string SinkStatusPath(const SinkConfig& config);

// The file's JSON for `stats` of sink `config.name`, written by process `pid` at `now_us`.
std::string EncodeSinkStatus(const SinkConfig& config, const SinkStats& stats, int pid,
                             int64_t now_us);

// Replaces the file (WriteFileAtomically, without fsync: a report rewritten
// every second, whose loss in a crash is harmless; cdc/core/atomic_file.h);
// a failure is ignored: the next write will try again, and `status` says how
// old what it shows is.
void WriteSinkStatusFile(const SinkConfig& config, const SinkStats& stats);

// What `status` shows of the file.
struct SinkStatusReport {
  int pid = 0;
  int64_t updated_us = 0;                // 0 when the file does not say
  std::map<std::string, double> lag_ms;  // per bridge, when known
  ApplyCounters target;
  // SinkStats' counts of the same names (0 when the file does not say).
  uint64_t suppressed_echo = 0;
  uint64_t suppressed_forwarded = 0;
  uint64_t own = 0;
};

// Parses what EncodeSinkStatus wrote; InvalidArgument when it is not that.
Result<SinkStatusReport> DecodeSinkStatus(std::string_view json);

}  // namespace deltabridge
