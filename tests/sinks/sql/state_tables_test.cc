// Unit tests of the pure parts of sinks/sql/state_tables.h: the
// deltabridge_row_writers JSON (encoding, grouping, decoding, corrupt input)
// and the conflict kind names.
#include "sinks/sql/state_tables.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

// 2026-11-27T10:00:00.123456Z
constexpr int64_t kAt = 1795773600123456;

TEST(RowWritersTest, EncodesOneEntryPerWriterWithItsColumns) {
  RowWriters writers;
  writers["status"] = {"parks.legacy", kAt, 1042};
  writers["seats_taken"] = {"parks.legacy", kAt, 1042};
  writers["notes"] = {"parks.scheduling", kAt + 1, 7};
  // Columns in name order; a writer's entry where its first column falls.
  EXPECT_EQ(EncodeRowWriters(writers),
            "[{\"source\":\"parks.scheduling\",\"at\":\"2026-11-27T10:00:00.123457Z\",\"seq\":7,"
            "\"columns\":[\"notes\"]},"
            "{\"source\":\"parks.legacy\",\"at\":\"2026-11-27T10:00:00.123456Z\",\"seq\":1042,"
            "\"columns\":[\"seats_taken\",\"status\"]}]");
  EXPECT_EQ(EncodeRowWriters({}), "[]");
}

TEST(RowWritersTest, MarksDifferingInAnyPartAreDistinctWriters) {
  RowWriters writers;
  writers["a"] = {"parks.legacy", kAt, 5};
  writers["b"] = {"parks.legacy", kAt, 6};      // another seq
  writers["c"] = {"parks.legacy", kAt + 1, 5};  // another time
  writers["d"] = {"parks.scheduling", kAt, 5};  // another source
  writers["e"] = {"parks.legacy", kAt, 5};      // same as a
  std::string text = EncodeRowWriters(writers);
  EXPECT_EQ(std::count(text.begin(), text.end(), '{'), 4) << text;
  EXPECT_NE(text.find("\"columns\":[\"a\",\"e\"]"), std::string::npos) << text;
}

TEST(RowWritersTest, StoredValuesRoundTripAndAreOptional) {
  RowWriters writers;
  writers["status"] = {"parks.legacy", kAt, 7};
  writers["status"].value = Value::Textual(Value::Kind::kText, "open", "");
  writers["seats"] = {"parks.legacy", kAt, 7};
  writers["seats"].value = Value::Int(3, "");
  writers["note"] = {"parks.legacy", kAt, 7};  // no value stored
  writers["tour"] = {"parks.scheduling", kAt, 2};
  writers["tour"].value = Value::Null();
  std::string text = EncodeRowWriters(writers);
  EXPECT_NE(text.find("\"columns\":[\"note\",\"seats\",\"status\"],\"v\":{\"seats\":3,"
                      "\"status\":\"open\"}}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"columns\":[\"tour\"],\"v\":{\"tour\":null}}"), std::string::npos) << text;
  Result<RowWriters> back = DecodeRowWriters(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->at("note").value.has_value());
  ASSERT_TRUE(back->at("seats").value.has_value());
  EXPECT_TRUE(back->at("seats").value->SameValue(Value::Int(3, "")));
  ASSERT_TRUE(back->at("status").value.has_value());
  EXPECT_EQ(back->at("status").value->text, "open");
  ASSERT_TRUE(back->at("tour").value.has_value());
  EXPECT_TRUE(back->at("tour").value->is_null());
  // Without values, nothing changes in the text.
  EXPECT_EQ(EncodeRowWriters({{"a", WriterMark{"b.c", kAt, 1}}}).find("\"v\""), std::string::npos);
  EXPECT_FALSE(
      DecodeRowWriters(
          "[{\"source\":\"b.c\",\"at\":\"2026-11-27T10:00:00Z\",\"seq\":1,\"columns\":[\"a\"],"
          "\"v\":[1]}]")
          .ok());
}

TEST(RowWritersTest, RoundTrips) {
  RowWriters writers;
  writers["status"] = {"parks.legacy", kAt, 1042};
  writers["seats_taken"] = {"parks.legacy", kAt, 1042};
  writers["naïve \"col\""] = {"parks.scheduling", 0, 1};
  writers["late"] = {"b.c", 4102444800000000, 18446744073709551615ull};  // 2100, max seq
  writers["early"] = {"b.c", -1000000, 3};                               // before 1970
  Result<RowWriters> back = DecodeRowWriters(EncodeRowWriters(writers));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), writers.size());
  for (const auto& [column, mark] : writers) {
    auto it = back->find(column);
    ASSERT_NE(it, back->end()) << column;
    EXPECT_EQ(it->second.source, mark.source) << column;
    EXPECT_EQ(it->second.commit_time_us, mark.commit_time_us) << column;
    EXPECT_EQ(it->second.seq, mark.seq) << column;
  }
  Result<RowWriters> empty = DecodeRowWriters("[]");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(RowWritersTest, DecodesWhatADatabaseGivesBack) {
  // PostgreSQL's json keeps the text; another writer's whitespace and key
  // order read the same.
  Result<RowWriters> w = DecodeRowWriters(
      " [ { \"columns\" : [\"x\"], \"seq\" : 3, \"at\" : \"2026-11-27T10:00:00Z\", "
      "\"source\" : \"p.s\" } ] ");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->count("x"), 1u);
  EXPECT_EQ(w->at("x").seq, 3u);
  EXPECT_EQ(w->at("x").source, "p.s");
  EXPECT_EQ(w->at("x").commit_time_us, kAt - 123456);
}

TEST(RowWritersTest, CorruptInputIsCorruption) {
  for (const char* bad : {
           "",
           "not json",
           "{}",
           "[1]",
           "[{\"source\":\"a\",\"at\":\"2026-11-27T10:00:00Z\",\"seq\":1}]",  // no columns
           "[{\"at\":\"2026-11-27T10:00:00Z\",\"seq\":1,\"columns\":[]}]",    // no source
           "[{\"source\":7,\"at\":\"2026-11-27T10:00:00Z\",\"seq\":1,\"columns\":[]}]",
           "[{\"source\":\"a\",\"at\":\"yesterday\",\"seq\":1,\"columns\":[\"x\"]}]",
           "[{\"source\":\"a\",\"at\":\"2026-11-27T10:00:00Z\",\"seq\":-1,\"columns\":[]}]",
           "[{\"source\":\"a\",\"at\":\"2026-11-27T10:00:00Z\",\"seq\":\"1\",\"columns\":[]}]",
           "[{\"source\":\"a\",\"at\":\"2026-11-27T10:00:00Z\",\"seq\":1.5,\"columns\":[]}]",
           "[{\"source\":\"a\",\"at\":\"2026-11-27T10:00:00Z\",\"seq\":1,\"columns\":\"x\"}]",
           "[{\"source\":\"a\",\"at\":\"2026-11-27T10:00:00Z\",\"seq\":1,\"columns\":[1]}]",
           "[{\"source\":\"a\",\"at\":\"2026-11-27T10:00:00Z\",\"seq\":1,\"columns\":[\"x\"]}",
       }) {
    Result<RowWriters> w = DecodeRowWriters(bad);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_EQ(w.status().code(), Status::Code::kCorruption) << bad;
    EXPECT_NE(w.status().message().find("deltabridge_row_writers"), std::string::npos)
        << w.status().message();
  }
}

TEST(ConflictKindTest, NamesRoundTrip) {
  for (ConflictKind k : {ConflictKind::kField, ConflictKind::kDelete, ConflictKind::kTruncate,
                         ConflictKind::kRejected}) {
    EXPECT_EQ(ParseConflictKind(ConflictKindName(k)), k);
  }
  EXPECT_EQ(ConflictKindName(ConflictKind::kRejected), "rejected");
  EXPECT_EQ(ParseConflictKind("Field"), std::nullopt);
  EXPECT_EQ(ParseConflictKind(""), std::nullopt);
}

TEST(StateTimeColumnTest, IsATimestampWithTimeZone) {
  EXPECT_EQ(StateTimeColumn().category, ColumnCategory::kTimestampTz);
}

}  // namespace
}  // namespace deltabridge
