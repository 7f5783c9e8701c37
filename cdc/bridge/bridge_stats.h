// BridgeStats: what a running bridge reports about itself, four times a second, to
// <state_dir>/bridge-status.json (read by `deltabridge status BRIDGE.yaml`)
// and, at each scrape, to its metrics endpoint. A snapshot: plain values,
// copied out of the sources', journal's and servers' own counters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

struct SourceStats {
  std::string name;
  std::string type;            // "postgres", "mysql", "odbc"
  uint64_t changes = 0;        // deltas journaled since start
  uint64_t transactions = 0;   // source transactions journaled since start
  uint64_t reconnects = 0;     // connections lost and made again
  uint64_t snapshot_rows = 0;  // rows read by the initial snapshot since start
  uint64_t bytes = 0;          // bytes of deltas (topic and body) journaled since start
  // Source commit time of the newest journaled transaction (µs since the
  // epoch); 0 when none since start.
  int64_t last_commit_us = 0;
  std::string position;  // the durable position in the journal ("" when none)
  // How far the server is ahead of the durable position, in the source's
  // unit (PostgreSQL: bytes of WAL); nullopt when the source cannot tell.
  std::optional<uint64_t> position_lag_bytes;
  // Changes a sink wrote into the source's database (SourceReport).
  uint64_t tagged_forwarded = 0;
  uint64_t tagged_dropped = 0;
  uint64_t bad_tags = 0;
};

struct BridgeStats {
  std::string bridge;
  int pid = 0;
  int64_t updated_us = 0;
  uint64_t journal_first_seq = 0;
  uint64_t journal_last_seq = 0;  // committed: the newest seq a subscriber can get
  uint64_t journal_bytes = 0;
  uint64_t published_seq = 0;
  uint64_t replay_requests = 0;
  uint64_t replay_errors = 0;
  std::vector<SourceStats> sources;
};

// The lag of a source in seconds at `now_us`: 0 when it has nothing left to
// read (position_lag_bytes == 0), else the age of the newest journaled
// commit; nullopt when unknown.
std::optional<double> SourceLagSeconds(const SourceStats& s, int64_t now_us);

std::string EncodeBridgeStats(const BridgeStats& stats);  // JSON
Result<BridgeStats> DecodeBridgeStats(std::string_view json);

// Replaces <state_dir>/bridge-status.json (WriteFileAtomically, without fsync:
// a report rewritten four times a second, whose loss in a crash is harmless;
// cdc/core/atomic_file.h). A failure is ignored: the next write tries again,
// and `status` shows how old the report is.
void WriteBridgeStatusFile(const std::string& state_dir, const BridgeStats& stats);
std::string BridgeStatusPath(const std::string& state_dir);

// Prometheus text of a bridge (docs/metrics.md).
std::string RenderBridgeMetrics(const BridgeStats& stats, int64_t now_us);

}  // namespace deltabridge
