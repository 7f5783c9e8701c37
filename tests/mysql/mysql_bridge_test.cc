// End-to-end tests of the MySQL/MariaDB source: a real MariaDB 10.11 with
// row-based binary logging started by the test, a real `deltabridge run`
// process, and a real ZeroMQ subscriber.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <thread>

#include "tests/integration/bridge_harness.h"
#include "tests/integration/bridge_scenarios.h"
#include "tests/support/test_mariadb.h"

namespace deltabridge::test {
namespace {

class MysqlBridgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestMariadb::Options o;
    o.binlog = true;
    db_server_ = new TestMariadb(o);
    Status s = db_server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    delete db_server_;
    db_server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(db_server_, nullptr);
    ASSERT_TRUE(db_server_->IsRunning() || db_server_->Start().ok());
    db_ = TestDatabaseName();
    ASSERT_TRUE(db_server_->CreateDatabase(db_).ok());
  }

  void Sql(const std::string& sql) {
    Status s = db_server_->Exec(sql, db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string Source(const std::string& tables = "", const std::string& extra = "") {
    return "  - name: src\n    type: mysql\n    host: 127.0.0.1\n    port: " +
           std::to_string(db_server_->port()) + "\n    user: " + db_server_->user() +
           "\n    password: \"" + db_server_->password() +
           "\"\n    server_id: " + std::to_string(server_id_++) +
           "\n    tables: " + (tables.empty() ? "[\"" + db_ + ".*\"]" : tables) + "\n" + extra;
  }

  // Purges every binlog file but the newest. MariaDB keeps a file until
  // InnoDB has made its transactions durable (its binlog checkpoint), so the
  // purge may need a few tries. *last_file: the file kept.
  static void PurgeAllButTheLastBinlog(std::string* last_file = nullptr) {
    Result<std::vector<TestMariadb::Row>> logs = db_server_->Query("SHOW BINARY LOGS");
    ASSERT_TRUE(logs.ok() && !logs->empty());
    const std::string last = *logs->back()[0];
    if (last_file != nullptr) *last_file = last;
    ASSERT_TRUE(WaitUntil([&] {
      db_server_->Exec("PURGE BINARY LOGS TO '" + last + "'").ok();
      Result<std::vector<TestMariadb::Row>> now = db_server_->Query("SHOW BINARY LOGS");
      return now.ok() && now->size() == 1;
    }));
  }

  static void StartStreaming(BridgeUnderTest& b, const std::vector<std::string>& args = {}) {
    b.StartAndWaitForLog("streaming from binlog", args);
  }

  // The test's database for the shared scenarios (bridge_scenarios.h).
  BridgeSource<TestMariadb> ScenarioSource() {
    BridgeSource<TestMariadb> source{
        db_server_, db_,
        [this](const std::string& table) { return Source("[\"" + db_ + "." + table + "\"]"); },
        "streaming from binlog"};
    source.reconnect_timeout = std::chrono::seconds(120);
    return source;
  }

  static TestMariadb* db_server_;
  static uint32_t server_id_;
  std::string db_;
};

TestMariadb* MysqlBridgeTest::db_server_ = nullptr;
uint32_t MysqlBridgeTest::server_id_ = 5000;

const char* kEveryType = R"(CREATE TABLE t (
    id int PRIMARY KEY, ti tinyint, si smallint unsigned, mi mediumint, i int unsigned,
    bi bigint, bu bigint unsigned, de decimal(30,9), f float, d double, b bit(10), y year,
    da date, tm time(6), dt datetime(3), ts timestamp(6) NULL, c char(5), vc varchar(20),
    l1 varchar(20) CHARACTER SET latin1, tx text, bn binary(4), vb varbinary(10), bl blob,
    e enum('small','large'), s set('a','b','c','d'), j json, g geometry,
    gen bigint AS (i + 1) STORED, inv int INVISIBLE DEFAULT 7))";

const char* kEveryValue =
    "(1, -128, 65535, -8388608, 4294967295, -9223372036854775808, 18446744073709551615, "
    "'-12345678901234567890.000000001', 3.1415927, 0.30000000000000004, b'1010000001', 2155, "
    "'2024-02-29', '-838:59:59.000000', '2026-11-28 04:37:12.123', '2038-01-19 03:14:07.999999', "
    "'ab', 'Ünïcødé €', 'Ünïcødé', 'long text', x'00ff0102', x'deadbeef', x'0001feff', 'large', "
    "'a,d', '{\"k\": [1, 2.5]}', ST_GeomFromText('POINT(1 2)'), DEFAULT, 9)";

// Values read by the snapshot (text protocol) equal those the binlog decoder
// gives for an insert of the same row, column by column, for every type.
TEST_F(MysqlBridgeTest, SnapshotValuesEqualBinlogValuesForEveryType) {
  Sql(kEveryType);
  Sql(std::string("INSERT INTO t (id, ti, si, mi, i, bi, bu, de, f, d, b, y, da, tm, dt, ts, c, "
                  "vc, l1, tx, bn, vb, bl, e, s, j, g, gen, inv) VALUES ") +
      kEveryValue);
  Sql("INSERT INTO t (id) VALUES (2)");  // every column NULL (or its default)
  BridgeUnderTest bridge("b", Source());
  StartStreaming(bridge);
  Collector col(bridge.publish(), bridge.replay());
  ASSERT_TRUE(col.WaitCount(2));
  Sql("INSERT INTO t (id, ti, si, mi, i, bi, bu, de, f, d, b, y, da, tm, dt, ts, c, vc, l1, tx, "
      "bn, vb, bl, e, s, j, g, inv) SELECT id + 100, ti, si, mi, i, bi, bu, de, f, d, b, y, da, "
      "tm, dt, ts, c, vc, l1, tx, bn, vb, bl, e, s, j, g, inv FROM t ORDER BY id");
  ASSERT_TRUE(col.WaitCount(4));
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 4u);
  ExpectGapFree(all);
  for (int i = 0; i < 2; ++i) {
    const Json& snap = all[i];
    const Json& ins = all[i + 2];
    EXPECT_EQ(snap["op"], "snapshot");
    EXPECT_EQ(ins["op"], "insert");
    EXPECT_EQ(snap["table"], db_ + ".t");
    ASSERT_EQ(snap["changes"].size(), ins["changes"].size()) << snap.dump() << "\n" << ins.dump();
    for (auto it = snap["changes"].begin(); it != snap["changes"].end(); ++it) {
      if (it.key() == "id") continue;
      EXPECT_EQ(it.value(), ins["changes"][it.key()]) << "column " << it.key();
    }
  }
  const Json& c = all[0]["changes"];
  EXPECT_EQ(c["bu"]["new"], "18446744073709551615");
  EXPECT_EQ(c["de"]["new"], "-12345678901234567890.000000001");
  EXPECT_EQ(c["f"]["new"], 3.1415927);
  EXPECT_EQ(c["d"]["new"], 0.30000000000000004);
  EXPECT_EQ(c["tm"]["new"], "-838:59:59.000000");
  EXPECT_EQ(c["ts"]["new"], "2038-01-19T03:14:07.999999Z");
  EXPECT_EQ(c["vc"]["new"], "Ünïcødé €");
  EXPECT_EQ(c["l1"]["new"], "Ünïcødé");
  EXPECT_EQ(c["s"]["new"], "a,d");
  EXPECT_EQ(c["gen"]["new"], 4294967296LL);
  EXPECT_EQ(c["inv"]["new"], 9);
  EXPECT_EQ(all[0]["key"], Json::parse(R"({"id":1})"));
  bridge.Stop();
}

TEST_F(MysqlBridgeTest, FieldLevelDeltasAndTransactions) {
  Sql("CREATE TABLE tour_slots (id int PRIMARY KEY, status varchar(20), seats int, notes text)");
  Sql("INSERT INTO tour_slots VALUES (1, 'open', 0, 'x'), (2, 'open', 0, 'y')");
  BridgeUnderTest bridge("parks", Source());
  StartStreaming(bridge);
  Collector col(bridge.publish(), bridge.replay());
  ASSERT_TRUE(col.WaitCount(2));
  Sql("UPDATE tour_slots SET status = 'booked', seats = 4 WHERE id = 1");
  Sql("BEGIN; DELETE FROM tour_slots WHERE id = 2; INSERT INTO tour_slots VALUES (3, 'open', 1, "
      "NULL); UPDATE tour_slots SET id = 30 WHERE id = 3; COMMIT");
  Sql("BEGIN; INSERT INTO tour_slots VALUES (99, 'x', 0, ''); ROLLBACK");
  Sql("INSERT INTO tour_slots VALUES (4, 'open', 0, NULL)");
  ASSERT_TRUE(col.WaitCount(7));
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 7u) << all.back().dump();
  ExpectGapFree(all);
  EXPECT_EQ(all[0]["op"], "snapshot");
  const Json& up = all[2];
  EXPECT_EQ(up["op"], "update");
  EXPECT_EQ(up["key"], Json::parse(R"({"id":1})"));
  EXPECT_EQ(up["changes"],
            Json::parse(R"({"status":{"old":"open","new":"booked"},"seats":{"old":0,"new":4}})"));
  EXPECT_TRUE(up["tx"]["last"].get<bool>());
  // One transaction of three deltas, consecutive, last marked.
  EXPECT_EQ(all[3]["op"], "delete");
  EXPECT_EQ(all[3]["changes"]["status"], Json::parse(R"({"old":"open"})"));
  EXPECT_EQ(all[4]["op"], "insert");
  EXPECT_EQ(all[5]["op"], "update");
  EXPECT_EQ(all[5]["key"], Json::parse(R"({"id":3})"));
  EXPECT_EQ(all[5]["changes"], Json::parse(R"({"id":{"old":3,"new":30}})"));
  EXPECT_EQ(all[3]["tx"]["id"], all[5]["tx"]["id"]);
  EXPECT_FALSE(all[3]["tx"]["last"].get<bool>());
  EXPECT_TRUE(all[5]["tx"]["last"].get<bool>());
  EXPECT_EQ(all[6]["key"], Json::parse(R"({"id":4})"));
  bridge.Stop();
}

TEST_F(MysqlBridgeTest, DdlMidStreamNamesTheNewColumns) {
  Sql("CREATE TABLE a (id int PRIMARY KEY, v int)");
  BridgeUnderTest bridge("b", Source("", "    exclude_columns: [" + db_ + ".a.secret]\n"));
  StartStreaming(bridge);
  Collector col(bridge.publish(), bridge.replay());
  Sql("INSERT INTO a VALUES (1, 1)");
  Sql("ALTER TABLE a ADD COLUMN w varchar(5) DEFAULT 'x', ADD COLUMN secret int");
  Sql("INSERT INTO a VALUES (2, 2, 'y', 42)");
  Sql("ALTER TABLE a RENAME COLUMN v TO v2");
  Sql("UPDATE a SET v2 = 3 WHERE id = 2");
  Sql("ALTER TABLE a DROP COLUMN w");
  Sql("INSERT INTO a VALUES (3, 4, 5)");
  Sql("CREATE TABLE later (id int PRIMARY KEY)");
  Sql("INSERT INTO later VALUES (1)");
  ASSERT_TRUE(col.WaitCount(5));
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0]["changes"], Json::parse(R"({"id":{"new":1},"v":{"new":1}})"));
  EXPECT_EQ(all[1]["changes"], Json::parse(R"({"id":{"new":2},"v":{"new":2},"w":{"new":"y"}})"));
  EXPECT_EQ(all[2]["changes"], Json::parse(R"({"v2":{"old":2,"new":3}})"));
  EXPECT_EQ(all[3]["changes"], Json::parse(R"({"id":{"new":3},"v2":{"new":4}})"));
  EXPECT_EQ(all[4]["table"], db_ + ".later");
  bridge.Stop();
}

TEST_F(MysqlBridgeTest, RestartResumesExactly) {
  // The resume crosses a file boundary.
  RestartResumesExactly(ScenarioSource(), "FLUSH BINARY LOGS");
}

TEST_F(MysqlBridgeTest, MetricsAndStatusShowTheSourceCaughtUp) {
  Sql("CREATE TABLE m (id int PRIMARY KEY, v text)");
  const int port = FreeLoopbackPort();
  BridgeUnderTest bridge("b", Source(), "  metrics: 127.0.0.1:" + std::to_string(port) + "\n");
  StartStreaming(bridge);
  Sql("INSERT INTO m VALUES (1, 'a'), (2, 'b')");
  httplib::Client http("127.0.0.1", port);
  const std::string src = "{bridge=\"b\",source=\"src\",type=\"mysql\"}";
  std::string body;
  // Caught up: both rows journaled, and the server holds no binlog beyond
  // the journaled position (measured every 5 s).
  ASSERT_TRUE(WaitUntil([&] {
    auto r = http.Get("/metrics");
    if (!r) return false;
    body = r->body;
    return MetricValue(body, "deltabridge_source_changes_total" + src) == 2 &&
           MetricValue(body, "deltabridge_source_position_lag_bytes" + src) == 0;
  })) << body;
  EXPECT_GT(MetricValue(body, "deltabridge_source_last_commit_timestamp_seconds" + src), 1.7e9);
  EXPECT_EQ(MetricValue(body, "deltabridge_source_lag_seconds" + src), 0);
  EXPECT_GT(MetricValue(body, "deltabridge_source_bytes_total" + src), 100);
  Result<RunResult> st =
      RunCommand({DeltabridgeBin(), "status", bridge.config_path()}, std::chrono::seconds(30));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status.exit_code, 0) << st->output;
  EXPECT_NE(st->output.find("source src (mysql): position "), std::string::npos) << st->output;
  EXPECT_NE(st->output.find("server ahead by 0 B"), std::string::npos) << st->output;
  bridge.Stop();
}

TEST_F(MysqlBridgeTest, ServerRestartUnderTheBridge) {
  ServerRestartUnderTheBridge(ScenarioSource());
}

TEST_F(MysqlBridgeTest, Kill9DuringWriteLoadLosesAndRepeatsNothing) {
  size_t inserted = 0;
  Kill9DuringWriteLoadLosesAndRepeatsNothing(ScenarioSource(), &inserted);
  if (HasFatalFailure()) return;
  // The journal agrees with the table: every row's final v is the last value seen.
  Result<std::vector<TestMariadb::Row>> table = db_server_->Query("SELECT id, v FROM k", db_);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->size(), inserted);
}

// Rows written while the snapshot runs appear exactly once: in the snapshot
// or in the stream after it.
TEST_F(MysqlBridgeTest, SnapshotMeetsTheStreamExactly) {
  Sql("CREATE TABLE big (id int PRIMARY KEY, pad varchar(100))");
  Sql("INSERT INTO big SELECT seq, REPEAT('x', 100) FROM seq_1_to_20000");
  std::atomic<bool> stop{false};
  std::atomic<int> next_id{100001};
  std::thread writer([&] {
    while (!stop.load()) {
      if (!db_server_->Exec("INSERT INTO big VALUES (" + std::to_string(next_id++) + ", 'w')", db_)
               .ok())
        break;
    }
  });
  BridgeUnderTest bridge("b", Source());
  StartStreaming(bridge);
  // Some writes also after the snapshot, while the bridge streams.
  const int streaming_from = next_id.load();
  EXPECT_TRUE(WaitUntil([&] { return next_id.load() >= streaming_from + 50; }));
  stop = true;
  writer.join();
  const size_t expected = 20000 + static_cast<size_t>(next_id.load() - 100001);
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(expected, std::chrono::seconds(120)))
      << col.size() << " of " << expected;
  ASSERT_FALSE(col.WaitCount(expected + 1, std::chrono::milliseconds(1000)));
  std::map<int, int> seen;
  for (const auto& d : col.deltas()) ++seen[d["key"]["id"].get<int>()];
  EXPECT_EQ(seen.size(), expected);
  for (const auto& [id, n] : seen) ASSERT_EQ(n, 1) << id;
  bridge.Stop();
}

TEST_F(MysqlBridgeTest, PurgedPositionStopsLoudly) {
  LostPositionStopsLoudly(
      ScenarioSource(),
      [&] {
        Sql("INSERT INTO p VALUES (2)");
        Sql("FLUSH BINARY LOGS");
        ASSERT_NO_FATAL_FAILURE(PurgeAllButTheLastBinlog());
      },
      2);
}

// The file of the journaled position is purged, but only after the bridge
// had read all of it: the GTID state says exactly where to go on.
TEST_F(MysqlBridgeTest, PurgedFileWithNothingMissingResumesByGtid) {
  BridgeUnderTest bridge("b", Source());
  ASSERT_NO_FATAL_FAILURE(StreamRowOneThenStop(ScenarioSource(), bridge, "g"));
  Sql("FLUSH BINARY LOGS");
  Sql("INSERT INTO g VALUES (2)");
  std::string last;
  ASSERT_NO_FATAL_FAILURE(PurgeAllButTheLastBinlog(&last));
  StartStreaming(bridge);
  EXPECT_NE(bridge.log().find("by GTID state"), std::string::npos) << bridge.log();
  Collector col(bridge.publish(), bridge.replay(), 1);
  Sql("INSERT INTO g VALUES (3)");
  ASSERT_TRUE(col.WaitCount(3)) << bridge.log();
  ASSERT_FALSE(col.WaitCount(4, std::chrono::milliseconds(1000)));
  auto all = col.deltas();
  ExpectGapFree(all);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(all[i]["key"]["id"], i + 1);
  // Positions carry the GTID state before the file name.
  EXPECT_NE(all[2]["pos"].get<std::string>().find(" " + last + ":"), std::string::npos)
      << all[2]["pos"];
  EXPECT_EQ(all[2]["pos"].get<std::string>().rfind("0-", 0), 0u) << all[2]["pos"];
  bridge.Stop();
}

// Two-way sync (docs/two-way.md), forward: false: the origin tag table is
// read from the binlog (its update's field-level delta, binlog_row_image
// FULL, holds the tag: it changes with every write) and never published, nor
// snapshotted; deltabridge's other tables are never captured; a transaction
// a sink tagged is not published, an untagged one is, without origin.
TEST_F(MysqlBridgeTest, SinkWrittenTransactionsAreNotPublishedWithoutForward) {
  Sql("CREATE TABLE t (id int PRIMARY KEY, v varchar(20))");
  Sql("CREATE TABLE deltabridge_origin (writer VARCHAR(200) NOT NULL PRIMARY KEY, "
      "tag VARCHAR(4000) NOT NULL)");
  Sql("CREATE TABLE deltabridge_checkpoints (id int PRIMARY KEY, seq bigint)");
  Sql(R"(INSERT INTO deltabridge_origin VALUES ('w', '{"n":0,"path":["x.y"]}'))");
  Sql("INSERT INTO deltabridge_checkpoints VALUES (1, 0)");
  Sql("INSERT INTO t VALUES (1, 'snap')");
  BridgeUnderTest bridge("b", Source());
  Result<RunResult> check =
      RunCommand({DeltabridgeBin(), "check", bridge.config_path()}, std::chrono::seconds(60));
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->status.exit_code, 0) << check->output;
  EXPECT_NE(check->output.find("ok    source src: origin tag table " + db_ +
                               ".deltabridge_origin exists"),
            std::string::npos)
      << check->output;
  // The snapshot reads t only.
  EXPECT_NE(check->output.find("ok    source src: table " + db_ + ".t readable"), std::string::npos)
      << check->output;
  EXPECT_EQ(check->output.find("source src: table " + db_ + ".deltabridge_"), std::string::npos)
      << check->output;

  StartStreaming(bridge);
  Collector col(bridge.publish(), bridge.replay());
  ASSERT_TRUE(col.WaitCount(1));
  Sql(R"(BEGIN; UPDATE deltabridge_origin SET tag = '{"n":1,"path":["x.y"]}' WHERE writer = 'w';
         INSERT INTO t VALUES (2, 'sink'); UPDATE t SET v = 'sink 2' WHERE id = 1; COMMIT)");
  Sql("BEGIN; INSERT INTO t VALUES (3, 'local'); UPDATE deltabridge_checkpoints SET seq = 5; "
      "COMMIT");
  Sql(R"(BEGIN; UPDATE deltabridge_origin SET tag = '{"n":2,"path":["x.y"]}' WHERE writer = 'w';
         DELETE FROM t WHERE id = 3; COMMIT)");
  Sql("INSERT INTO t VALUES (4, 'after')");
  ASSERT_TRUE(col.WaitCount(3));
  std::vector<Json> all = col.deltas();
  ASSERT_EQ(all.size(), 3u) << all.back().dump();
  ExpectGapFree(all);
  EXPECT_EQ(all[0]["op"], "snapshot");
  EXPECT_EQ(all[0]["table"], db_ + ".t");
  EXPECT_EQ(all[1]["op"], "insert");
  EXPECT_EQ(all[1]["key"]["id"], 3);
  EXPECT_FALSE(all[1].contains("origin"));
  EXPECT_FALSE(all[1].contains("node"));
  EXPECT_TRUE(all[1]["tx"]["last"].get<bool>());
  EXPECT_EQ(all[2]["key"]["id"], 4);

  RunResult status;
  EXPECT_TRUE(WaitUntil([&] {
    Result<RunResult> r =
        RunCommand({DeltabridgeBin(), "status", bridge.config_path()}, std::chrono::seconds(30));
    if (!r.ok()) return false;
    status = *r;
    return status.output.find("0 changes forwarded with their origin, 3 not forwarded") !=
           std::string::npos;
  })) << status.output;
  bridge.Stop();
}

// Two-way sync, forward: true with a node name of its own: the tagged
// changes are published with the tag's path followed by this node; the tag
// table of a database the source does not capture tags nothing.
TEST_F(MysqlBridgeTest, SinkWrittenTransactionsAreForwardedWithTheirOrigin) {
  const std::string other = db_ + "_other";
  ASSERT_TRUE(db_server_->CreateDatabase(other).ok());
  for (const std::string& db : {db_, other}) {
    Sql("CREATE TABLE " + db +
        ".deltabridge_origin (writer VARCHAR(200) NOT NULL PRIMARY KEY, "
        "tag VARCHAR(4000) NOT NULL)");
    Sql("INSERT INTO " + db + R"(.deltabridge_origin VALUES ('w', '{"n":0,"path":["x.y"]}'))");
  }
  Sql("CREATE TABLE t (id int PRIMARY KEY, v varchar(20))");
  BridgeUnderTest bridge("b", Source("", "    node: legacy.main\n    forward: true\n"));
  StartStreaming(bridge);
  Collector col(bridge.publish(), bridge.replay());
  Sql(R"(BEGIN; UPDATE deltabridge_origin SET tag = '{"n":1,"path":["x.y"]}' WHERE writer = 'w';
         INSERT INTO t VALUES (1, 'sink'); UPDATE t SET v = 'sink 2' WHERE id = 1;
         UPDATE deltabridge_origin SET tag = '{"n":2,"path":["a.b","x.y"]}' WHERE writer = 'w';
         DELETE FROM t WHERE id = 1; COMMIT)");
  Sql("BEGIN; UPDATE " + other + R"(.deltabridge_origin SET tag = '{"n":1,"path":["x.y"]}'
         WHERE writer = 'w'; INSERT INTO t VALUES (2, 'local'); COMMIT)");
  ASSERT_TRUE(col.WaitCount(4));
  std::vector<Json> all = col.deltas();
  ASSERT_EQ(all.size(), 4u) << all.back().dump();
  ExpectGapFree(all);
  for (const Json& d : all) {
    EXPECT_EQ(d["node"], "legacy.main") << d.dump();
    EXPECT_EQ(d["table"], db_ + ".t") << d.dump();
  }
  const Json xy = Json::parse(R"(["x.y","legacy.main"])");
  EXPECT_EQ(all[0]["op"], "insert");
  EXPECT_EQ(all[0]["origin"], xy);
  EXPECT_EQ(all[1]["op"], "update");
  EXPECT_EQ(all[1]["origin"], xy);
  EXPECT_EQ(all[2]["op"], "delete");
  EXPECT_EQ(all[2]["origin"], Json::parse(R"(["a.b","x.y","legacy.main"])"));
  EXPECT_TRUE(all[2]["tx"]["last"].get<bool>());
  EXPECT_EQ(all[3]["key"]["id"], 2);
  EXPECT_FALSE(all[3].contains("origin"));
  bridge.Stop();
}

TEST_F(MysqlBridgeTest, CheckNamesTheFix) {
  Sql("CREATE TABLE good (id int PRIMARY KEY)");
  BridgeUnderTest ok_bridge("b", Source());
  Result<RunResult> r =
      RunCommand({DeltabridgeBin(), "check", ok_bridge.config_path()}, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("ok    source src: binlog_format is ROW"), std::string::npos)
      << r->output;
  Sql("SET GLOBAL binlog_format = 'STATEMENT'");
  r = RunCommand({DeltabridgeBin(), "check", ok_bridge.config_path()}, std::chrono::seconds(60));
  Sql("SET GLOBAL binlog_format = 'ROW'");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.exit_code, 1) << r->output;
  EXPECT_NE(r->output.find("FAIL  source src: binlog_format is STATEMENT"), std::string::npos)
      << r->output;
  EXPECT_NE(r->output.find("SET GLOBAL binlog_format = 'ROW'"), std::string::npos) << r->output;
}

// Without binlog_row_metadata=FULL the names and keys come from
// information_schema, re-read after each DDL statement in the stream.
TEST(MysqlBridgeNoMetadataTest, ColumnsFromInformationSchemaFollowDdl) {
  TestMariadb::Options o;
  o.binlog = true;
  o.extra_args = {"--binlog-row-metadata=MINIMAL"};
  TestMariadb server(o);
  ASSERT_TRUE(server.Start().ok());
  ASSERT_TRUE(server.CreateDatabase("nm").ok());
  auto sql = [&](const std::string& q) {
    Status s = server.Exec(q, "nm");
    ASSERT_TRUE(s.ok()) << s.ToString();
  };
  sql("CREATE TABLE a (id int PRIMARY KEY, v int)");
  BridgeUnderTest bridge("b", "  - name: src\n    type: mysql\n    host: 127.0.0.1\n    port: " +
                                  std::to_string(server.port()) +
                                  "\n    user: root\n    password: \"" + server.password() +
                                  "\"\n    server_id: 77\n    tables: [\"nm.*\"]\n");
  bridge.StartAndWaitForLog("streaming from binlog");
  Collector col(bridge.publish(), bridge.replay());
  sql("INSERT INTO a VALUES (1, 1)");
  ASSERT_TRUE(col.WaitCount(1));
  sql("ALTER TABLE a ADD COLUMN w varchar(5)");
  sql("INSERT INTO a VALUES (2, 2, 'y')");
  ASSERT_TRUE(col.WaitCount(2));
  sql("ALTER TABLE a RENAME COLUMN v TO v2");
  sql("UPDATE a SET v2 = 3 WHERE id = 2");
  ASSERT_TRUE(col.WaitCount(3));
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["key"], Json::parse(R"({"id":1})"));
  EXPECT_EQ(all[0]["changes"], Json::parse(R"({"id":{"new":1},"v":{"new":1}})"));
  EXPECT_EQ(all[1]["changes"], Json::parse(R"({"id":{"new":2},"v":{"new":2},"w":{"new":"y"}})"));
  EXPECT_EQ(all[2]["key"], Json::parse(R"({"id":2})"));
  EXPECT_EQ(all[2]["changes"], Json::parse(R"({"v2":{"old":2,"new":3}})"));
  bridge.Stop();
}

// A failover: the bridge read from a primary; its replica (log_slave_updates,
// same GTIDs, other file names) becomes the source. The bridge sees another
// server and goes on by GTID state: no change lost, none repeated.
TEST(MysqlBridgeFailoverTest, AnotherServerResumesByGtidState) {
  TestMariadb::Options po;
  po.binlog = true;
  po.server_id = 11;
  TestMariadb primary(po);
  ASSERT_TRUE(primary.Start().ok());
  TestMariadb::Options ro;
  ro.binlog = true;
  ro.server_id = 12;
  ro.extra_args = {"--log-slave-updates=ON"};
  TestMariadb replica(ro);
  ASSERT_TRUE(replica.Start().ok());
  auto exec = [](const TestMariadb& server, const std::string& q) {
    Status s = server.Exec(q);
    ASSERT_TRUE(s.ok()) << q << ": " << s.ToString();
  };
  Result<std::string> primary_pos = primary.QueryValue("SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(primary_pos.ok());
  // The replica's own start-up statements leave its binlog: it starts where
  // the primary stands.
  exec(replica, "RESET MASTER");
  exec(replica, "SET GLOBAL gtid_slave_pos = '" + *primary_pos + "'");
  exec(replica, "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = " +
                    std::to_string(primary.port()) + ", MASTER_USER = 'root', MASTER_PASSWORD = '" +
                    primary.password() + "', MASTER_USE_GTID = slave_pos");
  exec(replica, "START SLAVE");
  exec(primary, "CREATE DATABASE fo");
  exec(primary, "CREATE TABLE fo.t (id int PRIMARY KEY)");
  auto replicated = [&](const std::string& count) {
    return WaitUntil([&] {
      Result<std::string> n = replica.QueryValue("SELECT count(*) FROM fo.t");
      return n.ok() && *n == count;
    });
  };
  auto source = [](const TestMariadb& server) {
    return "  - name: src\n    type: mysql\n    host: 127.0.0.1\n    port: " +
           std::to_string(server.port()) + "\n    user: root\n    password: \"" +
           server.password() + "\"\n    server_id: 4242\n    tables: [\"fo.*\"]\n";
  };
  BridgeUnderTest bridge("b", source(primary));
  bridge.StartAndWaitForLog("streaming from binlog");
  {
    Collector col(bridge.publish(), bridge.replay());
    exec(primary, "INSERT INTO fo.t VALUES (1)");
    exec(primary, "INSERT INTO fo.t VALUES (2)");
    ASSERT_TRUE(col.WaitCount(2));
  }
  bridge.Stop();
  exec(primary, "INSERT INTO fo.t VALUES (3)");  // after the bridge stopped
  ASSERT_TRUE(replicated("3"));
  exec(replica, "STOP SLAVE");
  // The bridge file now names the replica.
  ASSERT_NO_FATAL_FAILURE(ReplaceInFile(bridge.config_path(),
                                        "port: " + std::to_string(primary.port()),
                                        "port: " + std::to_string(replica.port())));
  bridge.StartAndWaitForLog("by GTID state");
  EXPECT_NE(bridge.log().find("the server is another one (server_id 12, was 11)"),
            std::string::npos)
      << bridge.log();
  Collector col(bridge.publish(), bridge.replay(), 1);
  exec(replica, "INSERT INTO fo.t VALUES (4)");
  ASSERT_TRUE(col.WaitCount(4)) << bridge.log();
  ASSERT_FALSE(col.WaitCount(5, std::chrono::milliseconds(1000)));
  auto all = col.deltas();
  ExpectGapFree(all);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(all[i]["key"]["id"], i + 1) << all[i];
  bridge.Stop();
}

}  // namespace
}  // namespace deltabridge::test
