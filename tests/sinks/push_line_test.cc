// Unit tests of the push line parser (sinks/push_line.h): what a line becomes
// (the SinkDelta the apply engine takes), and that every kind of bad line is
// InvalidArgument saying what is wrong and what is expected. No database.
#include "sinks/push_line.h"

#include <gtest/gtest.h>

#include <string>

#include "sinks/sink_config.h"

namespace deltabridge {
namespace {

constexpr int64_t kNow = 1795773600000000;  // 2026-11-27T10:00:00Z

SinkConfig Config() {
  Result<SinkConfig> config = ParseSinkConfig(R"(sink:
  name: sched
  state_dir: /tmp/unused
subscribe:
  - bridge: parks
    publish: tcp://127.0.0.1:5556
    replay: tcp://127.0.0.1:5557
    topics: ["parks."]
target:
  type: postgres
  dsn: "host=127.0.0.1 dbname=unused"
mappings:
  - from: parks.legacy.BOOKINGS
    to: public.tour_slots
    key: [slot_id]
    columns: {BOOKING_ID: slot_id, STATUS: status}
    exclude: [INTERNAL]
)",
                                              "sink.yaml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : SinkConfig{};
}

TargetTableInfo Table() {
  TargetTableInfo t;
  t.name = "public.tour_slots";
  t.columns = {{"slot_id", "int4", ColumnCategory::kInteger, false, false},
               {"status", "text", ColumnCategory::kText, true, false},
               {"seats", "int4", ColumnCategory::kInteger, true, false},
               {"notes", "text", ColumnCategory::kText, true, false}};
  t.primary_key = {"slot_id"};
  return t;
}

class PushLineTest : public ::testing::Test {
 protected:
  PushLineTest() : config_(Config()), table_(Table()) {
    route_.mapping = &config_.mappings.front();
    route_.node = "app.web";
    route_.table = &table_;
  }

  Result<SinkDelta> Parse(const std::string& line, uint64_t seq = 7) {
    return ParsePushLine(line, route_, seq, kNow);
  }
  // The message of a line that must be rejected ("" and a failure when it is not).
  std::string Why(const std::string& line) {
    Result<SinkDelta> d = Parse(line);
    EXPECT_FALSE(d.ok()) << line;
    if (d.ok()) return "";
    EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument) << d.status().ToString();
    return d.status().message();
  }

  SinkConfig config_;
  TargetTableInfo table_;
  PushRoute route_;
};

using K = Value::Kind;

TEST(PushNodePartsTest, SplitsAtTheFirstDotAndNeedsTwoParts) {
  auto parts = PushNodeParts("app.web");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->first, "app");
  EXPECT_EQ(parts->second, "web");
  parts = PushNodeParts("push.to-legacy.eu");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->first, "push");
  EXPECT_EQ(parts->second, "to-legacy.eu");
  EXPECT_FALSE(PushNodeParts("app"));
  EXPECT_FALSE(PushNodeParts("App.web"));
  EXPECT_FALSE(PushNodeParts("app..web"));
  EXPECT_FALSE(PushNodeParts(""));
}

TEST_F(PushLineTest, AnUpdateBecomesTheDeltaOfThePushingNode) {
  Result<SinkDelta> d = Parse(
      R"({"op":"update","key":{"BOOKING_ID":42},"changes":{"STATUS":{"old":"open","new":"booked"},"seats":{"new":3}}})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->mapping, route_.mapping);
  EXPECT_EQ(d->topic, "app.web.public.tour_slots");
  EXPECT_FALSE(d->self);
  EXPECT_EQ(d->delta.seq, 7u);
  // Qualified source and path are the node itself.
  EXPECT_EQ(d->delta.bridge, "app");
  const Change& c = d->delta.change;
  EXPECT_EQ(c.source, "web");
  EXPECT_EQ(CapturingNode(d->delta.bridge, c), "app.web");
  EXPECT_EQ(DeltaPath(d->delta.bridge, c), std::vector<std::string>{"app.web"});
  EXPECT_EQ(c.op, Op::kUpdate);
  EXPECT_EQ(c.commit_time_us, kNow);
  EXPECT_TRUE(c.tx_last);
  // Columns keep the source's names: the engine renames them.
  ASSERT_EQ(c.key.size(), 1u);
  EXPECT_EQ(c.key[0].first, "BOOKING_ID");
  EXPECT_EQ(c.key[0].second.kind, K::kInt);
  EXPECT_EQ(c.key[0].second.i, 42);
  ASSERT_EQ(c.changes.size(), 2u);
  EXPECT_EQ(c.changes[0].name, "STATUS");
  ASSERT_TRUE(c.changes[0].old_value && c.changes[0].new_value);
  EXPECT_EQ(c.changes[0].old_value->text, "open");
  EXPECT_EQ(c.changes[0].new_value->text, "booked");
  EXPECT_EQ(c.changes[1].name, "seats");
  EXPECT_FALSE(c.changes[1].old_value);
  EXPECT_EQ(c.changes[1].new_value->i, 3);
  EXPECT_TRUE(c.origin.empty());
  EXPECT_TRUE(c.ref.empty());
}

TEST_F(PushLineTest, TsAndOriginAreTakenWhenGiven) {
  Result<SinkDelta> d = Parse(
      R"({"op":"insert","key":{"BOOKING_ID":1},"changes":{"STATUS":{"new":null},"notes":{"new":"x"}},"ts":"2026-11-27T09:00:00.5Z","origin":["parks.legacy","hub.main"]})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const Change& c = d->delta.change;
  EXPECT_EQ(c.commit_time_us, kNow - 3600 * int64_t{1000000} + 500000);
  EXPECT_EQ(c.origin, (std::vector<std::string>{"parks.legacy", "hub.main"}));
  EXPECT_EQ(DeltaPath(d->delta.bridge, c), c.origin);
  EXPECT_TRUE(c.changes[0].new_value->is_null());
}

TEST_F(PushLineTest, ARefIsThePushs) {
  Result<SinkDelta> d = Parse(
      R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}},"ref":"app:17"})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->delta.change.ref, "app:17");
  EXPECT_TRUE(d->delta.change.origin.empty());  // the path is still the node's
  d = Parse(
      R"({"ref":"x","op":"insert","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}},"origin":["parks.legacy"]})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->delta.change.ref, "x");
  EXPECT_EQ(d->delta.change.origin, std::vector<std::string>{"parks.legacy"});
  const std::string longest(200, 'r');
  d = Parse(R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}},"ref":")" +
            longest + "\"}");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->delta.change.ref, longest);
}

TEST_F(PushLineTest, ARefIsPrintableAsciiOfAtMost200) {
  const std::string line = R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}})";
  const std::string expected =
      R"(: expected a string of 1 to 200 printable ASCII characters, like "app:17")";
  EXPECT_EQ(Why(line + R"(,"ref":17})"), "ref is a number" + expected);
  EXPECT_EQ(Why(line + R"(,"ref":null})"), "ref is null" + expected);
  EXPECT_EQ(Why(line + R"(,"ref":["a"]})"), "ref is an array" + expected);
  EXPECT_EQ(Why(line + R"(,"ref":""})"), "ref is \"\"" + expected);
  EXPECT_EQ(Why(line + R"(,"ref":"a\tb"})"), "ref is \"a\\tb\"" + expected);
  EXPECT_EQ(Why(line + R"(,"ref":"\u00e9"})"), "ref is \"\u00e9\"" + expected);
  EXPECT_EQ(Why(line + R"(,"ref":")" + std::string(201, 'r') + "\"}"),
            "ref is \"" + std::string(64, 'r') + "...\"" + expected);
}

TEST_F(PushLineTest, DeletesCarryOldValuesOrNone) {
  Result<SinkDelta> d =
      Parse(R"({"op":"delete","key":{"BOOKING_ID":1},"changes":{"STATUS":{"old":"open"}}})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->delta.change.op, Op::kDelete);
  d = Parse(R"({"op":"delete","key":{"BOOKING_ID":1},"changes":{}})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->delta.change.changes.empty());
}

TEST_F(PushLineTest, AnExcludedColumnIsTakenAndLeftToTheEngine) {
  Result<SinkDelta> d =
      Parse(R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"INTERNAL":{"new":"x"}}})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->delta.change.changes.size(), 1u);
}

TEST_F(PushLineTest, WithoutATableEveryColumnNameIsTaken) {
  route_.table = nullptr;
  EXPECT_TRUE(Parse(R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"nope":{"new":1}}})").ok());
}

TEST_F(PushLineTest, NotJsonOrNotAnObjectSaysWhatALineIs) {
  EXPECT_EQ(
      Why("{\"op\":"),
      R"(not JSON (at byte 7): expected a JSON object like {"op":"update","key":{"id":42},"changes":{"status":{"old":"open","new":"booked"}}})");
  EXPECT_NE(Why("hello").find("not JSON (at byte 1)"), std::string::npos);
  EXPECT_NE(Why("\"\xff\"").find("not JSON"), std::string::npos);
  EXPECT_EQ(Why("[1,2]").rfind("the line is an array: expected a JSON object like", 0), 0u);
  EXPECT_EQ(Why("42").rfind("the line is a number: expected", 0), 0u);
  EXPECT_EQ(Why("null").rfind("the line is null: expected", 0), 0u);
  EXPECT_EQ(Why(R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1e400}}})"),
            "a number out of range: expected numbers a double can hold (a value that must stay "
            "exact, like a large integer or a decimal, as a string of digits)");
}

TEST_F(PushLineTest, AnOverlongLineIsRejectedUnread) {
  std::string line = R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"notes":{"new":")";
  line += std::string(kMaxPushLineBytes, 'x') + "\"}}}";
  EXPECT_EQ(Why(line),
            "the line is longer than 1048576 bytes (1 MiB): expected one change per line, at "
            "most that long");
}

TEST_F(PushLineTest, OpMustBeInsertUpdateOrDelete) {
  const std::string rest = R"(,"key":{"BOOKING_ID":1},"changes":{}})";
  EXPECT_EQ(Why(R"({"key":{"BOOKING_ID":1},"changes":{}})"),
            R"(op is missing: expected "insert", "update" or "delete")");
  EXPECT_EQ(Why(R"({"op":3)" + rest), R"(op is a number: expected "insert", "update" or "delete")");
  EXPECT_EQ(Why(R"({"op":"upsert")" + rest),
            R"(unknown op "upsert": expected "insert", "update" or "delete")");
  EXPECT_EQ(
      Why(R"({"op":"snapshot")" + rest),
      R"(op "snapshot" is not pushed (only a bridge sends it): expected "insert", "update" or "delete")");
  EXPECT_NE(Why(R"({"op":"truncate")" + rest).find(R"(op "truncate" is not pushed)"),
            std::string::npos);
}

TEST_F(PushLineTest, KeyMustBeTheMappingsKey) {
  const std::string expected =
      R"(expected an object of the mapping's key [BOOKING_ID], like {"BOOKING_ID": 42})";
  EXPECT_EQ(Why(R"({"op":"update","changes":{"seats":{"new":1}}})"), "key is missing: " + expected);
  EXPECT_EQ(Why(R"({"op":"update","key":[1],"changes":{"seats":{"new":1}}})"),
            "key is an array: " + expected);
  EXPECT_EQ(Why(R"({"op":"update","key":{},"changes":{"seats":{"new":1}}})"),
            "key is empty: " + expected);
  EXPECT_EQ(Why(R"({"op":"update","key":{"seats":1},"changes":{"seats":{"new":1}}})"),
            "key.seats is not a key column: " + expected);
  EXPECT_EQ(Why(R"({"op":"update","key":{"BOOKING_ID":null},"changes":{"seats":{"new":1}}})"),
            "key.BOOKING_ID is null: a key column needs a value");
  EXPECT_EQ(Why(R"({"op":"update","key":{"BOOKING_ID":{"a":1}},"changes":{"seats":{"new":1}}})"),
            "key.BOOKING_ID is an object: expected null, true, false, a number or a string (a "
            "JSON column as its text in a string)");
  // As for a delta from a bridge, a column that is not renamed keeps its name:
  // the target's own name of a renamed key column is taken too.
  EXPECT_TRUE(Parse(R"({"op":"update","key":{"slot_id":1},"changes":{"seats":{"new":1}}})").ok());
}

TEST_F(PushLineTest, ChangesMustHaveTheFormOfTheirOp) {
  const std::string key = R"("key":{"BOOKING_ID":1})";
  EXPECT_EQ(
      Why(R"({"op":"update",)" + key + "}"),
      R"(changes is missing: expected an object holding {"old": v, "new": v} or {"new": v} per column)");
  EXPECT_EQ(
      Why(R"({"op":"delete",)" + key + R"(,"changes":[]})"),
      R"(changes is an array: expected an object holding {"old": v} per column ({} for none))");
  EXPECT_EQ(
      Why(R"({"op":"update",)" + key + R"(,"changes":{}})"),
      R"(changes is empty: an update changes at least one column; expected an object holding {"old": v, "new": v} or {"new": v} per column)");
  EXPECT_EQ(
      Why(R"({"op":"update",)" + key + R"(,"changes":{"seats":3}})"),
      R"(changes.seats is a number: changes.seats of an update is expected as {"old": v, "new": v} or {"new": v})");
  EXPECT_EQ(
      Why(R"({"op":"update",)" + key + R"(,"changes":{"seats":{"value":3}}})"),
      R"(changes.seats holds "value": changes.seats of an update is expected as {"old": v, "new": v} or {"new": v})");
  EXPECT_EQ(Why(R"({"op":"update",)" + key + R"(,"changes":{"seats":{"old":3}}})"),
            R"(changes.seats of an update is expected as {"old": v, "new": v} or {"new": v})");
  EXPECT_EQ(Why(R"({"op":"insert",)" + key + R"(,"changes":{"seats":{"old":1,"new":3}}})"),
            R"(changes.seats of an insert is expected as {"new": v})");
  EXPECT_EQ(Why(R"({"op":"delete",)" + key + R"(,"changes":{"seats":{"new":3}}})"),
            R"(changes.seats of a delete is expected as {"old": v})");
  EXPECT_EQ(Why(R"({"op":"update",)" + key + R"(,"changes":{"seats":{"new":[3]}}})"),
            "changes.seats.new is an array: expected null, true, false, a number or a string (a "
            "JSON column as its text in a string)");
  EXPECT_EQ(Why(R"({"op":"update",)" + key + R"(,"changes":{"a b":{"new":1}}})")
                .rfind(R"(unknown column "a b" in changes)", 0),
            0u);
}

TEST_F(PushLineTest, AnUnknownColumnNamesTheColumnsThatAreKnown) {
  EXPECT_EQ(
      Why(R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"colour":{"new":"red"}}})"),
      R"(unknown column "colour" in changes: public.tour_slots has no column "colour" (mapping from parks.legacy.BOOKINGS); expected one of BOOKING_ID, STATUS, seats, notes)");
}

TEST_F(PushLineTest, TsOriginAndOtherMembers) {
  const std::string line = R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}})";
  EXPECT_EQ(
      Why(line + R"(,"ts":"2026-11-27 10:00:00"})"),
      R"(ts is "2026-11-27 10:00:00": expected the commit time in UTC, like "2026-11-27T10:00:00.123456Z")");
  EXPECT_EQ(Why(line + R"(,"ts":5})").rfind("ts is a number: expected", 0), 0u);
  const std::string origin_expected =
      ": expected a non-empty array of node names (a node name: names matching [a-z0-9_-]+ "
      "joined by dots, like parks.scheduling), the first where it happened";
  EXPECT_EQ(Why(line + R"(,"origin":"a.b"})"), "origin is a string" + origin_expected);
  EXPECT_EQ(Why(line + R"(,"origin":[]})"), "origin is empty" + origin_expected);
  EXPECT_EQ(Why(line + R"(,"origin":["a.b","Bad Node"]})"),
            "origin holds \"Bad Node\"" + origin_expected);
  EXPECT_EQ(Why(line + R"(,"origin":[1]})"), "origin holds a number" + origin_expected);
  EXPECT_EQ(
      Why(line + R"(,"seq":5})"),
      R"(unknown member "seq": a push line holds op, key, changes and optionally ts, origin and ref)");
}

}  // namespace
}  // namespace deltabridge
