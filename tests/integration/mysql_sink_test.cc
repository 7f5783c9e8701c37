// End-to-end tests of sinks into MariaDB: a real PostgreSQL 15 holding the
// source databases, a real MariaDB 10.11 holding the target database (one
// server each for the suite), a real `deltabridge run` and a real
// `deltabridge sink` process with a `type: mysql` target.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "tests/integration/sink_harness.h"
#include "tests/integration/sink_scenarios.h"
#include "tests/integration/sink_test_base.h"
#include "tests/support/test_mariadb.h"

namespace deltabridge::test {
namespace {

class MysqlSinkTest : public SinkTestBase {
 protected:
  MysqlSinkTest() : SinkTestBase("msink") {}

  static void SetUpTestSuite() {
    SinkTestBase::SetUpTestSuite();
    if (HasFatalFailure()) return;
    my_ = new TestMariadb();
    Status s = my_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << my_->LogTail();
  }
  static void TearDownTestSuite() {
    delete my_;
    my_ = nullptr;
    SinkTestBase::TearDownTestSuite();
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SinkTestBase::SetUp());
    ASSERT_NE(my_, nullptr);
    Status s = my_->CreateDatabase(dash());
    ASSERT_TRUE(s.ok()) << s.ToString();
    Result<TempDir> d = TempDir::Create("dbm-");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    secrets_ = std::make_unique<TempDir>(std::move(*d));
  }

  std::string dash() const { return name_ + "_dash"; }

  // SQL in the MariaDB target database.
  void TargetSql(const std::string& sql) { test::TargetSql(Dash(), sql); }
  std::string TargetValue(const std::string& sql) { return test::TargetValue(Dash(), sql); }
  // Waits until `sql` in the target returns `want`.
  bool WaitValue(const std::string& sql, const std::string& want,
                 std::chrono::milliseconds timeout = std::chrono::seconds(90)) {
    return WaitTargetValue(Dash(), sql, want, timeout);
  }

  // The MariaDB target; with `password_file`, the password comes from a file
  // (mode 0600) rather than the sink file.
  std::string Target(bool password_file = false) {
    std::string out = "  type: mysql\n  host: " + my_->host() +
                      "\n  port: " + std::to_string(my_->port()) + "\n  user: " + my_->user() +
                      "\n";
    if (password_file) {
      const std::string path = secrets_->Join("mariadb.password");
      EXPECT_TRUE(WriteStringToFile(path, my_->password() + "\n").ok());
      ::chmod(path.c_str(), 0600);
      out += "  password_file: " + path + "\n";
    } else {
      out += "  password: \"" + my_->password() + "\"\n";
    }
    return out + "  database: " + dash() + "\n";
  }

  // The target database, for the shared scenarios.
  SinkTarget Dash(bool password_file = false) {
    return {Target(password_file), "",
            [this](const std::string& sql) { return my_->Exec(sql, dash()); },
            [this](const std::string& sql) { return my_->QueryValue(sql, dash()); }};
  }

  static TestMariadb* my_;
  std::unique_ptr<TempDir> secrets_;
};

TestMariadb* MysqlSinkTest::my_ = nullptr;

constexpr const char* kTargetRuleColumns =
    "c_over VARCHAR(20), c_lww VARCHAR(20), c_lwwby VARCHAR(20), changed_at DATETIME(6) NULL, "
    "c_fww VARCHAR(20), c_prio VARCHAR(20), c_max INT, c_min INT, c_add INT, c_keep VARCHAR(20), "
    "c_manual VARCHAR(20)";

TEST_F(MysqlSinkTest, TwoSourcesExerciseEveryRule) {
  CreateRuleSources(parks());
  TargetSql(std::string("CREATE TABLE slots (slot_id INT PRIMARY KEY, ") + kTargetRuleColumns +
            ")");
  BridgeUnderTest bridge("parks", Sources());
  ASSERT_NO_FATAL_FAILURE(StartStreamingBoth(bridge));
  SinkUnderTest sink("dash", bridge, {"parks.scheduling.", "parks.legacy."},
                     Target(/*password_file=*/true), RuleMappings("slots"));
  RunResult check = SinkUnderTest::Cli({"check", sink.config_path()});
  EXPECT_EQ(check.status.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("target: connected to MariaDB"), std::string::npos) << check.output;
  EXPECT_EQ(check.output.find(my_->password()), std::string::npos) << check.output;
  sink.Start();
  const std::string row =
      "SELECT CONCAT_WS('|', c_over, c_lww, c_lwwby, DATE_FORMAT(changed_at, "
      "'%Y-%m-%d %H:%i:%s.%f'), c_fww, c_prio, c_max, c_min, c_add, c_keep, c_manual) FROM slots "
      "WHERE slot_id = 1";
  // 1. Scheduling creates the row: everything applies.
  Sql(sched(),
      "INSERT INTO slots VALUES (1, 'a', 'a', 'a', '2026-01-01 10:00+00', 'a', 'a', 5, "
      "5, 10, NULL, 'a')");
  ASSERT_TRUE(WaitValue(row, "a|a|a|2026-01-01 10:00:00.000000|a|a|5|5|10|a"))
      << TargetValue(row) << "\n"
      << sink.log();
  // 2. Legacy inserts the same row, later, with an older changed_at.
  Sql(legacy(),
      "INSERT INTO slots VALUES (1, 'L', 'L', 'L', '2026-01-01 09:00+00', 'L', 'L', 3, "
      "3, 100, 'L', 'L')");
  //   overwrite L | lww L (newer) | by changed_at: keep a | changed_at max keeps 10:00 |
  //   fww keeps a | priority: legacy ranks first, L | max keeps 5 | min takes 3 |
  //   additive: an insert of a row the target has keeps 10 | keep_target: was NULL, L |
  //   manual: another source wrote the field: held, a.
  ASSERT_TRUE(WaitValue(row, "L|L|a|2026-01-01 10:00:00.000000|a|L|5|3|10|L|a"))
      << TargetValue(row);
  // 3. Scheduling changes several fields (changed_at with a fraction).
  Sql(sched(),
      "UPDATE slots SET c_add = c_add + 3, c_prio = 'S', c_keep = 'S', c_lww = 'S2', "
      "c_lwwby = 'S3', changed_at = '2026-01-01 11:00:00.25+00' WHERE id = 1");
  //   additive 10 + 3 | priority: scheduling ranks below legacy, keep L | keep_target keeps L |
  //   lww S2 | by changed_at: 11:00 is newer, S3 | changed_at max 11:00.
  ASSERT_TRUE(WaitValue(row, "L|S2|S3|2026-01-01 11:00:00.250000|a|L|5|3|13|L|a"))
      << TargetValue(row);
  // 4. Legacy adds to the counter concurrently: both increments count.
  Sql(legacy(), "UPDATE slots SET c_add = c_add + 50 WHERE id = 1");
  ASSERT_TRUE(WaitValue(row, "L|S2|S3|2026-01-01 11:00:00.250000|a|L|5|3|63|L|a"))
      << TargetValue(row);
  // 5. Fields that do not conflict merge: each source changes another column.
  Sql(sched(), "UPDATE slots SET c_max = 9 WHERE id = 1");
  Sql(legacy(), "UPDATE slots SET c_min = 1 WHERE id = 1");
  ASSERT_TRUE(WaitValue(row, "L|S2|S3|2026-01-01 11:00:00.250000|a|L|9|1|63|L|a"))
      << TargetValue(row);
  // max and min keep what does not beat the current value.
  Sql(sched(), "UPDATE slots SET c_max = 7, c_min = 2 WHERE id = 1");
  // 6. overwrite from scheduling again, whatever legacy did.
  Sql(sched(), "UPDATE slots SET c_over = 'S4' WHERE id = 1");
  ASSERT_TRUE(WaitValue(row, "S4|S2|S3|2026-01-01 11:00:00.250000|a|L|9|1|63|L|a"))
      << TargetValue(row);
  // 7. Legacy's changed_at is older than the target's: by-column keeps S3, max keeps 11:00.
  Sql(legacy(),
      "UPDATE slots SET c_lwwby = 'L7', changed_at = '2026-01-01 10:59:59.999999+00' "
      "WHERE id = 1");
  Sql(sched(), "UPDATE slots SET c_over = 'S5' WHERE id = 1");
  ASSERT_TRUE(WaitValue(row, "S5|S2|S3|2026-01-01 11:00:00.250000|a|L|9|1|63|L|a"))
      << TargetValue(row);

  // The held manual conflict is listed, and resolving it takes the incoming value.
  ASSERT_TRUE(WaitCaughtUp(sink));
  HeldManualConflict held = ResolveHeldManualConflict(
      Dash(), sink, "SELECT writers FROM deltabridge_row_writers WHERE row_key = '[1]'");
  EXPECT_NE(held.list.output.find("from parks.legacy"), std::string::npos) << held.list.output;
  EXPECT_EQ(TargetValue("SELECT resolution FROM deltabridge_conflicts WHERE id = " + held.id),
            "incoming");
  // The checkpoint is in the target too.
  EXPECT_EQ(TargetValue("SELECT CONCAT(sink, '/', bridge) FROM deltabridge_checkpoints"),
            "dash/parks");
  EXPECT_NE(held.status.output.find("sink dash: running"), std::string::npos) << held.status.output;
  EXPECT_EQ(held.status.output.find(my_->password()), std::string::npos) << held.status.output;
  sink.Stop();
  bridge.Stop();
}

TEST_F(MysqlSinkTest, Kill9DuringWriteLoadKeepsAnAdditiveCounterExact) {
  Kill9DuringWriteLoadKeepsAnAdditiveCounterExact(
      parks(), Dash(), "CREATE TABLE counters (id INT PRIMARY KEY, n INT NOT NULL)");
}

// MariaDB crashes (SIGKILL) while the sink applies: the sink reconnects,
// redoes what was not committed, and an additive counter stays exact.
TEST_F(MysqlSinkTest, TargetServerCrashUnderTheSinkLosesAndRepeatsNothing) {
  Sql(sched(),
      "CREATE TABLE items (id int PRIMARY KEY, n bigint NOT NULL);"
      "ALTER TABLE items REPLICA IDENTITY FULL");
  TargetSql("CREATE TABLE items (id INT PRIMARY KEY, n BIGINT NOT NULL)");
  BridgeUnderTest bridge("parks", OneSource("[public.items]"));
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, Target(),
                     "  - from: parks.scheduling.public.items\n    to: items\n"
                     "    key: [id]\n    rules: {n: additive}\n");
  sink.Start();
  Sql(sched(), "INSERT INTO items SELECT g, 0 FROM generate_series(1, 50) g");
  ASSERT_TRUE(WaitValue("SELECT COUNT(*) FROM items", "50")) << sink.log();
  for (int i = 0; i < 40; ++i) {
    Sql(sched(), "UPDATE items SET n = n + 1 WHERE id % 2 = " + std::to_string(i % 2));
  }
  // Crash the target while the sink applies.
  Status s = my_->StopImmediate();
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (int i = 0; i < 20; ++i) Sql(sched(), "UPDATE items SET n = n + 1 WHERE id <= 10");
  s = my_->Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (int i = 0; i < 20; ++i) Sql(sched(), "UPDATE items SET n = n + 1 WHERE id <= 10");
  const std::string want =
      Value(sched(), "SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM items");
  const std::string got =
      "SELECT GROUP_CONCAT(CONCAT(id, ':', n) ORDER BY id SEPARATOR ',') FROM items";
  ASSERT_TRUE(WaitValue(got, want, std::chrono::seconds(120))) << TargetValue(got) << "\n"
                                                               << sink.log();
  ASSERT_TRUE(WaitCaughtUp(sink));
  EXPECT_EQ(TargetValue("SELECT COUNT(*) FROM deltabridge_conflicts"), "0");
  EXPECT_TRUE(sink.running());
  EXPECT_NE(sink.log().find("reconnecting to the target"), std::string::npos) << sink.log();
  sink.Stop();
  bridge.Stop();
}

TEST_F(MysqlSinkTest, SinkStartedLateCatchesUpThroughReplay) {
  SinkStartedLateCatchesUpThroughReplay(
      parks(), Dash(),
      {"CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(20), n BIGINT)",
       "SELECT CONCAT(COUNT(*), '/', SUM(n)) FROM items",
       "SET SESSION group_concat_max_len = 1000000; SELECT "
       "GROUP_CONCAT(CONCAT(id, v, n) ORDER BY id SEPARATOR ',') FROM items"});
}

TEST_F(MysqlSinkTest, RefusedRowsBecomeConflictsAndDeletesFollowOnDelete) {
  Sql(sched(),
      "CREATE TABLE seats (id int PRIMARY KEY, n int, tag text); ALTER TABLE seats REPLICA "
      "IDENTITY FULL;"
      "CREATE TABLE soft (id int PRIMARY KEY, v text); ALTER TABLE soft REPLICA IDENTITY FULL;"
      "CREATE TABLE keep (id int PRIMARY KEY, v text);"
      "CREATE TABLE gone (id int PRIMARY KEY, v text);"
      "CREATE TABLE trunc (id int PRIMARY KEY, v text);"
      "CREATE TABLE rekey (id int PRIMARY KEY, v text); ALTER TABLE rekey REPLICA IDENTITY FULL");
  TargetSql(
      "CREATE TABLE seats (id INT PRIMARY KEY, n INT CHECK (n >= 0), tag VARCHAR(3));"
      "CREATE TABLE soft (id INT PRIMARY KEY, v VARCHAR(20), deleted_at TIMESTAMP(6) NULL);"
      "CREATE TABLE keep (id INT PRIMARY KEY, v VARCHAR(20));"
      "CREATE TABLE gone (id INT PRIMARY KEY, v VARCHAR(20));"
      "CREATE TABLE trunc (id INT PRIMARY KEY, v VARCHAR(20));"
      "CREATE TABLE rekey (id INT PRIMARY KEY, v VARCHAR(20))");
  BridgeUnderTest bridge("parks", OneSource());
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, Target(),
                     "  - from: parks.scheduling.public.seats\n    to: seats\n    key: [id]\n"
                     "  - from: parks.scheduling.public.soft\n    to: soft\n    key: [id]\n"
                     "    on_delete: {soft: deleted_at}\n"
                     "  - from: parks.scheduling.public.keep\n    to: keep\n    key: [id]\n"
                     "    on_delete: ignore\n"
                     "  - from: parks.scheduling.public.gone\n    to: gone\n    key: [id]\n"
                     "    on_delete: apply\n"
                     "  - from: parks.scheduling.public.trunc\n    to: trunc\n    key: [id]\n"
                     "  - from: parks.scheduling.public.rekey\n    to: rekey\n    key: [id]\n");
  sink.Start();
  // One transaction with rows the target refuses between good ones: a CHECK
  // violation and a value too long for VARCHAR(3) (strict mode).
  Sql(sched(),
      "INSERT INTO seats VALUES (1, 5, 'ok'), (2, -1, 'bad'), (3, 7, 'toolong'), "
      "(4, 8, 'ok')");
  Sql(sched(),
      "INSERT INTO soft VALUES (1, 'a'), (2, 'b'); INSERT INTO keep VALUES (1, 'a');"
      "INSERT INTO gone VALUES (1, 'a'), (2, 'b');"
      "INSERT INTO trunc VALUES (1, 'a'), (2, 'b'); INSERT INTO rekey VALUES (1, 'a')");
  Sql(sched(),
      "DELETE FROM soft WHERE id = 1; DELETE FROM keep WHERE id = 1; TRUNCATE trunc;"
      "DELETE FROM gone WHERE id = 1;"
      "UPDATE rekey SET id = 10, v = 'moved' WHERE id = 1");
  // An update that the CHECK refuses, of a row the target has.
  Sql(sched(), "UPDATE seats SET n = -5 WHERE id = 4");
  Sql(sched(), "INSERT INTO seats VALUES (5, 1, 'end')");
  ASSERT_TRUE(WaitValue("SELECT GROUP_CONCAT(id ORDER BY id) FROM seats", "1,4,5")) << sink.log();
  ASSERT_TRUE(WaitValue("SELECT COUNT(*) FROM deltabridge_conflicts WHERE kind = 'rejected'", "3"));
  EXPECT_EQ(TargetValue("SELECT n FROM seats WHERE id = 4"), "8");
  std::string reasons = TargetValue(
      "SELECT GROUP_CONCAT(reason ORDER BY seq SEPARATOR ' | ') FROM deltabridge_conflicts");
  EXPECT_NE(reasons.find("4025"), std::string::npos) << reasons;  // ER_CONSTRAINT_FAILED (CHECK)
  EXPECT_NE(reasons.find("1406"), std::string::npos) << reasons;  // ER_DATA_TOO_LONG
  ASSERT_TRUE(
      WaitValue("SELECT CONCAT(v, ':', deleted_at IS NOT NULL) FROM soft WHERE id = 1", "a:1"));
  EXPECT_EQ(TargetValue("SELECT deleted_at IS NULL FROM soft WHERE id = 2"), "1");
  // The soft delete time is the delete's commit time, in UTC: a few seconds ago.
  EXPECT_EQ(TargetValue("SET time_zone = '+00:00'; SELECT ABS(TIMESTAMPDIFF(SECOND, deleted_at, "
                        "UTC_TIMESTAMP(6))) < 600 FROM soft WHERE id = 1"),
            "1");
  EXPECT_EQ(TargetValue("SELECT v FROM keep WHERE id = 1"), "a");
  EXPECT_EQ(TargetValue("SELECT GROUP_CONCAT(id) FROM gone"), "2");
  EXPECT_EQ(TargetValue("SELECT COUNT(*) FROM trunc"), "0");
  EXPECT_EQ(TargetValue("SELECT GROUP_CONCAT(CONCAT(id, ':', v)) FROM rekey"), "10:moved");
  EXPECT_EQ(TargetValue("SELECT COUNT(*) FROM deltabridge_row_writers WHERE row_key = '[1]' "
                        "AND target_table = 'rekey'"),
            "0");
  EXPECT_EQ(TargetValue("SELECT COUNT(*) FROM deltabridge_row_writers WHERE row_key = '[10]' "
                        "AND target_table = 'rekey'"),
            "1");

  // Taking "current" closes a refused row; taking "incoming" again is refused again.
  std::string bad = TargetValue("SELECT id FROM deltabridge_conflicts WHERE row_key = '[2]'");
  RunResult r =
      SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", bad, "--take", "incoming"});
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("4025"), std::string::npos) << r.output;
  r = SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", bad, "--take", "current"});
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_EQ(TargetValue("SELECT COUNT(*) FROM seats WHERE id = 2"), "0");
  // The refused update of row 4: taking "current" keeps 8.
  std::string upd = TargetValue("SELECT id FROM deltabridge_conflicts WHERE row_key = '[4]'");
  r = SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", upd, "--take", "current"});
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_EQ(TargetValue("SELECT n FROM seats WHERE id = 4"), "8");
  // After the DBA widens the column, the too-long tag applies on "incoming".
  TargetSql("ALTER TABLE seats MODIFY tag VARCHAR(10)");
  std::string long_tag = TargetValue("SELECT id FROM deltabridge_conflicts WHERE row_key = '[3]'");
  r = SinkUnderTest::Cli(
      {"conflicts", sink.config_path(), "resolve", long_tag, "--take", "incoming"});
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_EQ(TargetValue("SELECT CONCAT(n, tag) FROM seats WHERE id = 3"), "7toolong");
  r = SinkUnderTest::Cli({"conflicts", sink.config_path(), "list"});
  EXPECT_NE(r.output.find("no conflicts waiting"), std::string::npos) << r.output;
  sink.Stop();
  bridge.Stop();
}

// Every type the contract names, from PostgreSQL to MariaDB and compared
// value by value (TypesRoundTrip); MariaDB's own checks: `check` passes with
// the password in a file, and no conflicts are listed.
TEST_F(MysqlSinkTest, TypesRoundTripExactly) {
  // The source's values and the target's, as comparable text, per row.
  const std::string source_sql =
      "SELECT id, i::text, big::text, amount::text, dbl::text, "
      "CASE WHEN flag THEN '1' WHEN NOT flag THEN '0' END, encode(convert_to(txt, 'UTF8'), "
      "'hex'), encode(bin, 'hex'), to_char(d, 'YYYY-MM-DD'), to_char(t, 'HH24:MI:SS.US'), "
      "to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US'), "
      "to_char(tstz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), js::text FROM types ORDER BY "
      "id";
  const std::string target_sql =
      "SET time_zone = '+00:00'; SELECT id, i, big, amount, dbl, flag, LOWER(HEX(txt)), "
      "LOWER(HEX(bin)), d, TIME_FORMAT(t, '%H:%i:%s.%f'), DATE_FORMAT(ts, "
      "'%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(tstz, '%Y-%m-%d %H:%i:%s.%f'), js FROM types "
      "ORDER BY id";
  // "" when the two agree, else the first difference.
  auto diff = [&]() -> std::string {
    Result<std::vector<TestPostgres::Row>> want = pg_->Query(source_sql, sched());
    Result<std::vector<TestMariadb::Row>> got = my_->Query(target_sql, dash());
    if (!want.ok()) return want.status().ToString();
    if (!got.ok()) return got.status().ToString();
    if (want->size() != got->size()) {
      return "rows: " + std::to_string(got->size()) + " want " + std::to_string(want->size());
    }
    for (size_t r = 0; r < want->size(); ++r) {
      for (size_t c = 0; c < (*want)[r].size(); ++c) {
        const std::optional<std::string>& w = (*want)[r][c];
        const std::optional<std::string>& g = (*got)[r][c];
        bool same = w == g;
        if (!same && w && g && c == 4) {
          same = std::strtod(w->c_str(), nullptr) == std::strtod(g->c_str(), nullptr);
        }
        if (!same && w && g && c == 12) {
          same = Json::parse(*w, nullptr, false) == Json::parse(*g, nullptr, false);
        }
        if (!same) {
          return "row " + std::to_string(r) + " column " + std::to_string(c) + ": got " +
                 g.value_or("NULL") + ", want " + w.value_or("NULL");
        }
      }
    }
    return "";
  };

  ScenarioHooks hooks;
  hooks.before_start = [&](SinkUnderTest& sink) {
    RunResult check = SinkUnderTest::Cli({"check", sink.config_path()});
    EXPECT_EQ(check.status.exit_code, 0) << check.output;
  };
  hooks.once_caught_up = [&](SinkUnderTest& sink) {
    RunResult list = SinkUnderTest::Cli({"conflicts", sink.config_path(), "list"});
    EXPECT_NE(list.output.find("no conflicts waiting"), std::string::npos) << list.output;
  };
  TypesRoundTrip(
      parks(), Dash(/*password_file=*/true),
      {"CREATE TABLE types (id INT PRIMARY KEY, i INT, big BIGINT, amount DECIMAL(30,10), "
       "dbl DOUBLE, flag TINYINT(1), txt VARCHAR(50), bin BLOB, d DATE, t TIME(6), "
       "ts DATETIME(6), tstz TIMESTAMP(6) NULL, js JSON)",
       "(2, -2147483648, -9223372036854775808, -99999999999999999999.9999999999, "
       "1.7976931348623157e308, false, '', '\\x'::bytea, '1000-01-01', '00:00:00', "
       "'1970-01-01 00:00:00', '2038-01-19 03:14:07.999999+00', '[]')",
       "(4, 2147483647, 9223372036854775807, 0.0000000001, -1.234e-7, true, "
       "'it''s a \"quote\" \\ and a tab\t.', '\\x00ff00'::bytea, '9999-12-31', "
       "'23:59:59.999999', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01+00', "
       "'\"text\"')",
       diff,
       [&] { return TargetValue("SELECT COUNT(*) FROM deltabridge_conflicts") + " conflicts"; }},
      hooks);
}

// Composite keys of several types: a key read back from MariaDB must name
// the same row as the key on the wire (DATETIME(6) from a timestamptz, with
// and without a fraction; TIMESTAMP(6); a BIGINT beyond 2^53; utf8mb4 text).
TEST_F(MysqlSinkTest, CompositeKeysOfSeveralTypesFindTheirRows) {
  Sql(sched(),
      "CREATE TABLE readings (sensor text, at timestamptz, at2 timestamptz, seq bigint, "
      "v int, PRIMARY KEY (sensor, at, at2, seq)); ALTER TABLE readings REPLICA "
      "IDENTITY FULL");
  TargetSql(
      "CREATE TABLE readings (sensor VARCHAR(20), at DATETIME(6), at2 TIMESTAMP(6) NOT NULL "
      "DEFAULT '2000-01-01', seq BIGINT, v INT, PRIMARY KEY (sensor, at, at2, seq))");
  BridgeUnderTest bridge("parks", OneSource("[public.readings]"));
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, Target(),
                     "  - from: parks.scheduling.public.readings\n    to: readings\n"
                     "    key: [sensor, at, at2, seq]\n    rules:\n      v: additive\n");
  sink.Start();
  Sql(sched(),
      "INSERT INTO readings SELECT s, '2026-01-01 10:00+00'::timestamptz + "
      "g * interval '0.25 s', '2026-01-01 10:00+00'::timestamptz + g * interval '1 s', "
      "9007199254740993 + g, 0 FROM unnest(ARRAY['a', 'ü😀']) s, generate_series(0, 7) g");
  ASSERT_TRUE(WaitValue("SELECT COUNT(*) FROM readings", "16")) << sink.log();
  // Updates in one transaction and in several: each finds its row.
  Sql(sched(), "UPDATE readings SET v = v + 1");
  Sql(sched(), "UPDATE readings SET v = v + 2 WHERE seq % 2 = 0");
  Sql(sched(), "UPDATE readings SET v = v + 3 WHERE sensor = 'a'");
  Sql(sched(), "DELETE FROM readings WHERE seq % 4 = 0");
  const std::string want = Value(sched(), "SELECT count(*) || '/' || sum(v) FROM readings");
  ASSERT_TRUE(WaitValue("SELECT CONCAT(COUNT(*), '/', SUM(v)) FROM readings", want))
      << TargetValue("SELECT CONCAT(COUNT(*), '/', SUM(v)) FROM readings") << " want " << want
      << "\n"
      << sink.log();
  ASSERT_TRUE(WaitCaughtUp(sink));
  EXPECT_EQ(TargetValue("SELECT COUNT(*) FROM deltabridge_conflicts"), "0");
  EXPECT_EQ(TargetValue("SELECT COUNT(*) FROM deltabridge_row_writers"),
            want.substr(0, want.find('/')));
  sink.Stop();
  bridge.Stop();
}

TEST_F(MysqlSinkTest, CheckAndRuntimeErrorsSayWhatToFix) {
  Sql(sched(), "CREATE TABLE t (id int PRIMARY KEY, label text, extra int)");
  TargetSql("CREATE TABLE t (id INT PRIMARY KEY, label VARCHAR(20))");
  BridgeUnderTest bridge("parks", OneSource("[public.t]"));
  bridge.StartStreaming();
  // additive on a VARCHAR column: check fails with the line of the rule.
  SinkUnderTest bad("dash", bridge, {"parks.scheduling."}, Target(),
                    "  - from: parks.scheduling.public.t\n    to: t\n    key: [id]\n"
                    "    rules:\n      label: additive\n");
  RunResult check = SinkUnderTest::Cli({"check", bad.config_path()});
  EXPECT_EQ(check.status.exit_code, 1) << check.output;
  // The rule's line: count the lines of the file up to it.
  Result<std::string> text = ReadFileToString(bad.config_path());
  ASSERT_TRUE(text.ok());
  const size_t at = text->find("label: additive");
  ASSERT_NE(at, std::string::npos);
  const int line = 1 + static_cast<int>(std::count(text->begin(), text->begin() + at, '\n'));
  EXPECT_NE(check.output.find(bad.config_path() + ":" + std::to_string(line) +
                              ":7: mappings[0].rules.label: additive needs a numeric column"),
            std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("varchar(20)"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("ok    bridge parks: heartbeat"), std::string::npos) << check.output;

  // A wrong password: check names the server, never the password.
  SinkUnderTest denied("dash", bridge, {"parks.scheduling."},
                       "  type: mysql\n  host: 127.0.0.1\n  port: " + std::to_string(my_->port()) +
                           "\n  user: root\n  password: \"Wr0ng-pw-7\"\n  database: " + dash() +
                           "\n",
                       "  - from: parks.scheduling.public.t\n    to: t\n    key: [id]\n"
                       "    exclude: [extra]\n");
  RunResult no = SinkUnderTest::Cli({"check", denied.config_path()});
  EXPECT_EQ(no.status.exit_code, 1) << no.output;
  EXPECT_NE(no.output.find("1045"), std::string::npos) << no.output;
  EXPECT_EQ(no.output.find("Wr0ng-pw-7"), std::string::npos) << no.output;

  MissingTargetColumnStopsTheSink(parks(), Dash(), bridge);
}

}  // namespace
}  // namespace deltabridge::test
