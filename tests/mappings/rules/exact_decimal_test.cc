#include "mappings/rules/exact_decimal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

namespace deltabridge {
namespace {

ExactDecimal D(const std::string& text) {
  std::optional<ExactDecimal> d = ExactDecimal::Parse(text);
  EXPECT_TRUE(d.has_value()) << text;
  return d.value_or(ExactDecimal());
}

TEST(ExactDecimalTest, ParsesAndPrintsKeepingScale) {
  EXPECT_EQ(D("12.50").ToString(), "12.50");
  EXPECT_EQ(D("-0.050").ToString(), "-0.050");
  EXPECT_EQ(D("+7").ToString(), "7");
  EXPECT_EQ(D("007.10").ToString(), "7.10");
  EXPECT_EQ(D(".5").ToString(), "0.5");
  EXPECT_EQ(D("5.").ToString(), "5");
  EXPECT_EQ(D("-0").ToString(), "0");
  EXPECT_EQ(D("-0.00").ToString(), "0.00");
  EXPECT_EQ(D("1.5e2").ToString(), "150");
  EXPECT_EQ(D("15E-3").ToString(), "0.015");
  EXPECT_EQ(D("12345678901234567890.000000001").ToString(), "12345678901234567890.000000001");
}

TEST(ExactDecimalTest, RejectsWhatIsNotADecimal) {
  for (const char* bad : {"", "-", ".", "1.2.3", " 1", "1 ", "abc", "1e", "1e+", "NaN", "Infinity",
                          "0x10", "1,5", "1e100001"}) {
    EXPECT_FALSE(ExactDecimal::Parse(bad).has_value()) << bad;
  }
}

TEST(ExactDecimalTest, AddsAndSubtractsExactlyAcrossScales) {
  // The brief's example: 12.50 + (3.1 - 1.05) = 14.55.
  EXPECT_EQ((D("12.50") + (D("3.1") - D("1.05"))).ToString(), "14.55");
  EXPECT_EQ((D("0.1") + D("0.2")).ToString(), "0.3");
  EXPECT_EQ((D("1") - D("0.001")).ToString(), "0.999");
  EXPECT_EQ((D("1.000") + D("2")).ToString(), "3.000");
  EXPECT_EQ((D("99.99") + D("0.01")).ToString(), "100.00");
}

TEST(ExactDecimalTest, NegativeNumbers) {
  EXPECT_EQ((D("-5") + D("3")).ToString(), "-2");
  EXPECT_EQ((D("3") - D("5")).ToString(), "-2");
  EXPECT_EQ((D("-1.5") - D("-1.5")).ToString(), "0.0");
  EXPECT_EQ((D("-1.25") + D("-0.75")).ToString(), "-2.00");
  EXPECT_EQ((D("-0.001") + D("0.0005")).ToString(), "-0.0005");
  EXPECT_EQ(D("-2").Negated().ToString(), "2");
}

TEST(ExactDecimalTest, LargePrecision) {
  ExactDecimal a = D("99999999999999999999999999999999999999.999999999999999999");
  ExactDecimal b = D("0.000000000000000001");
  EXPECT_EQ((a + b).ToString(), "100000000000000000000000000000000000000.000000000000000000");
  EXPECT_EQ((D("123456789012345678901234567890.123456789") -
             D("123456789012345678901234567890.123456788"))
                .ToString(),
            "0.000000001");
  EXPECT_EQ((D("9223372036854775807") + D("1")).ToString(), "9223372036854775808");
}

TEST(ExactDecimalTest, ComparesByValueNotScale) {
  EXPECT_EQ(ExactDecimal::Compare(D("1.50"), D("1.5")), 0);
  EXPECT_EQ(ExactDecimal::Compare(D("-2"), D("1")), -1);
  EXPECT_EQ(ExactDecimal::Compare(D("-2"), D("-10")), 1);
  EXPECT_EQ(ExactDecimal::Compare(D("10"), D("9.999")), 1);
  EXPECT_EQ(ExactDecimal::Compare(D("0.000"), D("-0")), 0);
  EXPECT_TRUE(D("12.00") == D("12"));
}

TEST(ExactDecimalTest, IntegerConversionsAndRanges) {
  EXPECT_EQ(ExactDecimal::FromInt(INT64_MIN).ToString(), "-9223372036854775808");
  EXPECT_EQ(ExactDecimal::FromUInt(UINT64_MAX).ToString(), "18446744073709551615");
  EXPECT_EQ(D("-9223372036854775808").ToInt64(), INT64_MIN);
  EXPECT_EQ(D("9223372036854775807.00").ToInt64(), INT64_MAX);
  EXPECT_FALSE(D("9223372036854775808").ToInt64().has_value());
  EXPECT_FALSE(D("1.5").ToInt64().has_value());
  EXPECT_EQ(D("18446744073709551615").ToUInt64(), UINT64_MAX);
  EXPECT_FALSE(D("-1").ToUInt64().has_value());
  EXPECT_TRUE(D("12.00").is_integer());
  EXPECT_FALSE(D("0.01").is_integer());
  EXPECT_TRUE(D("32767").FitsInteger(16, false));
  EXPECT_FALSE(D("32768").FitsInteger(16, false));
  EXPECT_TRUE(D("-32768").FitsInteger(16, false));
  EXPECT_FALSE(D("-32769").FitsInteger(16, false));
  EXPECT_TRUE(D("255").FitsInteger(8, true));
  EXPECT_FALSE(D("256").FitsInteger(8, true));
}

TEST(ExactDecimalTest, FromDoubleIsTheShortestRoundTrip) {
  EXPECT_EQ(ExactDecimal::FromDouble(0.1)->ToString(), "0.1");
  EXPECT_EQ(ExactDecimal::FromDouble(12.0)->ToString(), "12");
  EXPECT_EQ(ExactDecimal::FromDouble(-2.5)->ToString(), "-2.5");
  EXPECT_EQ(ExactDecimal::FromDouble(1e20)->ToString(), "100000000000000000000");
  EXPECT_FALSE(ExactDecimal::FromDouble(std::nan("")).has_value());
}

}  // namespace
}  // namespace deltabridge

namespace deltabridge {
namespace {

// Scaled int64 text: 12345 at scale 2 is "123.45".
std::string ScaledText(int64_t unscaled, int scale) {
  std::string digits = std::to_string(unscaled < 0 ? -unscaled : unscaled);
  if (static_cast<int>(digits.size()) <= scale) {
    digits.insert(0, static_cast<size_t>(scale + 1 - static_cast<int>(digits.size())), '0');
  }
  if (scale > 0) digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  return (unscaled < 0 ? "-" : "") + digits;
}

// Against int64 arithmetic on values scaled to a common scale.
TEST(ExactDecimalTest, AgreesWithScaledIntegerArithmetic) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> value(-1'000'000'000'000'000, 1'000'000'000'000'000);
  std::uniform_int_distribution<int> scale(0, 2);
  for (int i = 0; i < 5000; ++i) {
    int sa = scale(rng), sb = scale(rng);
    int64_t a = value(rng), b = value(rng);
    int s = std::max(sa, sb);
    int64_t a_at_s = a, b_at_s = b;
    for (int k = sa; k < s; ++k) a_at_s *= 10;
    for (int k = sb; k < s; ++k) b_at_s *= 10;
    ExactDecimal x = *ExactDecimal::Parse(ScaledText(a, sa));
    ExactDecimal y = *ExactDecimal::Parse(ScaledText(b, sb));
    ASSERT_EQ((x + y).ToString(), ScaledText(a_at_s + b_at_s, s))
        << x.ToString() << " + " << y.ToString();
    ASSERT_EQ((x - y).ToString(), ScaledText(a_at_s - b_at_s, s))
        << x.ToString() << " - " << y.ToString();
    ASSERT_EQ(ExactDecimal::Compare(x, y), a_at_s < b_at_s ? -1 : (a_at_s > b_at_s ? 1 : 0));
  }
}

}  // namespace
}  // namespace deltabridge
