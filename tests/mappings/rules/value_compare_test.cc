#include "mappings/rules/value_compare.h"

#include <gtest/gtest.h>

#include <cmath>

namespace deltabridge {
namespace {

using Kind = Value::Kind;

Value Text(std::string s, std::string type = "") {
  return Value::Textual(Kind::kText, std::move(s), std::move(type));
}

TEST(ValueCompareTest, NumbersCompareExactlyAcrossKinds) {
  EXPECT_TRUE(SemanticEqual(Value::Int(12), Text("12")));
  EXPECT_TRUE(SemanticEqual(Value::Int(12), Value::Float(12.0)));
  EXPECT_TRUE(SemanticEqual(Text("12.00"), Value::Float(12.0)));
  EXPECT_TRUE(SemanticEqual(Text("12.50"), Value::Textual(Kind::kDecimal, "12.5", "numeric")));
  EXPECT_TRUE(SemanticEqual(Value::Float(0.1), Text("0.1")));
  EXPECT_TRUE(SemanticEqual(Value::UInt(18446744073709551615u), Text("18446744073709551615")));
  EXPECT_FALSE(SemanticEqual(Value::Int(12), Text("12.01")));
  EXPECT_EQ(SemanticCompare(Text("10"), Text("9")), 1);  // numerically, not bytewise
  EXPECT_EQ(SemanticCompare(Value::Int(-3), Text("-2.5")), -1);
  EXPECT_EQ(SemanticCompare(Text("12345678901234567890.000000002"),
                            Text("12345678901234567890.000000001")),
            1);
}

TEST(ValueCompareTest, NaNAndInfinities) {
  Value nan = Value::Float(std::nan(""));
  EXPECT_TRUE(SemanticEqual(nan, Text("NaN")));
  EXPECT_EQ(SemanticCompare(nan, Value::Float(HUGE_VAL)), 1);
  EXPECT_EQ(SemanticCompare(Text("-Infinity"), Text("-1e300")), -1);
  EXPECT_EQ(SemanticCompare(Text("Infinity"), Value::Int(INT64_MAX)), 1);
}

TEST(ValueCompareTest, CharacterColumnsCompareAsText) {
  EXPECT_FALSE(SemanticEqual(Text("12.50", "varchar"), Text("12.5")));
  EXPECT_EQ(SemanticCompare(Text("10", "text"), Text("9", "text")), -1);  // bytewise
  EXPECT_TRUE(SemanticEqual(Text("12", "character varying(20)"), Value::Int(12)));
  EXPECT_TRUE(IsCharacterType("VARCHAR(20)"));
  EXPECT_FALSE(IsCharacterType("numeric(10,2)"));
  EXPECT_FALSE(IsCharacterType(""));
}

TEST(ValueCompareTest, Booleans) {
  EXPECT_TRUE(SemanticEqual(Value::Bool(true), Text("t")));
  EXPECT_TRUE(SemanticEqual(Value::Bool(false), Value::Int(0)));
  EXPECT_EQ(SemanticCompare(Value::Bool(true), Value::Bool(false)), 1);
  EXPECT_FALSE(SemanticCompare(Value::Bool(true), Text("maybe")).has_value());
}

TEST(ValueCompareTest, TimestampsCompareAsInstants) {
  EXPECT_TRUE(SemanticEqual(Text("2026-11-27T10:00:00Z"), Text("2026-11-27 10:00:00+00")));
  EXPECT_TRUE(SemanticEqual(Text("2026-11-27T10:00:00Z"), Text("2026-11-27T11:00:00+01:00")));
  // Bytewise 'Z' > '.', but 10:00:00 is before 10:00:00.5.
  EXPECT_EQ(SemanticCompare(Text("2026-11-27T10:00:00Z"), Text("2026-11-27T10:00:00.5Z")), -1);
  EXPECT_EQ(SemanticCompare(Value::Textual(Kind::kTimestampTz, "2026-11-27T10:00:00.000001Z", ""),
                            Text("2026-11-27T10:00:00Z")),
            1);
  EXPECT_EQ(SemanticCompare(Text("2026-11-27"), Text("2026-11-26T23:59:59.999999")), 1);
  std::optional<Instant> epoch = ParseInstant("1970-01-01T00:00:00Z");
  ASSERT_TRUE(epoch.has_value());
  EXPECT_EQ(epoch->seconds, 0);
  std::optional<Instant> t = ParseInstant("2026-11-27T10:00:00.123456Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->seconds, 1795773600);
  EXPECT_EQ(t->nanos, 123456000);
  EXPECT_FALSE(ParseInstant("2026-13-01").has_value());
  EXPECT_FALSE(ParseInstant("tomorrow").has_value());
}

TEST(ValueCompareTest, TextIsBytewiseAndMismatchesAreIncomparable) {
  EXPECT_EQ(SemanticCompare(Text("apple"), Text("banana")), -1);
  EXPECT_EQ(SemanticCompare(Text("Zebra"), Text("apple")), -1);
  EXPECT_EQ(SemanticCompare(Text("abc"), Text("12")), 1);  // only one reads as a number
  EXPECT_FALSE(SemanticCompare(Value::Int(5), Text("abc")).has_value());
  EXPECT_FALSE(SemanticEqual(Value::Int(5), Text("abc")));
}

TEST(ValueCompareTest, Nulls) {
  EXPECT_TRUE(SemanticEqual(Value::Null(), Value::Null("int4")));
  EXPECT_FALSE(SemanticEqual(Value::Null(), Value::Int(0)));
  EXPECT_FALSE(SemanticEqual(Text(""), Value::Null()));
  EXPECT_EQ(SemanticCompare(Value::Null(), Value::Int(-5)), -1);
}

TEST(ValueCompareTest, IntegerTypes) {
  EXPECT_EQ(IntegerTypeOf("int4")->bits, 32);
  EXPECT_EQ(IntegerTypeOf("SMALLINT")->bits, 16);
  EXPECT_TRUE(IntegerTypeOf("bigint unsigned")->is_unsigned);
  EXPECT_EQ(IntegerTypeOf("int(11)")->bits, 32);
  EXPECT_FALSE(IntegerTypeOf("numeric").has_value());
}

TEST(ValueCompareTest, DescribeValue) {
  EXPECT_EQ(DescribeValue(Value::Null()), "NULL");
  EXPECT_EQ(DescribeValue(Value::Int(-3)), "-3");
  EXPECT_EQ(DescribeValue(Value::Float(1.5)), "1.5");
  EXPECT_EQ(DescribeValue(Text("abc")), "'abc'");
  EXPECT_EQ(DescribeValue(Text(std::string(70, 'x'))), "'" + std::string(64, 'x') + "...'");
}

}  // namespace
}  // namespace deltabridge
