// DetectConfigKind: whether a YAML file is a bridge file (top-level `bridge:`,
// contract section 2) or a sink file (top-level `sink:`, section 4), so that
// `deltabridge check` and `status` can take either.
//
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge {

enum class ConfigKind { kBridge, kSink };
// "bridge", "sink".
std::string_view ConfigKindName(ConfigKind kind);

// Reads `path` and looks only at its top-level keys; the rest of the file is
// checked by the loader for its kind. InvalidArgument, in the form of
// bridge_config.h, when the file cannot be read, is not YAML, or has neither
// or both of the keys.
Result<ConfigKind> DetectConfigKind(const std::string& path);

// The same for text already read; messages name `path_for_messages`.
Result<ConfigKind> DetectConfigKindOfText(std::string_view yaml_text,
                                          const std::string& path_for_messages);

}  // namespace deltabridge
