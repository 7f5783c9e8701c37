#include "cdc/core/glob.h"

namespace deltabridge {

namespace {

// Classic wildcard matching of one part (neither side holds a '.'): on a
// mismatch, let the most recent '*' swallow one more character and retry.
bool MatchPart(std::string_view pattern, std::string_view name) {
  size_t p = 0;
  size_t n = 0;
  size_t star = std::string_view::npos;  // position of the last '*' seen in pattern
  size_t star_n = 0;                     // where in name that '*' started matching
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view name) {
  // Neither '*' nor '?' crosses a '.', so the i-th '.' of the pattern must meet
  // the i-th '.' of the name: match part by part.
  while (true) {
    size_t pattern_dot = pattern.find('.');
    size_t name_dot = name.find('.');
    if ((pattern_dot == std::string_view::npos) != (name_dot == std::string_view::npos)) {
      return false;
    }
    if (!MatchPart(pattern.substr(0, pattern_dot), name.substr(0, name_dot))) return false;
    if (pattern_dot == std::string_view::npos) return true;
    pattern.remove_prefix(pattern_dot + 1);
    name.remove_prefix(name_dot + 1);
  }
}

bool HasGlobChars(std::string_view pattern) {
  return pattern.find_first_of("*?") != std::string_view::npos;
}

}  // namespace deltabridge
