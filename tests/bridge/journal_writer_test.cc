// JournalWriter / SourceSink: seqs, tx.last marking, positions with their
// transaction, aborted transactions, and spooled (streamed) transactions.
#include "cdc/bridge/journal_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using Json = nlohmann::ordered_json;

class JournalWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<test::TempDir> d = test::TempDir::Create("dbjw-");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<test::TempDir>(std::move(*d));
    Reopen();
  }

  void Reopen() {
    writer_.reset();
    journal_.reset();
    Result<std::unique_ptr<Journal>> j = Journal::Open(dir_->Join("journal"));
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    journal_ = std::move(*j);
    writer_ = std::make_unique<JournalWriter>("parks", journal_.get());
  }

  static Change Insert(int id, const std::string& tx) {
    Change c;
    c.source = "scheduling";
    c.table = "public.t";
    c.op = Op::kInsert;
    c.key = {{"id", Value::Int(id)}};
    c.changes.push_back({"id", std::nullopt, Value::Int(id)});
    c.commit_time_us = 1795773600000000;
    c.pos = "0/10";
    c.tx_id = tx;
    return c;
  }

  std::vector<Json> All() {
    std::vector<JournalEntry> entries;
    ReadOptions ro;
    ro.max_entries = 1000;
    Status s = journal_->Read(1, ro, &entries);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<Json> out;
    for (const auto& e : entries) {
      EXPECT_EQ(e.topic, "parks.scheduling.public.t");
      out.push_back(Json::parse(e.body));
      EXPECT_EQ(out.back()["seq"].get<uint64_t>(), e.seq);
    }
    return out;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<JournalWriter> writer_;
};

TEST_F(JournalWriterTest, SeqsAndLastMarkAndPositionTogether) {
  auto sink = writer_->SinkFor("scheduling");
  ASSERT_TRUE(sink->BeginTx().ok());
  ASSERT_TRUE(sink->Add(Insert(1, "7")).ok());
  ASSERT_TRUE(sink->Add(Insert(2, "7")).ok());
  ASSERT_TRUE(sink->EndTx("0/20").ok());
  ASSERT_TRUE(sink->BeginTx().ok());
  ASSERT_TRUE(sink->Add(Insert(3, "8")).ok());
  ASSERT_TRUE(sink->EndTx("0/30").ok());
  EXPECT_EQ(sink->unflushed(), 2u);
  EXPECT_EQ(journal_->committed_seq(), 0u);  // nothing visible before Flush
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_EQ(sink->unflushed(), 0u);
  auto all = All();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["seq"], 1);
  EXPECT_FALSE(all[0]["tx"]["last"].get<bool>());
  EXPECT_TRUE(all[1]["tx"]["last"].get<bool>());
  EXPECT_TRUE(all[2]["tx"]["last"].get<bool>());
  EXPECT_EQ(sink->DurablePosition().value(), "0/30");
}

TEST_F(JournalWriterTest, AbortedTransactionLeavesNothingAndSeqsContinue) {
  auto sink = writer_->SinkFor("scheduling");
  ASSERT_TRUE(sink->BeginTx().ok());
  ASSERT_TRUE(sink->Add(Insert(1, "7")).ok());
  ASSERT_TRUE(sink->EndTx("0/20").ok());
  ASSERT_TRUE(sink->BeginTx().ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(sink->Add(Insert(100 + i, "9")).ok());
  sink->AbortTx();
  ASSERT_TRUE(sink->BeginTx().ok());
  ASSERT_TRUE(sink->Add(Insert(2, "10")).ok());
  ASSERT_TRUE(sink->EndTx("0/40").ok());
  ASSERT_TRUE(sink->Flush().ok());
  auto all = All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1]["seq"], 2);
  EXPECT_EQ(all[1]["key"]["id"], 2);
  EXPECT_EQ(sink->DurablePosition().value(), "0/40");
}

TEST_F(JournalWriterTest, StateIsDurableWithItsTransactionOnly) {
  auto sink = writer_->SinkFor("scheduling");
  ASSERT_TRUE(sink->BeginTx().ok());
  sink->SetState("snapshot_done", "0/50");
  ASSERT_TRUE(sink->EndTx("0/50").ok());
  ASSERT_TRUE(sink->Flush().ok());
  ASSERT_TRUE(sink->BeginTx().ok());
  sink->SetState("snapshot_done", "never");
  sink->AbortTx();
  sink.reset();
  Reopen();
  sink = writer_->SinkFor("scheduling");
  EXPECT_EQ(sink->GetState("snapshot_done").value(), "0/50");
  EXPECT_FALSE(writer_->SinkFor("other")->GetState("snapshot_done").has_value());
}

TEST_F(JournalWriterTest, SpooledTransactionIsStampedAtCommit) {
  auto sink = writer_->SinkFor("scheduling");
  ASSERT_TRUE(sink->Clear().ok());
  // Two interleaved streamed transactions; 42 commits, 43 aborts a subtransaction.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sink->Append(42, 42, Insert(i, "")).ok());
  ASSERT_TRUE(sink->Append(43, 43, Insert(10, "")).ok());
  ASSERT_TRUE(sink->Append(42, 44, Insert(99, "")).ok());  // subtransaction 44
  ASSERT_TRUE(sink->Discard(42, 44).ok());
  ASSERT_TRUE(sink->BeginTx().ok());
  ASSERT_TRUE(sink->DrainInto(42, 1795773600123456, "0/99", "42").ok());
  ASSERT_TRUE(sink->EndTx("0/A0").ok());
  ASSERT_TRUE(sink->Flush().ok());
  auto all = All();
  ASSERT_EQ(all.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(all[i]["seq"], i + 1);
    EXPECT_EQ(all[i]["key"]["id"], i);
    EXPECT_EQ(all[i]["ts"], "2026-11-27T10:00:00.123456Z");
    EXPECT_EQ(all[i]["pos"], "0/99");
    EXPECT_EQ(all[i]["tx"]["id"], "42");
    EXPECT_EQ(all[i]["tx"]["last"].get<bool>(), i == 2);
  }
}

TEST_F(JournalWriterTest, MisuseIsAnErrorNotACrash) {
  auto sink = writer_->SinkFor("scheduling");
  EXPECT_FALSE(sink->Add(Insert(1, "1")).ok());
  EXPECT_FALSE(sink->EndTx("0/1").ok());
  EXPECT_FALSE(sink->DrainInto(1, 0, "", "").ok());
  ASSERT_TRUE(sink->BeginTx().ok());
  EXPECT_FALSE(sink->BeginTx().ok());
  sink->AbortTx();
}

}  // namespace
}  // namespace deltabridge
