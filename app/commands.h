// The subcommands of the deltabridge binary (contract section 1). Each
// returns the process exit code: 0 success, 1 runtime failure, 2 usage or
// configuration error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deltabridge {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int RunCommand(const std::string& bridge_file, const std::vector<std::string>& resnapshot);

struct TailArgs {
  std::string endpoint;
  std::vector<std::string> topics;
  std::string replay;
  std::optional<uint64_t> from;
  std::optional<uint64_t> count;
};
int TailCommand(const TailArgs& args);

int CheckCommand(const std::string& file);

// `deltabridge binlog FILE... [--table PATTERN]...`
struct BinlogArgs {
  std::vector<std::string> files;
  std::vector<std::string> tables;  // database.table globs; all tables when empty
};
int BinlogCommand(const BinlogArgs& args);

// `deltabridge sink SINK.yaml`
int SinkCommand(const std::string& sink_file);
// `deltabridge status SINK.yaml`
int SinkStatusCommand(const std::string& sink_file);
// SIGHUP support: a file's text, and the log lines of a reload: `applied`
// (what the process took from the new file; "" for nothing), then the keys
// changed since `started_text` outside `reloadable`, as needing a restart.
std::string ReadConfigText(const std::string& file);
void LogReload(const std::string& file, const std::string& started_text,
               const std::vector<std::string>& reloadable, const std::string& applied,
               const std::string& restart_hint);

// `deltabridge status BRIDGE.yaml`
int BridgeStatusCommand(const std::string& bridge_file);
// `deltabridge conflicts SINK.yaml [list [--all] | resolve ID --take incoming|current]`
int ConflictsCommand(const std::string& sink_file, const std::string& action, int64_t id,
                     const std::string& take, bool all);

// `deltabridge push SINK.yaml --mapping TARGET_TABLE [--from TOPIC] [--node NODE]`
struct PushArgs {
  std::string sink_file;
  std::string mapping;  // the `to` of the mapping the lines go through
  std::string from;     // its `from`, when several mappings have that `to`
  std::string node;     // the pushing node; empty: push.<sink name>
};
int PushCommand(const PushArgs& args);

// `deltabridge token GATEWAY.yaml NAME [--read ENTITY]... [--push ENTITY]...
// [--filter TEXT] [--max-connections N] [--requests-per-minute N]`, or
// `--list`, or `--revoke NAME`: exactly one of name, list and revoke is set.
struct TokenArgs {
  std::string gateway_file;
  std::string name;               // adds this token
  std::vector<std::string> read;  // entity names, or "*"
  std::vector<std::string> push;
  std::optional<std::string> filter;
  std::optional<size_t> max_connections;
  std::optional<uint32_t> requests_per_minute;
  bool list = false;
  std::string revoke;  // removes this token
};
int TokenCommand(const TokenArgs& args);

// `deltabridge gateway GATEWAY.yaml`
int GatewayCommand(const std::string& gateway_file);
// `deltabridge status GATEWAY.yaml`
int GatewayStatusCommand(const std::string& gateway_file);

}  // namespace deltabridge
