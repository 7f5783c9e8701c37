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

}  // namespace deltabridge
