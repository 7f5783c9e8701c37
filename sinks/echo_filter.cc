#include "sinks/echo_filter.h"

namespace deltabridge {

std::string_view PathVerdictName(PathVerdict verdict) {
  switch (verdict) {
    case PathVerdict::kApply:
      return "apply";
    case PathVerdict::kSelf:
      return "self";
    case PathVerdict::kEcho:
      return "echo";
    case PathVerdict::kForwarded:
      return "forwarded";
  }
  return "unknown";
}

PathCheck ClassifyPath(std::span<const std::string> path, std::string_view target_node,
                       const std::function<bool(std::string_view node)>& is_direct) {
  if (!target_node.empty()) {
    if (path.size() == 1 && path[0] == target_node) return {PathVerdict::kSelf, 0};
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] == target_node) return {PathVerdict::kEcho, i};
    }
  }
  if (path.size() >= 2) {
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      if (is_direct(path[i])) return {PathVerdict::kForwarded, i};
    }
  }
  return {PathVerdict::kApply, 0};
}

}  // namespace deltabridge
