#include "cdc/core/change.h"

namespace deltabridge {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kInsert:
      return "insert";
    case Op::kUpdate:
      return "update";
    case Op::kDelete:
      return "delete";
    case Op::kSnapshot:
      return "snapshot";
    case Op::kTruncate:
      return "truncate";
  }
  return "unknown";
}

bool ParseOp(std::string_view name, Op* op) {
  static constexpr std::pair<std::string_view, Op> kOps[] = {{"insert", Op::kInsert},
                                                             {"update", Op::kUpdate},
                                                             {"delete", Op::kDelete},
                                                             {"snapshot", Op::kSnapshot},
                                                             {"truncate", Op::kTruncate}};
  for (const auto& [n, o] : kOps) {
    if (n == name) {
      *op = o;
      return true;
    }
  }
  return false;
}

std::string CapturingNode(std::string_view bridge, const Change& change) {
  if (!change.node.empty()) return change.node;
  std::string node(bridge);
  node += '.';
  node += change.source;
  return node;
}

std::vector<std::string> DeltaPath(std::string_view bridge, const Change& change) {
  if (!change.origin.empty()) return change.origin;
  return {CapturingNode(bridge, change)};
}

}  // namespace deltabridge
