// End-to-end tests of the PostgreSQL source: a real PostgreSQL 15 started by
// the test, a real `deltabridge run` process, and a real ZeroMQ subscriber.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/bridge_harness.h"
#include "tests/integration/bridge_scenarios.h"

namespace deltabridge::test {
namespace {

class PgBridgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestPostgres::Options o;
    // Small enough that a transaction of a few thousand rows is streamed
    // (protocol v2) while it is still in progress.
    o.extra_config = {"logical_decoding_work_mem = 64kB", "wal_sender_timeout = 10s"};
    pg_ = new TestPostgres(o);
    Status s = pg_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << pg_->LogTail();
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(pg_, nullptr);
    db_ = TestDatabaseName();
    ASSERT_TRUE(pg_->CreateDatabase(db_).ok());
  }

  void Sql(const std::string& sql) {
    Status s = pg_->Exec(sql, db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string Value(const std::string& sql) {
    Result<std::string> r = pg_->QueryValue(sql, db_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "";
  }

  std::string Source(const std::string& tables = "[\"public.*\"]", const std::string& extra = "") {
    // Slots live per server: each test's database gets its own slot.
    return "  - name: src\n    type: postgres\n    dsn: \"" + pg_->Conninfo(db_) +
           "\"\n    slot: " + slot() + "\n    tables: " + tables + "\n" + extra;
  }
  std::string slot() const { return db_ + "_slot"; }
  // The test's database for the shared scenarios (bridge_scenarios.h).
  BridgeSource<TestPostgres> ScenarioSource() {
    return {pg_, db_,
            [this](const std::string& table) { return Source("[\"public." + table + "\"]"); },
            "streaming from slot"};
  }

  void TearDown() override {
    // Bridges are stopped by now; their slots must not hold WAL for the next tests.
    pg_->Exec(
           "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
           "WHERE slot_name = '" +
           slot() + "' AND NOT active")
        .ok();
  }

  static TestPostgres* pg_;
  std::string db_;
};

TestPostgres* PgBridgeTest::pg_ = nullptr;

std::vector<Json> Of(const std::vector<Json>& all, const std::string& op) {
  std::vector<Json> out;
  for (const auto& d : all) {
    if (d["op"] == op) out.push_back(d);
  }
  return out;
}

TEST_F(PgBridgeTest, SnapshotThenStream) {
  Sql("CREATE TABLE tour_slots (id int PRIMARY KEY, status text, seats int)");
  Sql("INSERT INTO tour_slots SELECT g, 'open', 0 FROM generate_series(1, 25) g");
  BridgeUnderTest bridge("parks", Source());
  bridge.Start();
  Collector col(bridge.publish(), bridge.replay());
  ASSERT_TRUE(col.WaitCount(25)) << col.size();
  Sql("UPDATE tour_slots SET status = 'booked', seats = 4 WHERE id = 7");
  Sql("DELETE FROM tour_slots WHERE id = 8");
  Sql("INSERT INTO tour_slots VALUES (26, 'open', 1)");
  ASSERT_TRUE(col.WaitCount(28));
  auto all = col.deltas();
  ExpectGapFree(all);
  EXPECT_EQ(all[0]["seq"], 1);
  auto snaps = Of(all, "snapshot");
  ASSERT_EQ(snaps.size(), 25u);
  EXPECT_EQ(snaps[0]["bridge"], "parks");
  EXPECT_EQ(snaps[0]["source"], "src");
  EXPECT_EQ(snaps[0]["table"], "public.tour_slots");
  EXPECT_EQ(snaps[0]["changes"]["status"]["new"], "open");
  EXPECT_TRUE(snaps.back()["tx"]["last"].get<bool>());
  EXPECT_FALSE(snaps.front()["tx"]["last"].get<bool>());
  const Json& up = all[25];
  EXPECT_EQ(up["op"], "update");
  EXPECT_EQ(up["key"], Json::parse(R"({"id":7})"));
  // Without a before-image every column comes as new.
  EXPECT_EQ(up["changes"]["status"], Json::parse(R"({"new":"booked"})"));
  EXPECT_EQ(up["changes"]["seats"], Json::parse(R"({"new":4})"));
  const Json& del = all[26];
  EXPECT_EQ(del["op"], "delete");
  EXPECT_EQ(del["key"], Json::parse(R"({"id":8})"));
  EXPECT_EQ(del["changes"], Json::parse(R"({"id":{"old":8}})"));
  EXPECT_EQ(all[27]["op"], "insert");
  bridge.Stop();
}

TEST_F(PgBridgeTest, EveryTypeAndFieldLevelUpdates) {
  Sql("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  Sql(R"(CREATE TABLE t (
      id int8 PRIMARY KEY, a int2, b int4, c int8, n numeric, f4 float4, f8 float8,
      bo bool, tx text, vc varchar(10), ch char(3), by bytea, d date, ti time, tz timetz,
      ts timestamp, tstz timestamptz, iv interval, u uuid, j json, jb jsonb, arr int4[],
      tarr text[], m mood, ip inet))");
  Sql("ALTER TABLE t REPLICA IDENTITY FULL");
  BridgeUnderTest bridge("b", Source());
  bridge.StartStreaming();
  Collector col(bridge.publish(), bridge.replay());
  Sql(R"(INSERT INTO t VALUES (
      9007199254740993, -32768, 2147483647, -9223372036854775808,
      '123456789012345678901234567890.123456789012345678901234567890', 'NaN', '-Infinity',
      true, 'caf' || chr(233) || ' "q"', 'varchar', 'ab', '\x00ff10', '2026-11-27',
      '10:00:00.5', '10:00:00+02', '2026-11-27 10:00:00.123456', '2026-11-27 12:00:00+02',
      '1 year 2 mons 3 days 04:05:06', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '{"a": [1, 2]}', '{"b": true}', '{1,2,3}', '{"x y",NULL}', 'happy', '192.168.0.1/24'))");
  ASSERT_TRUE(col.WaitCount(1));
  Json ins = col.deltas()[0];
  const Json& c = ins["changes"];
  EXPECT_EQ(ins["key"]["id"], "9007199254740993");
  EXPECT_EQ(c["a"]["new"], -32768);
  EXPECT_EQ(c["b"]["new"], 2147483647);
  EXPECT_EQ(c["c"]["new"], "-9223372036854775808");
  EXPECT_EQ(c["n"]["new"], "123456789012345678901234567890.123456789012345678901234567890");
  EXPECT_EQ(c["f4"]["new"], "NaN");
  EXPECT_EQ(c["f8"]["new"], "-Infinity");
  EXPECT_EQ(c["bo"]["new"], true);
  EXPECT_EQ(c["tx"]["new"], "caf\xC3\xA9 \"q\"");
  EXPECT_EQ(c["vc"]["new"], "varchar");
  EXPECT_EQ(c["ch"]["new"], "ab ");
  EXPECT_EQ(c["by"]["new"], "AP8Q");
  EXPECT_EQ(c["d"]["new"], "2026-11-27");
  EXPECT_EQ(c["ti"]["new"], "10:00:00.5");
  EXPECT_EQ(c["tz"]["new"], "10:00:00+02");
  EXPECT_EQ(c["ts"]["new"], "2026-11-27T10:00:00.123456");
  EXPECT_EQ(c["tstz"]["new"], "2026-11-27T10:00:00Z");
  EXPECT_EQ(c["iv"]["new"], "1 year 2 mons 3 days 04:05:06");
  EXPECT_EQ(c["u"]["new"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(c["j"]["new"], "{\"a\": [1, 2]}");
  EXPECT_EQ(c["jb"]["new"], "{\"b\": true}");
  EXPECT_EQ(c["arr"]["new"], "{1,2,3}");
  EXPECT_EQ(c["tarr"]["new"], "{\"x y\",NULL}");
  EXPECT_EQ(c["m"]["new"], "happy");
  EXPECT_EQ(c["ip"]["new"], "192.168.0.1/24");

  // Field level: only what changed, old and new (REPLICA IDENTITY FULL).
  Sql("UPDATE t SET b = 1, f4 = 1.5, m = 'sad', tx = tx");
  ASSERT_TRUE(col.WaitCount(2));
  Json up = col.deltas()[1];
  EXPECT_EQ(up["op"], "update");
  EXPECT_EQ(up["changes"], Json::parse(R"({"b":{"old":2147483647,"new":1},
      "f4":{"old":"NaN","new":1.5},"m":{"old":"happy","new":"sad"}})"));
  Sql("UPDATE t SET n = NULL, f8 = 'Infinity'");
  ASSERT_TRUE(col.WaitCount(3));
  EXPECT_EQ(col.deltas()[2]["changes"], Json::parse(R"({
      "n":{"old":"123456789012345678901234567890.123456789012345678901234567890","new":null},
      "f8":{"old":"-Infinity","new":"Infinity"}})"));
  // A key-changing update names the old key and carries the new one.
  Sql("UPDATE t SET id = 5");
  ASSERT_TRUE(col.WaitCount(4));
  Json kc = col.deltas()[3];
  EXPECT_EQ(kc["key"]["id"], "9007199254740993");
  EXPECT_EQ(kc["changes"]["id"]["new"], 5);
  Sql("DELETE FROM t");
  ASSERT_TRUE(col.WaitCount(5));
  Json del = col.deltas()[4];
  EXPECT_EQ(del["op"], "delete");
  EXPECT_EQ(del["changes"]["id"]["old"], 5);
  EXPECT_EQ(del["changes"]["m"]["old"], "sad");
  bridge.Stop();
}

TEST_F(PgBridgeTest, UnchangedToastIsLeftOut) {
  Sql("CREATE TABLE docs (id int PRIMARY KEY, body text, note text)");
  // Incompressible and large: stored out of line (TOAST).
  Sql("INSERT INTO docs SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 400) g");
  BridgeUnderTest bridge("b", Source("[\"public.docs\"]", "    snapshot: never\n"));
  bridge.StartStreaming();
  Collector col(bridge.publish(), bridge.replay());
  // Wait for the stream to start: a marker change.
  Sql("UPDATE docs SET note = 'first'");
  ASSERT_TRUE(col.WaitCount(1));
  Json up = col.deltas()[0];
  EXPECT_EQ(up["changes"]["note"]["new"], "first");
  EXPECT_FALSE(up["changes"].contains("body")) << up.dump();
  Sql("ALTER TABLE docs REPLICA IDENTITY FULL");
  Sql("UPDATE docs SET note = 'second'");
  ASSERT_TRUE(col.WaitCount(2));
  up = col.deltas()[1];
  EXPECT_EQ(up["changes"], Json::parse(R"({"note":{"old":"first","new":"second"}})"));
  bridge.Stop();
}

TEST_F(PgBridgeTest, TransactionGroupingAndAlterTable) {
  Sql("CREATE TABLE a (id int PRIMARY KEY, v text)");
  BridgeUnderTest bridge("b", Source("[\"public.a\"]"));
  bridge.StartStreaming();
  Collector col(bridge.publish(), bridge.replay());
  Sql("BEGIN; INSERT INTO a VALUES (1, 'x'); INSERT INTO a VALUES (2, 'y'); "
      "UPDATE a SET v = 'z' WHERE id = 1; COMMIT");
  ASSERT_TRUE(col.WaitCount(3));
  auto all = col.deltas();
  ExpectGapFree(all);
  EXPECT_EQ(all[0]["tx"]["id"], all[2]["tx"]["id"]);
  EXPECT_FALSE(all[0]["tx"]["last"].get<bool>());
  EXPECT_FALSE(all[1]["tx"]["last"].get<bool>());
  EXPECT_TRUE(all[2]["tx"]["last"].get<bool>());
  Sql("ALTER TABLE a ADD COLUMN seats int DEFAULT 3");
  Sql("INSERT INTO a VALUES (3, 'w', 9)");
  Sql("ALTER TABLE a DROP COLUMN v");
  Sql("ALTER TABLE a RENAME COLUMN seats TO places");
  Sql("INSERT INTO a VALUES (4, 1)");
  ASSERT_TRUE(col.WaitCount(5));
  all = col.deltas();
  EXPECT_EQ(all[3]["changes"],
            Json::parse(R"({"id":{"new":3},"v":{"new":"w"},"seats":{"new":9}})"));
  EXPECT_EQ(all[4]["changes"], Json::parse(R"({"id":{"new":4},"places":{"new":1}})"));
  EXPECT_NE(all[3]["tx"]["id"], all[4]["tx"]["id"]);
  Sql("TRUNCATE a");
  ASSERT_TRUE(col.WaitCount(6));
  EXPECT_EQ(col.deltas()[5]["op"], "truncate");
  bridge.Stop();
}

TEST_F(PgBridgeTest, ExcludedColumnsAndTablePatterns) {
  Sql("CREATE TABLE rangers (id int PRIMARY KEY, name text, ssn text)");
  Sql("CREATE TABLE other (id int PRIMARY KEY)");
  BridgeUnderTest bridge(
      "b", Source("[\"public.ranger*\"]", "    exclude_columns: [public.rangers.ssn]\n"));
  bridge.StartStreaming();
  Collector col(bridge.publish(), bridge.replay());
  Sql("INSERT INTO other VALUES (1)");
  Sql("INSERT INTO rangers VALUES (1, 'Ann', '123-45-6789')");
  ASSERT_TRUE(col.WaitCount(1));
  Json d = col.deltas()[0];
  EXPECT_EQ(d["table"], "public.rangers");
  EXPECT_EQ(d["changes"], Json::parse(R"({"id":{"new":1},"name":{"new":"Ann"}})"));
  EXPECT_EQ(d["seq"], 1);
  bridge.Stop();
}

TEST_F(PgBridgeTest, LargeTransactionIsStreamedAndGroupedAndAbortsVanish) {
  Sql("CREATE TABLE big (id int PRIMARY KEY, pad text)");
  BridgeUnderTest bridge("b", Source("[\"public.big\"]"));
  bridge.StartStreaming();
  Collector col(bridge.publish(), bridge.replay());
  // A streamed transaction that aborts, and one that aborts a subtransaction.
  Sql("BEGIN; INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g; "
      "ROLLBACK");
  Sql("BEGIN; INSERT INTO big SELECT g, 'keep' FROM generate_series(1, 3000) g; SAVEPOINT s; "
      "INSERT INTO big SELECT g, 'drop' FROM generate_series(3001, 6000) g; ROLLBACK TO s; "
      "INSERT INTO big SELECT g, 'keep' FROM generate_series(6001, 9000) g; COMMIT");
  ASSERT_TRUE(col.WaitCount(6000)) << col.size();
  Sql("INSERT INTO big VALUES (0, 'after')");
  ASSERT_TRUE(col.WaitCount(6001));
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 6001u);
  ExpectGapFree(all);
  std::set<int> ids;
  for (size_t i = 0; i < 6000; ++i) {
    EXPECT_EQ(all[i]["changes"]["pad"]["new"], "keep");
    EXPECT_EQ(all[i]["tx"]["id"], all[0]["tx"]["id"]);
    EXPECT_EQ(all[i]["tx"]["last"].get<bool>(), i == 5999);
    ids.insert(all[i]["key"]["id"].get<int>());
  }
  EXPECT_EQ(ids.size(), 6000u);
  EXPECT_EQ(all[6000]["changes"]["pad"]["new"], "after");
  bridge.Stop();
}

TEST_F(PgBridgeTest, RestartResumesExactly) { RestartResumesExactly(ScenarioSource()); }

TEST_F(PgBridgeTest, ServerRestartUnderTheBridge) { ServerRestartUnderTheBridge(ScenarioSource()); }

// A crash of the server while the bridge holds complete transactions not yet
// committed to its journal (group commit): they must be journaled once, not
// again when the server resends them after the reconnect.
TEST_F(PgBridgeTest, ServerCrashDuringAStreamRepeatsNothing) {
  Sql("CREATE TABLE s (id int PRIMARY KEY, n int)");
  BridgeUnderTest bridge("b", Source("[\"public.s\"]"));
  bridge.StartStreaming();
  Collector col(bridge.publish(), bridge.replay());
  Sql("INSERT INTO s SELECT g, 0 FROM generate_series(1, 20) g");
  for (int i = 0; i < 60; ++i)
    Sql("UPDATE s SET n = n + 1 WHERE id % 2 = " + std::to_string(i % 2));
  ASSERT_TRUE(pg_->StopImmediate().ok());
  ASSERT_TRUE(pg_->Start().ok()) << pg_->LogTail();
  Sql("INSERT INTO s VALUES (21, 0)");
  const size_t want = 20 + 60 * 10 + 1;
  ASSERT_TRUE(col.WaitCount(want)) << col.size();
  // Give a duplicate the time to show up behind the last delta.
  ASSERT_FALSE(col.WaitCount(want + 1, std::chrono::milliseconds(1500))) << col.size();
  auto all = col.deltas();
  ExpectGapFree(all);
  std::map<std::string, int> per_tx;
  for (const auto& d : all) per_tx[d["tx"]["id"].get<std::string>()]++;
  for (const auto& [tx, n] : per_tx) EXPECT_TRUE(n == 10 || n == 20 || n == 1) << tx << ": " << n;
  EXPECT_EQ(per_tx.size(), 62u);
  bridge.Stop();
}

TEST_F(PgBridgeTest, Kill9DuringWriteLoadLosesAndRepeatsNothing) {
  Kill9DuringWriteLoadLosesAndRepeatsNothing(ScenarioSource());
}

TEST_F(PgBridgeTest, IdleSlotFollowsTheWalEnd) {
  Sql("CREATE TABLE watched (id int PRIMARY KEY)");
  Sql("CREATE TABLE unwatched (id int PRIMARY KEY, pad text)");
  BridgeUnderTest bridge("b", Source("[\"public.watched\"]"));
  bridge.StartStreaming();
  // Only a table outside the publication changes: no delta, yet the slot must
  // advance so the server can recycle its WAL.
  Sql("INSERT INTO unwatched SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
  std::string target = Value("SELECT pg_current_wal_lsn()::text");
  std::string confirmed;
  bool advanced = WaitUntil(
      [&] {
        confirmed = Value(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
            "WHERE slot_name = '" +
            slot() + "'");
        return Value("SELECT '" + confirmed + "'::pg_lsn >= '" + target + "'::pg_lsn") == "t";
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(advanced) << "confirmed " << confirmed << ", WAL at " << target;
  bridge.Stop();
}

TEST_F(PgBridgeTest, Kill9DuringSnapshotRedoesItWhole) {
  Sql("CREATE TABLE many (id int PRIMARY KEY, pad text)");
  Sql("INSERT INTO many SELECT g, md5(g::text) FROM generate_series(1, 60000) g");
  BridgeUnderTest bridge("b", Source("[\"public.many\"]"));
  // Kill it while the snapshot runs (or just before or after: any moment must do).
  bridge.StartAndWaitForLog("initial snapshot of");
  bridge.Kill9();
  bridge.StartStreaming();
  Sql("INSERT INTO many VALUES (0, 'after')");
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(60001)) << col.size();
  auto all = col.deltas();
  ExpectGapFree(all);
  EXPECT_EQ(all[0]["seq"], 1);
  std::set<int> ids;
  for (size_t i = 0; i < 60000; ++i) {
    ASSERT_EQ(all[i]["op"], "snapshot") << i;
    ids.insert(all[i]["key"]["id"].get<int>());
  }
  EXPECT_EQ(ids.size(), 60000u);
  EXPECT_EQ(all[60000]["op"], "insert");
  EXPECT_EQ(all[60000]["key"]["id"], 0);
  bridge.Stop();
}

TEST_F(PgBridgeTest, SigtermDuringSnapshotIsACleanStop) {
  Sql("CREATE TABLE sn (id int PRIMARY KEY, pad text)");
  Sql("INSERT INTO sn SELECT g, md5(g::text) FROM generate_series(1, 200000) g");
  BridgeUnderTest bridge("b", Source("[\"public.sn\"]"));
  bridge.StartAndWaitForLog("initial snapshot of");
  bridge.Stop();  // asserts exit code 0 within 30 s
  // Nothing of an interrupted snapshot is visible; the next start takes it whole.
  bridge.StartStreaming();
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(200000)) << col.size();
  auto all = col.deltas();
  ExpectGapFree(all);
  EXPECT_EQ(all.size(), 200000u);
  bridge.Stop();
}

TEST_F(PgBridgeTest, DroppedSlotStopsLoudly) {
  LostPositionStopsLoudly(
      ScenarioSource(), [&] { Sql("SELECT pg_drop_replication_slot('" + slot() + "')"); }, 1);
}

TEST_F(PgBridgeTest, DroppedPublicationStopsLoudly) {
  BridgeUnderTest bridge("b", Source("[\"public.p\"]"));
  ASSERT_NO_FATAL_FAILURE(StreamRowOneThenStop(ScenarioSource(), bridge, "p"));
  Sql("DROP PUBLICATION deltabridge_b_src");
  Sql("INSERT INTO p VALUES (2)");
  bridge.Start();
  EXPECT_EQ(bridge.WaitExit(std::chrono::seconds(60)), 1);
  EXPECT_NE(
      bridge.log().find("publication \"deltabridge_b_src\" of source \"src\" no longer exists"),
      std::string::npos)
      << bridge.log();
}

TEST_F(PgBridgeTest, RetentionAnswersGoneToTail) {
  Sql("CREATE TABLE g (id int PRIMARY KEY, pad text)");
  BridgeUnderTest bridge("b", Source("[\"public.g\"]"), "  retention: {max_bytes: 4KiB}\n");
  bridge.StartStreaming();
  {
    Collector col(bridge.publish(), bridge.replay());
    Sql("INSERT INTO g SELECT x, repeat('p', 100) FROM generate_series(1, 200) x");
    ASSERT_TRUE(col.WaitCount(200));
  }
  // Retention runs at start: most of the 200 deltas go.
  bridge.Stop();
  bridge.StartAndWaitForLog("journal retention: removed seq 1..");
  Result<RunResult> r = RunCommand(
      {DeltabridgeBin(), "tail", bridge.publish(), "--replay", bridge.replay(), "--from", "1"},
      std::chrono::seconds(60));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.exit_code, 1) << r->output;
  EXPECT_NE(r->output.find("gone, the bridge's journal now starts at seq"), std::string::npos)
      << r->output;
  // What is kept still replays, up to the newest seq.
  r = RunCommand({DeltabridgeBin(), "tail", bridge.publish(), "--replay", bridge.replay(), "--from",
                  "200", "--count", "1"},
                 std::chrono::seconds(60));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("\"seq\":200,"), std::string::npos) << r->output;
  bridge.Stop();
}

TEST_F(PgBridgeTest, CheckReportsEachPrerequisite) {
  Sql("CREATE TABLE good (id int PRIMARY KEY)");
  Sql("CREATE TABLE nokey (v int)");
  BridgeUnderTest ok_bridge("b", Source("[\"public.good\"]"));
  Result<RunResult> r =
      RunCommand({DeltabridgeBin(), "check", ok_bridge.config_path()}, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("ok    source src: wal_level is logical"), std::string::npos)
      << r->output;
  EXPECT_NE(r->output.find("REPLICA IDENTITY FULL"), std::string::npos) << r->output;
  BridgeUnderTest bad_bridge("b", Source("[\"public.nokey\", \"public.missing\"]"));
  r = RunCommand({DeltabridgeBin(), "check", bad_bridge.config_path()}, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.exit_code, 1) << r->output;
  EXPECT_NE(r->output.find("FAIL  source src: table public.nokey has no primary key"),
            std::string::npos)
      << r->output;
  EXPECT_NE(r->output.find("\"public.missing\" matches no table"), std::string::npos) << r->output;
}

TEST_F(PgBridgeTest, StatusAndMetricsReportTheJournalAndSources) {
  Sql("CREATE TABLE st (id int PRIMARY KEY)");
  const int port = FreeLoopbackPort();
  BridgeUnderTest bridge(
      "b", Source("[\"public.st\"]"),
      "  metrics: 127.0.0.1:" + std::to_string(port) + "\n  retention: {max_bytes: 1GiB}\n");
  auto status = [&] {
    Result<RunResult> r =
        RunCommand({DeltabridgeBin(), "status", bridge.config_path()}, std::chrono::seconds(30));
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : RunResult{};
  };
  RunResult before = status();
  EXPECT_EQ(before.status.exit_code, 1) << before.output;
  EXPECT_NE(before.output.find("bridge b: not running, and no report"), std::string::npos)
      << before.output;

  bridge.StartStreaming();
  Sql("INSERT INTO st VALUES (1), (2)");
  Sql("INSERT INTO st VALUES (3)");
  httplib::Client http("127.0.0.1", port);
  std::string body;
  // The endpoint serves the report of the last second.
  ASSERT_TRUE(WaitUntil([&] {
    auto r = http.Get("/metrics");
    if (!r || r->status != 200) return false;
    body = r->body;
    return MetricValue(body, "deltabridge_journal_last_seq{bridge=\"b\"}") == 3 &&
           MetricValue(body, "deltabridge_published_seq{bridge=\"b\"}") == 3;
  })) << body;
  const std::string src = "{bridge=\"b\",source=\"src\",type=\"postgres\"}";
  EXPECT_EQ(MetricValue(body, "deltabridge_source_changes_total" + src), 3) << body;
  EXPECT_EQ(MetricValue(body, "deltabridge_source_transactions_total" + src), 2) << body;
  // Three small deltas: a few hundred bytes of topics and bodies.
  EXPECT_GT(MetricValue(body, "deltabridge_source_bytes_total" + src), 300) << body;
  EXPECT_LT(MetricValue(body, "deltabridge_source_bytes_total" + src), 3000) << body;
  EXPECT_EQ(MetricValue(body, "deltabridge_journal_first_seq{bridge=\"b\"}"), 1);
  EXPECT_GT(MetricValue(body, "deltabridge_source_last_commit_timestamp_seconds" + src), 1.7e9);
  EXPECT_GE(MetricValue(body, "deltabridge_source_lag_seconds" + src), 0) << body;
  EXPECT_NE(body.find("# TYPE deltabridge_source_changes_total counter"), std::string::npos);

  RunResult running = status();
  EXPECT_EQ(running.status.exit_code, 0) << running.output;
  EXPECT_NE(running.output.find("bridge b: running (pid"), std::string::npos) << running.output;
  EXPECT_NE(running.output.find("journal: seq 1..3"), std::string::npos) << running.output;
  EXPECT_NE(running.output.find("source src (postgres): position "), std::string::npos)
      << running.output;
  EXPECT_NE(running.output.find("3 changes ("), std::string::npos) << running.output;
  EXPECT_NE(running.output.find(") in 2 transactions"), std::string::npos) << running.output;

  // SIGHUP: the retention is taken as it is now; a changed endpoint is
  // named as needing a restart; the bridge goes on.
  ASSERT_NO_FATAL_FAILURE(ReplaceInFile(bridge.config_path(), "1GiB", "2GiB"));
  ASSERT_NO_FATAL_FAILURE(
      ReplaceInFile(bridge.config_path(), "metrics: 127.0.0.1:", "metrics: 127.0.0.2:"));
  bridge.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] {
    return bridge.log().find(
               "bridge.metrics changed since start and take effect only at a "
               "restart") != std::string::npos;
  })) << bridge.log();
  EXPECT_NE(bridge.log().find("journal retention max_bytes 1073741824 -> max_bytes 2147483648"),
            std::string::npos)
      << bridge.log();
  EXPECT_TRUE(bridge.running());
  Sql("INSERT INTO st VALUES (4)");
  EXPECT_TRUE(WaitUntil([&] {
    auto r = http.Get("/metrics");
    return r && MetricValue(r->body, "deltabridge_journal_last_seq{bridge=\"b\"}") == 4;
  }));

  bridge.Stop();
  RunResult stopped = status();
  EXPECT_EQ(stopped.status.exit_code, 0) << stopped.output;
  EXPECT_NE(stopped.output.find("bridge b: not running; last report"), std::string::npos)
      << stopped.output;
  EXPECT_NE(stopped.output.find("journal: seq 1..4"), std::string::npos) << stopped.output;
}

TEST_F(PgBridgeTest, ConfigErrorsExitTwoWithLocation) {
  BridgeUnderTest bridge("b", "  - name: src\n    type: pgsql\n    dsn: x\n    tables: [a.b]\n");
  Result<RunResult> r =
      RunCommand({DeltabridgeBin(), "run", bridge.config_path()}, std::chrono::seconds(30));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.exit_code, 2) << r->output;
  EXPECT_NE(r->output.find("bridge.yaml:8:11: sources[0].type: expected one of postgres, mysql, "
                           "odbc, got \"pgsql\""),
            std::string::npos)
      << r->output;
}

TEST_F(PgBridgeTest, TailReplaysThenFollowsWithCount) {
  Sql("CREATE TABLE tl (id int PRIMARY KEY)");
  Sql("INSERT INTO tl SELECT generate_series(1, 5)");
  BridgeUnderTest bridge("b", Source("[\"public.tl\"]"));
  bridge.Start();
  {
    Collector col(bridge.publish(), bridge.replay());
    ASSERT_TRUE(col.WaitCount(5));
  }
  std::atomic<bool> done{false};
  std::thread more([&] {
    // Keep committing until tail has what it needs.
    for (int i = 6; !done.load() && i < 200; ++i) {
      pg_->Exec("INSERT INTO tl VALUES (" + std::to_string(i) + ")", db_).ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  Result<RunResult> r = RunCommand({DeltabridgeBin(), "tail", bridge.publish(), "--replay",
                                    bridge.replay(), "--from", "3", "--count", "8"},
                                   std::chrono::seconds(60));
  done = true;
  more.join();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status.exit_code, 0) << r->output;
  std::vector<Json> lines;
  std::stringstream ss(r->output);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && line[0] == '{') lines.push_back(Json::parse(line));
  }
  ASSERT_EQ(lines.size(), 8u) << r->output;
  EXPECT_EQ(lines[0]["seq"], 3);
  ExpectGapFree(lines);
  bridge.Stop();
}

// Two-way sync (docs/two-way.md), forward: false. The bridge creates the
// origin tag table (none exists) and publishes it, never deltabridge's other
// tables; a transaction a sink tagged is not published, also when it is
// large enough to be streamed before it commits, while an untagged one is,
// without origin.
TEST_F(PgBridgeTest, SinkWrittenTransactionsAreNotPublishedWithoutForward) {
  Sql("CREATE TABLE t (id int PRIMARY KEY, v text)");
  // A sink's state table: public.* matches it, the bridge never captures it.
  Sql("CREATE TABLE deltabridge_checkpoints (id int PRIMARY KEY, seq bigint)");
  Sql("INSERT INTO deltabridge_checkpoints VALUES (1, 0)");
  BridgeUnderTest bridge("b", Source());
  Result<RunResult> check =
      RunCommand({DeltabridgeBin(), "check", bridge.config_path()}, std::chrono::seconds(60));
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->status.exit_code, 0) << check->output;
  EXPECT_NE(check->output.find(
                "ok    source src: no deltabridge_origin table yet: the bridge creates it in "
                "schema public at start"),
            std::string::npos)
      << check->output;

  bridge.StartStreaming();
  EXPECT_NE(bridge.log().find("created table public.deltabridge_origin"), std::string::npos)
      << bridge.log();
  EXPECT_EQ(Value("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM "
                  "pg_publication_tables"),
            "deltabridge_origin,t");
  check = RunCommand({DeltabridgeBin(), "check", bridge.config_path()}, std::chrono::seconds(60));
  ASSERT_TRUE(check.ok());
  EXPECT_NE(check->output.find("ok    source src: origin tag table public.deltabridge_origin is "
                               "in publication \"deltabridge_b_src\""),
            std::string::npos)
      << check->output;

  Collector col(bridge.publish(), bridge.replay());
  // The sink's first write makes its row (a transaction of the tag alone).
  Sql(R"(INSERT INTO deltabridge_origin VALUES ('w', '{"n":0,"path":["x.y"]}'))");
  Sql(R"(BEGIN; UPDATE deltabridge_origin SET tag = '{"n":1,"path":["x.y"]}' WHERE writer = 'w';
         INSERT INTO t VALUES (1, 'sink'); UPDATE t SET v = 'sink 2' WHERE id = 1; COMMIT)");
  Sql("BEGIN; INSERT INTO t VALUES (2, 'local'); UPDATE deltabridge_checkpoints SET seq = 5; "
      "COMMIT");
  ASSERT_TRUE(col.WaitCount(1));
  // A streamed tagged transaction (logical_decoding_work_mem is 64kB).
  Sql(R"(BEGIN; UPDATE deltabridge_origin SET tag = '{"n":2,"path":["x.y"]}' WHERE writer = 'w';
         INSERT INTO t SELECT g, repeat('s', 100) FROM generate_series(100, 3099) g; COMMIT)");
  Sql("INSERT INTO t VALUES (3, 'after')");
  ASSERT_TRUE(col.WaitCount(2));
  std::vector<Json> all = col.deltas();
  ASSERT_EQ(all.size(), 2u);
  ExpectGapFree(all);
  EXPECT_EQ(all[0]["table"], "public.t");
  EXPECT_EQ(all[0]["key"]["id"], 2);
  EXPECT_FALSE(all[0].contains("origin"));
  EXPECT_FALSE(all[0].contains("node"));  // the default node name is not written
  EXPECT_TRUE(all[0]["tx"]["last"].get<bool>());
  EXPECT_EQ(all[1]["key"]["id"], 3);
  EXPECT_FALSE(all[1].contains("origin"));
  EXPECT_GE(std::stoi(Value("SELECT stream_txns FROM pg_stat_replication_slots WHERE "
                            "slot_name = '" +
                            slot() + "'")),
            1);

  // The count: 2 + 3000 not forwarded; only the two untagged deltas journaled.
  RunResult status;
  EXPECT_TRUE(WaitUntil([&] {
    Result<RunResult> r =
        RunCommand({DeltabridgeBin(), "status", bridge.config_path()}, std::chrono::seconds(30));
    if (!r.ok()) return false;
    status = *r;
    return status.output.find("0 changes forwarded with their origin, 3002 not forwarded") !=
           std::string::npos;
  })) << status.output;
  EXPECT_NE(status.output.find("since start: 2 changes ("), std::string::npos) << status.output;
  bridge.Stop();
}

// Two-way sync, forward: true (a hub) with a node name of its own: the tagged
// changes are published with their origin, the path in the tag followed by
// this node, also those of a streamed transaction; every delta names the
// node. An existing tag table in another schema is published (none is
// created); a tag that does not decode leaves its transaction untagged.
TEST_F(PgBridgeTest, SinkWrittenTransactionsAreForwardedWithTheirOrigin) {
  Sql("CREATE TABLE t (id int PRIMARY KEY, v text)");
  Sql("CREATE SCHEMA sinkstate");
  Sql("CREATE TABLE sinkstate.deltabridge_origin (writer varchar(200) PRIMARY KEY, "
      "tag varchar(4000) NOT NULL)");
  Sql(R"(INSERT INTO sinkstate.deltabridge_origin VALUES ('w', '{"n":0,"path":["x.y"]}'))");
  const int port = FreeLoopbackPort();
  BridgeUnderTest bridge("b", Source("[\"public.t\"]", "    node: hub.main\n    forward: true\n"),
                         "  metrics: 127.0.0.1:" + std::to_string(port) + "\n");
  bridge.StartStreaming();
  EXPECT_EQ(Value("SELECT count(*) FROM pg_class WHERE relname = 'deltabridge_origin'"), "1");
  EXPECT_EQ(Value("SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY 1) FROM "
                  "pg_publication_tables"),
            "public.t,sinkstate.deltabridge_origin");
  Collector col(bridge.publish(), bridge.replay());
  Sql(R"(BEGIN; INSERT INTO t VALUES (1, 'before the tag');
         UPDATE sinkstate.deltabridge_origin SET tag = '{"n":1,"path":["x.y"]}' WHERE writer = 'w';
         INSERT INTO t VALUES (2, 'sink'); UPDATE t SET v = 'sink 2' WHERE id = 2;
         UPDATE sinkstate.deltabridge_origin SET tag = '{"n":2,"path":["a.b","x.y"]}'
           WHERE writer = 'w';
         DELETE FROM t WHERE id = 1; COMMIT)");
  Sql("INSERT INTO t VALUES (3, 'local')");
  Sql(R"(BEGIN; UPDATE sinkstate.deltabridge_origin SET tag = 'garbage' WHERE writer = 'w';
         INSERT INTO t VALUES (4, 'unreadable tag'); COMMIT)");
  Sql(R"(BEGIN; UPDATE sinkstate.deltabridge_origin SET tag = '{"n":3,"path":["x.y"]}'
           WHERE writer = 'w';
         INSERT INTO t SELECT g, repeat('s', 100) FROM generate_series(100, 2099) g; COMMIT)");
  ASSERT_TRUE(col.WaitCount(2006)) << col.size();
  std::vector<Json> all = col.deltas();
  ASSERT_EQ(all.size(), 2006u);
  ExpectGapFree(all);
  for (const Json& d : all) EXPECT_EQ(d["node"], "hub.main") << d.dump();
  const Json xy = Json::parse(R"(["x.y","hub.main"])");
  EXPECT_FALSE(all[0].contains("origin"));  // before the tag
  EXPECT_EQ(all[0]["key"]["id"], 1);
  EXPECT_EQ(all[1]["origin"], xy);
  EXPECT_EQ(all[1]["op"], "insert");
  EXPECT_EQ(all[2]["origin"], xy);
  EXPECT_EQ(all[2]["op"], "update");
  EXPECT_EQ(all[3]["origin"], Json::parse(R"(["a.b","x.y","hub.main"])"));
  EXPECT_EQ(all[3]["op"], "delete");
  EXPECT_TRUE(all[3]["tx"]["last"].get<bool>());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(all[i]["table"], "public.t");
  EXPECT_EQ(all[4]["key"]["id"], 3);
  EXPECT_FALSE(all[4].contains("origin"));
  EXPECT_EQ(all[5]["key"]["id"], 4);
  EXPECT_FALSE(all[5].contains("origin"));
  EXPECT_NE(bridge.log().find("the rest of its transaction is treated as untagged"),
            std::string::npos)
      << bridge.log();
  for (size_t i = 6; i < all.size(); ++i) {
    EXPECT_EQ(all[i]["origin"], xy);
    EXPECT_EQ(all[i]["tx"]["id"], all[6]["tx"]["id"]);
    EXPECT_EQ(all[i]["tx"]["last"].get<bool>(), i + 1 == all.size());
  }
  EXPECT_GE(std::stoi(Value("SELECT stream_txns FROM pg_stat_replication_slots WHERE "
                            "slot_name = '" +
                            slot() + "'")),
            1);

  httplib::Client http("127.0.0.1", port);
  const std::string src = "{bridge=\"b\",source=\"src\",type=\"postgres\"}";
  std::string body;
  EXPECT_TRUE(WaitUntil([&] {
    auto r = http.Get("/metrics");
    if (!r || r->status != 200) return false;
    body = r->body;
    return MetricValue(body, "deltabridge_source_sink_written_forwarded_total" + src) == 2003;
  })) << body;
  EXPECT_EQ(MetricValue(body, "deltabridge_source_sink_written_dropped_total" + src), 0) << body;
  EXPECT_EQ(MetricValue(body, "deltabridge_source_bad_origin_tags_total" + src), 1) << body;
  EXPECT_EQ(MetricValue(body, "deltabridge_source_changes_total" + src), 2006) << body;
  bridge.Stop();
}

}  // namespace
}  // namespace deltabridge::test
