// Small text helpers for configuration error messages: how a value found in a
// file is quoted, and which known word a misspelt one probably meant.
//
// Pure functions; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace deltabridge {

// `text` in double quotes for a message: '"' and '\' escaped, control bytes as
// \n, \t or \xNN, and anything past 80 bytes cut to "...". Never pass a secret.
std::string QuoteForMessage(std::string_view text);

// The candidate `word` most probably meant, or "" when none is close: the
// smallest optimal-string-alignment distance (case-insensitive), at most 1 for
// words of up to 5 characters and at most 2 for longer ones. Ties go to the
// earlier candidate.
std::string_view ClosestMatch(std::string_view word, std::span<const std::string_view> candidates);

// "a, b, c".
std::string JoinForMessage(std::span<const std::string_view> words);

}  // namespace deltabridge
