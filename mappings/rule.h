// Rule: how one target column reconciles conflicting writes (contract
// section 5). Parsed from a sink file's `rules:` (mappings/mapping.h, loaded by
// sinks/sink_config.h) and applied by the reconciler (mappings/rules/reconciler.h). Plain data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltabridge {

enum class RuleKind {
  kOverwrite,        // always apply; no conflict handling
  kLastWriterWins,   // newer source commit time wins (ties: higher source name); or `by` a column
  kFirstWriterWins,  // apply only while the field was never written by a change
  kSourcePriority,   // apply when the source stands at least as high in `order` as the last writer
  kMax,              // apply when greater than the current value
  kMin,              // apply when smaller than the current value
  kAdditive,         // current + (new - old): concurrent increments all count
  kKeepTarget,       // apply only while the target field is null
  kManual,           // apply when there is no conflict; else hold for review
};

// "overwrite", "last_writer_wins", ...
std::string_view RuleKindName(RuleKind kind);
std::optional<RuleKind> ParseRuleKind(std::string_view name);
// Every rule name, in the order above, for error messages.
const std::vector<std::string_view>& RuleKindNames();

struct Rule {
  RuleKind kind = RuleKind::kLastWriterWins;
  // kLastWriterWins only: compare this timestamp column of the row instead of
  // the source commit time (`{rule: last_writer_wins, by: COLUMN}`).
  std::string by_column;
  // kSourcePriority only: source names, highest priority first.
  std::vector<std::string> order;
};

}  // namespace deltabridge
