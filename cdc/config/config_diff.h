// What differs between two versions of a configuration file, for SIGHUP:
// the bridge and the sink reload what can change while they run and name
// every other change as needing a restart.
#pragma once

#include <string>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

// The keys whose values differ between two YAML texts, as dotted paths: each
// key of the top-level sections (`bridge.publish`, `sink.state_dir`) and each
// other top-level key as a whole (`sources`, `mappings`). Values are compared
// as YAML, so formatting, comments and key order do not count. InvalidArgument
// when either text is not YAML.
Result<std::vector<std::string>> ChangedConfigKeys(const std::string& old_text,
                                                   const std::string& new_text);

}  // namespace deltabridge
