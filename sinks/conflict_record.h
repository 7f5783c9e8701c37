// ConflictRecord: one conflict a sink holds for review (contract section 5):
// a field a `manual` rule would not decide, a delete or truncate held by
// on_delete, or a delta the target refused. SQL targets keep them in
// deltabridge_conflicts (docs/target-tables.md); `deltabridge conflicts`
// lists and resolves them through TargetAdmin (target_admin.h).
//
// Plain values; the functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deltabridge {

enum class ConflictKind { kField, kDelete, kTruncate, kRejected };
// "field", "delete", "truncate", "rejected".
std::string_view ConflictKindName(ConflictKind kind);
std::optional<ConflictKind> ParseConflictKind(std::string_view name);

// One conflict held for review.
struct ConflictRecord {
  int64_t id = 0;  // assigned by the database; 0 before insertion
  std::string sink;
  std::string target_table;
  std::string row_key;      // RowKeyText
  std::string column_name;  // kField: the target column; else empty (NULL)
  ConflictKind kind = ConflictKind::kField;
  std::string source;  // qualified "<bridge>.<source>"
  uint64_t seq = 0;
  int64_t committed_at_us = 0;
  // JSON texts; nullopt for NULL. kField: the values. kRejected: incoming is
  // {"op":..,"fields":{column: value}} and current is NULL.
  std::optional<std::string> current_value;
  std::optional<std::string> incoming_value;
  std::string reason;
  int64_t detected_at_us = 0;
  // Set once resolved.
  std::optional<std::string> resolved_at;
  std::optional<std::string> resolution;  // "incoming" or "current"
};

}  // namespace deltabridge
