#include "gateway/gateway_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "cdc/config/common_keys.h"
#include "cdc/config/config_kind.h"
#include "cdc/config/message_text.h"
#include "cdc/config/yaml_reader.h"
#include "cdc/core/ascii.h"
#include "sinks/sink_config_parts.h"

namespace deltabridge {

namespace {

using config_parts::IsDottedName;
using config_parts::JoinStrings;
using config_parts::PatternMayStartWith;

constexpr std::array<std::string_view, 3> kTopKeys = {"gateway", "subscribe", "entities"};
constexpr std::array<std::string_view, 10> kGatewayKeys = {
    "name",    "listen", "tls",  "tokens_file", "state_dir",
    "metrics", "cors",   "page", "limits",      "history"};
constexpr std::array<std::string_view, 2> kTlsKeys = {"cert_file", "key_file"};
constexpr std::array<std::string_view, 1> kCorsKeys = {"origins"};
constexpr std::array<std::string_view, 6> kLimitsKeys = {
    "client_queue_messages", "client_queue_bytes",    "max_request_bytes",
    "max_connections",       "connections_per_token", "requests_per_minute"};
constexpr std::array<std::string_view, 2> kHistoryKeys = {"max_age", "max_deltas"};
constexpr std::array<std::string_view, 6> kEntityKeys = {"name",    "from",   "columns",
                                                         "exclude", "public", "push"};
constexpr std::array<std::string_view, 8> kPushKeys = {"target",  "to",        "key",   "columns",
                                                       "exclude", "on_delete", "rules", "node"};

constexpr std::string_view kTopicPatternRule =
    "a topic pattern BRIDGE.SOURCE.TABLE (at least 3 dot-separated parts)";
constexpr std::string_view kOriginRule =
    "an origin such as \"https://app.example.com\" (scheme://host[:port], no path) or \"*\"";

// Bounds of the limits: what a single gateway process can sensibly hold.
constexpr uint64_t kMinQueueBytes = 64u << 10;
constexpr uint64_t kMaxQueueBytes = uint64_t{4} << 30;
constexpr uint64_t kMinRequestBytes = 1u << 10;
constexpr uint64_t kMaxRequestBytes = 64u << 20;

// What the readers learned besides the values, for the checks across sections.
struct GatewaySection {
  bool valid = false;  // `gateway` is a mapping
  YAML::Mark mark = YAML::Mark::null_mark();
  bool listen_read = false;  // config.listen holds the value written
  bool tokens_file_given = false;
};

struct ReadEntity {
  EntityConfig config;
  ConfigSite name_site;
  std::vector<ConfigSite> from_sites;             // parallel to config.from
  std::optional<ConfigSite> public_site;          // where `public: true` is
  config_parts::MappingColumnSites push_columns;  // what the push names, where
};

// 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and "localhost".
bool IsLoopbackHost(std::string_view host) {
  std::string text(host);
  if (AsciiLower(text) == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::optional<HostPort> ReadHostPort(const ConfigNode& at, ConfigErrors* errors) {
  std::optional<HostPort> address;
  if (at.node.IsScalar()) address = ParseHostPort(at.node.Scalar());
  if (!address) ExpectError(at, "HOST:PORT with a port 1..65535", errors);
  return address;
}

// "https://app.example.com", "http://localhost:5173": what a browser sends
// as Origin. "*" is handled by the caller.
bool IsOrigin(std::string_view text) {
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = text.substr(8);
  } else if (text.starts_with("http://")) {
    rest = text.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == ':' || ContainsSpaceOrControl(rest)) return false;
  return rest.find_first_of("/?#@") == std::string_view::npos;
}

// ---- gateway ----

void ReadTls(const ConfigNode& at, GatewayConfig* config, ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return;
  map.RejectUnknownKeys(kTlsKeys);
  GatewayTlsConfig tls;
  bool ok = true;
  for (auto [key, field] :
       {std::pair{"cert_file", &tls.cert_file}, std::pair{"key_file", &tls.key_file}}) {
    std::optional<ConfigNode> node = map.Require(key);
    std::optional<std::string> path = node ? ReadNonEmptyString(*node, errors) : std::nullopt;
    if (path) {
      *field = std::move(*path);
    } else {
      ok = false;
    }
  }
  if (ok) config->tls = std::move(tls);
}

void ReadCors(const ConfigNode& at, GatewayConfig* config, ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return;
  map.RejectUnknownKeys(kCorsKeys);
  std::optional<ConfigNode> node = map.Require("origins");
  if (!node) return;
  std::optional<std::vector<ConfigNode>> items = ReadList(*node, errors);
  if (!items) return;
  std::vector<std::pair<std::string, std::string>> seen;  // origin, path
  for (const ConfigNode& item : *items) {
    if (!item.node.IsScalar() || (item.node.Scalar() != "*" && !IsOrigin(item.node.Scalar()))) {
      ExpectError(item, kOriginRule, errors);
      continue;
    }
    const std::string& origin = item.node.Scalar();
    auto it = std::find_if(seen.begin(), seen.end(),
                           [&](const auto& entry) { return entry.first == origin; });
    if (it != seen.end()) {
      errors->Add(item.mark, item.path,
                  "duplicate origin " + QuoteForMessage(origin) + "; first at " + it->second);
      continue;
    }
    seen.emplace_back(origin, item.path);
    config->cors_origins.push_back(origin);
  }
  bool any = std::find(config->cors_origins.begin(), config->cors_origins.end(), "*") !=
             config->cors_origins.end();
  if (any && config->cors_origins.size() > 1) {
    errors->Add(node->mark, node->path,
                "\"*\" already allows every origin; list either \"*\" alone or the origins");
  }
}

// A count under `key` of `map` in [min, max] into `field`, when present.
template <typename T>
void ReadCount(const MapReader& map, std::string_view key, uint64_t min, uint64_t max,
               std::string_view what, T* field, ConfigErrors* errors) {
  if (std::optional<ConfigNode> node = map.Get(key)) {
    if (auto value = ReadUnsigned(*node, min, max, what, errors)) *field = static_cast<T>(*value);
  }
}

// A size under `key` of `map` in [min, max] into `field`, when present;
// `expected` says the bounds.
void ReadBoundedSize(const MapReader& map, std::string_view key, uint64_t min, uint64_t max,
                     std::string_view expected, size_t* field, ConfigErrors* errors) {
  std::optional<ConfigNode> node = map.Get(key);
  if (!node) return;
  std::optional<uint64_t> size = ReadSize(*node, errors);
  if (!size) return;
  if (*size < min || *size > max) {
    ExpectError(*node, expected, errors);
    return;
  }
  *field = static_cast<size_t>(*size);
}

void ReadLimits(const ConfigNode& at, GatewayLimits* limits, ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return;
  map.RejectUnknownKeys(kLimitsKeys);
  ReadCount(map, "client_queue_messages", 1, 10'000'000, "a message count",
            &limits->client_queue_messages, errors);
  ReadBoundedSize(map, "client_queue_bytes", kMinQueueBytes, kMaxQueueBytes,
                  "a size from 64KiB to 4GiB", &limits->client_queue_bytes, errors);
  ReadBoundedSize(map, "max_request_bytes", kMinRequestBytes, kMaxRequestBytes,
                  "a size from 1KiB to 64MiB", &limits->max_request_bytes, errors);
  ReadCount(map, "max_connections", 1, 1'000'000, "a connection count", &limits->max_connections,
            errors);
  ReadCount(map, "connections_per_token", 1, 1'000'000, "a connection count",
            &limits->connections_per_token, errors);
  ReadCount(map, "requests_per_minute", 0, 1'000'000, "a request count (0: no limit)",
            &limits->requests_per_minute, errors);
}

void ReadHistory(const ConfigNode& at, GatewayHistoryConfig* history, ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return;
  map.RejectUnknownKeys(kHistoryKeys);
  if (std::optional<ConfigNode> node = map.Get("max_age")) {
    if (auto age = ReadDuration(*node, errors)) {
      if (age->count() <= 0) {
        ExpectError(*node, "a duration above 0", errors);
      } else {
        history->max_age = *age;
      }
    }
  }
  ReadCount(map, "max_deltas", 1, 1'000'000'000'000, "a delta count", &history->max_deltas, errors);
}

GatewaySection ReadGatewaySection(const ConfigNode& at, GatewayConfig* config,
                                  ConfigErrors* errors) {
  GatewaySection section;
  MapReader map(at, errors);
  if (!map.valid()) return section;
  section.valid = true;
  section.mark = at.mark;
  map.RejectUnknownKeys(kGatewayKeys);
  if (std::optional<ConfigNode> node = map.Require("name")) {
    config->name = ReadName(*node, errors).value_or("");
  }
  if (std::optional<ConfigNode> node = map.Require("listen")) {
    if (auto address = ReadHostPort(*node, errors)) {
      config->listen = std::move(*address);
      section.listen_read = true;
    }
  }
  if (std::optional<ConfigNode> node = map.Get("tls")) ReadTls(*node, config, errors);
  if (std::optional<ConfigNode> node = map.Get("tokens_file")) {
    section.tokens_file_given = true;
    if (auto path = ReadNonEmptyString(*node, errors)) config->tokens_file = std::move(*path);
  }
  if (std::optional<ConfigNode> node = map.Require("state_dir")) {
    if (auto dir = ReadNonEmptyString(*node, errors)) config->state_dir = std::move(*dir);
  }
  if (std::optional<ConfigNode> node = map.Get("metrics")) {
    if (auto address = ReadHostPort(*node, errors)) config->metrics = std::move(*address);
  }
  if (std::optional<ConfigNode> node = map.Get("cors")) ReadCors(*node, config, errors);
  if (std::optional<ConfigNode> node = map.Get("page")) {
    if (auto page = ReadBool(*node, errors)) config->page = *page;
  }
  if (std::optional<ConfigNode> node = map.Get("limits")) {
    ReadLimits(*node, &config->limits, errors);
  }
  if (std::optional<ConfigNode> node = map.Get("history")) {
    ReadHistory(*node, &config->history, errors);
  }
  // A listener beyond loopback carries bearer tokens and rows: only over TLS.
  if (section.listen_read && !map.Get("tls") && !IsLoopbackHost(config->listen.host)) {
    std::optional<ConfigNode> node = map.Get("listen");
    errors->Add(node->mark, node->path,
                config->listen.ToString() +
                    " is not a loopback address, and without tls bearer tokens and rows would "
                    "cross the network in clear; add tls: {cert_file: FILE.crt, key_file: "
                    "FILE.key} under gateway, or listen on 127.0.0.1 behind a proxy that "
                    "terminates TLS");
  }
  return section;
}

// ---- entities ----

// `from`: one topic pattern or a list of them, at least one, distinct.
void ReadFrom(const ConfigNode& at, ReadEntity* entity, ConfigErrors* errors) {
  std::vector<ConfigNode> items;
  if (at.node.IsScalar()) {
    items.push_back(at);
  } else if (at.node.IsSequence()) {
    items = *ReadList(at, errors);
    if (items.empty()) {
      errors->Add(at.mark, at.path, "expected at least one topic pattern, got an empty list");
    }
  } else {
    ExpectError(at, "a topic pattern BRIDGE.SOURCE.TABLE or a list of them", errors);
    return;
  }
  for (const ConfigNode& item : items) {
    if (!item.node.IsScalar() ||
        !IsDottedName(item.node.Scalar(), 3, std::numeric_limits<size_t>::max())) {
      ExpectError(item, kTopicPatternRule, errors);
      continue;
    }
    const std::string& pattern = item.node.Scalar();
    auto& from = entity->config.from;
    if (auto it = std::find(from.begin(), from.end(), pattern); it != from.end()) {
      errors->Add(item.mark, item.path,
                  "duplicate pattern " + QuoteForMessage(pattern) + "; first at " +
                      entity->from_sites[static_cast<size_t>(it - from.begin())].path);
      continue;
    }
    std::string bridge = pattern.substr(0, pattern.find('.'));
    if (!from.empty() && bridge != entity->config.bridge) {
      errors->Add(item.mark, item.path,
                  "expected a topic pattern of bridge " + QuoteForMessage(entity->config.bridge) +
                      " (as " + entity->from_sites.front().path + "), got " +
                      QuoteForMessage(pattern) +
                      "; an entity follows one bridge, whose seq its clients resume from");
      continue;
    }
    if (from.empty()) entity->config.bridge = std::move(bridge);
    from.push_back(pattern);
    entity->from_sites.push_back({item.mark, item.path});
  }
}

void ReadPush(const ConfigNode& at, const std::string& gateway_name, ReadEntity* entity,
              ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return;
  // As MapReader::RejectUnknownKeys, but `from`, which a sink's mapping has,
  // is explained rather than taken for a misspelt `to`.
  for (const std::string& key : config_parts::MapKeys(map)) {
    if (std::find(kPushKeys.begin(), kPushKeys.end(), key) != kPushKeys.end()) continue;
    std::string message = "unknown key; expected one of " + JoinForMessage(kPushKeys);
    if (key == "from") {
      message += "; a push takes the entity's rows (its from), in the names the entity shows";
    } else if (std::string_view close = ClosestMatch(key, kPushKeys); !close.empty()) {
      message += "; did you mean \"" + std::string(close) + "\"?";
    }
    errors->Add(map.KeyMark(key), ChildPath(at.path, key), message);
  }
  EntityPushConfig push;
  if (std::optional<ConfigNode> node = map.Require("target")) {
    config_parts::ReadTarget(*node, config_parts::TargetKinds::kSqlOnly, &push.target, errors);
  }
  push.mapping.from = entity->config.name;
  config_parts::ReadMappingBody(map, config_parts::ColumnNouns{"shown column", "target column"},
                                &push.mapping, errors, &entity->push_columns);
  if (std::optional<ConfigNode> node = map.Get("node")) {
    push.node = ReadNodeName(*node, errors).value_or("");
  } else if (!gateway_name.empty() && !entity->config.name.empty()) {
    push.node = gateway_name + "." + entity->config.name;
    if (!IsValidNodeName(push.node)) {
      errors->Add(at.mark, ChildPath(at.path, "node"),
                  "the default node " + QuoteForMessage(push.node) + " is not " +
                      std::string(kNodeNameRule) + "; set node");
      push.node.clear();
    }
  }
  entity->config.push = std::move(push);
}

// Why a push may not name `name` as a shown column of `entity`: "" when it may.
std::string WhyNotShown(const EntityConfig& entity, const std::string& entity_path,
                        std::string_view name) {
  for (const auto& [source, shown] : entity.columns) {
    if (shown == name) return "";
  }
  if (auto it = entity.columns.find(name); it != entity.columns.end()) {
    return std::string(name) + " is shown as " + QuoteForMessage(it->second) + " (" + entity_path +
           ".columns); a push names the columns as the entity shows them";
  }
  if (std::find(entity.exclude.begin(), entity.exclude.end(), name) != entity.exclude.end()) {
    return std::string(name) + " is excluded from the entity (" + entity_path +
           ".exclude); a push names only the columns the entity shows";
  }
  return "";
}

// A push names the entity's shown columns: its `columns` keys and `exclude`
// directly, its `key` and rule columns through its `columns` (a target
// column nobody renames to is the shown column of the same name).
void CheckPushColumns(const ReadEntity& entity, const std::string& entity_path,
                      ConfigErrors* errors) {
  if (!entity.config.push) return;
  const MappingConfig& mapping = entity.config.push->mapping;
  for (const auto& [name, site] : entity.push_columns.source) {
    if (std::string why = WhyNotShown(entity.config, entity_path, name); !why.empty()) {
      errors->Add(site.mark, site.path, why);
    }
  }
  for (const auto& [name, site] : entity.push_columns.target) {
    bool renamed = std::any_of(mapping.columns.begin(), mapping.columns.end(),
                               [&](const auto& entry) { return entry.second == name; });
    if (renamed) continue;  // its shown column is checked as a `columns` key
    if (std::string why = WhyNotShown(entity.config, entity_path, name); !why.empty()) {
      errors->Add(site.mark, site.path, why);
    }
  }
}

std::optional<ReadEntity> ReadEntityEntry(const ConfigNode& at, const std::string& gateway_name,
                                          ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return std::nullopt;
  map.RejectUnknownKeys(kEntityKeys);
  ReadEntity entity;
  if (std::optional<ConfigNode> node = map.Require("name")) {
    if (auto name = ReadName(*node, errors)) {
      entity.config.name = std::move(*name);
      entity.name_site = {node->mark, node->path};
    }
  }
  if (std::optional<ConfigNode> node = map.Require("from")) ReadFrom(*node, &entity, errors);
  MappingConfig shown;  // source column -> shown column, as a mapping's columns
  if (std::optional<ConfigNode> node = map.Get("columns")) {
    config_parts::ReadColumnMap(*node, config_parts::ColumnNouns{"source column", "shown column"},
                                &shown, errors);
  }
  if (std::optional<ConfigNode> node = map.Get("exclude")) {
    config_parts::ReadExclude(*node, &shown, errors);
  }
  entity.config.columns = std::move(shown.columns);
  entity.config.exclude = std::move(shown.exclude);
  if (std::optional<ConfigNode> node = map.Get("public")) {
    std::optional<bool> is_public = ReadBool(*node, errors);
    entity.config.is_public = is_public.value_or(false);
    if (entity.config.is_public) entity.public_site = ConfigSite{node->mark, node->path};
  }
  if (std::optional<ConfigNode> node = map.Get("push")) {
    ReadPush(*node, gateway_name, &entity, errors);
  }
  CheckPushColumns(entity, at.path, errors);
  return entity;
}

std::vector<ReadEntity> ReadEntities(const ConfigNode& at, const std::string& gateway_name,
                                     ConfigErrors* errors) {
  std::vector<ReadEntity> read;
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return read;
  if (items->empty()) {
    errors->Add(at.mark, at.path, "expected at least one entity, got an empty list");
    return read;
  }
  for (const ConfigNode& item : *items) {
    std::optional<ReadEntity> entity = ReadEntityEntry(item, gateway_name, errors);
    if (!entity) continue;
    const std::string& name = entity->config.name;
    auto same = std::find_if(read.begin(), read.end(), [&](const ReadEntity& other) {
      return !name.empty() && other.config.name == name;
    });
    if (same != read.end()) {
      errors->Add(
          entity->name_site.mark, entity->name_site.path,
          "duplicate entity " + QuoteForMessage(name) + "; first at " + same->name_site.path);
      continue;
    }
    read.push_back(std::move(*entity));
  }
  return read;
}

// ---- across sections ----

// The longest prefix of `pattern` that every topic it matches starts with,
// cut after its last '.': "parks.scheduling.public.ranger_*" ->
// "parks.scheduling.public.".
std::string FixedPrefix(std::string_view pattern) {
  std::string_view fixed = pattern.substr(0, pattern.find_first_of("*?"));
  return std::string(fixed.substr(0, fixed.rfind('.') + 1));
}

// The topic prefixes a subscription without `topics` takes: the fixed
// prefixes of its entities' patterns, without those another one covers.
std::vector<std::string> DefaultTopics(const std::vector<ReadEntity>& entities,
                                       const std::string& bridge) {
  std::vector<std::string> prefixes;
  for (const ReadEntity& entity : entities) {
    if (entity.config.bridge != bridge) continue;
    for (const std::string& pattern : entity.config.from) {
      std::string prefix = FixedPrefix(pattern);
      if (std::find(prefixes.begin(), prefixes.end(), prefix) == prefixes.end()) {
        prefixes.push_back(std::move(prefix));
      }
    }
  }
  std::vector<std::string> topics;
  for (const std::string& prefix : prefixes) {
    bool covered = std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& other) {
      return other != prefix && prefix.starts_with(other);
    });
    if (!covered) topics.push_back(prefix);
  }
  return topics;
}

// Every entity's bridge is subscribed (and its patterns under the topics
// listed); every subscription is some entity's. Fills in default topics.
void CheckBridges(std::vector<config_parts::ReadSubscription>* subscriptions,
                  const std::vector<ReadEntity>& entities, ConfigErrors* errors) {
  for (const ReadEntity& entity : entities) {
    if (entity.config.from.empty()) continue;
    auto sub = std::find_if(subscriptions->begin(), subscriptions->end(),
                            [&](const config_parts::ReadSubscription& s) {
                              return s.config.bridge == entity.config.bridge;
                            });
    if (sub == subscriptions->end()) {
      std::vector<std::string> bridges;
      for (const auto& s : *subscriptions) bridges.push_back(s.config.bridge);
      const ConfigSite& site = entity.from_sites.front();
      errors->Add(site.mark, site.path,
                  "expected a topic pattern starting with a subscribed bridge name (" +
                      JoinStrings(bridges) + "), got " +
                      QuoteForMessage(entity.config.from.front()));
      continue;
    }
    if (!sub->topics_given) continue;
    for (size_t i = 0; i < entity.config.from.size(); ++i) {
      const std::string& pattern = entity.config.from[i];
      bool under =
          std::any_of(sub->config.topics.begin(), sub->config.topics.end(),
                      [&](const std::string& t) { return PatternMayStartWith(pattern, t); });
      if (!under) {
        errors->Add(entity.from_sites[i].mark, entity.from_sites[i].path,
                    "expected a topic pattern under a topic prefix subscribed from " +
                        sub->config.bridge + " (" + JoinStrings(sub->config.topics) + "), got " +
                        QuoteForMessage(pattern) + "; the gateway would never show it");
      }
    }
  }
  // An entity whose every `from` was wrong names no bridge: whether a
  // subscription is unused cannot be told then.
  bool all_named = std::none_of(entities.begin(), entities.end(),
                                [](const ReadEntity& e) { return e.config.bridge.empty(); });
  for (config_parts::ReadSubscription& sub : *subscriptions) {
    bool used = std::any_of(entities.begin(), entities.end(), [&](const ReadEntity& e) {
      return e.config.bridge == sub.config.bridge;
    });
    if (!used && all_named) {
      errors->Add(sub.bridge_site.mark, sub.bridge_site.path,
                  "no entity reads from bridge " + QuoteForMessage(sub.config.bridge) +
                      "; remove the subscription, or add an entity whose from starts with \"" +
                      sub.config.bridge + ".\"");
      continue;
    }
    if (!sub.topics_given) sub.config.topics = DefaultTopics(entities, sub.config.bridge);
  }
}

// Access: rows leave loopback only to a token holder; a tokens file unless
// nothing needs a token.
void CheckAccess(const GatewayConfig& config, const GatewaySection& section,
                 const std::vector<ReadEntity>& entities, ConfigErrors* errors) {
  if (section.listen_read && !IsLoopbackHost(config.listen.host)) {
    for (const ReadEntity& entity : entities) {
      if (!entity.public_site) continue;
      errors->Add(entity.public_site->mark, entity.public_site->path,
                  "public: true serves the entity's rows to anyone without a token, which only "
                  "a loopback listen may do (listen is " +
                      config.listen.ToString() +
                      "); remove it and give the applications tokens (deltabridge token)");
    }
  }
  if (!section.valid || section.tokens_file_given) return;
  std::vector<std::string> need;
  for (const ReadEntity& entity : entities) {
    if (entity.config.name.empty()) continue;
    if (!entity.config.is_public || entity.config.push) need.push_back(entity.config.name);
  }
  if (need.empty()) return;
  errors->Add(section.mark, "gateway.tokens_file",
              "required key missing; requests to " + JoinStrings(need) +
                  " need a token (only reading a public: true entity needs none)");
}

}  // namespace

Result<GatewayConfig> ParseGatewayConfig(std::string_view yaml_text,
                                         const std::string& path_for_messages) {
  static constexpr std::string_view kExpected =
      "a mapping with keys gateway, subscribe and entities";
  static constexpr ConfigFileKind kAfterSink = {
      kExpected, "gateway", "sink",
      "this is a sink file (deltabridge sink); a gateway file has top-level keys gateway, "
      "subscribe and entities",
      kTopKeys};
  static constexpr ConfigFileKind kAfterBridge = {
      kExpected, "gateway", "bridge",
      "this is a bridge file (deltabridge run); a gateway file has top-level keys gateway, "
      "subscribe and entities",
      kTopKeys};
  // Which other kind of file it may be decides what a missing `gateway:` is said to be.
  Result<ConfigKind> kind = DetectConfigKindOfText(yaml_text, path_for_messages);
  const ConfigFileKind& file_kind =
      kind.ok() && *kind == ConfigKind::kBridge ? kAfterBridge : kAfterSink;

  GatewayConfig config;
  DB_RETURN_IF_ERROR(ParseConfigText(
      yaml_text, path_for_messages, file_kind, [&](const MapReader& top, ConfigErrors* errors) {
        GatewaySection section;
        if (std::optional<ConfigNode> gateway = top.Require("gateway")) {
          section = ReadGatewaySection(*gateway, &config, errors);
        }
        // Entities are checked against the subscriptions only when those
        // read cleanly: a broken subscription would make every entity look wrong.
        bool subscribe_clean = false;
        std::vector<config_parts::ReadSubscription> subscriptions;
        if (std::optional<ConfigNode> subscribe = top.Require("subscribe")) {
          size_t before = errors->size();
          subscriptions =
              config_parts::ReadSubscribe(*subscribe, config_parts::TopicsKey::kOptional, errors);
          subscribe_clean = errors->size() == before;
        }
        std::vector<ReadEntity> entities;
        if (std::optional<ConfigNode> node = top.Require("entities")) {
          entities = ReadEntities(*node, config.name, errors);
        }
        if (subscribe_clean) CheckBridges(&subscriptions, entities, errors);
        CheckAccess(config, section, entities, errors);
        for (auto& sub : subscriptions) config.subscribe.push_back(std::move(sub.config));
        for (auto& entity : entities) config.entities.push_back(std::move(entity.config));
      }));
  return config;
}

Result<GatewayConfig> LoadGatewayConfig(const std::string& path) {
  DB_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseGatewayConfig(text, path);
}

}  // namespace deltabridge
