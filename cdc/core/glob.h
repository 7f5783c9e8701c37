// GlobMatch: the name patterns of deltabridge's YAML files (source `tables`,
// `exclude_columns`, sink `from` topics).
//
// A pattern and a name are both split at '.' into parts; they match when they
// have the same number of parts and each pattern part matches its name part,
// where '*' matches any run of characters (also none) and '?' exactly one, but
// never a '.': "public.ranger_*" matches "public.ranger_shifts", not
// "public.ranger.x"; "*.*" matches every two-part name. Every other character,
// including letter case, must be equal. There is no escape character.
//
// Pure functions; thread-safe.
#pragma once

#include <string_view>

namespace deltabridge {

bool GlobMatch(std::string_view pattern, std::string_view name);

// True when `pattern` holds a '*' or '?', i.e. may match more than one name.
bool HasGlobChars(std::string_view pattern);

}  // namespace deltabridge
