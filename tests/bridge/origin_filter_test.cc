// OriginFilter: tag rows read and stripped, tagged changes dropped or given
// their origin, deltabridge_* tables stripped, node names, counters; through
// the ChangeSink and the StreamSpool, over a recording fake and over the real
// journal writer (tx.last and positions).
#include "cdc/bridge/origin_filter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cdc/bridge/journal_writer.h"
#include "cdc/wire/origin_tag.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using Json = nlohmann::ordered_json;
using Path = std::vector<std::string>;

Change Row(int id, const std::string& table = "public.t") {
  Change c;
  c.source = "scheduling";
  c.table = table;
  c.op = Op::kInsert;
  c.key = {{"id", Value::Int(id)}};
  c.changes.push_back({"id", std::nullopt, Value::Int(id)});
  c.commit_time_us = 1795773600000000;
  c.pos = "0/10";
  c.tx_id = "7";
  return c;
}

// A change to the tag table writing `tag` (an update unless `op` says otherwise).
Change Tag(const std::string& tag, Op op = Op::kUpdate,
           const std::string& table = "public.deltabridge_origin") {
  Change c;
  c.source = "scheduling";
  c.table = table;
  c.op = op;
  c.key = {{"writer", Value::Textual(Value::Kind::kText, "to-sched", "varchar")}};
  if (op == Op::kDelete) {
    c.changes.push_back({"tag", Value::Textual(Value::Kind::kText, tag, "varchar"), std::nullopt});
  } else {
    c.changes.push_back(
        {"writer", std::nullopt, Value::Textual(Value::Kind::kText, "to-sched", "varchar")});
    c.changes.push_back({"tag", std::nullopt, Value::Textual(Value::Kind::kText, tag, "varchar")});
  }
  c.pos = "0/10";
  c.tx_id = "7";
  return c;
}

// Records what reaches it.
class FakeSink final : public ChangeSink, public StreamSpool {
 public:
  struct Appended {
    uint32_t xid, subxid;
    Change change;
  };
  std::vector<std::string> calls;  // "begin", "add", "end:POS", "abort", "drain:XID", ...
  std::vector<Change> added;
  std::vector<Appended> appended;

  Status BeginTx() override {
    calls.push_back("begin");
    return Status::Ok();
  }
  Status Add(Change change) override {
    calls.push_back("add");
    added.push_back(std::move(change));
    return Status::Ok();
  }
  Status EndTx(const std::string& position) override {
    calls.push_back("end:" + position);
    return Status::Ok();
  }
  void AbortTx() override { calls.push_back("abort"); }
  Status Flush() override { return Status::Ok(); }
  size_t unflushed() const override { return 0; }
  std::optional<std::string> DurablePosition() const override { return std::nullopt; }
  std::optional<std::string> GetState(const std::string&) const override { return std::nullopt; }
  void SetState(const std::string&, const std::string&) override {}

  Status Append(uint32_t xid, uint32_t subxid, const Change& change) override {
    appended.push_back({xid, subxid, change});
    return Status::Ok();
  }
  Status Discard(uint32_t xid, std::optional<uint32_t> subxid) override {
    calls.push_back("discard:" + std::to_string(xid) +
                    (subxid ? "/" + std::to_string(*subxid) : std::string()));
    return Status::Ok();
  }
  Status DrainInto(uint32_t xid, int64_t, const std::string&, const std::string&) override {
    calls.push_back("drain:" + std::to_string(xid));
    return Status::Ok();
  }
  Status Clear() override {
    calls.push_back("clear");
    return Status::Ok();
  }
};

OriginFilter::Options Opts(bool forward, const std::string& node = "parks.scheduling") {
  return {"parks", "scheduling", node, forward};
}

std::vector<int> Ids(const std::vector<Change>& changes) {
  std::vector<int> out;
  for (const Change& c : changes) out.push_back(static_cast<int>(c.key[0].second.i));
  return out;
}

TEST(OriginFilterTest, UntaggedChangesPassUnchanged) {
  FakeSink fake;
  OriginFilter f(Opts(false), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  EXPECT_EQ(fake.calls, (std::vector<std::string>{"begin", "add", "add", "end:0/20"}));
  ASSERT_EQ(fake.added.size(), 2u);
  EXPECT_TRUE(fake.added[0].origin.empty());
  EXPECT_TRUE(fake.added[0].node.empty());  // the default node is not written
  EXPECT_EQ(f.counters().not_journaled.load(), 0u);
  EXPECT_EQ(f.counters().tagged_dropped.load(), 0u);
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 0u);
}

TEST(OriginFilterTest, TaggedChangesAreDroppedWithoutForwardAndThePositionStillAdvances) {
  FakeSink fake;
  OriginFilter f(Opts(false), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"legacy.main"}))).ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  EXPECT_EQ(fake.calls, (std::vector<std::string>{"begin", "end:0/20"}));
  EXPECT_EQ(f.counters().tagged_dropped.load(), 2u);
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 0u);
  EXPECT_EQ(f.counters().not_journaled.load(), 3u);  // the tag row and the two changes

  // The next transaction is untagged again.
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(3)).ok());
  ASSERT_TRUE(f.EndTx("0/30").ok());
  EXPECT_EQ(Ids(fake.added), std::vector<int>{3});
  EXPECT_TRUE(fake.added[0].origin.empty());
}

TEST(OriginFilterTest, TaggedChangesAreForwardedWithTheirOriginAndThisNode) {
  FakeSink fake;
  OriginFilter f(Opts(true, "hub.main"), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());  // before the tag: the transaction is not the sink's yet
  // An insert of the tag row (a sink's first write) counts as an update does.
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"a", "b"}), Op::kInsert)).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  ASSERT_EQ(Ids(fake.added), (std::vector<int>{1, 2}));
  EXPECT_TRUE(fake.added[0].origin.empty());
  EXPECT_EQ(fake.added[1].origin, (Path{"a", "b", "hub.main"}));
  // A node other than <bridge>.<source> is named on every change.
  EXPECT_EQ(fake.added[0].node, "hub.main");
  EXPECT_EQ(fake.added[1].node, "hub.main");
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 1u);
  EXPECT_EQ(f.counters().tagged_dropped.load(), 0u);
  EXPECT_EQ(f.counters().not_journaled.load(), 1u);
}

TEST(OriginFilterTest, AChangeWrittenBackIntoItsOwnNodeIsNeverForwarded) {
  // A sink wrote this node's own local value back (its path holds this node):
  // forwarding it would carry an old value with a new commit time.
  FakeSink fake;
  OriginFilter f(Opts(true, "hub.main"), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"hub.main"}))).ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(2, {"a", "hub.main", "c"}))).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(3, {"a"}))).ok());
  ASSERT_TRUE(f.Add(Row(3)).ok());
  ASSERT_TRUE(f.EndTx("0/30").ok());
  ASSERT_EQ(Ids(fake.added), (std::vector<int>{3}));
  EXPECT_EQ(fake.added[0].origin, (Path{"a", "hub.main"}));
  EXPECT_EQ(f.counters().tagged_dropped.load(), 2u);
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 1u);
}

TEST(OriginFilterTest, AnApplicationsPushIsPublishedWithoutForward) {
  FakeSink fake;
  OriginFilter f(Opts(false), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"app.web"}, /*publish=*/true))).ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(2, {"parks.legacy"}))).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  // Written back into this node: never published, push or not.
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(3, {"parks.scheduling"}, /*publish=*/true))).ok());
  ASSERT_TRUE(f.Add(Row(3)).ok());
  ASSERT_TRUE(f.EndTx("0/40").ok());
  ASSERT_EQ(Ids(fake.added), (std::vector<int>{1}));
  EXPECT_EQ(fake.added[0].origin, (Path{"app.web", "parks.scheduling"}));
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 1u);
  EXPECT_EQ(f.counters().tagged_dropped.load(), 2u);
}

TEST(OriginFilterTest, APushsRefGoesWithItsChanges) {
  FakeSink fake;
  OriginFilter f(Opts(false), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());  // before any tag: no origin, no ref
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"app.web"}, true, "app:17"))).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.Add(Row(3)).ok());
  // Another push in the same transaction: its own ref; then one without.
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(2, {"app.web"}, true, "app:18"))).ok());
  ASSERT_TRUE(f.Add(Row(4)).ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(3, {"app.web"}, true))).ok());
  ASSERT_TRUE(f.Add(Row(5)).ok());
  // A bad ref makes the tag bad: the rest is untagged, without a ref.
  ASSERT_TRUE(f.Add(Tag(R"({"n":4,"path":["app.web"],"publish":true,"ref":""})")).ok());
  ASSERT_TRUE(f.Add(Row(6)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  ASSERT_EQ(Ids(fake.added), (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(fake.added[0].ref, "");
  EXPECT_TRUE(fake.added[0].origin.empty());
  EXPECT_EQ(fake.added[1].ref, "app:17");
  EXPECT_EQ(fake.added[1].origin, (Path{"app.web", "parks.scheduling"}));
  EXPECT_EQ(fake.added[2].ref, "app:17");
  EXPECT_EQ(fake.added[3].ref, "app:18");
  EXPECT_EQ(fake.added[4].ref, "");
  EXPECT_EQ(fake.added[4].origin, (Path{"app.web", "parks.scheduling"}));
  EXPECT_EQ(fake.added[5].ref, "");
  EXPECT_TRUE(fake.added[5].origin.empty());
  EXPECT_EQ(f.counters().bad_tags.load(), 1u);
  // The next transaction starts without one.
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(7)).ok());
  ASSERT_TRUE(f.EndTx("0/30").ok());
  EXPECT_EQ(fake.added.back().ref, "");
}

TEST(OriginFilterTest, AForwardedChangeKeepsTheRefItCameWith) {
  // A sink wrote a pushed change into this hub, tagging it with the ref the
  // change came with: the hub forwards it with that ref.
  FakeSink fake;
  OriginFilter f(Opts(true, "hub.main"), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(
      f.Add(Tag(EncodeOriginTag(1, {"app.web", "parks.scheduling"}, false, "app:17"))).ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(2, {"parks.scheduling"}))).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  ASSERT_EQ(Ids(fake.added), (std::vector<int>{1, 2}));
  EXPECT_EQ(fake.added[0].origin, (Path{"app.web", "parks.scheduling", "hub.main"}));
  EXPECT_EQ(fake.added[0].ref, "app:17");
  EXPECT_EQ(fake.added[1].origin, (Path{"parks.scheduling", "hub.main"}));
  EXPECT_EQ(fake.added[1].ref, "");
  // Streamed, the same.
  ASSERT_TRUE(f.Append(100, 100, Tag(EncodeOriginTag(3, {"app.web"}, true, "app:19"))).ok());
  ASSERT_TRUE(f.Append(100, 101, Row(3)).ok());
  ASSERT_EQ(fake.appended.size(), 1u);
  EXPECT_EQ(fake.appended[0].change.ref, "app:19");
  EXPECT_EQ(fake.appended[0].change.origin, (Path{"app.web", "hub.main"}));
}

TEST(OriginFilterTest, ASecondTagInOneTransactionChangesTheOriginOfWhatFollows) {
  FakeSink fake;
  OriginFilter f(Opts(true), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"a"}))).ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(2, {"c", "d"}))).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.Add(Row(3)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  ASSERT_EQ(Ids(fake.added), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(fake.added[0].origin, (Path{"a", "parks.scheduling"}));
  EXPECT_EQ(fake.added[1].origin, (Path{"c", "d", "parks.scheduling"}));
  EXPECT_EQ(fake.added[2].origin, (Path{"c", "d", "parks.scheduling"}));
  EXPECT_TRUE(fake.added[0].node.empty());
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 3u);
}

TEST(OriginFilterTest, ABadTagLeavesTheRestOfItsTransactionUntagged) {
  FakeSink fake;
  OriginFilter f(Opts(false), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"a"}))).ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());  // dropped
  ASSERT_TRUE(f.Add(Tag("{\"n\":2,\"path\":[]}")).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());  // untagged: journaled
  ASSERT_TRUE(f.Add(Tag("not json")).ok());
  ASSERT_TRUE(f.Add(Row(3)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  ASSERT_EQ(Ids(fake.added), (std::vector<int>{2, 3}));
  EXPECT_TRUE(fake.added[0].origin.empty());
  EXPECT_EQ(f.counters().bad_tags.load(), 2u);
  EXPECT_EQ(f.counters().tagged_dropped.load(), 1u);

  // A tag row without the tag's new value (a NULL, or no such column) is bad too.
  Change null_tag = Tag("x");
  null_tag.changes[1].new_value = Value::Null("varchar");
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(std::move(null_tag)).ok());
  ASSERT_TRUE(f.Add(Row(4)).ok());
  ASSERT_TRUE(f.EndTx("0/30").ok());
  EXPECT_EQ(Ids(fake.added), (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(f.counters().bad_tags.load(), 3u);
}

TEST(OriginFilterTest, ADeleteOfTheTagRowIsIgnoredAndNeverJournaled) {
  FakeSink fake;
  OriginFilter f(Opts(false), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"a"}), Op::kDelete)).ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  ASSERT_EQ(Ids(fake.added), std::vector<int>{1});
  EXPECT_TRUE(fake.added[0].origin.empty());
  EXPECT_EQ(f.counters().bad_tags.load(), 0u);
}

TEST(OriginFilterTest, DeltabridgeTablesAreNeverJournaled) {
  FakeSink fake;
  OriginFilter f(Opts(true), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(1, "public.deltabridge_checkpoints")).ok());
  ASSERT_TRUE(f.Add(Row(2, "habitat.deltabridge_conflicts")).ok());
  ASSERT_TRUE(f.Add(Row(3, "deltabridge_field_writers")).ok());
  ASSERT_TRUE(f.Add(Row(4, "public.not_deltabridge_x")).ok());
  // The tag table in any schema or database, or bare.
  ASSERT_TRUE(
      f.Add(Tag(EncodeOriginTag(1, {"a"}), Op::kUpdate, "habitat.deltabridge_origin")).ok());
  ASSERT_TRUE(f.Add(Row(5)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  ASSERT_EQ(Ids(fake.added), (std::vector<int>{4, 5}));
  EXPECT_TRUE(fake.added[0].origin.empty());
  EXPECT_EQ(fake.added[1].origin, (Path{"a", "parks.scheduling"}));
  EXPECT_EQ(f.counters().not_journaled.load(), 4u);
}

TEST(OriginFilterTest, AnAbortedTransactionForgetsItsOriginAndCounts) {
  FakeSink fake;
  OriginFilter f(Opts(false), &fake, &fake);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"a"}))).ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  f.AbortTx();
  EXPECT_EQ(f.counters().tagged_dropped.load(), 0u);  // read again, counted then
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  EXPECT_EQ(Ids(fake.added), std::vector<int>{2});
  EXPECT_EQ(fake.calls, (std::vector<std::string>{"begin", "abort", "begin", "add", "end:0/20"}));
}

TEST(OriginFilterTest, StreamedTransactionsAreFilteredPerXidAsTheyAreAppended) {
  FakeSink fake;
  OriginFilter f(Opts(true), &fake, &fake);
  // Two streamed transactions interleaved: 100 tagged, 200 not.
  ASSERT_TRUE(f.Append(100, 100, Tag(EncodeOriginTag(1, {"a"}))).ok());
  ASSERT_TRUE(f.Append(200, 200, Row(20)).ok());
  ASSERT_TRUE(f.Append(100, 100, Row(10)).ok());
  ASSERT_TRUE(f.Append(100, 101, Row(11)).ok());  // a subtransaction: same origin
  ASSERT_TRUE(f.Append(200, 200, Row(21, "public.deltabridge_checkpoints")).ok());
  ASSERT_TRUE(f.Append(200, 200, Row(22)).ok());
  ASSERT_EQ(fake.appended.size(), 4u);
  EXPECT_EQ(fake.appended[0].xid, 200u);
  EXPECT_TRUE(fake.appended[0].change.origin.empty());
  EXPECT_EQ(fake.appended[1].xid, 100u);
  EXPECT_EQ(fake.appended[1].change.origin, (Path{"a", "parks.scheduling"}));
  EXPECT_EQ(fake.appended[2].subxid, 101u);
  EXPECT_EQ(fake.appended[2].change.origin, (Path{"a", "parks.scheduling"}));
  EXPECT_TRUE(fake.appended[3].change.origin.empty());
  // Counted only when the transaction ends.
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 0u);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.DrainInto(100, 0, "0/30", "100").ok());
  ASSERT_TRUE(f.EndTx("0/40").ok());
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 2u);
  EXPECT_EQ(f.counters().not_journaled.load(), 1u);
  // 200 aborts: its counts go with it; a later xid 100 starts untagged.
  ASSERT_TRUE(f.Discard(200, std::nullopt).ok());
  ASSERT_TRUE(f.Append(100, 100, Row(12)).ok());
  EXPECT_TRUE(fake.appended.back().change.origin.empty());
  EXPECT_EQ(f.counters().not_journaled.load(), 1u);
}

TEST(OriginFilterTest, StreamedTaggedChangesAreDroppedWithoutForward) {
  FakeSink fake;
  OriginFilter f(Opts(false), &fake, &fake);
  ASSERT_TRUE(f.Append(100, 100, Row(9)).ok());
  ASSERT_TRUE(f.Append(100, 100, Tag(EncodeOriginTag(1, {"a"}))).ok());
  ASSERT_TRUE(f.Append(100, 100, Row(10)).ok());
  ASSERT_TRUE(f.Append(100, 101, Row(11)).ok());
  ASSERT_TRUE(f.Discard(100, 101).ok());  // a rolled-back subtransaction keeps the origin
  ASSERT_TRUE(f.Append(100, 100, Row(12)).ok());
  ASSERT_EQ(fake.appended.size(), 1u);
  EXPECT_EQ(fake.appended[0].change.key[0].second.i, 9);
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.DrainInto(100, 0, "0/30", "100").ok());
  ASSERT_TRUE(f.EndTx("0/40").ok());
  EXPECT_EQ(f.counters().tagged_dropped.load(), 3u);
  ASSERT_TRUE(f.Clear().ok());
  EXPECT_EQ(fake.calls, (std::vector<std::string>{"discard:100/101", "begin", "drain:100",
                                                  "end:0/40", "clear"}));
}

// Over the real journal writer: what a subscriber would receive.
class OriginFilterJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<test::TempDir> d = test::TempDir::Create("dbof-");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<test::TempDir>(std::move(*d));
    Result<std::unique_ptr<Journal>> j = Journal::Open(dir_->Join("journal"));
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    journal_ = std::move(*j);
    writer_ = std::make_unique<JournalWriter>("parks", journal_.get());
    sink_ = writer_->SinkFor("scheduling");
  }

  std::vector<Json> All() {
    std::vector<JournalEntry> entries;
    ReadOptions ro;
    ro.max_entries = 1000;
    Status s = journal_->Read(1, ro, &entries);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<Json> out;
    for (const auto& e : entries) out.push_back(Json::parse(e.body));
    return out;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<JournalWriter> writer_;
  std::unique_ptr<SourceSink> sink_;
};

TEST_F(OriginFilterJournalTest, TxLastIsOnTheLastJournaledDeltaAndAllDroppedStillMovesThePosition) {
  OriginFilter f(Opts(false), sink_.get(), sink_.get());
  // Untagged rows, then the tag and the sink's rows (dropped): the last
  // journaled delta carries tx.last.
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"a"}))).ok());
  ASSERT_TRUE(f.Add(Row(3)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  // Everything dropped: nothing journaled, the position moves.
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(2, {"a"}))).ok());
  ASSERT_TRUE(f.Add(Row(4)).ok());
  ASSERT_TRUE(f.EndTx("0/30").ok());
  ASSERT_TRUE(f.Flush().ok());
  EXPECT_EQ(f.DurablePosition(), std::optional<std::string>("0/30"));
  auto all = All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["key"]["id"], 1);
  EXPECT_FALSE(all[0]["tx"]["last"].get<bool>());
  EXPECT_EQ(all[1]["key"]["id"], 2);
  EXPECT_TRUE(all[1]["tx"]["last"].get<bool>());
  EXPECT_FALSE(all[1].contains("origin"));
}

TEST_F(OriginFilterJournalTest, StreamedTaggedChangesReachTheJournalWithTheirOrigin) {
  OriginFilter f(Opts(true, "parks.sched"), sink_.get(), sink_.get());
  ASSERT_TRUE(f.Clear().ok());
  ASSERT_TRUE(f.Append(100, 100, Tag(EncodeOriginTag(1, {"legacy.main"}))).ok());
  ASSERT_TRUE(f.Append(100, 100, Row(1)).ok());
  ASSERT_TRUE(f.Append(100, 100, Row(2)).ok());
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.DrainInto(100, 1795773600000000, "0/30", "100").ok());
  ASSERT_TRUE(f.EndTx("0/40").ok());
  ASSERT_TRUE(f.Flush().ok());
  auto all = All();
  ASSERT_EQ(all.size(), 2u);
  for (const Json& d : all) {
    EXPECT_EQ(d["origin"], Json::parse(R"(["legacy.main","parks.sched"])")) << d.dump();
    EXPECT_EQ(d["node"], "parks.sched");
    EXPECT_EQ(d["pos"], "0/30");
  }
  EXPECT_FALSE(all[0]["tx"]["last"].get<bool>());
  EXPECT_TRUE(all[1]["tx"]["last"].get<bool>());
  EXPECT_EQ(f.counters().tagged_forwarded.load(), 2u);
}

TEST_F(OriginFilterJournalTest, APushsChangesReachTheJournalWithItsRef) {
  OriginFilter f(Opts(false), sink_.get(), sink_.get());
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.Add(Row(1)).ok());
  ASSERT_TRUE(f.Add(Tag(EncodeOriginTag(1, {"app.web"}, true, "app:17"))).ok());
  ASSERT_TRUE(f.Add(Row(2)).ok());
  ASSERT_TRUE(f.EndTx("0/20").ok());
  // Streamed: through the spool.
  ASSERT_TRUE(f.Clear().ok());
  ASSERT_TRUE(f.Append(100, 100, Tag(EncodeOriginTag(2, {"app.web"}, true, "app:18"))).ok());
  ASSERT_TRUE(f.Append(100, 100, Row(3)).ok());
  ASSERT_TRUE(f.BeginTx().ok());
  ASSERT_TRUE(f.DrainInto(100, 1795773600000000, "0/30", "100").ok());
  ASSERT_TRUE(f.EndTx("0/40").ok());
  ASSERT_TRUE(f.Flush().ok());
  auto all = All();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_FALSE(all[0].contains("ref"));
  EXPECT_FALSE(all[0].contains("origin"));
  EXPECT_EQ(all[1]["ref"], "app:17");
  EXPECT_EQ(all[1]["origin"], Json::parse(R"(["app.web","parks.scheduling"])"));
  EXPECT_EQ(all[2]["ref"], "app:18");
  EXPECT_EQ(all[2]["key"]["id"], 3);
}

}  // namespace
}  // namespace deltabridge
