// DeltaReconciler: applies one mapped delta to its row in the chunk's working
// set under the mapping's rules (contract section 5, mappings/rules/
// reconciler.h): which fields it writes, which it keeps, which it holds as
// conflicts; what a delete does by the mapping's on_delete. It changes only
// the working set (rows, their writers, conflicts, counters); ChunkWriter
// writes the result.
//
// An own-node delta (SinkDelta::self) goes through ReconcileOwn instead: it
// records the local write as its fields' last writer, or writes the local
// value back where a change from elsewhere overwrote it; it never inserts a
// missing row, never deletes (on_delete does not apply) and holds no conflict.
// Where a local write replaced the value the rule says wins, it writes that
// value back from the stored writer values (a target with a node stores each
// applied field's value with its last writer); without one it counts the
// field (ApplyCounters::own_unrestorable) and logs it, rate-limited.
//
// It also records what the engine refuses (Reject: a value that does not
// convert, a key change onto an existing row, a row the database refused) as
// conflicts of kind "rejected", with the delta's fields, for review.
//
// Borrows the config (it must outlive the reconciler). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "cdc/core/log_limiter.h"
#include "cdc/core/status.h"
#include "mappings/rules/reconciler.h"
#include "sinks/conflict_record.h"
#include "sinks/sink_config.h"
#include "sinks/sql/chunk_state.h"
#include "sinks/target.h"

namespace deltabridge {

class DeltaReconciler {
 public:
  // `now` gives the time conflicts are detected at (microseconds since the epoch).
  DeltaReconciler(const SinkConfig& config, std::function<int64_t()> now);

  // Applies `d` (mapped as `m`; its row prefetched into `state`) to the
  // working set. A delta the rules cannot take (a conversion failed, the
  // reconciler refused it) is rejected, not an error.
  Status Reconcile(const SinkDelta& d, MappedDelta& m, ChunkState& state);

  // Records a conflict of `d` on its mapping's table; returns it for the
  // kind's own fields. Counts it.
  ConflictRecord& HoldConflict(const SinkDelta& d, ConflictKind kind, std::string row_key,
                               std::string reason, ChunkState& state);

  // Records `d` as rejected (kind "rejected", with its fields under their
  // target names) because of `reason`; `m` gives the row key when known.
  void Reject(const SinkDelta& d, const MappedDelta* m, const std::string& reason,
              ChunkState& state);

  // Whether each applied field's value is stored with its last writer (the
  // target has a node).
  bool stores_values() const { return store_values_; }

 private:
  const SinkConfig& config_;
  std::map<const MappingConfig*, RuleSet> rules_;
  std::function<int64_t()> now_;
  // A target with a node stores each applied field's value with its last
  // writer (WriterMark::value), for ReconcileOwn to write back.
  bool store_values_ = false;
  LogLimiter unrestorable_log_{std::chrono::minutes(1)};
};

}  // namespace deltabridge
