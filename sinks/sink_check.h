// `deltabridge check SINK.yaml`: connects to the target and the bridges and
// checks every prerequisite of the sink file, one report line each (ok, FAIL
// with the fix, or note). Its parts are also the gateway's checks
// (gateway/gateway_check.h): the bridges it follows, its state directory and
// each entity's push target.
//
// Functions borrow their arguments for the call; they are thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/check_report.h"
#include "sinks/sink_config.h"
#include "sinks/sql/origin_tagger.h"

namespace deltabridge {

// Appends the checks of `config`, loaded from `path` (for file:line:column
// in messages), to `report`.
void CheckSink(const SinkConfig& config, const std::string& path, CheckReport* report);

// Each bridge of `subscribe` answers with its heartbeat (`subscribe[i]` of
// the file at `path`). One line per bridge.
void CheckSubscribedBridges(const std::vector<SubscribeConfig>& subscribe, const std::string& path,
                            CheckReport* report);

// `state_dir` is a directory `program` ("sink", "gateway") may write, or
// can be created; `key` is its key in the file ("sink.state_dir"). One line.
void CheckStateDir(const std::string& state_dir, std::string_view key, std::string_view program,
                   CheckReport* report);

// How CheckSqlTarget names what it checks: a sink's target and mappings (the
// defaults), or a gateway entity's push target and its one mapping.
struct SqlTargetCheckNames {
  TargetCheckNames target;             // the lines' subject, the writer
  std::string target_key = "target";   // the target's key in the file
  std::string file = "the sink file";  // where a column name is corrected
  // The key of mapping i in the file; default "mappings[i]". Problems with a
  // mapping are named by it, and located in the file at it.
  std::function<std::string(size_t)> mapping_key;
};

// Connects to `config.target` (a SQL target) and checks its state tables,
// its origin tag table when the target has a node, and each mapping's table,
// key, columns and rules.
void CheckSqlTarget(const SinkConfig& config, const std::string& path,
                    const SqlTargetCheckNames& names, CheckReport* report);

// "path:line:col" of the YAML node at `dotted` ("mappings[0].rules.seats",
// as the loader and the target checks name keys): the deepest node found on
// the way; just `path` when the file does not parse.
std::string LocateConfigKey(const std::string& path, std::string_view dotted);

}  // namespace deltabridge
