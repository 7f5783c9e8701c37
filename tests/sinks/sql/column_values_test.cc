// Unit tests of sinks/sql/column_values.h: wire -> typed per column category
// (and the errors), SQL text -> typed per dialect, typed -> SQL parameter,
// and the row key text.
#include "sinks/sql/column_values.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mappings/rules/value_compare.h"

namespace deltabridge {
namespace {

using K = Value::Kind;

TargetColumnInfo Column(ColumnCategory category, std::string sql_type, std::string name = "c") {
  TargetColumnInfo c;
  c.name = std::move(name);
  c.sql_type = std::move(sql_type);
  c.category = category;
  return c;
}

Value Text(std::string s) { return Value::Textual(K::kText, std::move(s), "text"); }

// WireToTyped that must work.
Value Typed(const TargetColumnInfo& column, const Value& wire) {
  Result<Value> v = WireToTyped(column, wire);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : Value::Null();
}

// WireToTyped that must fail; returns the message.
std::string TypedError(const TargetColumnInfo& column, const Value& wire) {
  Result<Value> v = WireToTyped(column, wire);
  EXPECT_FALSE(v.ok()) << "got kind " << static_cast<int>(v->kind) << " " << v->text;
  if (v.ok()) return "";
  EXPECT_EQ(v.status().code(), Status::Code::kInvalidArgument);
  return v.status().message();
}

Value FromSql(const TargetColumnInfo& column, std::optional<std::string> sql, SqlDialect dialect) {
  Result<Value> v = SqlToTyped(column, sql, dialect);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : Value::Null();
}

TEST(WireToTypedTest, NullStaysNullForEveryCategory) {
  for (ColumnCategory c :
       {ColumnCategory::kBool, ColumnCategory::kInteger, ColumnCategory::kDecimal,
        ColumnCategory::kFloat, ColumnCategory::kText, ColumnCategory::kBinary,
        ColumnCategory::kDate, ColumnCategory::kTime, ColumnCategory::kTimestamp,
        ColumnCategory::kTimestampTz, ColumnCategory::kJson, ColumnCategory::kOther}) {
    Value v = Typed(Column(c, "t"), Value::Null());
    EXPECT_TRUE(v.is_null()) << ColumnCategoryName(c);
    EXPECT_EQ(v.sql_type, "t");
  }
}

TEST(WireToTypedTest, Bool) {
  const TargetColumnInfo col = Column(ColumnCategory::kBool, "tinyint(1)", "flag");
  Value v = Typed(col, Value::Bool(true));
  EXPECT_EQ(v.kind, K::kBool);
  EXPECT_TRUE(v.b);
  EXPECT_EQ(v.sql_type, "tinyint(1)");
  EXPECT_FALSE(Typed(col, Value::Int(0)).b);
  EXPECT_TRUE(Typed(col, Value::Int(1)).b);
  EXPECT_TRUE(Typed(col, Text("t")).b);
  EXPECT_FALSE(Typed(col, Text("false")).b);
  std::string error = TypedError(col, Value::Int(2));
  EXPECT_NE(error.find("column flag (tinyint(1)): expected a boolean"), std::string::npos) << error;
  EXPECT_NE(TypedError(col, Text("maybe")).find("'maybe'"), std::string::npos);
  TypedError(col, Value::Float(1.0));
}

TEST(WireToTypedTest, Integer) {
  const TargetColumnInfo col = Column(ColumnCategory::kInteger, "bigint", "n");
  EXPECT_EQ(Typed(col, Value::Int(-5)).i, -5);
  EXPECT_EQ(Typed(col, Value::Int(-5)).kind, K::kInt);
  Value u = Typed(col, Value::UInt(18446744073709551615ull));
  EXPECT_EQ(u.kind, K::kUInt);
  EXPECT_EQ(u.u, 18446744073709551615ull);
  EXPECT_EQ(Typed(col, Value::Bool(true)).i, 1);
  EXPECT_EQ(Typed(col, Value::Float(3.0)).i, 3);
  // Beyond 2^53 the wire carries a digit string.
  Value big = Typed(col, Text("9007199254740993"));
  EXPECT_EQ(big.kind, K::kInt);
  EXPECT_EQ(big.i, 9007199254740993);
  EXPECT_EQ(Typed(col, Text("-9223372036854775808")).i, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Typed(col, Text("18446744073709551615")).kind, K::kUInt);
  EXPECT_EQ(Typed(col, Value::Textual(K::kDecimal, "12", "numeric")).i, 12);

  EXPECT_NE(TypedError(col, Value::Float(3.5)).find("column n (bigint): expected an integer"),
            std::string::npos);
  TypedError(col, Value::Float(std::nan("")));
  TypedError(col, Text("abc"));
  TypedError(col, Text("12.5"));
  TypedError(col, Text("18446744073709551616"));  // 2^64
  TypedError(col, Text(""));
  TypedError(col, Value::Textual(K::kDate, "2026-01-01", "date"));
}

TEST(WireToTypedTest, Decimal) {
  const TargetColumnInfo col = Column(ColumnCategory::kDecimal, "decimal(30,10)", "amount");
  Value v = Typed(col, Text("12345678901234567890.000000001"));
  EXPECT_EQ(v.kind, K::kDecimal);
  EXPECT_EQ(v.text, "12345678901234567890.000000001");
  EXPECT_EQ(Typed(col, Value::Textual(K::kDecimal, "-0.5", "numeric")).text, "-0.5");
  EXPECT_EQ(Typed(col, Value::Int(5)).text, "5");
  EXPECT_EQ(Typed(col, Value::UInt(18446744073709551615ull)).text, "18446744073709551615");
  EXPECT_EQ(Typed(col, Value::Float(0.5)).text, "0.5");
  EXPECT_EQ(Typed(col, Value::Float(std::nan(""))).text, "NaN");
  EXPECT_EQ(Typed(col, Text("1e5")).text, "1e5");
  EXPECT_EQ(Typed(col, Text("NaN")).text, "NaN");
  EXPECT_NE(TypedError(col, Text("abc")).find("expected a decimal number"), std::string::npos);
  TypedError(col, Text("1.2.3"));
  TypedError(col, Text(""));
  TypedError(col, Value::Bool(true));
}

TEST(WireToTypedTest, Float) {
  const TargetColumnInfo col = Column(ColumnCategory::kFloat, "double");
  EXPECT_EQ(Typed(col, Value::Float(0.1)).d, 0.1);
  EXPECT_EQ(Typed(col, Value::Int(-3)).d, -3.0);
  EXPECT_EQ(Typed(col, Value::UInt(1ull << 60)).d, static_cast<double>(1ull << 60));
  EXPECT_EQ(Typed(col, Text("0.30000000000000004")).d, 0.30000000000000004);
  EXPECT_TRUE(std::isnan(Typed(col, Text("NaN")).d));
  EXPECT_EQ(Typed(col, Text("Infinity")).d, HUGE_VAL);
  EXPECT_EQ(Typed(col, Text("-Infinity")).d, -HUGE_VAL);
  EXPECT_EQ(Typed(col, Value::Textual(K::kDecimal, "1.5", "numeric")).d, 1.5);
  EXPECT_NE(TypedError(col, Text("x")).find("expected a floating-point number"), std::string::npos);
  TypedError(col, Text("1.5x"));
  TypedError(col, Value::Bool(false));
}

TEST(WireToTypedTest, TextTakesAnyScalarAsItsText) {
  const TargetColumnInfo col = Column(ColumnCategory::kText, "varchar(20)");
  Value v = Typed(col, Text("héllo 😀"));
  EXPECT_EQ(v.kind, K::kText);
  EXPECT_EQ(v.text, "héllo 😀");
  EXPECT_EQ(Typed(col, Value::Int(42)).text, "42");
  EXPECT_EQ(Typed(col, Value::UInt(18446744073709551615ull)).text, "18446744073709551615");
  EXPECT_EQ(Typed(col, Value::Bool(true)).text, "true");
  EXPECT_EQ(Typed(col, Value::Float(0.5)).text, "0.5");
  EXPECT_EQ(Typed(col, Value::Textual(K::kDecimal, "1.50", "numeric")).text, "1.50");
  EXPECT_EQ(Typed(col, Value::Textual(K::kDate, "2026-01-01", "date")).text, "2026-01-01");
}

TEST(WireToTypedTest, BinaryDecodesBase64) {
  const TargetColumnInfo col = Column(ColumnCategory::kBinary, "blob", "bin");
  Value v = Typed(col, Text("AAH/"));
  EXPECT_EQ(v.kind, K::kBinary);
  EXPECT_EQ(v.text, std::string("\x00\x01\xff", 3));
  EXPECT_EQ(Typed(col, Text("")).text, "");
  EXPECT_EQ(Typed(col, Value::Textual(K::kBinary, std::string("\x00", 1), "bytea")).text,
            std::string("\x00", 1));
  EXPECT_NE(TypedError(col, Text("!!not base64")).find("base64"), std::string::npos);
  TypedError(col, Value::Int(1));
}

TEST(WireToTypedTest, DatesAndTimes) {
  const TargetColumnInfo date = Column(ColumnCategory::kDate, "date");
  EXPECT_EQ(Typed(date, Text("2026-11-27")).kind, K::kDate);
  EXPECT_EQ(Typed(date, Text("2026-11-27")).text, "2026-11-27");
  EXPECT_NE(TypedError(date, Value::Int(20261127)).find("expected a date"), std::string::npos);

  const TargetColumnInfo time = Column(ColumnCategory::kTime, "time(6)");
  EXPECT_EQ(Typed(time, Text("10:11:12.5")).kind, K::kTime);
  EXPECT_EQ(Typed(time, Text("10:11:12.5")).text, "10:11:12.5");
  TypedError(time, Value::Float(1.5));

  const TargetColumnInfo ts = Column(ColumnCategory::kTimestamp, "datetime(6)");
  Value t = Typed(ts, Text("2026-11-27 10:11:12.5"));
  EXPECT_EQ(t.kind, K::kTimestamp);
  EXPECT_EQ(t.text, "2026-11-27T10:11:12.5");
  EXPECT_EQ(Typed(ts, Value::Textual(K::kTimestamp, "2026-11-27T10:11:12", "timestamp")).text,
            "2026-11-27T10:11:12");
  // A timestamp with a zone: the UTC wall time, as the column reads back.
  EXPECT_EQ(
      Typed(ts, Value::Textual(K::kTimestampTz, "2026-11-27T10:11:12.5Z", "timestamptz")).text,
      "2026-11-27T10:11:12.5");
  EXPECT_EQ(Typed(ts, Text("2026-11-27 10:11:12+00")).text, "2026-11-27T10:11:12");
  EXPECT_EQ(Typed(ts, Text("2026-11-27T10:11:12+02:00")).text, "2026-11-27T08:11:12.000000");
  TypedError(ts, Value::Int(0));

  const TargetColumnInfo tz = Column(ColumnCategory::kTimestampTz, "timestamptz");
  EXPECT_EQ(Typed(tz, Value::Textual(K::kTimestampTz, "2026-11-27T10:11:12Z", "timestamptz")).text,
            "2026-11-27T10:11:12Z");
  EXPECT_EQ(Typed(tz, Text("2026-11-27 10:11:12+00")).text, "2026-11-27T10:11:12Z");
  EXPECT_EQ(Typed(tz, Text("2026-11-27T10:11:12.25+00:00")).text, "2026-11-27T10:11:12.25Z");
  // Another offset: the same instant in UTC.
  EXPECT_EQ(Typed(tz, Text("2026-11-27T10:11:12.5+02:00")).text, "2026-11-27T08:11:12.500000Z");
  // Without an offset: taken as UTC.
  EXPECT_EQ(Typed(tz, Text("2026-11-27 10:11:12")).text, "2026-11-27T10:11:12Z");
  EXPECT_EQ(Typed(tz, Text("2026-11-27 10:11:12")).kind, K::kTimestampTz);
  EXPECT_NE(TypedError(tz, Value::Bool(true)).find("expected a timestamp"), std::string::npos);
}

TEST(WireToTypedTest, JsonAndOther) {
  const TargetColumnInfo json = Column(ColumnCategory::kJson, "json");
  Value j = Typed(json, Text("{\"a\": [1, 2]}"));
  EXPECT_EQ(j.kind, K::kJson);
  EXPECT_EQ(j.text, "{\"a\": [1, 2]}");
  EXPECT_EQ(Typed(json, Value::Textual(K::kOther, "[1,2]", "")).text, "[1,2]");
  EXPECT_EQ(Typed(json, Value::Int(5)).text, "5");
  EXPECT_EQ(Typed(json, Value::Bool(false)).text, "false");

  const TargetColumnInfo other = Column(ColumnCategory::kOther, "uuid");
  Value o = Typed(other, Text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
  EXPECT_EQ(o.kind, K::kOther);
  EXPECT_EQ(o.text, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(Typed(other, Value::Int(7)).text, "7");
}

TEST(SqlToTypedTest, NullAndScalars) {
  const TargetColumnInfo flag = Column(ColumnCategory::kBool, "bool");
  EXPECT_TRUE(FromSql(flag, std::nullopt, SqlDialect::kPostgres).is_null());
  EXPECT_TRUE(FromSql(flag, "t", SqlDialect::kPostgres).b);
  EXPECT_FALSE(FromSql(flag, "f", SqlDialect::kPostgres).b);
  EXPECT_TRUE(FromSql(flag, "1", SqlDialect::kMysql).b);
  EXPECT_FALSE(FromSql(flag, "0", SqlDialect::kSqlite).b);
  Result<Value> bad = SqlToTyped(flag, std::string("2"), SqlDialect::kMysql);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("does not read as a boolean"), std::string::npos);

  const TargetColumnInfo n = Column(ColumnCategory::kInteger, "bigint unsigned");
  EXPECT_EQ(FromSql(n, "-42", SqlDialect::kMysql).i, -42);
  EXPECT_EQ(FromSql(n, "18446744073709551615", SqlDialect::kMysql).kind, K::kUInt);
  EXPECT_FALSE(SqlToTyped(n, std::string("abc"), SqlDialect::kPostgres).ok());
  // SQLite holds anything in any column: kept as text, not an error.
  Value loose = FromSql(n, "abc", SqlDialect::kSqlite);
  EXPECT_EQ(loose.kind, K::kText);
  EXPECT_EQ(loose.text, "abc");

  const TargetColumnInfo f = Column(ColumnCategory::kFloat, "double");
  EXPECT_EQ(FromSql(f, "0.1", SqlDialect::kMysql).d, 0.1);
  EXPECT_EQ(FromSql(f, "1e+38", SqlDialect::kMysql).d, 1e38);
  EXPECT_TRUE(std::isnan(FromSql(f, "NaN", SqlDialect::kPostgres).d));
  EXPECT_EQ(FromSql(f, "-Infinity", SqlDialect::kPostgres).d, -HUGE_VAL);
  EXPECT_FALSE(SqlToTyped(f, std::string("x"), SqlDialect::kPostgres).ok());
  EXPECT_EQ(FromSql(f, "x", SqlDialect::kSqlite).kind, K::kText);

  EXPECT_EQ(
      FromSql(Column(ColumnCategory::kDecimal, "numeric"), "1.50", SqlDialect::kPostgres).text,
      "1.50");
  Value bin = FromSql(Column(ColumnCategory::kBinary, "bytea"), std::string("\x00\xff", 2),
                      SqlDialect::kPostgres);
  EXPECT_EQ(bin.kind, K::kBinary);
  EXPECT_EQ(bin.text, std::string("\x00\xff", 2));
  EXPECT_EQ(FromSql(Column(ColumnCategory::kJson, "json"), "{}", SqlDialect::kMysql).kind,
            K::kJson);
}

TEST(SqlToTypedTest, PostgresTimestampTzBecomesUtcZ) {
  const TargetColumnInfo tz = Column(ColumnCategory::kTimestampTz, "timestamptz");
  EXPECT_EQ(FromSql(tz, "2026-01-01 10:00:00+00", SqlDialect::kPostgres).text,
            "2026-01-01T10:00:00Z");
  EXPECT_EQ(FromSql(tz, "2026-01-01 10:00:00.123456+00", SqlDialect::kPostgres).text,
            "2026-01-01T10:00:00.123456Z");
  EXPECT_EQ(FromSql(tz, "2026-01-01 10:00:00+00:00", SqlDialect::kGeneric).text,
            "2026-01-01T10:00:00Z");
  EXPECT_EQ(FromSql(tz, "2026-01-01 10:00:00.5+05:30", SqlDialect::kPostgres).text,
            "2026-01-01T04:30:00.500000Z");
  // Text that is not such a timestamp is kept.
  EXPECT_EQ(FromSql(tz, "infinity", SqlDialect::kPostgres).text, "infinity");
  // Whatever the form, it is the wire's instant.
  EXPECT_TRUE(SemanticEqual(FromSql(tz, "2026-01-01 12:00:00+02", SqlDialect::kPostgres),
                            Value::Textual(K::kTimestampTz, "2026-01-01T10:00:00Z", "")));
}

TEST(SqlToTypedTest, MysqlDropsTrailingZeroFractions) {
  const TargetColumnInfo dt = Column(ColumnCategory::kTimestamp, "datetime(6)");
  EXPECT_EQ(FromSql(dt, "2026-01-01 10:00:00.500000", SqlDialect::kMysql).text,
            "2026-01-01T10:00:00.5");
  EXPECT_EQ(FromSql(dt, "2026-01-01 10:00:00.000000", SqlDialect::kMysql).text,
            "2026-01-01T10:00:00");
  EXPECT_EQ(FromSql(dt, "2026-01-01 10:00:00", SqlDialect::kMysql).text, "2026-01-01T10:00:00");
  EXPECT_EQ(FromSql(dt, "2026-01-01 10:00:00.123456", SqlDialect::kMysql).text,
            "2026-01-01T10:00:00.123456");
  // PostgreSQL never pads: its text is kept.
  EXPECT_EQ(FromSql(dt, "2026-01-01 10:00:00.5", SqlDialect::kPostgres).text,
            "2026-01-01T10:00:00.5");

  const TargetColumnInfo ts = Column(ColumnCategory::kTimestampTz, "timestamp(6)");
  EXPECT_EQ(FromSql(ts, "2026-01-01 10:00:00.120000", SqlDialect::kMysql).text,
            "2026-01-01T10:00:00.12Z");
  EXPECT_EQ(FromSql(ts, "2026-01-01 10:00:00", SqlDialect::kMysql).text, "2026-01-01T10:00:00Z");

  // TIME(6) as the wire writes it: "10:00:00.5", never "10:00:00.500000".
  const TargetColumnInfo t = Column(ColumnCategory::kTime, "time(6)");
  EXPECT_EQ(FromSql(t, "10:00:00.500000", SqlDialect::kMysql).text, "10:00:00.5");
  EXPECT_EQ(FromSql(t, "10:00:00.000000", SqlDialect::kMysql).text, "10:00:00");
  EXPECT_EQ(FromSql(t, "23:59:59.999999", SqlDialect::kMysql).text, "23:59:59.999999");
  EXPECT_EQ(FromSql(t, "838:59:59.100000", SqlDialect::kMysql).text, "838:59:59.1");
  EXPECT_EQ(FromSql(t, "10:00:00", SqlDialect::kMysql).text, "10:00:00");
}

TEST(TypedToSqlTest, MysqlTimestampsLoseTheTAndTheZ) {
  const TargetColumnInfo ts = Column(ColumnCategory::kTimestampTz, "timestamp(6)");
  SqlParam p = TypedToSql(ts, Value::Textual(K::kTimestampTz, "2026-01-01T10:00:00.5Z", ""),
                          SqlDialect::kMysql);
  EXPECT_EQ(p.kind, SqlParam::Kind::kText);
  EXPECT_EQ(p.data, "2026-01-01 10:00:00.5");
  const TargetColumnInfo dt = Column(ColumnCategory::kTimestamp, "datetime(6)");
  EXPECT_EQ(
      TypedToSql(dt, Value::Textual(K::kTimestamp, "2026-01-01T10:00:00", ""), SqlDialect::kMysql)
          .data,
      "2026-01-01 10:00:00");
  // A timestamptz wire value in a DATETIME column: the UTC wall time.
  EXPECT_EQ(
      TypedToSql(dt, Value::Textual(K::kTimestamp, "2026-01-01T10:00:00Z", ""), SqlDialect::kMysql)
          .data,
      "2026-01-01 10:00:00");
  // Other dialects take ISO text as it is.
  EXPECT_EQ(TypedToSql(ts, Value::Textual(K::kTimestampTz, "2026-01-01T10:00:00.5Z", ""),
                       SqlDialect::kPostgres)
                .data,
            "2026-01-01T10:00:00.5Z");
  EXPECT_EQ(TypedToSql(ts, Value::Textual(K::kTimestampTz, "2026-01-01T10:00:00Z", ""),
                       SqlDialect::kSqlite)
                .data,
            "2026-01-01T10:00:00Z");
}

TEST(TypedToSqlTest, Scalars) {
  const TargetColumnInfo any = Column(ColumnCategory::kText, "text");
  EXPECT_EQ(TypedToSql(any, Value::Null(), SqlDialect::kPostgres).kind, SqlParam::Kind::kNull);
  EXPECT_EQ(TypedToSql(any, Value::Bool(true), SqlDialect::kPostgres).data, "t");
  EXPECT_EQ(TypedToSql(any, Value::Bool(false), SqlDialect::kPostgres).data, "f");
  EXPECT_EQ(TypedToSql(any, Value::Bool(true), SqlDialect::kMysql).data, "1");
  EXPECT_EQ(TypedToSql(any, Value::Bool(false), SqlDialect::kSqlite).data, "0");
  EXPECT_EQ(
      TypedToSql(any, Value::Int(std::numeric_limits<int64_t>::min()), SqlDialect::kMysql).data,
      "-9223372036854775808");
  EXPECT_EQ(TypedToSql(any, Value::UInt(18446744073709551615ull), SqlDialect::kMysql).data,
            "18446744073709551615");
  // Floats: enough digits to read back as the same double.
  for (double d : {0.1, 0.30000000000000004, 1.7976931348623157e308, -1.234e-7, 5e-324}) {
    SqlParam p = TypedToSql(any, Value::Float(d), SqlDialect::kMysql);
    EXPECT_EQ(std::strtod(p.data.c_str(), nullptr), d) << p.data;
  }
  EXPECT_EQ(TypedToSql(any, Value::Float(std::nan("")), SqlDialect::kPostgres).data, "NaN");
  EXPECT_EQ(TypedToSql(any, Value::Float(HUGE_VAL), SqlDialect::kPostgres).data, "Infinity");
  EXPECT_EQ(TypedToSql(any, Value::Float(-HUGE_VAL), SqlDialect::kPostgres).data, "-Infinity");
  SqlParam bin =
      TypedToSql(Column(ColumnCategory::kBinary, "blob"),
                 Value::Textual(K::kBinary, std::string("\x00\x01", 2), ""), SqlDialect::kMysql);
  EXPECT_EQ(bin.kind, SqlParam::Kind::kBinary);
  EXPECT_EQ(bin.data, std::string("\x00\x01", 2));
  EXPECT_EQ(TypedToSql(any, Value::Textual(K::kDecimal, "1.50", ""), SqlDialect::kMysql).data,
            "1.50");
  EXPECT_EQ(TypedToSql(any, Value::Textual(K::kTime, "10:00:00.5", ""), SqlDialect::kMysql).data,
            "10:00:00.5");
}

TEST(RowKeyTextTest, KeysInTheirWireForm) {
  EXPECT_EQ(RowKeyText({Value::Int(42)}), "[42]");
  // Decimals name one key whatever their scale.
  EXPECT_EQ(RowKeyText({Value::Textual(K::kDecimal, "1.50", "numeric(10,2)")}), "[\"1.5\"]");
  EXPECT_EQ(RowKeyText({Value::Textual(K::kDecimal, "1.5", "numeric")}), "[\"1.5\"]");
  EXPECT_EQ(RowKeyText({Value::Textual(K::kDecimal, "10.000", "numeric")}), "[\"10\"]");
  EXPECT_EQ(RowKeyText({Value::Textual(K::kDecimal, "100", "numeric")}), "[\"100\"]");
  EXPECT_EQ(RowKeyText({Value::Textual(K::kDecimal, "-0.00", "numeric")}), "[\"0\"]");
  EXPECT_EQ(RowKeyText({Value::Textual(K::kText, "A-7", ""), Value::Int(3)}), "[\"A-7\",3]");
  EXPECT_EQ(RowKeyText({Value::Textual(K::kText, "a\"b\\c", "")}), "[\"a\\\"b\\\\c\"]");
  EXPECT_EQ(RowKeyText({}), "[]");
  EXPECT_EQ(RowKeyText({Value::Int(9007199254740992)}), "[9007199254740992]");
  // Beyond 2^53 integers are digit strings, as on the wire.
  EXPECT_EQ(RowKeyText({Value::Int(9007199254740993)}), "[\"9007199254740993\"]");
  EXPECT_EQ(RowKeyText({Value::UInt(18446744073709551615ull), Value::Int(-9007199254740993)}),
            "[\"18446744073709551615\",\"-9007199254740993\"]");
  EXPECT_EQ(RowKeyText({Value::Textual(K::kDate, "2026-01-01", ""), Value::Bool(true)}),
            "[\"2026-01-01\",true]");
}

TEST(RowKeyTextTest, AKeyFromTheWireMeetsTheSameKeyReadBack) {
  const TargetColumnInfo big = Column(ColumnCategory::kInteger, "bigint");
  const TargetColumnInfo name = Column(ColumnCategory::kText, "varchar(10)");
  const TargetColumnInfo day = Column(ColumnCategory::kTimestamp, "datetime(6)");
  for (SqlDialect dialect : {SqlDialect::kPostgres, SqlDialect::kMysql, SqlDialect::kSqlite}) {
    std::vector<Value> wire = {Typed(big, Text("9007199254740993")), Typed(name, Text("x")),
                               Typed(big, Value::Int(-1))};
    std::vector<Value> back = {FromSql(big, "9007199254740993", dialect),
                               FromSql(name, "x", dialect), FromSql(big, "-1", dialect)};
    EXPECT_EQ(RowKeyText(wire), RowKeyText(back)) << SqlDialectName(dialect);
  }
  // A DATETIME key: the wire's form and MySQL's padded one meet, also when
  // the source column had a time zone.
  EXPECT_EQ(RowKeyText({Typed(day, Value::Textual(K::kTimestamp, "2026-01-01T10:00:00.5", ""))}),
            RowKeyText({FromSql(day, "2026-01-01 10:00:00.500000", SqlDialect::kMysql)}));
  EXPECT_EQ(RowKeyText({Typed(day, Value::Textual(K::kTimestampTz, "2026-01-01T10:00:00.5Z", ""))}),
            RowKeyText({FromSql(day, "2026-01-01 10:00:00.500000", SqlDialect::kMysql)}));
  EXPECT_EQ(RowKeyText({Typed(day, Value::Textual(K::kTimestampTz, "2026-01-01T10:00:00Z", ""))}),
            RowKeyText({FromSql(day, "2026-01-01 10:00:00", SqlDialect::kPostgres)}));
  // TIMESTAMP (with zone) keys: MySQL's text and the wire's meet.
  const TargetColumnInfo stamp = Column(ColumnCategory::kTimestampTz, "timestamp(6)");
  EXPECT_EQ(
      RowKeyText({Typed(stamp, Value::Textual(K::kTimestampTz, "2026-01-01T10:00:00.25Z", ""))}),
      RowKeyText({FromSql(stamp, "2026-01-01 10:00:00.250000", SqlDialect::kMysql)}));
  EXPECT_EQ(RowKeyText({Typed(stamp, Value::Textual(K::kTimestampTz, "2026-01-01T10:00:00Z", ""))}),
            RowKeyText({FromSql(stamp, "2026-01-01 10:00:00+00", SqlDialect::kPostgres)}));
}

TEST(ValueJsonTest, WireEncoding) {
  EXPECT_EQ(ValueJson(Value::Null()), "null");
  EXPECT_EQ(ValueJson(Value::Textual(K::kText, "a", "")), "\"a\"");
  EXPECT_EQ(ValueJson(Value::Textual(K::kBinary, std::string("\x00\x01\xff", 3), "")), "\"AAH/\"");
  EXPECT_EQ(ValueJson(Value::Int(9007199254740993)), "\"9007199254740993\"");
}

}  // namespace
}  // namespace deltabridge
