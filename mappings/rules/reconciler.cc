#include "mappings/rules/reconciler.h"

#include <cmath>
#include <set>
#include <utility>

#include "cdc/core/utc_time.h"
#include "mappings/rules/exact_decimal.h"
#include "mappings/rules/value_compare.h"

namespace deltabridge {

namespace {

using Kind = Value::Kind;

std::string DescribeWriter(const WriterMark& w) {
  return w.source + " (seq " + std::to_string(w.seq) + ", committed " +
         FormatUtcMicros(w.commit_time_us) + ")";
}

// Everything a rule looks at for one field.
struct FieldInput {
  const IncomingRow& in;
  const IncomingField& field;
  const CurrentRow& row;
  const Value& current;           // NULL when the row or column is absent
  const WriterMark* last_writer;  // nullptr when never written by a change
  const std::string& conflict;    // the section 5 conflict, empty when none
};

FieldDecision Decide(const FieldInput& f, FieldAction action, Value value, std::string reason) {
  FieldDecision d;
  d.column = f.field.column;
  d.action = action;
  d.value = std::move(value);
  d.reason = std::move(reason);
  d.conflict = f.conflict;
  return d;
}

FieldDecision Apply(const FieldInput& f, Value value) {
  return Decide(f, FieldAction::kApply, std::move(value), {});
}

FieldDecision Keep(const FieldInput& f, std::string reason) {
  return Decide(f, FieldAction::kKeep, Value(), std::move(reason));
}

// Held for review; the value is the one that would have been written.
FieldDecision Hold(const FieldInput& f, std::string reason) {
  return Decide(f, FieldAction::kConflict, f.field.new_value.value_or(Value::Null()),
                std::move(reason));
}

// Contract section 5: the incoming old value differs from the current value,
// or the field was last written by another source or at a later time.
std::string FindConflict(const IncomingRow& in, const IncomingField& field, const CurrentRow& row,
                         const Value& current, const WriterMark* last_writer) {
  // A change that sets the value the target already holds agrees with it,
  // whoever wrote it last: nothing to review (two sources' snapshots of one
  // row, a value set the same way on both sides).
  if (row.exists && field.new_value && SemanticEqual(*field.new_value, current)) return "";
  if (field.old_value) {
    if (!row.exists) {
      return "old value " + DescribeValue(*field.old_value) + " but the target has no row";
    }
    if (!SemanticEqual(*field.old_value, current)) {
      return "old value " + DescribeValue(*field.old_value) +
             " differs from the target's current value " + DescribeValue(current);
    }
  }
  if (last_writer != nullptr) {
    if (last_writer->source != in.source) {
      return "last written by another source, " + DescribeWriter(*last_writer);
    }
    if (last_writer->commit_time_us > in.commit_time_us) {
      return "last written at a later time, " + DescribeWriter(*last_writer);
    }
  }
  return "";
}

// Commit-time order with the contract's tie-break: true when `in` is not older
// than `last` (equal times: the higher source name; the same source: the newer
// seq, which the duplicate guard already ensured).
bool NotOlderThan(const IncomingRow& in, const WriterMark& last) {
  if (in.commit_time_us != last.commit_time_us) return in.commit_time_us > last.commit_time_us;
  return in.source >= last.source;
}

FieldDecision LastWriterWinsByTime(const FieldInput& f, std::string_view note) {
  if (f.last_writer == nullptr || NotOlderThan(f.in, *f.last_writer)) {
    return Apply(f, *f.field.new_value);
  }
  std::string reason =
      f.in.commit_time_us < f.last_writer->commit_time_us
          ? "older than the field's last write by " + DescribeWriter(*f.last_writer)
          : "same commit time as the field's last write by " + DescribeWriter(*f.last_writer) +
                ", whose source name is higher";
  if (!note.empty()) reason += std::string(" (") + std::string(note) + ")";
  return Keep(f, std::move(reason));
}

// `{rule: last_writer_wins, by: COLUMN}`: the row's timestamp column decides.
FieldDecision LastWriterWinsByColumn(const FieldInput& f, const std::string& by) {
  if (!f.row.exists) return Apply(f, *f.field.new_value);
  const Value* incoming_ts = nullptr;
  for (const IncomingField& other : f.in.fields) {
    if (other.column != by) continue;
    if (other.new_value) {
      incoming_ts = &*other.new_value;
    } else if (other.old_value) {
      incoming_ts = &*other.old_value;
    }
  }
  if (incoming_ts == nullptr) {
    return LastWriterWinsByTime(f, "the change does not carry " + by + "; compared commit times");
  }
  Value current_ts = Value::Null();
  if (auto it = f.row.fields.find(by); it != f.row.fields.end()) current_ts = it->second.value;
  if (incoming_ts->is_null() && current_ts.is_null()) {
    return LastWriterWinsByTime(f, by + " is NULL on both sides; compared commit times");
  }
  if (current_ts.is_null()) return Apply(f, *f.field.new_value);
  if (incoming_ts->is_null()) return Keep(f, "incoming " + by + " is NULL, the target's is not");
  std::optional<int> cmp = SemanticCompare(*incoming_ts, current_ts);
  if (!cmp) {
    return Hold(f, "cannot compare " + by + " values: incoming " + DescribeValue(*incoming_ts) +
                       ", current " + DescribeValue(current_ts));
  }
  if (*cmp > 0) return Apply(f, *f.field.new_value);
  if (*cmp < 0) {
    return Keep(f, "incoming " + by + " " + DescribeValue(*incoming_ts) +
                       " is older than the target's " + DescribeValue(current_ts));
  }
  if (f.last_writer == nullptr || f.in.source >= f.last_writer->source) {
    return Apply(f, *f.field.new_value);
  }
  return Keep(f, "same " + by + " " + DescribeValue(current_ts) + " as the field's last write by " +
                     DescribeWriter(*f.last_writer) + ", whose source name is higher");
}

// Index in `order` (0 highest); order.size() for a source not listed. An entry
// matches the qualified name or the bare source name.
size_t PriorityRank(const std::vector<std::string>& order, std::string_view source) {
  std::string_view bare = source;
  if (size_t dot = source.find('.'); dot != std::string_view::npos) bare = source.substr(dot + 1);
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] == source || order[i] == bare) return i;
  }
  return order.size();
}

FieldDecision SourcePriority(const FieldInput& f, const Rule& rule) {
  if (f.last_writer == nullptr) return Apply(f, *f.field.new_value);
  size_t in_rank = PriorityRank(rule.order, f.in.source);
  size_t last_rank = PriorityRank(rule.order, f.last_writer->source);
  if (in_rank <= last_rank) return Apply(f, *f.field.new_value);
  return Keep(f, f.in.source + " ranks below the field's last writer " +
                     DescribeWriter(*f.last_writer) + " in the source_priority order");
}

FieldDecision Extreme(const FieldInput& f, bool want_max) {
  const Value& incoming = *f.field.new_value;
  // First write: nothing to compare with.
  if (!f.row.exists || f.current.is_null()) return Apply(f, incoming);
  if (incoming.is_null()) return Keep(f, "NULL never replaces a value under max/min");
  std::optional<int> cmp = SemanticCompare(incoming, f.current);
  if (!cmp) {
    return Hold(f, "cannot compare incoming " + DescribeValue(incoming) + " with current " +
                       DescribeValue(f.current) + " (type mismatch)");
  }
  if (want_max ? *cmp > 0 : *cmp < 0) return Apply(f, incoming);
  return Keep(f, DescribeValue(incoming) +
                     (want_max ? " is not greater than" : " is not smaller than") +
                     " the current " + DescribeValue(f.current));
}

FieldDecision Additive(const FieldInput& f) {
  const Value& incoming = *f.field.new_value;
  // The first writer sets the baseline: a missing row, or a field that is
  // NULL and was never written by a change.
  if (!f.row.exists) return Apply(f, incoming);
  if (f.in.op == Op::kInsert || f.in.op == Op::kSnapshot) {
    if (f.current.is_null() && f.last_writer == nullptr) return Apply(f, incoming);
    return Keep(f, std::string(OpName(f.in.op)) +
                       " of a row the target already has: the current value is the baseline");
  }
  if (!f.field.old_value) {
    return Hold(f,
                "additive needs the old value to compute the increment, and the change has no "
                "before-image (PostgreSQL: REPLICA IDENTITY FULL; MySQL: binlog_row_image=FULL)");
  }
  if (incoming.is_null()) {
    if (SemanticEqual(*f.field.old_value, f.current)) return Apply(f, incoming);
    return Hold(f, "the new value is NULL, so there is no increment to add, and the old value " +
                       DescribeValue(*f.field.old_value) + " differs from the current " +
                       DescribeValue(f.current));
  }
  Result<Value> sum = AdditiveSum(f.current, *f.field.old_value, incoming);
  if (!sum.ok()) return Hold(f, sum.status().message());
  return Apply(f, std::move(sum).value());
}

FieldDecision DecideField(const FieldInput& f, const Rule& rule) {
  switch (rule.kind) {
    case RuleKind::kOverwrite:
      return Apply(f, *f.field.new_value);
    case RuleKind::kLastWriterWins:
      if (!rule.by_column.empty()) return LastWriterWinsByColumn(f, rule.by_column);
      return LastWriterWinsByTime(f, "");
    case RuleKind::kFirstWriterWins:
      if (f.last_writer == nullptr) return Apply(f, *f.field.new_value);
      return Keep(f, "first written by " + DescribeWriter(*f.last_writer));
    case RuleKind::kSourcePriority:
      return SourcePriority(f, rule);
    case RuleKind::kMax:
      return Extreme(f, /*want_max=*/true);
    case RuleKind::kMin:
      return Extreme(f, /*want_max=*/false);
    case RuleKind::kAdditive:
      return Additive(f);
    case RuleKind::kKeepTarget:
      if (f.current.is_null()) return Apply(f, *f.field.new_value);
      return Keep(f, "the target owns the value once set (keep_target); current " +
                         DescribeValue(f.current));
    case RuleKind::kManual:
      if (f.conflict.empty()) return Apply(f, *f.field.new_value);
      return Hold(f, f.conflict);
  }
  return Hold(f, "unknown rule");
}

// Which arithmetic AdditiveSum uses.
enum class Arithmetic { kDouble, kInteger, kDecimal };

Status NotANumber(std::string_view what, const Value& v) {
  return Status::InvalidArgument("additive: the " + std::string(what) + " " + DescribeValue(v) +
                                 " is not a number");
}

}  // namespace

std::string QualifiedSource(std::string_view bridge, std::string_view source) {
  std::string out;
  out.reserve(bridge.size() + 1 + source.size());
  out.append(bridge).append(".").append(source);
  return out;
}

const Rule& RuleSet::For(std::string_view column) const {
  auto it = by_column_.find(column);
  return it == by_column_.end() ? default_ : it->second;
}

std::string_view FieldActionName(FieldAction action) {
  switch (action) {
    case FieldAction::kApply:
      return "apply";
    case FieldAction::kKeep:
      return "keep";
    case FieldAction::kConflict:
      return "conflict";
    case FieldAction::kRecord:
      return "record";
  }
  return "unknown";
}

std::string_view RowActionName(RowAction action) {
  switch (action) {
    case RowAction::kInsert:
      return "insert";
    case RowAction::kUpdate:
      return "update";
    case RowAction::kNone:
      return "none";
  }
  return "unknown";
}

bool RowDecision::HasConflicts() const {
  for (const FieldDecision& f : fields) {
    if (f.action == FieldAction::kConflict) return true;
  }
  return false;
}

const FieldDecision* RowDecision::Find(std::string_view column) const {
  for (const FieldDecision& f : fields) {
    if (f.column == column) return &f;
  }
  return nullptr;
}

Result<Value> AdditiveSum(const Value& current, const Value& old_value, const Value& new_value) {
  if (new_value.is_null()) return Status::InvalidArgument("additive: the new value is NULL");
  const Value& ref = current.is_null() ? new_value : current;
  const Value zero = Value::Int(0, "");
  struct Operand {
    std::string_view what;
    const Value& value;
    std::optional<Number> number;
  };
  Operand ops[] = {{"current value", current.is_null() ? zero : current, std::nullopt},
                   {"old value", old_value.is_null() ? zero : old_value, std::nullopt},
                   {"new value", new_value, std::nullopt}};
  bool any_float = false;
  for (Operand& op : ops) {
    op.number = ToNumber(op.value);
    if (!op.number) return NotANumber(op.what, op.value);
    any_float = any_float || op.number->is_float;
  }

  Arithmetic arithmetic;
  switch (ref.kind) {
    case Kind::kFloat:
      arithmetic = Arithmetic::kDouble;
      break;
    case Kind::kInt:
    case Kind::kUInt:
      arithmetic = Arithmetic::kInteger;
      break;
    case Kind::kDecimal:
    case Kind::kText:
      arithmetic = any_float ? Arithmetic::kDouble : Arithmetic::kDecimal;
      break;
    default:
      return NotANumber(current.is_null() ? "new value" : "current value", ref);
  }

  if (arithmetic == Arithmetic::kDouble) {
    double c = NumberToDouble(*ops[0].number);
    double o = NumberToDouble(*ops[1].number);
    double n = NumberToDouble(*ops[2].number);
    double sum = c + (n - o);
    if (std::isinf(sum) && std::isfinite(c) && std::isfinite(o) && std::isfinite(n)) {
      return Status::InvalidArgument("additive: " + DescribeValue(ref) + " + (" +
                                     DescribeValue(new_value) + " - " + DescribeValue(old_value) +
                                     ") overflows a double");
    }
    return Value::Float(sum, ref.sql_type);
  }

  for (const Operand& op : ops) {
    if (op.number->kind != Number::Kind::kFinite) return NotANumber(op.what, op.value);
  }
  ExactDecimal sum = ops[0].number->exact + (ops[2].number->exact - ops[1].number->exact);

  std::optional<IntegerType> int_type = IntegerTypeOf(ref.sql_type);
  if (!int_type && arithmetic == Arithmetic::kInteger) {
    int_type = IntegerType{64, ref.kind == Kind::kUInt};
  }
  if (int_type) {
    std::string type_name =
        ref.sql_type.empty() ? (int_type->is_unsigned ? "uint64" : "int64") : ref.sql_type;
    for (const Operand& op : ops) {
      if (!op.number->exact.is_integer()) {
        return Status::InvalidArgument("additive: the " + std::string(op.what) + " " +
                                       DescribeValue(op.value) + " is not an integer (column " +
                                       type_name + ")");
      }
    }
    if (!sum.FitsInteger(int_type->bits, int_type->is_unsigned)) {
      return Status::InvalidArgument("additive: " + DescribeValue(current) + " + (" +
                                     DescribeValue(new_value) + " - " + DescribeValue(old_value) +
                                     ") = " + sum.ToString() + " overflows " + type_name);
    }
  }

  if (arithmetic == Arithmetic::kInteger) {
    if (ref.kind == Kind::kUInt) return Value::UInt(*sum.ToUInt64(), ref.sql_type);
    std::optional<int64_t> v = sum.ToInt64();
    if (!v) {
      return Status::InvalidArgument("additive: " + sum.ToString() + " overflows int64");
    }
    return Value::Int(*v, ref.sql_type);
  }
  // An integer column keeps integer text ("12", not "12.0").
  std::string text = sum.ToString();
  if (int_type) text = text.substr(0, text.find('.'));
  return Value::Textual(ref.kind, std::move(text), ref.sql_type);
}

namespace {

// The checks both Reconcile and ReconcileOwn make on their input.
Status CheckIncoming(const IncomingRow& incoming) {
  if (incoming.op == Op::kDelete || incoming.op == Op::kTruncate) {
    return Status::InvalidArgument("reconcile: " + std::string(OpName(incoming.op)) +
                                   " is handled by the mapping's on_delete, not by the rules");
  }
  if (incoming.source.empty()) return Status::InvalidArgument("reconcile: empty source name");
  std::set<std::string_view> seen;
  for (const IncomingField& field : incoming.fields) {
    if (!seen.insert(field.column).second) {
      return Status::InvalidArgument("reconcile: column " + field.column + " appears twice");
    }
  }
  return Status::Ok();
}

// The current value (NULL when the row or column is absent) and last writer
// (nullptr when none) of `column`.
void CurrentOf(const CurrentRow& current, std::string_view column, const Value& null_value,
               const Value** value, const WriterMark** last_writer) {
  *value = &null_value;
  *last_writer = nullptr;
  if (!current.exists) return;
  if (auto it = current.fields.find(column); it != current.fields.end()) {
    *value = &it->second.value;
    if (it->second.last_writer) *last_writer = &*it->second.last_writer;
  }
}

bool AlreadyWritten(const IncomingRow& in, const WriterMark* last_writer) {
  return last_writer != nullptr && last_writer->source == in.source && last_writer->seq >= in.seq;
}

// Whether an own-node delta's write is newer than the field's last writer by
// the rule's order (ReconcileOwn).
bool OwnWriteIsNewer(const FieldInput& f, const Rule& rule) {
  if (f.last_writer == nullptr) return true;
  switch (rule.kind) {
    case RuleKind::kSourcePriority:
      return PriorityRank(rule.order, f.in.source) <=
             PriorityRank(rule.order, f.last_writer->source);
    case RuleKind::kFirstWriterWins:
      return false;
    default:
      return NotOlderThan(f.in, *f.last_writer);
  }
}

FieldDecision RecordOrKeep(const FieldInput& f, const Rule& rule, std::string_view what) {
  if (OwnWriteIsNewer(f, rule)) return Decide(f, FieldAction::kRecord, Value(), {});
  return Keep(f, std::string(what) + "; the field's last writer " + DescribeWriter(*f.last_writer) +
                     " stands by the " + std::string(RuleKindName(rule.kind)) + " rule");
}

// The rules under which an own-node delta that loses writes the winner's
// stored value back over the local write. Not additive (the value is a sum of
// every node's increments, not one writer's), manual (it never writes) nor
// overwrite (the latest delivered wins; there is no winner to restore).
bool RestoresWinner(RuleKind kind) {
  switch (kind) {
    case RuleKind::kLastWriterWins:
    case RuleKind::kFirstWriterWins:
    case RuleKind::kSourcePriority:
    case RuleKind::kMax:
    case RuleKind::kMin:
      return true;
    default:
      return false;
  }
}

// The row as its fields' last writers left it: each stored writer value in
// place of the current one (ReconcileOwn).
CurrentRow RecordedRow(const CurrentRow& current) {
  CurrentRow row = current;
  for (auto& [column, field] : row.fields) {
    if (field.last_writer && field.last_writer->value) field.value = *field.last_writer->value;
  }
  return row;
}

bool HasStoredValue(const CurrentRow& row, std::string_view column) {
  auto it = row.fields.find(column);
  return it != row.fields.end() && it->second.last_writer && it->second.last_writer->value;
}

// The target still holds the own-node delta's new value: the local write
// stands, and may have replaced the value the rule says wins.
FieldDecision DecideStandingOwnField(const FieldInput& f, const Rule& rule,
                                     const CurrentRow& recorded) {
  constexpr std::string_view kStands = "the local write stands";
  if (!RestoresWinner(rule.kind) || f.last_writer == nullptr) {
    return RecordOrKeep(f, rule, kStands);
  }
  const bool stored = f.last_writer->value.has_value() &&
                      (rule.by_column.empty() || HasStoredValue(recorded, rule.by_column));
  if (stored) {
    const Value& winner = *f.last_writer->value;
    const FieldInput weighed{f.in, f.field, recorded, winner, f.last_writer, f.conflict};
    FieldDecision d = DecideField(weighed, rule);
    if (d.action == FieldAction::kApply) return Decide(f, FieldAction::kRecord, Value(), {});
    if (d.action == FieldAction::kKeep) {
      if (SemanticEqual(winner, f.current)) {
        return Keep(f, "the local write gives the value of the field's last writer " +
                           DescribeWriter(*f.last_writer) + ", which stands: " + d.reason);
      }
      FieldDecision restore = Apply(f, winner);
      restore.writer = *f.last_writer;
      return restore;
    }
    // Values that cannot be compared: by the order, as without a stored value.
  }
  FieldDecision d = RecordOrKeep(f, rule, kStands);
  if (d.action == FieldAction::kKeep && !stored) {
    d.cannot_restore = true;
    d.reason += "; its value is not stored, so it cannot be written back";
  }
  return d;
}

FieldDecision DecideOwnField(const FieldInput& f, const Rule& rule, const CurrentRow& recorded) {
  if (f.row.exists && SemanticEqual(*f.field.new_value, f.current)) {
    return DecideStandingOwnField(f, rule, recorded);
  }
  switch (rule.kind) {
    case RuleKind::kOverwrite:
    case RuleKind::kAdditive:
    case RuleKind::kManual:
      return RecordOrKeep(f, rule,
                          std::string("the target holds another value, and an own-node delta "
                                      "never writes a ") +
                              std::string(RuleKindName(rule.kind)) + " field");
    default:
      break;
  }
  FieldDecision d = DecideField(f, rule);
  if (d.action == FieldAction::kConflict) {
    return Keep(f, "the local write is not written back: " + d.reason);
  }
  if (d.action == FieldAction::kKeep) {
    d.reason = "a later write from elsewhere stands over the local write: " + d.reason;
  }
  return d;
}

}  // namespace

Result<RowDecision> Reconcile(const IncomingRow& incoming, const CurrentRow& current,
                              const RuleSet& rules) {
  DB_RETURN_IF_ERROR(CheckIncoming(incoming));
  RowDecision decision;
  decision.writer = WriterMark{incoming.source, incoming.commit_time_us, incoming.seq};
  const Value null_value = Value::Null();
  bool any_applied = false;
  for (const IncomingField& field : incoming.fields) {
    const Value* value;
    const WriterMark* last_writer;
    CurrentOf(current, field.column, null_value, &value, &last_writer);
    const std::string conflict = FindConflict(incoming, field, current, *value, last_writer);
    FieldInput input{incoming, field, current, *value, last_writer, conflict};

    FieldDecision d;
    if (!field.new_value) {
      d = Keep(input, "the change carries no new value for this column");
    } else if (AlreadyWritten(incoming, last_writer)) {
      // A redelivered or reordered delta: the checkpoint normally prevents
      // this; never count it twice.
      d = Keep(input, "already applied: the field was last written by seq " +
                          std::to_string(last_writer->seq) + " of the same source");
    } else {
      d = DecideField(input, rules.For(field.column));
    }
    any_applied = any_applied || d.action == FieldAction::kApply;
    decision.fields.push_back(std::move(d));
  }
  if (!current.exists) {
    decision.action = RowAction::kInsert;
  } else if (any_applied) {
    decision.action = RowAction::kUpdate;
  }
  return decision;
}

Result<RowDecision> ReconcileOwn(const IncomingRow& incoming, const CurrentRow& current,
                                 const RuleSet& rules) {
  DB_RETURN_IF_ERROR(CheckIncoming(incoming));
  RowDecision decision;
  decision.writer = WriterMark{incoming.source, incoming.commit_time_us, incoming.seq};
  const Value null_value = Value::Null();
  const std::string no_conflict;
  const CurrentRow recorded = RecordedRow(current);
  bool any_applied = false;
  for (const IncomingField& field : incoming.fields) {
    const Value* value;
    const WriterMark* last_writer;
    CurrentOf(current, field.column, null_value, &value, &last_writer);
    FieldInput input{incoming, field, current, *value, last_writer, no_conflict};

    FieldDecision d;
    if (!current.exists) {
      d = Keep(input, "the target has no such row: an own-node delta never inserts one");
    } else if (!field.new_value) {
      d = Keep(input, "the change carries no new value for this column");
    } else if (AlreadyWritten(incoming, last_writer)) {
      d = Keep(input, "already recorded: the field was last written by seq " +
                          std::to_string(last_writer->seq) + " of the same source");
    } else {
      d = DecideOwnField(input, rules.For(field.column), recorded);
    }
    any_applied = any_applied || d.action == FieldAction::kApply;
    decision.fields.push_back(std::move(d));
  }
  if (any_applied) decision.action = RowAction::kUpdate;
  return decision;
}

}  // namespace deltabridge
