// ClassifyPath: what a sink does with a delta, by the path of nodes the delta
// has passed through (DeltaPath, cdc/core/change.h) and the node the sink's
// target is (docs/two-way.md, "No echo" and "The own node").
//
// In order:
//   * the path is exactly [target node]: a change of the target's own node,
//     kept as such (SinkDelta::self);
//   * the target node is anywhere on the path: an echo, never applied;
//   * a path of two nodes or more holds, before its last node, a node the
//     sink receives directly (`is_direct`): a forwarded copy of a change the
//     sink has from its origin already, never applied;
//   * anything else is applied.
//
// Pure function; thread-safe when `is_direct` is.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace deltabridge {

enum class PathVerdict {
  kApply,      // an ordinary change from elsewhere
  kSelf,       // a change of the target's own node
  kEcho,       // the target's node is on the path
  kForwarded,  // a forwarded copy of a change this sink receives directly
};

// "apply", "self", "echo", "forwarded".
std::string_view PathVerdictName(PathVerdict verdict);

struct PathCheck {
  PathVerdict verdict = PathVerdict::kApply;
  // kEcho and kForwarded: the index in the path of the node that decided (the
  // target's node; the first node received directly).
  size_t at = 0;
};

// `target_node` empty: the target is no node (nothing is self nor an echo).
// `is_direct` is asked only about path[0 .. size-2], only when the path has
// two nodes or more and does not hold the target node, in path order.
PathCheck ClassifyPath(std::span<const std::string> path, std::string_view target_node,
                       const std::function<bool(std::string_view node)>& is_direct);

}  // namespace deltabridge
