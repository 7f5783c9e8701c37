// Unit tests of the binary value decoders (cdc/mysql/mysql_value.h): packed
// DECIMAL, TIME2/DATETIME2/TIMESTAMP2, DATE, latin1, ENUM/SET, and of single
// column values (row_image_decoder.h) for BIT and integers, at edge values.
// Expected bytes were computed from MySQL's documented encodings
// (decimal2bin, my_time_packed_to_binary, my_datetime_packed_to_binary).
#include "cdc/mysql/mysql_value.h"

#include <gtest/gtest.h>

#include <string>

#include "cdc/mysql/row_image_decoder.h"

namespace deltabridge::mysql {
namespace {

std::string Hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// MySQL's decimal2bin, written from its description, for round trips.
std::string EncodeDecimal(const std::string& text, int precision, int scale) {
  static const int kDig2Bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  bool negative = text[0] == '-';
  std::string t = negative ? text.substr(1) : text;
  size_t dot = t.find('.');
  std::string ip = dot == std::string::npos ? t : t.substr(0, dot);
  std::string fp = dot == std::string::npos ? "" : t.substr(dot + 1);
  int intg = precision - scale;
  if (intg == 0) ip.clear();  // "0.5" in DECIMAL(1,1): no integer digits stored
  ip.insert(0, intg - ip.size(), '0');
  fp.append(scale - fp.size(), '0');
  std::string out;
  auto put = [&](const std::string& digits) {
    int n = kDig2Bytes[digits.size()];
    uint32_t v = digits.empty() ? 0 : static_cast<uint32_t>(std::stoul(digits));
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  int lead = intg % 9;
  if (lead) put(ip.substr(0, lead));
  for (size_t i = lead; i < ip.size(); i += 9) put(ip.substr(i, 9));
  for (size_t i = 0; i + 9 <= fp.size(); i += 9) put(fp.substr(i, 9));
  if (scale % 9) put(fp.substr(fp.size() - scale % 9));
  if (negative) {
    for (char& c : out) c = static_cast<char>(~c);
  }
  out[0] = static_cast<char>(out[0] ^ 0x80);
  return out;
}

std::string Decimal(const std::string& bytes, int p, int s) {
  ByteReader r(bytes);
  std::string out;
  Status st = ReadPackedDecimal(&r, p, s, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(r.remaining(), 0u);
  return out;
}

TEST(MysqlDecimal, DocumentedExample) {
  // MySQL's manual example: DECIMAL(14,4).
  EXPECT_EQ(PackedDecimalSize(14, 4), 7u);
  EXPECT_EQ(Decimal(Hex("810DFB38D204D2"), 14, 4), "1234567890.1234");
  EXPECT_EQ(Decimal(Hex("7EF204C72DFB2D"), 14, 4), "-1234567890.1234");
}

TEST(MysqlDecimal, RoundTripsEdgeValues) {
  struct Case {
    std::string text;
    int p, s;
  };
  const std::string max65_30 = std::string(35, '9') + "." + std::string(30, '9');
  const Case cases[] = {
      {max65_30, 65, 30},
      {"-" + max65_30, 65, 30},
      {"0." + std::string(29, '0') + "1", 65, 30},
      {"-0." + std::string(29, '0') + "1", 65, 30},
      {"0." + std::string(30, '0'), 65, 30},
      {std::string(65, '9'), 65, 0},
      {"-" + std::string(65, '9'), 65, 0},
      {"12345678901234567890.000000001", 38, 9},
      {"0", 1, 0},
      {"-5", 1, 0},
      {"0.5", 1, 1},
      {"123.45", 5, 2},
      {"-123.45", 5, 2},
      {"100000000.000000000", 18, 9},
  };
  for (const Case& c : cases) {
    std::string bytes = EncodeDecimal(c.text, c.p, c.s);
    ASSERT_EQ(bytes.size(), PackedDecimalSize(c.p, c.s)) << c.text;
    EXPECT_EQ(Decimal(bytes, c.p, c.s), c.text) << c.text;
  }
}

TEST(MysqlDecimal, RejectsBadDigitsAndTruncation) {
  // ByteReader borrows its bytes: keep them alive.
  const std::string too_big = Hex("FFFFFFFFFF");  // 9-digit group 0x7FFFFFFF: over 9 digits
  const std::string short_bytes = Hex("810DFB");
  const std::string one = Hex("80");
  ByteReader r(too_big);
  std::string out;
  EXPECT_FALSE(ReadPackedDecimal(&r, 10, 0, &out).ok());
  ByteReader t(short_bytes);
  EXPECT_TRUE(ReadPackedDecimal(&t, 14, 4, &out).IsCorruption());
  ByteReader bad(one);
  EXPECT_FALSE(ReadPackedDecimal(&bad, 70, 0, &out).ok());
}

std::string Time2(const std::string& hex, int fsp) {
  std::string bytes = Hex(hex);
  ByteReader r(bytes);
  std::string out;
  Status s = ReadTime2(&r, fsp, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.remaining(), 0u);
  return out;
}

TEST(MysqlTime2, NegativeAndBeyond24Hours) {
  EXPECT_EQ(Time2("800000", 0), "00:00:00");
  EXPECT_EQ(Time2("b46efb", 0), "838:59:59");
  EXPECT_EQ(Time2("4b9105", 0), "-838:59:59");
  EXPECT_EQ(Time2("7ffffffff6", 3), "-00:00:00.001");
  EXPECT_EQ(Time2("7f3747e12e", 3), "-12:34:56.789");
  EXPECT_EQ(Time2("7e6fffce", 1), "-25:00:00.5");
  EXPECT_EQ(Time2("79bfbdfe1dc0", 6), "-100:01:02.123456");
  EXPECT_EQ(Time2("800000000000", 6), "00:00:00.000000");
}

TEST(MysqlDatetime2, Fractions) {
  auto dt = [](const std::string& hex, int fsp) {
    std::string bytes = Hex(hex);
    ByteReader r(bytes);
    std::string out;
    EXPECT_TRUE(ReadDatetime2(&r, fsp, &out).ok());
    EXPECT_EQ(r.remaining(), 0u);
    return out;
  };
  EXPECT_EQ(dt("99bb78494c01e240", 6), "2026-11-28T04:37:12.123456");
  EXPECT_EQ(dt("8cb2420000", 0), "1000-01-01T00:00:00");
  EXPECT_EQ(dt("fef3ff7efb63", 2), "9999-12-31T23:59:59.99");
  EXPECT_EQ(dt("8000000000", 0), "0000-00-00T00:00:00");
  std::string neg = Hex("7fffffffff");
  ByteReader r(neg);
  std::string out;
  EXPECT_FALSE(ReadDatetime2(&r, 0, &out).ok());
}

TEST(MysqlTimestamp2, Utc) {
  auto ts = [](const std::string& hex, int fsp) {
    std::string bytes = Hex(hex);
    ByteReader r(bytes);
    std::string out;
    EXPECT_TRUE(ReadTimestamp2(&r, fsp, &out).ok());
    return out;
  };
  EXPECT_EQ(ts("7fffffff", 0), "2038-01-19T03:14:07Z");
  EXPECT_EQ(ts("00000001", 0), "1970-01-01T00:00:01Z");
  EXPECT_EQ(ts("7fffffff0f423f", 6), "2038-01-19T03:14:07.999999Z");
  EXPECT_EQ(ts("7fffffff0064", 3), "2038-01-19T03:14:07.010Z");  // 100 * 100 us
  EXPECT_EQ(ts("7fffffff0001", 4), "2038-01-19T03:14:07.0001Z");
  EXPECT_EQ(ts("00000000", 0), "0000-00-00T00:00:00Z");
  EXPECT_EQ(FormatUtcSeconds(951782400, 0, 0), "2000-02-29T00:00:00Z");
}

// The digits are written by hand; these are the widths printf's "%04lld" and
// "%02lld" gave, kept where a field outgrows its width or goes negative.
TEST(MysqlTimestamp2, FieldsPastTheirWidth) {
  EXPECT_EQ(FormatUtcSeconds(253402300800, 0, 0), "10000-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtcSeconds(-62198755200, 0, 0), "-001-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtcSeconds(-1, 999999, 6), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatUtcSeconds(1, 1234567, 6), "1970-01-01T00:00:01.123456Z");  // leading digits
  EXPECT_EQ(FormatUtcSeconds(0, 0, 3), "0000-00-00T00:00:00.000Z");
  std::string out = "old";
  AppendUtcSeconds(&out, 951782400, 120000, 2);
  EXPECT_EQ(out, "old2000-02-29T00:00:00.12Z");
  int64_t hms = (838 << 12) | (59 << 6) | 59;
  EXPECT_EQ(FormatPackedTime(hms << 24), "838:59:59.000000");
}

TEST(MysqlDate, Packed) {
  std::string b;
  uint32_t v = (2024u << 9) | (2u << 5) | 29u;
  b.push_back(static_cast<char>(v & 0xFF));
  b.push_back(static_cast<char>((v >> 8) & 0xFF));
  b.push_back(static_cast<char>((v >> 16) & 0xFF));
  ByteReader r(b);
  std::string out;
  ASSERT_TRUE(ReadDate(&r, &out).ok());
  EXPECT_EQ(out, "2024-02-29");
}

TEST(MysqlPacked, JsonTemporalLonglongs) {
  int64_t hms = (12 << 12) | (34 << 6) | 56;
  EXPECT_EQ(FormatPackedTime(-((hms << 24) + 789000)), "-12:34:56.789000");
  int64_t ymd = ((2015 * 13 + 1) << 5) | 15;
  int64_t dt = (((ymd << 17) | ((23 << 12) | (24 << 6) | 25)) << 24) + 500000;
  EXPECT_EQ(FormatPackedDatetime(dt), "2015-01-15 23:24:25.500000");
  EXPECT_EQ(FormatPackedDate((ymd << 17) << 24), "2015-01-15");
}

TEST(MysqlCharset, Latin1IsWindows1252) {
  EXPECT_EQ(Latin1ToUtf8("caf\xe9"), "caf\xc3\xa9");
  EXPECT_EQ(Latin1ToUtf8("\x80\x81\x9f\xff"), "\xe2\x82\xac\xc2\x81\xc5\xb8\xc3\xbf");
  EXPECT_EQ(Latin1ToUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(Latin1ToUtf8(""), "");
  EXPECT_EQ(Latin1ToUtf8(std::string("a\xe9") + "bc\x80" + "d"),
            std::string("a\xc3\xa9") + "bc\xe2\x82\xac" + "d");
  EXPECT_EQ(CharsetOf(8), CharsetFamily::kLatin1);
  EXPECT_EQ(CharsetOf(63), CharsetFamily::kBinary);
  EXPECT_EQ(CharsetOf(255), CharsetFamily::kUtf8);
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80 ok"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a surrogate
}

TEST(MysqlEnumSet, Labels) {
  std::vector<std::string> labels = {"one", "two", "three", "four"};
  std::string out;
  ASSERT_TRUE(SetText(0b0101, labels, &out).ok());
  EXPECT_EQ(out, "one,three");
  ASSERT_TRUE(SetText(0, labels, &out).ok());
  EXPECT_EQ(out, "");
  EXPECT_FALSE(SetText(1u << 4, labels, &out).ok());
  ASSERT_TRUE(EnumText(2, labels, &out).ok());
  EXPECT_EQ(out, "two");
  ASSERT_TRUE(EnumText(0, labels, &out).ok());
  EXPECT_EQ(out, "");
  EXPECT_FALSE(EnumText(5, labels, &out).ok());

  std::vector<std::string> many;
  for (int i = 0; i < 64; ++i) many.push_back("l" + std::to_string(i));
  ASSERT_TRUE(SetText(~uint64_t{0}, many, &out).ok());
  EXPECT_EQ(out.substr(0, 6), "l0,l1,");
  EXPECT_EQ(out.substr(out.size() - 4), ",l63");
}

Value Column1(Column c, const std::string& bytes) {
  ByteReader r(bytes);
  Value v;
  Status s = DecodeColumnValue(c, &r, &v);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.remaining(), 0u);
  return v;
}

TEST(MysqlColumn, BitAndIntegers) {
  Column bit;
  bit.type = kTypeBit;
  bit.length = 64;
  Value v = Column1(bit, Hex("ffffffffffffffff"));
  EXPECT_EQ(v.kind, Value::Kind::kUInt);
  EXPECT_EQ(v.u, ~uint64_t{0});
  bit.length = 3;
  EXPECT_EQ(Column1(bit, Hex("04")).u, 4u);
  bit.length = 9;
  EXPECT_EQ(Column1(bit, Hex("0101")).u, 257u);

  Column big;
  big.type = kTypeLongLong;
  v = Column1(big, Hex("ffffffffffffffff"));
  EXPECT_EQ(v.kind, Value::Kind::kInt);
  EXPECT_EQ(v.i, -1);
  big.is_unsigned = true;
  v = Column1(big, Hex("ffffffffffffffff"));
  EXPECT_EQ(v.kind, Value::Kind::kUInt);
  EXPECT_EQ(v.u, 18446744073709551615u);
  EXPECT_EQ(v.sql_type, "bigint unsigned");

  Column tiny;
  tiny.type = kTypeTiny;
  EXPECT_EQ(Column1(tiny, Hex("80")).i, -128);
  tiny.is_unsigned = true;
  EXPECT_EQ(Column1(tiny, Hex("ff")).i, 255);
  Column med;
  med.type = kTypeInt24;
  EXPECT_EQ(Column1(med, Hex("000080")).i, -8388608);
  Column year;
  year.type = kTypeYear;
  EXPECT_EQ(Column1(year, Hex("7d")).i, 2025);
  EXPECT_EQ(Column1(year, Hex("00")).i, 0);
}

TEST(MysqlColumn, FloatIsShortestDecimal) {
  Column f;
  f.type = kTypeFloat;
  f.length = 4;
  Value v = Column1(f, Hex("cdcc8c3f"));  // 1.1f
  EXPECT_EQ(v.d, 1.1);
}

TEST(MysqlColumn, TextByCharset) {
  Column c;
  c.type = kTypeVarchar;
  c.length = 40;
  c.charset = 8;  // latin1_swedish_ci
  Value v = Column1(c, std::string("\x04"
                                   "caf\xe9",
                                   5));
  EXPECT_EQ(v.kind, Value::Kind::kText);
  EXPECT_EQ(v.text, "caf\xc3\xa9");
  c.charset = 63;
  v = Column1(c, std::string("\x02\x00\xff", 3));
  EXPECT_EQ(v.kind, Value::Kind::kBinary);
  EXPECT_EQ(v.text, std::string("\x00\xff", 2));
  c.length = 300;  // two length bytes
  c.charset = 45;
  v = Column1(c, std::string("\x02\x00hi", 4));
  EXPECT_EQ(v.text, "hi");
}

TEST(MysqlColumn, GeometryDropsSrid) {
  Column g;
  g.type = kTypeGeometry;
  g.length = 4;
  std::string wkb = Hex("0101000000000000000000f03f0000000000000040");  // POINT(1 2)
  std::string bytes = Hex("19000000") + Hex("00000000") + wkb;
  Value v = Column1(g, bytes);
  EXPECT_EQ(v.kind, Value::Kind::kBinary);
  EXPECT_EQ(v.text, wkb);
}

}  // namespace
}  // namespace deltabridge::mysql
