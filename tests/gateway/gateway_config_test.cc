#include "gateway/gateway_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

const std::string kTestdata = DELTABRIDGE_GATEWAY_TESTDATA;

using Strings = std::vector<std::string>;

GatewayConfig Parse(std::string_view yaml) {
  Result<GatewayConfig> config = ParseGatewayConfig(yaml, "gw.yaml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : GatewayConfig{};
}

std::string Error(std::string_view yaml) {
  Result<GatewayConfig> config = ParseGatewayConfig(yaml, "gw.yaml");
  EXPECT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), Status::Code::kInvalidArgument);
  return config.status().message();
}

// Lines 1-10 of the files below; entities start on line 11.
constexpr char kHead[] = R"(gateway:
  name: app
  listen: 127.0.0.1:8080
  tokens_file: /tmp/app.tokens
  state_dir: /tmp/gw
subscribe:
  - bridge: parks
    publish: tcp://127.0.0.1:5556
    replay: tcp://127.0.0.1:5557
entities:
)";

// kHead and then the entities (line 11 on).
std::string WithEntities(std::string_view entities) {
  return std::string(kHead) + std::string(entities);
}

// One entity `scheduling` of parks.scheduling.public.tour_slots; its further
// keys start on line 13 (indented 4).
std::string OneEntity(std::string_view body) {
  return WithEntities(
      "  - name: scheduling\n"
      "    from: parks.scheduling.public.tour_slots\n" +
      std::string(body));
}

// One entity with a push whose keys start on line 16 (indented 6); the
// entity shows slot_id as id and excludes notes.
std::string OnePush(std::string_view push_body) {
  return OneEntity(
      "    columns: {slot_id: id}\n"
      "    exclude: [notes]\n"
      "    push:\n" +
      std::string(push_body));
}

// A `gateway:` section (line 1 on) and then a valid rest.
std::string WithGateway(std::string_view gateway) {
  return std::string(gateway) +
         "subscribe:\n"
         "  - {bridge: parks, publish: tcp://127.0.0.1:5556, replay: tcp://127.0.0.1:5557}\n"
         "entities:\n"
         "  - {name: scheduling, from: parks.scheduling.public.tour_slots}\n";
}

TEST(GatewayConfigTest, FullExampleParses) {
  Result<GatewayConfig> loaded = LoadGatewayConfig(kTestdata + "/gateway_full.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const GatewayConfig& config = *loaded;
  EXPECT_EQ(config.name, "app");
  EXPECT_EQ(config.listen.ToString(), "0.0.0.0:8443");
  ASSERT_TRUE(config.tls.has_value());
  EXPECT_EQ(config.tls->cert_file, "/etc/deltabridge/app.crt");
  EXPECT_EQ(config.tls->key_file, "/etc/deltabridge/app.key");
  EXPECT_EQ(config.tokens_file, "/etc/deltabridge/app.tokens");
  EXPECT_EQ(config.state_dir, "/var/lib/deltabridge/gateway-app");
  ASSERT_TRUE(config.metrics.has_value());
  EXPECT_EQ(config.metrics->ToString(), "127.0.0.1:9190");
  EXPECT_EQ(config.cors_origins, Strings{"https://parks.example.com"});
  EXPECT_FALSE(config.page);
  EXPECT_EQ(config.limits.client_queue_messages, 20000u);
  EXPECT_EQ(config.limits.client_queue_bytes, 16u << 20);
  EXPECT_EQ(config.limits.max_request_bytes, 1u << 20);
  EXPECT_EQ(config.limits.max_connections, 10000u);
  EXPECT_EQ(config.limits.connections_per_token, 100u);
  EXPECT_EQ(config.limits.requests_per_minute, 6000u);
  EXPECT_EQ(config.history.max_age, std::chrono::hours(24));
  EXPECT_EQ(config.history.max_deltas, 1000000u);

  ASSERT_EQ(config.subscribe.size(), 1u);
  EXPECT_EQ(config.subscribe[0].bridge, "parks");
  EXPECT_EQ(config.subscribe[0].publish, "tcp://10.0.0.5:5556");
  EXPECT_EQ(config.subscribe[0].replay, "tcp://10.0.0.5:5557");
  // Defaulted from the entities' patterns.
  EXPECT_EQ(config.subscribe[0].topics, (Strings{"parks.scheduling.public.", "parks.legacy."}));

  ASSERT_EQ(config.entities.size(), 2u);
  const EntityConfig& scheduling = config.entities[0];
  EXPECT_EQ(scheduling.name, "scheduling");
  EXPECT_EQ(scheduling.bridge, "parks");
  EXPECT_EQ(scheduling.from, Strings{"parks.scheduling.public.tour_slots"});
  EXPECT_EQ(scheduling.columns.at("slot_id"), "id");
  EXPECT_EQ(scheduling.exclude, Strings{"internal_notes"});
  EXPECT_FALSE(scheduling.is_public);
  ASSERT_TRUE(scheduling.push.has_value());
  const EntityPushConfig& push = *scheduling.push;
  EXPECT_EQ(push.target.type, TargetType::kPostgres);
  ASSERT_NE(push.target.postgres(), nullptr);
  EXPECT_EQ(push.target.postgres()->dsn, "host=10.0.0.5 dbname=parks user=deltabridge_app");
  EXPECT_EQ(push.target.node, "parks.scheduling");
  EXPECT_EQ(push.mapping.from, "scheduling");
  EXPECT_EQ(push.mapping.to, "public.tour_slots");
  EXPECT_EQ(push.mapping.key, Strings{"slot_id"});
  EXPECT_EQ(push.mapping.columns.at("id"), "slot_id");
  EXPECT_EQ(push.mapping.default_rule.kind, RuleKind::kLastWriterWins);
  EXPECT_EQ(push.mapping.rules.at("seats_taken").kind, RuleKind::kAdditive);
  EXPECT_EQ(push.node, "app.scheduling");
  EXPECT_EQ(config.FindEntity("scheduling"), &scheduling);

  const EntityConfig& rangers = config.entities[1];
  EXPECT_EQ(rangers.from, (Strings{"parks.scheduling.public.ranger_*", "parks.legacy.RANGERS"}));
  EXPECT_EQ(rangers.exclude, Strings{"ssn"});
  EXPECT_FALSE(rangers.push.has_value());
  EXPECT_EQ(config.FindEntity("nope"), nullptr);
}

TEST(GatewayConfigTest, Defaults) {
  GatewayConfig config = Parse(OneEntity(""));
  EXPECT_EQ(config.listen.ToString(), "127.0.0.1:8080");
  EXPECT_FALSE(config.tls.has_value());
  EXPECT_FALSE(config.metrics.has_value());
  EXPECT_TRUE(config.cors_origins.empty());
  EXPECT_FALSE(config.page);
  GatewayLimits limits;
  EXPECT_EQ(config.limits.client_queue_messages, limits.client_queue_messages);
  EXPECT_EQ(config.limits.client_queue_bytes, 16u << 20);
  EXPECT_EQ(config.limits.max_request_bytes, 1u << 20);
  EXPECT_EQ(config.limits.max_connections, 10000u);
  EXPECT_EQ(config.limits.connections_per_token, 100u);
  EXPECT_EQ(config.limits.requests_per_minute, 6000u);
  EXPECT_EQ(config.history.max_age, std::chrono::hours(24));
  EXPECT_EQ(config.history.max_deltas, 1000000u);
  ASSERT_EQ(config.entities.size(), 1u);
  EXPECT_EQ(config.entities[0].from, Strings{"parks.scheduling.public.tour_slots"});
  EXPECT_TRUE(config.entities[0].columns.empty());
  EXPECT_FALSE(config.entities[0].is_public);
  EXPECT_FALSE(config.entities[0].push.has_value());
  EXPECT_EQ(config.subscribe[0].topics, Strings{"parks.scheduling.public."});
}

TEST(GatewayConfigTest, EveryGatewayKey) {
  GatewayConfig config = Parse(WithGateway(R"(gateway:
  name: app
  listen: "[::1]:8443"
  tls: {cert_file: a.crt, key_file: a.key}
  tokens_file: app.tokens
  state_dir: state
  metrics: "[::1]:9190"
  cors: {origins: ["http://localhost:5173", "https://a.example.com:8443"]}
  page: true
  limits:
    client_queue_messages: 5
    client_queue_bytes: 64KiB
    max_request_bytes: 4096
    max_connections: 7
    connections_per_token: 3
    requests_per_minute: 0
  history: {max_age: 90m, max_deltas: 12}
)"));
  EXPECT_EQ(config.listen.host, "::1");
  EXPECT_EQ(config.listen.port, 8443);
  ASSERT_TRUE(config.tls.has_value());
  EXPECT_EQ(config.tls->cert_file, "a.crt");
  EXPECT_EQ(config.tokens_file, "app.tokens");
  EXPECT_EQ(config.state_dir, "state");
  EXPECT_EQ(config.metrics->ToString(), "[::1]:9190");
  EXPECT_EQ(config.cors_origins, (Strings{"http://localhost:5173", "https://a.example.com:8443"}));
  EXPECT_TRUE(config.page);
  EXPECT_EQ(config.limits.client_queue_messages, 5u);
  EXPECT_EQ(config.limits.client_queue_bytes, 64u << 10);
  EXPECT_EQ(config.limits.max_request_bytes, 4096u);
  EXPECT_EQ(config.limits.max_connections, 7u);
  EXPECT_EQ(config.limits.connections_per_token, 3u);
  EXPECT_EQ(config.limits.requests_per_minute, 0u);
  EXPECT_EQ(config.history.max_age, std::chrono::minutes(90));
  EXPECT_EQ(config.history.max_deltas, 12u);

  EXPECT_EQ(Parse(WithGateway("gateway: {name: a, listen: \"*:1\", state_dir: s, tokens_file: t, "
                              "tls: {cert_file: c, key_file: k}, cors: {origins: [\"*\"]}}\n"))
                .cors_origins,
            Strings{"*"});
}

TEST(GatewayConfigTest, LoopbackListenNeedsNoTls) {
  for (std::string listen : {"127.0.0.1:1", "127.9.8.7:80", "\"[::1]:80\"", "localhost:80",
                             "LocalHost:80", "\"[::ffff:127.0.0.1]:80\""}) {
    SCOPED_TRACE(listen);
    GatewayConfig config = Parse(
        WithGateway("gateway: {name: a, listen: " + listen + ", state_dir: s, tokens_file: t}\n"));
    EXPECT_FALSE(config.tls.has_value());
  }
}

TEST(GatewayConfigTest, NonLoopbackListenNeedsTls) {
  const std::string why =
      " is not a loopback address, and without tls bearer tokens and rows would cross the "
      "network in clear; add tls: {cert_file: FILE.crt, key_file: FILE.key} under gateway, or "
      "listen on 127.0.0.1 behind a proxy that terminates TLS";
  EXPECT_EQ(Error(WithGateway("gateway:\n  name: a\n  listen: 0.0.0.0:8443\n  state_dir: s\n"
                              "  tokens_file: t\n")),
            "gw.yaml:3:11: gateway.listen: 0.0.0.0:8443" + why);
  EXPECT_EQ(Error(WithGateway("gateway:\n  name: a\n  listen: 10.1.2.3:8443\n  state_dir: s\n"
                              "  tokens_file: t\n  tls:\n")),
            "gw.yaml:3:11: gateway.listen: 10.1.2.3:8443" + why);
  EXPECT_EQ(Error(WithGateway("gateway:\n  name: a\n  listen: \"[::]:80\"\n  state_dir: s\n"
                              "  tokens_file: t\n")),
            "gw.yaml:3:11: gateway.listen: [::]:80" + why);
  EXPECT_EQ(Error(WithGateway("gateway:\n  name: a\n  listen: app.example.com:80\n"
                              "  state_dir: s\n  tokens_file: t\n")),
            "gw.yaml:3:11: gateway.listen: app.example.com:80" + why);
}

TEST(GatewayConfigTest, GatewayKeyErrors) {
  EXPECT_EQ(Error(WithGateway("gateway:\n  name: App\n  listen: 127.0.0.1:80\n  state_dir: s\n"
                              "  tokens_file: t\n  listn: x\n")),
            "gw.yaml:2:9: gateway.name: expected a name matching [a-z0-9_-]+, got \"App\"\n"
            "gw.yaml:6:3: gateway.listn: unknown key; expected one of name, listen, tls, "
            "tokens_file, state_dir, metrics, cors, page, limits, history; did you mean "
            "\"listen\"?");
  EXPECT_EQ(Error(WithGateway("gateway:\n  name: a\n  listen: 8080\n  tokens_file: \"\"\n"
                              "  metrics: nowhere\n  page: yes\n")),
            "gw.yaml:2:3: gateway.state_dir: required key missing\n"
            "gw.yaml:3:11: gateway.listen: expected HOST:PORT with a port 1..65535, got "
            "\"8080\"\n"
            "gw.yaml:4:16: gateway.tokens_file: expected a non-empty string, got \"\"\n"
            "gw.yaml:5:12: gateway.metrics: expected HOST:PORT with a port 1..65535, got "
            "\"nowhere\"\n"
            "gw.yaml:6:9: gateway.page: expected true or false, got \"yes\"");
  EXPECT_EQ(Error("gateway: []\nsubscribe: []\nentities: []\n"),
            "gw.yaml:1:10: gateway: expected a mapping, got a list\n"
            "gw.yaml:2:12: subscribe: expected at least one bridge to subscribe to, got an empty "
            "list\n"
            "gw.yaml:3:11: entities: expected at least one entity, got an empty list");
}

TEST(GatewayConfigTest, TlsErrors) {
  EXPECT_EQ(Error(WithGateway("gateway:\n  name: a\n  listen: 0.0.0.0:80\n  state_dir: s\n"
                              "  tokens_file: t\n  tls: {cert_file: c, key: k}\n")),
            "gw.yaml:6:8: gateway.tls.key_file: required key missing\n"
            "gw.yaml:6:23: gateway.tls.key: unknown key; expected one of cert_file, key_file");
  EXPECT_EQ(Error(WithGateway("gateway:\n  name: a\n  listen: 0.0.0.0:80\n  state_dir: s\n"
                              "  tokens_file: t\n  tls: {cert_file: \"\", key_file: []}\n")),
            "gw.yaml:6:20: gateway.tls.cert_file: expected a non-empty string, got \"\"\n"
            "gw.yaml:6:34: gateway.tls.key_file: expected a string, got a list");
}

TEST(GatewayConfigTest, CorsErrors) {
  const std::string gateway =
      "gateway:\n  name: a\n  listen: 127.0.0.1:80\n  state_dir: s\n"
      "  tokens_file: t\n";
  EXPECT_EQ(
      Error(WithGateway(gateway +
                        "  cors:\n    origins: [app.example.com, \"https://a.example.com/\",\n"
                        "      \"ftp://a\", \"https://\", \"http://a\", \"http://a\"]\n")),
      "gw.yaml:7:15: gateway.cors.origins[0]: expected an origin such as "
      "\"https://app.example.com\" (scheme://host[:port], no path) or \"*\", got "
      "\"app.example.com\"\n"
      "gw.yaml:7:32: gateway.cors.origins[1]: expected an origin such as "
      "\"https://app.example.com\" (scheme://host[:port], no path) or \"*\", got "
      "\"https://a.example.com/\"\n"
      "gw.yaml:8:7: gateway.cors.origins[2]: expected an origin such as "
      "\"https://app.example.com\" (scheme://host[:port], no path) or \"*\", got \"ftp://a\"\n"
      "gw.yaml:8:18: gateway.cors.origins[3]: expected an origin such as "
      "\"https://app.example.com\" (scheme://host[:port], no path) or \"*\", got \"https://\"\n"
      "gw.yaml:8:42: gateway.cors.origins[5]: duplicate origin \"http://a\"; first at "
      "gateway.cors.origins[4]");
  EXPECT_EQ(Error(WithGateway(gateway + "  cors: {origins: [\"*\", \"http://a\"], allow: x}\n")),
            "gw.yaml:6:19: gateway.cors.origins: \"*\" already allows every origin; list either "
            "\"*\" alone or the origins\n"
            "gw.yaml:6:38: gateway.cors.allow: unknown key; expected one of origins");
}

TEST(GatewayConfigTest, LimitsAndHistoryErrors) {
  const std::string gateway =
      "gateway:\n  name: a\n  listen: 127.0.0.1:80\n  state_dir: s\n"
      "  tokens_file: t\n";
  EXPECT_EQ(Error(WithGateway(gateway + "  limits:\n"
                                        "    client_queue_messages: 0\n"
                                        "    client_queue_bytes: 1KiB\n"
                                        "    max_request_bytes: 65MiB\n"
                                        "    max_connections: -1\n"
                                        "    connections_per_token: many\n"
                                        "    requests_per_minute: 1000001\n"
                                        "    max_conections: 5\n")),
            "gw.yaml:7:28: gateway.limits.client_queue_messages: expected a message count "
            "1..10000000, got \"0\"\n"
            "gw.yaml:8:25: gateway.limits.client_queue_bytes: expected a size from 64KiB to 4GiB, "
            "got \"1KiB\"\n"
            "gw.yaml:9:24: gateway.limits.max_request_bytes: expected a size from 1KiB to 64MiB, "
            "got \"65MiB\"\n"
            "gw.yaml:10:22: gateway.limits.max_connections: expected a connection count "
            "1..1000000, got \"-1\"\n"
            "gw.yaml:11:28: gateway.limits.connections_per_token: expected a connection count "
            "1..1000000, got \"many\"\n"
            "gw.yaml:12:26: gateway.limits.requests_per_minute: expected a request count (0: no "
            "limit) 0..1000000, got \"1000001\"\n"
            "gw.yaml:13:5: gateway.limits.max_conections: unknown key; expected one of "
            "client_queue_messages, client_queue_bytes, max_request_bytes, max_connections, "
            "connections_per_token, requests_per_minute; did you mean \"max_connections\"?");
  EXPECT_EQ(Error(WithGateway(gateway + "  limits: {client_queue_bytes: 16 MiB}\n")),
            "gw.yaml:6:32: gateway.limits.client_queue_bytes: expected a size such as 512KiB, "
            "64MiB, 10GiB or a byte count, got \"16 MiB\"");
  EXPECT_EQ(Error(WithGateway(gateway + "  history: {max_age: 0s, max_deltas: 0, keep: 1}\n")),
            "gw.yaml:6:22: gateway.history.max_age: expected a duration above 0, got \"0s\"\n"
            "gw.yaml:6:38: gateway.history.max_deltas: expected a delta count 1..1000000000000, "
            "got \"0\"\n"
            "gw.yaml:6:41: gateway.history.keep: unknown key; expected one of max_age, "
            "max_deltas");
  EXPECT_EQ(Error(WithGateway(gateway + "  history: {max_age: 1 day}\n")),
            "gw.yaml:6:22: gateway.history.max_age: expected a duration such as 500ms, 2s, 5m, "
            "1h or 7d, got \"1 day\"");
}

TEST(GatewayConfigTest, TokensFileRequiredUnlessEveryEntityIsPublic) {
  const std::string gateway = "gateway:\n  name: a\n  listen: 127.0.0.1:80\n  state_dir: s\n";
  const std::string subscribe =
      "subscribe:\n"
      "  - {bridge: parks, publish: tcp://127.0.0.1:5556, replay: tcp://127.0.0.1:5557}\n"
      "entities:\n";
  EXPECT_EQ(Error(gateway + subscribe +
                  "  - {name: slots, from: parks.a.slots, public: true}\n"
                  "  - {name: rangers, from: parks.a.rangers}\n"
                  "  - {name: notes, from: parks.a.notes, public: false}\n"),
            "gw.yaml:2:3: gateway.tokens_file: required key missing; requests to rangers, notes "
            "need a token (only reading a public: true entity needs none)");
  // Pushes always need a token.
  EXPECT_EQ(
      Error(gateway + subscribe +
            "  - name: slots\n    from: parks.a.slots\n    public: true\n"
            "    push: {target: {type: postgres, dsn: \"dbname=x\"}, to: slots, key: [id]}\n"),
      "gw.yaml:2:3: gateway.tokens_file: required key missing; requests to slots need a "
      "token (only reading a public: true entity needs none)");
  GatewayConfig open = Parse(gateway + subscribe +
                             "  - {name: slots, from: parks.a.slots, public: true}\n"
                             "  - {name: rangers, from: parks.a.rangers, public: true}\n");
  EXPECT_TRUE(open.tokens_file.empty());
  EXPECT_TRUE(open.entities[0].is_public);
  EXPECT_TRUE(open.entities[1].is_public);
}

TEST(GatewayConfigTest, PublicOnlyOnLoopback) {
  const std::string rest =
      "subscribe:\n"
      "  - {bridge: parks, publish: tcp://127.0.0.1:5556, replay: tcp://127.0.0.1:5557}\n"
      "entities:\n"
      "  - {name: slots, from: parks.a.slots, public: true}\n"
      "  - {name: rangers, from: parks.a.rangers, public: false}\n";
  EXPECT_EQ(Error("gateway:\n  name: a\n  listen: 0.0.0.0:443\n  state_dir: s\n"
                  "  tls: {cert_file: c, key_file: k}\n" +
                  rest),
            "gw.yaml:2:3: gateway.tokens_file: required key missing; requests to rangers need a "
            "token (only reading a public: true entity needs none)\n"
            "gw.yaml:9:48: entities[0].public: public: true serves the entity's rows to anyone "
            "without a token, which only a loopback listen may do (listen is 0.0.0.0:443); "
            "remove it and give the applications tokens (deltabridge token)");
}

TEST(GatewayConfigTest, DefaultTopicsAreTheFixedPrefixes) {
  GatewayConfig config = Parse(WithEntities(
      "  - {name: a, from: [parks.scheduling.public.tour_slots, \"parks.scheduling.public.r*\"]}\n"
      "  - {name: b, from: parks.legacy.BOOKINGS}\n"
      "  - {name: c, from: \"parks.legacy.B?OKS\"}\n"));
  EXPECT_EQ(config.subscribe[0].topics, (Strings{"parks.scheduling.public.", "parks.legacy."}));
  EXPECT_EQ(config.entities[0].from.size(), 2u);
  // A pattern whose second part is open takes the whole bridge.
  config =
      Parse(WithEntities("  - {name: a, from: parks.scheduling.public.tour_slots}\n"
                         "  - {name: b, from: \"parks.*.public.audit\"}\n"));
  EXPECT_EQ(config.subscribe[0].topics, Strings{"parks."});
  // Topics written are kept as written.
  config = Parse(
      "gateway: {name: a, listen: \"127.0.0.1:1\", state_dir: s, tokens_file: t}\n"
      "subscribe:\n"
      "  - {bridge: parks, publish: tcp://h:1, replay: tcp://h:2, topics: [parks.]}\n"
      "  - {bridge: zoo, publish: tcp://h:3, replay: tcp://h:4}\n"
      "entities:\n"
      "  - {name: a, from: parks.scheduling.public.tour_slots}\n"
      "  - {name: b, from: zoo.animals.public.feedings}\n");
  EXPECT_EQ(config.subscribe[0].topics, Strings{"parks."});
  EXPECT_EQ(config.subscribe[1].topics, Strings{"zoo.animals.public."});
  EXPECT_EQ(config.entities[1].bridge, "zoo");
}

TEST(GatewayConfigTest, EntityErrors) {
  EXPECT_EQ(Error(WithEntities("  - name: a\n    from: []\n"
                               "  - name: a\n    from: {x: 1}\n    colums: {}\n")),
            "gw.yaml:12:11: entities[0].from: expected at least one topic pattern, got an empty "
            "list\n"
            "gw.yaml:13:11: entities[1].name: duplicate entity \"a\"; first at entities[0].name\n"
            "gw.yaml:14:11: entities[1].from: expected a topic pattern BRIDGE.SOURCE.TABLE or a "
            "list of them, got a mapping\n"
            "gw.yaml:15:5: entities[1].colums: unknown key; expected one of name, from, columns, "
            "exclude, public, push; did you mean \"columns\"?");
  EXPECT_EQ(Error(WithEntities("  - name: a\n"
                               "    from: [parks.x, parks.s.t, parks.s.t, zoo.s.t]\n")),
            "gw.yaml:12:12: entities[0].from[0]: expected a topic pattern BRIDGE.SOURCE.TABLE (at "
            "least 3 dot-separated parts), got \"parks.x\"\n"
            "gw.yaml:12:32: entities[0].from[2]: duplicate pattern \"parks.s.t\"; first at "
            "entities[0].from[1]\n"
            "gw.yaml:12:43: entities[0].from[3]: expected a topic pattern of bridge \"parks\" (as "
            "entities[0].from[1]), got \"zoo.s.t\"; an entity follows one bridge, whose seq its "
            "clients resume from");
  EXPECT_EQ(Error(WithEntities("  - name: a\n    from: zoo.s.t\n"
                               "  - name: B\n    from: parks.s.t\n    public: 1\n")),
            "gw.yaml:12:11: entities[0].from: expected a topic pattern starting with a subscribed "
            "bridge name (parks), got \"zoo.s.t\"\n"
            "gw.yaml:13:11: entities[1].name: expected a name matching [a-z0-9_-]+, got \"B\"\n"
            "gw.yaml:15:13: entities[1].public: expected true or false, got \"1\"");
  EXPECT_EQ(Error(WithEntities("  - name: a\n    from: s.t\n")),
            "gw.yaml:12:11: entities[0].from: expected a topic pattern BRIDGE.SOURCE.TABLE (at "
            "least 3 dot-separated parts), got \"s.t\"");
}

TEST(GatewayConfigTest, EntityColumnsErrors) {
  EXPECT_EQ(Error(OneEntity("    columns: {a: x, b: x, \"\": y}\n    exclude: [a, c, c]\n")),
            "gw.yaml:13:24: entities[0].columns.b: duplicate shown column \"x\"; first from "
            "entities[0].columns.a\n"
            "gw.yaml:13:27: entities[0].columns: expected a source column name, got \"\"\n"
            "gw.yaml:14:15: entities[0].exclude[0]: a is also renamed to \"x\" by columns; a "
            "column is either renamed or excluded\n"
            "gw.yaml:14:21: entities[0].exclude[2]: duplicate column \"c\"; first at "
            "entities[0].exclude[1]");
}

TEST(GatewayConfigTest, SubscriptionErrors) {
  EXPECT_EQ(Error("gateway: {name: a, listen: \"127.0.0.1:1\", state_dir: s, tokens_file: t}\n"
                  "subscribe:\n"
                  "  - {bridge: parks, publish: tcp://h:1, replay: tcp://h:2, topics: [parks.a.]}\n"
                  "  - {bridge: zoo, publish: tcp://h:3, replay: tcp://h:4}\n"
                  "entities:\n"
                  "  - {name: a, from: [parks.a.t, parks.b.t]}\n"),
            "gw.yaml:4:14: subscribe[1].bridge: no entity reads from bridge \"zoo\"; remove the "
            "subscription, or add an entity whose from starts with \"zoo.\"\n"
            "gw.yaml:6:33: entities[0].from[1]: expected a topic pattern under a topic prefix "
            "subscribed from parks (parks.a.), got \"parks.b.t\"; the gateway would never show "
            "it");
  // Subscription errors as a sink file has them; entities are then not
  // checked against the subscriptions.
  EXPECT_EQ(Error("gateway: {name: a, listen: \"127.0.0.1:1\", state_dir: s, tokens_file: t}\n"
                  "subscribe:\n"
                  "  - {bridge: parks, publish: tcp://h:1, replay: tcp://h:1, topic: [x]}\n"
                  "  - {bridge: parks, publish: tcp://h:3, replay: tcp://h:4, topics: [zoo.]}\n"
                  "entities:\n"
                  "  - {name: a, from: [other.a.t]}\n"),
            "gw.yaml:3:49: subscribe[0].replay: expected an endpoint different from publish, got "
            "\"tcp://h:1\"\n"
            "gw.yaml:3:60: subscribe[0].topic: unknown key; expected one of bridge, publish, "
            "replay, topics; did you mean \"topics\"?\n"
            "gw.yaml:4:14: subscribe[1].bridge: duplicate bridge \"parks\"; first subscribed by "
            "subscribe[0].bridge\n"
            "gw.yaml:4:69: subscribe[1].topics[0]: expected a topic prefix starting with "
            "\"parks.\", without * or ?, got \"zoo.\"");
}

TEST(GatewayConfigTest, Push) {
  GatewayConfig config = Parse(OnePush(
      "      target: {type: mysql, host: db, user: app, password: pw, database: parks}\n"
      "      to: tour_slots\n"
      "      key: [slot_id]\n"
      "      columns: {id: slot_id}\n"
      "      exclude: [status]\n"
      "      on_delete: {soft: deleted_at}\n"
      "      rules: {default: overwrite, seats: {rule: last_writer_wins, by: changed_at}}\n"));
  const EntityPushConfig& push = *config.entities[0].push;
  EXPECT_EQ(push.target.type, TargetType::kMysql);
  EXPECT_EQ(push.target.mysql()->password, "pw");
  EXPECT_EQ(push.target.mysql()->database, "parks");
  EXPECT_TRUE(push.target.node.empty());
  EXPECT_EQ(push.mapping.from, "scheduling");
  EXPECT_EQ(push.mapping.to, "tour_slots");
  EXPECT_EQ(push.mapping.exclude, Strings{"status"});
  EXPECT_EQ(push.mapping.on_delete, OnDelete::kSoft);
  EXPECT_EQ(push.mapping.soft_delete_column, "deleted_at");
  EXPECT_EQ(push.mapping.default_rule.kind, RuleKind::kOverwrite);
  EXPECT_EQ(push.mapping.rules.at("seats").by_column, "changed_at");
  EXPECT_EQ(push.node, "app.scheduling");  // <gateway name>.<entity name>

  config =
      Parse(OnePush("      target: {type: odbc, dsn: \"DSN=parks\", node: parks.legacy}\n"
                    "      to: dbo.slots\n      key: [id]\n      node: kiosk.booking\n"));
  EXPECT_EQ(config.entities[0].push->target.type, TargetType::kOdbc);
  EXPECT_EQ(config.entities[0].push->target.node, "parks.legacy");
  EXPECT_EQ(config.entities[0].push->node, "kiosk.booking");
}

TEST(GatewayConfigTest, PushTargetErrors) {
  EXPECT_EQ(Error(OnePush("      target: {type: jsonl, path: /tmp/x}\n      to: t\n"
                          "      key: [id]\n")),
            "gw.yaml:16:22: entities[0].push.target.type: expected one of postgres, mysql, odbc, "
            "got \"jsonl\"; changes are applied with their rules to a SQL database, which a "
            "jsonl file is not\n"
            "gw.yaml:16:29: entities[0].push.target.path: unknown key; expected one of type, "
            "dsn, node, host, port, user, password, password_file, database; path is for jsonl "
            "targets");
  EXPECT_EQ(Error(OnePush("      target: {type: postgress, dsn: x}\n      to: t\n"
                          "      key: [id]\n")),
            "gw.yaml:16:22: entities[0].push.target.type: expected one of postgres, mysql, odbc, "
            "got \"postgress\"; did you mean \"postgres\"?");
  EXPECT_EQ(Error(OnePush("      target: {type: postgres, dsn: \"x\", path: p}\n      to: t\n"
                          "      key: [id]\n")),
            "gw.yaml:16:37: entities[0].push.target.dsn: expected a libpq conninfo "
            "(\"host=... dbname=...\") or a postgresql:// URI; expected keyword=value pairs such "
            "as host=... dbname=...\n"
            "gw.yaml:16:42: entities[0].push.target.path: unknown key; expected one of type, "
            "dsn, node; path is for jsonl targets");
}

TEST(GatewayConfigTest, PushMappingErrors) {
  EXPECT_EQ(Error(OnePush("      target: {type: postgres, dsn: \"dbname=x\"}\n"
                          "      from: parks.a.b\n"
                          "      node: Bad.Node\n"
                          "      on_delete: erase\n")),
            "gw.yaml:16:7: entities[0].push.to: required key missing\n"
            "gw.yaml:16:7: entities[0].push.key: required key missing\n"
            "gw.yaml:17:7: entities[0].push.from: unknown key; expected one of target, to, key, "
            "columns, exclude, on_delete, rules, node; a push takes the entity's rows (its "
            "from), in the names the entity shows\n"
            "gw.yaml:18:13: entities[0].push.node: expected a node name: names matching "
            "[a-z0-9_-]+ joined by dots, like parks.scheduling, got \"Bad.Node\"\n"
            "gw.yaml:19:18: entities[0].push.on_delete: expected one of apply, ignore, manual or "
            "{soft: COLUMN}, got \"erase\"");
}

TEST(GatewayConfigTest, PushNamesShownColumns) {
  // The entity shows slot_id as id and excludes notes (OnePush).
  EXPECT_EQ(Error(OnePush("      target: {type: postgres, dsn: \"dbname=x\"}\n"
                          "      to: t\n"
                          "      key: [slot_id]\n"
                          "      columns: {notes: remark, seats: n}\n"
                          "      exclude: [slot_id]\n"
                          "      rules: {notes: manual, seats: additive, status: {rule: "
                          "last_writer_wins, by: notes}}\n")),
            "gw.yaml:18:13: entities[0].push.key[0]: slot_id is excluded; an excluded column is "
            "never written\n"
            "gw.yaml:19:17: entities[0].push.columns.notes: notes is excluded from the entity "
            "(entities[0].exclude); a push names only the columns the entity shows\n"
            "gw.yaml:20:17: entities[0].push.exclude[0]: slot_id is shown as \"id\" "
            "(entities[0].columns); a push names the columns as the entity shows them\n"
            "gw.yaml:21:15: entities[0].push.rules.notes: notes is renamed to \"remark\" by "
            "columns; name the target column\n"
            "gw.yaml:21:30: entities[0].push.rules.seats: seats is renamed to \"n\" by columns; "
            "name the target column\n"
            "gw.yaml:21:84: entities[0].push.rules.status.by: notes is renamed to \"remark\" by "
            "columns; name the target column");
  EXPECT_EQ(Error(OnePush("      target: {type: postgres, dsn: \"dbname=x\"}\n"
                          "      to: t\n"
                          "      key: [slot_id]\n"
                          "      rules: {notes: manual, status: {rule: last_writer_wins, by: "
                          "notes}}\n")),
            "gw.yaml:18:13: entities[0].push.key[0]: slot_id is shown as \"id\" "
            "(entities[0].columns); a push names the columns as the entity shows them\n"
            "gw.yaml:19:15: entities[0].push.rules.notes: notes is excluded from the entity "
            "(entities[0].exclude); a push names only the columns the entity shows\n"
            "gw.yaml:19:67: entities[0].push.rules.status.by: notes is excluded from the entity "
            "(entities[0].exclude); a push names only the columns the entity shows");
  // A target column renamed from a shown column is fine, also when the
  // target name is a source name the entity renames.
  GatewayConfig config =
      Parse(OnePush("      target: {type: postgres, dsn: \"dbname=x\"}\n"
                    "      to: t\n"
                    "      key: [slot_id]\n"
                    "      columns: {id: slot_id}\n"
                    "      rules: {seats: additive}\n"));
  EXPECT_EQ(config.entities[0].push->mapping.key, Strings{"slot_id"});
}

TEST(GatewayConfigTest, OtherKindsOfFile) {
  EXPECT_EQ(Error("sink: {name: x}\nsubscribe: []\n"),
            "gw.yaml:1:1: sink: this is a sink file (deltabridge sink); a gateway file has "
            "top-level keys gateway, subscribe and entities");
  EXPECT_EQ(Error("bridge: {name: x}\nsources: []\n"),
            "gw.yaml:1:1: bridge: this is a bridge file (deltabridge run); a gateway file has "
            "top-level keys gateway, subscribe and entities");
  EXPECT_EQ(Error(""),
            "gw.yaml:1:1: expected a mapping with keys gateway, subscribe and "
            "entities, got an empty document");
  EXPECT_EQ(Error("gateway: {name: a, listen: \"127.0.0.1:1\", state_dir: s}\nentitys: []\n"),
            "gw.yaml:1:1: subscribe: required key missing\n"
            "gw.yaml:1:1: entities: required key missing\n"
            "gw.yaml:2:1: entitys: unknown key; expected one of gateway, subscribe, entities; did "
            "you mean \"entities\"?");
}

TEST(GatewayConfigTest, LoadNamesTheFile) {
  Result<GatewayConfig> missing = LoadGatewayConfig("missing-gateway.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "missing-gateway.yaml: cannot read: No such file or directory");
  test::TempDir dir = test::TempDir::CreateOrDie();
  std::string path = dir.Write("gw.yaml", OneEntity("    public: maybe\n"));
  Result<GatewayConfig> loaded = LoadGatewayConfig(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            path + ":13:13: entities[0].public: expected true or false, got \"maybe\"");
}

}  // namespace
}  // namespace deltabridge
