// ASCII-only text helpers shared by the sources and sinks: SQL type names,
// driver names, identifiers and GTID tags are ASCII, so these never consult
// the C locale's notion of letters beyond it.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace deltabridge {

// `s` with A-Z lowered; every other byte unchanged.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
inline std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace deltabridge
