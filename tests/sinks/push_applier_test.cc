// Unit tests of PushApplier (sinks/push_applier.h) and the outcome the SQL
// target records for it (SqlTarget::Outcome), through a FakeSqlSession: real
// SQL on an in-memory SQLite database. What each line became (applied, kept
// fields, a conflict and its id, rejected, suppressed), what the target then
// holds, and that the sink's checkpoint is never touched.
//
// The same against real PostgreSQL and MariaDB, through the binary:
// tests/integration/push_test.cc.
#include "sinks/push_applier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sinks/sql/sql_target.h"
#include "tests/sinks/sql/fake_sql_session.h"

namespace deltabridge {
namespace {

using testing::FakeDatabase;
using testing::Fault;

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
  type: odbc
  node: sched.main
  dsn: "Driver=unused"
mappings:
  - from: parks.legacy.BOOKINGS
    to: slots
    key: [slot_id]
    columns: {BOOKING_ID: slot_id, STATUS: status}
    rules:
      notes: manual
)",
                                              "sink.yaml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : SinkConfig{};
}

class PushApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Exec("CREATE TABLE slots (slot_id INTEGER PRIMARY KEY, status TEXT, seats "
                         "INTEGER CHECK (seats >= 0), notes TEXT)")
                    .ok());
    config_ = Config();
    ASSERT_EQ(config_.mappings.size(), 1u);
  }

  // An applier pushing as `node`, started.
  std::unique_ptr<PushApplier> Applier(const std::string& node = "app.web") {
    SqlTargetOptions o;
    o.record_outcomes = true;
    auto target = std::make_unique<SqlTarget>(config_, db_.Factory(), o);
    Result<std::unique_ptr<SqlSession>> session = db_.Factory()();
    EXPECT_TRUE(session.ok());
    Result<TargetTableInfo> table = (*session)->DescribeTable("slots");
    EXPECT_TRUE(table.ok());
    auto applier = std::make_unique<PushApplier>(config_, config_.mappings.front(), node,
                                                 std::move(target), *table);
    Status s = applier->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return applier;
  }

  // The result line of `line` pushed as input line `number`.
  std::string Push(PushApplier& applier, const std::string& line, uint64_t number = 1) {
    Result<PushOutcome> out = applier.Push(line);
    if (!out.ok()) return "error: " + out.status().ToString();
    return PushOutcomeJson(number, *out);
  }

  std::string Rows(const std::string& sql) {
    Result<std::vector<SqlRow>> rows = db_.Query(sql);
    if (!rows.ok()) return rows.status().ToString();
    std::string out;
    for (const SqlRow& r : *rows) {
      for (size_t i = 0; i < r.size(); ++i) out += (i > 0 ? "|" : "") + r[i].value_or("NULL");
      out += "\n";
    }
    return out;
  }

  FakeDatabase db_;
  SinkConfig config_;
};

TEST(PushOutcomeJsonTest, OneObjectPerResult) {
  EXPECT_EQ(PushOutcomeJson(1, {}), R"({"line":1,"result":"applied"})");
  EXPECT_EQ(PushOutcomeJson(2, {PushResult::kApplied, {"STATUS", "a\"b"}, {}, ""}),
            R"({"line":2,"result":"applied","kept":["STATUS","a\"b"]})");
  EXPECT_EQ(PushOutcomeJson(3, {PushResult::kConflict, {}, {17}, ""}),
            R"({"line":3,"result":"conflict","conflict_id":17})");
  EXPECT_EQ(
      PushOutcomeJson(4, {PushResult::kConflict, {"seats"}, {17, 18}, ""}),
      R"({"line":4,"result":"conflict","conflict_id":17,"conflict_ids":[17,18],"kept":["seats"]})");
  EXPECT_EQ(PushOutcomeJson(5, {PushResult::kRejected, {}, {}, "op is \"x\""}),
            R"({"line":5,"result":"rejected","why":"op is \"x\""})");
  EXPECT_EQ(PushOutcomeJson(6, {PushResult::kSuppressed, {}, {}, "its path"}),
            R"({"line":6,"result":"suppressed","why":"its path"})");
}

TEST(FindPushMappingTest, ByTargetTableAndWhenAmbiguousByFrom) {
  Result<SinkConfig> config = ParseSinkConfig(R"(sink:
  name: sched
  state_dir: /tmp/unused
subscribe:
  - bridge: parks
    publish: tcp://127.0.0.1:5556
    replay: tcp://127.0.0.1:5557
    topics: ["parks."]
target:
  type: odbc
  dsn: "Driver=unused"
mappings:
  - from: parks.legacy.BOOKINGS
    to: slots
    key: [slot_id]
  - from: parks.scheduling.public.slots
    to: slots
    key: [slot_id]
  - from: parks.scheduling.public.rangers
    to: rangers
    key: [id]
)",
                                              "sink.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  Result<const MappingConfig*> m = FindPushMapping(*config, "rangers", "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->from, "parks.scheduling.public.rangers");
  m = FindPushMapping(*config, "slots", "");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "sink sched has 2 mappings to slots (from parks.legacy.BOOKINGS, "
            "parks.scheduling.public.slots): pick one with --from");
  m = FindPushMapping(*config, "slots", "parks.legacy.BOOKINGS");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->from, "parks.legacy.BOOKINGS");
  m = FindPushMapping(*config, "public.slots", "");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(m.status().message(),
            "sink sched has no mapping to public.slots: expected the `to` of one of its "
            "mappings: slots, rangers");
  EXPECT_EQ(DefaultPushNode(*config), "push.sched");
}

TEST_F(PushApplierTest, EachLineSaysWhatBecameOfIt) {
  auto applier = Applier();
  // An insert, then an update that wins (newer than the insert).
  EXPECT_EQ(
      Push(
          *applier,
          R"({"op":"insert","key":{"BOOKING_ID":1},"changes":{"STATUS":{"new":"open"},"seats":{"new":4},"notes":{"new":"a"}},"ts":"2026-11-27T10:00:00Z"})"),
      R"({"line":1,"result":"applied"})");
  EXPECT_EQ(
      Push(
          *applier,
          R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"STATUS":{"old":"open","new":"booked"}},"ts":"2026-11-27T10:00:05Z"})",
          2),
      R"({"line":2,"result":"applied"})");
  EXPECT_EQ(Rows("SELECT slot_id, status, seats, notes FROM slots"), "1|booked|4|a\n");
  // The writer is the pushing node.
  EXPECT_NE(Rows("SELECT writers FROM deltabridge_row_writers").find("\"source\":\"app.web\""),
            std::string::npos)
      << Rows("SELECT writers FROM deltabridge_row_writers");

  // Older than the field's last write: last_writer_wins keeps it (named as
  // the line names it); seats, newer, is applied.
  EXPECT_EQ(
      Push(
          *applier,
          R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"STATUS":{"new":"closed"},"seats":{"new":2}},"ts":"2026-11-27T10:00:01Z"})",
          3),
      R"({"line":3,"result":"applied","kept":["STATUS"]})");
  EXPECT_EQ(Rows("SELECT status, seats FROM slots"), "booked|2\n")
      << "seats was written at 10:00:00, so 10:00:01 wins";

  // manual: the old value differs from the target's: held, with the id
  // `deltabridge conflicts` shows.
  const std::string held = Push(
      *applier,
      R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"notes":{"old":"z","new":"b"}}})", 4);
  const std::string id = Rows("SELECT id FROM deltabridge_conflicts");
  ASSERT_EQ(std::count(id.begin(), id.end(), '\n'), 1) << id;
  EXPECT_EQ(held,
            R"({"line":4,"result":"conflict","conflict_id":)" + id.substr(0, id.size() - 1) + "}");
  EXPECT_EQ(Rows("SELECT sink, column_name, kind, source FROM deltabridge_conflicts"),
            "sched|notes|field|app.web\n");
  EXPECT_EQ(Rows("SELECT notes FROM slots"), "a\n");

  // Checkpoints: none written (a push is not a bridge stream).
  EXPECT_EQ(Rows("SELECT count(*) FROM deltabridge_checkpoints"), "0\n");
}

TEST_F(PushApplierTest, ARejectedLineLeavesNothingBehind) {
  auto applier = Applier();
  const std::string before = Rows("SELECT count(*) FROM deltabridge_conflicts");
  // Malformed.
  EXPECT_EQ(
      Push(*applier, "{oops"),
      R"({"line":1,"result":"rejected","why":"not JSON (at byte 2): expected a JSON object like {\"op\":\"update\",\"key\":{\"id\":42},\"changes\":{\"status\":{\"old\":\"open\",\"new\":\"booked\"}}}"})");
  // A value the column cannot take (the engine's conversion).
  std::string r = Push(
      *applier, R"({"op":"insert","key":{"BOOKING_ID":2},"changes":{"seats":{"new":"many"}}})", 2);
  EXPECT_EQ(r.rfind(R"({"line":2,"result":"rejected","why":")", 0), 0u) << r;
  EXPECT_NE(r.find("many"), std::string::npos) << r;
  // A row the database refuses (CHECK seats >= 0).
  r = Push(*applier, R"({"op":"insert","key":{"BOOKING_ID":3},"changes":{"seats":{"new":-1}}})", 3);
  EXPECT_EQ(r.rfind(R"({"line":3,"result":"rejected","why":"the target refused it: )", 0), 0u) << r;
  EXPECT_EQ(Rows("SELECT count(*) FROM slots"), "0\n");
  EXPECT_EQ(Rows("SELECT count(*) FROM deltabridge_conflicts"), before);
  // The next line is applied as usual.
  EXPECT_EQ(
      Push(*applier, R"({"op":"insert","key":{"BOOKING_ID":3},"changes":{"seats":{"new":1}}})", 4),
      R"({"line":4,"result":"applied"})");
}

TEST_F(PushApplierTest, APathHoldingTheTargetsNodeIsSuppressed) {
  auto applier = Applier();
  EXPECT_EQ(
      Push(
          *applier,
          R"({"op":"insert","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}},"origin":["a.b","sched.main"]})"),
      R"({"line":1,"result":"suppressed","why":"its path [a.b, sched.main] already holds the target's node sched.main: the change has been there"})");
  EXPECT_EQ(Rows("SELECT count(*) FROM slots"), "0\n");
  // Pushing as the target's own node: the same.
  auto own = Applier("sched.main");
  EXPECT_EQ(Push(*own, R"({"op":"insert","key":{"BOOKING_ID":1},"changes":{}})")
                .rfind(R"({"line":1,"result":"suppressed")", 0),
            0u);
  // Another path is applied.
  EXPECT_EQ(
      Push(
          *applier,
          R"({"op":"insert","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}},"origin":["a.b"]})"),
      R"({"line":1,"result":"applied"})");
}

TEST_F(PushApplierTest, EveryLineIsNewerThanTheLastOfItsNode) {
  auto applier = Applier();
  // Two pushes with one commit time: the second is not taken for the first
  // delivered again (the engine's duplicate guard compares seqs).
  const std::string ts = R"(,"ts":"2026-11-27T10:00:00Z"})";
  EXPECT_EQ(
      Push(*applier, R"({"op":"insert","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}})" + ts),
      R"({"line":1,"result":"applied"})");
  EXPECT_EQ(
      Push(*applier, R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"seats":{"new":2}})" + ts),
      R"({"line":1,"result":"applied"})");
  // A second applier (a later `deltabridge push`) too.
  auto later = Applier();
  EXPECT_EQ(
      Push(*later, R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"seats":{"new":3}})" + ts),
      R"({"line":1,"result":"applied"})");
  EXPECT_EQ(Rows("SELECT seats FROM slots"), "3\n");
}

TEST_F(PushApplierTest, ALostConnectionIsRetriedOnceOnANewOne) {
  auto applier = Applier();
  int faults = 1;
  db_.fault = [&](std::string_view sql) -> std::optional<Fault> {
    if (faults > 0 && sql.find("INSERT INTO \"slots\"") != std::string_view::npos) {
      --faults;
      return Fault{Status::Unavailable("connection lost"), false};
    }
    return std::nullopt;
  };
  EXPECT_EQ(
      Push(*applier, R"({"op":"insert","key":{"BOOKING_ID":1},"changes":{"seats":{"new":1}}})"),
      R"({"line":1,"result":"applied"})");
  EXPECT_EQ(faults, 0) << "the fault never struck";
  EXPECT_EQ(Rows("SELECT slot_id, seats FROM slots"), "1|1\n");
  // Twice in a row: the target failed; nothing of the line stays.
  faults = 2;
  Result<PushOutcome> out =
      applier->Push(R"({"op":"insert","key":{"BOOKING_ID":2},"changes":{"seats":{"new":1}}})");
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.status().IsUnavailable()) << out.status().ToString();
  EXPECT_EQ(faults, 0);
  EXPECT_EQ(Rows("SELECT count(*) FROM slots"), "1\n");
}

}  // namespace
}  // namespace deltabridge
