#include "cdc/config/bridge_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const std::string kTestdata = DELTABRIDGE_CONFIG_TESTDATA;
constexpr char kContractPasswordFile[] = "/etc/deltabridge/habitat.password";

using test::TempDir;

std::string ReadFixture(const std::string& name) {
  std::ifstream in(kTestdata + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "fixture lacks " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The contract's example with its password_file pointing into `dir`.
std::string ContractExample(const TempDir& dir, std::string* password_file = nullptr) {
  std::string file = dir.Write("habitat.password", "hunter2-habitat\n");
  if (password_file != nullptr) *password_file = file;
  return Replace(ReadFixture("bridge_full.yaml"), kContractPasswordFile, file);
}

BridgeConfig Parse(std::string_view yaml) {
  Result<BridgeConfig> config = ParseBridgeConfig(yaml, "bridge.yaml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : BridgeConfig{};
}

std::string Error(std::string_view yaml) {
  Result<BridgeConfig> config = ParseBridgeConfig(yaml, "bridge.yaml");
  EXPECT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), Status::Code::kInvalidArgument);
  return config.status().message();
}

// Line numbers below are those of this text.
constexpr char kPostgres[] = R"(bridge:
  name: parks
  state_dir: /var/lib/deltabridge/parks
  publish: tcp://127.0.0.1:5556
  replay: tcp://127.0.0.1:5557
sources:
  - name: scheduling
    type: postgres
    dsn: "host=127.0.0.1 dbname=parks"
    tables: [public.tour_slots]
)";

constexpr char kMysql[] = R"(bridge:
  name: parks
  state_dir: /var/lib/deltabridge/parks
  publish: tcp://127.0.0.1:5556
  replay: tcp://127.0.0.1:5557
sources:
  - name: habitat
    type: mysql
    host: 127.0.0.1
    user: deltabridge
    server_id: 4242
    tables: ["habitat.*"]
)";

constexpr char kOdbc[] = R"(bridge:
  name: parks
  state_dir: /var/lib/deltabridge/parks
  publish: tcp://127.0.0.1:5556
  replay: tcp://127.0.0.1:5557
sources:
  - name: legacy
    type: odbc
    dsn: "DSN=legacy"
    tables:
      - name: BOOKINGS
        key: [BOOKING_ID]
        mode: diff
)";

// ---------------------------------------------------------------- valid files

TEST(BridgeConfigTest, ContractExampleParses) {
  TempDir dir = TempDir::CreateOrDie("config_test.");
  std::string password_file;
  BridgeConfig config = Parse(ContractExample(dir, &password_file));
  EXPECT_EQ(config.name, "parks");
  EXPECT_EQ(config.state_dir, "/var/lib/deltabridge/parks");
  EXPECT_EQ(config.publish, "tcp://127.0.0.1:5556");
  EXPECT_EQ(config.replay, "tcp://127.0.0.1:5557");
  ASSERT_TRUE(config.metrics.has_value());
  EXPECT_EQ(config.metrics->host, "127.0.0.1");
  EXPECT_EQ(config.metrics->port, 9187);
  EXPECT_EQ(config.metrics->ToString(), "127.0.0.1:9187");
  ASSERT_TRUE(config.retention.has_value());
  EXPECT_EQ(config.retention->max_bytes, 10ull << 30);
  EXPECT_EQ(config.retention->max_age, hours(24 * 7));
  ASSERT_EQ(config.sources.size(), 3u);

  const SourceConfig& scheduling = config.sources[0];
  EXPECT_EQ(scheduling.name, "scheduling");
  EXPECT_EQ(scheduling.type, SourceType::kPostgres);
  ASSERT_NE(scheduling.postgres(), nullptr);
  EXPECT_EQ(scheduling.mysql(), nullptr);
  const PostgresSourceConfig& pg = *scheduling.postgres();
  EXPECT_EQ(pg.dsn, "host=127.0.0.1 port=5432 dbname=parks user=deltabridge");
  EXPECT_EQ(pg.slot, "deltabridge_parks");
  EXPECT_EQ(pg.publication, "deltabridge_parks");
  EXPECT_EQ(pg.tables, (std::vector<std::string>{"public.tour_slots", "public.ranger_*"}));
  EXPECT_EQ(pg.exclude_columns, (std::vector<std::string>{"public.rangers.ssn"}));
  EXPECT_EQ(pg.snapshot, SnapshotMode::kInitial);

  const SourceConfig& habitat = config.sources[1];
  EXPECT_EQ(habitat.name, "habitat");
  EXPECT_EQ(habitat.type, SourceType::kMysql);
  ASSERT_NE(habitat.mysql(), nullptr);
  const MysqlSourceConfig& my = *habitat.mysql();
  EXPECT_EQ(my.host, "127.0.0.1");
  EXPECT_EQ(my.port, 3306);
  EXPECT_EQ(my.user, "deltabridge");
  EXPECT_EQ(my.password, "hunter2-habitat");  // trailing newline stripped
  EXPECT_EQ(my.password_file, password_file);
  EXPECT_EQ(my.server_id, 4242u);
  EXPECT_EQ(my.tables, (std::vector<std::string>{"habitat.*"}));
  EXPECT_TRUE(my.exclude_columns.empty());
  EXPECT_EQ(my.snapshot, SnapshotMode::kInitial);

  const SourceConfig& legacy = config.sources[2];
  EXPECT_EQ(legacy.name, "legacy");
  EXPECT_EQ(legacy.type, SourceType::kOdbc);
  ASSERT_NE(legacy.odbc(), nullptr);
  const OdbcSourceConfig& odbc = *legacy.odbc();
  EXPECT_EQ(odbc.dsn, "Driver=SQLite3;Database=/srv/legacy/parks.db");
  EXPECT_EQ(odbc.poll_interval, seconds(2));
  ASSERT_EQ(odbc.tables.size(), 2u);
  EXPECT_EQ(odbc.tables[0].name, "BOOKINGS");
  EXPECT_EQ(odbc.tables[0].key, (std::vector<std::string>{"BOOKING_ID"}));
  EXPECT_EQ(odbc.tables[0].mode, PollMode::kDiff);
  EXPECT_EQ(odbc.tables[0].timestamp_column, "");
  EXPECT_EQ(odbc.tables[1].name, "PERMITS");
  EXPECT_EQ(odbc.tables[1].key, (std::vector<std::string>{"PERMIT_NO"}));
  EXPECT_EQ(odbc.tables[1].mode, PollMode::kTimestamp);
  EXPECT_EQ(odbc.tables[1].timestamp_column, "LAST_CHANGED");
  EXPECT_EQ(odbc.tables[1].incrementing_column, "");
  EXPECT_FALSE(odbc.tables[1].lookback.has_value());
  EXPECT_FALSE(odbc.query_timeout.has_value());
}

TEST(BridgeConfigTest, OdbcLookbackAndQueryTimeout) {
  BridgeConfig config = Parse(
      Replace(Replace(kOdbc, "mode: diff",
                      "mode: timestamp\n        timestamp_column: T\n        lookback: 2m"),
              "    dsn: \"DSN=legacy\"\n", "    dsn: \"DSN=legacy\"\n    query_timeout: 90s\n"));
  const OdbcSourceConfig& odbc = *config.sources[0].odbc();
  EXPECT_EQ(odbc.query_timeout, std::chrono::seconds(90));
  EXPECT_EQ(odbc.tables[0].lookback, std::chrono::minutes(2));
}

TEST(BridgeConfigTest, LoadsTheContractExampleFromAFile) {
  TempDir dir = TempDir::CreateOrDie("config_test.");
  std::string path = dir.Write("bridge.yaml", ContractExample(dir));
  Result<BridgeConfig> config = LoadBridgeConfig(path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->sources.size(), 3u);
}

TEST(BridgeConfigTest, VerbatimContractExampleNamesItsMissingPasswordFile) {
  if (std::filesystem::exists(kContractPasswordFile)) GTEST_SKIP() << "the file exists here";
  std::string path = kTestdata + "/bridge_full.yaml";
  Result<BridgeConfig> config = LoadBridgeConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            path +
                ":22:20: sources[1].password_file: cannot read "
                "\"/etc/deltabridge/habitat.password\": No such file or directory");
}

TEST(BridgeConfigTest, Defaults) {
  BridgeConfig config = Parse(kPostgres);
  EXPECT_FALSE(config.metrics.has_value());
  EXPECT_FALSE(config.retention.has_value());
  const PostgresSourceConfig& pg = *config.sources.at(0).postgres();
  EXPECT_EQ(pg.slot, "deltabridge_parks_scheduling");
  EXPECT_EQ(pg.publication, "deltabridge_parks_scheduling");
  EXPECT_EQ(pg.snapshot, SnapshotMode::kInitial);
  EXPECT_TRUE(pg.exclude_columns.empty());

  const MysqlSourceConfig my = *Parse(kMysql).sources.at(0).mysql();
  EXPECT_EQ(my.port, 3306);
  EXPECT_EQ(my.password, "");
  EXPECT_EQ(my.password_file, "");
  EXPECT_EQ(my.snapshot, SnapshotMode::kInitial);

  EXPECT_EQ(Parse(kOdbc).sources.at(0).odbc()->poll_interval, seconds(5));
}

TEST(BridgeConfigTest, DefaultSlotMapsHyphens) {
  std::string yaml = Replace(Replace(kPostgres, "name: parks", "name: my-parks"),
                             "name: scheduling", "name: sched-1");
  const PostgresSourceConfig pg = *Parse(yaml).sources.at(0).postgres();
  EXPECT_EQ(pg.slot, "deltabridge_my_parks_sched_1");
  EXPECT_EQ(pg.publication, "deltabridge_my_parks_sched_1");
  EXPECT_EQ(DefaultSlotName("a-b", "c-d"), "deltabridge_a_b_c_d");
}

TEST(BridgeConfigTest, EveryOptionalKey) {
  std::string yaml = std::string(kPostgres) + R"(    slot: my_slot
    publication: my_pub
    exclude_columns: ["public.rangers.ssn", "public.tour_slots.notes"]
    snapshot: never
)";
  yaml = Replace(yaml, "  replay: tcp://127.0.0.1:5557\n",
                 "  replay: ipc:///run/deltabridge/parks-replay\n  metrics: \"[::1]:9187\"\n"
                 "  retention: {max_age: 12h}\n");
  BridgeConfig config = Parse(yaml);
  EXPECT_EQ(config.replay, "ipc:///run/deltabridge/parks-replay");
  EXPECT_EQ(config.metrics->host, "::1");
  EXPECT_EQ(config.metrics->ToString(), "[::1]:9187");
  EXPECT_FALSE(config.retention->max_bytes.has_value());
  EXPECT_EQ(config.retention->max_age, hours(12));
  const PostgresSourceConfig& pg = *config.sources.at(0).postgres();
  EXPECT_EQ(pg.slot, "my_slot");
  EXPECT_EQ(pg.publication, "my_pub");
  EXPECT_EQ(pg.exclude_columns.size(), 2u);
  EXPECT_EQ(pg.snapshot, SnapshotMode::kNever);
}

TEST(BridgeConfigTest, NullOptionalKeysAreUnset) {
  std::string yaml = Replace(kPostgres, "  replay: tcp://127.0.0.1:5557\n",
                             "  replay: tcp://127.0.0.1:5557\n  metrics:\n  retention: ~\n");
  BridgeConfig config = Parse(yaml);
  EXPECT_FALSE(config.metrics.has_value());
  EXPECT_FALSE(config.retention.has_value());
}

TEST(BridgeConfigTest, EndpointForms) {
  for (std::string_view endpoint : {"tcp://*:5556", "tcp://[::1]:5556", "tcp://db.example:1",
                                    "tcp://0.0.0.0:65535", "ipc:///run/x.sock", "ipc://rel"}) {
    std::string yaml = Replace(kPostgres, "tcp://127.0.0.1:5556", endpoint);
    EXPECT_EQ(Parse(yaml).publish, endpoint);
  }
}

TEST(BridgeConfigTest, OdbcModes) {
  std::string yaml = std::string(kOdbc) + R"(      - name: PERMITS
        key: [PERMIT_NO, YEAR]
        mode: timestamp+incrementing
        timestamp_column: LAST_CHANGED
        incrementing_column: ROW_VERSION
      - name: dbo.AUDIT
        key: [ID]
        mode: incrementing
        incrementing_column: ID
    poll_interval: 500ms
)";
  const OdbcSourceConfig odbc = *Parse(yaml).sources.at(0).odbc();
  EXPECT_EQ(odbc.poll_interval, std::chrono::milliseconds(500));
  ASSERT_EQ(odbc.tables.size(), 3u);
  EXPECT_EQ(odbc.tables[1].mode, PollMode::kTimestampIncrementing);
  EXPECT_EQ(odbc.tables[1].key, (std::vector<std::string>{"PERMIT_NO", "YEAR"}));
  EXPECT_EQ(odbc.tables[1].timestamp_column, "LAST_CHANGED");
  EXPECT_EQ(odbc.tables[1].incrementing_column, "ROW_VERSION");
  EXPECT_EQ(odbc.tables[2].name, "dbo.AUDIT");
  EXPECT_EQ(odbc.tables[2].mode, PollMode::kIncrementing);
  EXPECT_EQ(odbc.tables[2].incrementing_column, "ID");
}

TEST(BridgeConfigTest, AnchorsAliasesAndMergeKeys) {
  BridgeConfig config = Parse(R"(bridge:
  name: parks
  state_dir: /var/lib/deltabridge/parks
  publish: tcp://127.0.0.1:5556
  replay: tcp://127.0.0.1:5557
sources:
  - &pg
    name: scheduling
    type: postgres
    dsn: &dsn "host=127.0.0.1 dbname=parks"
    tables: &tables [public.tour_slots, "public.ranger_*"]
  - <<: *pg
    name: scheduling2
    slot: second_slot
  - name: third
    type: postgres
    dsn: *dsn
    tables: *tables
)");
  ASSERT_EQ(config.sources.size(), 3u);
  const PostgresSourceConfig& second = *config.sources[1].postgres();
  EXPECT_EQ(config.sources[1].name, "scheduling2");
  EXPECT_EQ(second.dsn, "host=127.0.0.1 dbname=parks");
  EXPECT_EQ(second.tables.size(), 2u);
  EXPECT_EQ(second.slot, "second_slot");
  EXPECT_EQ(second.publication, "deltabridge_parks_scheduling2");
  const PostgresSourceConfig& third = *config.sources[2].postgres();
  EXPECT_EQ(third.dsn, "host=127.0.0.1 dbname=parks");
  EXPECT_EQ(third.tables, second.tables);
}

TEST(BridgeConfigTest, ErrorsInAnAliasPointAtTheAnchor) {
  std::string yaml = Replace(kPostgres, "tables: [public.tour_slots]", "tables: &t [tour_slots]") +
                     R"(  - name: other
    type: postgres
    dsn: "host=x"
    tables: *t
)";
  EXPECT_EQ(Error(yaml),
            "bridge.yaml:10:17: sources[0].tables[0]: expected a pattern \"schema.table\", got "
            "\"tour_slots\"\n"
            "bridge.yaml:10:17: sources[1].tables[0]: expected a pattern \"schema.table\", got "
            "\"tour_slots\"");
}

TEST(BridgeConfigTest, MysqlPasswordFileAndPassword) {
  TempDir dir = TempDir::CreateOrDie("config_test.");
  std::string file = dir.Write("pw", "pass word  \r\n\n");
  std::string yaml = std::string(kMysql) + "    password_file: " + file + "\n    port: 3307\n";
  const MysqlSourceConfig my = *Parse(yaml).sources.at(0).mysql();
  EXPECT_EQ(my.password, "pass word  ");  // only line breaks are stripped
  EXPECT_EQ(my.password_file, file);
  EXPECT_EQ(my.port, 3307);
  const MysqlSourceConfig inline_password =
      *Parse(std::string(kMysql) + "    password: \"it's\"\n").sources.at(0).mysql();
  EXPECT_EQ(inline_password.password, "it's");
  EXPECT_EQ(inline_password.password_file, "");
}

TEST(BridgeConfigTest, MysqlServerIdRange) {
  EXPECT_EQ(Parse(Replace(kMysql, "4242", "4294967295")).sources.at(0).mysql()->server_id,
            4294967295u);
  EXPECT_EQ(Parse(Replace(kMysql, "4242", "1")).sources.at(0).mysql()->server_id, 1u);
  for (std::string_view bad : {"0", "4294967296", "abc", "-1", "42.0"}) {
    EXPECT_EQ(
        Error(Replace(kMysql, "4242", bad)),
        "bridge.yaml:11:16: sources[0].server_id: expected a server id 1..4294967295, got \"" +
            std::string(bad) + "\"");
  }
}

// ---------------------------------------------------------------- errors

TEST(BridgeConfigErrorTest, BadEnumValue) {
  EXPECT_EQ(Error(Replace(kPostgres, "type: postgres", "type: pgsql")),
            "bridge.yaml:8:11: sources[0].type: expected one of postgres, mysql, odbc, got "
            "\"pgsql\"");
  std::string second = std::string(kPostgres) + "  - name: habitat\n    type: pgsql\n";
  EXPECT_EQ(Error(second),
            "bridge.yaml:12:11: sources[1].type: expected one of postgres, mysql, odbc, got "
            "\"pgsql\"");
  EXPECT_EQ(Error(Replace(kPostgres, "type: postgres", "type: mysq")),
            "bridge.yaml:8:11: sources[0].type: expected one of postgres, mysql, odbc, got "
            "\"mysq\"; did you mean \"mysql\"?");
  EXPECT_EQ(Error(std::string(kPostgres) + "    snapshot: inital\n"),
            "bridge.yaml:11:15: sources[0].snapshot: expected one of initial, never, got "
            "\"inital\"; did you mean \"initial\"?");
}

TEST(BridgeConfigErrorTest, UnknownKeys) {
  EXPECT_EQ(Error(std::string(kPostgres) + "    slott: x\n"),
            "bridge.yaml:11:5: sources[0].slott: unknown key; expected one of name, type, dsn, "
            "slot, publication, tables, exclude_columns, snapshot, node, forward; did you mean "
            "\"slot\"?");
  EXPECT_EQ(Error(std::string(kPostgres) + "    colour: red\n"),
            "bridge.yaml:11:5: sources[0].colour: unknown key; expected one of name, type, dsn, "
            "slot, publication, tables, exclude_columns, snapshot, node, forward");
  EXPECT_EQ(Error(std::string(kPostgres) + "    server_id: 5\n"),
            "bridge.yaml:11:5: sources[0].server_id: unknown key; expected one of name, type, "
            "dsn, slot, publication, tables, exclude_columns, snapshot, node, forward; server_id "
            "is for mysql "
            "sources");
  EXPECT_EQ(Error(std::string(kMysql) + "    dsn: x\n"),
            "bridge.yaml:13:5: sources[0].dsn: unknown key; expected one of name, type, host, "
            "port, user, password, password_file, server_id, tables, exclude_columns, snapshot, "
            "node, forward; "
            "dsn is for postgres and odbc sources");
  EXPECT_EQ(Error(Replace(kPostgres, "  replay:", "  metric: 127.0.0.1:9187\n  replay:")),
            "bridge.yaml:5:3: bridge.metric: unknown key; expected one of name, state_dir, "
            "publish, replay, metrics, retention; did you mean \"metrics\"?");
  EXPECT_EQ(Error(Replace(kPostgres, "sources:", "source:")),
            "bridge.yaml:1:1: sources: required key missing\n"
            "bridge.yaml:6:1: source: unknown key; expected one of bridge, sources; did you mean "
            "\"sources\"?");
  EXPECT_EQ(Error(std::string(kOdbc) + "        query: select 1\n"),
            "bridge.yaml:14:9: sources[0].tables[0].query: unknown key; expected one of name, "
            "key, mode, timestamp_column, incrementing_column, lookback");
  EXPECT_EQ(
      Error(Replace(kPostgres, "  replay: tcp://127.0.0.1:5557\n",
                    "  replay: tcp://127.0.0.1:5557\n  retention: {max_bytes: 1, max_ages: 7d}\n")),
      "bridge.yaml:6:29: bridge.retention.max_ages: unknown key; expected one of max_bytes, "
      "max_age; did you mean \"max_age\"?");
}

TEST(BridgeConfigErrorTest, UnknownKeysOfASourceWithoutAType) {
  EXPECT_EQ(Error(Replace(kPostgres, "    type: postgres\n", "    slott: x\n")),
            "bridge.yaml:7:5: sources[0].type: required key missing\n"
            "bridge.yaml:8:5: sources[0].slott: unknown key; expected one of name, type, dsn, "
            "slot, publication, tables, exclude_columns, snapshot, node, forward, host, port, "
            "user, password, password_file, server_id, poll_interval, query_timeout; did you "
            "mean \"slot\"?");
}

TEST(BridgeConfigErrorTest, MissingRequiredKeys) {
  EXPECT_EQ(Error(Replace(kPostgres, "    dsn: \"host=127.0.0.1 dbname=parks\"\n", "")),
            "bridge.yaml:7:5: sources[0].dsn: required key missing");
  EXPECT_EQ(Error(Replace(kPostgres, "  name: parks\n", "")),
            "bridge.yaml:2:3: bridge.name: required key missing");
  EXPECT_EQ(Error(Replace(kMysql, "    server_id: 4242\n", "")),
            "bridge.yaml:7:5: sources[0].server_id: required key missing");
  EXPECT_EQ(Error("bridge:\n  name: parks\n"),
            "bridge.yaml:1:1: sources: required key missing\n"
            "bridge.yaml:2:3: bridge.state_dir: required key missing\n"
            "bridge.yaml:2:3: bridge.publish: required key missing\n"
            "bridge.yaml:2:3: bridge.replay: required key missing");
  EXPECT_EQ(Error(Replace(kOdbc, "        mode: diff", "        mode: timestamp")),
            "bridge.yaml:11:9: sources[0].tables[0].timestamp_column: required key missing");
  EXPECT_EQ(Error(Replace(kOdbc, "        mode: diff",
                          "        mode: timestamp+incrementing\n"
                          "        timestamp_column: T")),
            "bridge.yaml:11:9: sources[0].tables[0].incrementing_column: required key missing");
  EXPECT_EQ(Error(Replace(kOdbc, "        mode: diff\n", "")),
            "bridge.yaml:11:9: sources[0].tables[0].mode: required key missing");
}

TEST(BridgeConfigErrorTest, WrongNodeKinds) {
  EXPECT_EQ(Error(Replace(kPostgres, "dsn: \"host=127.0.0.1 dbname=parks\"", "dsn:")),
            "bridge.yaml:9:5: sources[0].dsn: expected a string, got null");
  EXPECT_EQ(Error(Replace(kPostgres, "tables: [public.tour_slots]", "tables: public.tour_slots")),
            "bridge.yaml:10:13: sources[0].tables: expected a list, got \"public.tour_slots\"");
  EXPECT_EQ(Error(Replace(kPostgres, "name: scheduling", "name: [a, b]")),
            "bridge.yaml:7:11: sources[0].name: expected a name matching [a-z0-9_-]+, got a list");
  EXPECT_EQ(Error(Replace(kPostgres, "state_dir: /var/lib/deltabridge/parks", "state_dir: {a: 1}")),
            "bridge.yaml:3:14: bridge.state_dir: expected a string, got a mapping");
  EXPECT_EQ(Error("bridge: parks\nsources: {a: 1}\n"),
            "bridge.yaml:1:9: bridge: expected a mapping, got \"parks\"\n"
            "bridge.yaml:2:10: sources: expected a list, got a mapping");
  EXPECT_EQ(Error(Replace(kPostgres, "  - name: scheduling", "  - scheduling\n  - name: x")),
            "bridge.yaml:7:5: sources[0]: expected a mapping, got \"scheduling\"");
  EXPECT_EQ(Error(Replace(kOdbc, "key: [BOOKING_ID]", "key: BOOKING_ID")),
            "bridge.yaml:12:14: sources[0].tables[0].key: expected a list, got \"BOOKING_ID\"");
  EXPECT_EQ(Error(Replace(kOdbc,
                          "    tables:\n      - name: BOOKINGS\n        key: [BOOKING_ID]\n"
                          "        mode: diff\n",
                          "    tables: [BOOKINGS]\n")),
            "bridge.yaml:10:14: sources[0].tables[0]: expected a mapping, got \"BOOKINGS\"");
  EXPECT_EQ(Error(Replace(kPostgres, "  replay: tcp://127.0.0.1:5557\n",
                          "  replay: tcp://127.0.0.1:5557\n  retention: 5\n")),
            "bridge.yaml:6:14: bridge.retention: expected a mapping, got \"5\"");
}

TEST(BridgeConfigErrorTest, DocumentShape) {
  EXPECT_EQ(Error(""),
            "bridge.yaml:1:1: expected a mapping with keys bridge and sources, got an empty "
            "document");
  EXPECT_EQ(Error("- a\n"),
            "bridge.yaml:1:1: expected a mapping with keys bridge and sources, got a list");
  EXPECT_EQ(Error(std::string(kPostgres) + "---\nbridge: {}\n"),
            "bridge.yaml:12:1: expected one YAML document, got 2");
  EXPECT_EQ(Error("\nsink:\n  name: dashboard\n"),
            "bridge.yaml:2:1: sink: this is a sink file (deltabridge sink); a bridge file has "
            "top-level keys bridge and sources");
}

TEST(BridgeConfigErrorTest, YamlSyntaxErrors) {
  EXPECT_EQ(Error(Replace(kPostgres, "[public.tour_slots]", "[public.tour_slots")),
            "bridge.yaml:11:1: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(Error(Replace(kPostgres, "    type: postgres", "\ttype: postgres")),
            "bridge.yaml:8:1: invalid YAML: illegal tab when looking for indentation");
  EXPECT_EQ(Error(Replace(kPostgres, "    type: postgres", "    type: postgres: x")),
            "bridge.yaml:8:19: invalid YAML: illegal map value");
  EXPECT_EQ(Error(Replace(kPostgres, "tables: [public.tour_slots]", "tables: *nope")),
            "bridge.yaml:10:13: invalid YAML: the referenced anchor is not defined");
}

TEST(BridgeConfigErrorTest, DuplicateKeysAndNames) {
  EXPECT_EQ(Error(std::string(kPostgres) + "    type: mysql\n"),
            "bridge.yaml:11:5: sources[0].type: duplicate key; first set on line 8");
  EXPECT_EQ(Error(std::string(kPostgres) +
                  "  - name: scheduling\n    type: postgres\n    dsn: \"host=x\"\n"
                  "    tables: [public.b]\n    slot: other\n    publication: other\n"),
            "bridge.yaml:11:11: sources[1].name: duplicate source name \"scheduling\"; first used "
            "by sources[0].name");
  EXPECT_EQ(
      Error(std::string(kOdbc) + "      - name: BOOKINGS\n        key: [ID]\n        mode: diff\n"),
      "bridge.yaml:14:15: sources[0].tables[1].name: duplicate table \"BOOKINGS\"; first at "
      "sources[0].tables[0]");
  EXPECT_EQ(Error(Replace(kOdbc, "key: [BOOKING_ID]", "key: [A, B, A]")),
            "bridge.yaml:12:21: sources[0].tables[0].key[2]: duplicate column \"A\"");
  EXPECT_EQ(Error(Replace(kPostgres, "[public.tour_slots]", "[public.a, public.a]")),
            "bridge.yaml:10:24: sources[0].tables[1]: duplicate pattern \"public.a\"; first at "
            "sources[0].tables[0]");
}

TEST(BridgeConfigErrorTest, BadNames) {
  EXPECT_EQ(Error(Replace(kPostgres, "name: parks", "name: Parks")),
            "bridge.yaml:2:9: bridge.name: expected a name matching [a-z0-9_-]+, got \"Parks\"");
  EXPECT_EQ(Error(Replace(kPostgres, "name: scheduling", "name: sched uling")),
            "bridge.yaml:7:11: sources[0].name: expected a name matching [a-z0-9_-]+, got "
            "\"sched uling\"");
  EXPECT_EQ(Error(Replace(kPostgres, "name: scheduling", "name: \"\"")),
            "bridge.yaml:7:11: sources[0].name: expected a name matching [a-z0-9_-]+, got \"\"");
  EXPECT_EQ(Error(std::string(kPostgres) + "    slot: Bad-Slot\n"),
            "bridge.yaml:11:11: sources[0].slot: expected a slot name matching [a-z0-9_]{1,63}, "
            "got \"Bad-Slot\"");
  EXPECT_EQ(Error(std::string(kPostgres) + "    publication: " + std::string(64, 'p') + "\n"),
            "bridge.yaml:11:18: sources[0].publication: expected a publication name matching "
            "[a-z0-9_]{1,63}, got \"" +
                std::string(64, 'p') + "\"");
  std::string long_name(50, 's');
  std::string default_name = "deltabridge_parks_" + long_name;
  EXPECT_EQ(Error(Replace(kPostgres, "name: scheduling", "name: " + long_name)),
            "bridge.yaml:7:5: sources[0].slot: the default \"" + default_name +
                "\" is longer than 63 characters; set slot explicitly\n"
                "bridge.yaml:7:5: sources[0].publication: the default \"" +
                default_name + "\" is longer than 63 characters; set publication explicitly");
}

TEST(BridgeConfigErrorTest, TablePatterns) {
  EXPECT_EQ(Error(Replace(kPostgres, "[public.tour_slots]", "[]")),
            "bridge.yaml:10:13: sources[0].tables: expected at least one pattern "
            "\"schema.table\", got an empty list");
  EXPECT_EQ(Error(Replace(kPostgres, "[public.tour_slots]", "[tour_slots]")),
            "bridge.yaml:10:14: sources[0].tables[0]: expected a pattern \"schema.table\", got "
            "\"tour_slots\"");
  for (std::string_view bad : {"a.b.c", ".b", "a.", "\"a .b\""}) {
    std::string message =
        Error(Replace(kPostgres, "[public.tour_slots]", "[" + std::string(bad) + "]"));
    EXPECT_TRUE(message.starts_with("bridge.yaml:10:14: sources[0].tables[0]: expected a pattern"))
        << message;
  }
  EXPECT_EQ(Error(std::string(kPostgres) + "    exclude_columns: [public.rangers]\n"),
            "bridge.yaml:11:23: sources[0].exclude_columns[0]: expected a pattern "
            "\"schema.table.column\", got \"public.rangers\"");
  EXPECT_EQ(Error(std::string(kPostgres) + "    exclude_columns: [\"*.*.ssn\"]\n"),
            "bridge.yaml:11:23: sources[0].exclude_columns[0]: expected a column "
            "\"schema.table.column\" without * or ?, got \"*.*.ssn\"");
  EXPECT_EQ(Error(Replace(kMysql, "[\"habitat.*\"]", "[habitat]")),
            "bridge.yaml:12:14: sources[0].tables[0]: expected a pattern \"database.table\", got "
            "\"habitat\"");
}

TEST(BridgeConfigErrorTest, Endpoints) {
  auto publish_error = [](std::string_view endpoint) {
    return Error(Replace(kPostgres, "publish: tcp://127.0.0.1:5556",
                         "publish: \"" + std::string(endpoint) + "\""));
  };
  EXPECT_EQ(publish_error("127.0.0.1:5556"),
            "bridge.yaml:4:12: bridge.publish: expected a ZeroMQ endpoint tcp://HOST:PORT or "
            "ipc://PATH, got \"127.0.0.1:5556\"");
  for (std::string_view bad : {"tcp://127.0.0.1", "tcp://h:0", "tcp://h:65536", "tcp://:5556",
                               "tcp://h:x", "tcp://::1:5556", "tcp://h :1"}) {
    EXPECT_EQ(publish_error(bad),
              "bridge.yaml:4:12: bridge.publish: expected a tcp:// endpoint with HOST:PORT and a "
              "port 1..65535, got \"" +
                  std::string(bad) + "\"");
  }
  EXPECT_EQ(publish_error("ipc://"),
            "bridge.yaml:4:12: bridge.publish: expected an ipc:// endpoint with a path, got "
            "\"ipc://\"");
  EXPECT_EQ(
      Error(Replace(kPostgres, "replay: tcp://127.0.0.1:5557", "replay: tcp://127.0.0.1:5556")),
      "bridge.yaml:5:11: bridge.replay: expected an endpoint different from publish, got "
      "\"tcp://127.0.0.1:5556\"");
  EXPECT_EQ(Error(Replace(kPostgres, "  replay: tcp://127.0.0.1:5557\n",
                          "  replay: tcp://127.0.0.1:5557\n  metrics: 9187\n")),
            "bridge.yaml:6:12: bridge.metrics: expected HOST:PORT with a port 1..65535, got "
            "\"9187\"");
}

TEST(BridgeConfigErrorTest, Retention) {
  auto retention_error = [](std::string_view retention) {
    return Error(
        Replace(kPostgres, "  replay: tcp://127.0.0.1:5557\n",
                "  replay: tcp://127.0.0.1:5557\n  retention: " + std::string(retention) + "\n"));
  };
  EXPECT_EQ(retention_error("{max_bytes: 10GB, max_age: 7d}"),
            "bridge.yaml:6:26: bridge.retention.max_bytes: expected a size such as 512KiB, "
            "64MiB, 10GiB or a byte count, got \"10GB\"; did you mean \"10GiB\"?");
  EXPECT_EQ(retention_error("{max_age: 7 days}"),
            "bridge.yaml:6:24: bridge.retention.max_age: expected a duration such as 500ms, 2s, "
            "5m, 1h or 7d, got \"7 days\"");
  EXPECT_EQ(retention_error("{}"),
            "bridge.yaml:6:14: bridge.retention: expected at least one of max_bytes, max_age");
  EXPECT_EQ(retention_error("{max_bytes: 0}"),
            "bridge.yaml:6:26: bridge.retention.max_bytes: expected a size above 0, got \"0\"");
  EXPECT_EQ(retention_error("{max_age: 0s}"),
            "bridge.yaml:6:24: bridge.retention.max_age: expected a duration above 0, got \"0s\"");
  EXPECT_EQ(retention_error("{max_bytes: 99999999999GiB}"),
            "bridge.yaml:6:26: bridge.retention.max_bytes: expected a size of at most "
            "17179869183GiB, got \"99999999999GiB\"");
  EXPECT_EQ(retention_error("{max_age: 999999999d}"),
            "bridge.yaml:6:24: bridge.retention.max_age: expected a duration of at most "
            "106751991d, got \"999999999d\"");
}

TEST(BridgeConfigErrorTest, Mysql) {
  EXPECT_EQ(Error(std::string(kMysql) + "    port: 70000\n"),
            "bridge.yaml:13:11: sources[0].port: expected a port number 1..65535, got \"70000\"");
  EXPECT_EQ(Error(Replace(kMysql, "    user: deltabridge\n", "    user: \"\"\n")),
            "bridge.yaml:10:11: sources[0].user: expected a non-empty string, got \"\"");
  EXPECT_EQ(Error(std::string(kMysql) + "    password_file: /nonexistent/habitat.password\n"),
            "bridge.yaml:13:20: sources[0].password_file: cannot read "
            "\"/nonexistent/habitat.password\": No such file or directory");
  TempDir dir = TempDir::CreateOrDie("config_test.");
  std::string empty = dir.Write("empty", "\n");
  EXPECT_EQ(Error(std::string(kMysql) + "    password_file: " + empty + "\n"),
            "bridge.yaml:13:20: sources[0].password_file: expected a file holding the password, "
            "got the empty file \"" +
                empty + "\"");
  // Two sources on one server under one server_id.
  std::string twice = std::string(kMysql) +
                      "  - name: habitat2\n    type: mysql\n    host: 127.0.0.1\n"
                      "    user: u\n    server_id: 4242\n    tables: [\"zoo.*\"]\n";
  EXPECT_EQ(Error(twice),
            "bridge.yaml:17:16: sources[1].server_id: expected a server_id not used by another "
            "source reading 127.0.0.1:3306, got 4242 as sources[0].server_id has");
  Parse(Replace(twice, "    user: u\n", "    user: u\n    port: 3307\n"));  // another server
}

TEST(BridgeConfigErrorTest, Odbc) {
  EXPECT_EQ(Error(Replace(kOdbc, "mode: diff", "mode: timestamps")),
            "bridge.yaml:13:15: sources[0].tables[0].mode: expected one of diff, timestamp, "
            "incrementing, timestamp+incrementing, got \"timestamps\"; did you mean "
            "\"timestamp\"?");
  EXPECT_EQ(Error(std::string(kOdbc) + "        lookback: 30s\n"),
            "bridge.yaml:14:9: sources[0].tables[0].lookback: only used with mode "
            "timestamp or timestamp+incrementing, got mode diff");
  EXPECT_EQ(Error(Replace(kOdbc, "    dsn: \"DSN=legacy\"\n",
                          "    dsn: \"DSN=legacy\"\n    query_timeout: 10ms\n")),
            "bridge.yaml:10:20: sources[0].query_timeout: expected a duration of at least 1s, got "
            "\"10ms\"");
  EXPECT_EQ(Error(std::string(kOdbc) + "        timestamp_column: LAST_CHANGED\n"),
            "bridge.yaml:14:9: sources[0].tables[0].timestamp_column: only used with mode "
            "timestamp or timestamp+incrementing, got mode diff");
  EXPECT_EQ(Error(Replace(kOdbc, "mode: diff",
                          "mode: timestamp\n        timestamp_column: T\n"
                          "        incrementing_column: I")),
            "bridge.yaml:15:9: sources[0].tables[0].incrementing_column: only used with mode "
            "incrementing or timestamp+incrementing, got mode timestamp");
  EXPECT_EQ(Error(Replace(kOdbc, "key: [BOOKING_ID]", "key: []")),
            "bridge.yaml:12:14: sources[0].tables[0].key: expected at least one column, got an "
            "empty list");
  EXPECT_EQ(Error(Replace(kOdbc,
                          "    tables:\n      - name: BOOKINGS\n        key: [BOOKING_ID]\n"
                          "        mode: diff\n",
                          "    tables: []\n")),
            "bridge.yaml:10:13: sources[0].tables: expected at least one table, got an empty list");
  EXPECT_EQ(Error(std::string(kOdbc) + "    poll_interval: 0s\n"),
            "bridge.yaml:14:20: sources[0].poll_interval: expected a duration above 0, got \"0s\"");
  EXPECT_EQ(Error(std::string(kOdbc) + "    poll_interval: 2 s\n"),
            "bridge.yaml:14:20: sources[0].poll_interval: expected a duration such as 500ms, 2s, "
            "5m, 1h or 7d, got \"2 s\"");
}

TEST(BridgeConfigErrorTest, BadConninfoIsNotEchoed) {
  std::string message =
      Error(Replace(kPostgres, "\"host=127.0.0.1 dbname=parks\"", "\"host=x password='hunter2\""));
  EXPECT_EQ(message,
            "bridge.yaml:9:10: sources[0].dsn: expected a libpq conninfo (\"host=... "
            "dbname=...\") or a postgresql:// URI; unterminated quoted value for keyword "
            "\"password\"");
}

TEST(BridgeConfigErrorTest, ManyErrorsInFileOrder) {
  std::string yaml = Replace(Replace(kPostgres, "name: parks", "name: P"),
                             "publish: tcp://127.0.0.1:5556", "publish: udp://x:1");
  yaml += "    colour: red\n";
  EXPECT_EQ(Error(yaml),
            "bridge.yaml:2:9: bridge.name: expected a name matching [a-z0-9_-]+, got \"P\"\n"
            "bridge.yaml:4:12: bridge.publish: expected a ZeroMQ endpoint tcp://HOST:PORT or "
            "ipc://PATH, got \"udp://x:1\"\n"
            "bridge.yaml:11:5: sources[0].colour: unknown key; expected one of name, type, dsn, "
            "slot, publication, tables, exclude_columns, snapshot, node, forward");
}

TEST(BridgeConfigErrorTest, UnreadableFile) {
  Result<BridgeConfig> missing = LoadBridgeConfig("bridge.yaml");
  if (std::filesystem::exists("bridge.yaml")) GTEST_SKIP();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "bridge.yaml: cannot read: No such file or directory");
  TempDir dir = TempDir::CreateOrDie("config_test.");
  std::string directory = dir.Write("x", "");
  std::filesystem::remove(directory);
  std::filesystem::create_directory(directory);
  EXPECT_EQ(LoadBridgeConfig(directory).status().message(),
            directory + ": cannot read: Is a directory");
}

// ---------------------------------------------------------------- passwords

TEST(BridgeConfigPasswordTest, NeverInAnyMessage) {
  constexpr char kSecret[] = "hunter2";
  TempDir dir = TempDir::CreateOrDie("config_test.");
  std::string file = dir.Write("pw", "hunter2-from-file\n");
  std::vector<std::string> files = {
      // Both forms at once.
      std::string(kMysql) + "    password: hunter2\n    password_file: " + file + "\n",
      // Wrong kinds.
      std::string(kMysql) + "    password: [hunter2]\n",
      std::string(kMysql) + "    password: {hunter2: hunter2}\n",
      // A misspelt key.
      std::string(kMysql) + "    pasword: hunter2\n",
      // A key duplicated.
      std::string(kMysql) + "    password: hunter2\n    password: hunter2x\n",
      // A password in a malformed dsn, and in a URI with another error nearby.
      Replace(kPostgres, "\"host=127.0.0.1 dbname=parks\"", "\"password=hunter2 host\""),
      Replace(
          Replace(kPostgres, "\"host=127.0.0.1 dbname=parks\"", "\"postgresql://u:hunter2@h/db\""),
          "[public.tour_slots]", "[bad]"),
      Replace(kPostgres, "\"host=127.0.0.1 dbname=parks\"", "\"host=x hunter2\""),
      // An ODBC connection string with a password and other errors.
      Replace(Replace(kOdbc, "\"DSN=legacy\"", "\"DSN=legacy;PWD=hunter2\""), "mode: diff",
              "mode: hunt"),
      // The file read fine but something else is wrong.
      std::string(Replace(kMysql, "4242", "0")) + "    password_file: " + file + "\n",
  };
  for (const std::string& yaml : files) {
    std::string message = Error(yaml);
    EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
  }
  // The message for the misspelt key says what it should be called.
  EXPECT_EQ(Error(files[3]),
            "bridge.yaml:13:5: sources[0].pasword: unknown key; expected one of name, type, host, "
            "port, user, password, password_file, server_id, tables, exclude_columns, snapshot, "
            "node, forward; "
            "did you mean \"password\"?");
  EXPECT_EQ(Error(files[1]),
            "bridge.yaml:13:15: sources[0].password: expected a string, got a list");
}

// Replacing any value of the contract example by a node of another kind gives
// errors in the contract form, never an exception or a crash.
TEST(BridgeConfigRobustnessTest, EveryValueOfEveryKind) {
  TempDir dir = TempDir::CreateOrDie("config_test.");
  std::string example = ContractExample(dir);
  std::vector<std::string> lines;
  std::istringstream in(example);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  int checked = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t colon = lines[i].find(": ");
    if (colon == std::string::npos) continue;
    for (std::string_view replacement : {"[x, y]", "{x: 1}", "~", "\"\"", "-1", "[]", "{}"}) {
      std::vector<std::string> changed = lines;
      changed[i] = lines[i].substr(0, colon + 2) + std::string(replacement);
      std::string yaml;
      for (const std::string& line : changed) yaml += line + "\n";
      Result<BridgeConfig> config = ParseBridgeConfig(yaml, "bridge.yaml");
      if (config.ok()) continue;  // e.g. an optional key set to null
      ++checked;
      std::istringstream messages(config.status().message());
      for (std::string message; std::getline(messages, message);) {
        EXPECT_TRUE(message.starts_with("bridge.yaml:")) << message;
        EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
      }
    }
  }
  EXPECT_GT(checked, 100);
}

// ---------------------------------------------------------------- nodes

TEST(BridgeConfigTest, NodeDefaultsToBridgeDotSourceAndForwardToFalse) {
  BridgeConfig c = Parse(kPostgres);
  ASSERT_EQ(c.sources.size(), 1u);
  EXPECT_EQ(c.sources[0].node, "parks.scheduling");
  EXPECT_FALSE(c.sources[0].forward);
}

TEST(BridgeConfigTest, NodeAndForwardAreRead) {
  BridgeConfig c = Parse(std::string(kMysql) + "    node: hub.main\n    forward: true\n");
  ASSERT_EQ(c.sources.size(), 1u);
  EXPECT_EQ(c.sources[0].node, "hub.main");
  EXPECT_TRUE(c.sources[0].forward);
}

TEST(BridgeConfigTest, BadNodeNameAndForwardAreNamed) {
  std::string e = Error(std::string(kPostgres) + "    node: \"Hub Main\"\n    forward: yes\n");
  EXPECT_NE(e.find("bridge.yaml:11:11: sources[0].node: expected a node name"), std::string::npos)
      << e;
  EXPECT_NE(e.find("bridge.yaml:12:14: sources[0].forward: expected true or false"),
            std::string::npos)
      << e;
}

TEST(BridgeConfigTest, TwoSourcesOfOneNodeAreRefused) {
  std::string yaml = std::string(kPostgres) + "    node: parks.main\n" +
                     "  - name: other\n    type: postgres\n    dsn: \"host=127.0.0.1 dbname=x\"\n"
                     "    tables: [public.t]\n    node: parks.main\n";
  std::string e = Error(yaml);
  EXPECT_NE(e.find("sources[1].node: expected a node name no other source has, got "
                   "\"parks.main\" as sources[0].node has"),
            std::string::npos)
      << e;
}

TEST(BridgeConfigTest, ADefaultNodeClashesWithAnExplicitOne) {
  std::string yaml = std::string(kPostgres) + "  - name: other\n    type: postgres\n" +
                     "    dsn: \"host=127.0.0.1 dbname=x\"\n    tables: [public.t]\n" +
                     "    node: parks.scheduling\n";
  std::string e = Error(yaml);
  EXPECT_NE(e.find("got \"parks.scheduling\" as sources[0].name has"), std::string::npos) << e;
}

TEST(BridgeConfigTest, OdbcSourcesTakeNoForward) {
  std::string e = Error(std::string(kOdbc) + "    forward: true\n");
  EXPECT_NE(e.find("sources[0].forward: unknown key"), std::string::npos) << e;
}

}  // namespace
}  // namespace deltabridge
