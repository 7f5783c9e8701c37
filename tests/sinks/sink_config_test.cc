#include "sinks/sink_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

const std::string kTestdata = DELTABRIDGE_SINKS_TESTDATA;

using test::TempDir;

SinkConfig Parse(std::string_view yaml) {
  Result<SinkConfig> config = ParseSinkConfig(yaml, "sink.yaml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : SinkConfig{};
}

std::string Error(std::string_view yaml) {
  Result<SinkConfig> config = ParseSinkConfig(yaml, "sink.yaml");
  EXPECT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), Status::Code::kInvalidArgument);
  return config.status().message();
}

// Lines 1-8 of every test file below; the target starts on line 9.
constexpr char kHead[] = R"(sink:
  name: dashboard
  state_dir: /tmp/sink
subscribe:
  - bridge: parks
    publish: tcp://127.0.0.1:5556
    replay: tcp://127.0.0.1:5557
    topics: ["parks."]
)";

// Lines 9-11; mappings start on line 12.
constexpr char kJsonl[] = R"(target:
  type: jsonl
  path: /tmp/out.jsonl
)";

// kHead, kJsonl and then `mappings` (line 12 on).
std::string WithMappings(std::string_view mappings) {
  return std::string(kHead) + kJsonl + std::string(mappings);
}

// kHead, then `target` (line 9 on), then one mapping.
std::string WithTarget(std::string_view target) {
  return std::string(kHead) + std::string(target) +
         "mappings:\n  - {from: parks.a.t, to: t, key: [id]}\n";
}

// One mapping with body lines starting on line 13 (indented 4).
std::string OneMapping(std::string_view body) {
  return WithMappings("mappings:\n  - from: parks.scheduling.public.tour_slots\n" +
                      std::string(body));
}

TEST(SinkConfigTest, ContractExampleParses) {
  Result<SinkConfig> loaded = LoadSinkConfig(kTestdata + "/sink_full.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const SinkConfig& config = *loaded;
  EXPECT_EQ(config.name, "dashboard");
  EXPECT_EQ(config.state_dir, "/var/lib/deltabridge/sink-dashboard");
  ASSERT_TRUE(config.metrics.has_value());
  EXPECT_EQ(config.metrics->ToString(), "127.0.0.1:9188");

  ASSERT_EQ(config.subscribe.size(), 1u);
  const SubscribeConfig& sub = config.subscribe[0];
  EXPECT_EQ(sub.bridge, "parks");
  EXPECT_EQ(sub.publish, "tcp://127.0.0.1:5556");
  EXPECT_EQ(sub.replay, "tcp://127.0.0.1:5557");
  EXPECT_EQ(sub.topics, (std::vector<std::string>{"parks.scheduling.", "parks.legacy."}));

  EXPECT_EQ(config.target.type, TargetType::kPostgres);
  ASSERT_NE(config.target.postgres(), nullptr);
  EXPECT_EQ(config.target.postgres()->dsn, "host=127.0.0.1 dbname=dashboard user=deltabridge");
  EXPECT_EQ(config.target.mysql(), nullptr);

  ASSERT_EQ(config.mappings.size(), 2u);
  const MappingConfig& slots = config.mappings[0];
  EXPECT_EQ(slots.from, "parks.scheduling.public.tour_slots");
  EXPECT_EQ(slots.to, "public.tour_slots");
  EXPECT_EQ(slots.key, std::vector<std::string>{"slot_id"});
  EXPECT_EQ(slots.columns.size(), 1u);
  EXPECT_EQ(slots.columns.at("id"), "slot_id");
  EXPECT_EQ(slots.exclude, std::vector<std::string>{"internal_notes"});
  EXPECT_EQ(slots.on_delete, OnDelete::kApply);
  EXPECT_EQ(slots.default_rule.kind, RuleKind::kLastWriterWins);
  ASSERT_EQ(slots.rules.size(), 3u);
  EXPECT_EQ(slots.rules.at("status").kind, RuleKind::kSourcePriority);
  EXPECT_EQ(slots.rules.at("status").order, (std::vector<std::string>{"legacy", "scheduling"}));
  EXPECT_EQ(slots.rules.at("seats_taken").kind, RuleKind::kAdditive);
  EXPECT_EQ(slots.rules.at("notes").kind, RuleKind::kManual);

  const MappingConfig& bookings = config.mappings[1];
  EXPECT_EQ(bookings.from, "parks.legacy.BOOKINGS");
  EXPECT_EQ(bookings.to, "public.tour_slots");
  EXPECT_EQ(bookings.key, std::vector<std::string>{"slot_id"});
  EXPECT_EQ(bookings.columns.size(), 3u);
  EXPECT_EQ(bookings.columns.at("BOOKING_ID"), "slot_id");
  EXPECT_EQ(bookings.columns.at("STATUS"), "status");
  EXPECT_EQ(bookings.columns.at("SEATS"), "seats_taken");
  EXPECT_TRUE(bookings.exclude.empty());
  EXPECT_TRUE(bookings.rules.empty());
  EXPECT_EQ(bookings.default_rule.kind, RuleKind::kLastWriterWins);
}

TEST(SinkConfigTest, Defaults) {
  SinkConfig config = Parse(WithMappings("mappings:\n  - {from: parks.a.t, to: t, key: [id]}\n"));
  EXPECT_FALSE(config.metrics.has_value());
  EXPECT_EQ(config.target.type, TargetType::kJsonl);
  ASSERT_NE(config.target.jsonl(), nullptr);
  EXPECT_EQ(config.target.jsonl()->path, "/tmp/out.jsonl");
  ASSERT_EQ(config.mappings.size(), 1u);
  const MappingConfig& m = config.mappings[0];
  EXPECT_EQ(m.to, "t");
  EXPECT_TRUE(m.columns.empty());
  EXPECT_TRUE(m.exclude.empty());
  EXPECT_EQ(m.on_delete, OnDelete::kApply);
  EXPECT_TRUE(m.soft_delete_column.empty());
  EXPECT_EQ(m.default_rule.kind, RuleKind::kLastWriterWins);
  EXPECT_TRUE(m.default_rule.by_column.empty());
  EXPECT_TRUE(m.rules.empty());
}

TEST(SinkConfigTest, LoadReportsAnUnreadableFile) {
  Result<SinkConfig> config = LoadSinkConfig("/nonexistent/sink.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "/nonexistent/sink.yaml: cannot read: No such file or directory");
}

TEST(SinkConfigTest, NamesAreSpeltAsInTheFile) {
  EXPECT_EQ(TargetTypeName(TargetType::kPostgres), "postgres");
  EXPECT_EQ(TargetTypeName(TargetType::kMysql), "mysql");
  EXPECT_EQ(TargetTypeName(TargetType::kOdbc), "odbc");
  EXPECT_EQ(TargetTypeName(TargetType::kJsonl), "jsonl");
  EXPECT_EQ(OnDeleteName(OnDelete::kApply), "apply");
  EXPECT_EQ(OnDeleteName(OnDelete::kIgnore), "ignore");
  EXPECT_EQ(OnDeleteName(OnDelete::kManual), "manual");
  EXPECT_EQ(OnDeleteName(OnDelete::kSoft), "soft");
}

// ---- targets ----

TEST(SinkConfigTargetTest, Postgres) {
  SinkConfig config = Parse(WithTarget("target:\n  type: postgres\n  dsn: \"dbname=d\"\n"));
  ASSERT_NE(config.target.postgres(), nullptr);
  EXPECT_EQ(config.target.postgres()->dsn, "dbname=d");
}

TEST(SinkConfigTargetTest, MysqlWithPasswordFile) {
  TempDir dir = TempDir::CreateOrDie("sink_config_test.");
  std::string file = dir.Write("pw", "s3cret-file\r\n");
  SinkConfig config =
      Parse(WithTarget("target:\n  type: mysql\n  host: db\n  user: u\n"
                       "  password_file: " +
                       file + "\n  database: dash\n"));
  EXPECT_EQ(config.target.type, TargetType::kMysql);
  ASSERT_NE(config.target.mysql(), nullptr);
  const MysqlTargetConfig& my = *config.target.mysql();
  EXPECT_EQ(my.host, "db");
  EXPECT_EQ(my.port, 3306);
  EXPECT_EQ(my.user, "u");
  EXPECT_EQ(my.password, "s3cret-file");
  EXPECT_EQ(my.password_file, file);
  EXPECT_EQ(my.database, "dash");
}

TEST(SinkConfigTargetTest, MysqlWithPasswordAndPort) {
  SinkConfig config =
      Parse(WithTarget("target:\n  type: mysql\n  host: db\n  port: 3307\n  user: u\n"
                       "  password: pw\n  database: dash\n"));
  ASSERT_NE(config.target.mysql(), nullptr);
  EXPECT_EQ(config.target.mysql()->port, 3307);
  EXPECT_EQ(config.target.mysql()->password, "pw");
  EXPECT_TRUE(config.target.mysql()->password_file.empty());
}

TEST(SinkConfigTargetTest, OdbcAndJsonl) {
  SinkConfig odbc = Parse(WithTarget("target:\n  type: odbc\n  dsn: DSN=dash\n"));
  ASSERT_NE(odbc.target.odbc(), nullptr);
  EXPECT_EQ(odbc.target.odbc()->dsn, "DSN=dash");
  SinkConfig jsonl = Parse(WithTarget("target:\n  type: jsonl\n  path: out.jsonl\n"));
  ASSERT_NE(jsonl.target.jsonl(), nullptr);
  EXPECT_EQ(jsonl.target.jsonl()->path, "out.jsonl");
}

TEST(SinkConfigTargetTest, Errors) {
  EXPECT_EQ(Error(WithTarget("target:\n  type: pgsql\n  dsn: x\n")),
            "sink.yaml:10:9: target.type: expected one of postgres, mysql, odbc, jsonl, got "
            "\"pgsql\"");
  EXPECT_EQ(Error(WithTarget("target:\n  type: jsonll\n  path: x\n")),
            "sink.yaml:10:9: target.type: expected one of postgres, mysql, odbc, jsonl, got "
            "\"jsonll\"; did you mean \"jsonl\"?");
  // Without a known type, only keys no target takes are flagged.
  EXPECT_EQ(Error(WithTarget("target:\n  type: pgsql\n  dsn: x\n  slot: s\n")),
            "sink.yaml:10:9: target.type: expected one of postgres, mysql, odbc, jsonl, got "
            "\"pgsql\"\n"
            "sink.yaml:12:3: target.slot: unknown key; expected one of type, dsn, node, host, "
            "port, user, password, password_file, database, path");
  EXPECT_EQ(Error(WithTarget("target:\n  type: postgres\n")),
            "sink.yaml:10:3: target.dsn: required key missing");
  EXPECT_EQ(Error(WithTarget("target:\n  type: postgres\n  dsn: \"host\"\n")),
            "sink.yaml:11:8: target.dsn: expected a libpq conninfo (\"host=... dbname=...\") or "
            "a postgresql:// URI; missing \"=\" after keyword \"host\"");
  EXPECT_EQ(Error(WithTarget("target:\n  type: mysql\n  host: db\n  port: 0\n  user: u\n")),
            "sink.yaml:10:3: target.database: required key missing\n"
            "sink.yaml:12:9: target.port: expected a port number 1..65535, got \"0\"");
  EXPECT_EQ(Error(WithTarget("target:\n  type: jsonl\n  path: \"\"\n")),
            "sink.yaml:11:9: target.path: expected a non-empty string, got \"\"");
  EXPECT_EQ(Error(WithTarget("target: jsonl\n")),
            "sink.yaml:9:9: target: expected a mapping, got \"jsonl\"");
  TempDir dir = TempDir::CreateOrDie("sink_config_test.");
  EXPECT_EQ(Error(WithTarget("target:\n  type: mysql\n  host: db\n  user: u\n  password_file: " +
                             dir.Write("empty", "") + "\n  database: d\n")),
            "sink.yaml:13:18: target.password_file: expected a file holding the password, got the "
            "empty file \"" +
                dir.Write("empty", "") + "\"");
}

TEST(SinkConfigTargetTest, UnknownKeysSayWhichTypeTakesThem) {
  EXPECT_EQ(
      Error(WithTarget("target:\n  type: postgres\n  dsn: dbname=d\n  host: db\n")),
      "sink.yaml:12:3: target.host: unknown key; expected one of type, dsn, node; host is for "
      "mysql targets");
  EXPECT_EQ(Error(WithTarget("target:\n  type: jsonl\n  path: p\n  dsn: x\n")),
            "sink.yaml:12:3: target.dsn: unknown key; expected one of type, path, node; dsn is for "
            "postgres and odbc targets");
  EXPECT_EQ(
      Error(WithTarget("target:\n  type: odbc\n  dsn: x\n  path: p\n")),
      "sink.yaml:12:3: target.path: unknown key; expected one of type, dsn, node; path is for "
      "jsonl targets");
  // A close known key wins over the hint.
  EXPECT_EQ(Error(WithTarget("target:\n  type: mysql\n  host: h\n  user: u\n  database: d\n"
                             "  pasword: x\n")),
            "sink.yaml:14:3: target.pasword: unknown key; expected one of type, host, port, user, "
            "password, password_file, database, node; did you mean \"password\"?");
}

// ---- passwords ----

TEST(SinkConfigPasswordTest, NeverInAnyMessage) {
  constexpr char kSecret[] = "hunter2-secret";
  TempDir dir = TempDir::CreateOrDie("sink_config_test.");
  std::string file = dir.Write("pw", kSecret);
  std::vector<std::string> targets = {
      // both forms
      "target:\n  type: mysql\n  host: h\n  user: u\n  password: hunter2-secret\n"
      "  password_file: " +
          file + "\n  database: d\n",
      // under a misspelt key
      "target:\n  type: mysql\n  host: h\n  user: u\n  passwd: hunter2-secret\n  database: d\n",
      // with other errors around it
      "target:\n  type: mysql\n  host: [h]\n  port: x\n  user: u\n  password: hunter2-secret\n",
      // a password where a postgres target takes none
      "target:\n  type: postgres\n  dsn: \"password=hunter2-secret host\"\n",
      "target:\n  type: postgres\n  dsn: dbname=d\n  password: hunter2-secret\n",
      // a wrong kind of value
      "target:\n  type: mysql\n  host: h\n  user: u\n  password: [hunter2-secret]\n"
      "  database: d\n",
  };
  for (const std::string& target : targets) {
    std::string message = Error(WithTarget(target));
    EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
  EXPECT_EQ(Error(WithTarget(targets[0])),
            "sink.yaml:14:3: target.password_file: expected either password or password_file, "
            "got both");
  EXPECT_EQ(Error(WithTarget(targets[5])),
            "sink.yaml:13:13: target.password: expected a string, got a list");
}

// ---- sink and subscribe ----

TEST(SinkConfigErrorTest, SinkSection) {
  EXPECT_EQ(Error("sink:\n  name: Dash\n  statedir: x\n  metrics: localhost\n" +
                  std::string(kHead).substr(std::string(kHead).find("subscribe")) + kJsonl +
                  "mappings:\n  - {from: parks.a.t, to: t, key: [id]}\n"),
            "sink.yaml:2:3: sink.state_dir: required key missing\n"
            "sink.yaml:2:9: sink.name: expected a name matching [a-z0-9_-]+, got \"Dash\"\n"
            "sink.yaml:3:3: sink.statedir: unknown key; expected one of name, state_dir, metrics; "
            "did you mean \"state_dir\"?\n"
            "sink.yaml:4:12: sink.metrics: expected HOST:PORT with a port 1..65535, got "
            "\"localhost\"");
}

// Replaces the subscribe entry (lines 5-8) with `entry`.
std::string WithSubscribe(std::string_view subscribe) {
  return "sink:\n  name: dashboard\n  state_dir: /tmp/sink\n" + std::string(subscribe) + kJsonl +
         "mappings:\n  - {from: parks.a.t, to: t, key: [id]}\n";
}

TEST(SinkConfigErrorTest, Subscribe) {
  EXPECT_EQ(Error(WithSubscribe("subscribe: []\n")),
            "sink.yaml:4:12: subscribe: expected at least one bridge to subscribe to, got an "
            "empty list");
  EXPECT_EQ(Error(WithSubscribe("subscribe:\n  - bridge: parks\n    publish: tcp://h:1\n"
                                "    replay: tcp://h:1\n    topics: []\n    topic: x\n")),
            "sink.yaml:7:13: subscribe[0].replay: expected an endpoint different from publish, "
            "got \"tcp://h:1\"\n"
            "sink.yaml:8:13: subscribe[0].topics: expected at least one topic prefix, got an "
            "empty list\n"
            "sink.yaml:9:5: subscribe[0].topic: unknown key; expected one of bridge, publish, "
            "replay, topics; did you mean \"topics\"?");
  EXPECT_EQ(Error(WithSubscribe("subscribe:\n  - bridge: parks\n    publish: 127.0.0.1:5556\n"
                                "    replay: tcp://h:99999\n"
                                "    topics: [zoo., \"parks.*.\", parks.a, parks.a, [x]]\n")),
            "sink.yaml:6:14: subscribe[0].publish: expected a ZeroMQ endpoint tcp://HOST:PORT or "
            "ipc://PATH, got \"127.0.0.1:5556\"\n"
            "sink.yaml:7:13: subscribe[0].replay: expected a tcp:// endpoint with HOST:PORT and a "
            "port 1..65535, got \"tcp://h:99999\"\n"
            "sink.yaml:8:14: subscribe[0].topics[0]: expected a topic prefix starting with "
            "\"parks.\", without * or ?, got \"zoo.\"\n"
            "sink.yaml:8:20: subscribe[0].topics[1]: expected a topic prefix starting with "
            "\"parks.\", without * or ?, got \"parks.*.\"\n"
            "sink.yaml:8:41: subscribe[0].topics[3]: duplicate topic prefix \"parks.a\"; first at "
            "subscribe[0].topics[2]\n"
            "sink.yaml:8:50: subscribe[0].topics[4]: expected a topic prefix starting with "
            "\"parks.\", without * or ?, got a list");
  EXPECT_EQ(Error(WithSubscribe("subscribe:\n"
                                "  - {bridge: parks, publish: ipc://a, replay: ipc://b, topics: "
                                "[parks.]}\n"
                                "  - {bridge: parks, publish: ipc://c, replay: ipc://d, topics: "
                                "[parks.]}\n")),
            "sink.yaml:6:14: subscribe[1].bridge: duplicate bridge \"parks\"; first subscribed by "
            "subscribe[0].bridge");
}

// ---- mappings: shape, columns, on_delete ----

TEST(SinkConfigErrorTest, MappingShape) {
  EXPECT_EQ(Error(WithMappings("mappings: []\n")),
            "sink.yaml:12:11: mappings: expected at least one mapping, got an empty list");
  EXPECT_EQ(Error(WithMappings("mappings:\n  - from: parks.t\n    to: a.b.c\n    key: []\n"
                               "    colums: {a: b}\n")),
            "sink.yaml:13:11: mappings[0].from: expected a topic pattern BRIDGE.SOURCE.TABLE (at "
            "least 3 dot-separated parts), got \"parks.t\"\n"
            "sink.yaml:14:9: mappings[0].to: expected a target table \"schema.table\" or "
            "\"table\", got \"a.b.c\"\n"
            "sink.yaml:15:10: mappings[0].key: expected at least one column, got an empty list\n"
            "sink.yaml:16:5: mappings[0].colums: unknown key; expected one of from, to, key, "
            "columns, exclude, on_delete, rules; did you mean \"columns\"?");
  EXPECT_EQ(Error(WithMappings("mappings:\n  - to: t\n")),
            "sink.yaml:13:5: mappings[0].from: required key missing\n"
            "sink.yaml:13:5: mappings[0].key: required key missing");
  EXPECT_EQ(Error(WithMappings("mappings:\n  - {from: parks.a.t, to: \"public.*\", key: [id]}\n")),
            "sink.yaml:13:27: mappings[0].to: expected a target table \"schema.table\" or "
            "\"table\", got \"public.*\"");
}

TEST(SinkConfigErrorTest, Columns) {
  EXPECT_EQ(Error(OneMapping("    to: t\n    key: [id, id, id]\n"
                             "    columns: {a: x, b: x, c: [y], \"\": z}\n"
                             "    exclude: [a, n]\n")),
            "sink.yaml:15:15: mappings[0].key[1]: duplicate column \"id\"; first at "
            "mappings[0].key[0]\n"
            "sink.yaml:15:19: mappings[0].key[2]: duplicate column \"id\"; first at "
            "mappings[0].key[0]\n"
            "sink.yaml:16:24: mappings[0].columns.b: duplicate target column \"x\"; first from "
            "mappings[0].columns.a\n"
            "sink.yaml:16:30: mappings[0].columns.c: expected a string, got a list\n"
            "sink.yaml:16:35: mappings[0].columns: expected a source column name, got \"\"\n"
            "sink.yaml:17:15: mappings[0].exclude[0]: a is also renamed to \"x\" by columns; a "
            "column is either renamed or excluded");
}

TEST(SinkConfigErrorTest, KeyColumnsMustBeWritten) {
  EXPECT_EQ(Error(OneMapping("    to: t\n    key: [id, slot, notes]\n"
                             "    columns: {id: slot_id}\n    exclude: [notes]\n")),
            "sink.yaml:15:11: mappings[0].key[0]: id is renamed to \"slot_id\" by columns; name "
            "the target column\n"
            "sink.yaml:15:21: mappings[0].key[2]: notes is excluded; an excluded column is never "
            "written");
  // A column renamed onto an excluded or renamed name writes that name.
  SinkConfig config =
      Parse(OneMapping("    to: t\n    key: [id]\n"
                       "    columns: {id: uid, ID: id}\n    exclude: [x]\n"));
  EXPECT_EQ(config.mappings[0].key, std::vector<std::string>{"id"});
}

TEST(SinkConfigTest, OnDeleteForms) {
  struct Case {
    std::string text;
    OnDelete expected;
  };
  for (const Case& c : std::vector<Case>{{"apply", OnDelete::kApply},
                                         {"ignore", OnDelete::kIgnore},
                                         {"manual", OnDelete::kManual},
                                         {"{soft: deleted_at}", OnDelete::kSoft}}) {
    SinkConfig config =
        Parse(OneMapping("    to: t\n    key: [id]\n    on_delete: " + c.text + "\n"));
    ASSERT_EQ(config.mappings.size(), 1u);
    EXPECT_EQ(config.mappings[0].on_delete, c.expected) << c.text;
    EXPECT_EQ(config.mappings[0].soft_delete_column,
              c.expected == OnDelete::kSoft ? "deleted_at" : "")
        << c.text;
  }
}

TEST(SinkConfigErrorTest, OnDelete) {
  auto error = [](std::string_view value) {
    return Error(
        OneMapping("    to: t\n    key: [id]\n    on_delete: " + std::string(value) + "\n"));
  };
  EXPECT_EQ(error("delete"),
            "sink.yaml:16:16: mappings[0].on_delete: expected one of apply, ignore, manual or "
            "{soft: COLUMN}, got \"delete\"");
  EXPECT_EQ(error("ignor"),
            "sink.yaml:16:16: mappings[0].on_delete: expected one of apply, ignore, manual or "
            "{soft: COLUMN}, got \"ignor\"; did you mean \"ignore\"?");
  EXPECT_EQ(error("soft"),
            "sink.yaml:16:16: mappings[0].on_delete: expected one of apply, ignore, manual or "
            "{soft: COLUMN}, got \"soft\"; soft needs the column to set: {soft: COLUMN}");
  EXPECT_EQ(error("[apply]"),
            "sink.yaml:16:16: mappings[0].on_delete: expected one of apply, ignore, manual or "
            "{soft: COLUMN}, got a list");
  EXPECT_EQ(error("{sof: deleted_at}"),
            "sink.yaml:16:16: mappings[0].on_delete.soft: required key missing\n"
            "sink.yaml:16:17: mappings[0].on_delete.sof: unknown key; expected one of soft; did "
            "you mean \"soft\"?");
  EXPECT_EQ(error("{soft: id}"),
            "sink.yaml:16:23: mappings[0].on_delete.soft: id is a key column; a soft delete marks "
            "the row in another column");
}

// ---- rules ----

TEST(SinkConfigTest, RuleForms) {
  SinkConfig config = Parse(OneMapping(R"(    to: t
    key: [id]
    rules:
      default: {rule: source_priority, order: [b, a]}
      a: overwrite
      b: {rule: last_writer_wins}
      c: {rule: last_writer_wins, by: updated_at}
      d: {rule: source_priority, order: [x]}
      e: first_writer_wins
      f: max
      g: min
      h: additive
      i: keep_target
      j: manual
)"));
  ASSERT_EQ(config.mappings.size(), 1u);
  const MappingConfig& m = config.mappings[0];
  EXPECT_EQ(m.default_rule.kind, RuleKind::kSourcePriority);
  EXPECT_EQ(m.default_rule.order, (std::vector<std::string>{"b", "a"}));
  ASSERT_EQ(m.rules.size(), 10u);
  EXPECT_EQ(m.rules.at("a").kind, RuleKind::kOverwrite);
  EXPECT_EQ(m.rules.at("b").kind, RuleKind::kLastWriterWins);
  EXPECT_TRUE(m.rules.at("b").by_column.empty());
  EXPECT_EQ(m.rules.at("c").kind, RuleKind::kLastWriterWins);
  EXPECT_EQ(m.rules.at("c").by_column, "updated_at");
  EXPECT_EQ(m.rules.at("d").kind, RuleKind::kSourcePriority);
  EXPECT_EQ(m.rules.at("d").order, std::vector<std::string>{"x"});
  EXPECT_EQ(m.rules.at("e").kind, RuleKind::kFirstWriterWins);
  EXPECT_EQ(m.rules.at("f").kind, RuleKind::kMax);
  EXPECT_EQ(m.rules.at("g").kind, RuleKind::kMin);
  EXPECT_EQ(m.rules.at("h").kind, RuleKind::kAdditive);
  EXPECT_EQ(m.rules.at("i").kind, RuleKind::kKeepTarget);
  EXPECT_EQ(m.rules.at("j").kind, RuleKind::kManual);
}

TEST(SinkConfigErrorTest, UnknownRule) {
  EXPECT_EQ(Error(OneMapping("    to: t\n    key: [id]\n    rules:\n      status: latest\n")),
            "sink.yaml:17:15: mappings[0].rules.status: expected one of overwrite, "
            "last_writer_wins, first_writer_wins, source_priority, max, min, additive, "
            "keep_target, manual, got \"latest\"");
  EXPECT_EQ(
      Error(OneMapping("    to: t\n    key: [id]\n    rules:\n      default: {rule: maxx}\n")),
      "sink.yaml:17:23: mappings[0].rules.default.rule: expected one of overwrite, "
      "last_writer_wins, first_writer_wins, source_priority, max, min, additive, "
      "keep_target, manual, got \"maxx\"; did you mean \"max\"?");
  EXPECT_EQ(Error(OneMapping("    to: t\n    key: [id]\n    rules:\n      a: [max]\n      b:\n")),
            "sink.yaml:17:10: mappings[0].rules.a: expected a rule name or a mapping {rule: NAME, "
            "...}, got a list\n"
            "sink.yaml:18:7: mappings[0].rules.b: expected a rule name or a mapping {rule: NAME, "
            "...}, got null");
  EXPECT_EQ(Error(OneMapping("    to: t\n    key: [id]\n    rules: {\"\": max}\n")),
            "sink.yaml:16:13: mappings[0].rules: expected a target column name, got \"\"");
  EXPECT_EQ(Error(OneMapping("    to: t\n    key: [id]\n    rules: manual\n")),
            "sink.yaml:16:12: mappings[0].rules: expected a mapping, got \"manual\"");
}

TEST(SinkConfigErrorTest, RuleOptions) {
  EXPECT_EQ(Error(OneMapping(R"(    to: t
    key: [id]
    rules:
      a: source_priority
      b: {rule: source_priority}
      c: {rule: source_priority, order: []}
      d: {rule: source_priority, order: [x, Y, x]}
      e: {rule: max, by: ts}
      f: {rule: last_writer_wins, order: [x]}
      g: {rule: last_writer_wins, by: ""}
      h: {rule: last_writer_wins, ordr: [x]}
)")),
            "sink.yaml:17:10: mappings[0].rules.a: expected {rule: source_priority, order: "
            "[SOURCE, ...]}, got \"source_priority\"; source_priority needs the sources in order, "
            "highest first\n"
            "sink.yaml:18:10: mappings[0].rules.b.order: required key missing\n"
            "sink.yaml:19:41: mappings[0].rules.c.order: expected at least one source name, "
            "highest priority first, got an empty list\n"
            "sink.yaml:20:45: mappings[0].rules.d.order[1]: expected a source name matching "
            "[a-z0-9_-]+, got \"Y\"\n"
            "sink.yaml:20:48: mappings[0].rules.d.order[2]: duplicate source \"x\"; first at "
            "mappings[0].rules.d.order[0]\n"
            "sink.yaml:21:22: mappings[0].rules.e.by: only used with rule last_writer_wins, got "
            "rule max\n"
            "sink.yaml:22:35: mappings[0].rules.f.order: only used with rule source_priority, got "
            "rule last_writer_wins\n"
            "sink.yaml:23:39: mappings[0].rules.g.by: expected a non-empty string, got \"\"\n"
            "sink.yaml:24:35: mappings[0].rules.h.ordr: unknown key; expected one of rule, by, "
            "order; did you mean \"order\"?");
}

TEST(SinkConfigErrorTest, RulesOnKeyExcludedOrRenamedColumns) {
  EXPECT_EQ(Error(OneMapping(R"(    to: t
    key: [slot_id]
    columns: {id: slot_id, code: status}
    exclude: [internal_notes]
    rules:
      slot_id: manual
      internal_notes: manual
      code: max
      status: max
      updated: {rule: last_writer_wins, by: internal_notes}
)")),
            "sink.yaml:19:7: mappings[0].rules.slot_id: slot_id is a key column; key columns "
            "identify the row and are never reconciled\n"
            "sink.yaml:20:7: mappings[0].rules.internal_notes: internal_notes is excluded; an "
            "excluded column is never written\n"
            "sink.yaml:21:7: mappings[0].rules.code: code is renamed to \"status\" by columns; "
            "name the target column\n"
            "sink.yaml:23:45: mappings[0].rules.updated.by: internal_notes is excluded; an "
            "excluded column is never written");
}

// ---- topics and mappings agree ----

TEST(SinkConfigErrorTest, FromMustBeSubscribed) {
  std::string head = R"(sink:
  name: dashboard
  state_dir: /tmp/sink
subscribe:
  - bridge: parks
    publish: tcp://127.0.0.1:5556
    replay: tcp://127.0.0.1:5557
    topics: ["parks.scheduling.", "parks.legacy."]
)";
  EXPECT_EQ(Error(head + kJsonl + R"(mappings:
  - {from: zoo.scheduling.t, to: t, key: [id]}
  - {from: "*.scheduling.t", to: t, key: [id]}
  - {from: parks.habitat.x.y, to: t, key: [id]}
  - {from: "parks.*.x", to: t, key: [id]}
  - {from: "parks.l*.x", to: t, key: [id]}
  - {from: "parks.scheduling.t", to: t, key: [id]}
  - {from: "parks.scheduling.t", to: u, key: [id]}
  - {from: "parks.scheduling.t", to: t, key: [id]}
)"),
            "sink.yaml:13:12: mappings[0].from: expected a topic pattern starting with a "
            "subscribed bridge name (parks), got \"zoo.scheduling.t\"\n"
            "sink.yaml:14:12: mappings[1].from: expected a topic pattern starting with a "
            "subscribed bridge name (parks), got \"*.scheduling.t\"\n"
            "sink.yaml:15:12: mappings[2].from: expected a topic pattern under a topic prefix "
            "subscribed from parks (parks.scheduling., parks.legacy.), got \"parks.habitat.x.y\"; "
            "the sink would never apply it\n"
            "sink.yaml:20:12: mappings[7].from: duplicate mapping of \"parks.scheduling.t\" to "
            "\"t\"; first at mappings[5].from");
}

TEST(SinkConfigErrorTest, BrokenSubscriptionsDoNotFlagEveryMapping) {
  EXPECT_EQ(Error(WithSubscribe("subscribe:\n  - bridge: Parks\n    publish: ipc://a\n"
                                "    replay: ipc://b\n    topics: [parks.]\n")),
            "sink.yaml:5:13: subscribe[0].bridge: expected a name matching [a-z0-9_-]+, got "
            "\"Parks\"");
}

TEST(SinkConfigTest, PatternPrefixes) {
  std::string head = R"(sink:
  name: dashboard
  state_dir: /tmp/sink
subscribe:
  - {bridge: parks, publish: ipc://a, replay: ipc://b, topics: [parks.sched, parks.legacy.B]}
  - {bridge: zoo, publish: ipc://c, replay: ipc://d, topics: [zoo.]}
)";
  SinkConfig config = Parse(head + kJsonl + R"(mappings:
  - {from: "parks.*.public.tour_slots", to: t, key: [id]}
  - {from: "parks.s?????????.a", to: t, key: [id]}
  - {from: "parks.legacy.*", to: t, key: [id]}
  - {from: "zoo.*.*", to: t, key: [id]}
)");
  EXPECT_EQ(config.mappings.size(), 4u);
  EXPECT_EQ(config.subscribe.size(), 2u);
  EXPECT_NE(Error(head + kJsonl + "mappings:\n  - {from: \"parks.legacy.C*\", to: t, key: [id]}\n")
                .find("the sink would never apply it"),
            std::string::npos);
  EXPECT_NE(Error(head + kJsonl + "mappings:\n  - {from: \"parks.sc.a\", to: t, key: [id]}\n")
                .find("the sink would never apply it"),
            std::string::npos);
}

// ---- document, YAML features ----

TEST(SinkConfigErrorTest, DocumentShape) {
  EXPECT_EQ(Error(""),
            "sink.yaml:1:1: expected a mapping with keys sink, subscribe, target and mappings, got "
            "an empty document");
  EXPECT_EQ(Error("- a\n"),
            "sink.yaml:1:1: expected a mapping with keys sink, subscribe, target and mappings, got "
            "a list");
  EXPECT_EQ(Error("bridge:\n  name: parks\nsources: []\n"),
            "sink.yaml:1:1: bridge: this is a bridge file (deltabridge run); a sink file has "
            "top-level keys sink, subscribe, target and mappings");
  EXPECT_EQ(Error("sink: {name: a, state_dir: b}\nmapping: []\n"),
            "sink.yaml:1:1: subscribe: required key missing\n"
            "sink.yaml:1:1: target: required key missing\n"
            "sink.yaml:1:1: mappings: required key missing\n"
            "sink.yaml:2:1: mapping: unknown key; expected one of sink, subscribe, target, "
            "mappings; did you mean \"mappings\"?");
  EXPECT_EQ(Error("sink: [\n"), "sink.yaml:2:1: invalid YAML: end of sequence flow not found");
}

TEST(SinkConfigTest, AnchorsAliasesAndMergeKeys) {
  SinkConfig config = Parse(WithMappings(R"(mappings:
  - &slots
    from: parks.scheduling.public.tour_slots
    to: public.tour_slots
    key: &key [slot_id]
    columns: &renames {id: slot_id}
    rules: &rules
      status: manual
      seats: additive
  - <<: *slots
    from: parks.legacy.BOOKINGS
    columns: {BOOKING_ID: slot_id}
    rules:
      <<: *rules
      status: max
  - from: parks.other.x
    to: x
    key: *key
    columns: *renames
)"));
  ASSERT_EQ(config.mappings.size(), 3u);
  const MappingConfig& bookings = config.mappings[1];
  EXPECT_EQ(bookings.from, "parks.legacy.BOOKINGS");
  EXPECT_EQ(bookings.to, "public.tour_slots");
  EXPECT_EQ(bookings.key, std::vector<std::string>{"slot_id"});
  EXPECT_EQ(bookings.columns.size(), 1u);
  EXPECT_EQ(bookings.columns.at("BOOKING_ID"), "slot_id");
  ASSERT_EQ(bookings.rules.size(), 2u);
  EXPECT_EQ(bookings.rules.at("status").kind, RuleKind::kMax);
  EXPECT_EQ(bookings.rules.at("seats").kind, RuleKind::kAdditive);
  EXPECT_EQ(config.mappings[2].columns.at("id"), "slot_id");
  EXPECT_EQ(config.mappings[2].key, std::vector<std::string>{"slot_id"});
}

TEST(SinkConfigErrorTest, ManyErrorsAtOnceInFileOrder) {
  std::string message = Error(R"(sink:
  name: Dash
  state_dir: /tmp/sink
subscribe:
  - bridge: parks
    publish: tcp://127.0.0.1:5556
    replay: tcp://127.0.0.1:5557
    topics: ["parks."]
target:
  type: pgsql
mappings:
  - from: parks.a.t
    to: t
    key: [id]
    on_delete: remove
    rules: {status: latest}
)");
  EXPECT_EQ(message,
            "sink.yaml:2:9: sink.name: expected a name matching [a-z0-9_-]+, got \"Dash\"\n"
            "sink.yaml:10:9: target.type: expected one of postgres, mysql, odbc, jsonl, got "
            "\"pgsql\"\n"
            "sink.yaml:15:16: mappings[0].on_delete: expected one of apply, ignore, manual or "
            "{soft: COLUMN}, got \"remove\"\n"
            "sink.yaml:16:21: mappings[0].rules.status: expected one of overwrite, "
            "last_writer_wins, first_writer_wins, source_priority, max, min, additive, "
            "keep_target, manual, got \"latest\"");
}

// ---- lookups ----

TEST(SinkConfigLookupTest, FindMappingTargetColumnRuleFor) {
  SinkConfig config = Parse(WithMappings(R"(mappings:
  - from: parks.scheduling.public.tour_slots
    to: public.tour_slots
    key: [slot_id]
    columns: {id: slot_id}
    exclude: [internal_notes]
    rules:
      status: {rule: source_priority, order: [legacy, scheduling]}
      notes: manual
  - from: "parks.scheduling.public.*"
    to: public.other
    key: [id]
    rules: {default: overwrite}
  - from: "parks.*.*"
    to: public.rest
    key: [id]
)"));
  ASSERT_EQ(config.mappings.size(), 3u);
  EXPECT_EQ(FindMapping(config, "parks.scheduling.public.tour_slots"), &config.mappings[0]);
  EXPECT_EQ(FindMapping(config, "parks.scheduling.public.rangers"), &config.mappings[1]);
  EXPECT_EQ(FindMapping(config, "parks.legacy.BOOKINGS"), &config.mappings[2]);
  EXPECT_EQ(FindMapping(config, "parks.legacy.a.b.c"), nullptr);
  EXPECT_EQ(FindMapping(config, "zoo.legacy.BOOKINGS"), nullptr);
  EXPECT_EQ(FindMapping(config, "parks._heartbeat"), nullptr);

  const MappingConfig& m = config.mappings[0];
  EXPECT_EQ(TargetColumn(m, "id"), "slot_id");
  EXPECT_EQ(TargetColumn(m, "status"), "status");
  EXPECT_EQ(TargetColumn(m, "internal_notes"), "");

  EXPECT_EQ(RuleFor(m, "status").kind, RuleKind::kSourcePriority);
  EXPECT_EQ(RuleFor(m, "status").order, (std::vector<std::string>{"legacy", "scheduling"}));
  EXPECT_EQ(RuleFor(m, "notes").kind, RuleKind::kManual);
  EXPECT_EQ(RuleFor(m, "seats").kind, RuleKind::kLastWriterWins);
  EXPECT_EQ(&RuleFor(m, "seats"), &m.default_rule);
  EXPECT_EQ(RuleFor(config.mappings[1], "anything").kind, RuleKind::kOverwrite);
}

TEST(SinkConfigTest, TargetNodeIsOptionalAndRead) {
  EXPECT_EQ(Parse(WithTarget(kJsonl)).target.node, "");
  SinkConfig c =
      Parse(WithTarget("target:\n  type: postgres\n  dsn: \"host=x\"\n  node: legacy.main\n"));
  EXPECT_EQ(c.target.node, "legacy.main");
  std::string e =
      Error(WithTarget("target:\n  type: postgres\n  dsn: \"host=x\"\n  node: \".x\"\n"));
  EXPECT_NE(e.find("sink.yaml:12:9: target.node: expected a node name"), std::string::npos) << e;
}

}  // namespace
}  // namespace deltabridge
