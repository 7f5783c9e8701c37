// End-to-end tests of `deltabridge push` (docs/push.md): the real binary
// reading push lines on stdin and applying them through a sink's mapping into
// a real PostgreSQL 15 and a real MariaDB 10.11 (one server each for the
// suite), its stdout result lines, its exit status, and what the target then
// holds. One scenario, the same for both databases.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/bridge_harness.h"
#include "tests/integration/sink_target.h"
#include "tests/support/test_mariadb.h"
#include "tests/support/test_postgres.h"

namespace deltabridge::test {
namespace {

// What one `deltabridge push` run gave.
struct PushRun {
  int exit_code = -1;
  std::vector<std::string> lines;  // stdout, line by line
  std::string err;                 // stderr
};

// Runs `deltabridge push SINK --mapping TABLE ARGS...` with `input` on stdin.
PushRun RunPush(const TempDir& dir, const std::string& sink_file, const std::string& table,
                const std::string& input, const std::vector<std::string>& args = {}) {
  const std::string in = dir.Write("push.in", input);
  const std::string err = dir.Join("push.err");
  std::vector<std::string> argv = {"/bin/sh",
                                   "-c",
                                   "in=$1; err=$2; shift 2; exec \"$@\" <\"$in\" 2>\"$err\"",
                                   "sh",
                                   in,
                                   err,
                                   DeltabridgeBin(),
                                   "push",
                                   sink_file,
                                   "--mapping",
                                   table};
  argv.insert(argv.end(), args.begin(), args.end());
  Result<RunResult> r = RunCommand(argv, std::chrono::seconds(60));
  PushRun run;
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return run;
  EXPECT_FALSE(r->timed_out);
  run.exit_code = r->status.exit_code;
  size_t start = 0;
  while (start < r->output.size()) {
    size_t nl = r->output.find('\n', start);
    if (nl == std::string::npos) nl = r->output.size();
    run.lines.push_back(r->output.substr(start, nl - start));
    start = nl + 1;
  }
  Result<std::string> e = ReadFileToString(err);
  run.err = e.ok() ? *e : "";
  return run;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// The whole scenario against `target` (its yaml, schema and SQL helpers);
// `secret` must appear in no output (the target's password, when it has one).
void PushScenario(const SinkTarget& target, const std::string& secret) {
  TempDir dir = TempDir::CreateOrDie("dbpush-");
  const std::string table = target.schema + "slots";
  TargetSql(target, "CREATE TABLE " + table +
                        " (slot_id INT PRIMARY KEY, status VARCHAR(20), seats INT CHECK (seats >= "
                        "0), notes VARCHAR(100))");
  const std::string sink_file = dir.Write("sink.yaml", R"(sink:
  name: sched
  state_dir: )" + dir.Join("state") + R"(
subscribe:
  - bridge: parks
    publish: tcp://127.0.0.1:1
    replay: tcp://127.0.0.1:2
    topics: ["parks.legacy."]
target:
)" + target.yaml + R"(  node: sched.main
mappings:
  - from: parks.legacy.BOOKINGS
    to: )" + table + R"(
    key: [slot_id]
    columns: {BOOKING_ID: slot_id, STATUS: status}
    rules:
      notes: manual
)");

  const std::string input =
      // 1: an insert
      R"({"op":"insert","key":{"BOOKING_ID":1},"changes":{"STATUS":{"new":"open"},"seats":{"new":4},"notes":{"new":"a"}},"ts":"2026-11-27T10:00:00Z"})"
      "\n"
      // 2: an update that wins (newer)
      R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"STATUS":{"old":"open","new":"booked"}},"ts":"2026-11-27T10:00:05Z"})"
      "\n"
      // 3: blank, skipped
      "\n"
      // 4: an update the rule keeps (older than the field's last write)
      R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"STATUS":{"new":"closed"}},"ts":"2026-11-27T10:00:01Z"})"
      "\n"
      // 5: held for review (manual; the old value is not the target's)
      R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"notes":{"old":"z","new":"b"}}})"
      "\n"
      // 6: malformed
      R"({"op":"update","key":)"
      "\n"
      // 7: refused by the database (CHECK)
      R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"seats":{"old":4,"new":-1}}})"
      "\n"
      // 8: its path holds the target's node
      R"({"op":"insert","key":{"BOOKING_ID":2},"changes":{"seats":{"new":1}},"origin":["legacy.main","sched.main"]})"
      "\n"
      // 9: a column the mapping does not know
      R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"colour":{"new":"red"}}})"
      "\n"
      // 10: an op only a bridge sends (no line break at the end)
      R"({"op":"truncate","key":{"BOOKING_ID":1},"changes":{}})";
  std::string everything;  // every output, for the password check at the end
  PushRun run = RunPush(dir, sink_file, table, input);
  everything += Joined(run.lines) + run.err;
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const std::string id =
      TargetValue(target, "SELECT id FROM deltabridge_conflicts WHERE sink = 'sched'");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(run.lines.size(), 9u) << Joined(run.lines) << run.err;
  EXPECT_EQ(run.lines[0], R"({"line":1,"result":"applied"})");
  EXPECT_EQ(run.lines[1], R"({"line":2,"result":"applied"})");
  EXPECT_EQ(run.lines[2], R"({"line":4,"result":"applied","kept":["STATUS"]})");
  EXPECT_EQ(run.lines[3], R"({"line":5,"result":"conflict","conflict_id":)" + id + "}");
  EXPECT_EQ(run.lines[4].rfind(R"({"line":6,"result":"rejected","why":"not JSON (at byte )", 0), 0u)
      << run.lines[4];
  EXPECT_EQ(
      run.lines[5].rfind(R"({"line":7,"result":"rejected","why":"the target refused it: )", 0), 0u)
      << run.lines[5];
  EXPECT_EQ(
      run.lines[6],
      R"({"line":8,"result":"suppressed","why":"its path [legacy.main, sched.main] already holds the target's node sched.main: the change has been there"})");
  EXPECT_EQ(
      run.lines[7],
      R"({"line":9,"result":"rejected","why":"unknown column \"colour\" in changes: )" + table +
          R"( has no column \"colour\" (mapping from parks.legacy.BOOKINGS); expected one of BOOKING_ID, STATUS, seats, notes"})");
  EXPECT_EQ(
      run.lines[8],
      R"({"line":10,"result":"rejected","why":"op \"truncate\" is not pushed (only a bridge sends it): expected \"insert\", \"update\" or \"delete\""})");
  EXPECT_NE(run.err.find("push: 10 line(s) into"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("3 applied, 1 conflict, 4 rejected, 1 suppressed"), std::string::npos)
      << run.err;

  // The target: what was applied, nothing of what was not.
  EXPECT_EQ(TargetValue(target, "SELECT status FROM " + table + " WHERE slot_id = 1"), "booked");
  EXPECT_EQ(TargetValue(target, "SELECT seats FROM " + table + " WHERE slot_id = 1"), "4");
  EXPECT_EQ(TargetValue(target, "SELECT notes FROM " + table + " WHERE slot_id = 1"), "a");
  EXPECT_EQ(TargetValue(target, "SELECT count(*) FROM " + table), "1");
  // One conflict: the held field (a refused line leaves no record).
  EXPECT_EQ(TargetValue(target, "SELECT count(*) FROM deltabridge_conflicts"), "1");
  // The checkpoint is untouched.
  EXPECT_EQ(TargetValue(target, "SELECT count(*) FROM deltabridge_checkpoints"), "0");
  // The pushing node is the fields' last writer.
  EXPECT_NE(TargetValue(target, "SELECT writers FROM deltabridge_row_writers")
                .find(R"("source":"push.sched")"),
            std::string::npos);
  // The target has a node: what the push wrote is tagged with its path.
  EXPECT_NE(TargetValue(target, "SELECT tag FROM deltabridge_origin WHERE writer = 'sched'")
                .find(R"("path":["push.sched"])"),
            std::string::npos);
  // `deltabridge conflicts` shows the conflict under that id.
  Result<RunResult> list =
      RunCommand({DeltabridgeBin(), "conflicts", sink_file}, std::chrono::seconds(60));
  ASSERT_TRUE(list.ok());
  everything += list->output;
  EXPECT_NE(list->output.find("#" + id + " "), std::string::npos) << list->output;
  EXPECT_NE(list->output.find("from push.sched seq "), std::string::npos) << list->output;

  // Every line applied, with another node: exit 0, and that node writes.
  run =
      RunPush(dir, sink_file, table,
              R"({"op":"insert","key":{"BOOKING_ID":2},"changes":{"seats":{"new":1}}})"
              "\n"
              R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"notes":{"old":"z","new":"c"}}})"
              "\n"
              R"({"op":"delete","key":{"BOOKING_ID":2},"changes":{},"ref":"app:3"})"
              "\n",
              {"--node", "app.web"});
  everything += Joined(run.lines) + run.err;
  EXPECT_EQ(run.exit_code, 0) << Joined(run.lines) << run.err;
  ASSERT_EQ(run.lines.size(), 3u) << Joined(run.lines) << run.err;
  EXPECT_EQ(run.lines[0], R"({"line":1,"result":"applied"})");
  EXPECT_EQ(run.lines[1].rfind(R"({"line":2,"result":"conflict","conflict_id":)", 0), 0u)
      << run.lines[1];
  EXPECT_EQ(run.lines[2], R"({"line":3,"result":"applied"})");
  EXPECT_EQ(TargetValue(target, "SELECT count(*) FROM " + table), "1");
  EXPECT_EQ(TargetValue(target,
                        "SELECT count(*) FROM deltabridge_conflicts WHERE source = "
                        "'app.web'"),
            "1");
  // The last line's ref is in its tag, for the capturing bridge to publish.
  EXPECT_NE(TargetValue(target, "SELECT tag FROM deltabridge_origin WHERE writer = 'sched'")
                .find(R"("path":["app.web"],"publish":true,"ref":"app:3"})"),
            std::string::npos)
      << TargetValue(target, "SELECT tag FROM deltabridge_origin WHERE writer = 'sched'");

  // A line over 1 MiB is rejected and read past; the next one (ending in
  // CRLF) is read whole.
  run = RunPush(dir, sink_file, table,
                R"({"op":"update","key":{"BOOKING_ID":1},"changes":{"notes":{"new":")" +
                    std::string(3 << 20, 'x') + "\"}}}\n" +
                    R"({"op":"insert","key":{"BOOKING_ID":3},"changes":{"seats":{"new":2}}})" +
                    "\r\n");
  everything += run.err;
  EXPECT_EQ(run.exit_code, 1) << run.err;
  ASSERT_EQ(run.lines.size(), 2u) << run.err;
  EXPECT_EQ(
      run.lines[0],
      R"({"line":1,"result":"rejected","why":"the line is longer than 1048576 bytes (1 MiB): expected one change per line, at most that long"})");
  EXPECT_EQ(run.lines[1], R"({"line":2,"result":"applied"})");
  EXPECT_EQ(TargetValue(target, "SELECT seats FROM " + table + " WHERE slot_id = 3"), "2");

  // Usage and configuration errors: exit 2, saying what is expected.
  run = RunPush(dir, sink_file, "nope", "");
  everything += run.err;
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("sink sched has no mapping to nope: expected the `to` of one of its "
                         "mappings: " +
                         table),
            std::string::npos)
      << run.err;
  run = RunPush(dir, sink_file, table, "", {"--node", "web"});
  everything += run.err;
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("expected a node name of at least two parts"), std::string::npos)
      << run.err;

  if (!secret.empty()) {
    EXPECT_EQ(everything.find(secret), std::string::npos);
  }
}

class PgPushTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = new TestPostgres();
    Status s = pg_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << pg_->LogTail();
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }
  SinkTarget Target(const std::string& db) {
    EXPECT_TRUE(pg_->CreateDatabase(db).ok());
    return {"  type: postgres\n  dsn: \"" + pg_->Conninfo(db) + "\"\n", "public.",
            [db](const std::string& sql) { return pg_->Exec(sql, db); },
            [db](const std::string& sql) { return pg_->QueryValue(sql, db); }};
  }
  static TestPostgres* pg_;
};
TestPostgres* PgPushTest::pg_ = nullptr;

TEST_F(PgPushTest, LinesAreAppliedKeptHeldRejectedOrSuppressed) {
  ASSERT_NE(pg_, nullptr);
  PushScenario(Target("push1"), "");
}

class MysqlPushTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    my_ = new TestMariadb();
    Status s = my_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << my_->LogTail();
  }
  static void TearDownTestSuite() {
    delete my_;
    my_ = nullptr;
  }
  SinkTarget Target(const std::string& db) {
    EXPECT_TRUE(my_->CreateDatabase(db).ok());
    return {"  type: mysql\n  host: " + my_->host() + "\n  port: " + std::to_string(my_->port()) +
                "\n  user: " + my_->user() + "\n  password: \"" + my_->password() +
                "\"\n  database: " + db + "\n",
            "", [db](const std::string& sql) { return my_->Exec(sql, db); },
            [db](const std::string& sql) { return my_->QueryValue(sql, db); }};
  }
  static TestMariadb* my_;
};
TestMariadb* MysqlPushTest::my_ = nullptr;

TEST_F(MysqlPushTest, LinesAreAppliedKeptHeldRejectedOrSuppressed) {
  ASSERT_NE(my_, nullptr);
  PushScenario(Target("push1"), my_->password());
}

}  // namespace
}  // namespace deltabridge::test
