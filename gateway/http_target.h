// A request target ("/sync/scheduling?from=12&where=seats+%3C+10") split
// into its path segments and query parameters, percent-decoded.
//
// Path segments are split on '/' before decoding, so "%2F" stays inside its
// segment. In the query, '+' is a space (as browsers' URLSearchParams
// encode it) and "%2B" a plus sign. A parameter given twice, a malformed
// escape ("%4", "%zz") or a NUL byte are errors: the front answers 400.
// Nothing here logs: a query may hold a token.
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

struct RequestTarget {
  // "/sync/scheduling" -> {"sync", "scheduling"}; "/" -> {}; "/a/" -> {"a", ""}.
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`).
// InvalidArgument on a malformed escape or a NUL byte.
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Parses an origin-form target ("/path?query"); anything else (an absolute
// URL, "*") is InvalidArgument. Messages say what is wrong without quoting
// the query.
Result<RequestTarget> ParseRequestTarget(std::string_view target);

}  // namespace deltabridge
