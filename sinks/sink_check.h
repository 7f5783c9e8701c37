// `deltabridge check SINK.yaml`: connects to the target and the bridges and
// checks every prerequisite of the sink file, one report line each (ok, FAIL
// with the fix, or note).
#pragma once

#include <string>

#include "cdc/core/check_report.h"
#include "sinks/sink_config.h"

namespace deltabridge {

// Appends the checks of `config`, loaded from `path` (for file:line:column
// in messages), to `report`.
void CheckSink(const SinkConfig& config, const std::string& path, CheckReport* report);

// "path:line:col" of the YAML node at `dotted` ("mappings[0].rules.seats",
// as the loader and the target checks name keys): the deepest node found on
// the way; just `path` when the file does not parse.
std::string LocateConfigKey(const std::string& path, std::string_view dotted);

}  // namespace deltabridge
