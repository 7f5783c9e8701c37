#include "mappings/rules/exact_decimal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace deltabridge {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string StripLeadingZeros(std::string s) {
  size_t first = s.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  s.erase(0, first);
  return s;
}

// Magnitudes: digit strings without leading zeros.
int CompareMagnitude(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string AddMagnitude(const std::string& a, const std::string& b) {
  std::string out;
  out.reserve(std::max(a.size(), b.size()) + 1);
  int carry = 0;
  size_t i = a.size(), j = b.size();
  while (i > 0 || j > 0 || carry != 0) {
    int sum = carry;
    if (i > 0) sum += a[--i] - '0';
    if (j > 0) sum += b[--j] - '0';
    out.push_back(static_cast<char>('0' + sum % 10));
    carry = sum / 10;
  }
  std::reverse(out.begin(), out.end());
  return StripLeadingZeros(std::move(out));
}

// a - b where a >= b.
std::string SubtractMagnitude(const std::string& a, const std::string& b) {
  std::string out;
  out.reserve(a.size());
  int borrow = 0;
  size_t i = a.size(), j = b.size();
  while (i > 0) {
    int d = (a[--i] - '0') - borrow;
    if (j > 0) d -= b[--j] - '0';
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 10;
    out.push_back(static_cast<char>('0' + d));
  }
  std::reverse(out.begin(), out.end());
  return StripLeadingZeros(std::move(out));
}

}  // namespace

ExactDecimal::ExactDecimal(bool negative, std::string digits, int32_t scale)
    : negative_(negative), digits_(StripLeadingZeros(std::move(digits))), scale_(scale) {
  if (digits_ == "0") negative_ = false;
}

std::optional<ExactDecimal> ExactDecimal::Parse(std::string_view text) {
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    negative = text[pos] == '-';
    ++pos;
  }
  std::string digits;
  size_t int_digits = 0, frac_digits = 0;
  while (pos < text.size() && IsDigit(text[pos])) {
    digits.push_back(text[pos++]);
    ++int_digits;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      digits.push_back(text[pos++]);
      ++frac_digits;
    }
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  int64_t exponent = 0;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exp_negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      exp_negative = text[pos] == '-';
      ++pos;
    }
    if (pos == text.size()) return std::nullopt;
    while (pos < text.size() && IsDigit(text[pos])) {
      exponent = exponent * 10 + (text[pos++] - '0');
      if (exponent > kMaxExponent) return std::nullopt;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (pos != text.size()) return std::nullopt;
  int64_t scale = static_cast<int64_t>(frac_digits) - exponent;
  if (scale < 0) {
    digits.append(static_cast<size_t>(-scale), '0');
    scale = 0;
  }
  if (scale > INT32_MAX) return std::nullopt;
  return ExactDecimal(negative, std::move(digits), static_cast<int32_t>(scale));
}

ExactDecimal ExactDecimal::FromInt(int64_t v) {
  // The magnitude of INT64_MIN does not fit in int64: go through uint64.
  uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  return ExactDecimal(v < 0, std::to_string(magnitude), 0);
}

ExactDecimal ExactDecimal::FromUInt(uint64_t v) {
  return ExactDecimal(false, std::to_string(v), 0);
}

std::optional<ExactDecimal> ExactDecimal::FromDouble(double v) {
  if (!std::isfinite(v)) return std::nullopt;
  // Fixed notation, shortest round-trip: at most ~330 characters for a double.
  char buf[512];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (ec != std::errc()) return std::nullopt;
  return Parse(std::string_view(buf, static_cast<size_t>(end - buf)));
}

int ExactDecimal::Compare(const ExactDecimal& a, const ExactDecimal& b) {
  if (a.negative_ != b.negative_) return a.negative_ ? -1 : 1;
  int32_t scale = std::max(a.scale_, b.scale_);
  int magnitude = CompareMagnitude(a.DigitsAtScale(scale), b.DigitsAtScale(scale));
  return a.negative_ ? -magnitude : magnitude;
}

ExactDecimal ExactDecimal::Negated() const { return ExactDecimal(!negative_, digits_, scale_); }

ExactDecimal operator+(const ExactDecimal& a, const ExactDecimal& b) {
  int32_t scale = std::max(a.scale_, b.scale_);
  std::string x = a.DigitsAtScale(scale);
  std::string y = b.DigitsAtScale(scale);
  if (a.negative_ == b.negative_) {
    return ExactDecimal(a.negative_, AddMagnitude(x, y), scale);
  }
  // Opposite signs: the larger magnitude keeps its sign.
  if (CompareMagnitude(x, y) >= 0) {
    return ExactDecimal(a.negative_, SubtractMagnitude(x, y), scale);
  }
  return ExactDecimal(b.negative_, SubtractMagnitude(y, x), scale);
}

ExactDecimal operator-(const ExactDecimal& a, const ExactDecimal& b) { return a + b.Negated(); }

bool ExactDecimal::is_integer() const {
  if (scale_ == 0) return true;
  if (digits_.size() <= static_cast<size_t>(scale_)) return digits_ == "0";
  return digits_.find_first_not_of('0', digits_.size() - static_cast<size_t>(scale_)) ==
         std::string::npos;
}

std::string ExactDecimal::DigitsAtScale(int32_t scale) const {
  if (digits_ == "0") return "0";
  std::string out = digits_;
  out.append(static_cast<size_t>(scale - scale_), '0');
  return out;
}

bool ExactDecimal::FitsInteger(int bits, bool is_unsigned) const {
  if (!is_integer() || bits < 1 || bits > 64) return false;
  if (is_unsigned && negative_) return false;
  // The integer part's magnitude, compared with the bound as a digit string.
  std::string whole = digits_.size() > static_cast<size_t>(scale_)
                          ? digits_.substr(0, digits_.size() - static_cast<size_t>(scale_))
                          : "0";
  uint64_t bound;  // the largest magnitude allowed
  if (is_unsigned) {
    bound = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  } else {
    uint64_t half = uint64_t{1} << (bits - 1);
    bound = negative_ ? half : half - 1;
  }
  return CompareMagnitude(whole, std::to_string(bound)) <= 0;
}

std::optional<int64_t> ExactDecimal::ToInt64() const {
  if (!FitsInteger(64, false)) return std::nullopt;
  std::string text = ToString();
  text = text.substr(0, text.find('.'));
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> ExactDecimal::ToUInt64() const {
  if (!FitsInteger(64, true)) return std::nullopt;
  std::string text = ToString();
  text = text.substr(0, text.find('.'));
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string ExactDecimal::ToString() const {
  std::string digits = digits_;
  size_t scale = static_cast<size_t>(scale_);
  if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
  std::string out;
  out.reserve(digits.size() + 2);
  if (negative_) out.push_back('-');
  out.append(digits, 0, digits.size() - scale);
  if (scale > 0) {
    out.push_back('.');
    out.append(digits, digits.size() - scale, scale);
  }
  return out;
}

}  // namespace deltabridge
