#include "mappings/rule.h"

namespace deltabridge {

namespace {
struct Named {
  RuleKind kind;
  std::string_view name;
};
constexpr Named kRules[] = {
    {RuleKind::kOverwrite, "overwrite"},
    {RuleKind::kLastWriterWins, "last_writer_wins"},
    {RuleKind::kFirstWriterWins, "first_writer_wins"},
    {RuleKind::kSourcePriority, "source_priority"},
    {RuleKind::kMax, "max"},
    {RuleKind::kMin, "min"},
    {RuleKind::kAdditive, "additive"},
    {RuleKind::kKeepTarget, "keep_target"},
    {RuleKind::kManual, "manual"},
};
}  // namespace

std::string_view RuleKindName(RuleKind kind) {
  for (const Named& r : kRules) {
    if (r.kind == kind) return r.name;
  }
  return "unknown";
}

std::optional<RuleKind> ParseRuleKind(std::string_view name) {
  for (const Named& r : kRules) {
    if (r.name == name) return r.kind;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& RuleKindNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const Named& r : kRules) v.push_back(r.name);
    return v;
  }();
  return names;
}

}  // namespace deltabridge
