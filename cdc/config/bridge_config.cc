#include "cdc/config/bridge_config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <span>
#include <utility>

#include "cdc/config/common_keys.h"
#include "cdc/config/conninfo.h"
#include "cdc/config/message_text.h"
#include "cdc/config/yaml_reader.h"
#include "cdc/core/glob.h"

namespace deltabridge {

namespace {

constexpr size_t kMaxSlotNameLength = 63;  // PostgreSQL NAMEDATALEN - 1

constexpr std::array<std::string_view, 2> kTopKeys = {"bridge", "sources"};
constexpr std::array<std::string_view, 6> kBridgeKeys = {"name",   "state_dir", "publish",
                                                         "replay", "metrics",   "retention"};
constexpr std::array<std::string_view, 2> kRetentionKeys = {"max_bytes", "max_age"};
constexpr std::array<std::string_view, 10> kPostgresKeys = {
    "name",     "type", "dsn",    "slot", "publication", "tables", "exclude_columns",
    "snapshot", "node", "forward"};
constexpr std::array<std::string_view, 13> kMysqlKeys = {
    "name",     "type",          "host",      "port",   "user",
    "password", "password_file", "server_id", "tables", "exclude_columns",
    "snapshot", "node",          "forward"};
constexpr std::array<std::string_view, 7> kOdbcKeys = {
    "name", "type", "dsn", "poll_interval", "query_timeout", "tables", "node"};
constexpr std::array<std::string_view, 6> kOdbcTableKeys = {
    "name", "key", "mode", "timestamp_column", "incrementing_column", "lookback"};

constexpr std::array<std::string_view, 3> kSourceTypeNames = {"postgres", "mysql", "odbc"};
constexpr std::array<std::string_view, 2> kSnapshotNames = {"initial", "never"};
constexpr std::array<std::string_view, 4> kPollModeNames = {"diff", "timestamp", "incrementing",
                                                            "timestamp+incrementing"};

// The keys of each source type, for hints about a key of another type.
constexpr std::array<TypeKeys, 3> kSourceTypeKeys = {{
    {"postgres", kPostgresKeys},
    {"mysql", kMysqlKeys},
    {"odbc", kOdbcKeys},
}};

// Says which other source types take `key`, for an unknown key of a source.
std::string OtherTypesHint(std::string_view key) {
  return OtherTypesHint(key, kSourceTypeKeys, "sources");
}

// A required `name` ([a-z0-9_-]+) of `map`; `site` gets where it was found.
std::optional<std::string> ReadRequiredName(const MapReader& map, ConfigErrors* errors,
                                            ConfigSite* site = nullptr) {
  std::optional<ConfigNode> node = map.Require("name");
  if (!node) return std::nullopt;
  std::optional<std::string> name = ReadName(*node, errors);
  if (name && site != nullptr) *site = {node->mark, node->path};
  return name;
}

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// "a.b" has 2 parts; every part non-empty and without spaces.
bool IsDottedPattern(std::string_view text, size_t parts) {
  if (text.empty() || ContainsSpaceOrControl(text)) return false;
  size_t count = 1;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      if (i == start) return false;
      if (i < text.size()) ++count;
      start = i + 1;
    }
  }
  return count == parts;
}

// A non-empty list of dotted patterns with `parts` parts, without duplicates.
// What a list of dotted names holds.
enum class NameList {
  kTables,   // at least one; '*' and '?' allowed
  kColumns,  // may be empty; no wildcards (the sources look columns up by exact name)
};

std::vector<std::string> ReadPatterns(const ConfigNode& at, size_t parts, std::string_view shape,
                                      NameList kind, ConfigErrors* errors) {
  std::vector<std::string> patterns;
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return patterns;
  if (items->empty() && kind == NameList::kTables) {
    errors->Add(at.mark, at.path,
                "expected at least one pattern \"" + std::string(shape) + "\", got an empty list");
  }
  std::vector<std::pair<std::string, std::string>> seen;  // pattern, path
  for (const ConfigNode& item : *items) {
    if (!item.node.IsScalar() || !IsDottedPattern(item.node.Scalar(), parts)) {
      ExpectError(item, "a pattern \"" + std::string(shape) + "\"", errors);
      continue;
    }
    if (kind == NameList::kColumns && HasGlobChars(item.node.Scalar())) {
      ExpectError(item, "a column \"" + std::string(shape) + "\" without * or ?", errors);
      continue;
    }
    const std::string& pattern = item.node.Scalar();
    auto it = std::find_if(seen.begin(), seen.end(),
                           [&](const auto& entry) { return entry.first == pattern; });
    if (it != seen.end()) {
      errors->Add(item.mark, item.path,
                  "duplicate pattern " + QuoteForMessage(pattern) + "; first at " + it->second);
      continue;
    }
    seen.emplace_back(pattern, item.path);
    patterns.push_back(pattern);
  }
  return patterns;
}

SnapshotMode ReadSnapshot(const MapReader& map, ConfigErrors* errors) {
  if (std::optional<ConfigNode> node = map.Get("snapshot")) {
    if (std::optional<size_t> index = ReadEnum(*node, kSnapshotNames, errors)) {
      return *index == 0 ? SnapshotMode::kInitial : SnapshotMode::kNever;
    }
  }
  return SnapshotMode::kInitial;
}

// A slot or publication name: explicit and checked, or the default when both
// the bridge and the source name are valid (else "" and no further error).
std::string ReadSlotName(const MapReader& map, std::string_view key, std::string_view what,
                         const std::string& bridge_name, const std::string& source_name,
                         ConfigErrors* errors) {
  if (std::optional<ConfigNode> node = map.Get(key)) {
    if (!node->node.IsScalar() || !IsValidSlotName(node->node.Scalar())) {
      ExpectError(*node, std::string(what) + " matching [a-z0-9_]{1,63}", errors);
      return "";
    }
    return node->node.Scalar();
  }
  if (bridge_name.empty() || source_name.empty()) return "";
  std::string name = DefaultSlotName(bridge_name, source_name);
  if (name.size() > kMaxSlotNameLength) {
    errors->Add(map.node().mark, ChildPath(map.node().path, key),
                "the default " + QuoteForMessage(name) + " is longer than " +
                    std::to_string(kMaxSlotNameLength) + " characters; set " + std::string(key) +
                    " explicitly");
    return "";
  }
  return name;
}

PostgresSourceConfig ReadPostgres(const MapReader& map, const std::string& bridge_name,
                                  const std::string& source_name, ConfigErrors* errors) {
  map.RejectUnknownKeys(kPostgresKeys, OtherTypesHint);
  PostgresSourceConfig pg;
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
  pg.slot = ReadSlotName(map, "slot", "a slot name", bridge_name, source_name, errors);
  pg.publication =
      ReadSlotName(map, "publication", "a publication name", bridge_name, source_name, errors);
  if (std::optional<ConfigNode> node = map.Require("tables")) {
    pg.tables = ReadPatterns(*node, 2, "schema.table", NameList::kTables, errors);
  }
  if (std::optional<ConfigNode> node = map.Get("exclude_columns")) {
    pg.exclude_columns = ReadPatterns(*node, 3, "schema.table.column", NameList::kColumns, errors);
  }
  pg.snapshot = ReadSnapshot(map, errors);
  return pg;
}

MysqlSourceConfig ReadMysql(const MapReader& map, ConfigErrors* errors,
                            ConfigSite* server_id_site) {
  map.RejectUnknownKeys(kMysqlKeys, OtherTypesHint);
  MysqlSourceConfig my;
  MysqlLogin login = ReadMysqlLogin(map, errors);
  my.host = std::move(login.host);
  my.port = login.port;
  my.user = std::move(login.user);
  my.password = std::move(login.password);
  my.password_file = std::move(login.password_file);
  if (std::optional<ConfigNode> node = map.Require("server_id")) {
    if (auto id = ReadUnsigned(*node, 1, 4294967295u, "a server id", errors)) {
      my.server_id = static_cast<uint32_t>(*id);
      *server_id_site = {node->mark, node->path};
    }
  }
  if (std::optional<ConfigNode> node = map.Require("tables")) {
    my.tables = ReadPatterns(*node, 2, "database.table", NameList::kTables, errors);
  }
  if (std::optional<ConfigNode> node = map.Get("exclude_columns")) {
    my.exclude_columns =
        ReadPatterns(*node, 3, "database.table.column", NameList::kColumns, errors);
  }
  my.snapshot = ReadSnapshot(map, errors);
  return my;
}

// A non-empty list of distinct, non-empty column names.
std::vector<std::string> ReadColumnList(const ConfigNode& at, ConfigErrors* errors) {
  std::vector<std::string> columns;
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return columns;
  if (items->empty()) {
    errors->Add(at.mark, at.path, "expected at least one column, got an empty list");
  }
  for (const ConfigNode& item : *items) {
    std::optional<std::string> column = ReadNonEmptyString(item, errors);
    if (!column) continue;
    if (std::find(columns.begin(), columns.end(), *column) != columns.end()) {
      errors->Add(item.mark, item.path, "duplicate column " + QuoteForMessage(*column));
      continue;
    }
    columns.push_back(std::move(*column));
  }
  return columns;
}

OdbcTableConfig ReadOdbcTable(const ConfigNode& at, ConfigErrors* errors, ConfigSite* name_site) {
  OdbcTableConfig table;
  MapReader map(at, errors);
  if (!map.valid()) return table;
  map.RejectUnknownKeys(kOdbcTableKeys);
  if (std::optional<ConfigNode> node = map.Require("name")) {
    if (auto name = ReadNonEmptyString(*node, errors)) {
      table.name = std::move(*name);
      *name_site = {node->mark, node->path};
    }
  }
  if (std::optional<ConfigNode> node = map.Require("key")) {
    table.key = ReadColumnList(*node, errors);
  }
  std::optional<ConfigNode> mode_node = map.Require("mode");
  std::optional<size_t> mode;
  if (mode_node) mode = ReadEnum(*mode_node, kPollModeNames, errors);
  if (!mode) return table;  // the column keys depend on the mode
  table.mode = static_cast<PollMode>(*mode);
  auto read_column = [&](std::string_view key, bool used, std::string_view modes,
                         std::string* out) {
    if (used) {
      if (std::optional<ConfigNode> node = map.Require(key)) {
        if (auto column = ReadNonEmptyString(*node, errors)) *out = std::move(*column);
      }
    } else if (map.Has(key)) {
      errors->Add(map.KeyMark(key), ChildPath(at.path, key),
                  "only used with mode " + std::string(modes) + ", got mode " +
                      std::string(PollModeName(table.mode)));
    }
  };
  read_column("timestamp_column", PollModeUsesTimestamp(table.mode),
              "timestamp or timestamp+incrementing", &table.timestamp_column);
  read_column("incrementing_column", PollModeUsesIncrementing(table.mode),
              "incrementing or timestamp+incrementing", &table.incrementing_column);
  if (std::optional<ConfigNode> node = map.Get("lookback")) {
    if (!PollModeUsesTimestamp(table.mode)) {
      errors->Add(map.KeyMark("lookback"), ChildPath(at.path, "lookback"),
                  "only used with mode timestamp or timestamp+incrementing, got mode " +
                      std::string(PollModeName(table.mode)));
    } else if (auto lookback = ReadDuration(*node, errors)) {
      table.lookback = *lookback;
    }
  }
  return table;
}

OdbcSourceConfig ReadOdbc(const MapReader& map, ConfigErrors* errors) {
  map.RejectUnknownKeys(kOdbcKeys, OtherTypesHint);
  OdbcSourceConfig odbc;
  if (std::optional<ConfigNode> node = map.Require("dsn")) {
    // Never echoed: an ODBC connection string may hold PWD=.
    if (auto dsn = ReadNonEmptyString(*node, errors)) odbc.dsn = std::move(*dsn);
  }
  if (std::optional<ConfigNode> node = map.Get("poll_interval")) {
    if (auto interval = ReadDuration(*node, errors)) {
      if (interval->count() <= 0) {
        ExpectError(*node, "a duration above 0", errors);
      } else {
        odbc.poll_interval = *interval;
      }
    }
  }
  if (std::optional<ConfigNode> node = map.Get("query_timeout")) {
    if (auto timeout = ReadDuration(*node, errors)) {
      if (timeout->count() < 1000000) {
        ExpectError(*node, "a duration of at least 1s", errors);
      } else {
        odbc.query_timeout = *timeout;
      }
    }
  }
  std::optional<ConfigNode> tables_node = map.Require("tables");
  if (!tables_node) return odbc;
  std::optional<std::vector<ConfigNode>> items = ReadList(*tables_node, errors);
  if (!items) return odbc;
  if (items->empty()) {
    errors->Add(tables_node->mark, tables_node->path,
                "expected at least one table, got an empty list");
  }
  std::vector<std::pair<std::string, std::string>> seen;  // name, path
  for (const ConfigNode& item : *items) {
    ConfigSite name_site;
    OdbcTableConfig table = ReadOdbcTable(item, errors, &name_site);
    if (table.name.empty()) continue;
    auto it = std::find_if(seen.begin(), seen.end(),
                           [&](const auto& entry) { return entry.first == table.name; });
    if (it != seen.end()) {
      errors->Add(name_site.mark, name_site.path,
                  "duplicate table " + QuoteForMessage(table.name) + "; first at " + it->second);
      continue;
    }
    seen.emplace_back(table.name, item.path);
    odbc.tables.push_back(std::move(table));
  }
  return odbc;
}

// A source as read, with where its name and server_id were found.
struct ReadSourceResult {
  SourceConfig config;
  ConfigSite name_site;
  ConfigSite node_site;  // where `node:` is, or the name's site for the default
  ConfigSite server_id_site;
};

// One entry of `sources`; nullopt when it is too broken to continue with.
std::optional<ReadSourceResult> ReadSource(const ConfigNode& at, const std::string& bridge_name,
                                           ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return std::nullopt;
  ReadSourceResult result;
  SourceConfig& source = result.config;
  std::optional<std::string> name = ReadRequiredName(map, errors, &result.name_site);
  std::optional<size_t> type;
  if (std::optional<ConfigNode> node = map.Require("type")) {
    type = ReadEnum(*node, kSourceTypeNames, errors);
  }
  if (!type) {
    // Without a type only keys no source takes can be flagged.
    map.RejectUnknownKeys(AnyTypeKeys(kSourceTypeKeys));
    return std::nullopt;
  }
  source.name = name.value_or("");
  source.type = static_cast<SourceType>(*type);
  switch (source.type) {
    case SourceType::kPostgres:
      source.settings = ReadPostgres(map, bridge_name, source.name, errors);
      break;
    case SourceType::kMysql:
      source.settings = ReadMysql(map, errors, &result.server_id_site);
      break;
    case SourceType::kOdbc:
      source.settings = ReadOdbc(map, errors);
      break;
  }
  result.node_site = result.name_site;
  if (std::optional<ConfigNode> node = map.Get("node")) {
    if (auto n = ReadNodeName(*node, errors)) source.node = std::move(*n);
    result.node_site = {node->mark, node->path};
  } else if (!bridge_name.empty() && !source.name.empty()) {
    source.node = bridge_name + "." + source.name;
  }
  if (std::optional<ConfigNode> forward =
          source.type == SourceType::kOdbc ? std::nullopt : map.Get("forward")) {
    if (auto f = ReadBool(*forward, errors)) source.forward = *f;
  }
  return result;
}

void ReadBridgeSection(const ConfigNode& at, BridgeConfig* config, ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return;
  map.RejectUnknownKeys(kBridgeKeys);
  config->name = ReadRequiredName(map, errors).value_or("");
  if (std::optional<ConfigNode> node = map.Require("state_dir")) {
    if (auto dir = ReadNonEmptyString(*node, errors)) config->state_dir = std::move(*dir);
  }
  config->publish = ReadEndpoint(map, "publish", errors).value_or("");
  std::optional<std::string> replay = ReadEndpoint(map, "replay", errors);
  if (replay && !config->publish.empty() && *replay == config->publish) {
    ExpectError(*map.Get("replay"), "an endpoint different from publish", errors);
  } else {
    config->replay = replay.value_or("");
  }
  if (std::optional<ConfigNode> node = map.Get("metrics")) {
    std::optional<HostPort> address;
    if (node->node.IsScalar()) address = ParseHostPort(node->node.Scalar());
    if (!address) {
      ExpectError(*node, "HOST:PORT with a port 1..65535", errors);
    } else {
      config->metrics = std::move(*address);
    }
  }
  if (std::optional<ConfigNode> node = map.Get("retention")) {
    MapReader retention_map(*node, errors);
    if (retention_map.valid()) {
      retention_map.RejectUnknownKeys(kRetentionKeys);
      RetentionConfig retention;
      if (std::optional<ConfigNode> bytes = retention_map.Get("max_bytes")) {
        if (auto size = ReadSize(*bytes, errors)) {
          if (*size == 0) {
            ExpectError(*bytes, "a size above 0", errors);
          } else {
            retention.max_bytes = *size;
          }
        }
      }
      if (std::optional<ConfigNode> age = retention_map.Get("max_age")) {
        if (auto duration = ReadDuration(*age, errors)) {
          if (duration->count() <= 0) {
            ExpectError(*age, "a duration above 0", errors);
          } else {
            retention.max_age = *duration;
          }
        }
      }
      if (!retention_map.Has("max_bytes") && !retention_map.Has("max_age")) {
        errors->Add(node->mark, node->path, "expected at least one of max_bytes, max_age");
      }
      config->retention = retention;
    }
  }
}

void ReadSources(const ConfigNode& at, const std::string& bridge_name,
                 std::vector<SourceConfig>* sources, ConfigErrors* errors) {
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return;
  if (items->empty()) {
    errors->Add(at.mark, at.path, "expected at least one source, got an empty list");
    return;
  }
  std::vector<ReadSourceResult> read;
  for (const ConfigNode& item : *items) {
    std::optional<ReadSourceResult> source = ReadSource(item, bridge_name, errors);
    if (!source) continue;
    const std::string& name = source->config.name;
    auto same_name = std::find_if(read.begin(), read.end(), [&](const ReadSourceResult& other) {
      return !name.empty() && other.config.name == name;
    });
    if (same_name != read.end()) {
      errors->Add(source->name_site.mark, source->name_site.path,
                  "duplicate source name " + QuoteForMessage(name) + "; first used by " +
                      same_name->name_site.path);
      continue;
    }
    const std::string& node = source->config.node;
    auto same_node = std::find_if(read.begin(), read.end(), [&](const ReadSourceResult& other) {
      return !node.empty() && other.config.node == node;
    });
    if (same_node != read.end()) {
      errors->Add(source->node_site.mark, source->node_site.path,
                  "expected a node name no other source has, got " + QuoteForMessage(node) +
                      " as " + same_node->node_site.path +
                      " has (a node is one database; two sources of one bridge cannot be the "
                      "same node)");
    }
    // Two sources reading one MySQL server under one server_id would take
    // turns being disconnected by it.
    if (const MysqlSourceConfig* my = source->config.mysql(); my != nullptr && my->server_id != 0) {
      auto same_id = std::find_if(read.begin(), read.end(), [&](const ReadSourceResult& other) {
        const MysqlSourceConfig* them = other.config.mysql();
        return them != nullptr && them->server_id == my->server_id && them->host == my->host &&
               them->port == my->port;
      });
      if (same_id != read.end()) {
        errors->Add(source->server_id_site.mark, source->server_id_site.path,
                    "expected a server_id not used by another source reading " + my->host + ":" +
                        std::to_string(my->port) + ", got " + std::to_string(my->server_id) +
                        " as " + same_id->server_id_site.path + " has");
      }
    }
    read.push_back(std::move(*source));
  }
  for (ReadSourceResult& source : read) sources->push_back(std::move(source.config));
}

}  // namespace

std::string_view SourceTypeName(SourceType type) {
  return kSourceTypeNames[static_cast<size_t>(type)];
}

std::string_view SnapshotModeName(SnapshotMode mode) {
  return kSnapshotNames[static_cast<size_t>(mode)];
}

std::string_view PollModeName(PollMode mode) { return kPollModeNames[static_cast<size_t>(mode)]; }

bool PollModeUsesTimestamp(PollMode mode) {
  return mode == PollMode::kTimestamp || mode == PollMode::kTimestampIncrementing;
}

bool PollModeUsesIncrementing(PollMode mode) {
  return mode == PollMode::kIncrementing || mode == PollMode::kTimestampIncrementing;
}

bool IsValidSlotName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxSlotNameLength &&
         std::all_of(name.begin(), name.end(), IsNameChar);
}

std::string DefaultSlotName(std::string_view bridge, std::string_view source) {
  std::string name = "deltabridge_" + std::string(bridge) + "_" + std::string(source);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

Result<BridgeConfig> ParseBridgeConfig(std::string_view yaml_text,
                                       const std::string& path_for_messages) {
  static constexpr ConfigFileKind kBridgeFile = {
      "a mapping with keys bridge and sources", "bridge", "sink",
      "this is a sink file (deltabridge sink); a bridge file has top-level keys bridge and "
      "sources",
      kTopKeys};
  BridgeConfig config;
  DB_RETURN_IF_ERROR(ParseConfigText(
      yaml_text, path_for_messages, kBridgeFile, [&](const MapReader& top, ConfigErrors* errors) {
        if (std::optional<ConfigNode> bridge = top.Require("bridge")) {
          ReadBridgeSection(*bridge, &config, errors);
        }
        if (std::optional<ConfigNode> sources = top.Require("sources")) {
          ReadSources(*sources, config.name, &config.sources, errors);
        }
      }));
  return config;
}

Result<BridgeConfig> LoadBridgeConfig(const std::string& path) {
  DB_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseBridgeConfig(text, path);
}

}  // namespace deltabridge
