// Target: where a sink applies what it receives, as the sink runner
// (sinks/sink_runner.h) drives it. SqlTarget (sinks/sql/sql_target.h) serves
// PostgreSQL, MySQL/MariaDB and ODBC databases; JsonlTarget
// (sinks/jsonl/jsonl_target.h) a JSON-lines file.
//
// The exactly-once promise rests on one invariant every target keeps: what
// was applied and the checkpoint that says so (the last applied seq per
// bridge) become durable together, atomically, in Commit(). After a crash at
// any moment, Open() returns a checkpoint that matches exactly what the
// target holds, so the runner resumes at checkpoint + 1 and nothing is lost
// or applied twice.
//
// The runner calls, from one thread:
//   Open()                      once, and again after an Unavailable error
//   Begin(), Apply(chunk)..., Commit(checkpoints)   or Abort() instead of Commit
// Each source transaction lies wholly inside one Begin..Commit (a large one
// arrives as several chunks); one Begin..Commit may hold several source
// transactions.
//
// Errors: Unavailable (connection lost, disk full for a moment): the runner
// aborts, waits, calls Open() again and resumes from the checkpoint it
// returns. Anything else stops the sink with the message. A delta the target
// refuses (a constraint violation, a bad value) is never an error: it is
// recorded as a conflict with the reason and the sink goes on.
//
// Thread-safety: none; one thread drives a target. counters() may be read by
// another thread (atomics inside).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/change.h"
#include "cdc/core/status.h"
#include "sinks/conflict_record.h"
#include "sinks/sink_config.h"

namespace deltabridge {

// A delta on its way to the target: decoded, with the mapping that takes it.
struct SinkDelta {
  Delta delta;                             // delta.bridge names the bridge
  std::string topic;                       // <bridge>.<source>.<table>
  const MappingConfig* mapping = nullptr;  // borrowed from the SinkConfig; never null
  // A change of the target's own node (its path is exactly [target node]):
  // not applied as a change; it records the local write as the fields' last
  // writer, and writes a local value back where an older change from
  // elsewhere overwrote it (docs/two-way.md, "The own node").
  bool self = false;
};

// Last applied seq per bridge name. A bridge without an entry: nothing applied yet.
using Checkpoints = std::map<std::string, uint64_t, std::less<>>;

// What a target has done since it was made; monotonic.
struct ApplyCounters {
  uint64_t deltas = 0;  // deltas applied (whatever they did)
  uint64_t rows_inserted = 0;
  uint64_t rows_bulk = 0;  // of rows_inserted, written by the bulk path (COPY)
  uint64_t rows_updated = 0;
  uint64_t rows_deleted = 0;
  uint64_t fields_kept = 0;   // fields a rule kept as they were
  uint64_t conflicts = 0;     // conflicts recorded for review
  uint64_t rejected = 0;      // deltas the target refused (recorded as conflicts)
  uint64_t transactions = 0;  // target transactions committed
  // Own-node deltas (SinkDelta::self), also counted in `deltas`: those taken
  // only as the record of a local write (its last writers, at most), and
  // those that wrote a local value back over a change from elsewhere.
  uint64_t own_recorded = 0;
  uint64_t own_written_back = 0;
  // Fields of own-node deltas whose local write replaced the value the rule
  // says wins, where that value was not stored and so not written back (the
  // node keeps the local value and may differ from the other nodes).
  uint64_t own_unrestorable = 0;
};

// What the deltas applied since Begin() did, as a caller that applies one
// delta per transaction and answers for it needs to know (deltabridge push,
// sinks/push_applier.h).
struct ApplyOutcome {
  std::vector<std::string> kept;          // target columns a rule kept as they were
  std::vector<ConflictRecord> conflicts;  // recorded since Begin, with their ids; a
                                          // delta the target refused is kind kRejected
};

class Target {
 public:
  virtual ~Target() = default;

  // Connects (or opens the file), creates the target's deltabridge_* state
  // when missing, checks that every mapping's table can be applied to, and
  // returns the checkpoint. Called again after Unavailable.
  virtual Result<Checkpoints> Open() = 0;

  virtual Status Begin() = 0;
  // Applies deltas in seq order (per bridge). May be called several times
  // before Commit; a chunk may end in mid-transaction.
  virtual Status Apply(const std::vector<SinkDelta>& chunk) = 0;
  // Makes everything applied since Begin durable together with `checkpoints`
  // (the whole checkpoint, every bridge).
  virtual Status Commit(const Checkpoints& checkpoints) = 0;
  // Discards everything since Begin. Never fails loudly: a broken connection
  // is dealt with by the next Open().
  virtual void Abort() = 0;

  // After Apply() and before Commit() or Abort(): what the deltas applied
  // since Begin() did. Only a target made to record it knows
  // (SqlTargetOptions::record_outcomes); any other returns an empty outcome.
  virtual Result<ApplyOutcome> Outcome() { return ApplyOutcome{}; }

  virtual ApplyCounters counters() const = 0;
  // For messages: "postgres host=127.0.0.1 dbname=dashboard" (never a password).
  virtual std::string Describe() const = 0;
};

}  // namespace deltabridge
