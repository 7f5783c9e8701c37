// BridgeConfig: the bridge file of contract section 2, loaded and validated.
//
// LoadBridgeConfig reads and checks the whole file at once and returns either a
// complete BridgeConfig, with every default filled in, or an InvalidArgument
// Status listing every problem found, one per line, each in the form
//
//   bridge.yaml:14:7: sources[1].type: expected one of postgres, mysql, odbc, got "pgsql"
//
// (docs/configuration.md lists every key). Unknown keys are errors. A MySQL
// password_file is read during loading; a password never appears in a
// message. Loading has no other side effect: state_dir is not created here.
//
// Functions are thread-safe; the structs are plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cdc/config/host_port.h"
#include "cdc/core/status.h"

namespace deltabridge {

enum class SourceType { kPostgres, kMysql, kOdbc };
// "postgres", "mysql", "odbc": as written in the file.
std::string_view SourceTypeName(SourceType type);

enum class SnapshotMode {
  kInitial,  // read every captured table once before streaming (the default)
  kNever,    // stream changes only
};
std::string_view SnapshotModeName(SnapshotMode mode);

// How an ODBC table is polled.
enum class PollMode {
  kDiff,                   // read the whole table each poll and compare with the last read
  kTimestamp,              // rows whose timestamp_column is newer than the last seen
  kIncrementing,           // rows whose incrementing_column is above the last seen
  kTimestampIncrementing,  // both: (timestamp, incrementing) newer than the last seen
};
// "diff", "timestamp", "incrementing", "timestamp+incrementing".
std::string_view PollModeName(PollMode mode);
bool PollModeUsesTimestamp(PollMode mode);
bool PollModeUsesIncrementing(PollMode mode);

struct RetentionConfig {
  std::optional<uint64_t> max_bytes;                 // journal size to keep, bytes
  std::optional<std::chrono::microseconds> max_age;  // journal age to keep
};

struct PostgresSourceConfig {
  std::string dsn;          // libpq conninfo or URI; may hold a password: log RedactConninfo(dsn)
  std::string slot;         // [a-z0-9_]{1,63}; default deltabridge_<bridge>_<source>, '-' -> '_'
  std::string publication;  // same rule and default as slot
  std::vector<std::string> tables;           // "schema.table" patterns (glob.h); at least one
  std::vector<std::string> exclude_columns;  // "schema.table.column", exact (no wildcards)
  SnapshotMode snapshot = SnapshotMode::kInitial;
};

struct MysqlSourceConfig {
  std::string host;
  uint16_t port = 3306;
  std::string user;
  // The password: from `password`, or the contents of `password_file` read at
  // load time with trailing line breaks removed; empty when neither is set.
  // Never log it.
  std::string password;
  std::string password_file;                 // the path, when the password came from a file
  uint32_t server_id = 0;                    // 1..2^32-1, unique among the server's replicas
  std::vector<std::string> tables;           // "database.table" patterns; at least one
  std::vector<std::string> exclude_columns;  // "database.table.column", exact (no wildcards)
  SnapshotMode snapshot = SnapshotMode::kInitial;
};

struct OdbcTableConfig {
  std::string name;              // as the database spells it; also the topic's table part
  std::vector<std::string> key;  // at least one column; identifies a row
  PollMode mode = PollMode::kDiff;
  std::string timestamp_column;     // set exactly when PollModeUsesTimestamp(mode)
  std::string incrementing_column;  // set exactly when PollModeUsesIncrementing(mode)
  // Timestamp modes: how far before the newest timestamp seen each poll reads
  // again (clock skew, late commits); nullopt: the source's default, 30 s.
  std::optional<std::chrono::microseconds> lookback;
};

struct OdbcSourceConfig {
  std::string dsn;  // ODBC connection string or "DSN=name"; log RedactOdbcConnectionString(dsn)
  std::chrono::microseconds poll_interval = std::chrono::seconds(5);
  // A poll's query that runs longer is cancelled (SQL_ATTR_QUERY_TIMEOUT),
  // logged and retried; nullopt: the default, 5 minutes.
  std::optional<std::chrono::microseconds> query_timeout;
  std::vector<OdbcTableConfig> tables;  // at least one; names unique
};

struct SourceConfig {
  std::string name;  // [a-z0-9_-]+, unique in the bridge; second part of every topic
  SourceType type = SourceType::kPostgres;
  // The captured database's node name (docs/two-way.md): `node:`, default
  // <bridge>.<source>; unique in the bridge. Always set once loaded.
  std::string node;
  // Publish changes that sinks wrote into this database (tagged with an
  // origin) instead of dropping them: for a hub between other nodes.
  // postgres and mysql only; default false.
  bool forward = false;
  // Holds the alternative matching `type`.
  std::variant<PostgresSourceConfig, MysqlSourceConfig, OdbcSourceConfig> settings;

  // The settings when `type` matches, else nullptr.
  const PostgresSourceConfig* postgres() const {
    return std::get_if<PostgresSourceConfig>(&settings);
  }
  const MysqlSourceConfig* mysql() const { return std::get_if<MysqlSourceConfig>(&settings); }
  const OdbcSourceConfig* odbc() const { return std::get_if<OdbcSourceConfig>(&settings); }
};

struct BridgeConfig {
  std::string name;       // [a-z0-9_-]+; first part of every topic
  std::string state_dir;  // journal, positions, poll state; as written (relative to the cwd)
  std::string publish;    // ZeroMQ PUB endpoint: tcp://HOST:PORT or ipc://PATH
  std::string replay;     // ZeroMQ replay endpoint, same forms, different from publish
  std::optional<HostPort> metrics;           // Prometheus text at http://HOST:PORT/metrics
  std::optional<RetentionConfig> retention;  // at least one limit when present
  std::vector<SourceConfig> sources;         // at least one; names unique
};

// Reads `path` and parses it; messages name `path` as given.
Result<BridgeConfig> LoadBridgeConfig(const std::string& path);

// Parses the text of a bridge file; messages name `path_for_messages`.
// password_file paths are read (relative to the working directory).
Result<BridgeConfig> ParseBridgeConfig(std::string_view yaml_text,
                                       const std::string& path_for_messages);

// Validation rules of the bridge file (the rules both files share are in
// common_keys.h).
// [a-z0-9_]{1,63}: replication slot and publication names.
bool IsValidSlotName(std::string_view name);
// deltabridge_<bridge>_<source> with '-' mapped to '_' (may exceed 63 characters).
std::string DefaultSlotName(std::string_view bridge, std::string_view source);

}  // namespace deltabridge
