// Reconciler: decides, field by field, what one incoming delta does to one
// target row under the reconciliation rules of contract section 5.
//
// Pure logic: no I/O, no database. The sink reads the target row and the
// per-field last-writer metadata it keeps in the target (deltabridge_* tables),
// calls Reconcile(), then writes what the decision says in the same target
// transaction as its checkpoint: the applied values with their new last
// writer, and the conflicts to hold for review. docs/reconciliation-rules.md
// describes every rule with a worked example.
//
// Sources are named "<bridge>.<source>" (QualifiedSource()), since one sink
// may subscribe to several bridges whose source names collide; a
// source_priority `order` entry matches either the qualified name or the bare
// source name of any bridge.
//
// Inputs are borrowed only for the duration of the call; the decision owns its
// values. Stateless functions and plain data: thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/change.h"
#include "cdc/core/status.h"
#include "cdc/core/value.h"
#include "mappings/rule.h"

namespace deltabridge {

// "<bridge>.<source>": how the reconciler and the last-writer metadata name a source.
std::string QualifiedSource(std::string_view bridge, std::string_view source);

// The change that last wrote a field, as the sink keeps it in the target.
struct WriterMark {
  std::string source;          // qualified: "<bridge>.<source>"
  int64_t commit_time_us = 0;  // source commit time, microseconds since the epoch (UTC)
  uint64_t seq = 0;            // the delta's seq in its bridge's stream
  // The value this change gave the field, where the sink stores it (targets
  // with a node); absent otherwise. Not part of the writer's identity.
  // ReconcileOwn writes it back when a local write replaced it against the rule.
  std::optional<Value> value = std::nullopt;
};

// One target column of the incoming delta, after mapping (column renamed,
// excluded columns dropped).
struct IncomingField {
  std::string column;              // target column name
  std::optional<Value> old_value;  // absent: no before-image
  std::optional<Value> new_value;  // absent: not in the after-image (nothing to write)
};

// The incoming delta for one target row. Key columns are the caller's: they
// locate the row and need not appear in `fields`.
struct IncomingRow {
  Op op = Op::kInsert;         // insert, update or snapshot (not delete/truncate)
  std::string source;          // qualified: "<bridge>.<source>"
  int64_t commit_time_us = 0;  // source commit time, microseconds since the epoch (UTC)
  uint64_t seq = 0;            // the delta's seq
  std::vector<IncomingField> fields;
};

// One column of the target row as it stands.
struct CurrentField {
  Value value;                            // as read from the target (typed or text)
  std::optional<WriterMark> last_writer;  // absent: never written by a change (loaded by hand)
};

// The target row as it stands. A column missing from `fields` counts as NULL
// with no last writer.
struct CurrentRow {
  bool exists = false;
  std::map<std::string, CurrentField, std::less<>> fields;
};

// The rules of one mapping: one per configured column, `default` for the rest.
class RuleSet {
 public:
  // Every column: last_writer_wins (the contract's default).
  RuleSet() = default;
  explicit RuleSet(Rule default_rule) : default_(std::move(default_rule)) {}

  void Set(std::string column, Rule rule) { by_column_[std::move(column)] = std::move(rule); }
  const Rule& For(std::string_view column) const;
  const Rule& default_rule() const { return default_; }

 private:
  Rule default_;
  std::map<std::string, Rule, std::less<>> by_column_;
};

enum class FieldAction {
  kApply,     // write `value` and the new last writer
  kKeep,      // leave the field as it is; `reason` says why
  kConflict,  // leave the field as it is and record a conflict for review
  kRecord,    // leave the value as it is; store the new last writer (ReconcileOwn only)
};
// "apply", "keep", "conflict", "record"
std::string_view FieldActionName(FieldAction action);

struct FieldDecision {
  std::string column;
  FieldAction action = FieldAction::kKeep;
  // kApply: the value to write (for additive, the computed sum).
  // kConflict: the incoming new value, what `conflicts resolve --take incoming`
  // writes. kKeep: NULL.
  Value value;
  // kKeep and kConflict: why, for the operator ("older than the field's last
  // write ..."). kApply: empty.
  std::string reason;
  // The section 5 conflict this field had, whatever the rule then decided
  // ("old value 3 differs from the target's current value 5"); empty when none.
  std::string conflict;
  // kApply: the last writer to store for this field instead of the row's
  // `writer`. Set when ReconcileOwn restores the recorded writer's value,
  // which stays the field's last writer.
  std::optional<WriterMark> writer;
  // kKeep from ReconcileOwn: a local write replaced the value the rule says
  // wins, and that value is not stored (WriterMark::value), so it cannot be
  // written back; the node keeps the local value.
  bool cannot_restore = false;
};

enum class RowAction {
  kInsert,  // the row is missing: insert it with its key and the applied fields
  kUpdate,  // update the applied fields (values and last writers)
  kNone,    // nothing applied: leave the row (conflicts may still need recording)
};
std::string_view RowActionName(RowAction action);  // "insert", "update", "none"

struct RowDecision {
  RowAction action = RowAction::kNone;
  std::vector<FieldDecision> fields;  // one per incoming field, in the incoming order
  WriterMark writer;                  // the last writer to store for every applied field

  bool HasConflicts() const;
  // The decision for `column`, or nullptr.
  const FieldDecision* Find(std::string_view column) const;
};

// current + (new - old), exactly, for the additive rule. NULL current or old
// counts as zero; `new_value` must not be NULL. The arithmetic follows the
// reference value (current, or new_value when current is NULL): kFloat in
// double; kInt/kUInt in exact integers that must fit the column (int64,
// uint64, or the width its sql_type names, e.g. int4); kDecimal/kText in exact
// decimal (integer range checked when its sql_type is an integer type), unless
// an operand is a float, NaN or an infinity, then in double. The result has
// the reference value's kind and sql_type (Float in double arithmetic).
// InvalidArgument on a non-number, a fraction in an integer column, or
// overflow; never wraps around.
Result<Value> AdditiveSum(const Value& current, const Value& old_value, const Value& new_value);

// Decides what `incoming` does to `current`. InvalidArgument for a delete or
// truncate (the caller's on_delete handles those), an empty source, or a
// column that appears twice. Type mismatches, overflow and values that cannot
// be compared are not errors: they come back as kConflict fields with a reason.
Result<RowDecision> Reconcile(const IncomingRow& incoming, const CurrentRow& current,
                              const RuleSet& rules);

// Decides what an own-node delta does (docs/two-way.md, "The own node"): a
// change the target's own database made locally, captured by its own bridge
// and mapped onto the same row. It reports a write that is already there, so
// it is never applied as a change; per field it carries:
//   - the target still holds its new value (the local write stands):
//       last_writer_wins (by commit time or by a column), first_writer_wins,
//         source_priority, max, min, when the field's last writer's value is
//         stored (WriterMark::value): the rule weighs the local write against
//         that writer as it would an incoming change over a row holding the
//         writers' stored values. The local write wins: kRecord. It loses:
//         the stored value is written back (kApply, FieldDecision::writer =
//         the recorded writer, which stays the last writer), or kKeep when it
//         equals the current value. Values that cannot be compared: as below;
//       otherwise kRecord when the local write is newer than the field's last
//         writer by the rule's order, else kKeep (with cannot_restore for the
//         rules above: the winner's value is not stored). The order is the
//         rank in `order` for source_priority, "no writer yet" for
//         first_writer_wins, and the commit time (ties as in
//         last_writer_wins) for every other rule;
//   - the target holds another value (a change from elsewhere overwrote the
//     local write, or a later local write did):
//       overwrite, additive, manual: never written (for additive the
//         increment is already in the row; manual never holds an own write),
//         kRecord or kKeep as above;
//       every other rule weighs the local write against the field's last
//         writer as it would an incoming change: kApply writes the local value
//         back (it becomes the last writer), kKeep leaves the other value. What
//         would be held as a conflict is kKeep: an own-node delta holds none.
// A field last written by the same source at the same or a later seq is kKeep
// (already recorded). A missing row is never inserted: every field is kKeep.
// The row action is kUpdate when a value is written back, else kNone; the
// decision's writer is the own-node delta. Errors as Reconcile.
Result<RowDecision> ReconcileOwn(const IncomingRow& incoming, const CurrentRow& current,
                                 const RuleSet& rules);

}  // namespace deltabridge
