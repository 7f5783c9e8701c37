// EntityStore: rows materialized from deltas (insert, update with and
// without a before-image, key change, delete, truncate), the log and its
// floor, durability across reopening, and the one-process lock.
#include "gateway/entity_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace deltabridge {
namespace {

class EntityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("entity_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto opened = EntityStore::Open(dir_.string(), {"parks"});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
  }
  // Applies one delta body (the wire's JSON) as seq `seq` and commits.
  std::optional<RowChange> Apply(uint64_t seq, const std::string& body) {
    auto batch = store_->Begin();
    EXPECT_TRUE(batch.ok());
    auto change = store_->Apply(&*batch, "parks", Row::parse(body), seq);
    EXPECT_TRUE(change.ok()) << change.status().message();
    EXPECT_TRUE(store_->SetApplied(&*batch, "parks", seq).ok());
    EXPECT_TRUE(store_->Commit(std::move(batch).value()).ok());
    return change.ok() ? *change : std::nullopt;
  }
  Row Get(const std::string& table, const nlohmann::json& key) {
    auto reader = store_->Read();
    EXPECT_TRUE(reader.ok());
    for (const auto& t : store_->Tables("parks")) {
      if (t->table == table) {
        auto row = reader->Get(*t, key);
        EXPECT_TRUE(row.ok());
        return *row;
      }
    }
    return Row();
  }

  std::filesystem::path dir_;
  std::unique_ptr<EntityStore> store_;
};

constexpr const char* kInsert =
    R"({"seq":1,"source":"scheduling","table":"public.slots","op":"insert","key":{"id":1},)"
    R"("changes":{"id":{"new":1},"status":{"new":"open"},"seats":{"new":3}},"ts":"T1"})";

TEST_F(EntityStoreTest, InsertUpdateDeleteKeepTheRowAndReportBeforeAndAfter) {
  auto c1 = Apply(1, kInsert);
  ASSERT_TRUE(c1);
  EXPECT_TRUE(c1->before.is_null());
  EXPECT_EQ(c1->after, Row::parse(R"({"id":1,"status":"open","seats":3})"));
  EXPECT_EQ(c1->table->key_columns, std::vector<std::string>{"id"});

  // An update without a before-image: only the new values; the store knows the old ones.
  auto c2 = Apply(2, R"({"source":"scheduling","table":"public.slots","op":"update",)"
                     R"("key":{"id":1},"changes":{"status":{"new":"booked"}},"ts":"T2"})");
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->before["status"], "open");
  EXPECT_EQ(c2->after["status"], "booked");
  EXPECT_EQ(c2->after["seats"], 3);
  EXPECT_EQ(c2->ts, "T2");

  // An update to the values the store has changes nothing.
  EXPECT_FALSE(Apply(3, R"({"source":"scheduling","table":"public.slots","op":"update",)"
                        R"("key":{"id":1},"changes":{"status":{"new":"booked"}}})"));

  auto c4 =
      Apply(4, R"({"source":"scheduling","table":"public.slots","op":"delete",)"
               R"("key":{"id":1},"changes":{"id":{"old":1}},"origin":["a.b","parks.scheduling"],)"
               R"("ref":"app:1"})");
  ASSERT_TRUE(c4);
  EXPECT_EQ(c4->kind, RowChange::Kind::kDelete);
  EXPECT_EQ(c4->before["seats"], 3);
  EXPECT_TRUE(c4->after.is_null());
  EXPECT_EQ(c4->origin, (std::vector<std::string>{"a.b", "parks.scheduling"}));
  EXPECT_EQ(c4->ref, "app:1");
  EXPECT_TRUE(Get("public.slots", {1}).is_null());
  // Deleting a row the store never had changes nothing.
  EXPECT_FALSE(Apply(5, R"({"source":"scheduling","table":"public.slots","op":"delete",)"
                        R"("key":{"id":9},"changes":{}})"));
}

TEST_F(EntityStoreTest, AKeyChangingUpdateMovesTheRow) {
  Apply(1, kInsert);
  auto c = Apply(2, R"({"source":"scheduling","table":"public.slots","op":"update",)"
                    R"("key":{"id":1},"changes":{"id":{"old":1,"new":7}}})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->before["id"], 1);
  EXPECT_EQ(c->after["id"], 7);
  EXPECT_TRUE(Get("public.slots", {1}).is_null());
  EXPECT_EQ(Get("public.slots", {7})["status"], "open");
}

TEST_F(EntityStoreTest, TruncateEmptiesOnlyItsTable) {
  Apply(1, kInsert);
  Apply(2, R"({"source":"scheduling","table":"public.slots","op":"insert","key":{"id":2},)"
           R"("changes":{"id":{"new":2}}})");
  Apply(3, R"({"source":"scheduling","table":"public.rangers","op":"insert","key":{"id":1},)"
           R"("changes":{"id":{"new":1},"name":{"new":"Ana"}}})");
  auto c = Apply(4, R"({"source":"scheduling","table":"public.slots","op":"truncate"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, RowChange::Kind::kTruncate);
  EXPECT_TRUE(Get("public.slots", {1}).is_null());
  EXPECT_TRUE(Get("public.slots", {2}).is_null());
  EXPECT_EQ(Get("public.rangers", {1})["name"], "Ana");
}

TEST_F(EntityStoreTest, ALongKeyIsStoredByItsHash) {
  const std::string long_text(2000, 'x');
  Apply(1, R"({"source":"s","table":"t","op":"insert","key":{"k":")" + long_text +
               R"("},"changes":{"k":{"new":")" + long_text + R"("},"v":{"new":1}}})");
  EXPECT_EQ(Get("t", {long_text})["v"], 1);
  Apply(2, R"({"source":"s","table":"t","op":"update","key":{"k":")" + long_text +
               R"("},"changes":{"v":{"new":2}}})");
  EXPECT_EQ(Get("t", {long_text})["v"], 2);
}

TEST_F(EntityStoreTest, RowsLogAndPositionSurviveReopening) {
  Apply(1, kInsert);
  Apply(2, R"({"source":"scheduling","table":"public.slots","op":"update",)"
           R"("key":{"id":1},"changes":{"seats":{"old":3,"new":4}}})");
  Reopen();
  auto reader = store_->Read();
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->Applied("parks"), 2u);
  EXPECT_EQ(reader->Floor("parks"), 0u);
  EXPECT_EQ(Get("public.slots", {1})["seats"], 4);
  EntityStore::LogWalk walk(&*reader, "parks", 1);
  auto first = walk.Next();
  ASSERT_TRUE(first.ok() && *first);
  EXPECT_EQ((*first)->seq, 2u);
  EXPECT_EQ((*first)->before["seats"], 3);
  EXPECT_EQ((*first)->table->table, "public.slots");
  auto end = walk.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
}

TEST_F(EntityStoreTest, TrimRaisesTheFloorAndDropsOlderEntries) {
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    Apply(seq, R"({"source":"s","table":"t","op":"insert","key":{"k":)" + std::to_string(seq) +
                   R"(},"changes":{"k":{"new":)" + std::to_string(seq) + "}}}");
  }
  {
    auto batch = store_->Begin();
    ASSERT_TRUE(store_->TrimLog(&*batch, "parks", 3).ok());
    ASSERT_TRUE(store_->Commit(std::move(batch).value()).ok());
  }
  auto reader = store_->Read();
  EXPECT_EQ(reader->Floor("parks"), 3u);
  EntityStore::LogWalk walk(&*reader, "parks", 0);
  auto first = walk.Next();
  ASSERT_TRUE(first.ok() && *first);
  EXPECT_EQ((*first)->seq, 4u);
  // The rows stay: only the log is trimmed.
  EXPECT_EQ(Get("t", {1})["k"], 1);
}

TEST_F(EntityStoreTest, ResetForgetsABridge) {
  Apply(1, kInsert);
  {
    auto batch = store_->Begin();
    ASSERT_TRUE(store_->SetPatterns(&*batch, "parks", {"parks.scheduling.*"}).ok());
    ASSERT_TRUE(store_->Commit(std::move(batch).value()).ok());
  }
  {
    auto batch = store_->Begin();
    auto patterns = store_->Patterns(&*batch, "parks");
    ASSERT_TRUE(patterns.ok());
    EXPECT_EQ(*patterns, std::vector<std::string>{"parks.scheduling.*"});
    ASSERT_TRUE(store_->ResetBridge(&*batch, "parks").ok());
    ASSERT_TRUE(store_->Commit(std::move(batch).value()).ok());
  }
  auto reader = store_->Read();
  EXPECT_EQ(reader->Applied("parks"), 0u);
  EXPECT_TRUE(Get("public.slots", {1}).is_null());
}

TEST_F(EntityStoreTest, ASecondProcessOrOpenIsRefused) {
  auto second = EntityStore::Open(dir_.string(), {"parks"});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("already open"), std::string::npos);
}

TEST_F(EntityStoreTest, ABodyThatIsNotADeltaIsCorruptionNotACrash) {
  auto batch = store_->Begin();
  auto change = store_->Apply(&*batch, "parks", Row::parse(R"({"op":"insert"})"), 1);
  EXPECT_EQ(change.status().code(), Status::Code::kCorruption);
  change = store_->Apply(&*batch, "parks",
                         Row::parse(R"({"source":"s","table":"t","op":"merge","key":{"k":1}})"), 2);
  EXPECT_EQ(change.status().code(), Status::Code::kCorruption);
  change = store_->Apply(&*batch, "nobody", Row::parse(kInsert), 3);
  EXPECT_EQ(change.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace deltabridge
