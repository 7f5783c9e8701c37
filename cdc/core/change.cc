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

std::string MakeTopic(std::string_view bridge, std::string_view source, std::string_view table) {
  std::string t;
  t.reserve(bridge.size() + source.size() + table.size() + 2);
  t.append(bridge).append(".").append(source).append(".").append(table);
  return t;
}

std::string HeartbeatTopic(std::string_view bridge) { return std::string(bridge) + "._heartbeat"; }

}  // namespace deltabridge
