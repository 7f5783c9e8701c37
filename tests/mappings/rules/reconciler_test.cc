#include "mappings/rules/reconciler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mappings/rules/value_compare.h"

namespace deltabridge {
namespace {

using Kind = Value::Kind;

const std::string kLegacy = "parks.legacy";
const std::string kScheduling = "parks.scheduling";
const std::string kHabitat = "parks.habitat";

Value Text(std::string s, std::string type = "") {
  return Value::Textual(Kind::kText, std::move(s), std::move(type));
}

IncomingField Field(std::string column, std::optional<Value> old_value,
                    std::optional<Value> new_value) {
  return IncomingField{std::move(column), std::move(old_value), std::move(new_value)};
}

IncomingRow Incoming(Op op, std::string source, int64_t time_us, uint64_t seq,
                     std::vector<IncomingField> fields) {
  IncomingRow row;
  row.op = op;
  row.source = std::move(source);
  row.commit_time_us = time_us;
  row.seq = seq;
  row.fields = std::move(fields);
  return row;
}

IncomingRow Update(std::string source, int64_t time_us, uint64_t seq,
                   std::vector<IncomingField> fields) {
  return Incoming(Op::kUpdate, std::move(source), time_us, seq, std::move(fields));
}

WriterMark Writer(std::string source, int64_t time_us, uint64_t seq) {
  return WriterMark{std::move(source), time_us, seq};
}

struct Col {
  std::string name;
  Value value;
  std::optional<WriterMark> writer;
};

CurrentRow Row(std::vector<Col> cols) {
  CurrentRow row;
  row.exists = true;
  for (Col& c : cols) row.fields[c.name] = CurrentField{std::move(c.value), std::move(c.writer)};
  return row;
}

CurrentRow Missing() { return CurrentRow{}; }

RuleSet Rules(RuleKind kind) {
  Rule rule;
  rule.kind = kind;
  return RuleSet(rule);
}

// Reconciles a one-field delta and returns that field's decision.
FieldDecision One(const IncomingRow& in, const CurrentRow& current, const RuleSet& rules) {
  Result<RowDecision> d = Reconcile(in, current, rules);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  if (!d.ok() || d->fields.size() != 1) return FieldDecision{};
  return d->fields[0];
}

#define EXPECT_APPLY(decision, expected)                                         \
  do {                                                                           \
    const FieldDecision& d_ = (decision);                                        \
    const Value& e_ = (expected);                                                \
    EXPECT_EQ(d_.action, FieldAction::kApply) << d_.column << ": " << d_.reason; \
    EXPECT_EQ(d_.value.kind, e_.kind) << DescribeValue(d_.value);                \
    EXPECT_TRUE(d_.value.SameValue(e_))                                          \
        << "got " << DescribeValue(d_.value) << ", want " << DescribeValue(e_);  \
  } while (0)
#define EXPECT_KEEP(decision) EXPECT_EQ((decision).action, FieldAction::kKeep) << (decision).reason
#define EXPECT_HELD(decision) \
  EXPECT_EQ((decision).action, FieldAction::kConflict) << (decision).reason

// ---------------------------------------------------------------- overwrite

TEST(ReconcilerTest, OverwriteAlwaysApplies) {
  RuleSet rules = Rules(RuleKind::kOverwrite);
  CurrentRow row = Row({{"status", Text("booked"), Writer(kLegacy, 500, 9)}});
  // Older, another source, stale old value: still applied, conflict noted.
  FieldDecision d = One(
      Update(kScheduling, 100, 10, {Field("status", Text("open"), Text("closed"))}), row, rules);
  EXPECT_APPLY(d, Text("closed"));
  EXPECT_NE(d.conflict.find("differs from the target's current value 'booked'"), std::string::npos)
      << d.conflict;
  EXPECT_APPLY(
      One(Update(kScheduling, 100, 10, {Field("status", std::nullopt, Value::Null())}), row, rules),
      Value::Null());
}

// ---------------------------------------------------------------- last_writer_wins

TEST(ReconcilerTest, LastWriterWinsByCommitTime) {
  RuleSet rules;  // default rule: last_writer_wins
  CurrentRow row = Row({{"status", Text("booked"), Writer(kLegacy, 1000, 5)}});
  EXPECT_APPLY(
      One(Update(kScheduling, 1001, 7, {Field("status", std::nullopt, Text("open"))}), row, rules),
      Text("open"));
  FieldDecision older =
      One(Update(kScheduling, 999, 7, {Field("status", std::nullopt, Text("open"))}), row, rules);
  EXPECT_KEEP(older);
  EXPECT_EQ(older.reason,
            "older than the field's last write by parks.legacy (seq 5, committed "
            "1970-01-01T00:00:00.001000Z)");
  EXPECT_EQ(older.conflict,
            "last written by another source, parks.legacy (seq 5, committed "
            "1970-01-01T00:00:00.001000Z)");
}

TEST(ReconcilerTest, LastWriterWinsTiesGoToTheHigherSourceName) {
  RuleSet rules;
  CurrentRow row = Row({{"status", Text("booked"), Writer(kLegacy, 1000, 5)}});
  // "parks.scheduling" > "parks.legacy": applies on a tie.
  EXPECT_APPLY(
      One(Update(kScheduling, 1000, 7, {Field("status", std::nullopt, Text("open"))}), row, rules),
      Text("open"));
  // "parks.habitat" < "parks.legacy": kept on a tie.
  FieldDecision lower =
      One(Update(kHabitat, 1000, 7, {Field("status", std::nullopt, Text("open"))}), row, rules);
  EXPECT_KEEP(lower);
  EXPECT_NE(lower.reason.find("same commit time"), std::string::npos) << lower.reason;
  // The same source at the same time with a newer seq: applies.
  EXPECT_APPLY(
      One(Update(kLegacy, 1000, 6, {Field("status", std::nullopt, Text("open"))}), row, rules),
      Text("open"));
}

TEST(ReconcilerTest, LastWriterWinsWithoutAWriterAndWithNulls) {
  RuleSet rules;
  // Loaded by hand (no last writer): any change applies.
  CurrentRow by_hand = Row({{"status", Text("booked"), std::nullopt}});
  EXPECT_APPLY(
      One(Update(kLegacy, 1, 1, {Field("status", std::nullopt, Text("open"))}), by_hand, rules),
      Text("open"));
  // An incoming NULL is a value like any other.
  CurrentRow row = Row({{"status", Text("booked"), Writer(kLegacy, 1000, 5)}});
  EXPECT_APPLY(One(Update(kScheduling, 2000, 7, {Field("status", Text("booked"), Value::Null())}),
                   row, rules),
               Value::Null());
  // A NULL current value with a newer writer still wins by time.
  CurrentRow null_row = Row({{"status", Value::Null(), Writer(kLegacy, 3000, 5)}});
  EXPECT_KEEP(One(Update(kScheduling, 2000, 7, {Field("status", std::nullopt, Text("open"))}),
                  null_row, rules));
}

// ---------------------------------------------------------------- last_writer_wins by a column

RuleSet ByUpdatedAt() {
  Rule rule;
  rule.kind = RuleKind::kLastWriterWins;
  rule.by_column = "updated_at";
  return RuleSet(rule);
}

TEST(ReconcilerTest, LastWriterWinsByColumnComparesTheRowTimestamp) {
  RuleSet rules = ByUpdatedAt();
  CurrentRow row = Row({{"status", Text("booked"), Writer(kLegacy, 9000, 5)},
                        {"updated_at", Text("2026-11-27T10:00:00Z"), Writer(kLegacy, 9000, 5)}});
  // Older commit time, newer updated_at (10:00:00.5 sorts after 10:00:00Z as an instant).
  Result<RowDecision> newer =
      Reconcile(Update(kScheduling, 100, 7,
                       {Field("status", std::nullopt, Text("open")),
                        Field("updated_at", std::nullopt, Text("2026-11-27T10:00:00.5Z"))}),
                row, rules);
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(newer->action, RowAction::kUpdate);
  EXPECT_APPLY(*newer->Find("status"), Text("open"));
  EXPECT_APPLY(*newer->Find("updated_at"), Text("2026-11-27T10:00:00.5Z"));

  // Newer commit time, older updated_at: kept.
  Result<RowDecision> older =
      Reconcile(Update(kScheduling, 99999, 7,
                       {Field("status", std::nullopt, Text("open")),
                        Field("updated_at", std::nullopt, Text("2026-11-27T09:59:59.999999Z"))}),
                row, rules);
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older->action, RowAction::kNone);
  EXPECT_KEEP(*older->Find("status"));
  EXPECT_EQ(older->Find("status")->reason,
            "incoming updated_at '2026-11-27T09:59:59.999999Z' is older than the target's "
            "'2026-11-27T10:00:00Z'");
}

TEST(ReconcilerTest, LastWriterWinsByColumnTiesAndGaps) {
  RuleSet rules = ByUpdatedAt();
  CurrentRow row = Row({{"status", Text("booked"), Writer(kLegacy, 9000, 5)},
                        {"updated_at", Text("2026-11-27 10:00:00+00"), Writer(kLegacy, 9000, 5)}});
  auto with_ts = [](const std::string& source, Value ts) {
    return Update(source, 100, 7,
                  {Field("status", std::nullopt, Text("open")),
                   Field("updated_at", std::nullopt, std::move(ts))});
  };
  // Same instant written differently: a tie, broken by source name.
  Result<RowDecision> higher =
      Reconcile(with_ts(kScheduling, Text("2026-11-27T10:00:00Z")), row, rules);
  ASSERT_TRUE(higher.ok());
  EXPECT_APPLY(*higher->Find("status"), Text("open"));
  Result<RowDecision> lower =
      Reconcile(with_ts(kHabitat, Text("2026-11-27T10:00:00Z")), row, rules);
  ASSERT_TRUE(lower.ok());
  EXPECT_KEEP(*lower->Find("status"));
  // Incoming NULL timestamp against a set one: kept.
  Result<RowDecision> null_ts = Reconcile(with_ts(kScheduling, Value::Null()), row, rules);
  ASSERT_TRUE(null_ts.ok());
  EXPECT_KEEP(*null_ts->Find("status"));
  // Incomparable timestamps: held for review.
  Result<RowDecision> bad = Reconcile(with_ts(kScheduling, Value::Bool(true)), row, rules);
  ASSERT_TRUE(bad.ok());
  EXPECT_HELD(*bad->Find("status"));
  // The change does not carry updated_at: falls back to commit times (100 < 9000).
  FieldDecision no_ts =
      One(Update(kScheduling, 100, 7, {Field("status", std::nullopt, Text("open"))}), row, rules);
  EXPECT_KEEP(no_ts);
  EXPECT_NE(no_ts.reason.find("does not carry updated_at"), std::string::npos) << no_ts.reason;
  // The target's updated_at is NULL: the incoming one wins.
  CurrentRow null_current = Row({{"status", Text("booked"), Writer(kLegacy, 9000, 5)},
                                 {"updated_at", Value::Null(), std::nullopt}});
  Result<RowDecision> fills =
      Reconcile(with_ts(kHabitat, Text("2000-01-01T00:00:00Z")), null_current, rules);
  ASSERT_TRUE(fills.ok());
  EXPECT_APPLY(*fills->Find("status"), Text("open"));
}

// ---------------------------------------------------------------- first_writer_wins

TEST(ReconcilerTest, FirstWriterWins) {
  RuleSet rules = Rules(RuleKind::kFirstWriterWins);
  // Never written by a change (loaded by hand): the first change applies.
  EXPECT_APPLY(One(Update(kLegacy, 1, 1, {Field("created_by", std::nullopt, Text("ann"))}),
                   Row({{"created_by", Text("dba"), std::nullopt}}), rules),
               Text("ann"));
  // Written once: later changes are kept out, from any source, the first writer included.
  CurrentRow row = Row({{"created_by", Text("ann"), Writer(kLegacy, 1, 1)}});
  FieldDecision other =
      One(Update(kScheduling, 5, 2, {Field("created_by", Text("ann"), Text("bob"))}), row, rules);
  EXPECT_KEEP(other);
  EXPECT_EQ(other.reason,
            "first written by parks.legacy (seq 1, committed 1970-01-01T00:00:00.000001Z)");
  EXPECT_KEEP(
      One(Update(kLegacy, 5, 2, {Field("created_by", Text("ann"), Text("bob"))}), row, rules));
  // A missing row: the first write.
  EXPECT_APPLY(One(Incoming(Op::kInsert, kScheduling, 5, 2,
                            {Field("created_by", std::nullopt, Text("bob"))}),
                   Missing(), rules),
               Text("bob"));
}

// ---------------------------------------------------------------- source_priority

RuleSet Priority(std::vector<std::string> order) {
  Rule rule;
  rule.kind = RuleKind::kSourcePriority;
  rule.order = std::move(order);
  return RuleSet(rule);
}

TEST(ReconcilerTest, SourcePriorityFollowsTheOrder) {
  RuleSet rules = Priority({"legacy", "scheduling"});
  auto status_from = [](const std::string& source) {
    return Update(source, 100, 50, {Field("status", std::nullopt, Text("x"))});
  };
  CurrentRow by_scheduling = Row({{"status", Text("s"), Writer(kScheduling, 900, 9)}});
  CurrentRow by_legacy = Row({{"status", Text("l"), Writer(kLegacy, 900, 9)}});
  CurrentRow by_habitat = Row({{"status", Text("h"), Writer(kHabitat, 900, 9)}});
  CurrentRow by_hand = Row({{"status", Text("d"), std::nullopt}});
  // Higher over lower, and equal (same source): applies, whatever the times.
  EXPECT_APPLY(One(status_from(kLegacy), by_scheduling, rules), Text("x"));
  EXPECT_APPLY(One(status_from(kScheduling), by_scheduling, rules), Text("x"));
  // Lower over higher: kept.
  FieldDecision lower = One(status_from(kScheduling), by_legacy, rules);
  EXPECT_KEEP(lower);
  EXPECT_EQ(lower.reason,
            "parks.scheduling ranks below the field's last writer parks.legacy (seq 9, committed "
            "1970-01-01T00:00:00.000900Z) in the source_priority order");
  // A source not in the order ranks below every listed one...
  EXPECT_KEEP(One(status_from(kHabitat), by_scheduling, rules));
  EXPECT_APPLY(One(status_from(kScheduling), by_habitat, rules), Text("x"));
  // ...and equal to another unlisted one.
  EXPECT_APPLY(One(status_from("other.habitat2"), by_habitat, rules), Text("x"));
  // No last writer: applies.
  EXPECT_APPLY(One(status_from(kHabitat), by_hand, rules), Text("x"));
  // An entry may name the qualified source: it then matches that bridge only.
  RuleSet qualified = Priority({"parks.scheduling", "legacy"});
  EXPECT_APPLY(One(status_from(kScheduling), by_legacy, qualified), Text("x"));
  EXPECT_KEEP(One(status_from("zoo.scheduling"), by_legacy, qualified));
}

// ---------------------------------------------------------------- max / min

TEST(ReconcilerTest, MaxAppliesOnlyGreaterValues) {
  RuleSet rules = Rules(RuleKind::kMax);
  auto in = [](Value v) { return Update(kLegacy, 100, 50, {Field("peak", std::nullopt, v)}); };
  CurrentRow row = Row({{"peak", Text("12.50", "numeric"), Writer(kScheduling, 900, 9)}});
  EXPECT_APPLY(One(in(Value::Int(13)), row, rules), Value::Int(13));
  EXPECT_APPLY(One(in(Text("12.500000000000000000001")), row, rules),
               Text("12.500000000000000000001"));
  EXPECT_APPLY(One(in(Value::Float(12.51)), row, rules), Value::Float(12.51));
  FieldDecision equal = One(in(Value::Float(12.5)), row, rules);
  EXPECT_KEEP(equal);
  EXPECT_EQ(equal.reason, "12.5 is not greater than the current '12.50'");
  EXPECT_KEEP(One(in(Value::Int(12)), row, rules));
  EXPECT_KEEP(One(in(Text("-1000")), row, rules));
  // NULL: any value beats NULL; NULL never replaces a value.
  EXPECT_KEEP(One(in(Value::Null()), row, rules));
  CurrentRow null_row = Row({{"peak", Value::Null(), Writer(kScheduling, 900, 9)}});
  EXPECT_APPLY(One(in(Value::Int(-5)), null_row, rules), Value::Int(-5));
  // Text against a number: held, never a crash.
  FieldDecision mismatch =
      One(in(Text("lots")), Row({{"peak", Value::Int(3), std::nullopt}}), rules);
  EXPECT_HELD(mismatch);
  EXPECT_EQ(mismatch.reason, "cannot compare incoming 'lots' with current 3 (type mismatch)");
  EXPECT_EQ(mismatch.value.text, "lots");
}

TEST(ReconcilerTest, MinStringsAndTimestamps) {
  RuleSet rules = Rules(RuleKind::kMin);
  auto in = [](Value v) { return Update(kLegacy, 100, 50, {Field("first", std::nullopt, v)}); };
  CurrentRow name = Row({{"first", Text("banana", "text"), std::nullopt}});
  EXPECT_APPLY(One(in(Text("apple")), name, rules), Text("apple"));
  EXPECT_APPLY(One(in(Text("Zebra")), name, rules), Text("Zebra"));  // bytewise: 'Z' < 'b'
  EXPECT_KEEP(One(in(Text("cherry")), name, rules));
  CurrentRow seen = Row({{"first", Text("2026-11-27T10:00:00.5Z"), std::nullopt}});
  EXPECT_APPLY(One(in(Text("2026-11-27T10:00:00Z")), seen, rules), Text("2026-11-27T10:00:00Z"));
  EXPECT_KEEP(One(in(Text("2026-11-27T10:00:01Z")), seen, rules));
  // Mixed integer kinds: -1 < 0 (UInt).
  EXPECT_APPLY(One(in(Value::Int(-1)), Row({{"first", Value::UInt(0), std::nullopt}}), rules),
               Value::Int(-1));
  // A missing row takes the value.
  EXPECT_APPLY(
      One(Incoming(Op::kInsert, kLegacy, 1, 1, {Field("first", std::nullopt, Value::Int(9))}),
          Missing(), rules),
      Value::Int(9));
}

// ---------------------------------------------------------------- additive

TEST(ReconcilerTest, AdditiveAddsTheIncrementToTheCurrentValue) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  CurrentRow row = Row({{"seats", Value::Int(10, "int4"), Writer(kScheduling, 900, 9)}});
  // Another source, a stale old value: still counts, as current + (new - old).
  FieldDecision d =
      One(Update(kLegacy, 100, 50, {Field("seats", Value::Int(3), Value::Int(5))}), row, rules);
  EXPECT_APPLY(d, Value::Int(12, "int4"));
  EXPECT_FALSE(d.conflict.empty());
  // Decrements.
  EXPECT_APPLY(
      One(Update(kLegacy, 100, 50, {Field("seats", Value::Int(5), Value::Int(1))}), row, rules),
      Value::Int(6, "int4"));
}

TEST(ReconcilerTest, AdditiveExactDecimals) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  auto in = [](Value old_v, Value new_v) {
    return Update(kLegacy, 100, 50, {Field("amount", std::move(old_v), std::move(new_v))});
  };
  CurrentRow row = Row({{"amount", Text("12.50", "numeric"), std::nullopt}});
  EXPECT_APPLY(One(in(Text("1.05"), Text("3.1")), row, rules), Text("14.55", "numeric"));
  // Negative result, different scales.
  EXPECT_APPLY(One(in(Text("100"), Text("0.001")), row, rules), Text("-87.499", "numeric"));
  // Large precision, beyond any double and any int64.
  CurrentRow big =
      Row({{"amount", Value::Textual(Kind::kDecimal, "12345678901234567890.000000001", "numeric"),
            std::nullopt}});
  EXPECT_APPLY(One(in(Text("0.000000001"), Text("99999999999999999999.000000002")), big, rules),
               Value::Textual(Kind::kDecimal, "112345678901234567889.000000002", "numeric"));
  // A JSON integer increment on a NUMERIC value.
  EXPECT_APPLY(One(in(Value::Int(1), Value::Int(4)), row, rules), Text("15.50", "numeric"));
}

TEST(ReconcilerTest, AdditiveFloats) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  CurrentRow row = Row({{"temp", Value::Float(1.5), std::nullopt}});
  EXPECT_APPLY(One(Update(kLegacy, 1, 1, {Field("temp", Value::Float(0.25), Value::Float(1.0))}),
                   row, rules),
               Value::Float(2.25));
  // A float increment on a column read as text: computed in double.
  CurrentRow text_row = Row({{"temp", Text("1.5"), std::nullopt}});
  EXPECT_APPLY(One(Update(kLegacy, 1, 1, {Field("temp", Value::Float(0.5), Value::Float(1.0))}),
                   text_row, rules),
               Value::Float(2.0, ""));
  // Overflow to infinity: held.
  CurrentRow huge = Row({{"temp", Value::Float(1.7e308), std::nullopt}});
  EXPECT_HELD(One(Update(kLegacy, 1, 1, {Field("temp", Value::Float(0), Value::Float(1.7e308))}),
                  huge, rules));
}

TEST(ReconcilerTest, AdditiveDetectsIntegerOverflow) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  CurrentRow row = Row({{"n", Value::Int(INT64_MAX - 1), std::nullopt}});
  EXPECT_APPLY(One(Update(kLegacy, 1, 1, {Field("n", Value::Int(0), Value::Int(1))}), row, rules),
               Value::Int(INT64_MAX));
  FieldDecision over =
      One(Update(kLegacy, 1, 1, {Field("n", Value::Int(0), Value::Int(2))}), row, rules);
  EXPECT_HELD(over);
  EXPECT_EQ(over.reason,
            "additive: 9223372036854775806 + (2 - 0) = 9223372036854775808 overflows "
            "int8");
  CurrentRow low = Row({{"n", Value::Int(INT64_MIN), std::nullopt}});
  EXPECT_HELD(One(Update(kLegacy, 1, 1, {Field("n", Value::Int(1), Value::Int(0))}), low, rules));
  // The column's own width: int4 overflows at 2^31.
  CurrentRow int4 = Row({{"n", Value::Int(2147483647, "int4"), std::nullopt}});
  EXPECT_HELD(One(Update(kLegacy, 1, 1, {Field("n", Value::Int(0), Value::Int(1))}), int4, rules));
  // Text read from an int8 column, big values arriving as digit strings.
  CurrentRow text_int8 = Row({{"n", Text("9223372036854775800", "int8"), std::nullopt}});
  EXPECT_APPLY(
      One(Update(kLegacy, 1, 1, {Field("n", Text("9007199254740993"), Text("9007199254741000"))}),
          text_int8, rules),
      Text("9223372036854775807", "int8"));
  EXPECT_HELD(
      One(Update(kLegacy, 1, 1, {Field("n", Value::Int(0), Value::Int(8))}), text_int8, rules));
  // Unsigned never goes below zero.
  CurrentRow unsigned_row = Row({{"n", Value::UInt(1), std::nullopt}});
  EXPECT_HELD(
      One(Update(kLegacy, 1, 1, {Field("n", Value::Int(5), Value::Int(3))}), unsigned_row, rules));
  // A fraction in an integer column.
  FieldDecision fraction = One(Update(kLegacy, 1, 1, {Field("n", Value::Int(0), Text("1.5"))}),
                               Row({{"n", Value::Int(1, "int8"), std::nullopt}}), rules);
  EXPECT_HELD(fraction);
  EXPECT_EQ(fraction.reason, "additive: the new value '1.5' is not an integer (column int8)");
}

TEST(ReconcilerTest, AdditiveTypeMismatchIsAConflict) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  FieldDecision d = One(Update(kLegacy, 1, 1, {Field("n", Value::Int(1), Text("many"))}),
                        Row({{"n", Value::Int(4), std::nullopt}}), rules);
  EXPECT_HELD(d);
  EXPECT_EQ(d.reason, "additive: the new value 'many' is not a number");
  EXPECT_EQ(d.value.text, "many");
  EXPECT_HELD(One(Update(kLegacy, 1, 1, {Field("n", Value::Int(1), Value::Int(2))}),
                  Row({{"n", Text("abc"), std::nullopt}}), rules));
  EXPECT_HELD(One(Update(kLegacy, 1, 1, {Field("n", Value::Int(1), Value::Int(2))}),
                  Row({{"n", Value::Bool(true), std::nullopt}}), rules));
}

TEST(ReconcilerTest, AdditiveBaselineMissingOldAndNulls) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  // First write to a missing row: the new value.
  Result<RowDecision> first =
      Reconcile(Incoming(Op::kInsert, kLegacy, 1, 1, {Field("n", std::nullopt, Value::Int(7))}),
                Missing(), rules);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->action, RowAction::kInsert);
  EXPECT_APPLY(first->fields[0], Value::Int(7));
  // Insert or snapshot of a row the target has: the current value is the baseline.
  CurrentRow row = Row({{"n", Value::Int(10), Writer(kScheduling, 1, 1)}});
  for (Op op : {Op::kInsert, Op::kSnapshot}) {
    Result<RowDecision> d = Reconcile(
        Incoming(op, kLegacy, 5, 5, {Field("n", std::nullopt, Value::Int(3))}), row, rules);
    ASSERT_TRUE(d.ok());
    EXPECT_KEEP(d->fields[0]);
    EXPECT_EQ(d->action, RowAction::kNone);
  }
  // ...unless the field is NULL and was never written by a change.
  EXPECT_APPLY(
      One(Incoming(Op::kSnapshot, kLegacy, 5, 5, {Field("n", std::nullopt, Value::Int(3))}),
          Row({{"n", Value::Null(), std::nullopt}}), rules),
      Value::Int(3));
  // An update without a before-image: no increment can be computed.
  FieldDecision no_old =
      One(Update(kLegacy, 5, 5, {Field("n", std::nullopt, Value::Int(3))}), row, rules);
  EXPECT_HELD(no_old);
  EXPECT_NE(no_old.reason.find("before-image"), std::string::npos);
  // NULL current and NULL old count as zero.
  EXPECT_APPLY(One(Update(kLegacy, 5, 5, {Field("n", Value::Int(2), Value::Int(5))}),
                   Row({{"n", Value::Null("int4"), Writer(kLegacy, 1, 1)}}), rules),
               Value::Int(3));
  EXPECT_APPLY(One(Update(kLegacy, 5, 5, {Field("n", Value::Null(), Value::Int(5))}), row, rules),
               Value::Int(15));
  // A NULL new value: applied only when the old value matches the target.
  EXPECT_APPLY(One(Update(kLegacy, 5, 5, {Field("n", Value::Int(10), Value::Null())}), row, rules),
               Value::Null());
  EXPECT_HELD(One(Update(kLegacy, 5, 5, {Field("n", Value::Int(9), Value::Null())}), row, rules));
}

// Three sources increment one counter; each source sees only its own writes
// (stale old values), and the deltas arrive interleaved. Every increment counts.
TEST(ReconcilerTest, AdditiveConcurrentIncrementsFromThreeSourcesAllCount) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  const std::string sources[] = {kLegacy, kScheduling, kHabitat};
  int64_t source_view[] = {100, 100, 100};  // each source's own copy of the counter
  CurrentRow row = Row({{"seats", Value::Int(100), std::nullopt}});
  const int64_t increments[][2] = {{0, 5},  {1, 3}, {2, -2}, {0, 1},  {0, 7}, {2, 10},
                                   {1, -4}, {2, 1}, {1, 2},  {0, -3}, {2, 6}, {1, 9}};
  int64_t total = 0;
  uint64_t seq = 0;
  for (const auto& [who, delta] : increments) {
    int64_t old_v = source_view[who];
    source_view[who] += delta;
    total += delta;
    ++seq;
    Result<RowDecision> d =
        Reconcile(Update(sources[who], static_cast<int64_t>(1000 - seq), seq,
                         {Field("seats", Value::Int(old_v), Value::Int(source_view[who]))}),
                  row, rules);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->fields[0].action, FieldAction::kApply) << d->fields[0].reason;
    row.fields["seats"] = CurrentField{d->fields[0].value, d->writer};
  }
  EXPECT_EQ(total, 35);
  EXPECT_TRUE(row.fields["seats"].value.SameValue(Value::Int(100 + total)));
}

TEST(ReconcilerTest, AdditiveConcurrentDecimalIncrements) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  CurrentRow row = Row({{"balance", Text("0.00", "numeric(12,2)"), std::nullopt}});
  struct Step {
    std::string source, old_v, new_v;
  };
  const Step steps[] = {{kLegacy, "0.00", "10.10"},    {kScheduling, "0", "0.05"},
                        {kHabitat, "0.000", "-3.333"}, {kLegacy, "10.10", "10.11"},
                        {kScheduling, "0.05", "0.00"}, {kHabitat, "-3.333", "100"}};
  uint64_t seq = 0;
  for (const Step& s : steps) {
    Result<RowDecision> d = Reconcile(
        Update(s.source, 1, ++seq, {Field("balance", Text(s.old_v), Text(s.new_v))}), row, rules);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->fields[0].action, FieldAction::kApply) << d->fields[0].reason;
    row.fields["balance"] = CurrentField{d->fields[0].value, d->writer};
  }
  // 10.11 + 0 + 100: scales 2 and 3 met on the way, so the text has 3 decimals.
  EXPECT_EQ(row.fields["balance"].value.text, "110.110");
}

// ---------------------------------------------------------------- keep_target

TEST(ReconcilerTest, KeepTarget) {
  RuleSet rules = Rules(RuleKind::kKeepTarget);
  auto in = [] {
    return Update(kLegacy, 1, 1, {Field("note", std::nullopt, Text("from source"))});
  };
  EXPECT_APPLY(One(in(), Row({{"note", Value::Null(), Writer(kScheduling, 9, 9)}}), rules),
               Text("from source"));
  EXPECT_APPLY(One(in(), Row({}), rules), Text("from source"));  // column absent: NULL
  FieldDecision kept = One(in(), Row({{"note", Text("set by hand"), std::nullopt}}), rules);
  EXPECT_KEEP(kept);
  EXPECT_EQ(kept.reason, "the target owns the value once set (keep_target); current 'set by hand'");
}

// ---------------------------------------------------------------- manual

TEST(ReconcilerTest, ManualAppliesWithoutAConflictAndHoldsOne) {
  RuleSet rules = Rules(RuleKind::kManual);
  CurrentRow row = Row({{"notes", Text("a"), Writer(kLegacy, 100, 5)}});
  // Same source, later time, old value matches: no conflict.
  FieldDecision clean =
      One(Update(kLegacy, 200, 6, {Field("notes", Text("a"), Text("b"))}), row, rules);
  EXPECT_APPLY(clean, Text("b"));
  EXPECT_EQ(clean.conflict, "");
  // The old value differs from the target (semantically: 12 vs "12.0" would not).
  FieldDecision stale =
      One(Update(kLegacy, 200, 6, {Field("notes", Text("z"), Text("b"))}), row, rules);
  EXPECT_HELD(stale);
  EXPECT_EQ(stale.reason, "old value 'z' differs from the target's current value 'a'");
  EXPECT_TRUE(stale.value.SameValue(Text("b")));
  // Last written by another source.
  FieldDecision other =
      One(Update(kScheduling, 200, 6, {Field("notes", Text("a"), Text("b"))}), row, rules);
  EXPECT_HELD(other);
  EXPECT_EQ(other.reason,
            "last written by another source, parks.legacy (seq 5, committed "
            "1970-01-01T00:00:00.000100Z)");
  // Last written at a later time by the same source.
  EXPECT_HELD(One(Update(kLegacy, 50, 6, {Field("notes", Text("a"), Text("b"))}), row, rules));
  // No before-image and no writer: nothing to conflict with.
  EXPECT_APPLY(One(Update(kLegacy, 50, 6, {Field("notes", std::nullopt, Text("b"))}),
                   Row({{"notes", Text("a"), std::nullopt}}), rules),
               Text("b"));
  // Loose types: int 12 as old value against "12.0" read from a numeric column.
  EXPECT_APPLY(One(Update(kLegacy, 50, 6, {Field("qty", Value::Int(12), Value::Int(13))}),
                   Row({{"qty", Text("12.0", "numeric"), std::nullopt}}), rules),
               Value::Int(13));
  // An old value on a missing row is a conflict too.
  EXPECT_HELD(
      One(Update(kLegacy, 50, 6, {Field("notes", Text("a"), Text("b"))}), Missing(), rules));
  // A change that agrees with the target is no conflict, whoever wrote last
  // (the same edit on both sides, or two sources' snapshots of one row).
  FieldDecision agrees =
      One(Update(kScheduling, 200, 6, {Field("notes", Text("z"), Text("a"))}), row, rules);
  EXPECT_APPLY(agrees, Text("a"));
  EXPECT_EQ(agrees.conflict, "");
}

// ---------------------------------------------------------------- rows and merging

TEST(ReconcilerTest, NonConflictingFieldsFromTwoSourcesMerge) {
  RuleSet rules = Rules(RuleKind::kManual);
  CurrentRow row = Row({{"status", Text("open"), Writer(kLegacy, 100, 1)},
                        {"notes", Text(""), Writer(kScheduling, 100, 2)}});
  // legacy changes status, scheduling changes notes, concurrently.
  Result<RowDecision> a = Reconcile(
      Update(kLegacy, 200, 3, {Field("status", Text("open"), Text("booked"))}), row, rules);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->action, RowAction::kUpdate);
  EXPECT_APPLY(a->fields[0], Text("booked"));
  row.fields["status"] = CurrentField{a->fields[0].value, a->writer};
  Result<RowDecision> b = Reconcile(
      Update(kScheduling, 150, 4, {Field("notes", Text(""), Text("bring water"))}), row, rules);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->action, RowAction::kUpdate);
  EXPECT_APPLY(b->fields[0], Text("bring water"));
  row.fields["notes"] = CurrentField{b->fields[0].value, b->writer};
  EXPECT_EQ(row.fields["status"].value.text, "booked");
  EXPECT_EQ(row.fields["status"].last_writer->source, kLegacy);
  EXPECT_EQ(row.fields["notes"].value.text, "bring water");
  EXPECT_EQ(row.fields["notes"].last_writer->source, kScheduling);
  EXPECT_EQ(row.fields["notes"].last_writer->seq, 4u);
}

TEST(ReconcilerTest, PerColumnRulesAndRowActions) {
  RuleSet rules;  // default last_writer_wins
  Rule additive;
  additive.kind = RuleKind::kAdditive;
  rules.Set("seats", additive);
  Rule manual;
  manual.kind = RuleKind::kManual;
  rules.Set("notes", manual);
  EXPECT_EQ(rules.For("seats").kind, RuleKind::kAdditive);
  EXPECT_EQ(rules.For("status").kind, RuleKind::kLastWriterWins);

  CurrentRow row = Row({{"status", Text("open"), Writer(kLegacy, 500, 1)},
                        {"seats", Value::Int(4), Writer(kLegacy, 500, 1)},
                        {"notes", Text("x"), Writer(kLegacy, 500, 1)}});
  Result<RowDecision> d = Reconcile(
      Update(kScheduling, 400, 9,
             {Field("status", Text("open"), Text("closed")),
              Field("seats", Value::Int(0), Value::Int(2)), Field("notes", Text("x"), Text("y"))}),
      row, rules);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, RowAction::kUpdate);
  EXPECT_KEEP(*d->Find("status"));                 // older commit time
  EXPECT_APPLY(*d->Find("seats"), Value::Int(6));  // increments always count
  EXPECT_HELD(*d->Find("notes"));                  // another source wrote it
  EXPECT_TRUE(d->HasConflicts());
  EXPECT_EQ(d->writer.source, kScheduling);
  EXPECT_EQ(d->writer.commit_time_us, 400);
  EXPECT_EQ(d->writer.seq, 9u);

  // Snapshot of a missing row: insert, every field applied.
  Result<RowDecision> snap = Reconcile(Incoming(Op::kSnapshot, kLegacy, 1, 1,
                                                {Field("status", std::nullopt, Text("open")),
                                                 Field("seats", std::nullopt, Value::Int(0))}),
                                       Missing(), rules);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->action, RowAction::kInsert);
  EXPECT_FALSE(snap->HasConflicts());
}

TEST(ReconcilerTest, SnapshotOverAnExistingRow) {
  RuleSet rules;
  Rule additive;
  additive.kind = RuleKind::kAdditive;
  rules.Set("seats", additive);
  CurrentRow row = Row({{"status", Text("booked"), Writer(kScheduling, 5000, 40)},
                        {"seats", Value::Int(12), Writer(kScheduling, 5000, 40)}});
  // An older snapshot from legacy: last_writer_wins keeps the newer status; the
  // counter keeps its baseline.
  Result<RowDecision> d = Reconcile(Incoming(Op::kSnapshot, kLegacy, 4000, 41,
                                             {Field("status", std::nullopt, Text("open")),
                                              Field("seats", std::nullopt, Value::Int(3))}),
                                    row, rules);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, RowAction::kNone);
  EXPECT_KEEP(*d->Find("status"));
  EXPECT_KEEP(*d->Find("seats"));
  // A newer snapshot: status applies, seats still keeps the baseline.
  Result<RowDecision> newer = Reconcile(Incoming(Op::kSnapshot, kLegacy, 6000, 42,
                                                 {Field("status", std::nullopt, Text("open")),
                                                  Field("seats", std::nullopt, Value::Int(3))}),
                                        row, rules);
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(newer->action, RowAction::kUpdate);
  EXPECT_APPLY(*newer->Find("status"), Text("open"));
  EXPECT_KEEP(*newer->Find("seats"));
}

TEST(ReconcilerTest, RedeliveredDeltaIsNeverCountedTwice) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  CurrentRow row = Row({{"n", Value::Int(10), Writer(kLegacy, 100, 7)}});
  for (uint64_t seq : {7u, 6u}) {
    FieldDecision d =
        One(Update(kLegacy, 100, seq, {Field("n", Value::Int(5), Value::Int(10))}), row, rules);
    EXPECT_KEEP(d);
    EXPECT_EQ(d.reason, "already applied: the field was last written by seq 7 of the same source");
  }
  EXPECT_APPLY(
      One(Update(kLegacy, 100, 8, {Field("n", Value::Int(10), Value::Int(11))}), row, rules),
      Value::Int(11));
}

TEST(ReconcilerTest, FieldWithoutANewValueIsLeftAlone) {
  FieldDecision d = One(Update(kLegacy, 1, 1, {Field("n", Value::Int(1), std::nullopt)}),
                        Row({{"n", Value::Int(1), std::nullopt}}), RuleSet());
  EXPECT_KEEP(d);
}

TEST(ReconcilerTest, RejectsDeletesTruncatesAndBadInput) {
  RuleSet rules;
  for (Op op : {Op::kDelete, Op::kTruncate}) {
    Result<RowDecision> d = Reconcile(Incoming(op, kLegacy, 1, 1, {}), Row({}), rules);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
  }
  EXPECT_FALSE(Reconcile(Update("", 1, 1, {}), Row({}), rules).ok());
  Result<RowDecision> twice = Reconcile(
      Update(kLegacy, 1, 1,
             {Field("a", std::nullopt, Value::Int(1)), Field("a", std::nullopt, Value::Int(2))}),
      Row({}), rules);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "reconcile: column a appears twice");
}

TEST(ReconcilerTest, QualifiedSourceAndNames) {
  EXPECT_EQ(QualifiedSource("parks", "legacy"), "parks.legacy");
  EXPECT_EQ(FieldActionName(FieldAction::kConflict), "conflict");
  EXPECT_EQ(RowActionName(RowAction::kInsert), "insert");
}

// ---------------------------------------------------------------- AdditiveSum directly

// ---------------------------------------------------------------- own-node deltas

// The target's own database is node legacy.main; its bridge `legacy` reports
// the local writes back as own-node deltas (docs/two-way.md, "The own node").
const std::string kOwn = "legacy.main";

// ReconcileOwn on a one-field delta: that field's decision.
FieldDecision Own(const IncomingRow& in, const CurrentRow& current, const RuleSet& rules) {
  Result<RowDecision> d = ReconcileOwn(in, current, rules);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  if (!d.ok() || d->fields.size() != 1) return FieldDecision{};
  EXPECT_EQ(d->action,
            d->fields[0].action == FieldAction::kApply ? RowAction::kUpdate : RowAction::kNone);
  return d->fields[0];
}

IncomingRow OwnSet(std::string column, int64_t time_us, uint64_t seq, Value old_value,
                   Value new_value) {
  return Update(kOwn, time_us, seq,
                {Field(std::move(column), std::move(old_value), std::move(new_value))});
}

#define EXPECT_RECORD(decision) \
  EXPECT_EQ((decision).action, FieldAction::kRecord) << (decision).reason

TEST(ReconcileOwnTest, ALocalWriteThatStandsIsRecordedWhenNewer) {
  RuleSet rules;  // last_writer_wins
  // f = 2 locally at 2000; the target still holds 2, last written by scheduling at 1000.
  CurrentRow row = Row({{"f", Value::Int(2), Writer(kScheduling, 1000, 4)}});
  EXPECT_RECORD(Own(OwnSet("f", 2000, 9, Value::Int(0), Value::Int(2)), row, rules));
  // Older than the recorded writer: nothing to do.
  FieldDecision older = Own(OwnSet("f", 500, 9, Value::Int(0), Value::Int(2)), row, rules);
  EXPECT_KEEP(older);
  EXPECT_NE(older.reason.find("the local write stands; the field's last writer parks.scheduling"),
            std::string::npos)
      << older.reason;
  // Never written by a change: recorded.
  EXPECT_RECORD(Own(OwnSet("f", 1, 9, Value::Int(0), Value::Int(2)),
                    Row({{"f", Value::Int(2), std::nullopt}}), rules));
  // Values compare by meaning (12 equals "12.0").
  EXPECT_RECORD(Own(OwnSet("f", 2000, 9, Value::Int(0), Value::Int(12)),
                    Row({{"f", Text("12.0", "numeric"), Writer(kScheduling, 1000, 4)}}), rules));
}

TEST(ReconcileOwnTest, CrossedWritesUnderLastWriterWins) {
  RuleSet rules;
  // Node b wrote f = 2 at t2 = 2000; a's older f = 1 (t1 = 1000) arrived
  // before b's own delta and was applied.
  CurrentRow at_b = Row({{"f", Value::Int(1), Writer("a.main", 1000, 3)}});
  FieldDecision back = Own(OwnSet("f", 2000, 9, Value::Int(0), Value::Int(2)), at_b, rules);
  EXPECT_APPLY(back, Value::Int(2));  // written back
  // Node a: its own f = 1 (t1) arrives after b's newer f = 2 (t2) was applied.
  CurrentRow at_a = Row({{"f", Value::Int(2), Writer("b.main", 2000, 7)}});
  FieldDecision stays = Own(OwnSet("f", 1000, 9, Value::Int(0), Value::Int(1)), at_a, rules);
  EXPECT_KEEP(stays);
  EXPECT_NE(stays.reason.find("a later write from elsewhere stands over the local write"),
            std::string::npos)
      << stays.reason;
}

TEST(ReconcileOwnTest, SourcePriorityWeighsTheOwnSourceByItsRank) {
  Rule rule;
  rule.kind = RuleKind::kSourcePriority;
  rule.order = {"scheduling", "main"};  // the own source ranks below scheduling
  RuleSet below(rule);
  rule.order = {"main", "scheduling"};
  RuleSet above(rule);
  CurrentRow overwritten = Row({{"f", Value::Int(1), Writer(kScheduling, 1000, 3)}});
  CurrentRow standing = Row({{"f", Value::Int(2), Writer(kScheduling, 1000, 3)}});
  // Commit times do not matter, only the rank.
  EXPECT_KEEP(Own(OwnSet("f", 9000, 9, Value::Int(0), Value::Int(2)), overwritten, below));
  EXPECT_KEEP(Own(OwnSet("f", 9000, 9, Value::Int(0), Value::Int(2)), standing, below));
  EXPECT_APPLY(Own(OwnSet("f", 1, 9, Value::Int(0), Value::Int(2)), overwritten, above),
               Value::Int(2));
  EXPECT_RECORD(Own(OwnSet("f", 1, 9, Value::Int(0), Value::Int(2)), standing, above));
}

TEST(ReconcileOwnTest, FirstWriterWinsRecordsOnlyTheFirstWrite) {
  RuleSet rules = Rules(RuleKind::kFirstWriterWins);
  EXPECT_RECORD(Own(OwnSet("f", 1000, 9, Value::Null(), Text("ann")),
                    Row({{"f", Text("ann"), std::nullopt}}), rules));
  EXPECT_KEEP(Own(OwnSet("f", 1000, 9, Value::Null(), Text("ann")),
                  Row({{"f", Text("bob"), Writer(kScheduling, 500, 3)}}), rules));
}

TEST(ReconcileOwnTest, AdditiveIsNeverWrittenTheIncrementIsInTheRowAlready) {
  RuleSet rules = Rules(RuleKind::kAdditive);
  // 10 -> 11 locally at 1000; scheduling's +2 (10 -> 12 at 2000) made it 13 since.
  CurrentRow row = Row({{"n", Value::Int(13), Writer(kScheduling, 2000, 4)}});
  EXPECT_KEEP(Own(OwnSet("n", 1000, 9, Value::Int(10), Value::Int(11)), row, rules));
  // A newer local increment: recorded as the last writer, the value untouched.
  EXPECT_RECORD(Own(OwnSet("n", 3000, 9, Value::Int(10), Value::Int(11)), row, rules));
}

TEST(ReconcileOwnTest, ManualAndOverwriteOnlyRecord) {
  for (RuleKind kind : {RuleKind::kManual, RuleKind::kOverwrite}) {
    RuleSet rules = Rules(kind);
    CurrentRow row = Row({{"f", Text("theirs"), Writer(kScheduling, 1000, 4)}});
    FieldDecision d = Own(OwnSet("f", 2000, 9, Text("x"), Text("mine")), row, rules);
    EXPECT_RECORD(d);  // never written, never held
    EXPECT_KEEP(Own(OwnSet("f", 500, 9, Text("x"), Text("mine")), row, rules));
    EXPECT_RECORD(Own(OwnSet("f", 2000, 9, Text("x"), Text("theirs")), row, rules));
  }
}

TEST(ReconcileOwnTest, MaxMinAndKeepTargetDecideAsForAChange) {
  CurrentRow row = Row({{"f", Value::Int(5), Writer(kScheduling, 1000, 4)}});
  EXPECT_APPLY(Own(OwnSet("f", 500, 9, Value::Int(0), Value::Int(7)), row, Rules(RuleKind::kMax)),
               Value::Int(7));
  EXPECT_KEEP(Own(OwnSet("f", 500, 9, Value::Int(0), Value::Int(3)), row, Rules(RuleKind::kMax)));
  EXPECT_APPLY(Own(OwnSet("f", 500, 9, Value::Int(0), Value::Int(3)), row, Rules(RuleKind::kMin)),
               Value::Int(3));
  // A value that cannot be compared is not held: the other value stays.
  FieldDecision text =
      Own(OwnSet("f", 500, 9, Value::Int(0), Text("lots")), row, Rules(RuleKind::kMax));
  EXPECT_KEEP(text);
  EXPECT_NE(text.reason.find("not written back: cannot compare"), std::string::npos) << text.reason;
  // The value the target holds, under max: recorded when newer.
  EXPECT_RECORD(
      Own(OwnSet("f", 2000, 9, Value::Int(0), Value::Int(5)), row, Rules(RuleKind::kMax)));
  EXPECT_KEEP(
      Own(OwnSet("f", 2000, 9, Value::Int(0), Text("mine")), row, Rules(RuleKind::kKeepTarget)));
}

TEST(ReconcileOwnTest, NeverInsertsNorRecordsTwice) {
  RuleSet rules;
  Result<RowDecision> missing =
      ReconcileOwn(Incoming(Op::kInsert, kOwn, 1000, 9, {Field("f", std::nullopt, Value::Int(1))}),
                   Missing(), rules);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->action, RowAction::kNone);
  EXPECT_KEEP(missing->fields[0]);
  EXPECT_NE(missing->fields[0].reason.find("never inserts"), std::string::npos);
  // Already recorded by this seq or a later one of the same source.
  CurrentRow row = Row({{"f", Value::Int(1), Writer(kOwn, 1000, 9)}});
  EXPECT_KEEP(Own(OwnSet("f", 1000, 9, Value::Int(0), Value::Int(1)), row, rules));
  EXPECT_KEEP(Own(OwnSet("f", 900, 8, Value::Int(0), Value::Int(3)), row, rules));
  // The next local write of the same field is recorded (it stands) or written back.
  EXPECT_RECORD(Own(OwnSet("f", 1100, 10, Value::Int(0), Value::Int(1)), row, rules));
  EXPECT_KEEP(Own(Update(kOwn, 1100, 10, {Field("f", Value::Int(1), std::nullopt)}), row, rules));
  EXPECT_FALSE(ReconcileOwn(Incoming(Op::kDelete, kOwn, 1, 1, {}), row, rules).ok());
  EXPECT_EQ(FieldActionName(FieldAction::kRecord), "record");
}

// A last writer whose value the sink stored (a target with a node).
WriterMark StoredWriter(std::string source, int64_t time_us, uint64_t seq, Value value) {
  WriterMark w = Writer(std::move(source), time_us, seq);
  w.value = std::move(value);
  return w;
}

#define EXPECT_RESTORE(decision, expected, expected_writer)                        \
  do {                                                                             \
    const FieldDecision& restored_ = (decision);                                   \
    EXPECT_APPLY(restored_, expected);                                             \
    ASSERT_TRUE(restored_.writer.has_value());                                     \
    EXPECT_EQ(restored_.writer->source, (expected_writer).source);                 \
    EXPECT_EQ(restored_.writer->seq, (expected_writer).seq);                       \
    EXPECT_EQ(restored_.writer->commit_time_us, (expected_writer).commit_time_us); \
  } while (0)

// docs/two-way.md, "The own node": node M (MariaDB) got S's status 'open'
// (committed at 25.7 s); then M's application set 'booked', whose binlog
// time reads 25.0 s. S keeps 'open' (M's change is older); M must too.
TEST(ReconcileOwnTest, ALocalWriteThatLosesByTheRuleGetsTheWinnersValueBack) {
  RuleSet rules;  // last_writer_wins by commit time
  const WriterMark s = StoredWriter("s.main", 25'700'000, 4, Text("open"));
  CurrentRow at_m = Row({{"status", Text("booked"), s}});
  Result<RowDecision> d =
      ReconcileOwn(OwnSet("status", 25'000'000, 9, Text("open"), Text("booked")), at_m, rules);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->action, RowAction::kUpdate);
  EXPECT_RESTORE(d->fields[0], Text("open"), s);
  EXPECT_FALSE(d->fields[0].cannot_restore);
  // The mirror: the local write is the newer one; it stands and is recorded.
  FieldDecision newer =
      Own(OwnSet("status", 26'000'000, 9, Text("open"), Text("booked")), at_m, rules);
  EXPECT_RECORD(newer);
  EXPECT_FALSE(newer.writer.has_value());
  // The local write gave the winner's value: nothing to write.
  EXPECT_KEEP(Own(OwnSet("status", 25'000'000, 9, Text("x"), Text("open")),
                  Row({{"status", Text("open"), s}}), rules));
}

TEST(ReconcileOwnTest, WithoutAStoredValueTheLocalValueStaysAndIsCounted) {
  RuleSet rules;
  CurrentRow row = Row({{"status", Text("booked"), Writer("s.main", 25'700'000, 4)}});
  FieldDecision d = Own(OwnSet("status", 25'000'000, 9, Text("open"), Text("booked")), row, rules);
  EXPECT_KEEP(d);
  EXPECT_TRUE(d.cannot_restore);
  EXPECT_NE(d.reason.find("not stored, so it cannot be written back"), std::string::npos)
      << d.reason;
  // Newer: recorded, nothing to restore.
  FieldDecision newer =
      Own(OwnSet("status", 26'000'000, 9, Text("open"), Text("booked")), row, rules);
  EXPECT_RECORD(newer);
  EXPECT_FALSE(newer.cannot_restore);
}

TEST(ReconcileOwnTest, EachRuleThatPicksAWinnerRestoresIt) {
  const WriterMark x = StoredWriter(kScheduling, 1000, 4, Value::Int(5));
  CurrentRow row = Row({{"f", Value::Int(3), x}});
  CurrentRow row7 = Row({{"f", Value::Int(7), x}});
  // first_writer_wins: the first writer owns the field, whenever the local write was.
  EXPECT_RESTORE(Own(OwnSet("f", 9000, 9, Value::Int(5), Value::Int(3)), row,
                     Rules(RuleKind::kFirstWriterWins)),
                 Value::Int(5), x);
  // source_priority: by the rank only.
  Rule rule;
  rule.kind = RuleKind::kSourcePriority;
  rule.order = {"scheduling", "main"};
  EXPECT_RESTORE(Own(OwnSet("f", 9000, 9, Value::Int(5), Value::Int(3)), row, RuleSet(rule)),
                 Value::Int(5), x);
  rule.order = {"main", "scheduling"};
  EXPECT_RECORD(Own(OwnSet("f", 1, 9, Value::Int(5), Value::Int(3)), row, RuleSet(rule)));
  // max and min: by the values, whatever the commit times.
  EXPECT_RESTORE(
      Own(OwnSet("f", 9000, 9, Value::Int(5), Value::Int(3)), row, Rules(RuleKind::kMax)),
      Value::Int(5), x);
  EXPECT_RECORD(Own(OwnSet("f", 1, 9, Value::Int(5), Value::Int(7)), row7, Rules(RuleKind::kMax)));
  EXPECT_RESTORE(
      Own(OwnSet("f", 9000, 9, Value::Int(5), Value::Int(7)), row7, Rules(RuleKind::kMin)),
      Value::Int(5), x);
  EXPECT_RECORD(Own(OwnSet("f", 1, 9, Value::Int(5), Value::Int(3)), row, Rules(RuleKind::kMin)));
  // additive, manual, overwrite: never written, as before.
  for (RuleKind kind : {RuleKind::kAdditive, RuleKind::kManual, RuleKind::kOverwrite}) {
    SCOPED_TRACE(std::string(RuleKindName(kind)));
    FieldDecision d = Own(OwnSet("f", 500, 9, Value::Int(5), Value::Int(3)), row, Rules(kind));
    EXPECT_KEEP(d);
    EXPECT_FALSE(d.cannot_restore);
    EXPECT_RECORD(Own(OwnSet("f", 2000, 9, Value::Int(5), Value::Int(3)), row, Rules(kind)));
  }
}

TEST(ReconcileOwnTest, LastWriterWinsByAColumnRestoresTheRowWithTheLaterTimestamp) {
  Rule rule;
  rule.kind = RuleKind::kLastWriterWins;
  rule.by_column = "changed_at";
  RuleSet rules(rule);
  const Value theirs_at = Text("2026-11-27T10:00:25.700000Z", "timestamptz");
  const WriterMark f_by_x = StoredWriter(kScheduling, 1000, 4, Text("theirs"));
  const WriterMark at_by_x = StoredWriter(kScheduling, 1000, 4, theirs_at);
  // The local write set f and changed_at, in whole seconds.
  auto own = [](const char* at) {
    return Update(kOwn, 900, 9,
                  {Field("f", Text("theirs"), Text("mine")),
                   Field("changed_at", Text("2026-11-27T10:00:25.700000Z"), Text(at))});
  };
  CurrentRow older = Row({{"f", Text("mine"), f_by_x},
                          {"changed_at", Text("2026-11-27T10:00:25Z", "timestamptz"), at_by_x}});
  Result<RowDecision> d = ReconcileOwn(own("2026-11-27T10:00:25Z"), older, rules);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->action, RowAction::kUpdate);
  EXPECT_RESTORE(d->fields[0], Text("theirs"), f_by_x);
  EXPECT_RESTORE(d->fields[1], theirs_at, at_by_x);
  // A later row timestamp wins, whatever the commit times: recorded.
  CurrentRow newer = Row({{"f", Text("mine"), f_by_x},
                          {"changed_at", Text("2026-11-27T10:00:26Z", "timestamptz"), at_by_x}});
  d = ReconcileOwn(own("2026-11-27T10:00:26Z"), newer, rules);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->action, RowAction::kNone);
  EXPECT_RECORD(d->fields[0]);
  EXPECT_RECORD(d->fields[1]);
}

TEST(AdditiveSumTest, ResultTypesFollowTheReference) {
  Result<Value> a = AdditiveSum(Value::Null(), Value::Null(), Text("2.50"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, Kind::kText);
  EXPECT_EQ(a->text, "2.50");
  Result<Value> b = AdditiveSum(Value::UInt(18446744073709551610u), Value::Int(0), Value::Int(5));
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->SameValue(Value::UInt(18446744073709551615u)));
  EXPECT_FALSE(AdditiveSum(Value::UInt(18446744073709551615u), Value::Int(0), Value::Int(1)).ok());
  Result<Value> c = AdditiveSum(Text("-0.5"), Text("1e2"), Text("100.25"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->text, "-0.25");
  EXPECT_FALSE(AdditiveSum(Value::Int(1), Value::Int(0), Value::Null()).ok());
  Result<Value> nan = AdditiveSum(Value::Float(1), Value::Float(0), Text("NaN"));
  ASSERT_TRUE(nan.ok());
  EXPECT_TRUE(std::isnan(nan->d));
}

}  // namespace
}  // namespace deltabridge
