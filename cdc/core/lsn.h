// Lsn: a PostgreSQL WAL position, a value type shown as "%X/%X".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deltabridge {

struct Lsn {
  uint64_t value = 0;

  constexpr Lsn() = default;
  constexpr explicit Lsn(uint64_t v) : value(v) {}

  std::string ToString() const;
  // Accepts "16/B374D848"; nullopt on anything else.
  static std::optional<Lsn> Parse(std::string_view text);

  friend constexpr auto operator<=>(Lsn a, Lsn b) = default;
};

}  // namespace deltabridge
