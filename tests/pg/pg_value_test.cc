// PgTextToValue: pgoutput text values of every supported type, captured from
// PostgreSQL 15 (golden/values_*.hex, see capture_golden.sh), through
// AppendJsonValue to the JSON of contract section 3; and hand-made edge cases.
#include "cdc/pg/pg_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "cdc/wire/envelope.h"
#include "tests/pg/pgoutput_dump.h"

namespace deltabridge {
namespace {

using Kind = Value::Kind;

std::string KindName(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "Null";
    case Kind::kBool:
      return "Bool";
    case Kind::kInt:
      return "Int";
    case Kind::kUInt:
      return "UInt";
    case Kind::kFloat:
      return "Float";
    case Kind::kDecimal:
      return "Decimal";
    case Kind::kText:
      return "Text";
    case Kind::kBinary:
      return "Binary";
    case Kind::kDate:
      return "Date";
    case Kind::kTime:
      return "Time";
    case Kind::kTimestamp:
      return "Timestamp";
    case Kind::kTimestampTz:
      return "TimestampTz";
    case Kind::kJson:
      return "Json";
    case Kind::kOther:
      return "Other";
  }
  return "?";
}

std::string Json(const Value& v) {
  std::string out;
  AppendJsonValue(&out, v);
  return out;
}

// One line per column of every row of the "vals" table in a values capture:
// "<id> <column> <sql_type> <kind> <json>".
struct ValueLine {
  std::string id, column, json, line;
  Kind kind;
};

std::vector<ValueLine> ConvertCapture(const std::string& capture) {
  const std::vector<std::string> messages = testing::ReadGoldenMessages(capture + ".hex");
  testing::CollectingHandler h;
  testing::DecodeAll(messages, &h);
  std::map<uint32_t, std::string> type_names;
  for (const auto& t : h.All<pgoutput::Type>()) type_names[t.oid] = std::string(t.name);
  const auto rels = h.All<pgoutput::Relation>();
  EXPECT_EQ(rels.size(), 1u);
  if (rels.empty()) return {};
  const pgoutput::Relation& rel = rels[0];

  std::vector<ValueLine> out;
  for (const auto& ins : h.All<pgoutput::Insert>()) {
    EXPECT_EQ(ins.new_tuple.size(), rel.columns.size());
    const std::string id(ins.new_tuple[0].data);
    for (size_t i = 1; i < rel.columns.size() && i < ins.new_tuple.size(); ++i) {
      const pgoutput::RelationColumn& col = rel.columns[i];
      const pgoutput::TupleValue& tv = ins.new_tuple[i];
      auto name = type_names.find(col.type_oid);
      const std::string type_name = name == type_names.end() ? "" : name->second;
      Value v = tv.kind == pgoutput::ValueKind::kNull
                    ? Value::Null(type_name.empty() ? std::string(PgBuiltinTypeName(col.type_oid))
                                                    : type_name)
                    : PgTextToValue(col.type_oid, tv.data, type_name);
      EXPECT_TRUE(tv.kind == pgoutput::ValueKind::kText || tv.kind == pgoutput::ValueKind::kNull);
      ValueLine l{id, std::string(col.name), Json(v), "", v.kind};
      l.line = id + " " + l.column + " " + v.sql_type + " " + KindName(v.kind) + " " + l.json;
      out.push_back(std::move(l));
    }
  }
  return out;
}

TEST(PgValueGoldenTest, EveryTypeToContractJson) {
  const std::vector<ValueLine> lines = ConvertCapture("values_utc");
  ASSERT_EQ(lines.size(), 8u * 30u);  // 8 rows, 30 columns besides id
  std::string actual;
  for (const ValueLine& l : lines) actual += l.line + "\n";
  testing::ExpectMatchesGolden(testing::GoldenDir() + "/values.expected", actual);
}

// The same rows printed by servers in other time zones (Europe/Amsterdam has
// a +00:19:32 offset in 1900, America/St_Johns -03:30 and -03:30:52): every
// value converts to the same JSON, timestamptz included, except BC
// timestamptz values, which are kept as PostgreSQL's (zone-dependent) text.
class PgValueTimeZoneTest : public ::testing::TestWithParam<const char*> {};

TEST_P(PgValueTimeZoneTest, SameJsonAsUtc) {
  const std::vector<ValueLine> utc = ConvertCapture("values_utc");
  const std::vector<ValueLine> other = ConvertCapture(GetParam());
  ASSERT_EQ(utc.size(), other.size());
  int compared_tz = 0;
  for (size_t i = 0; i < utc.size(); ++i) {
    ASSERT_EQ(utc[i].column, other[i].column);
    if (utc[i].column == "c_timestamptz" && utc[i].json.ends_with(" BC\"")) {
      EXPECT_TRUE(other[i].json.ends_with(" BC\"")) << other[i].line;
      EXPECT_NE(utc[i].json, other[i].json) << "the BC text shows the zone";
      continue;
    }
    EXPECT_EQ(utc[i].line, other[i].line);
    if (utc[i].kind == Kind::kTimestampTz) ++compared_tz;
  }
  EXPECT_GE(compared_tz, 6);
}

INSTANTIATE_TEST_SUITE_P(Zones, PgValueTimeZoneTest,
                         ::testing::Values("values_amsterdam", "values_st_johns"),
                         [](const auto& info) { return std::string(info.param); });

// ---------------------------------------------------------------------------
// Hand-made cases.

constexpr uint32_t kInt2 = 21, kInt4 = 23, kInt8 = 20, kOid = 26, kNumeric = 1700, kFloat4 = 700,
                   kFloat8 = 701, kBool = 16, kText = 25, kBpchar = 1042, kBytea = 17, kDate = 1082,
                   kTime = 1083, kTimetz = 1266, kTimestamp = 1114, kTimestampTz = 1184,
                   kInterval = 1186, kJson = 114, kJsonb = 3802, kUuid = 2950, kInt4Array = 1007;

std::string J(uint32_t oid, std::string_view text, std::string_view type_name = {}) {
  return Json(PgTextToValue(oid, text, type_name));
}

TEST(PgValueTest, BuiltinTypeNames) {
  EXPECT_EQ(PgBuiltinTypeName(16), "bool");
  EXPECT_EQ(PgBuiltinTypeName(23), "int4");
  EXPECT_EQ(PgBuiltinTypeName(1007), "_int4");
  EXPECT_EQ(PgBuiltinTypeName(1184), "timestamptz");
  EXPECT_EQ(PgBuiltinTypeName(3802), "jsonb");
  EXPECT_EQ(PgBuiltinTypeName(18), "char");
  EXPECT_EQ(PgBuiltinTypeName(0), "");
  EXPECT_EQ(PgBuiltinTypeName(22), "");  // int2vector: not user-facing
  EXPECT_EQ(PgBuiltinTypeName(16385), "");
}

TEST(PgValueTest, SqlTypeFromNameOrOid) {
  EXPECT_EQ(PgTextToValue(kInt4, "1").sql_type, "int4");
  EXPECT_EQ(PgTextToValue(kInt4, "1", "posint_base").sql_type, "posint_base");
  Value e = PgTextToValue(16390, "happy", "mood");
  EXPECT_EQ(e.kind, Kind::kOther);
  EXPECT_EQ(e.sql_type, "mood");
  EXPECT_EQ(e.text, "happy");
  Value unknown = PgTextToValue(16391, "(1,2)");
  EXPECT_EQ(unknown.kind, Kind::kOther);
  EXPECT_EQ(unknown.sql_type, "");
  EXPECT_EQ(PgTextToValue(16392, "{a,b}", "_mood").kind, Kind::kOther);
  EXPECT_EQ(PgTextToValue(kInt4Array, "{1,2}").sql_type, "_int4");
  // A domain over int4: its own OID, its base type's name (see pg_value.h).
  Value domain = PgTextToValue(16400, "5", "int4");
  EXPECT_EQ(domain.kind, Kind::kInt);
  EXPECT_EQ(domain.i, 5);
  EXPECT_EQ(domain.sql_type, "int4");
  EXPECT_EQ(PgTextToValue(16400, "t", "bool").kind, Kind::kBool);
  EXPECT_EQ(PgTextToValue(16400, "x", "public.text").kind, Kind::kOther);
}

TEST(PgValueTest, Integers) {
  EXPECT_EQ(J(kInt2, "-32768"), "-32768");
  EXPECT_EQ(J(kInt4, "2147483647"), "2147483647");
  EXPECT_EQ(J(kInt8, "9007199254740992"), "9007199254740992");
  EXPECT_EQ(J(kInt8, "9007199254740993"), "\"9007199254740993\"");
  EXPECT_EQ(J(kInt8, "-9223372036854775808"), "\"-9223372036854775808\"");
  EXPECT_EQ(J(kOid, "4294967295"), "4294967295");
  // Not an integer: kept as text rather than lost.
  Value bad = PgTextToValue(kInt8, "12x");
  EXPECT_EQ(bad.kind, Kind::kOther);
  EXPECT_EQ(bad.text, "12x");
  EXPECT_EQ(PgTextToValue(kInt8, "99999999999999999999").kind, Kind::kOther);
  EXPECT_EQ(PgTextToValue(kInt4, "").kind, Kind::kOther);
}

TEST(PgValueTest, NumericAndFloats) {
  EXPECT_EQ(J(kNumeric, "12345678901234567890.000000001"), "\"12345678901234567890.000000001\"");
  EXPECT_EQ(J(kNumeric, "NaN"), "\"NaN\"");
  EXPECT_EQ(J(kNumeric, "-Infinity"), "\"-Infinity\"");
  EXPECT_EQ(PgTextToValue(kNumeric, "1.50").kind, Kind::kDecimal);
  EXPECT_EQ(J(kFloat8, "0.1"), "0.1");
  EXPECT_EQ(J(kFloat8, "-0"), "-0");
  EXPECT_EQ(J(kFloat8, "1e+300"), "1e+300");
  EXPECT_EQ(J(kFloat8, "5e-324"), "5e-324");
  EXPECT_EQ(J(kFloat4, "3.4028235e+38"), "3.4028235e+38");
  EXPECT_EQ(J(kFloat4, "NaN"), "\"NaN\"");
  EXPECT_EQ(J(kFloat8, "Infinity"), "\"Infinity\"");
  EXPECT_EQ(J(kFloat8, "-Infinity"), "\"-Infinity\"");
  EXPECT_TRUE(std::isnan(PgTextToValue(kFloat8, "NaN").d));
  EXPECT_EQ(PgTextToValue(kFloat8, "1e999").kind, Kind::kOther);  // not what PG prints
  EXPECT_EQ(PgTextToValue(kFloat8, "inf").kind, Kind::kOther);
}

TEST(PgValueTest, BoolTextAndJson) {
  EXPECT_EQ(J(kBool, "t"), "true");
  EXPECT_EQ(J(kBool, "f"), "false");
  EXPECT_EQ(PgTextToValue(kBool, "yes").kind, Kind::kOther);
  EXPECT_EQ(J(kText, "a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(J(kBpchar, "ab   "), "\"ab   \"");
  EXPECT_EQ(J(kJson, "{\"a\": 1}"), "\"{\\\"a\\\": 1}\"");
  EXPECT_EQ(PgTextToValue(kJsonb, "[]").kind, Kind::kJson);
  EXPECT_EQ(J(kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
}

TEST(PgValueTest, Bytea) {
  Value v = PgTextToValue(kBytea, "\\x00ff41");
  EXPECT_EQ(v.kind, Kind::kBinary);
  EXPECT_EQ(v.text, std::string("\x00\xff\x41", 3));
  EXPECT_EQ(Json(v), "\"AP9B\"");
  EXPECT_EQ(PgTextToValue(kBytea, "\\x").text, "");
  EXPECT_EQ(PgTextToValue(kBytea, "\\xABcd").text, "\xab\xcd");
  // bytea_output=escape.
  Value e = PgTextToValue(kBytea, "a\\\\b\\000\\377");
  EXPECT_EQ(e.kind, Kind::kBinary);
  EXPECT_EQ(e.text, std::string("a\\b\x00\xff", 5));
  // Malformed: odd hex, bad digit, bad escape.
  EXPECT_EQ(PgTextToValue(kBytea, "\\x0").kind, Kind::kOther);
  EXPECT_EQ(PgTextToValue(kBytea, "\\xzz").kind, Kind::kOther);
  EXPECT_EQ(PgTextToValue(kBytea, "a\\9").kind, Kind::kOther);
  EXPECT_EQ(PgTextToValue(kBytea, "a\\").kind, Kind::kOther);
}

TEST(PgValueTest, DatesAndTimes) {
  EXPECT_EQ(J(kDate, "2024-02-29"), "\"2024-02-29\"");
  EXPECT_EQ(PgTextToValue(kDate, "0044-03-15 BC").kind, Kind::kDate);
  EXPECT_EQ(J(kTime, "24:00:00"), "\"24:00:00\"");
  EXPECT_EQ(PgTextToValue(kTime, "13:45:30.5").kind, Kind::kTime);
  EXPECT_EQ(PgTextToValue(kTimetz, "13:45:30+05:30").kind, Kind::kOther);
  EXPECT_EQ(PgTextToValue(kInterval, "1 day").kind, Kind::kOther);

  EXPECT_EQ(J(kTimestamp, "2024-02-29 13:45:30.5"), "\"2024-02-29T13:45:30.5\"");
  EXPECT_EQ(J(kTimestamp, "10000-01-01 00:00:00"), "\"10000-01-01T00:00:00\"");
  EXPECT_EQ(J(kTimestamp, "infinity"), "\"infinity\"");
  EXPECT_EQ(J(kTimestamp, "0001-01-01 00:00:00 BC"), "\"0001-01-01 00:00:00 BC\"");
  EXPECT_EQ(PgTextToValue(kTimestamp, "2024-02-29T13:45:30").kind, Kind::kOther);
  EXPECT_EQ(PgTextToValue(kTimestamp, "2024-02-29 13:45").kind, Kind::kOther);
  EXPECT_EQ(PgTextToValue(kTimestamp, "2024-02-29 13:45:30.1234567").kind, Kind::kOther);
}

TEST(PgValueTest, TimestampTzToUtc) {
  EXPECT_EQ(J(kTimestampTz, "2024-02-29 13:45:30.123456+00"), "\"2024-02-29T13:45:30.123456Z\"");
  EXPECT_EQ(J(kTimestampTz, "2024-02-29 19:15:30+05:30"), "\"2024-02-29T13:45:30Z\"");
  EXPECT_EQ(J(kTimestampTz, "2024-02-29 20:00:00.25-03:30"), "\"2024-02-29T23:30:00.25Z\"");
  // Across a year and a leap day.
  EXPECT_EQ(J(kTimestampTz, "2024-01-01 00:30:00+01"), "\"2023-12-31T23:30:00Z\"");
  EXPECT_EQ(J(kTimestampTz, "2024-02-29 22:00:00-03"), "\"2024-03-01T01:00:00Z\"");
  EXPECT_EQ(J(kTimestampTz, "2023-02-28 22:00:00-03"), "\"2023-03-01T01:00:00Z\"");
  EXPECT_EQ(J(kTimestampTz, "2000-03-01 01:00:00+02"), "\"2000-02-29T23:00:00Z\"");
  // Local mean time offsets with seconds.
  EXPECT_EQ(J(kTimestampTz, "1900-01-01 00:19:32+00:19:32"), "\"1900-01-01T00:00:00Z\"");
  EXPECT_EQ(J(kTimestampTz, "1899-12-31 20:29:08-03:30:52"), "\"1900-01-01T00:00:00Z\"");
  EXPECT_EQ(J(kTimestampTz, "10000-01-01 05:00:00+05"), "\"10000-01-01T00:00:00Z\"");
  EXPECT_EQ(J(kTimestampTz, "0001-01-01 00:00:00+00"), "\"0001-01-01T00:00:00Z\"");
  // Kept as PostgreSQL's text.
  EXPECT_EQ(J(kTimestampTz, "infinity"), "\"infinity\"");
  EXPECT_EQ(J(kTimestampTz, "-infinity"), "\"-infinity\"");
  EXPECT_EQ(J(kTimestampTz, "0001-01-01 00:00:00+00 BC"), "\"0001-01-01 00:00:00+00 BC\"");
  EXPECT_EQ(PgTextToValue(kTimestampTz, "0044-03-15 00:00:00+00 BC").kind, Kind::kTimestampTz);
  // Converting would cross into BC: keep the text.
  Value bc = PgTextToValue(kTimestampTz, "0001-01-01 00:00:00+01");
  EXPECT_EQ(bc.text, "0001-01-01 00:00:00+01");
  // Not ISO: kept, as kOther.
  for (const char* bad :
       {"2024-02-29 13:45:30", "2024-02-29 13:45:30+5", "2024-02-29 13:45:30+05:3",
        "2024-02-29 13:45:30+05:30:", "Thu Feb 29 13:45:30 2024 UTC", "2024-13-01 00:00:00+00",
        "2024-02-29 25:00:00+00", ""}) {
    Value v = PgTextToValue(kTimestampTz, bad);
    EXPECT_EQ(v.kind, Kind::kOther) << bad;
    EXPECT_EQ(v.text, bad);
  }
}

}  // namespace
}  // namespace deltabridge
