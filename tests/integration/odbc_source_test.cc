// End-to-end tests of the ODBC polling source (`type: odbc`, cdc/odbc/): a
// real `deltabridge run` polling a database through a real ODBC driver, its
// deltas collected from the bridge's stream. Each test runs against three
// drivers (named by path, tests/sinks/odbc/odbc_test_drivers.h):
//   - SQLite through sqliteodbc, a database file per test (WAL, so the
//     test's writes never wait for the bridge's reads);
//   - PostgreSQL through psqlODBC, one TestPostgres for the suite;
//   - MariaDB through MariaDB Connector/ODBC, one TestMariadb for the suite.
// The test makes its changes through the same driver (OdbcConnection,
// autocommit), so one SQL text serves all three where the dialects agree.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "cdc/odbc/odbc_connection.h"
#include "tests/integration/bridge_harness.h"
#include "tests/sinks/odbc/odbc_test_drivers.h"
#include "tests/support/test_mariadb.h"

namespace deltabridge::test {
namespace {

class OdbcSourceTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    pg_ = new TestPostgres();
    Status s = pg_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << pg_->LogTail();
    my_ = new TestMariadb();
    s = my_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << my_->LogTail();
  }
  static void TearDownTestSuite() {
    delete my_;
    my_ = nullptr;
    delete pg_;
    pg_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(pg_, nullptr);
    ASSERT_NE(my_, nullptr);
    static int tests = 0;
    db_ = "osrc" + std::to_string(++tests);
    Result<TempDir> d = TempDir::Create("dbos-");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dir_ = std::make_unique<TempDir>(std::move(*d));
    const std::string kind = GetParam();
    if (kind == "sqlite") {
      Result<std::string> driver = SqliteOdbcDriver();
      ASSERT_TRUE(driver.ok()) << driver.status().ToString();
      dsn_ = SqliteConnectionString(*driver, dir_->Join("legacy.db"));
    } else if (kind == "postgres") {
      Result<std::string> driver = PostgresOdbcDriver();
      ASSERT_TRUE(driver.ok()) << driver.status().ToString();
      ASSERT_TRUE(pg_->CreateDatabase(db_).ok());
      dsn_ = PostgresConnectionString(*driver, pg_->port(), db_);
    } else {
      Result<std::string> driver = MariadbOdbcDriver();
      ASSERT_TRUE(driver.ok()) << driver.status().ToString();
      ASSERT_TRUE(my_->CreateDatabase(db_).ok());
      dsn_ = MariadbConnectionString(*driver, my_->port(), db_, my_->user(), my_->password());
    }
    Result<std::unique_ptr<odbc::OdbcConnection>> c = odbc::OdbcConnection::Connect(dsn_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    if (kind == "sqlite") Sql("PRAGMA journal_mode = WAL");
  }

  void Sql(const std::string& sql) {
    Status s = conn_->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  bool is(const char* kind) const { return GetParam() == kind; }
  std::string Blob() const {
    return is("postgres") ? "BYTEA" : is("mariadb") ? "VARBINARY(64)" : "BLOB";
  }
  std::string Ts() const { return is("mariadb") ? "DATETIME(6)" : "TIMESTAMP"; }
  std::string Hex(const std::string& hex) const {
    return is("postgres") ? "decode('" + hex + "', 'hex')" : "x'" + hex + "'";
  }

  // The `sources:` text of one ODBC source polling `tables_yaml` (indented by 6).
  std::string Source(const std::string& tables_yaml, const std::string& interval = "200ms") {
    return "  - name: legacy\n    type: odbc\n    dsn: \"" + dsn_ +
           "\"\n    poll_interval: " + interval + "\n    tables:\n" + tables_yaml;
  }
  static std::string Table(const std::string& name, const std::string& mode,
                           const std::string& extra = "") {
    return "      - name: " + name + "\n        key: [id]\n        mode: " + mode + "\n" + extra;
  }
  static void StartPolling(BridgeUnderTest& bridge) {
    bridge.StartAndWaitForLog("every table polled once");
  }

  // The deltas of `table`.
  static std::vector<Json> Of(const std::vector<Json>& all, const std::string& table) {
    std::vector<Json> out;
    for (const Json& d : all) {
      if (d["table"] == table) out.push_back(d);
    }
    return out;
  }
  // Waits until the collector holds a delta matching `pred`.
  static bool WaitFor(Collector& col, const std::function<bool(const Json&)>& pred) {
    return WaitUntil([&] {
      for (const Json& d : col.deltas()) {
        if (pred(d)) return true;
      }
      return false;
    });
  }

  static TestPostgres* pg_;
  static TestMariadb* my_;
  std::string db_, dsn_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<odbc::OdbcConnection> conn_;
};

TestPostgres* OdbcSourceTest::pg_ = nullptr;
TestMariadb* OdbcSourceTest::my_ = nullptr;

TEST_P(OdbcSourceTest, DiffModeSnapshotInsertUpdateDeleteAndValues) {
  Sql("CREATE TABLE t_diff (id INTEGER PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,3), "
      "at " +
      Ts() + ", data " + Blob() + ", score DOUBLE PRECISION)");
  Sql("INSERT INTO t_diff VALUES (1, 'caf\xc3\xa9 \xe2\x82\xac', 12.5, '2026-01-01 10:00:00.25', " +
      Hex("0102ff") + ", 1.5)");
  Sql("INSERT INTO t_diff VALUES (2, 'two', NULL, NULL, NULL, NULL)");
  BridgeUnderTest bridge("parks", Source(Table("t_diff", "diff")));
  StartPolling(bridge);
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(2));
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["op"], "snapshot");
  EXPECT_EQ(all[0]["key"]["id"], 1);
  EXPECT_EQ(all[0]["tx"]["id"], all[1]["tx"]["id"]);
  EXPECT_EQ(all[1]["tx"]["last"], true);
  const Json& c = all[0]["changes"];
  EXPECT_EQ(c["name"]["new"], "caf\xc3\xa9 \xe2\x82\xac") << c.dump();
  if (!is("sqlite")) {
    EXPECT_EQ(c["amount"]["new"], "12.500") << c.dump();
  }
  EXPECT_EQ(c["at"]["new"], "2026-01-01T10:00:00.25") << c.dump();
  EXPECT_EQ(c["data"]["new"], "AQL/") << c.dump();
  EXPECT_EQ(c["score"]["new"], 1.5) << c.dump();
  EXPECT_TRUE(all[1]["changes"]["amount"]["new"].is_null());

  Sql("UPDATE t_diff SET name = 'uno' WHERE id = 1");
  Sql("DELETE FROM t_diff WHERE id = 2");
  Sql("INSERT INTO t_diff (id, name) VALUES (3, 'three')");
  ASSERT_TRUE(col.WaitCount(5)) << col.size();
  // The three may land in one poll or two; each exactly once.
  all = col.deltas();
  std::map<std::string, Json> by_op;
  for (size_t i = 2; i < all.size(); ++i) by_op[all[i]["op"]] = all[i];
  ASSERT_EQ(by_op.size(), 3u);
  EXPECT_EQ(by_op["update"]["key"]["id"], 1);
  EXPECT_EQ(by_op["update"]["changes"].size(), 1u) << by_op["update"].dump();
  EXPECT_EQ(by_op["update"]["changes"]["name"]["old"], "caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(by_op["update"]["changes"]["name"]["new"], "uno");
  EXPECT_EQ(by_op["delete"]["key"]["id"], 2);
  EXPECT_EQ(by_op["delete"]["changes"]["name"]["old"], "two");
  EXPECT_EQ(by_op["insert"]["key"]["id"], 3);
  EXPECT_EQ(by_op["insert"]["changes"]["name"]["new"], "three");

  // Restart: nothing again, and a change made while stopped arrives once.
  bridge.Stop();
  Sql("UPDATE t_diff SET name = 'drei' WHERE id = 3");
  StartPolling(bridge);
  ASSERT_TRUE(col.WaitCount(6)) << col.size();
  Sql("INSERT INTO t_diff (id, name) VALUES (4, 'marker')");
  ASSERT_TRUE(col.WaitCount(7)) << col.size();
  all = col.deltas();
  ASSERT_EQ(all.size(), 7u);
  ExpectGapFree(all);
  EXPECT_EQ(all[5]["op"], "update");
  EXPECT_EQ(all[5]["changes"]["name"]["old"], "three");
  EXPECT_EQ(all[6]["op"], "insert");
  bridge.Stop();
}

TEST_P(OdbcSourceTest, TimestampIncrementingAndBothModes) {
  Sql("CREATE TABLE t_ts (id INTEGER PRIMARY KEY, v VARCHAR(20), changed " + Ts() + ")");
  Sql("CREATE TABLE t_inc (id INTEGER PRIMARY KEY, v VARCHAR(20))");
  Sql("CREATE TABLE t_both (id INTEGER PRIMARY KEY, v VARCHAR(20), changed " + Ts() + ")");
  Sql("CREATE TABLE marker (id INTEGER PRIMARY KEY)");
  Sql("INSERT INTO t_ts VALUES (1, 'a', '2026-01-01 10:00:00')");
  Sql("INSERT INTO t_inc VALUES (1, 'a')");
  Sql("INSERT INTO t_both VALUES (1, 'a', '2026-01-01 10:00:00')");
  std::string tables =
      Table("t_ts", "timestamp", "        timestamp_column: changed\n") +
      Table("t_inc", "incrementing", "        incrementing_column: id\n") +
      Table("t_both", "timestamp+incrementing",
            "        timestamp_column: changed\n        incrementing_column: id\n") +
      Table("marker", "diff");
  BridgeUnderTest bridge("parks", Source(tables));
  StartPolling(bridge);
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(3));
  for (const Json& d : col.deltas()) EXPECT_EQ(d["op"], "snapshot") << d.dump();

  // Updates by timestamp; rows sharing one timestamp; new rows by id.
  Sql("UPDATE t_ts SET v = 'b', changed = '2026-01-01 10:00:05' WHERE id = 1");
  Sql("INSERT INTO t_ts VALUES (2, 'c', '2026-01-01 10:00:05')");
  Sql("INSERT INTO t_inc VALUES (2, 'b')");
  Sql("INSERT INTO t_inc VALUES (3, 'c')");
  Sql("INSERT INTO t_both VALUES (2, 'b', '2026-01-01 10:00:00')");
  Sql("INSERT INTO t_both VALUES (3, 'c', '2026-01-01 10:00:00')");
  ASSERT_TRUE(col.WaitCount(9)) << col.size();
  // A late commit with an older timestamp, within the lookback window.
  Sql("INSERT INTO t_ts VALUES (3, 'late', '2026-01-01 10:00:01')");
  ASSERT_TRUE(col.WaitCount(10)) << col.size();
  // Two marker rows, one after the other: every table was polled again in
  // between, re-reading its lookback window; nothing may repeat.
  Sql("INSERT INTO marker VALUES (1)");
  ASSERT_TRUE(col.WaitCount(11)) << col.size();
  Sql("INSERT INTO marker VALUES (2)");
  ASSERT_TRUE(col.WaitCount(12)) << col.size();
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 12u);
  ExpectGapFree(all);
  auto ts = Of(all, "t_ts");
  ASSERT_EQ(ts.size(), 4u);
  EXPECT_EQ(ts[1]["op"], "update");
  std::set<std::pair<int, std::string>> got;
  for (size_t i = 1; i < ts.size(); ++i) {
    got.insert({ts[i]["key"]["id"].get<int>(), ts[i]["changes"]["v"]["new"].get<std::string>()});
  }
  EXPECT_EQ(got, (std::set<std::pair<int, std::string>>{{1, "b"}, {2, "c"}, {3, "late"}}));
  auto inc = Of(all, "t_inc");
  ASSERT_EQ(inc.size(), 3u);
  EXPECT_EQ(inc[1]["op"], "insert");
  EXPECT_EQ(inc[1]["key"]["id"], 2);
  EXPECT_EQ(inc[2]["key"]["id"], 3);
  auto both = Of(all, "t_both");
  ASSERT_EQ(both.size(), 3u);
  EXPECT_EQ(both[1]["key"]["id"], 2);
  EXPECT_EQ(both[2]["key"]["id"], 3);

  // Restart: the watermarks hold.
  bridge.Stop();
  Sql("INSERT INTO t_inc VALUES (4, 'd')");
  StartPolling(bridge);
  ASSERT_TRUE(col.WaitCount(13)) << col.size();
  Sql("INSERT INTO marker VALUES (3)");
  ASSERT_TRUE(col.WaitCount(14)) << col.size();
  all = col.deltas();
  ASSERT_EQ(all.size(), 14u);
  EXPECT_EQ(all[12]["table"], "t_inc");
  EXPECT_EQ(all[12]["key"]["id"], 4);
  bridge.Stop();
}

TEST_P(OdbcSourceTest, Kill9DuringChangesLosesAndRepeatsNothing) {
  Sql("CREATE TABLE k_diff (id INTEGER PRIMARY KEY, v INTEGER)");
  Sql("CREATE TABLE k_inc (id INTEGER PRIMARY KEY, v INTEGER)");
  std::string tables =
      Table("k_diff", "diff") + Table("k_inc", "incrementing", "        incrementing_column: id\n");
  BridgeUnderTest bridge("parks", Source(tables, "100ms"));
  StartPolling(bridge);
  // A writer inserts into both tables and deletes every third diff row.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::string writer_error;
  std::thread writer([&] {
    Result<std::unique_ptr<odbc::OdbcConnection>> c = odbc::OdbcConnection::Connect(dsn_);
    if (!c.ok()) {
      writer_error = c.status().ToString();
      return;
    }
    for (int id = 1; !stop.load(); ++id) {
      Status s = (*c)->Exec("INSERT INTO k_diff VALUES (" + std::to_string(id) + ", 0)");
      if (s.ok()) s = (*c)->Exec("INSERT INTO k_inc VALUES (" + std::to_string(id) + ", 0)");
      if (s.ok() && id % 3 == 0) {
        s = (*c)->Exec("DELETE FROM k_diff WHERE id = " + std::to_string(id - 1));
      }
      if (!s.ok()) {
        writer_error = s.ToString();
        return;
      }
      written = id;
    }
  });
  std::mt19937 rng(7);
  for (int round = 0; round < 4; ++round) {
    const int wait_ms = 200 + static_cast<int>(rng() % 500);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));  // a random moment
    bridge.Kill9();
    bridge.Start();
  }
  stop = true;
  writer.join();
  ASSERT_EQ(writer_error, "");
  const int n = written.load();
  ASSERT_GT(n, 0);
  // The end state: every diff row inserted once and the deleted ones deleted
  // once (a row inserted and deleted between two polls never shows), every
  // incrementing row once.
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::set<int> inc;
        for (const Json& d : col.deltas()) {
          if (d["table"] == "k_inc") inc.insert(d["key"]["id"].get<int>());
        }
        return inc.size() == static_cast<size_t>(n);
      },
      std::chrono::seconds(120)))
      << col.size();
  // One more diff change marks the end of the diff table's catching up.
  Sql("INSERT INTO k_diff VALUES (0, 1)");
  ASSERT_TRUE(
      WaitFor(col, [](const Json& d) { return d["table"] == "k_diff" && d["key"]["id"] == 0; }));
  auto all = col.deltas();
  ExpectGapFree(all);
  EXPECT_EQ(all.front()["seq"], 1);
  std::map<int, int> inc_count;
  std::map<int, std::vector<std::string>> diff_ops;
  for (const Json& d : all) {
    int id = d["key"]["id"].get<int>();
    if (d["table"] == "k_inc") inc_count[id]++;
    if (d["table"] == "k_diff") diff_ops[id].push_back(d["op"].get<std::string>());
  }
  for (int id = 1; id <= n; ++id) EXPECT_EQ(inc_count[id], 1) << "k_inc id " << id;
  for (int id = 1; id <= n; ++id) {
    const bool deleted = id % 3 == 2 && id + 1 <= n;
    const auto& ops = diff_ops[id];
    if (deleted) {
      // Never seen, or seen once and deleted once.
      EXPECT_TRUE(ops.empty() || (ops.size() == 2 && ops[1] == "delete")) << "k_diff id " << id;
    } else {
      ASSERT_EQ(ops.size(), 1u) << "k_diff id " << id;
      EXPECT_TRUE(ops[0] == "insert" || ops[0] == "snapshot") << ops[0];
    }
  }
  bridge.Stop();
}

TEST_P(OdbcSourceTest, DriverErrorIsLoggedRetriedAndSparesTheOtherTables) {
  Sql("CREATE TABLE good (id INTEGER PRIMARY KEY, v INTEGER)");
  Sql("CREATE TABLE flaky (id INTEGER PRIMARY KEY, v INTEGER)");
  Sql("INSERT INTO flaky VALUES (1, 1)");
  BridgeUnderTest bridge("parks", Source(Table("good", "diff") + Table("flaky", "diff")));
  StartPolling(bridge);
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(1));
  // The table disappears under the poller: every poll of it fails in the driver.
  Sql("ALTER TABLE flaky RENAME TO flaky_away");
  ASSERT_TRUE(WaitUntil([&] {
    return bridge.log().find("table flaky (diff mode): poll failed") != std::string::npos;
  })) << bridge.log();
  EXPECT_NE(bridge.log().find("SQLSTATE"), std::string::npos) << bridge.log();
  // The other table goes on.
  Sql("INSERT INTO good VALUES (1, 1)");
  ASSERT_TRUE(WaitFor(col, [](const Json& d) { return d["table"] == "good"; })) << bridge.log();
  // Back again: polled again, with only what changed meanwhile.
  Sql("UPDATE flaky_away SET v = 2 WHERE id = 1");
  Sql("ALTER TABLE flaky_away RENAME TO flaky");
  ASSERT_TRUE(WaitFor(col, [](const Json& d) {
    return d["table"] == "flaky" && d["op"] == "update";
  })) << bridge.log();
  auto flaky = Of(col.deltas(), "flaky");
  ASSERT_EQ(flaky.size(), 2u);
  EXPECT_EQ(flaky[1]["changes"]["v"]["old"], 1);
  EXPECT_EQ(flaky[1]["changes"]["v"]["new"], 2);
  EXPECT_TRUE(bridge.running());
  bridge.Stop();
}

TEST_P(OdbcSourceTest, DriverErrorMidScanJournalsNothingAndIsRetried) {
  // A view whose rows fail one by one on demand: SQLite's json() on text
  // that is not JSON; elsewhere a scalar subquery that finds two rows.
  Sql("CREATE TABLE base (id INTEGER PRIMARY KEY, v INTEGER, x VARCHAR(20))");
  Sql("CREATE TABLE dup (k INTEGER, n INTEGER)");
  Sql("INSERT INTO dup VALUES (1, 1), (2, 1), (2, 2)");
  if (is("sqlite")) {
    Sql("CREATE VIEW flaky AS SELECT id, v, json(x) AS w FROM base");
  } else {
    const std::string x = is("postgres") ? "CAST(base.x AS INTEGER)" : "base.x";
    Sql("CREATE VIEW flaky AS SELECT id, v, (SELECT n FROM dup WHERE dup.k = " + x +
        ") AS w FROM base");
  }
  const std::string ok_x = "'1'";
  std::string rows;
  for (int id = 1; id <= 200; ++id) {
    rows +=
        (rows.empty() ? "" : ", ") + std::string("(") + std::to_string(id) + ", 0, " + ok_x + ")";
  }
  Sql("INSERT INTO base VALUES " + rows);
  Sql("CREATE TABLE good (id INTEGER PRIMARY KEY, v INTEGER)");
  BridgeUnderTest bridge("parks", Source(Table("flaky", "diff") + Table("good", "diff")));
  StartPolling(bridge);
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(200));
  // Row 1 changes (the poll's transaction opens there), then row 150 fails.
  Sql("UPDATE base SET v = 1 WHERE id = 1");
  Sql(std::string("UPDATE base SET x = ") + (is("sqlite") ? "'{bad'" : "'2'") + " WHERE id = 150");
  ASSERT_TRUE(WaitUntil([&] {
    return bridge.log().find("table flaky (diff mode): poll failed") != std::string::npos;
  })) << bridge.log();
  EXPECT_NE(bridge.log().find("SQLSTATE"), std::string::npos) << bridge.log();
  // The other table goes on, and nothing of the failed poll was published.
  Sql("INSERT INTO good VALUES (1, 1)");
  ASSERT_TRUE(WaitFor(col, [](const Json& d) { return d["table"] == "good"; })) << bridge.log();
  EXPECT_EQ(Of(col.deltas(), "flaky").size(), 200u);
  // Repaired: the change of row 1 arrives, once.
  Sql("UPDATE base SET x = " + ok_x + " WHERE id = 150");
  ASSERT_TRUE(WaitFor(col, [](const Json& d) {
    return d["table"] == "flaky" && d["op"] == "update";
  })) << bridge.log();
  Sql("INSERT INTO good VALUES (2, 2)");
  ASSERT_TRUE(
      WaitFor(col, [](const Json& d) { return d["table"] == "good" && d["key"]["id"] == 2; }));
  auto flaky = Of(col.deltas(), "flaky");
  ASSERT_EQ(flaky.size(), 201u);
  EXPECT_EQ(flaky[200]["key"]["id"], 1);
  EXPECT_EQ(flaky[200]["changes"]["v"]["new"], 1);
  ExpectGapFree(col.deltas());
  bridge.Stop();
}

TEST_P(OdbcSourceTest, LostConnectionIsMadeAgain) {
  if (is("sqlite")) GTEST_SKIP() << "a file has no connection to lose";
  Sql("CREATE TABLE lost (id INTEGER PRIMARY KEY, v INTEGER)");
  BridgeUnderTest bridge("parks", Source(Table("lost", "diff")));
  StartPolling(bridge);
  Collector col(bridge.publish(), bridge.replay(), 1);
  // The server ends the bridge's session (an administrator, a failover).
  if (is("postgres")) {
    Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
        "current_database() AND pid <> pg_backend_pid()");
  } else {
    Result<std::unique_ptr<odbc::OdbcCursor>> cur =
        conn_->Query("SELECT id FROM information_schema.processlist WHERE db = '" + db_ +
                     "' AND id <> CONNECTION_ID()");
    ASSERT_TRUE(cur.ok()) << cur.status().ToString();
    std::vector<std::string> ids;
    std::vector<Value> row;
    while (true) {
      Result<bool> more = (*cur)->Next(&row);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
      ids.push_back(std::to_string(row[0].is_null() ? 0 : row[0].i));
    }
    cur = Status::Aborted("done");  // frees the statement
    ASSERT_FALSE(ids.empty());
    for (const std::string& id : ids) conn_->Exec("KILL " + id).ok();
  }
  Sql("INSERT INTO lost VALUES (1, 1)");
  ASSERT_TRUE(col.WaitCount(1)) << bridge.log();
  EXPECT_EQ(col.deltas()[0]["op"], "insert");
  EXPECT_NE(bridge.log().find("SQLSTATE"), std::string::npos) << bridge.log();
  EXPECT_NE(bridge.log().find("connection is lost"), std::string::npos) << bridge.log();
  bridge.Stop();
}

TEST_P(OdbcSourceTest, PollIntervalIsHonoured) {
  Sql("CREATE TABLE tick (id INTEGER PRIMARY KEY)");
  BridgeUnderTest bridge("parks", Source(Table("tick", "diff"), "700ms"));
  StartPolling(bridge);
  Collector col(bridge.publish(), bridge.replay(), 1);
  // Each change is found by a later poll; a delta's ts is its poll's start,
  // and polls of a table start at least poll_interval apart. The interval is
  // kept on the monotonic clock and ts is read from the wall clock just
  // after: a thread preempted between the two reads shifts one ts by some
  // microseconds (seen: 24), so the spacing is checked to within 5 ms, which
  // still catches a poll that came early.
  for (int id = 1; id <= 4; ++id) {
    Sql("INSERT INTO tick VALUES (" + std::to_string(id) + ")");
    ASSERT_TRUE(col.WaitCount(static_cast<size_t>(id))) << bridge.log();
  }
  auto all = col.deltas();
  auto micros = [](const Json& d) {
    int64_t us = 0;
    EXPECT_TRUE(odbc::ParseTimestampMicros(d["ts"].get<std::string>(), &us)) << d.dump();
    return us;
  };
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_GE(micros(all[i]) - micros(all[i - 1]), 695000) << all[i - 1].dump() << "\n"
                                                           << all[i].dump();
  }
  bridge.Stop();
}

TEST_P(OdbcSourceTest, CheckReportsEachPrerequisite) {
  Sql("CREATE TABLE c_ok (id INTEGER PRIMARY KEY, changed " + Ts() + ", note VARCHAR(10))");
  Sql("CREATE TABLE c_two (id INTEGER PRIMARY KEY, note VARCHAR(10))");
  std::string tables = Table("c_ok", "timestamp", "        timestamp_column: changed\n") +
                       Table("c_missing", "diff") +
                       "      - name: c_two\n        key: [nope]\n        mode: incrementing\n"
                       "        incrementing_column: note\n";
  BridgeUnderTest bridge("parks", Source(tables));
  ProcessOptions po;
  po.output_path = dir_->Join("check.out");
  Result<Child> c = Child::Spawn({DeltabridgeBin(), "check", bridge.config_path()}, po);
  ASSERT_TRUE(c.ok());
  Result<ExitStatus> st = c->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(st.ok());
  std::ifstream f(po.output_path);
  std::string out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(st->Success()) << out;
  EXPECT_NE(out.find("ok    source legacy: connects over ODBC"), std::string::npos) << out;
  EXPECT_NE(out.find("timestamp column changed is usable"), std::string::npos) << out;
  EXPECT_NE(out.find("FAIL  source legacy: table c_missing exists"), std::string::npos) << out;
  EXPECT_NE(out.find("key column nope exists"), std::string::npos) << out;
  EXPECT_NE(out.find("incrementing column note has a usable type"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Drivers, OdbcSourceTest,
                         ::testing::Values("sqlite", "postgres", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace deltabridge::test
