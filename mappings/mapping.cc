#include "mappings/mapping.h"

#include <algorithm>
#include <array>

#include "cdc/core/glob.h"

namespace deltabridge {

namespace {
constexpr std::array<std::string_view, 4> kOnDeleteNames = {"apply", "ignore", "manual", "soft"};
}  // namespace

std::string_view OnDeleteName(OnDelete on_delete) {
  return kOnDeleteNames[static_cast<size_t>(on_delete)];
}

const MappingConfig* FindMapping(std::span<const MappingConfig> mappings, std::string_view topic) {
  for (const MappingConfig& mapping : mappings) {
    if (GlobMatch(mapping.from, topic)) return &mapping;
  }
  return nullptr;
}

std::string TargetColumn(const MappingConfig& mapping, std::string_view source_column) {
  if (auto it = mapping.columns.find(source_column); it != mapping.columns.end()) {
    return it->second;
  }
  if (std::find(mapping.exclude.begin(), mapping.exclude.end(), source_column) !=
      mapping.exclude.end()) {
    return "";
  }
  return std::string(source_column);
}

const Rule& RuleFor(const MappingConfig& mapping, std::string_view target_column) {
  if (auto it = mapping.rules.find(target_column); it != mapping.rules.end()) return it->second;
  return mapping.default_rule;
}

}  // namespace deltabridge
