// MappingConfig: how the deltas of one topic pattern land in one target table
// (contract section 4, a `mappings:` entry of a sink file): the target table
// and key, column renames and exclusions, what a delete does, and the rule of
// each column (contract section 5). The sink file's loader
// (sinks/sink_config.h) fills it in and checks it; this is its pure logic.
//
// Plain values; the lookup functions are thread-safe and return views into
// the mapping they are given, valid while it lives unchanged.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mappings/rule.h"

namespace deltabridge {

// What a delete from the source does to the target row.
enum class OnDelete {
  kApply,   // delete the row (the default)
  kIgnore,  // keep the row
  kManual,  // keep the row and record a conflict for review
  kSoft,    // keep the row and set MappingConfig::soft_delete_column to the delete's commit time
};
// "apply", "ignore", "manual", "soft".
std::string_view OnDeleteName(OnDelete on_delete);

struct MappingConfig {
  // A topic pattern (cdc/core/glob.h): at least 3 dot-separated parts, the
  // first exactly a subscribed bridge's name.
  std::string from;
  std::string to;                // target table: "schema.table" or "table"
  std::vector<std::string> key;  // target columns identifying a row; at least one, unique
  // Source column -> target column, for renamed columns; targets unique. A
  // source column in neither `columns` nor `exclude` keeps its name.
  std::map<std::string, std::string, std::less<>> columns;
  std::vector<std::string> exclude;  // source columns never written; unique, never renamed
  OnDelete on_delete = OnDelete::kApply;
  std::string soft_delete_column;  // set exactly when on_delete is kSoft; not a key column
  // `rules.default`: the rule of every target column without its own entry.
  Rule default_rule;  // last_writer_wins unless set
  // Target column -> its rule. Never a key column (keys identify the row and
  // are not reconciled) nor an excluded one.
  std::map<std::string, Rule, std::less<>> rules;
};

// The first of `mappings`, in order, whose `from` matches `topic`
// (GlobMatch); nullptr when none does.
const MappingConfig* FindMapping(std::span<const MappingConfig> mappings, std::string_view topic);

// The target column `source_column` is written to: its `columns` entry, else
// the same name; "" when it is excluded.
std::string TargetColumn(const MappingConfig& mapping, std::string_view source_column);

// The rule of `target_column`: its `rules` entry, else the mapping's default.
const Rule& RuleFor(const MappingConfig& mapping, std::string_view target_column);

}  // namespace deltabridge
