// Readers for the parts of a sink file that other files share: a `subscribe`
// list, a `target`, and the body of a mapping (to, key, columns, exclude,
// on_delete, rules). The sink file's loader (sink_config.cc) and the gateway
// file's loader (gateway/gateway_config.cc) both read these with them, so a
// key means the same, and is reported the same, in either file.
//
// Internal to those loaders: not a stable interface. Each reader records its
// problems in the ConfigErrors it is given, in the contract's file:line:col
// form (cdc/config/yaml_reader.h), and never echoes a password or a DSN.
// Thread-compatible, like yaml_reader.h.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdc/config/common_keys.h"
#include "cdc/config/yaml_reader.h"
#include "mappings/mapping.h"
#include "sinks/sink_config.h"

namespace deltabridge::config_parts {

// Names, each with where it was found.
using SitedNames = std::vector<std::pair<std::string, ConfigSite>>;

// Dot-separated, between `min_parts` and `max_parts` parts, every part
// non-empty, no spaces or control characters.
bool IsDottedName(std::string_view text, size_t min_parts, size_t max_parts);

// True when some name that `pattern` matches (cdc/core/glob.h) starts with
// `prefix`.
bool PatternMayStartWith(std::string_view pattern, std::string_view prefix);

// "a, b, c".
std::string JoinStrings(const std::vector<std::string>& words);

// The keys of a YAML mapping: its own in file order, then those it merges in
// with "<<" (as MapReader collects them).
std::vector<std::string> MapKeys(const MapReader& map);

// A list of distinct, non-empty column names; at least one when `at_least_one`.
SitedNames ReadColumns(const ConfigNode& at, bool at_least_one, ConfigErrors* errors);
std::vector<std::string> Names(const SitedNames& names);

// ---- subscribe ----

// Whether a subscription must list its `topics` (a sink's) or may leave
// them to its file's other sections (a gateway's).
enum class TopicsKey { kRequired, kOptional };

struct ReadSubscription {
  SubscribeConfig config;
  ConfigSite bridge_site;     // set when `bridge` is well-formed
  bool topics_given = false;  // `topics` was present (its errors, if any, are recorded)
};

// A `subscribe` list: at least one entry, bridges unique. An entry in error
// is left out (its errors are recorded).
std::vector<ReadSubscription> ReadSubscribe(const ConfigNode& at, TopicsKey topics,
                                            ConfigErrors* errors);

// ---- target ----

// Which target types a `target` may have: every one (a sink's), or only
// those that are SQL databases (a push's: it applies changes with rules).
enum class TargetKinds { kAny, kSqlOnly };

// A `target`: type and the keys of that type, and `node`. A MySQL
// password_file is read now.
void ReadTarget(const ConfigNode& at, TargetKinds kinds, TargetConfig* target,
                ConfigErrors* errors);

// ---- the body of a mapping ----

// How a mapping's two sides are named in messages: a sink's mapping renames
// "source column"s to "target column"s; an entity renames source columns to
// "shown column"s; a push renames shown columns to target columns.
struct ColumnNouns {
  std::string_view source = "source column";
  std::string_view target = "target column";
};

// `columns`: {SOURCE: TARGET}, targets unique. `sources`, when given, gets
// each source column accepted, at its key.
void ReadColumnMap(const ConfigNode& at, const ColumnNouns& nouns, MappingConfig* mapping,
                   ConfigErrors* errors, SitedNames* sources = nullptr);

// `exclude`: source columns, none also renamed by mapping->columns (read
// those first). `sites`, when given, gets each column accepted.
void ReadExclude(const ConfigNode& at, MappingConfig* mapping, ConfigErrors* errors,
                 SitedNames* sites = nullptr);

// Where a mapping body named columns, for a caller's own checks. Only the
// names the body accepted.
struct MappingColumnSites {
  SitedNames source;  // `columns` keys and `exclude` items
  SitedNames target;  // `key` items, `rules` columns and rules' `by`
};

// Every key of a mapping entry but `from`: `to` and `key` (required),
// `columns`, `exclude`, `on_delete` and `rules`. The caller rejects unknown
// keys (its entries may take others) and reads `from` if it has one.
// `nouns` name the sides of `columns` in its messages.
void ReadMappingBody(const MapReader& map, const ColumnNouns& nouns, MappingConfig* mapping,
                     ConfigErrors* errors, MappingColumnSites* sites = nullptr);

}  // namespace deltabridge::config_parts
