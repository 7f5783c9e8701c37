// ExactDecimal: an exact, arbitrary-precision decimal number for the
// reconciler's arithmetic and comparisons (additive, max, min, equality).
//
// NUMERIC/DECIMAL values travel as digit strings ("12345678901234567890.5")
// and must never pass through a double, so the additive rule computes
// current + (new - old) on digit strings: addition and subtraction are exact,
// the result keeps the largest scale of its operands ("12.50" + "2.1" is
// "14.60"). There is no multiplication or division: the reconciler needs none.
// A value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deltabridge {

class ExactDecimal {
 public:
  // Zero, scale 0.
  ExactDecimal() = default;

  // Parses [+-]digits[.digits][(e|E)[+-]digits], at least one digit, no
  // spaces. An exponent folds into the scale ("1.5e2" is 150, "15e-3" is
  // 0.015). nullopt on anything else (NaN and infinities included) and on an
  // exponent beyond +-kMaxExponent.
  static std::optional<ExactDecimal> Parse(std::string_view text);
  static ExactDecimal FromInt(int64_t v);
  static ExactDecimal FromUInt(uint64_t v);
  // The shortest decimal that reads back as `v` (what the wire carries: 0.1 is
  // "0.1", not its binary expansion). nullopt for NaN and infinities.
  static std::optional<ExactDecimal> FromDouble(double v);

  static constexpr int kMaxExponent = 100000;

  // -1, 0, +1 by numeric value; scale does not matter ("1.50" == "1.5").
  static int Compare(const ExactDecimal& a, const ExactDecimal& b);
  friend bool operator==(const ExactDecimal& a, const ExactDecimal& b) {
    return Compare(a, b) == 0;
  }

  ExactDecimal Negated() const;
  // Exact; the result's scale is the larger of the operands' scales.
  friend ExactDecimal operator+(const ExactDecimal& a, const ExactDecimal& b);
  friend ExactDecimal operator-(const ExactDecimal& a, const ExactDecimal& b);

  bool is_zero() const { return digits_ == "0"; }
  bool is_negative() const { return negative_; }
  // No nonzero digit after the point ("12.00" is an integer).
  bool is_integer() const;
  int32_t scale() const { return scale_; }

  // The value in range of the type, when it is an integer; else nullopt.
  std::optional<int64_t> ToInt64() const;
  std::optional<uint64_t> ToUInt64() const;
  // True when the value is an integer within [-2^(bits-1), 2^(bits-1)-1]
  // (signed) or [0, 2^bits-1] (unsigned); bits in 1..64.
  bool FitsInteger(int bits, bool is_unsigned) const;

  // Plain decimal text with exactly scale() digits after the point, "-" for
  // negatives, never an exponent: "-0.050", "14.55", "0".
  std::string ToString() const;

 private:
  ExactDecimal(bool negative, std::string digits, int32_t scale);
  // Same value with `scale` digits after the point (scale >= scale_).
  std::string DigitsAtScale(int32_t scale) const;

  bool negative_ = false;     // never true for zero
  std::string digits_ = "0";  // unscaled magnitude: no leading zeros, "0" for zero
  int32_t scale_ = 0;         // digits after the point; >= 0
};

}  // namespace deltabridge
