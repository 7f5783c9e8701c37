#include "sinks/conflict_record.h"

namespace deltabridge {

std::string_view ConflictKindName(ConflictKind kind) {
  switch (kind) {
    case ConflictKind::kField:
      return "field";
    case ConflictKind::kDelete:
      return "delete";
    case ConflictKind::kTruncate:
      return "truncate";
    case ConflictKind::kRejected:
      return "rejected";
  }
  return "field";
}

std::optional<ConflictKind> ParseConflictKind(std::string_view name) {
  for (ConflictKind k : {ConflictKind::kField, ConflictKind::kDelete, ConflictKind::kTruncate,
                         ConflictKind::kRejected}) {
    if (ConflictKindName(k) == name) return k;
  }
  return std::nullopt;
}

}  // namespace deltabridge
