// End-to-end tests of sinks into ODBC targets (`type: odbc`): PostgreSQL
// sources (one TestPostgres for the suite), a real `deltabridge run` and a
// real `deltabridge sink` process writing to
//   - SQLite through sqliteodbc (dialect sqlite), a file per test, read back
//     and set up with the sqlite3 command-line tool;
//   - PostgreSQL through psqlODBC (dialect generic: per-row updates, OR-chain
//     key predicates, upserts of its own rows emulated);
//   - MariaDB through MariaDB Connector/ODBC (dialect mysql), one TestMariadb.
// Drivers are named by path (tests/sinks/odbc/odbc_test_drivers.h).
//
// SQLite typing: every rule of contract section 5 means the same in SQLite
// as elsewhere (changed_at is ISO text in a TIMESTAMPTZ column, which the
// engine reads as timestamptz and compares as instants). One type does not
// round-trip: a DECIMAL column has NUMERIC affinity, and SQLite stores a
// decimal text with more than 15 significant digits as an 8-byte REAL, so
// the exact-decimal test uses a TEXT column (what a DBA must do for SQLite).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "tests/integration/sink_harness.h"
#include "tests/integration/sink_scenarios.h"
#include "tests/integration/sink_test_base.h"
#include "tests/sinks/odbc/odbc_test_drivers.h"
#include "tests/support/test_mariadb.h"

namespace deltabridge::test {
namespace {

// "2026-01-01T10:00:00.5Z", "2026-01-01 10:00:00.500000", "10:00:00.5" ->
// one form: space, six fraction digits, no zone letter.
std::string Canon(std::string s) {
  if (s.size() >= 11 && s[10] == 'T') s[10] = ' ';
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  if (s.size() < 8 || s.find(':') == std::string::npos) return s;
  size_t dot = s.find('.');
  if (dot == std::string::npos) {
    s += ".000000";
  } else {
    s.append(6 - std::min<size_t>(6, s.size() - dot - 1), '0');
  }
  return s;
}

class OdbcSinkTest : public SinkTestBase {
 protected:
  OdbcSinkTest() : SinkTestBase("osink") {}

  static void TearDownTestSuite() {
    delete my_;
    my_ = nullptr;
    SinkTestBase::TearDownTestSuite();
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SinkTestBase::SetUp());
    Result<std::string> driver = SqliteOdbcDriver();
    ASSERT_TRUE(driver.ok()) << driver.status().ToString();
    sqlite_driver_ = *driver;
    Result<TempDir> d = TempDir::Create("dbo-");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dir_ = std::make_unique<TempDir>(std::move(*d));
    lite_ = dir_->Join("dash.db");
    // WAL: the test's readers never wait for the sink's writes.
    ASSERT_EQ(Lite("PRAGMA journal_mode = WAL"), "wal");
  }

  // Runs `sql` on the SQLite file with the sqlite3 tool: its output without
  // the last line break (columns separated by |, NULL as empty), or
  // "error: ..." when it fails.
  std::string Lite(const std::string& sql, const std::vector<std::string>& mode = {}) {
    std::vector<std::string> argv = {"sqlite3", "-batch", "-bail", "-cmd", ".timeout 30000"};
    argv.insert(argv.end(), mode.begin(), mode.end());
    argv.push_back(lite_);
    argv.push_back(sql);
    Result<RunResult> r = RunCommand(argv, std::chrono::seconds(60));
    if (!r.ok()) return "error: " + r.status().ToString();
    if (!r->ok()) return "error: " + r->Describe();
    std::string out = r->output;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  void LiteSql(const std::string& sql) {
    std::string out = Lite(sql);
    ASSERT_EQ(out.rfind("error: ", 0), std::string::npos) << out << "\n" << sql;
  }
  // Waits until `sql` on the SQLite file returns `want`.
  bool WaitLite(const std::string& sql, const std::string& want,
                std::chrono::milliseconds timeout = std::chrono::seconds(90)) {
    return WaitUntil([&] { return Lite(sql) == want; }, timeout);
  }

  static std::string OdbcTarget(const std::string& connection_string) {
    return "  type: odbc\n  dsn: \"" + connection_string + "\"\n";
  }
  std::string LiteTarget() { return OdbcTarget(SqliteConnectionString(sqlite_driver_, lite_)); }

  // The SQLite target file, for the shared scenarios.
  SinkTarget LiteDash() {
    auto run = [this](const std::string& sql) -> Result<std::string> {
      std::string out = Lite(sql);
      if (out.rfind("error: ", 0) == 0) return Status::IoError(out);
      return out;
    };
    return {LiteTarget(), "",
            [run](const std::string& sql) {
              Result<std::string> r = run(sql);
              return r.ok() ? Status::Ok() : r.status();
            },
            run};
  }

  static TestMariadb* my_;  // started by the first test that needs it
  std::string sqlite_driver_;
  std::unique_ptr<TempDir> dir_;
  std::string lite_;  // the SQLite target file
};

TestMariadb* OdbcSinkTest::my_ = nullptr;

constexpr const char* kSqliteRuleColumns =
    "c_over TEXT, c_lww TEXT, c_lwwby TEXT, changed_at TIMESTAMPTZ, c_fww TEXT, c_prio TEXT, "
    "c_max INTEGER, c_min INTEGER, c_add INTEGER, c_keep TEXT, c_manual TEXT";

TEST_F(OdbcSinkTest, SqliteTwoSourcesExerciseEveryRule) {
  CreateRuleSources(parks());
  LiteSql(std::string("CREATE TABLE slots (slot_id INTEGER PRIMARY KEY, ") + kSqliteRuleColumns +
          ")");
  BridgeUnderTest bridge("parks", Sources());
  ASSERT_NO_FATAL_FAILURE(StartStreamingBoth(bridge));
  SinkUnderTest sink("dash", bridge, {"parks.scheduling.", "parks.legacy."}, LiteTarget(),
                     RuleMappings("slots"));
  RunResult check = SinkUnderTest::Cli({"check", sink.config_path()});
  EXPECT_EQ(check.status.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("target: connected to SQLite"), std::string::npos) << check.output;
  sink.Start();
  const std::string row =
      "SELECT c_over, c_lww, c_lwwby, strftime('%Y-%m-%d %H:%M:%f', changed_at), c_fww, c_prio, "
      "c_max, c_min, c_add, c_keep, c_manual FROM slots WHERE slot_id = 1";
  // 1. Scheduling creates the row: everything applies.
  Sql(sched(),
      "INSERT INTO slots VALUES (1, 'a', 'a', 'a', '2026-01-01 10:00+00', 'a', 'a', 5, "
      "5, 10, NULL, 'a')");
  ASSERT_TRUE(WaitLite(row, "a|a|a|2026-01-01 10:00:00.000|a|a|5|5|10||a")) << Lite(row) << "\n"
                                                                            << sink.log();
  // 2. Legacy inserts the same row, later, with an older changed_at.
  Sql(legacy(),
      "INSERT INTO slots VALUES (1, 'L', 'L', 'L', '2026-01-01 09:00+00', 'L', 'L', 3, "
      "3, 100, 'L', 'L')");
  ASSERT_TRUE(WaitLite(row, "L|L|a|2026-01-01 10:00:00.000|a|L|5|3|10|L|a")) << Lite(row);
  // 3. Scheduling changes several fields.
  Sql(sched(),
      "UPDATE slots SET c_add = c_add + 3, c_prio = 'S', c_keep = 'S', c_lww = 'S2', "
      "c_lwwby = 'S3', changed_at = '2026-01-01 11:00:00.25+00' WHERE id = 1");
  ASSERT_TRUE(WaitLite(row, "L|S2|S3|2026-01-01 11:00:00.250|a|L|5|3|13|L|a")) << Lite(row);
  // 4. Legacy adds to the counter concurrently: both increments count.
  Sql(legacy(), "UPDATE slots SET c_add = c_add + 50 WHERE id = 1");
  ASSERT_TRUE(WaitLite(row, "L|S2|S3|2026-01-01 11:00:00.250|a|L|5|3|63|L|a")) << Lite(row);
  // 5. Fields that do not conflict merge.
  Sql(sched(), "UPDATE slots SET c_max = 9 WHERE id = 1");
  Sql(legacy(), "UPDATE slots SET c_min = 1 WHERE id = 1");
  ASSERT_TRUE(WaitLite(row, "L|S2|S3|2026-01-01 11:00:00.250|a|L|9|1|63|L|a")) << Lite(row);
  Sql(sched(), "UPDATE slots SET c_max = 7, c_min = 2 WHERE id = 1");
  // 6. overwrite from scheduling again; legacy's older changed_at loses.
  Sql(legacy(),
      "UPDATE slots SET c_lwwby = 'L7', changed_at = '2026-01-01 10:59:59+00' "
      "WHERE id = 1");
  Sql(sched(), "UPDATE slots SET c_over = 'S4' WHERE id = 1");
  ASSERT_TRUE(WaitLite(row, "S4|S2|S3|2026-01-01 11:00:00.250|a|L|9|1|63|L|a")) << Lite(row);

  ASSERT_TRUE(WaitCaughtUp(sink));
  ResolveHeldManualConflict(LiteDash(), sink, "SELECT writers FROM deltabridge_row_writers");
  sink.Stop();
  bridge.Stop();
}

TEST_F(OdbcSinkTest, SqliteKill9DuringWriteLoadKeepsAnAdditiveCounterExact) {
  Kill9DuringWriteLoadKeepsAnAdditiveCounterExact(
      parks(), LiteDash(), "CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
}

TEST_F(OdbcSinkTest, SqliteRefusedRowsDeletesAndConflicts) {
  Sql(sched(),
      "CREATE TABLE seats (id int PRIMARY KEY, n int, tag text); ALTER TABLE seats REPLICA "
      "IDENTITY FULL;"
      "CREATE TABLE soft (id int PRIMARY KEY, v text); ALTER TABLE soft REPLICA IDENTITY FULL;"
      "CREATE TABLE keep (id int PRIMARY KEY, v text);"
      "CREATE TABLE gone (id int PRIMARY KEY, v text);"
      "CREATE TABLE held (id int PRIMARY KEY, v text);"
      "CREATE TABLE trunc (id int PRIMARY KEY, v text);"
      "CREATE TABLE rekey (id int PRIMARY KEY, v text); ALTER TABLE rekey REPLICA IDENTITY FULL");
  LiteSql(
      "CREATE TABLE seats (id INTEGER PRIMARY KEY, n INTEGER CHECK (n >= 0), "
      "tag TEXT NOT NULL);"
      "CREATE TABLE soft (id INTEGER PRIMARY KEY, v TEXT, deleted_at TIMESTAMPTZ);"
      "CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT);"
      "CREATE TABLE gone (id INTEGER PRIMARY KEY, v TEXT);"
      "CREATE TABLE held (id INTEGER PRIMARY KEY, v TEXT);"
      "CREATE TABLE trunc (id INTEGER PRIMARY KEY, v TEXT);"
      "CREATE TABLE rekey (id INTEGER PRIMARY KEY, v TEXT)");
  BridgeUnderTest bridge("parks", OneSource());
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."}, LiteTarget(),
                     "  - from: parks.scheduling.public.seats\n    to: seats\n    key: [id]\n"
                     "  - from: parks.scheduling.public.soft\n    to: soft\n    key: [id]\n"
                     "    on_delete: {soft: deleted_at}\n"
                     "  - from: parks.scheduling.public.keep\n    to: keep\n    key: [id]\n"
                     "    on_delete: ignore\n"
                     "  - from: parks.scheduling.public.gone\n    to: gone\n    key: [id]\n"
                     "  - from: parks.scheduling.public.held\n    to: held\n    key: [id]\n"
                     "    on_delete: manual\n"
                     "  - from: parks.scheduling.public.trunc\n    to: trunc\n    key: [id]\n"
                     "  - from: parks.scheduling.public.rekey\n    to: rekey\n    key: [id]\n");
  sink.Start();
  // A CHECK violation and a NULL in a NOT NULL column, between good rows.
  Sql(sched(),
      "INSERT INTO seats VALUES (1, 5, 'ok'), (2, -1, 'bad'), (3, 7, NULL), "
      "(4, 8, 'ok')");
  Sql(sched(),
      "INSERT INTO soft VALUES (1, 'a'), (2, 'b'); INSERT INTO keep VALUES (1, 'a');"
      "INSERT INTO gone VALUES (1, 'a'), (2, 'b'); INSERT INTO held VALUES (1, 'a');"
      "INSERT INTO trunc VALUES (1, 'a'), (2, 'b'); INSERT INTO rekey VALUES (1, 'a')");
  Sql(sched(),
      "DELETE FROM soft WHERE id = 1; DELETE FROM keep WHERE id = 1; TRUNCATE trunc;"
      "DELETE FROM gone WHERE id = 1; DELETE FROM held WHERE id = 1;"
      "UPDATE rekey SET id = 10, v = 'moved' WHERE id = 1");
  Sql(sched(), "UPDATE seats SET n = -5 WHERE id = 4");
  Sql(sched(), "INSERT INTO seats VALUES (5, 1, 'end')");
  ASSERT_TRUE(WaitLite("SELECT group_concat(id) FROM (SELECT id FROM seats ORDER BY id)", "1,4,5"))
      << sink.log();
  ASSERT_TRUE(WaitLite("SELECT count(*) FROM deltabridge_conflicts WHERE kind = 'rejected'", "3"));
  EXPECT_EQ(Lite("SELECT n FROM seats WHERE id = 4"), "8");
  std::string reasons = Lite("SELECT group_concat(reason, ' | ') FROM deltabridge_conflicts");
  EXPECT_NE(reasons.find("CHECK constraint failed"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("NOT NULL constraint failed"), std::string::npos) << reasons;
  ASSERT_TRUE(
      WaitLite("SELECT v || ':' || (deleted_at IS NOT NULL) FROM soft WHERE id = 1", "a:1"));
  EXPECT_EQ(Lite("SELECT deleted_at IS NULL FROM soft WHERE id = 2"), "1");
  // The delete's commit time, as UTC ISO text.
  EXPECT_EQ(Lite("SELECT abs(julianday('now') - julianday(deleted_at)) < 0.01 AND deleted_at "
                 "LIKE '____-__-__T__:__:__%Z' FROM soft WHERE id = 1"),
            "1");
  EXPECT_EQ(Lite("SELECT v FROM keep WHERE id = 1"), "a");
  EXPECT_EQ(Lite("SELECT group_concat(id) FROM gone"), "2");
  EXPECT_EQ(Lite("SELECT v FROM held WHERE id = 1"), "a");
  EXPECT_EQ(Lite("SELECT count(*) FROM trunc"), "0");
  EXPECT_EQ(Lite("SELECT group_concat(id || ':' || v) FROM rekey"), "10:moved");
  EXPECT_EQ(Lite("SELECT group_concat(row_key) FROM deltabridge_row_writers WHERE "
                 "target_table = 'rekey'"),
            "[10]");

  // The held delete is listed; taking "incoming" deletes the row.
  ASSERT_TRUE(WaitCaughtUp(sink));
  RunResult list = SinkUnderTest::Cli({"conflicts", sink.config_path(), "list"});
  EXPECT_EQ(list.status.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("held [1]  delete"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("seats [2]  rejected"), std::string::npos) << list.output;
  std::string del = Lite("SELECT id FROM deltabridge_conflicts WHERE kind = 'delete'");
  RunResult r =
      SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", del, "--take", "incoming"});
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_EQ(Lite("SELECT count(*) FROM held"), "0");
  // Refused rows: "incoming" is refused again, "current" closes them.
  std::string bad = Lite("SELECT id FROM deltabridge_conflicts WHERE row_key = '[2]'");
  r = SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", bad, "--take", "incoming"});
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("CHECK constraint failed"), std::string::npos) << r.output;
  for (const char* key : {"[2]", "[3]", "[4]"}) {
    std::string id =
        Lite(std::string("SELECT id FROM deltabridge_conflicts WHERE row_key = '") + key + "'");
    r = SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", id, "--take", "current"});
    EXPECT_EQ(r.status.exit_code, 0) << key << r.output;
  }
  EXPECT_EQ(Lite("SELECT group_concat(id || n || tag) FROM (SELECT * FROM seats ORDER BY id)"),
            "15ok,48ok,51end");
  r = SinkUnderTest::Cli({"conflicts", sink.config_path(), "list"});
  EXPECT_NE(r.output.find("no conflicts waiting"), std::string::npos) << r.output;
  // The sink goes on after the DBA's writes.
  Sql(sched(), "INSERT INTO seats VALUES (6, 2, 'new')");
  ASSERT_TRUE(WaitLite("SELECT tag FROM seats WHERE id = 6", "new"));
  sink.Stop();
  bridge.Stop();
}

// The contract's types, from PostgreSQL into SQLite and compared value by
// value (TypesRoundTrip), the values read back through the ODBC driver and
// each stored with the storage class its declared type gives.
TEST_F(OdbcSinkTest, SqliteTypesRoundTrip) {
  const std::string source_sql =
      "SELECT id, i::text, big::text, amount::text, dbl::text, "
      "CASE WHEN flag THEN '1' WHEN NOT flag THEN '0' END, upper(encode(convert_to(txt, "
      "'UTF8'), 'hex')), upper(encode(bin, 'hex')), to_char(d, 'YYYY-MM-DD'), "
      "to_char(t, 'HH24:MI:SS.US'), to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US'), "
      "to_char(tstz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), js::text FROM types "
      "ORDER BY id";
  const std::string target_sql =
      "SELECT id, CAST(i AS TEXT), CAST(big AS TEXT), amount, iif(dbl IS NULL, NULL, "
      "printf('%!.20e', dbl)), CAST(flag AS TEXT), iif(txt IS NULL, NULL, hex(txt)), "
      "iif(bin IS NULL, NULL, hex(bin)), d, t, ts, tstz, js, typeof(big), typeof(dbl), "
      "typeof(bin) FROM types ORDER BY id";
  auto diff = [&]() -> std::string {
    Result<std::vector<TestPostgres::Row>> want = pg_->Query(source_sql, sched());
    if (!want.ok()) return want.status().ToString();
    std::string text = Lite(target_sql, {"-json"});
    if (text.rfind("error: ", 0) == 0) return text;
    Json got = text.empty() ? Json::array() : Json::parse(text, nullptr, false);
    if (!got.is_array()) return "not JSON: " + text;
    if (want->size() != got.size()) {
      return "rows: " + std::to_string(got.size()) + " want " + std::to_string(want->size());
    }
    for (size_t r = 0; r < want->size(); ++r) {
      std::vector<std::optional<std::string>> g;
      for (const auto& [column, v] : got[r].items()) {
        if (v.is_null()) {
          g.emplace_back(std::nullopt);
        } else {
          g.emplace_back(v.is_string() ? v.get<std::string>() : v.dump());
        }
      }
      if (g.size() != 16) return "columns: " + got[r].dump();
      // Stored as INTEGER, REAL and BLOB, whatever the declared type says.
      for (auto [c, type] :
           {std::pair<size_t, const char*>{13, "integer"}, {14, "real"}, {15, "blob"}}) {
        if (*g[c] != type && *g[c] != "null") {
          return "row " + std::to_string(r) + ": " + *g[c] + " where " + type + " was due";
        }
      }
      for (size_t c = 0; c < (*want)[r].size(); ++c) {
        std::optional<std::string> w = (*want)[r][c];
        std::optional<std::string> v = c < g.size() ? g[c] : std::nullopt;
        bool same = w == v;
        if (!same && w && v && c == 4) {
          same = std::strtod(w->c_str(), nullptr) == std::strtod(v->c_str(), nullptr);
        }
        if (!same && w && v && c >= 9 && c <= 11) same = Canon(*w) == Canon(*v);
        if (!same && w && v && c == 12) {
          same = Json::parse(*w, nullptr, false) == Json::parse(*v, nullptr, false);
        }
        if (!same) {
          return "row " + std::to_string(r) + " column " + std::to_string(c) + ": got " +
                 v.value_or("NULL") + ", want " + w.value_or("NULL");
        }
      }
    }
    return "";
  };

  TypesRoundTrip(
      parks(), LiteDash(),
      // amount: TEXT, see the top of the file.
      {"CREATE TABLE types (id INTEGER PRIMARY KEY, i INTEGER, big BIGINT, amount TEXT, "
       "dbl DOUBLE, flag BOOLEAN, txt VARCHAR(50), bin BLOB, d DATE, t TIME, ts TIMESTAMP, "
       "tstz TIMESTAMPTZ, js JSON)",
       "(2, -2147483648, -9223372036854775808, -99999999999999999999.9999999999, "
       "1.7976931348623157e308, false, '', '\\x'::bytea, '0001-01-01', '00:00:00', "
       "'1970-01-01 00:00:00', '1900-01-01 00:00:00+00', '[]')",
       "(4, 2147483647, 9223372036854775807, 0.0000000001, -1.234e-7, true, "
       "'it''s a \"quote\" \\ and a tab\t.', '\\x00ff00'::bytea, '9999-12-31', "
       "'23:59:59.999999', '9999-12-31 23:59:59.999999', '2262-04-11 23:47:16.854775+00', "
       "'\"text\"')",
       diff, [&] {
         return Lite(
             "SELECT group_concat(column_name || ': ' || reason, '\n') FROM "
             "deltabridge_conflicts");
       }});
}

// PostgreSQL through psqlODBC: the generic dialect. A composite key (OR-chain
// key predicates), several rows updated in one transaction (one UPDATE per
// row), a row deleted and inserted again in one transaction (DELETE then
// INSERT), a key change, a truncate, a refused row, and the state tables
// created with the generic DDL.
TEST_F(OdbcSinkTest, PostgresThroughPsqlOdbc) {
  Result<std::string> driver = PostgresOdbcDriver();
  ASSERT_TRUE(driver.ok()) << driver.status().ToString();
  const std::string target = name_ + "_ps";
  ASSERT_TRUE(pg_->CreateDatabase(target).ok());
  Sql(sched(),
      "CREATE TABLE visits (region text, id int, v text, n int, at timestamptz, "
      "dbl double precision, PRIMARY KEY (region, id)); ALTER TABLE visits REPLICA IDENTITY "
      "FULL;"
      "CREATE TABLE trunc (id int PRIMARY KEY)");
  Sql(target,
      "CREATE TABLE visits (region varchar(10), id int, v varchar(8), n int CHECK (n >= 0), "
      "at timestamptz, dbl double precision, PRIMARY KEY (region, id));"
      "CREATE TABLE trunc (id int PRIMARY KEY)");
  BridgeUnderTest bridge("parks", OneSource());
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."},
                     OdbcTarget(PostgresConnectionString(*driver, pg_->port(), target)),
                     "  - from: parks.scheduling.public.visits\n    to: public.visits\n"
                     "    key: [region, id]\n    rules:\n      n: additive\n"
                     "      at: max\n      dbl: manual\n"
                     "  - from: parks.scheduling.public.trunc\n    to: public.trunc\n"
                     "    key: [id]\n");
  RunResult check = SinkUnderTest::Cli({"check", sink.config_path()});
  EXPECT_EQ(check.status.exit_code, 0) << check.output;
  sink.Start();
  auto value = [&](const std::string& sql) { return Value(target, sql); };
  auto wait = [&](const std::string& sql, const std::string& want) {
    return WaitUntil(
        [&] {
          Result<std::string> r = pg_->QueryValue(sql, target);
          return r.ok() && *r == want;
        },
        std::chrono::seconds(90));
  };
  const std::string all =
      "SELECT coalesce(string_agg(region || id || ':' || v || ':' || n || ':' || "
      "coalesce(to_char(at AT TIME ZONE 'UTC', 'HH24:MI:SS.US'), '-') || ':' || "
      "coalesce(dbl::text, '-'), ',' ORDER BY region, id), '') FROM visits";
  Sql(sched(),
      "INSERT INTO visits SELECT r, g, 'v' || g, g, '2026-01-01 10:00+00', "
      "('{0.30000000000000004, 1.7976931348623157e308, NaN, -Infinity, 5e-324, "
      "1e-7}'::float8[])[g + (r = 's')::int * 3] FROM unnest(ARRAY['n', 's']) r, "
      "generate_series(1, 3) g; INSERT INTO trunc VALUES (1)");
  ASSERT_TRUE(wait(all, Value(sched(), all))) << value(all) << "\n" << sink.log();
  // Several rows in one transaction; one deleted and inserted again.
  Sql(sched(),
      "BEGIN; UPDATE visits SET n = n + 10, at = '2026-01-01 10:00:00.5+00', "
      "dbl = -dbl WHERE id <= 2; DELETE FROM visits WHERE region = 's' AND id = 3; "
      "INSERT INTO visits VALUES ('s', 3, 'again', 0, '2026-01-01 09:00+00'); "
      "DELETE FROM visits WHERE region = 'n' AND id = 3; COMMIT");
  ASSERT_TRUE(wait(all, Value(sched(), all))) << value(all);
  // A key change, a refused row, a truncate.
  Sql(sched(), "UPDATE visits SET region = 'e', v = 'moved' WHERE region = 's' AND id = 1");
  Sql(sched(), "INSERT INTO visits VALUES ('w', 1, 'far too long', 1, NULL)");
  Sql(sched(), "TRUNCATE trunc");
  Sql(sched(), "INSERT INTO visits VALUES ('w', 2, 'ok', 1, NULL)");
  ASSERT_TRUE(wait("SELECT count(*) FROM visits WHERE region = 'w'", "1"));
  EXPECT_EQ(value("SELECT count(*) FROM trunc"), "0");
  Sql(sched(), "DELETE FROM visits WHERE region = 'w' AND id = 1");
  const std::string want = Value(sched(), all);
  ASSERT_TRUE(wait(all, want)) << value(all);
  EXPECT_EQ(value("SELECT string_agg(kind || ' ' || row_key, ',') FROM deltabridge_conflicts"),
            "rejected [\"w\",1]");
  EXPECT_NE(value("SELECT reason FROM deltabridge_conflicts").find("22001"), std::string::npos);
  EXPECT_EQ(value("SELECT count(*) FROM deltabridge_row_writers WHERE row_key = '[\"e\",1]'"), "1");
  EXPECT_EQ(value("SELECT count(*) FROM deltabridge_row_writers WHERE row_key = '[\"s\",1]'"), "0");
  ASSERT_TRUE(WaitCaughtUp(sink));
  std::string id = value("SELECT id FROM deltabridge_conflicts");
  RunResult r =
      SinkUnderTest::Cli({"conflicts", sink.config_path(), "resolve", id, "--take", "current"});
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_EQ(value("SELECT resolution FROM deltabridge_conflicts"), "current");
  sink.Stop();
  bridge.Stop();
}

// MariaDB through MariaDB Connector/ODBC: the mysql dialect over ODBC.
TEST_F(OdbcSinkTest, MariadbThroughOdbc) {
  Result<std::string> driver = MariadbOdbcDriver();
  ASSERT_TRUE(driver.ok()) << driver.status().ToString();
  if (my_ == nullptr) {
    my_ = new TestMariadb();
    Status s = my_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  const std::string target = name_ + "_my";
  ASSERT_TRUE(my_->CreateDatabase(target).ok());
  Sql(sched(),
      "CREATE TABLE visits (region text, id int, v text, n bigint, amount numeric(30,10), "
      "at timestamp(6), bin bytea, dbl double precision, PRIMARY KEY (region, id)); "
      "ALTER TABLE visits REPLICA IDENTITY FULL");
  Status made = my_->Exec(
      "CREATE TABLE visits (region VARCHAR(10), id INT, v VARCHAR(8), n BIGINT, "
      "amount DECIMAL(30,10), at DATETIME(6), bin BLOB, dbl DOUBLE, PRIMARY KEY (region, id))",
      target);
  ASSERT_TRUE(made.ok()) << made.ToString();
  BridgeUnderTest bridge("parks", OneSource());
  bridge.StartStreaming();
  SinkUnderTest sink("dash", bridge, {"parks.scheduling."},
                     OdbcTarget(MariadbConnectionString(*driver, my_->port(), target, my_->user(),
                                                        my_->password())),
                     "  - from: parks.scheduling.public.visits\n    to: visits\n"
                     "    key: [region, id]\n    rules:\n      default: manual\n"
                     "      n: additive\n");
  RunResult check = SinkUnderTest::Cli({"check", sink.config_path()});
  EXPECT_EQ(check.status.exit_code, 0) << check.output;
  EXPECT_EQ(check.output.find(my_->password()), std::string::npos) << check.output;
  sink.Start();
  const std::string source_all =
      "SELECT coalesce(string_agg(concat_ws(':', region, id, v, n, amount, to_char(at, "
      "'YYYY-MM-DD HH24:MI:SS.US'), upper(encode(bin, 'hex'))), ',' ORDER BY region, id), '') "
      "FROM visits";
  const std::string target_all =
      "SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(':', region, id, v, n, amount, DATE_FORMAT(at, "
      "'%Y-%m-%d %H:%i:%s.%f'), HEX(bin)) ORDER BY region, id SEPARATOR ','), '') FROM visits";
  auto got = [&] {
    Result<std::string> r = my_->QueryValue(target_all, target);
    return r.ok() ? *r : r.status().ToString();
  };
  // "" when the target holds the source's rows; doubles compared as doubles.
  auto diff = [&]() -> std::string {
    std::string want = Value(sched(), source_all);
    if (got() != want) return "got " + got() + "\nwant " + want;
    Result<std::vector<TestPostgres::Row>> rows =
        pg_->Query("SELECT region, id, dbl::text FROM visits WHERE dbl IS NOT NULL", sched());
    if (!rows.ok()) return rows.status().ToString();
    for (const TestPostgres::Row& r : *rows) {
      Result<std::string> same = my_->QueryValue("SELECT dbl = CAST('" + *r[2] +
                                                     "' AS DOUBLE) FROM visits WHERE region = '" +
                                                     *r[0] + "' AND id = " + *r[1],
                                                 target);
      if (!same.ok() || *same != "1") return "dbl of " + *r[0] + *r[1] + " is not " + *r[2];
    }
    return "";
  };
  auto wait_same = [&] {
    return WaitUntil([&] { return diff().empty(); }, std::chrono::seconds(90));
  };
  Sql(sched(),
      "INSERT INTO visits SELECT r, g, 'v' || g, 9007199254740993 + g, "
      "12345678901234567890.0123456789, '2026-01-01 10:00:00.5', '\\x00ff0a'::bytea, "
      "('{0.30000000000000004, 1.7976931348623157e308, 1e-7, -1.234e-300, 2.5, 0.1}'"
      "::float8[])[g + (r = 's')::int * 3] FROM unnest(ARRAY['n', 's']) r, "
      "generate_series(1, 3) g");
  ASSERT_TRUE(wait_same()) << diff() << "\n" << sink.log();
  // manual: every old value must match what MariaDB gives back over ODBC.
  Sql(sched(),
      "BEGIN; UPDATE visits SET n = n + 10, v = 'u', amount = amount / 3, "
      "at = at + interval '1 microsecond', bin = '\\xff'::bytea, dbl = -dbl "
      "WHERE id <= 2; DELETE FROM visits WHERE region = 's' AND id = 3; COMMIT");
  ASSERT_TRUE(wait_same()) << diff() << "\n" << sink.log();
  Sql(sched(), "UPDATE visits SET region = 'e' WHERE region = 'n' AND id = 3");
  // A value too long for VARCHAR(8) (strict mode) is refused, not cut.
  Sql(sched(), "INSERT INTO visits VALUES ('w', 1, 'far too long', 1, 0, NULL, NULL, NULL)");
  Sql(sched(), "INSERT INTO visits VALUES ('w', 2, 'ok', 1, 0, NULL, NULL, NULL)");
  ASSERT_TRUE(WaitUntil([&] {
    Result<std::string> n =
        my_->QueryValue("SELECT COUNT(*) FROM visits WHERE region = 'w' AND id = 2", target);
    return n.ok() && *n == "1";
  })) << got();
  EXPECT_EQ(got().find("far too"), std::string::npos) << got();
  Sql(sched(), "DELETE FROM visits WHERE region = 'w'");
  ASSERT_TRUE(wait_same()) << diff() << "\n" << sink.log();
  ASSERT_TRUE(WaitCaughtUp(sink));
  Result<std::string> conflicts = my_->QueryValue(
      "SELECT GROUP_CONCAT(CONCAT(kind, ' ', row_key, ' ', reason)) FROM deltabridge_conflicts",
      target);
  ASSERT_TRUE(conflicts.ok()) << conflicts.status().ToString();
  EXPECT_EQ(conflicts->rfind("rejected [\"w\",1]", 0), 0u) << *conflicts;
  EXPECT_NE(conflicts->find("1406"), std::string::npos) << *conflicts;
  sink.Stop();
  bridge.Stop();
}

}  // namespace
}  // namespace deltabridge::test
