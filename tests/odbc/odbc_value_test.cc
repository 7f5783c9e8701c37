// Tests of cdc/odbc/odbc_value.h and diff_state.h: the row encoding of the
// diff state, key order, UTF-16 conversion, timestamps, and the generation
// files (written, read back, a prefix copied verbatim, stale ones removed).
#include "cdc/odbc/odbc_value.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "cdc/odbc/diff_state.h"
#include "tests/support/temp_dir.h"

namespace deltabridge::odbc {
namespace {

using K = Value::Kind;

std::vector<Value> SampleRow() {
  return {Value::Null("int"),
          Value::Bool(true),
          Value::Int(-42),
          Value::UInt(18446744073709551615ull),
          Value::Float(0.1),
          Value::Textual(K::kDecimal, "12345678901234567890.000000001", "numeric"),
          Value::Textual(K::kText, std::string("caf\xc3\xa9\0x", 7), "varchar"),
          Value::Textual(K::kBinary, std::string("\x00\xff", 2), "blob"),
          Value::Textual(K::kTimestamp, "2026-01-01T10:00:00.25", "timestamp")};
}

TEST(OdbcValueTest, RowEncodingRoundTrips) {
  std::vector<Value> row = SampleRow();
  std::string bytes;
  EncodeRow(row, &bytes);
  std::vector<Value> back;
  ASSERT_TRUE(DecodeRow(bytes, row.size(), &back).ok());
  ASSERT_EQ(back.size(), row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    EXPECT_EQ(back[i].kind, row[i].kind) << i;
    EXPECT_TRUE(back[i].SameValue(row[i])) << i;
  }
  // Equal rows encode to equal bytes (the diff copies unchanged prefixes verbatim).
  std::string again;
  EncodeRow(back, &again);
  EXPECT_EQ(again, bytes);
}

TEST(OdbcValueTest, TruncatedOrLongRecordsAreCorruption) {
  std::string bytes;
  EncodeRow(SampleRow(), &bytes);
  std::vector<Value> back;
  for (size_t cut : {size_t{0}, size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_TRUE(DecodeRow(bytes.substr(0, cut), SampleRow().size(), &back).IsCorruption()) << cut;
  }
  EXPECT_TRUE(DecodeRow(bytes + "x", SampleRow().size(), &back).IsCorruption());
  EXPECT_TRUE(DecodeRow(std::string(1, '\x7f'), 1, &back).IsCorruption());
}

TEST(OdbcValueTest, KeysOrderNumericallyAndByBytes) {
  EXPECT_LT(CompareKeyValue(Value::Int(2), Value::Int(10)), 0);
  EXPECT_GT(CompareKeyValue(Value::Int(-1), Value::Null()), 0);
  EXPECT_EQ(CompareKeyValue(Value::Int(7), Value::Int(7)), 0);
  EXPECT_LT(CompareKeyValue(Value::Textual(K::kText, "B", ""), Value::Textual(K::kText, "a", "")),
            0);
  EXPECT_EQ(KeyText(Value::Int(-5)), "-5");
}

TEST(OdbcValueTest, Utf16ToUtf8) {
  const SQLWCHAR text[] = {'c', 'a', 'f', 0xE9, ' ', 0x20AC, ' ', 0xD83D, 0xDE00, 0xD800};
  EXPECT_EQ(Utf16ToUtf8(text, 10), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\xef\xbf\xbd");
}

TEST(OdbcValueTest, TimestampsParseAndFormat) {
  int64_t us = 0;
  ASSERT_TRUE(ParseTimestampMicros("2026-01-01T10:00:00.25", &us));
  EXPECT_EQ(FormatTimestampLiteral(us), "2026-01-01 10:00:00.250000");
  ASSERT_TRUE(ParseTimestampMicros("2026-01-01 10:00:00", &us));
  EXPECT_EQ(FormatTimestampLiteral(us - 30000000), "2026-01-01 09:59:30.000000");
  ASSERT_TRUE(ParseTimestampMicros("1970-01-02", &us));
  EXPECT_EQ(us, int64_t{86400} * 1000000);
  EXPECT_FALSE(ParseTimestampMicros("yesterday", &us));
  EXPECT_EQ(FormatTimestampLiteral(-1), "1969-12-31 23:59:59.999999");
}

TEST(DiffStateTest, GenerationsWriteReadCopyAndClean) {
  Result<test::TempDir> dir = test::TempDir::Create("dbdiff-");
  ASSERT_TRUE(dir.ok());
  const std::string d = dir->path();
  const std::string g1 = DiffStatePath(d, "public.T", 1);
  {
    DiffStateWriter w;
    ASSERT_TRUE(w.Open(g1, {"id", "v"}).ok());
    ASSERT_TRUE(w.Append("one").ok());
    ASSERT_TRUE(w.Append("two").ok());
    ASSERT_TRUE(w.Append(std::string(100000, 'x')).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  DiffStateReader r;
  ASSERT_TRUE(r.Open(g1).ok());
  EXPECT_EQ(r.columns(), (std::vector<std::string>{"id", "v"}));
  std::string rec;
  ASSERT_TRUE(*r.Next(&rec));
  EXPECT_EQ(rec, "one");
  ASSERT_TRUE(*r.Next(&rec));
  EXPECT_EQ(rec, "two");
  ASSERT_TRUE(*r.Next(&rec));
  EXPECT_EQ(rec.size(), 100000u);
  const uint64_t third = r.record_offset();  // where the record just read begins
  EXPECT_FALSE(*r.Next(&rec));

  // Generation 2: the first two records copied verbatim, then a new one.
  const std::string g2 = DiffStatePath(d, "public.T", 2);
  {
    DiffStateWriter w;
    ASSERT_TRUE(w.Open(g2, {"id", "v"}).ok());
    ASSERT_TRUE(w.CopyRecords(g1, r.data_offset(), third - r.data_offset()).ok());
    ASSERT_TRUE(w.Append("three").ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  DiffStateReader r2;
  ASSERT_TRUE(r2.Open(g2).ok());
  std::vector<std::string> got;
  while (*r2.Next(&rec)) got.push_back(rec);
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));

  // An unfinished writer leaves nothing; stale generations go.
  {
    DiffStateWriter w;
    ASSERT_TRUE(w.Open(DiffStatePath(d, "public.T", 3), {"id"}).ok());
    ASSERT_TRUE(w.Append("never").ok());
  }
  EXPECT_FALSE(std::filesystem::exists(DiffStatePath(d, "public.T", 3)));
  RemoveOtherGenerations(d, "public.T", 2);
  EXPECT_FALSE(std::filesystem::exists(g1));
  EXPECT_TRUE(std::filesystem::exists(g2));
}

}  // namespace
}  // namespace deltabridge::odbc
