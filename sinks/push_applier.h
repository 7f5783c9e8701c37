// PushApplier: applies an application's own changes (push lines,
// push_line.h) into a sink's target database through one of the sink's
// mappings and its rules, exactly as the sink applies a delta from a bridge,
// and says what became of each: applied (with the fields a rule kept), held
// for review as a conflict (its id), rejected (why) or suppressed (its path
// already holds the target's node). `deltabridge push` feeds it stdin
// (docs/push.md); a gateway can feed it request bodies.
//
// Each line is applied in a target transaction of its own; the sink's
// checkpoint is committed unchanged (a push is not a bridge stream). A
// pushed change is numbered with a seq that increases with every line (the
// push time in microseconds, or one more than the last), so the engine's
// guard against a delta applied twice never takes a later push for an
// earlier one. A line the target refuses is rolled back whole: nothing of it
// stays, not even a conflict record (the caller has the answer).
//
// Ownership: borrows the SinkConfig (it must outlive the applier); owns its
// target. Not thread-safe: one thread pushes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "sinks/push_line.h"
#include "sinks/sink_config.h"
#include "sinks/sql/sql_session.h"
#include "sinks/target.h"

namespace deltabridge {

enum class PushResult { kApplied, kConflict, kRejected, kSuppressed };
// "applied", "conflict", "rejected", "suppressed".
std::string_view PushResultName(PushResult result);

// What became of one line.
struct PushOutcome {
  PushResult result = PushResult::kApplied;
  // kApplied, kConflict: the line's columns (by the line's names) a rule kept
  // as they were.
  std::vector<std::string> kept;
  // kConflict: the conflicts held for review, as `deltabridge conflicts` lists
  // them; the line's other fields were applied as the rules decided.
  std::vector<int64_t> conflict_ids;
  // kRejected, kSuppressed: why.
  std::string why;
};

// The result line of input line `line` (from 1), without a newline:
//   {"line":3,"result":"applied","kept":["status"]}
//   {"line":4,"result":"conflict","conflict_id":17}   (+ "conflict_ids" when several)
//   {"line":5,"result":"rejected","why":"..."}
//   {"line":6,"result":"suppressed","why":"..."}
std::string PushOutcomeJson(uint64_t line, const PushOutcome& outcome);

// The sink's mapping a push to `to` goes through: the one whose `to` is `to`
// (and, when `from` is not empty, whose `from` is `from`). InvalidArgument
// naming the choices when there is none, or several.
Result<const MappingConfig*> FindPushMapping(const SinkConfig& config, std::string_view to,
                                             std::string_view from);

// The node a push names itself by default: push.<sink name>.
std::string DefaultPushNode(const SinkConfig& config);

class PushApplier {
 public:
  // Makes and opens the sink's target (a SQL database; InvalidArgument for a
  // JSON-lines file), and reads `mapping`'s target table's columns (on a
  // connection of its own, closed before it returns). `node` must be a node
  // name of at least two parts (InvalidArgument). Errors of the target:
  // Unavailable, FailedPrecondition.
  static Result<std::unique_ptr<PushApplier>> Open(const SinkConfig& config,
                                                   const MappingConfig& mapping, std::string node);

  // Over a target already made (with SqlTargetOptions::record_outcomes) and
  // the table as the database describes it (for tests). Call Start() next.
  PushApplier(const SinkConfig& config, const MappingConfig& mapping, std::string node,
              std::unique_ptr<Target> target, TargetTableInfo table);
  // Opens the target and keeps the checkpoint it holds.
  Status Start();

  // Applies one line (without its line break). An outcome for every line;
  // an error only when the target fails (it could not be reached again after
  // a lost connection, or an operator must act): nothing of the line was
  // applied then.
  Result<PushOutcome> Push(std::string_view line);

  // For messages: the target, never a password.
  std::string Describe() const { return target_->Describe(); }

 private:
  // Applies `d` in one transaction.
  Result<PushOutcome> ApplyOnce(const SinkDelta& d);
  // The line's own name of target column `column`.
  std::string LineName(const SinkDelta& d, std::string_view column) const;

  const SinkConfig& config_;
  std::unique_ptr<Target> target_;
  TargetTableInfo table_;
  PushRoute route_;
  Checkpoints checkpoints_;  // as the target returned it from Open; committed unchanged
  uint64_t last_seq_ = 0;    // the seq of the last line; the next is greater
};

}  // namespace deltabridge
