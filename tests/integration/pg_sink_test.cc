// End-to-end tests of sinks into PostgreSQL: a real PostgreSQL 15 holding the
// source databases and the target database, a real `deltabridge run` and a
// real `deltabridge sink` process.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/sink_harness.h"
#include "tests/integration/sink_scenarios.h"
#include "tests/integration/sink_test_base.h"

namespace deltabridge::test {
namespace {

// Adds `metrics: 127.0.0.1:PORT` to a sink file's `sink:` section.
void ServeMetrics(const std::string& config_path, int port) {
  ReplaceInFile(config_path,
                "  state_dir:", "  metrics: 127.0.0.1:" + std::to_string(port) + "\n  state_dir:");
}

class PgSinkTest : public SinkTestBase {
 protected:
  PgSinkTest() : SinkTestBase("sink") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SinkTestBase::SetUp());
    ASSERT_TRUE(pg_->CreateDatabase(dash()).ok());
  }

  std::string dash() const { return name_ + "_dash"; }

  // Waits until `sql` in the target returns `want`.
  bool WaitValue(const std::string& sql, const std::string& want,
                 std::chrono::milliseconds timeout = std::chrono::seconds(90)) {
    return WaitTargetValue(Dash(), sql, want, timeout);
  }

  std::string Target() { return "  type: postgres\n  dsn: \"" + pg_->Conninfo(dash()) + "\"\n"; }
  // The target database, for the shared scenarios.
  SinkTarget Dash() {
    return {Target(), "public.", [this](const std::string& sql) { return pg_->Exec(sql, dash()); },
            [this](const std::string& sql) { return pg_->QueryValue(sql, dash()); }};
  }
};

TEST_F(PgSinkTest, TwoSourcesExerciseEveryRule) {
  CreateRuleSources(parks());
  Sql(dash(),
      std::string("CREATE TABLE slots (slot_id int PRIMARY KEY, ") + kSourceRuleColumns + ")");
  BridgeUnderTest bridge("parks", Sources());
  ASSERT_NO_FATAL_FAILURE(StartStreamingBoth(bridge));
  SinkUnderTest sink("dash", bridge, {"parks.scheduling.", "parks.legacy."}, Target(),
                     RuleMappings("public.slots"));
  sink.Start();
  const std::string row =
      "SELECT concat_ws('|', c_over, c_lww, c_lwwby, changed_at, c_fww, "
      "c_prio, c_max, c_min, c_add, c_keep, c_manual) FROM slots "
      "WHERE slot_id = 1";
  // 1. Scheduling creates the row: everything applies.
  Sql(sched(),
      "INSERT INTO slots VALUES (1, 'a', 'a', 'a', '2026-01-01 10:00+00', 'a', 'a', 5, "
      "5, 10, NULL, 'a')");
  ASSERT_TRUE(WaitValue(row, "a|a|a|2026-01-01 10:00:00+00|a|a|5|5|10|a")) << Value(dash(), row);
  // 2. Legacy inserts the same row, later, with an older changed_at.
  Sql(legacy(),
      "INSERT INTO slots VALUES (1, 'L', 'L', 'L', '2026-01-01 09:00+00', 'L', 'L', 3, "
      "3, 100, 'L', 'L')");
  //   overwrite L | lww L (newer) | by changed_at: keep a | changed_at max keeps 10:00 |
  //   fww keeps a | priority: legacy ranks first, L | max keeps 5 | min takes 3 |
  //   additive: an insert of a row the target has keeps 10 | keep_target: was NULL, L |
  //   manual: another source wrote the field: held, a.
  ASSERT_TRUE(WaitValue(row, "L|L|a|2026-01-01 10:00:00+00|a|L|5|3|10|L|a")) << Value(dash(), row);
  // 3. Scheduling changes several fields.
  Sql(sched(),
      "UPDATE slots SET c_add = c_add + 3, c_prio = 'S', c_keep = 'S', c_lww = 'S2', "
      "c_lwwby = 'S3', changed_at = '2026-01-01 11:00+00' WHERE id = 1");
  //   additive 10 + 3 | priority: scheduling ranks below legacy, keep L | keep_target keeps L |
  //   lww S2 | by changed_at: 11:00 is newer, S3 | changed_at max 11:00.
  ASSERT_TRUE(WaitValue(row, "L|S2|S3|2026-01-01 11:00:00+00|a|L|5|3|13|L|a"))
      << Value(dash(), row);
  // 4. Legacy adds to the counter concurrently: both increments count.
  Sql(legacy(), "UPDATE slots SET c_add = c_add + 50 WHERE id = 1");
  ASSERT_TRUE(WaitValue(row, "L|S2|S3|2026-01-01 11:00:00+00|a|L|5|3|63|L|a"))
      << Value(dash(), row);
  // 5. Fields that do not conflict merge: each source changes another column.
  Sql(sched(), "UPDATE slots SET c_max = 9 WHERE id = 1");
  Sql(legacy(), "UPDATE slots SET c_min = 1 WHERE id = 1");
  ASSERT_TRUE(WaitValue(row, "L|S2|S3|2026-01-01 11:00:00+00|a|L|9|1|63|L|a"))
      << Value(dash(), row);
  // max and min keep what does not beat the current value.
  Sql(sched(), "UPDATE slots SET c_max = 7, c_min = 2 WHERE id = 1");
  // 6. overwrite from scheduling again, whatever legacy did.
  Sql(sched(), "UPDATE slots SET c_over = 'S4' WHERE id = 1");
  ASSERT_TRUE(WaitValue(row, "S4|S2|S3|2026-01-01 11:00:00+00|a|L|9|1|63|L|a"))
      << Value(dash(), row);

  // The held manual conflict is listed, and resolving it takes the incoming value.
  ASSERT_TRUE(WaitCaughtUp(sink));
  HeldManualConflict held =
      ResolveHeldManualConflict(Dash(), sink, "SELECT writers::text FROM deltabridge_row_writers");
  EXPECT_NE(held.list.output.find("from parks.legacy"), std::string::npos) << held.list.output;
  EXPECT_NE(held.status.output.find("sink dash: running"), std::string::npos) << held.status.output;
  sink.Stop();
  bridge.Stop();
}

TEST_F(PgSinkTest, Kill9DuringWriteLoadKeepsAnAdditiveCounterExact) {
  Kill9DuringWriteLoadKeepsAnAdditiveCounterExact(
      parks(), Dash(), "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)");
}

TEST_F(PgSinkTest, TargetServerCrashUnderTheSinkLosesAndRepeatsNothing) {
  Sql(sched(),
      "CREATE TABLE items (id int PRIMARY KEY, n bigint NOT NULL);"
      "ALTER TABLE items REPLICA IDENTITY FULL");
  Sql(dash(), "CREATE TABLE items (id int PRIMARY KEY, n bigint NOT NULL)");
  BridgeUnderTest bridge("parks", OneSource("[public.items]"));
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, Target(),
                     "  - from: parks.scheduling.public.items\n    to: public.items\n"
                     "    key: [id]\n    rules: {n: additive}\n");
  sink.Start();
  Sql(sched(), "INSERT INTO items SELECT g, 0 FROM generate_series(1, 50) g");
  ASSERT_TRUE(WaitValue("SELECT count(*) FROM items", "50"));
  for (int i = 0; i < 40; ++i) {
    Sql(sched(), "UPDATE items SET n = n + 1 WHERE id % 2 = " + std::to_string(i % 2));
  }
  // Crash the server (source and target alike) while the sink applies.
  ASSERT_TRUE(pg_->StopImmediate().ok());
  ASSERT_TRUE(pg_->Start().ok());
  for (int i = 0; i < 40; ++i) Sql(sched(), "UPDATE items SET n = n + 1 WHERE id <= 10");
  const std::string want = Value(sched(),
                                 "SELECT string_agg(id || ':' || n, ',' ORDER BY id) "
                                 "FROM items");
  ASSERT_TRUE(WaitValue("SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM items", want,
                        std::chrono::seconds(120)))
      << Value(dash(), "SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM items");
  ASSERT_TRUE(WaitCaughtUp(sink));
  EXPECT_EQ(Value(dash(), "SELECT count(*) FROM deltabridge_conflicts"), "0");
  EXPECT_TRUE(sink.running());
  sink.Stop();
  bridge.Stop();
}

TEST_F(PgSinkTest, JsonLinesTargetHoldsEveryDeltaOnceAcrossKill9) {
  Sql(sched(), "CREATE TABLE items (id int PRIMARY KEY, v text, secret text)");
  BridgeUnderTest bridge("parks", OneSource("[public.items]"));
  bridge.StartStreaming();
  Result<TempDir> out = TempDir::Create("dbj-");
  ASSERT_TRUE(out.ok());
  const std::string file = out->Join("items.jsonl");
  SinkUnderTest sink("audit", bridge, {"parks.scheduling."},
                     "  type: jsonl\n  path: " + file + "\n",
                     "  - from: parks.scheduling.public.items\n    to: audit.items\n"
                     "    key: [item]\n    columns: {id: item}\n    exclude: [secret]\n");
  sink.Start();
  // The complete lines of the file: the sink may be appending one right now,
  // and a line without its newline yet is not a line.
  auto lines = [&] {
    std::ifstream f(file);
    std::stringstream text;
    text << f.rdbuf();
    std::vector<Json> all;
    std::string line;
    while (std::getline(text, line)) {
      if (text.eof()) break;  // no newline after it
      all.push_back(Json::parse(line));
    }
    return all;
  };
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 5; ++i) {
      int id = round * 100 + i;
      Sql(sched(), "INSERT INTO items VALUES (" + std::to_string(id) +
                       ", 'v', 's'); UPDATE items "
                       "SET v = 'w' WHERE id = " +
                       std::to_string(id));
    }
    sink.Kill9();
    sink.Start();
  }
  ASSERT_TRUE(WaitUntil([&] { return lines().size() >= 40; })) << lines().size();
  ASSERT_FALSE(WaitUntil([&] { return lines().size() > 40; }, std::chrono::milliseconds(1500)));
  std::vector<Json> all = lines();
  ASSERT_EQ(all.size(), 40u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i]["seq"], i + 1) << all[i].dump();
    EXPECT_EQ(all[i]["table"], "audit.items");
    EXPECT_TRUE(all[i]["key"].contains("item")) << all[i].dump();
    EXPECT_FALSE(all[i]["changes"].contains("secret")) << all[i].dump();
  }
  sink.Stop();
  bridge.Stop();
}

TEST_F(PgSinkTest, TwoBridgesFeedOneCounter) {
  for (const std::string& db : {sched(), legacy()}) {
    Sql(db,
        "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL); ALTER TABLE counters "
        "REPLICA IDENTITY FULL; INSERT INTO counters SELECT g, 0 FROM generate_series(1, 5) g");
  }
  Sql(dash(), "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)");
  // Two bridges, each with a source named "main": the rules tell them apart
  // as parks.main and zoo.main.
  auto source = [&](const std::string& db) {
    return "  - name: main\n    type: postgres\n    dsn: \"" + pg_->Conninfo(db) +
           "\"\n    slot: " + db + "_slot\n    tables: [public.counters]\n";
  };
  BridgeUnderTest parks("parks", source(sched()));
  BridgeUnderTest zoo("zoo", source(legacy()));
  parks.StartStreaming();
  zoo.StartStreaming();
  SinkUnderTest sink("dash",
                     SinkUnderTest::SubscribeEntry(parks, "parks", {"parks.main."}) +
                         SinkUnderTest::SubscribeEntry(zoo, "zoo", {"zoo.main."}),
                     Target(),
                     "  - from: parks.main.public.counters\n    to: public.counters\n"
                     "    key: [id]\n    rules: {n: additive}\n"
                     "  - from: zoo.main.public.counters\n    to: public.counters\n"
                     "    key: [id]\n    rules: {n: additive}\n");
  sink.Start();
  auto load = [&](const std::string& db) {
    for (int i = 0; i < 60; ++i) {
      pg_->Exec("BEGIN; UPDATE counters SET n = n + 1 WHERE id = " + std::to_string(1 + i % 5) +
                    "; UPDATE counters SET n = n + 2 WHERE id = " +
                    std::to_string(1 + (i + 2) % 5) + "; COMMIT;",
                db)
          .ok();
    }
  };
  std::thread a(load, sched());
  std::thread b(load, legacy());
  a.join();
  b.join();
  ASSERT_TRUE(
      WaitValue("SELECT string_agg(n::text, ',' ORDER BY id) FROM counters", "72,72,72,72,72"))
      << Value(dash(), "SELECT string_agg(n::text, ',' ORDER BY id) FROM counters");
  EXPECT_EQ(Value(dash(),
                  "SELECT string_agg(bridge || '=' || seq, ',' ORDER BY bridge) FROM "
                  "deltabridge_checkpoints"),
            "parks=125,zoo=125");
  sink.Stop();
  parks.Stop();
  zoo.Stop();
}

// The PostgreSQL target's own checks: the sink's status file, its metrics
// endpoint and SIGHUP, while it runs caught up.
TEST_F(PgSinkTest, SinkStartedLateCatchesUpThroughReplay) {
  const int metrics_port = FreeLoopbackPort();
  ScenarioHooks hooks;
  hooks.before_start = [&](SinkUnderTest& sink) {
    // Deltas the sink never applies (another table) must not hold it back.
    Sql(sched(), "CREATE TABLE other (id int PRIMARY KEY); INSERT INTO other VALUES (1), (2)");
    ServeMetrics(sink.config_path(), metrics_port);
  };
  hooks.once_caught_up = [&](SinkUnderTest& sink) {
    // The running sink reports what it received (3000 inserts, 1000 updates,
    // 300 deletes; the other table's deltas are not under its topics).
    auto status_file = [&] {
      std::ifstream f(sink.state_dir() + "/sink-status.json");
      Json j = Json::parse(f, nullptr, false);
      return j.is_discarded() ? Json() : j;
    };
    EXPECT_TRUE(WaitUntil([&] {
      Json j = status_file();
      return j.is_object() && j.value("received", 0) == 4300 && j.value("deltas", 0) == 4300;
    })) << status_file().dump();
    EXPECT_EQ(status_file().value("unmapped", 1), 0);
    // The same figures on the metrics endpoint, in Prometheus' text format.
    httplib::Client http("127.0.0.1", metrics_port);
    auto scrape = http.Get("/metrics");
    ASSERT_TRUE(scrape) << httplib::to_string(scrape.error());
    EXPECT_EQ(scrape->status, 200);
    EXPECT_NE(scrape->get_header_value("Content-Type").find("text/plain; version=0.0.4"),
              std::string::npos);
    const std::string& body = scrape->body;
    EXPECT_EQ(MetricValue(body, "deltabridge_sink_deltas_applied_total{sink=\"dash\"}"), 4300)
        << body;
    EXPECT_EQ(MetricValue(body, "deltabridge_sink_deltas_received_total{sink=\"dash\"}"), 4300);
    EXPECT_EQ(MetricValue(body, "deltabridge_sink_rows_deleted_total{sink=\"dash\"}"), 300);
    EXPECT_GE(MetricValue(body, "deltabridge_sink_applied_seq{sink=\"dash\",bridge=\"parks\"}"),
              4300);
    EXPECT_GE(MetricValue(body, "deltabridge_sink_lag_seconds{sink=\"dash\",bridge=\"parks\"}"), 0);
    EXPECT_NE(body.find("# TYPE deltabridge_sink_rows_inserted_total counter"), std::string::npos);
    EXPECT_TRUE(WaitUntil([&] {
      auto r = http.Get("/metrics");
      return r && MetricValue(r->body, "deltabridge_sink_conflicts_waiting{sink=\"dash\"}") == 0;
    }));
    auto other = http.Get("/other");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 404);
    // SIGHUP: a sink applies file changes only at a restart, and says which.
    std::string original;
    {
      std::ifstream in(sink.config_path());
      original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      std::ofstream(sink.config_path(), std::ios::trunc) << original << "    exclude: [v]\n";
    }
    sink.Signal(SIGHUP);
    EXPECT_TRUE(WaitUntil([&] {
      return sink.log().find("SIGHUP: " + sink.config_path() +
                             ": mappings changed since start and take effect only at a "
                             "restart") != std::string::npos;
    })) << sink.log();
    EXPECT_TRUE(sink.running());
    std::ofstream(sink.config_path(), std::ios::trunc) << original;
  };
  SinkStartedLateCatchesUpThroughReplay(
      parks(), Dash(),
      {"CREATE TABLE items (id int PRIMARY KEY, v text, n bigint)",
       "SELECT count(*) || '/' || sum(n) FROM items",
       "SELECT string_agg(id || v || n, ',' ORDER BY id) FROM items"},
      hooks);
}

TEST_F(PgSinkTest, RefusedRowsBecomeConflictsAndDeletesFollowOnDelete) {
  Sql(sched(),
      "CREATE TABLE seats (id int PRIMARY KEY, n int, tag text); ALTER TABLE seats REPLICA "
      "IDENTITY FULL;"
      "CREATE TABLE soft (id int PRIMARY KEY, v text); ALTER TABLE soft REPLICA IDENTITY FULL;"
      "CREATE TABLE keep (id int PRIMARY KEY, v text);"
      "CREATE TABLE trunc (id int PRIMARY KEY, v text);"
      "CREATE TABLE rekey (id int PRIMARY KEY, v text); ALTER TABLE rekey REPLICA IDENTITY FULL");
  Sql(dash(),
      "CREATE TABLE seats (id int PRIMARY KEY, n int CHECK (n >= 0), tag varchar(3));"
      "CREATE TABLE soft (id int PRIMARY KEY, v text, deleted_at timestamptz);"
      "CREATE TABLE keep (id int PRIMARY KEY, v text);"
      "CREATE TABLE trunc (id int PRIMARY KEY, v text);"
      "CREATE TABLE rekey (id int PRIMARY KEY, v text)");
  BridgeUnderTest bridge("parks", OneSource());
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, Target(),
                     "  - from: parks.scheduling.public.seats\n    to: public.seats\n"
                     "    key: [id]\n"
                     "  - from: parks.scheduling.public.soft\n    to: public.soft\n"
                     "    key: [id]\n    on_delete: {soft: deleted_at}\n"
                     "  - from: parks.scheduling.public.keep\n    to: public.keep\n"
                     "    key: [id]\n    on_delete: ignore\n"
                     "  - from: parks.scheduling.public.trunc\n    to: public.trunc\n"
                     "    key: [id]\n"
                     "  - from: parks.scheduling.public.rekey\n    to: public.rekey\n"
                     "    key: [id]\n");
  sink.Start();
  // One transaction with a row the target refuses between good ones.
  Sql(sched(),
      "INSERT INTO seats VALUES (1, 5, 'ok'), (2, -1, 'bad'), (3, 7, 'toolong'), "
      "(4, 8, 'ok')");
  Sql(sched(),
      "INSERT INTO soft VALUES (1, 'a'), (2, 'b'); INSERT INTO keep VALUES (1, 'a');"
      "INSERT INTO trunc VALUES (1, 'a'), (2, 'b'); INSERT INTO rekey VALUES (1, 'a')");
  Sql(sched(),
      "DELETE FROM soft WHERE id = 1; DELETE FROM keep WHERE id = 1; TRUNCATE trunc;"
      "UPDATE rekey SET id = 10, v = 'moved' WHERE id = 1");
  Sql(sched(), "INSERT INTO seats VALUES (5, 1, 'end')");
  ASSERT_TRUE(WaitValue("SELECT string_agg(id::text, ',' ORDER BY id) FROM seats", "1,4,5"));
  ASSERT_TRUE(WaitValue("SELECT count(*) FROM deltabridge_conflicts WHERE kind = 'rejected'", "2"));
  std::string reasons = Value(dash(),
                              "SELECT string_agg(reason, ' | ' ORDER BY seq) FROM "
                              "deltabridge_conflicts");
  EXPECT_NE(reasons.find("23514"), std::string::npos) << reasons;  // check_violation
  EXPECT_NE(reasons.find("22001"), std::string::npos) << reasons;  // string_data_right_truncation
  ASSERT_TRUE(
      WaitValue("SELECT v || ':' || (deleted_at IS NOT NULL) FROM soft WHERE id = 1", "a:true"));
  EXPECT_EQ(Value(dash(), "SELECT (deleted_at IS NULL)::text FROM soft WHERE id = 2"), "true");
  EXPECT_EQ(Value(dash(), "SELECT v FROM keep WHERE id = 1"), "a");
  EXPECT_EQ(Value(dash(), "SELECT count(*) FROM trunc"), "0");
  EXPECT_EQ(Value(dash(), "SELECT string_agg(id || ':' || v, ',') FROM rekey"), "10:moved");
  EXPECT_EQ(Value(dash(),
                  "SELECT count(*) FROM deltabridge_row_writers WHERE row_key = '[1]' "
                  "AND target_table = 'public.rekey'"),
            "0");

  // Taking "current" closes a refused row; taking "incoming" again is refused again.
  std::string bad = Value(dash(), "SELECT id FROM deltabridge_conflicts WHERE row_key = '[2]'");
  RunResult r =
      SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", bad, "--take", "incoming"});
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("23514"), std::string::npos) << r.output;
  r = SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", bad, "--take", "current"});
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  // After the DBA widens the column, the too-long tag applies on "incoming".
  Sql(dash(), "ALTER TABLE seats ALTER COLUMN tag TYPE varchar(10)");
  std::string long_tag =
      Value(dash(), "SELECT id FROM deltabridge_conflicts WHERE row_key = '[3]'");
  r = SinkUnderTest::Cli(
      {"conflicts", sink.config_path(), "resolve", long_tag, "--take", "incoming"});
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_EQ(Value(dash(), "SELECT n || tag FROM seats WHERE id = 3"), "7toolong");
  r = SinkUnderTest::Cli({"conflicts", sink.config_path(), "list"});
  EXPECT_NE(r.output.find("no conflicts waiting"), std::string::npos) << r.output;
  sink.Stop();
  bridge.Stop();
}

// Large insert transactions take the bulk path (COPY without reading the
// rows first). When the target already has one of the rows, or refuses one,
// the result must be exactly what the ordinary path gives.
TEST_F(PgSinkTest, BulkInsertsMeetRowsTheTargetHasAndRowsItRefuses) {
  Sql(sched(),
      "CREATE TABLE bulk (id int PRIMARY KEY, n int, tag text, cnt int, b bytea);"
      "ALTER TABLE bulk REPLICA IDENTITY FULL");
  Sql(dash(),
      "CREATE TABLE bulk (id int PRIMARY KEY, n int CHECK (n >= 0), tag text, cnt int, b bytea);"
      // Rows the sink never wrote: one the source inserts too, one it never does.
      "INSERT INTO bulk VALUES (7, 700, 'dba', 10, NULL), (1000, 1, 'target only', 1, NULL)");
  BridgeUnderTest bridge("parks", OneSource("[public.bulk]"));
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, Target(),
                     "  - from: parks.scheduling.public.bulk\n    to: public.bulk\n"
                     "    key: [id]\n    rules: {default: last_writer_wins, cnt: additive}\n");
  sink.Start();
  const std::string insert =
      "INSERT INTO bulk SELECT g, CASE WHEN g = 150 THEN -1 ELSE g END, "
      "E'tab\\there\\\\back\\nline ' || g, 1, CASE WHEN g % 2 = 0 THEN "
      "decode('00ff09' || lpad(to_hex(g), 8, '0'), 'hex') END FROM generate_series($1, $2) g";
  auto rows = [&](int lo, int hi) {
    std::string sql = insert;
    sql.replace(sql.find("$1"), 2, std::to_string(lo));
    sql.replace(sql.find("$2"), 2, std::to_string(hi));
    return sql;
  };
  // 1..100 meets row 7; 101..200 has a row the CHECK refuses; 201..300 is clean.
  for (auto [lo, hi] : {std::pair{1, 100}, std::pair{101, 200}, std::pair{201, 300}}) {
    Sql(sched(), rows(lo, hi));
    ASSERT_TRUE(WaitValue("SELECT count(*) FROM bulk WHERE id BETWEEN " + std::to_string(lo) +
                              " AND " + std::to_string(hi) + " OR id = 7",
                          std::to_string(hi - lo + 1 - (lo == 101 ? 1 : 0) + (lo == 1 ? 0 : 1))))
        << lo;
  }
  // Row 7: last_writer_wins takes the insert's values (nobody wrote them
  // before); additive keeps the target's count (the first writer set it).
  EXPECT_EQ(Value(dash(), "SELECT n || ',' || cnt || ',' || tag FROM bulk WHERE id = 7"),
            "7,10,tab\there\\back\nline 7");
  EXPECT_EQ(Value(dash(), "SELECT count(*) FROM bulk"), "300");  // 299 + the target-only row
  ASSERT_TRUE(WaitValue("SELECT count(*) FROM deltabridge_conflicts WHERE kind = 'rejected'", "1"));
  EXPECT_EQ(Value(dash(), "SELECT row_key FROM deltabridge_conflicts"), "[150]");
  // Every row and value arrived intact, the escapes and bytes included.
  const std::string fingerprint =
      "SELECT md5(string_agg(concat_ws('|', id, n, tag, cnt, encode(b, 'hex')), ',' ORDER BY id)) "
      "FROM bulk WHERE id <> 7 AND id <> 150 AND id <= 300";
  EXPECT_EQ(Value(dash(), fingerprint), Value(sched(), fingerprint));
  // Each row the sink wrote has its writers; the target-only row has none.
  EXPECT_EQ(
      Value(dash(),
            "SELECT count(*) FROM deltabridge_row_writers WHERE target_table = 'public.bulk'"),
      "299");
  // 1..100 went the ordinary way after COPY met row 7; 101..200 too (the
  // table's bulk path backs off for a segment after a failure, and the CHECK
  // would have refused it anyway); 201..300 went by COPY.
  auto bulk_rows = [&] {
    std::ifstream f(sink.state_dir() + "/sink-status.json");
    Json j = Json::parse(f, nullptr, false);
    return j.is_object() ? j.value("rows_bulk", -1) : -1;
  };
  EXPECT_TRUE(WaitUntil([&] { return bulk_rows() == 100; })) << bulk_rows();
  // The bulk path writes the writers records the ordinary path writes.
  const std::string shape =
      "SELECT json_array_length(writers) || (writers -> 0 ->> 'source') || "
      "(writers -> 0 -> 'columns')::text FROM deltabridge_row_writers WHERE row_key = ";
  EXPECT_EQ(Value(dash(), shape + "'[50]'"), "1parks.scheduling[\"b\",\"cnt\",\"n\",\"tag\"]");
  EXPECT_EQ(Value(dash(), shape + "'[250]'"), Value(dash(), shape + "'[50]'"));
  // The writers decide later changes: an update of a bulk-written row lands,
  // and the counter adds up.
  Sql(sched(), "UPDATE bulk SET n = n + 1000, cnt = cnt + 4 WHERE id IN (7, 250)");
  ASSERT_TRUE(WaitValue("SELECT n || ',' || cnt FROM bulk WHERE id = 250", "1250,5"));
  EXPECT_EQ(Value(dash(), "SELECT n || ',' || cnt FROM bulk WHERE id = 7"), "1007,14");
  sink.Stop();
}

TEST_F(PgSinkTest, MetricsPortInUseStopsTheSinkWithTheAddress) {
  // Hold a listening socket on a loopback port.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);
  SinkUnderTest sink("dash",
                     "  - bridge: parks\n    publish: tcp://127.0.0.1:1\n"
                     "    replay: tcp://127.0.0.1:2\n    topics: [\"parks.\"]\n",
                     Target(), "  - from: parks.s.public.t\n    to: public.t\n    key: [id]\n");
  ServeMetrics(sink.config_path(), port);
  RunResult r = SinkUnderTest::Cli({"sink", sink.config_path()});
  close(fd);
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot serve metrics on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << r.output;
}

TEST_F(PgSinkTest, CheckAndRuntimeErrorsSayWhatToFix) {
  Sql(sched(), "CREATE TABLE t (id int PRIMARY KEY, label text, extra int)");
  Sql(dash(), "CREATE TABLE t (id int PRIMARY KEY, label text)");
  BridgeUnderTest bridge("parks", OneSource("[public.t]"));
  bridge.StartStreaming();
  // additive on a text column: check fails with the line of the rule.
  SinkUnderTest bad("dash", bridge, {"parks.scheduling."}, Target(),
                    "  - from: parks.scheduling.public.t\n    to: public.t\n    key: [id]\n"
                    "    rules:\n      label: additive\n");
  RunResult check = SinkUnderTest::Cli({"check", bad.config_path()});
  EXPECT_EQ(check.status.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find(bad.config_path() + ":17:7: mappings[0].rules.label: additive "
                                                  "needs a numeric column"),
            std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("ok    bridge parks: heartbeat"), std::string::npos) << check.output;

  MissingTargetColumnStopsTheSink(parks(), Dash(), bridge);
}

}  // namespace
}  // namespace deltabridge::test
