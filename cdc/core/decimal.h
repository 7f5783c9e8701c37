// ParseDecimalU64: a seq or count as ASCII decimal from a peer: digits only,
// no sign, no spaces, fits in 64 bits. nullopt on anything else.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace deltabridge {

inline std::optional<uint64_t> ParseDecimalU64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace deltabridge
