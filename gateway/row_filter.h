// RowFilter: the simple comparisons an application may subset an entity by
// (`GET /sync/<entity>?where=...`) and a token's row filter, parsed and
// evaluated by the gateway itself: never passed to a database as SQL.
//
// Grammar (keywords case-insensitive; docs/gateway.md, "Subsets"):
//
//   filter     := or
//   or         := and ("OR" and)*
//   and        := not ("AND" not)*
//   not        := "NOT" not | primary
//   primary    := "(" or ")"
//              |  column op literal            op: = != <> < <= > >=
//              |  column "IS" ["NOT"] "NULL"
//              |  column ["NOT"] "IN" "(" literal ("," literal)* ")"
//   column     := identifier [A-Za-z_][A-Za-z0-9_]* | "double-quoted" ("" for ")
//   literal    := 'text' ('' for ') | number | TRUE | FALSE | NULL
//
// Values are compared as the wire carries them (contract section 3): numbers
// numerically, also against a numeric string (NUMERIC and big integers
// travel as strings of digits: "12.50" > 10); text bytewise; booleans only
// for = and !=. A comparison with NULL, or between kinds that do not compare
// (text against a number that is not a numeric string), is unknown; the
// logic is SQL's three-valued one and a row matches only when the filter is
// true (as in WHERE). At most 64 comparisons and nesting depth 16; a filter's
// text is at most 4 KiB.
//
// Plain value; Matches is const and thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

class RowFilter {
 public:
  // The filter that takes every row (no text).
  RowFilter();
  ~RowFilter();
  RowFilter(const RowFilter&);
  RowFilter& operator=(const RowFilter&);
  RowFilter(RowFilter&&) noexcept;
  RowFilter& operator=(RowFilter&&) noexcept;

  // Parses `text`. `is_column`, when given, says whether a name is a column
  // the filter may use; a name it refuses is an error. InvalidArgument, with
  // the 1-based character position and what was expected, e.g.
  //   where: at 14: expected a literal ('text', a number, TRUE, FALSE or NULL), got "AND"
  //   where: at 1: unknown column "stauts" (columns: id, seats, status)
  static Result<RowFilter> Parse(std::string_view text,
                                 const std::function<bool(std::string_view)>& is_column = {});
  // The same with the columns the filter may use given as a list, which the
  // message of an unknown column names (in the order given); with
  // `is_column` alone it reads `unknown column "stauts"`. Text of only
  // spaces parses to the filter that takes every row.
  static Result<RowFilter> Parse(std::string_view text, const std::vector<std::string>& columns);

  // Both: a row must match `a` and `b` (either may take every row).
  static RowFilter And(RowFilter a, RowFilter b);

  // Whether `row`, a JSON object of column -> value, matches. A column the
  // row lacks counts as NULL.
  bool Matches(const nlohmann::json& row) const;
  // The same for a row of (column, value) pairs.
  bool Matches(const std::vector<std::pair<std::string, nlohmann::json>>& row) const;
  // The same for a row in column order (the gateway's rows): only the
  // columns the filter names are looked at.
  bool Matches(const nlohmann::ordered_json& row) const;

  // Whether it takes every row (the default filter).
  bool empty() const { return root_ == nullptr; }
  // The columns it names, unique, in first-use order.
  const std::vector<std::string>& columns() const { return columns_; }
  // The text as parsed (for logs and messages).
  const std::string& text() const { return text_; }

  struct Node;  // the parsed tree (row_filter.cc)

 private:
  std::shared_ptr<const Node> root_;  // immutable once parsed; shared by copies
  std::vector<std::string> columns_;
  std::string text_;
};

}  // namespace deltabridge
