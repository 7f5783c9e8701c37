#include "cdc/config/duration.h"

#include <charconv>
#include <limits>
#include <optional>
#include <utility>

#include "cdc/config/message_text.h"

namespace deltabridge {

namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

// Longest suffixes first where one is a suffix of another ("ms" before "s").
constexpr Unit kDurationUnits[] = {
    {"ms", 1'000},
    {"s", 1'000'000},
    {"m", 60ull * 1'000'000},
    {"h", 3'600ull * 1'000'000},
    {"d", 86'400ull * 1'000'000},
};

constexpr Unit kSizeUnits[] = {
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
};

// Decimal units people often mean when they write a size, and what to write instead.
constexpr std::pair<std::string_view, std::string_view> kDecimalSizeUnits[] = {
    {"KB", "KiB"},  {"kB", "KiB"},  {"K", "KiB"},   {"k", "KiB"},   {"kb", "KiB"},
    {"Ki", "KiB"},  {"MB", "MiB"},  {"M", "MiB"},   {"mb", "MiB"},  {"Mi", "MiB"},
    {"GB", "GiB"},  {"G", "GiB"},   {"gb", "GiB"},  {"Gi", "GiB"},  {"KIB", "KiB"},
    {"MIB", "MiB"}, {"GIB", "GiB"}, {"kib", "KiB"}, {"mib", "MiB"}, {"gib", "GiB"},
};

// Splits "123abc" into 123 and "abc". nullopt when there are no leading digits;
// `overflow` is set when the digits do not fit in uint64.
std::optional<uint64_t> LeadingNumber(std::string_view text, std::string_view* rest,
                                      bool* overflow) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  *overflow = false;
  if (digits == 0) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec == std::errc::result_out_of_range) {
    *overflow = true;
  } else if (ec != std::errc() || ptr != text.data() + digits) {
    return std::nullopt;
  }
  *rest = text.substr(digits);
  return value;
}

}  // namespace

Result<std::chrono::microseconds> ParseDuration(std::string_view text) {
  constexpr uint64_t kMaxMicros = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  std::string_view unit;
  bool overflow = false;
  std::optional<uint64_t> number = LeadingNumber(text, &unit, &overflow);
  const Unit* found = nullptr;
  if (number.has_value()) {
    for (const Unit& u : kDurationUnits) {
      if (unit == u.suffix) found = &u;
    }
  }
  if (found == nullptr) {
    return Status::InvalidArgument("expected a duration such as 500ms, 2s, 5m, 1h or 7d, got " +
                                   QuoteForMessage(text));
  }
  if (overflow || *number > kMaxMicros / found->factor) {
    return Status::InvalidArgument("expected a duration of at most " +
                                   std::to_string(kMaxMicros / found->factor) +
                                   std::string(found->suffix) + ", got " + QuoteForMessage(text));
  }
  return std::chrono::microseconds(static_cast<int64_t>(*number * found->factor));
}

Result<uint64_t> ParseSize(std::string_view text) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  std::string_view unit;
  bool overflow = false;
  std::optional<uint64_t> number = LeadingNumber(text, &unit, &overflow);
  std::optional<uint64_t> factor;
  std::string_view suffix;
  if (number.has_value()) {
    if (unit.empty()) {
      factor = 1;
    }
    for (const Unit& u : kSizeUnits) {
      if (unit == u.suffix) {
        factor = u.factor;
        suffix = u.suffix;
      }
    }
  }
  if (!factor.has_value()) {
    std::string message = "expected a size such as 512KiB, 64MiB, 10GiB or a byte count, got " +
                          QuoteForMessage(text);
    if (number.has_value()) {
      for (const auto& [wrong, right] : kDecimalSizeUnits) {
        if (unit == wrong) {
          message += "; did you mean " +
                     QuoteForMessage(std::string(text.substr(0, text.size() - unit.size())) +
                                     std::string(right)) +
                     "?";
          break;
        }
      }
    }
    return Status::InvalidArgument(std::move(message));
  }
  if (overflow || *number > kMax / *factor) {
    return Status::InvalidArgument("expected a size of at most " + std::to_string(kMax / *factor) +
                                   std::string(suffix) + ", got " + QuoteForMessage(text));
  }
  return *number * *factor;
}

std::string FormatDuration(std::chrono::microseconds duration) {
  int64_t us = duration.count();
  std::string sign;
  uint64_t magnitude = 0;
  if (us < 0) {
    sign = "-";
    magnitude = static_cast<uint64_t>(-(us + 1)) + 1;  // no overflow at INT64_MIN
  } else {
    magnitude = static_cast<uint64_t>(us);
  }
  if (magnitude == 0) return "0s";
  for (auto it = std::rbegin(kDurationUnits); it != std::rend(kDurationUnits); ++it) {
    if (magnitude % it->factor == 0) {
      return sign + std::to_string(magnitude / it->factor) + std::string(it->suffix);
    }
  }
  return sign + std::to_string(magnitude) + "us";
}

std::string FormatSize(uint64_t bytes) {
  if (bytes != 0) {
    for (auto it = std::rbegin(kSizeUnits); it != std::rend(kSizeUnits); ++it) {
      if (bytes % it->factor == 0)
        return std::to_string(bytes / it->factor) + std::string(it->suffix);
    }
  }
  return std::to_string(bytes);
}

}  // namespace deltabridge
