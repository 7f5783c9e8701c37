// SinkConfig: the sink file of contract section 4, loaded and validated.
//
// LoadSinkConfig reads and checks the whole file at once and returns either a
// complete SinkConfig, with every default filled in, or an InvalidArgument
// Status listing every problem found, one per line, each in the form
//
//   sink.yaml:14:7: mappings[0].rules.status: expected one of overwrite, ..., got "latest"
//
// (docs/sink-configuration.md lists every key). Unknown keys are errors, with
// a "did you mean" when a known key is close. Besides each value, the loader
// checks that the parts agree: every mapping's `from` names a subscribed
// bridge and falls under one of its topic prefixes, no two mappings share a
// `from` and a `to`, and no rule names a key column or an excluded column.
// A MySQL target's password_file is read during loading; a password never
// appears in a message. Loading has no other side effect.
//
// Functions are thread-safe; the structs are plain values. The mappings and
// their rules are mappings/mapping.h's MappingConfig: the pure logic that
// reads them (FindMapping, TargetColumn, RuleFor) lives there.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cdc/config/host_port.h"
#include "cdc/core/status.h"
#include "mappings/mapping.h"

namespace deltabridge {

// One bridge the sink follows.
struct SubscribeConfig {
  std::string bridge;   // the bridge's name ([a-z0-9_-]+), first part of its topics
  std::string publish;  // its ZeroMQ PUB endpoint: tcp://HOST:PORT or ipc://PATH
  std::string replay;   // its replay endpoint, same forms, different from publish
  // Topic prefixes this sink applies, each starting with "<bridge>." and
  // without * or ?; at least one, no duplicates. The sink still receives the
  // bridge's whole stream (for gap detection) and drops what no prefix takes.
  std::vector<std::string> topics;
};

enum class TargetType { kPostgres, kMysql, kOdbc, kJsonl };
// "postgres", "mysql", "odbc", "jsonl": as written in the file.
std::string_view TargetTypeName(TargetType type);

struct PostgresTargetConfig {
  std::string dsn;  // libpq conninfo or URI; may hold a password: log RedactConninfo(dsn)
};

struct MysqlTargetConfig {
  std::string host;
  uint16_t port = 3306;
  std::string user;
  // From `password`, or the contents of `password_file` read at load time
  // with trailing line breaks removed; empty when neither is set. Never log it.
  std::string password;
  std::string password_file;  // the path, when the password came from a file
  std::string database;
};

struct OdbcTargetConfig {
  std::string dsn;  // ODBC connection string or "DSN=name"; log RedactOdbcConnectionString(dsn)
};

struct JsonlTargetConfig {
  std::string path;  // the file the sink appends JSON lines to
};

struct TargetConfig {
  TargetType type = TargetType::kPostgres;
  // The target database's node name (docs/two-way.md), when a bridge also
  // captures it; empty: none. With it, the sink tags what it writes (SQL
  // targets) and never applies a delta whose path holds this node.
  std::string node;
  // Holds the alternative matching `type`.
  std::variant<PostgresTargetConfig, MysqlTargetConfig, OdbcTargetConfig, JsonlTargetConfig>
      settings;

  // The settings when `type` matches, else nullptr.
  const PostgresTargetConfig* postgres() const {
    return std::get_if<PostgresTargetConfig>(&settings);
  }
  const MysqlTargetConfig* mysql() const { return std::get_if<MysqlTargetConfig>(&settings); }
  const OdbcTargetConfig* odbc() const { return std::get_if<OdbcTargetConfig>(&settings); }
  const JsonlTargetConfig* jsonl() const { return std::get_if<JsonlTargetConfig>(&settings); }
};

struct SinkConfig {
  std::string name;                 // [a-z0-9_-]+
  std::string state_dir;            // the sink's local state; as written (relative to the cwd)
  std::optional<HostPort> metrics;  // Prometheus text at http://HOST:PORT/metrics
  std::vector<SubscribeConfig> subscribe;  // at least one; bridges unique
  TargetConfig target;
  std::vector<MappingConfig> mappings;  // at least one; in file order (FindMapping's order)
};

// Reads `path` and parses it; messages name `path` as given.
Result<SinkConfig> LoadSinkConfig(const std::string& path);

// Parses the text of a sink file; messages name `path_for_messages`.
// A password_file path is read (relative to the working directory).
Result<SinkConfig> ParseSinkConfig(std::string_view yaml_text,
                                   const std::string& path_for_messages);

// FindMapping (mappings/mapping.h) over the file's mappings.
inline const MappingConfig* FindMapping(const SinkConfig& config, std::string_view topic) {
  return FindMapping(config.mappings, topic);
}

}  // namespace deltabridge
