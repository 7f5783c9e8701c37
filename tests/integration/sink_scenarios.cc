#include "tests/integration/sink_scenarios.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

namespace deltabridge::test {
namespace {

// Runs `hook` (if any) on `sink`; false when it failed fatally, and the
// scenario must end as a test body would.
bool RunHook(const std::function<void(SinkUnderTest&)>& hook, SinkUnderTest& sink) {
  if (hook) hook(sink);
  return !::testing::Test::HasFatalFailure();
}

}  // namespace

void Kill9DuringWriteLoadKeepsAnAdditiveCounterExact(const ParksSources& parks,
                                                     const SinkTarget& target,
                                                     const std::string& counters_ddl) {
  for (const std::string& db : {parks.sched, parks.legacy}) {
    parks.Sql(db,
              "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL); ALTER TABLE counters "
              "REPLICA IDENTITY FULL; INSERT INTO counters SELECT g, 0 FROM generate_series(1, "
              "20) g");
  }
  TargetSql(target, counters_ddl);
  BridgeUnderTest bridge("parks", parks.Both());
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling.", "parks.legacy."}, target.yaml,
                     "  - from: parks.*.public.counters\n    to: " + target.schema +
                         "counters\n    key: [id]\n    rules:\n      n: additive\n");
  sink.Start();
  ASSERT_TRUE(WaitTargetValue(target, "SELECT count(*) FROM counters", "20")) << sink.log();

  // Both sources increment counters, in transactions of 1 to 5 updates.
  std::atomic<int> failures{0};
  auto writer = [&](const std::string& db, unsigned seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < 150; ++i) {
      std::string sql = "BEGIN;";
      int n = 1 + static_cast<int>(rng() % 5);
      for (int j = 0; j < n; ++j) {
        sql += "UPDATE counters SET n = n + " + std::to_string(1 + rng() % 3) +
               " WHERE id = " + std::to_string(1 + rng() % 20) + ";";
      }
      sql += "COMMIT;";
      if (!parks.pg->Exec(sql, db).ok()) failures++;
    }
  };
  std::thread w1(writer, parks.sched, 1);
  std::thread w2(writer, parks.legacy, 2);
  // kill -9 and restart the sink during the load, at random moments (from
  // this thread: a child dies with the thread that started it).
  std::mt19937 rng(3);
  for (int k = 0; k < 4; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
    sink.Kill9();
    sink.Start();
  }
  w1.join();
  w2.join();
  ASSERT_EQ(failures.load(), 0);
  // Once caught up, each target counter is exactly the sum of both sources'.
  const std::string want_sum =
      std::to_string(std::stoll(parks.Value(parks.sched, "SELECT sum(n) FROM counters")) +
                     std::stoll(parks.Value(parks.legacy, "SELECT sum(n) FROM counters")));
  ASSERT_TRUE(
      WaitTargetValue(target, "SELECT sum(n) FROM counters", want_sum, std::chrono::seconds(120)))
      << TargetValue(target, "SELECT sum(n) FROM counters") << " want " << want_sum << "\n"
      << sink.log();
  ASSERT_TRUE(WaitCaughtUp(sink));
  for (int id = 1; id <= 20; ++id) {
    std::string where = " FROM counters WHERE id = " + std::to_string(id);
    long long a = std::stoll(parks.Value(parks.sched, "SELECT n" + where));
    long long b = std::stoll(parks.Value(parks.legacy, "SELECT n" + where));
    EXPECT_EQ(TargetValue(target, "SELECT n" + where), std::to_string(a + b)) << "id " << id;
  }
  EXPECT_EQ(TargetValue(target, "SELECT count(*) FROM deltabridge_conflicts"), "0");
  sink.Stop();
  bridge.Stop();
}

void SinkStartedLateCatchesUpThroughReplay(const ParksSources& parks, const SinkTarget& target,
                                           const LateSinkSql& sql, const ScenarioHooks& hooks) {
  parks.Sql(parks.sched, "CREATE TABLE items (id int PRIMARY KEY, v text, n bigint)");
  TargetSql(target, sql.items_ddl);
  BridgeUnderTest bridge("parks", parks.One("[public.items]"));
  bridge.StartStreaming();
  parks.Sql(parks.sched, "INSERT INTO items SELECT g, 'v' || g, g FROM generate_series(1, 3000) g");
  parks.Sql(parks.sched, "UPDATE items SET n = n * 2 WHERE id % 3 = 0");
  parks.Sql(parks.sched, "DELETE FROM items WHERE id % 10 = 0");
  SinkUnderTest sink("dash", bridge, {"parks.scheduling.public.items"}, target.yaml,
                     "  - from: parks.scheduling.public.items\n    to: " + target.schema +
                         "items\n    key: [id]\n");
  if (!RunHook(hooks.before_start, sink)) return;
  sink.Start();
  ASSERT_TRUE(
      WaitTargetValue(target, sql.count_sum,
                      parks.Value(parks.sched, "SELECT count(*) || '/' || sum(n) FROM items")))
      << sink.log();
  ASSERT_TRUE(WaitCaughtUp(sink));
  if (!RunHook(hooks.once_caught_up, sink)) return;
  EXPECT_EQ(
      TargetValue(target, sql.all_rows),
      parks.Value(parks.sched, "SELECT string_agg(id || v || n, ',' ORDER BY id) FROM items"));
  // A restart applies nothing twice: the checkpoint holds.
  sink.Stop();
  sink.Start();
  parks.Sql(parks.sched, "UPDATE items SET v = 'x' WHERE id = 1");
  ASSERT_TRUE(WaitTargetValue(target, "SELECT v FROM items WHERE id = 1", "x"));
  EXPECT_EQ(TargetValue(target, "SELECT count(*) FROM items"), "2700");
  sink.Stop();
  bridge.Stop();
}

const char* const kTypesSourceTable =
    "CREATE TABLE types (id int PRIMARY KEY, i int, big bigint, amount numeric(30,10), "
    "dbl double precision, flag bool, txt varchar(50), bin bytea, d date, t time(6), "
    "ts timestamp(6), tstz timestamptz, js json); ALTER TABLE types REPLICA IDENTITY FULL";

void TypesRoundTrip(const ParksSources& parks, const SinkTarget& target,
                    const TypesRoundTripParts& parts, const ScenarioHooks& hooks) {
  parks.Sql(parks.sched, kTypesSourceTable);
  TargetSql(target, parts.types_ddl);
  BridgeUnderTest bridge("parks", parks.One("[public.types]"));
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, target.yaml,
                     "  - from: parks.scheduling.public.types\n    to: " + target.schema +
                         "types\n    key: [id]\n    rules:\n      default: manual\n");
  if (!RunHook(hooks.before_start, sink)) return;
  sink.Start();

  parks.Sql(parks.sched,
            "INSERT INTO types VALUES "
            "(1, 42, 9007199254740993, 12345678901234567890.0123456789, 0.1, true, "
            "'héllo 😀 wörld', (SELECT string_agg(set_byte('\\x00'::bytea, 0, g), ''::bytea "
            "ORDER BY g) FROM generate_series(0, 255) g), '2026-11-27', '10:11:12.5', "
            "'2026-11-27 10:11:12.5', '2026-11-27 10:11:12.654321+02', "
            "'{\"a\": [1, 2.5, \"x\"], \"b\": null, \"e\": \"😀\"}'), " +
                parts.row2 +
                ", (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), " +
                parts.row4);
  ASSERT_TRUE(WaitUntil([&] { return parts.diff().empty(); }, std::chrono::seconds(90)))
      << parts.diff() << "\n"
      << sink.log();

  // Every column of every row changes; `manual` applies them only when each
  // old value matches the target's.
  parks.Sql(
      parks.sched,
      "UPDATE types SET i = 7, big = 18014398509481985, amount = 0.5, dbl = 0.30000000000000004, "
      "flag = false, txt = 'ünïcödé ✓ 🎉', bin = '\\x0a0d00'::bytea, d = '2026-02-28', "
      "t = '08:00:00.000001', ts = '2026-02-28 08:00:00.000001', "
      "tstz = '2026-02-28 08:00:00.000001+00', js = '{\"n\": 1}' WHERE id = 1;"
      "UPDATE types SET i = i + 1, big = big + 1, amount = amount + 1, dbl = 2.5, flag = true, "
      "txt = 'x', bin = '\\xff'::bytea, d = '2000-02-29', t = '12:00:00', ts = '2000-02-29 "
      "12:00:00', tstz = '2000-02-29 12:00:00+05:30', js = '{}' WHERE id = 2;"
      "UPDATE types SET i = 0, big = 0, amount = 0, dbl = 0, flag = false, txt = '', "
      "bin = '\\x'::bytea, d = '2026-01-01', t = '00:00:00.1', ts = '2026-01-01 00:00:00.1', "
      "tstz = '2026-01-01 00:00:00.1+00', js = 'null' WHERE id = 3;"
      "UPDATE types SET i = NULL, big = NULL, amount = NULL, dbl = NULL, flag = NULL, txt = NULL, "
      "bin = NULL, d = NULL, t = NULL, ts = NULL, tstz = NULL, js = NULL WHERE id = 4");
  ASSERT_TRUE(WaitUntil([&] { return parts.diff().empty(); }, std::chrono::seconds(90)))
      << parts.diff() << "\n"
      << parts.conflicts_note() << "\n"
      << sink.log();
  ASSERT_TRUE(WaitCaughtUp(sink));
  if (!RunHook(hooks.once_caught_up, sink)) return;
  EXPECT_EQ(TargetValue(target, "SELECT count(*) FROM deltabridge_conflicts"), "0");
  // A delete, with its before-image, removes the row.
  parks.Sql(parks.sched, "DELETE FROM types WHERE id IN (1, 4)");
  ASSERT_TRUE(WaitUntil([&] { return parts.diff().empty(); }, std::chrono::seconds(90)))
      << parts.diff();
  sink.Stop();
  bridge.Stop();
}

void MissingTargetColumnStopsTheSink(const ParksSources& parks, const SinkTarget& target,
                                     BridgeUnderTest& bridge) {
  const std::string mapping =
      "  - from: parks.scheduling.public.t\n    to: " + target.schema + "t\n    key: [id]\n";
  // A column the target lacks stops the sink, naming it and the fixes.
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, target.yaml, mapping);
  RunResult ok = SinkUnderTest::Cli({"check", sink.config_path()});
  EXPECT_EQ(ok.status.exit_code, 0) << ok.output;
  sink.Start();
  parks.Sql(parks.sched, "INSERT INTO t VALUES (1, 'one', 5)");
  EXPECT_EQ(sink.WaitExit(std::chrono::seconds(60)), 1) << sink.log();
  EXPECT_NE(sink.log().find("has column extra"), std::string::npos) << sink.log();
  EXPECT_NE(sink.log().find("`exclude:`"), std::string::npos) << sink.log();
  EXPECT_EQ(TargetValue(target, "SELECT count(*) FROM t"), "0");
  // Excluding it lets the same delta through: nothing was skipped meanwhile.
  SinkUnderTest fixed("dash", bridge, {"parks.scheduling."}, target.yaml,
                      mapping + "    exclude: [extra]\n");
  fixed.Start();
  ASSERT_TRUE(WaitTargetValue(target, "SELECT label FROM t WHERE id = 1", "one")) << fixed.log();
  fixed.Stop();
  bridge.Stop();
}

const char* const kSourceRuleColumns =
    "c_over text, c_lww text, c_lwwby text, changed_at timestamptz, c_fww text, c_prio text, "
    "c_max int, c_min int, c_add int, c_keep text, c_manual text";

void CreateRuleSources(const ParksSources& parks) {
  for (const std::string& db : {parks.sched, parks.legacy}) {
    parks.Sql(db, std::string("CREATE TABLE slots (id int PRIMARY KEY, ") + kSourceRuleColumns +
                      "); ALTER TABLE slots REPLICA IDENTITY FULL;");
  }
}

std::string RuleMappings(const std::string& to_table) {
  const std::string rules =
      "    rules:\n"
      "      default: last_writer_wins\n"
      "      c_over: overwrite\n"
      "      c_lwwby: {rule: last_writer_wins, by: changed_at}\n"
      "      changed_at: max\n"
      "      c_fww: first_writer_wins\n"
      "      c_prio: {rule: source_priority, order: [legacy, scheduling]}\n"
      "      c_max: max\n"
      "      c_min: min\n"
      "      c_add: additive\n"
      "      c_keep: keep_target\n"
      "      c_manual: manual\n";
  std::string out;
  for (const char* source : {"scheduling", "legacy"}) {
    out += std::string("  - from: parks.") + source + ".public.slots\n    to: " + to_table +
           "\n    key: [slot_id]\n    columns: {id: slot_id}\n" + rules;
  }
  return out;
}

void StartStreamingBoth(BridgeUnderTest& bridge) {
  bridge.StartStreaming();
  ASSERT_TRUE(WaitUntil([&] {
    return bridge.log().find("source legacy: streaming") != std::string::npos;
  })) << bridge.log();
}

HeldManualConflict ResolveHeldManualConflict(const SinkTarget& target, const SinkUnderTest& sink,
                                             const std::string& writers_sql) {
  HeldManualConflict held;
  held.list = SinkUnderTest::Cli({"conflicts", sink.config_path(), "list"});
  EXPECT_EQ(held.list.status.exit_code, 0) << held.list.output;
  EXPECT_NE(held.list.output.find(target.schema + "slots [1] c_manual  field"), std::string::npos)
      << held.list.output;
  EXPECT_NE(held.list.output.find("current \"a\", incoming \"L\""), std::string::npos)
      << held.list.output;
  EXPECT_EQ(
      TargetValue(target, "SELECT count(*) FROM deltabridge_conflicts WHERE resolved_at IS NULL"),
      "1");
  held.id = TargetValue(target, "SELECT id FROM deltabridge_conflicts");
  RunResult resolve = SinkUnderTest::Cli(
      {"conflicts", sink.config_path(), "resolve", held.id, "--take", "incoming"});
  EXPECT_EQ(resolve.status.exit_code, 0) << resolve.output;
  EXPECT_EQ(TargetValue(target, "SELECT c_manual FROM slots WHERE slot_id = 1"), "L");
  RunResult again = SinkUnderTest::Cli(
      {"conflicts", sink.config_path(), "resolve", held.id, "--take", "current"});
  EXPECT_EQ(again.status.exit_code, 1) << again.output;
  EXPECT_NE(again.output.find("was resolved at"), std::string::npos) << again.output;
  // The field's last writer is now the held change (legacy).
  EXPECT_NE(TargetValue(target, writers_sql).find("\"source\":\"parks.legacy\""),
            std::string::npos);
  held.status = SinkUnderTest::Cli({"status", sink.config_path()});
  EXPECT_EQ(held.status.status.exit_code, 0) << held.status.output;
  EXPECT_NE(held.status.output.find("conflicts waiting: 0"), std::string::npos)
      << held.status.output;
  return held;
}

}  // namespace deltabridge::test
