#include "sinks/sink_config_parts.h"

#include <algorithm>
#include <array>
#include <span>
#include <utility>

#include "cdc/config/conninfo.h"
#include "cdc/config/message_text.h"
#include "cdc/core/glob.h"

namespace deltabridge {

namespace {

constexpr std::array<std::string_view, 4> kTargetTypeNames = {"postgres", "mysql", "odbc", "jsonl"};

}  // namespace

std::string_view TargetTypeName(TargetType type) {
  return kTargetTypeNames[static_cast<size_t>(type)];
}

namespace config_parts {

namespace {

constexpr std::array<std::string_view, 4> kSubscribeKeys = {"bridge", "publish", "replay",
                                                            "topics"};
constexpr std::array<std::string_view, 3> kPostgresKeys = {"type", "dsn", "node"};
constexpr std::array<std::string_view, 8> kMysqlKeys = {
    "type", "host", "port", "user", "password", "password_file", "database", "node"};
constexpr std::array<std::string_view, 3> kOdbcKeys = {"type", "dsn", "node"};
constexpr std::array<std::string_view, 3> kJsonlKeys = {"type", "path", "node"};
constexpr std::array<std::string_view, 1> kSoftKeys = {"soft"};
constexpr std::array<std::string_view, 3> kRuleKeys = {"rule", "by", "order"};

// The keys of each target type, for hints about a key of another type.
constexpr std::array<TypeKeys, 4> kTargetTypeKeys = {{
    {"postgres", kPostgresKeys},
    {"mysql", kMysqlKeys},
    {"odbc", kOdbcKeys},
    {"jsonl", kJsonlKeys},
}};
// The SQL types come first in both lists: a push target takes only those.
constexpr size_t kSqlTargetTypes = 3;
constexpr std::span<const std::string_view> kSqlTargetTypeNames(kTargetTypeNames.data(),
                                                                kSqlTargetTypes);
constexpr std::span<const TypeKeys> kSqlTargetTypeKeys(kTargetTypeKeys.data(), kSqlTargetTypes);

constexpr std::array<std::string_view, 4> kOnDeleteNames = {"apply", "ignore", "manual", "soft"};
// The forms of on_delete written as a plain word (soft takes a column).
constexpr std::span<const std::string_view> kOnDeleteWords(kOnDeleteNames.data(), 3);

constexpr std::string_view kOnDeleteExpected = "one of apply, ignore, manual or {soft: COLUMN}";
constexpr std::string_view kDefaultRuleKey = "default";
// As MapReader: merge keys can nest; stop there.
constexpr int kMaxMergeDepth = 16;

// The keys of a YAML mapping: its own in file order, then those it merges in
// with "<<" (as MapReader collects them; MapReader says which value each key
// takes and reports duplicate and non-string keys).
void CollectKeys(const YAML::Node& map, int depth, std::vector<std::string>* keys,
                 std::vector<YAML::Node>* merged) {
  std::vector<YAML::Node> merges;
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    if (!key.IsScalar()) continue;
    if (key.Scalar() == "<<" && key.Tag() != "!") {
      merges.push_back(value);
      continue;
    }
    if (std::find(keys->begin(), keys->end(), key.Scalar()) == keys->end()) {
      keys->push_back(key.Scalar());
    }
  }
  if (depth >= kMaxMergeDepth) return;
  for (const YAML::Node& value : merges) {
    std::vector<YAML::Node> sources;
    if (value.IsMap()) {
      sources.push_back(value);
    } else if (value.IsSequence()) {
      for (const YAML::Node& item : value) sources.push_back(item);
    }
    if (!std::all_of(sources.begin(), sources.end(),
                     [](const YAML::Node& n) { return n.IsMap(); })) {
      continue;  // MapReader reports it
    }
    for (const YAML::Node& source : sources) {
      bool seen = std::any_of(merged->begin(), merged->end(),
                              [&](const YAML::Node& done) { return done.is(source); });
      if (seen || source.is(map)) continue;
      merged->push_back(source);
      CollectKeys(source, depth + 1, keys, merged);
    }
  }
}

// Says which other target types take `key`, for an unknown key of a target.
std::string OtherTypesHint(std::string_view key) {
  return OtherTypesHint(key, kTargetTypeKeys, "targets");
}

// ---- subscribe ----

std::vector<std::string> ReadTopics(const ConfigNode& at, const std::string& bridge,
                                    ConfigErrors* errors) {
  std::vector<std::string> topics;
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return topics;
  if (items->empty()) {
    errors->Add(at.mark, at.path, "expected at least one topic prefix, got an empty list");
  }
  std::string expected = bridge.empty()
                             ? std::string("a topic prefix \"BRIDGE.\" or longer, without * or ?")
                             : "a topic prefix starting with \"" + bridge + ".\", without * or ?";
  std::vector<std::pair<std::string, std::string>> seen;  // topic, path
  for (const ConfigNode& item : *items) {
    if (!item.node.IsScalar()) {
      ExpectError(item, expected, errors);
      continue;
    }
    const std::string& topic = item.node.Scalar();
    if (topic.empty() || ContainsSpaceOrControl(topic) || HasGlobChars(topic) ||
        (!bridge.empty() && !topic.starts_with(bridge + "."))) {
      ExpectError(item, expected, errors);
      continue;
    }
    auto it = std::find_if(seen.begin(), seen.end(),
                           [&](const auto& entry) { return entry.first == topic; });
    if (it != seen.end()) {
      errors->Add(item.mark, item.path,
                  "duplicate topic prefix " + QuoteForMessage(topic) + "; first at " + it->second);
      continue;
    }
    seen.emplace_back(topic, item.path);
    topics.push_back(topic);
  }
  return topics;
}

std::optional<ReadSubscription> ReadSubscribeEntry(const ConfigNode& at, TopicsKey topics,
                                                   ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return std::nullopt;
  map.RejectUnknownKeys(kSubscribeKeys);
  ReadSubscription result;
  SubscribeConfig& sub = result.config;
  if (std::optional<ConfigNode> node = map.Require("bridge")) {
    if (auto name = ReadName(*node, errors)) {
      sub.bridge = std::move(*name);
      result.bridge_site = {node->mark, node->path};
    }
  }
  sub.publish = ReadEndpoint(map, "publish", errors).value_or("");
  std::optional<std::string> replay = ReadEndpoint(map, "replay", errors);
  if (replay && !sub.publish.empty() && *replay == sub.publish) {
    ExpectError(*map.Get("replay"), "an endpoint different from publish", errors);
  } else {
    sub.replay = replay.value_or("");
  }
  std::optional<ConfigNode> node =
      topics == TopicsKey::kRequired ? map.Require("topics") : map.Get("topics");
  if (node) {
    result.topics_given = true;
    sub.topics = ReadTopics(*node, sub.bridge, errors);
  }
  return result;
}

// ---- target ----

PostgresTargetConfig ReadPostgresTarget(const MapReader& map, ConfigErrors* errors) {
  map.RejectUnknownKeys(kPostgresKeys, OtherTypesHint);
  PostgresTargetConfig pg;
  if (std::optional<ConfigNode> node = map.Require("dsn")) {
    if (std::optional<std::string> dsn = ReadNonEmptyString(*node, errors)) {
      // The dsn may hold a password: say what is wrong without echoing it.
      if (std::optional<std::string> problem = CheckConninfoSyntax(*dsn)) {
        errors->Add(node->mark, node->path,
                    "expected a libpq conninfo (\"host=... dbname=...\") or a postgresql:// "
                    "URI; " +
                        *problem);
      } else {
        pg.dsn = std::move(*dsn);
      }
    }
  }
  return pg;
}

MysqlTargetConfig ReadMysqlTarget(const MapReader& map, ConfigErrors* errors) {
  map.RejectUnknownKeys(kMysqlKeys, OtherTypesHint);
  MysqlTargetConfig my;
  MysqlLogin login = ReadMysqlLogin(map, errors);
  my.host = std::move(login.host);
  my.port = login.port;
  my.user = std::move(login.user);
  my.password = std::move(login.password);
  my.password_file = std::move(login.password_file);
  if (std::optional<ConfigNode> node = map.Require("database")) {
    if (auto database = ReadNonEmptyString(*node, errors)) my.database = std::move(*database);
  }
  return my;
}

OdbcTargetConfig ReadOdbcTarget(const MapReader& map, ConfigErrors* errors) {
  map.RejectUnknownKeys(kOdbcKeys, OtherTypesHint);
  OdbcTargetConfig odbc;
  if (std::optional<ConfigNode> node = map.Require("dsn")) {
    // Never echoed: an ODBC connection string may hold PWD=.
    if (auto dsn = ReadNonEmptyString(*node, errors)) odbc.dsn = std::move(*dsn);
  }
  return odbc;
}

JsonlTargetConfig ReadJsonlTarget(const MapReader& map, ConfigErrors* errors) {
  map.RejectUnknownKeys(kJsonlKeys, OtherTypesHint);
  JsonlTargetConfig jsonl;
  if (std::optional<ConfigNode> node = map.Require("path")) {
    if (auto path = ReadNonEmptyString(*node, errors)) jsonl.path = std::move(*path);
  }
  return jsonl;
}

// ---- mappings ----

// Some `columns` entry writes target column `name`.
bool IsRenameTarget(const MappingConfig& mapping, std::string_view name) {
  return std::any_of(mapping.columns.begin(), mapping.columns.end(),
                     [&](const auto& entry) { return entry.second == name; });
}

// Why `name` cannot be a target column of `mapping`: "" when it can be. A
// source column renamed to something else, or excluded, is not written under
// its own name (unless another column is renamed to it).
std::string WhyNotATargetColumn(const MappingConfig& mapping, std::string_view name) {
  if (IsRenameTarget(mapping, name)) return "";
  if (auto it = mapping.columns.find(name); it != mapping.columns.end() && it->second != name) {
    return std::string(name) + " is renamed to " + QuoteForMessage(it->second) +
           " by columns; name the target column";
  }
  if (std::find(mapping.exclude.begin(), mapping.exclude.end(), name) != mapping.exclude.end()) {
    return std::string(name) + " is excluded; an excluded column is never written";
  }
  return "";
}

bool IsKeyColumn(const MappingConfig& mapping, std::string_view name) {
  return std::find(mapping.key.begin(), mapping.key.end(), name) != mapping.key.end();
}

void ReadOnDelete(const ConfigNode& at, MappingConfig* mapping, ConfigErrors* errors) {
  if (at.node.IsScalar()) {
    const std::string& word = at.node.Scalar();
    for (size_t i = 0; i < kOnDeleteWords.size(); ++i) {
      if (word == kOnDeleteWords[i]) {
        mapping->on_delete = static_cast<OnDelete>(i);
        return;
      }
    }
    std::string message =
        "expected " + std::string(kOnDeleteExpected) + ", got " + DescribeNode(at.node);
    if (word == "soft") {
      message += "; soft needs the column to set: {soft: COLUMN}";
    } else if (std::string_view suggestion = ClosestMatch(word, kOnDeleteWords);
               !suggestion.empty()) {
      message += "; did you mean \"" + std::string(suggestion) + "\"?";
    }
    errors->Add(at.mark, at.path, message);
    return;
  }
  if (!at.node.IsMap()) {
    ExpectError(at, kOnDeleteExpected, errors);
    return;
  }
  MapReader map(at, errors);
  map.RejectUnknownKeys(kSoftKeys);
  std::optional<ConfigNode> node = map.Require("soft");
  if (!node) return;
  std::optional<std::string> column = ReadNonEmptyString(*node, errors);
  if (!column) return;
  if (IsKeyColumn(*mapping, *column)) {
    errors->Add(node->mark, node->path,
                *column + " is a key column; a soft delete marks the row in another column");
    return;
  }
  mapping->on_delete = OnDelete::kSoft;
  mapping->soft_delete_column = std::move(*column);
}

// `order` of a source_priority rule: a non-empty list of distinct source names.
std::vector<std::string> ReadOrder(const ConfigNode& at, ConfigErrors* errors) {
  std::vector<std::string> order;
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return order;
  if (items->empty()) {
    errors->Add(at.mark, at.path,
                "expected at least one source name, highest priority first, got an empty list");
  }
  std::vector<std::string> paths;
  for (const ConfigNode& item : *items) {
    if (!item.node.IsScalar() || !IsValidName(item.node.Scalar())) {
      ExpectError(item, "a source name matching [a-z0-9_-]+", errors);
      continue;
    }
    const std::string& name = item.node.Scalar();
    auto it = std::find(order.begin(), order.end(), name);
    if (it != order.end()) {
      errors->Add(item.mark, item.path,
                  "duplicate source " + QuoteForMessage(name) + "; first at " +
                      paths[static_cast<size_t>(it - order.begin())]);
      continue;
    }
    order.push_back(name);
    paths.push_back(item.path);
  }
  return order;
}

// One rule: a rule name, or {rule: NAME, by: COLUMN, order: [SOURCE, ...]}.
// A `by` column accepted is added to `sites` when given.
std::optional<Rule> ReadRule(const ConfigNode& at, const MappingConfig& mapping,
                             ConfigErrors* errors, SitedNames* sites) {
  const std::vector<std::string_view>& names = RuleKindNames();
  if (at.node.IsScalar()) {
    std::optional<size_t> index = ReadEnum(at, names, errors);
    if (!index) return std::nullopt;
    Rule rule;
    rule.kind = *ParseRuleKind(names[*index]);
    if (rule.kind == RuleKind::kSourcePriority) {
      errors->Add(at.mark, at.path,
                  "expected {rule: source_priority, order: [SOURCE, ...]}, got "
                  "\"source_priority\"; source_priority needs the sources in order, highest first");
      return std::nullopt;
    }
    return rule;
  }
  if (!at.node.IsMap()) {
    ExpectError(at, "a rule name or a mapping {rule: NAME, ...}", errors);
    return std::nullopt;
  }
  MapReader map(at, errors);
  map.RejectUnknownKeys(kRuleKeys);
  std::optional<ConfigNode> kind_node = map.Require("rule");
  if (!kind_node) return std::nullopt;
  std::optional<size_t> index = ReadEnum(*kind_node, names, errors);
  if (!index) return std::nullopt;
  Rule rule;
  rule.kind = *ParseRuleKind(names[*index]);
  bool ok = true;
  auto only_with = [&](std::string_view key, RuleKind kind) {
    if (rule.kind == kind || !map.Has(key)) return false;
    errors->Add(map.KeyMark(key), ChildPath(at.path, key),
                "only used with rule " + std::string(RuleKindName(kind)) + ", got rule " +
                    std::string(RuleKindName(rule.kind)));
    ok = false;
    return true;
  };
  if (!only_with("by", RuleKind::kLastWriterWins)) {
    if (std::optional<ConfigNode> node = map.Get("by")) {
      if (std::optional<std::string> column = ReadNonEmptyString(*node, errors)) {
        if (std::string why = WhyNotATargetColumn(mapping, *column); !why.empty()) {
          errors->Add(node->mark, node->path, why);
          ok = false;
        } else {
          if (sites != nullptr) sites->emplace_back(*column, ConfigSite{node->mark, node->path});
          rule.by_column = std::move(*column);
        }
      } else {
        ok = false;
      }
    } else if (map.Has("by")) {
      ExpectError(*map.Require("by"), "a timestamp column of the target table", errors);
      ok = false;
    }
  }
  if (!only_with("order", RuleKind::kSourcePriority) && rule.kind == RuleKind::kSourcePriority) {
    size_t before = errors->size();
    if (std::optional<ConfigNode> node = map.Require("order")) {
      rule.order = ReadOrder(*node, errors);
    }
    if (errors->size() != before) ok = false;
  }
  if (!ok) return std::nullopt;
  return rule;
}

// `rules`; each column accepted (and each `by`) is added to `sites` when given.
void ReadRules(const ConfigNode& at, MappingConfig* mapping, ConfigErrors* errors,
               SitedNames* sites) {
  MapReader map(at, errors);
  for (const std::string& column : MapKeys(map)) {
    std::optional<ConfigNode> node = map.Require(column);
    if (!node) continue;
    std::optional<Rule> rule = ReadRule(*node, *mapping, errors, sites);
    if (column == kDefaultRuleKey) {
      if (rule) mapping->default_rule = std::move(*rule);
      continue;
    }
    YAML::Mark key_mark = map.KeyMark(column);
    if (column.empty()) {
      errors->Add(key_mark, at.path, "expected a target column name, got \"\"");
      continue;
    }
    if (IsKeyColumn(*mapping, column)) {
      errors->Add(key_mark, node->path,
                  column +
                      " is a key column; key columns identify the row and are never "
                      "reconciled");
      continue;
    }
    if (std::string why = WhyNotATargetColumn(*mapping, column); !why.empty()) {
      errors->Add(key_mark, node->path, why);
      continue;
    }
    if (sites != nullptr) sites->emplace_back(column, ConfigSite{key_mark, node->path});
    if (rule) mapping->rules.emplace(column, std::move(*rule));
  }
}

}  // namespace

bool IsDottedName(std::string_view text, size_t min_parts, size_t max_parts) {
  if (text.empty() || ContainsSpaceOrControl(text)) return false;
  size_t parts = 1;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      if (i == start) return false;
      if (i < text.size()) ++parts;
      start = i + 1;
    }
  }
  return parts >= min_parts && parts <= max_parts;
}

// Runs the pattern as an automaton over the prefix: any position still alive
// at its end can always be completed (literals as written, '?' by one
// character, '*' by nothing).
bool PatternMayStartWith(std::string_view pattern, std::string_view prefix) {
  const size_t n = pattern.size();
  auto close = [&](std::vector<bool>* live) {
    for (size_t i = 0; i < n; ++i) {
      if ((*live)[i] && pattern[i] == '*') (*live)[i + 1] = true;
    }
  };
  std::vector<bool> live(n + 1, false);
  live[0] = true;
  close(&live);
  for (char c : prefix) {
    std::vector<bool> next(n + 1, false);
    for (size_t i = 0; i < n; ++i) {
      if (!live[i]) continue;
      if (pattern[i] == '*') {
        if (c != '.') next[i] = true;
      } else if (pattern[i] == '?') {
        if (c != '.') next[i + 1] = true;
      } else if (pattern[i] == c) {
        next[i + 1] = true;
      }
    }
    close(&next);
    if (std::none_of(next.begin(), next.end(), [](bool b) { return b; })) return false;
    live = std::move(next);
  }
  return true;
}

std::string JoinStrings(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    if (!text.empty()) text += ", ";
    text += word;
  }
  return text;
}

std::vector<std::string> MapKeys(const MapReader& map) {
  std::vector<std::string> keys;
  if (!map.valid()) return keys;
  std::vector<YAML::Node> merged;
  CollectKeys(map.node().node, 0, &keys, &merged);
  return keys;
}

SitedNames ReadColumns(const ConfigNode& at, bool at_least_one, ConfigErrors* errors) {
  SitedNames columns;
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return columns;
  if (items->empty() && at_least_one) {
    errors->Add(at.mark, at.path, "expected at least one column, got an empty list");
  }
  for (const ConfigNode& item : *items) {
    std::optional<std::string> column = ReadNonEmptyString(item, errors);
    if (!column) continue;
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&](const auto& entry) { return entry.first == *column; });
    if (it != columns.end()) {
      errors->Add(item.mark, item.path,
                  "duplicate column " + QuoteForMessage(*column) + "; first at " + it->second.path);
      continue;
    }
    columns.emplace_back(std::move(*column), ConfigSite{item.mark, item.path});
  }
  return columns;
}

std::vector<std::string> Names(const SitedNames& names) {
  std::vector<std::string> result;
  for (const auto& [name, site] : names) result.push_back(name);
  return result;
}

std::vector<ReadSubscription> ReadSubscribe(const ConfigNode& at, TopicsKey topics,
                                            ConfigErrors* errors) {
  std::vector<ReadSubscription> read;
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return read;
  if (items->empty()) {
    errors->Add(at.mark, at.path,
                "expected at least one bridge to subscribe to, got an empty list");
    return read;
  }
  for (const ConfigNode& item : *items) {
    std::optional<ReadSubscription> sub = ReadSubscribeEntry(item, topics, errors);
    if (!sub) continue;
    const std::string& bridge = sub->config.bridge;
    auto same = std::find_if(read.begin(), read.end(), [&](const ReadSubscription& other) {
      return !bridge.empty() && other.config.bridge == bridge;
    });
    if (same != read.end()) {
      errors->Add(sub->bridge_site.mark, sub->bridge_site.path,
                  "duplicate bridge " + QuoteForMessage(bridge) + "; first subscribed by " +
                      same->bridge_site.path);
      continue;
    }
    read.push_back(std::move(*sub));
  }
  return read;
}

void ReadTarget(const ConfigNode& at, TargetKinds kinds, TargetConfig* target,
                ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return;
  const bool sql_only = kinds == TargetKinds::kSqlOnly;
  std::optional<size_t> type;
  if (std::optional<ConfigNode> node = map.Require("type")) {
    if (sql_only && node->node.IsScalar() &&
        node->node.Scalar() == TargetTypeName(TargetType::kJsonl)) {
      errors->Add(node->mark, node->path,
                  "expected one of postgres, mysql, odbc, got \"jsonl\"; changes are applied "
                  "with their rules to a SQL database, which a jsonl file is not");
    } else {
      type = ReadEnum(*node, sql_only ? kSqlTargetTypeNames : kTargetTypeNames, errors);
    }
  }
  if (!type) {
    // Without a type only keys no target takes can be flagged (and, for a
    // SQL-only target, the keys of the other types, with which type takes them).
    map.RejectUnknownKeys(AnyTypeKeys(sql_only ? kSqlTargetTypeKeys : kTargetTypeKeys),
                          OtherTypesHint);
    return;
  }
  target->type = static_cast<TargetType>(*type);
  switch (target->type) {
    case TargetType::kPostgres:
      target->settings = ReadPostgresTarget(map, errors);
      break;
    case TargetType::kMysql:
      target->settings = ReadMysqlTarget(map, errors);
      break;
    case TargetType::kOdbc:
      target->settings = ReadOdbcTarget(map, errors);
      break;
    case TargetType::kJsonl:
      target->settings = ReadJsonlTarget(map, errors);
      break;
  }
  if (std::optional<ConfigNode> node = map.Get("node")) {
    if (auto n = ReadNodeName(*node, errors)) target->node = std::move(*n);
  }
}

void ReadColumnMap(const ConfigNode& at, const ColumnNouns& nouns, MappingConfig* mapping,
                   ConfigErrors* errors, SitedNames* sources) {
  MapReader map(at, errors);
  std::vector<std::pair<std::string, std::string>> first_from;  // target, path
  for (const std::string& source : MapKeys(map)) {
    std::optional<ConfigNode> node = map.Require(source);
    if (!node) continue;
    if (source.empty()) {
      errors->Add(map.KeyMark(source), at.path,
                  "expected a " + std::string(nouns.source) + " name, got \"\"");
      continue;
    }
    std::optional<std::string> target = ReadNonEmptyString(*node, errors);
    if (!target) continue;
    auto it = std::find_if(first_from.begin(), first_from.end(),
                           [&](const auto& entry) { return entry.first == *target; });
    if (it != first_from.end()) {
      errors->Add(node->mark, node->path,
                  "duplicate " + std::string(nouns.target) + " " + QuoteForMessage(*target) +
                      "; first from " + it->second);
      continue;
    }
    first_from.emplace_back(*target, node->path);
    mapping->columns.emplace(source, std::move(*target));
    if (sources != nullptr)
      sources->emplace_back(source, ConfigSite{map.KeyMark(source), node->path});
  }
}

void ReadExclude(const ConfigNode& at, MappingConfig* mapping, ConfigErrors* errors,
                 SitedNames* sites) {
  for (auto& [column, site] : ReadColumns(at, /*at_least_one=*/false, errors)) {
    if (auto it = mapping->columns.find(column); it != mapping->columns.end()) {
      errors->Add(site.mark, site.path,
                  column + " is also renamed to " + QuoteForMessage(it->second) +
                      " by columns; a column is either renamed or excluded");
      continue;
    }
    if (sites != nullptr) sites->emplace_back(column, site);
    mapping->exclude.push_back(std::move(column));
  }
}

void ReadMappingBody(const MapReader& map, const ColumnNouns& nouns, MappingConfig* mapping,
                     ConfigErrors* errors, MappingColumnSites* sites) {
  if (std::optional<ConfigNode> node = map.Require("to")) {
    if (!node->node.IsScalar() || !IsDottedName(node->node.Scalar(), 1, 2) ||
        HasGlobChars(node->node.Scalar())) {
      ExpectError(*node, "a target table \"schema.table\" or \"table\"", errors);
    } else {
      mapping->to = node->node.Scalar();
    }
  }
  SitedNames key;
  if (std::optional<ConfigNode> node = map.Require("key")) {
    key = ReadColumns(*node, /*at_least_one=*/true, errors);
    mapping->key = Names(key);
  }
  SitedNames* source_sites = sites != nullptr ? &sites->source : nullptr;
  if (std::optional<ConfigNode> node = map.Get("columns")) {
    ReadColumnMap(*node, nouns, mapping, errors, source_sites);
  }
  if (std::optional<ConfigNode> node = map.Get("exclude")) {
    ReadExclude(*node, mapping, errors, source_sites);
  }
  for (const auto& [column, site] : key) {
    if (std::string why = WhyNotATargetColumn(*mapping, column); !why.empty()) {
      errors->Add(site.mark, site.path, why);
    } else if (sites != nullptr) {
      sites->target.emplace_back(column, site);
    }
  }
  if (std::optional<ConfigNode> node = map.Get("on_delete")) {
    ReadOnDelete(*node, mapping, errors);
  }
  if (std::optional<ConfigNode> node = map.Get("rules")) {
    ReadRules(*node, mapping, errors, sites != nullptr ? &sites->target : nullptr);
  }
}

}  // namespace config_parts

}  // namespace deltabridge
