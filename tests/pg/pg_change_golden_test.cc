// The golden pgoutput captures (tests/pg/golden/*.hex) through the whole
// source path: PgOutputDecoder -> PgChangeBuilder -> the bridge's real
// JournalWriter over a real Journal (seqs, tx.last, the spool of streamed
// transactions) -> the envelope bodies read back from the journal, compared
// line by line with golden/<name>.jsonl. DELTABRIDGE_UPDATE_GOLDEN=1 rewrites
// the .jsonl files instead (then review the diff; see tests/pg/README.md).
//
// The primary keys are those of the tables capture_golden.sh creates, by
// name; tables without one (rangers, events, audit) take their replica
// identity columns as key, as the source does.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cdc/bridge/journal_writer.h"
#include "cdc/journal/journal.h"
#include "cdc/pg/pg_change_builder.h"
#include "cdc/pg/pgoutput_decoder.h"
#include "cdc/wire/topic.h"
#include "tests/pg/pgoutput_dump.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kBridge = "pgoutput";
constexpr const char* kSource = "pg";

// Every capture but `binary`: the source never asks for the binary option,
// and PgChangeBuilder refuses a binary ('b') value (BinaryCaptureIsRefused).
const char* const kCaptures[] = {
    "dml_default",      "dml_full",        "toast",         "truncate",     "types",
    "origin",           "message",         "stream_commit", "stream_abort", "values_utc",
    "values_amsterdam", "values_st_johns",
};

// The primary key of each table of capture_golden.sh that has one.
const std::map<std::string, std::vector<std::string>>& PrimaryKeys() {
  static const auto* keys = new std::map<std::string, std::vector<std::string>>{
      {"public.parks", {"id"}},   {"public.tags", {"park_id", "tag"}},
      {"public.docs", {"id"}},    {"public.docs_full", {"id"}},
      {"public.trunc_a", {"id"}}, {"public.trunc_b", {"id"}},
      {"public.trunc_c", {"id"}}, {"public.moods", {"id"}},
      {"public.bulk", {"id"}},    {"public.bulk_side", {"id"}},
      {"public.bin", {"id"}},     {"public.vals", {"id"}},
  };
  return *keys;
}

struct Replayed {
  std::vector<std::string> lines;  // envelope bodies, in seq order
  std::string durable_position;    // the source position the journal holds
  Lsn last_end_lsn;                // the builder's
  PgChangeBuilder::Stats stats;
};

// Decodes a capture into a fresh journal and reads every entry back.
Replayed Replay(const std::string& capture) {
  Replayed out;
  const std::vector<std::string> messages = testing::ReadGoldenMessages(capture + ".hex");
  EXPECT_FALSE(messages.empty());

  // The relation names by oid, for the primary key callback (it gets an oid).
  std::map<uint32_t, std::string> names;
  {
    testing::CollectingHandler relations;
    testing::DecodeAll(messages, &relations);
    for (const pgoutput::Relation& r : relations.All<pgoutput::Relation>()) {
      names[r.oid] = std::string(r.schema) + "." + std::string(r.name);
    }
  }

  Result<test::TempDir> dir = test::TempDir::Create("dbpgg-");
  EXPECT_TRUE(dir.ok()) << dir.status().ToString();
  if (!dir.ok()) return out;
  Result<std::unique_ptr<Journal>> journal = Journal::Open(dir->Join("journal"));
  EXPECT_TRUE(journal.ok()) << journal.status().ToString();
  if (!journal.ok()) return out;
  JournalWriter writer(kBridge, journal->get());
  std::unique_ptr<SourceSink> sink = writer.SinkFor(kSource);

  PgChangeBuilder::Options options;
  options.source = kSource;
  options.primary_key = [&names](uint32_t oid) -> Result<std::vector<std::string>> {
    auto it = PrimaryKeys().find(names[oid]);
    return it == PrimaryKeys().end() ? std::vector<std::string>{} : it->second;
  };
  PgChangeBuilder builder(std::move(options), sink.get(), sink.get());
  PgOutputDecoder decoder;
  for (size_t i = 0; i < messages.size(); ++i) {
    Status s = decoder.Decode(messages[i], &builder);
    EXPECT_TRUE(s.ok()) << capture << " message " << i << ": " << s.ToString();
    if (!s.ok()) return out;
  }
  EXPECT_FALSE(builder.in_transaction()) << capture << " ends inside a transaction";
  Status flushed = sink->Flush();
  EXPECT_TRUE(flushed.ok()) << flushed.ToString();

  std::vector<JournalEntry> batch;
  uint64_t next = 1;
  while (next <= (*journal)->committed_seq()) {
    uint64_t resume = next;
    Status s = (*journal)->Read(next, ReadOptions{}, &batch, &resume);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok() || batch.empty()) break;
    for (const JournalEntry& e : batch) {
      EXPECT_EQ(e.seq, out.lines.size() + 1);
      out.lines.push_back(e.body);
    }
    next = resume;
  }
  out.durable_position = sink->DurablePosition().value_or("");
  out.last_end_lsn = builder.last_end_lsn();
  out.stats = builder.stats();
  return out;
}

class PgChangeGoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(PgChangeGoldenTest, EnvelopesMatchGolden) {
  const std::string name = GetParam();
  Replayed r = Replay(name);
  ASSERT_FALSE(r.lines.empty());
  // Every transaction's end position is durable with it: the last one is.
  EXPECT_EQ(r.durable_position, r.last_end_lsn.ToString());

  std::string actual;
  for (const std::string& line : r.lines) actual += line + "\n";
  testing::ExpectMatchesGolden(testing::GoldenDir() + "/" + name + ".jsonl", actual);
}

INSTANTIATE_TEST_SUITE_P(Captures, PgChangeGoldenTest, ::testing::ValuesIn(kCaptures),
                         [](const auto& info) { return std::string(info.param); });

// The three value captures decode the same rows with three session time
// zones: their deltas must be identical, but for BC timestamptz values, which
// are kept as PostgreSQL's zone-dependent text (see pg_value_test.cc).
// The `binary` capture (the binary option on): the builder refuses its first
// binary value as corrupt input rather than reading its bytes as text, and
// nothing of it reaches the journal.
TEST(PgChangeGolden, BinaryCaptureIsRefused) {
  const std::vector<std::string> messages = testing::ReadGoldenMessages("binary.hex");
  ASSERT_FALSE(messages.empty());
  Result<test::TempDir> dir = test::TempDir::Create("dbpgg-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  Result<std::unique_ptr<Journal>> journal = Journal::Open(dir->Join("journal"));
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  JournalWriter writer(kBridge, journal->get());
  std::unique_ptr<SourceSink> sink = writer.SinkFor(kSource);
  PgChangeBuilder::Options options;
  options.source = kSource;
  PgChangeBuilder builder(std::move(options), sink.get(), sink.get());
  PgOutputDecoder decoder;
  Status refused = Status::Ok();
  for (size_t i = 0; i < messages.size() && refused.ok(); ++i) {
    refused = decoder.Decode(messages[i], &builder);
  }
  EXPECT_TRUE(refused.IsCorruption()) << refused.ToString();
  EXPECT_NE(refused.message().find("in binary format"), std::string::npos) << refused.message();
  sink->AbortTx();  // as the source does when a transaction fails
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_EQ((*journal)->committed_seq(), 0u);
}

TEST(PgChangeGolden, ValuesAreTheSameInEveryTimeZone) {
  auto without_bc_timestamptz = [](const std::vector<std::string>& lines) {
    std::vector<Json> out;
    for (const std::string& line : lines) {
      Json j = Json::parse(line);
      Json& changes = j["changes"];
      if (changes.contains("c_timestamptz")) {
        const Json& v = changes["c_timestamptz"]["new"];
        if (v.is_string() && v.get<std::string>().ends_with(" BC")) {
          changes.erase("c_timestamptz");
        }
      }
      out.push_back(std::move(j));
    }
    return out;
  };
  Replayed utc = Replay("values_utc");
  ASSERT_EQ(utc.lines.size(), 8u);
  for (const char* zone : {"values_amsterdam", "values_st_johns"}) {
    SCOPED_TRACE(zone);
    Replayed other = Replay(zone);
    ASSERT_EQ(other.lines.size(), utc.lines.size());
    int differing = 0;
    for (size_t i = 0; i < utc.lines.size(); ++i) differing += utc.lines[i] != other.lines[i];
    EXPECT_EQ(differing, 1);  // row 7: '0001-01-01 00:00:00+00 BC'
    EXPECT_EQ(without_bc_timestamptz(other.lines), without_bc_timestamptz(utc.lines));
  }
}

// What the stream captures must show, independent of the golden text.
TEST(PgChangeGolden, StreamedTransactionsCommitWholeAndAbortedOnesVanish) {
  Replayed commit = Replay("stream_commit");
  // The small transaction (parks 5) committed in the middle of the stream
  // comes first; then the streamed one whole: 1000 inserts, 3 updates,
  // 2 deletes, an insert and a truncate of bulk_side.
  ASSERT_EQ(commit.lines.size(), 1u + 1000u + 3u + 2u + 1u + 1u);
  EXPECT_NE(commit.lines[0].find("\"table\":\"public.parks\""), std::string::npos);
  EXPECT_NE(commit.lines[0].find("\"last\":true}}"), std::string::npos);
  for (size_t i = 1; i + 1 < commit.lines.size(); ++i) {
    ASSERT_NE(commit.lines[i].find("\"last\":false}}"), std::string::npos) << i;
  }
  EXPECT_NE(commit.lines.back().find("\"op\":\"truncate\""), std::string::npos);
  EXPECT_NE(commit.lines.back().find("\"last\":true}}"), std::string::npos);
  EXPECT_EQ(commit.stats.streamed_transactions, 1u);

  Replayed abort = Replay("stream_abort");
  // 2001..2500 and 3001: the rolled-back subtransaction (2501..3000) and the
  // aborted transaction (4001..4500) leave nothing.
  ASSERT_EQ(abort.lines.size(), 501u);
  for (size_t i = 0; i < abort.lines.size(); ++i) {
    Json j = Json::parse(abort.lines[i]);
    EXPECT_EQ(j["key"]["id"].get<int>(), i < 500 ? 2001 + static_cast<int>(i) : 3001);
    EXPECT_EQ(j["tx"]["last"].get<bool>(), i == 500);
    EXPECT_EQ(j["tx"]["id"], Json::parse(abort.lines[0])["tx"]["id"]);
  }
  EXPECT_EQ(abort.stats.aborted_streams, 1u);
}

}  // namespace
}  // namespace deltabridge
