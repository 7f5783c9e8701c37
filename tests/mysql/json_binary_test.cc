// MySQL binary JSON (cdc/mysql/json_binary.h): documents built by hand from
// the format in MySQL's sql-common/json_binary.h, and garbage.
#include "cdc/mysql/json_binary.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace deltabridge::mysql {
namespace {

std::string Hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] == ' ') {
      --i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string Json(const std::string& bytes) {
  std::string out;
  Status s = DecodeJsonBinary(bytes, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string Le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

TEST(JsonBinary, Scalars) {
  EXPECT_EQ(Json(""), "null");
  EXPECT_EQ(Json(Hex("0400")), "null");
  EXPECT_EQ(Json(Hex("0401")), "true");
  EXPECT_EQ(Json(Hex("0402")), "false");
  EXPECT_EQ(Json(Hex("050080")), "-32768");
  EXPECT_EQ(Json(Hex("06ffff")), "65535");
  EXPECT_EQ(Json(Hex("07ffffffff")), "-1");
  EXPECT_EQ(Json(Hex("08ffffffff")), "4294967295");
  EXPECT_EQ(Json(Hex("09") + Le64(uint64_t{1} << 63)), "-9223372036854775808");
  EXPECT_EQ(Json(Hex("0a") + Le64(~uint64_t{0})), "18446744073709551615");
  double d = 1.5;
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  EXPECT_EQ(Json(Hex("0b") + Le64(bits)), "1.5");
  d = 3.0;
  std::memcpy(&bits, &d, 8);
  EXPECT_EQ(Json(Hex("0b") + Le64(bits)), "3.0");
  d = 1e300;
  std::memcpy(&bits, &d, 8);
  EXPECT_EQ(Json(Hex("0b") + Le64(bits)), "1e300");
  d = -2.5e-7;
  std::memcpy(&bits, &d, 8);
  EXPECT_EQ(Json(Hex("0b") + Le64(bits)), "-2.5e-7");
  EXPECT_EQ(Json(Hex("0c03") + "a\"b"), R"("a\"b")");
  EXPECT_EQ(Json(Hex("0c04") + "\\\n\t" + std::string(1, '\x01')), R"("\\\n\t\u0001")");
  EXPECT_EQ(Json(Hex("0c04") + "\xc3\xa9\xc3\xa9"), "\"\xc3\xa9\xc3\xa9\"");
}

TEST(JsonBinary, LongStringLength) {
  std::string s(200, 'x');
  // 200 = 0x48 | 0x80, then 0x01: 7 bits per byte, low bits first.
  EXPECT_EQ(Json(Hex("0cc801") + s), "\"" + s + "\"");
}

TEST(JsonBinary, SmallArrayAndObject) {
  // [1, "a", null]: count 3, size 15; string at offset 13.
  EXPECT_EQ(Json(Hex("02 0300 0f00 050100 0c0d00 040000 0161")), R"([1, "a", null])");
  // {"a": 1, "bb": [true]}: keys at 18 and 19, nested array at 21.
  EXPECT_EQ(Json(Hex("00 0200 1c00 12000100 13000200 050100 021500 61 6262 01000700040100")),
            R"({"a": 1, "bb": [true]})");
  EXPECT_EQ(Json(Hex("02 0000 0400")), "[]");
  EXPECT_EQ(Json(Hex("00 0000 0400")), "{}");
}

TEST(JsonBinary, LargeContainers) {
  // Large array [int32 -2, uint32 7, "x"]: count 3, size 4+4+3*5=23, string at 23.
  EXPECT_EQ(Json(Hex("03 03000000 19000000 07feffffff 0807000000 0c17000000 0178")),
            R"([-2, 7, "x"])");
  // Large object {"k": 5}: count 1, size 8+6+5 = 19... key at 19, value inlined int16.
  EXPECT_EQ(Json(Hex("01 01000000 14000000 130000000100 0505000000 6b")), R"({"k": 5})");
}

TEST(JsonBinary, Opaque) {
  // DECIMAL(5,2) -123.45
  EXPECT_EQ(Json(Hex("0ff605 0502 7f84d2")), "-123.45");
  // DATETIME 2015-01-15 23:24:25.5
  int64_t ymd = ((2015 * 13 + 1) << 5) | 15;
  int64_t dt = (((ymd << 17) | ((23 << 12) | (24 << 6) | 25)) << 24) + 500000;
  EXPECT_EQ(Json(Hex("0f0c08") + Le64(static_cast<uint64_t>(dt))),
            R"("2015-01-15 23:24:25.500000")");
  EXPECT_EQ(Json(Hex("0f0a08") + Le64(static_cast<uint64_t>((ymd << 17) << 24))),
            R"("2015-01-15")");
  // A BLOB opaque value prints as base64 with its type.
  EXPECT_EQ(Json(Hex("0ffc03") + "abc"), R"("base64:type252:YWJj")");
}

TEST(JsonBinary, Garbage) {
  std::string out;
  EXPECT_FALSE(DecodeJsonBinary(Hex("02 0300 ff00"), &out).ok());  // size past end
  EXPECT_FALSE(DecodeJsonBinary(Hex("0c05 6162"), &out).ok());     // short string
  EXPECT_FALSE(DecodeJsonBinary(Hex("0d"), &out).ok());            // unknown type
  EXPECT_FALSE(DecodeJsonBinary(Hex("0cffffffffff"), &out).ok());  // 6-byte length
  EXPECT_FALSE(DecodeJsonBinary(Hex("0403"), &out).ok());          // bad literal
  // Deep nesting: arrays of one array each, 200 levels.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += Hex("02");
  EXPECT_FALSE(DecodeJsonBinary(deep, &out).ok());
  // Random bytes and every prefix of a valid document: errors or values, no crash.
  std::string doc = Hex("00 0200 1c00 12000100 13000200 050100 021500 61 6262 01000700040100");
  for (size_t n = 0; n < doc.size(); ++n) (void)DecodeJsonBinary(doc.substr(0, n), &out);
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string r(1 + rng() % 40, '\0');
    for (char& c : r) c = static_cast<char>(rng() % 16 == 0 ? rng() : rng() % 5);
    (void)DecodeJsonBinary(r, &out);
  }
}

}  // namespace
}  // namespace deltabridge::mysql
