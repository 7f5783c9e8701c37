// DetectConfigKind: whether a YAML file is a bridge file (top-level `bridge:`,
// contract section 2), a sink file (top-level `sink:`, section 4) or a
// gateway file (top-level `gateway:`, section 6), so that commands such as
// `deltabridge check` and `status` can take any of them.
//
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge {

enum class ConfigKind { kBridge, kSink, kGateway };
// "bridge", "sink", "gateway".
std::string_view ConfigKindName(ConfigKind kind);

// Reads `path` and looks only at its top-level keys; the rest of the file is
// checked by the loader for its kind. InvalidArgument, in the form of
// bridge_config.h, when the file cannot be read, is not YAML, or has none or
// more than one of the keys.
Result<ConfigKind> DetectConfigKind(const std::string& path);

// The same for text already read; messages name `path_for_messages`.
Result<ConfigKind> DetectConfigKindOfText(std::string_view yaml_text,
                                          const std::string& path_for_messages);

}  // namespace deltabridge
