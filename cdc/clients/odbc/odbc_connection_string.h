// ParseOdbcConnectionString: the items of an ODBC connection string, as
// SQLDriverConnect reads them, and RedactOdbcConnectionString built on it.
//
// The syntax: items "key=value" separated by ';'. Keys are compared without
// regard to case and with surrounding spaces trimmed. A value in braces,
// "{a;b}}c}", may hold ';' and '}' ('}}' stands for one '}'); text after the
// closing brace up to the next ';' is ignored. An unbraced value runs to the
// next ';', spaces trimmed. A segment without '=' is no item.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltabridge {

struct OdbcConnectionItem {
  std::string key;    // spaces around it trimmed, case as written
  std::string value;  // braces removed and "}}" unescaped; an unbraced one trimmed
  // Where the value stands in the string (from just after '=' to the ';'
  // that ends it or the end of the string, so spaces and braces included):
  // what a rewrite of the string replaces.
  size_t value_begin = 0;
  size_t value_end = 0;
};

// The items of `connection_string`, in order (a key given twice appears
// twice). Never fails: what does not parse is skipped.
std::vector<OdbcConnectionItem> ParseOdbcConnectionString(std::string_view connection_string);

// Whether ODBC key `key` is `name`, case-insensitively ("pwd" is "PWD").
bool OdbcKeyIs(std::string_view key, std::string_view name);

// Whether `key` names a password: PWD or Password.
bool IsOdbcPasswordKey(std::string_view key);

// The value of the last item whose key is `name`; nullopt when none has it.
std::optional<std::string> FindOdbcConnectionValue(const std::vector<OdbcConnectionItem>& items,
                                                   std::string_view name);

// `connection_string` with the value of every PWD and Password item replaced
// by ***, everything else kept byte for byte:
// "Driver=X;UID=u;PWD={a;b}" -> "Driver=X;UID=u;PWD=***".
std::string RedactOdbcConnectionString(std::string_view connection_string);

}  // namespace deltabridge
