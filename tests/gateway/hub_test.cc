// Hub and ClientStream: what a client receives. The current rows consistent
// with one seq, then live changes with no gap or duplicate at the seam;
// resume from a seq (and a reset when the log no longer has it); from=now;
// subsets whose rows enter and leave; columns; renames and excludes; the
// bounded queue closing a slow client with the seq to resume from.
#include "gateway/hub.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace deltabridge {
namespace {

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hub_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto opened = EntityStore::Open(dir_.string(), {"parks"});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    config_.name = "app";
    config_.limits.client_queue_messages = 50;
    EntityConfig slots;
    slots.name = "slots";
    slots.bridge = "parks";
    slots.from = {"parks.scheduling.public.slots"};
    slots.columns = {{"status", "state"}};
    slots.exclude = {"notes"};
    config_.entities.push_back(slots);
    hub_ = std::make_unique<Hub>(io_, config_, store_.get());
  }
  void TearDown() override {
    hub_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Applies and publishes deltas seq..seq+n-1 as the runner does: commit, then Publish.
  void Commit(uint64_t seq, const std::vector<std::string>& bodies) {
    auto batch = store_->Begin();
    ASSERT_TRUE(batch.ok());
    std::vector<RowChange> changes;
    uint64_t s = seq;
    for (const auto& body : bodies) {
      auto change = store_->Apply(&*batch, "parks", Row::parse(body), s++);
      ASSERT_TRUE(change.ok()) << change.status().message();
      if (*change) changes.push_back(std::move(**change));
    }
    ASSERT_TRUE(store_->SetApplied(&*batch, "parks", s - 1).ok());
    ASSERT_TRUE(store_->Commit(std::move(batch).value()).ok());
    hub_->Publish("parks", std::move(changes), s - 1);
  }
  static std::string Slot(int id, const std::string& status, int seats) {
    return R"({"source":"scheduling","table":"public.slots","op":"insert","key":{"id":)" +
           std::to_string(id) + R"(},"changes":{"id":{"new":)" + std::to_string(id) +
           R"(},"status":{"new":")" + status + R"("},"seats":{"new":)" + std::to_string(seats) +
           R"(},"notes":{"new":"secret"}},"ts":"T"})";
  }
  static std::string Update(int id, const std::string& column, const std::string& json_value) {
    return R"({"source":"scheduling","table":"public.slots","op":"update","key":{"id":)" +
           std::to_string(id) + R"(},"changes":{")" + column + R"(":{"new":)" + json_value +
           "}},\"ts\":\"T\"}";
  }

  std::unique_ptr<ClientStream> Open(StreamStart start, ClientView client = {}) {
    auto stream = hub_->Open(*hub_->View("slots"), std::move(client), start, false, "");
    EXPECT_TRUE(stream.ok()) << stream.status().message();
    return std::move(stream).value();
  }
  // Everything the stream has ready now, as parsed JSON.
  static std::vector<nlohmann::json> Drain(ClientStream* stream) {
    std::vector<nlohmann::json> out;
    std::vector<OutMessage> taken;
    while (stream->Take(&taken, 7, 1 << 20) > 0) {
    }
    for (const auto& m : taken) out.push_back(nlohmann::json::parse(*m.json));
    return out;
  }

  std::filesystem::path dir_;
  boost::asio::io_context io_;
  GatewayConfig config_;
  std::unique_ptr<EntityStore> store_;
  std::unique_ptr<Hub> hub_;
};

TEST_F(HubTest, SnapshotThenUpToDateThenLiveWithoutGapOrDuplicate) {
  Commit(1, {Slot(1, "open", 3), Slot(2, "open", 5)});
  auto stream = Open({});
  // Committed after the stream began: only live, above the snapshot's seq.
  Commit(3, {Update(1, "status", "\"booked\"")});
  auto messages = Drain(stream.get());
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages[0]["control"], "start");
  EXPECT_EQ(messages[0]["mode"], "snapshot");
  EXPECT_EQ(messages[1]["op"], "snapshot");
  EXPECT_EQ(messages[1]["key"], nlohmann::json({{"id", 1}}));
  // Renamed and excluded as the entity says.
  EXPECT_EQ(messages[1]["changes"]["state"]["new"], "open");
  EXPECT_FALSE(messages[1]["changes"].contains("notes"));
  EXPECT_FALSE(messages[1]["changes"].contains("status"));
  EXPECT_EQ(messages[3]["control"], "up-to-date");
  EXPECT_EQ(messages[3]["seq"], 2);
  EXPECT_EQ(messages[4]["seq"], 3);
  EXPECT_EQ(messages[4]["op"], "update");
  EXPECT_EQ(messages[4]["changes"],
            nlohmann::json::parse(R"({"state":{"old":"open","new":"booked"}})"));
}

TEST_F(HubTest, ChangesPublishedLateButCommittedBeforeTheSnapshotAreNotRepeated) {
  // Committed (so in the snapshot) but still on its way to the hub.
  auto batch = store_->Begin();
  auto change = store_->Apply(&*batch, "parks", Row::parse(Slot(1, "open", 3)), 1);
  ASSERT_TRUE(store_->SetApplied(&*batch, "parks", 1).ok());
  ASSERT_TRUE(store_->Commit(std::move(batch).value()).ok());
  auto stream = Open({});
  std::vector<RowChange> late;
  late.push_back(std::move(**change));
  hub_->Publish("parks", std::move(late), 1);
  auto messages = Drain(stream.get());
  ASSERT_EQ(messages.size(), 3u);  // start, the row once, up-to-date
  EXPECT_EQ(messages[1]["op"], "snapshot");
  EXPECT_EQ(messages[2]["control"], "up-to-date");
}

TEST_F(HubTest, ResumeSendsOnlyWhatCameAfterTheSeq) {
  Commit(1, {Slot(1, "open", 3), Slot(2, "open", 5)});
  Commit(3, {Update(1, "seats", "4"), Update(2, "seats", "6")});
  auto stream = Open({StreamStart::Mode::kResume, 3});
  auto messages = Drain(stream.get());
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["mode"], "resume");
  EXPECT_EQ(messages[1]["seq"], 4);
  EXPECT_EQ(messages[1]["changes"]["seats"]["new"], 6);
  EXPECT_EQ(messages[2]["control"], "up-to-date");
  EXPECT_EQ(messages[2]["seq"], 4);
}

TEST_F(HubTest, ResumeOlderThanTheLogIsAResetWithTheCurrentRows) {
  Commit(1, {Slot(1, "open", 3), Slot(2, "open", 5), Update(1, "seats", "4")});
  {
    auto batch = store_->Begin();
    ASSERT_TRUE(store_->TrimLog(&*batch, "parks", 2).ok());
    ASSERT_TRUE(store_->Commit(std::move(batch).value()).ok());
  }
  auto stream = Open({StreamStart::Mode::kResume, 1});
  auto messages = Drain(stream.get());
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages[1]["control"], "reset");
  EXPECT_EQ(messages[2]["op"], "snapshot");
  EXPECT_EQ(messages[2]["changes"]["seats"]["new"], 4);
  EXPECT_EQ(messages[4]["control"], "up-to-date");
  EXPECT_EQ(messages[4]["seq"], 3);
  EXPECT_EQ(hub_->counters().resets, 1u);
}

TEST_F(HubTest, FromNowSendsOnlyChanges) {
  Commit(1, {Slot(1, "open", 3)});
  auto stream = Open({StreamStart::Mode::kLive, 0});
  Commit(2, {Slot(2, "open", 1)});
  auto messages = Drain(stream.get());
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1]["control"], "up-to-date");
  EXPECT_EQ(messages[1]["seq"], 1);
  EXPECT_EQ(messages[2]["op"], "insert");
  EXPECT_EQ(messages[2]["key"]["id"], 2);
}

TEST_F(HubTest, RowsEnteringAndLeavingASubsetAreInsertsAndDeletes) {
  Commit(1, {Slot(1, "open", 3), Slot(2, "closed", 5)});
  ClientView client;
  client.filter = *RowFilter::Parse("state = 'open'");
  auto stream = Open({}, std::move(client));
  Commit(3, {Update(2, "status", "\"open\""),    // enters
             Update(1, "status", "\"closed\""),  // leaves
             Update(2, "seats", "9"),            // inside: an update
             Update(1, "seats", "1")});          // outside: nothing
  auto messages = Drain(stream.get());
  ASSERT_EQ(messages.size(), 6u);
  EXPECT_EQ(messages[1]["key"]["id"], 1);  // the only row in the subset at first
  EXPECT_EQ(messages[2]["control"], "up-to-date");
  EXPECT_EQ(messages[3]["op"], "insert");
  EXPECT_EQ(messages[3]["key"]["id"], 2);
  EXPECT_EQ(messages[3]["changes"]["seats"]["new"], 5);
  EXPECT_EQ(messages[4]["op"], "delete");
  EXPECT_EQ(messages[4]["key"]["id"], 1);
  EXPECT_EQ(messages[5]["op"], "update");
  EXPECT_EQ(messages[5]["changes"], nlohmann::json::parse(R"({"seats":{"old":5,"new":9}})"));
}

TEST_F(HubTest, ColumnsNarrowTheFieldsButKeepTheKey) {
  Commit(1, {Slot(1, "open", 3)});
  ClientView client;
  client.columns.emplace();
  client.columns->insert("seats");
  auto stream = Open({}, std::move(client));
  Commit(2, {Update(1, "status", "\"booked\""), Update(1, "seats", "2")});
  auto messages = Drain(stream.get());
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[1]["changes"], nlohmann::json::parse(R"({"id":{"new":1},"seats":{"new":3}})"));
  // The status change shows nothing this client asked for.
  EXPECT_EQ(messages[3]["seq"], 3);
  EXPECT_EQ(messages[3]["changes"], nlohmann::json::parse(R"({"seats":{"old":3,"new":2}})"));
}

TEST_F(HubTest, ASlowClientIsClosedWithTheSeqToResumeFrom) {
  Commit(1, {Slot(1, "open", 0)});
  auto stream = Open({});
  auto first = Drain(stream.get());
  ASSERT_EQ(first.back()["control"], "up-to-date");
  int woken = 0;
  stream->SetWakeup([&] { ++woken; });
  for (int i = 1; i <= 60; ++i) Commit(1 + i, {Update(1, "seats", std::to_string(i))});
  io_.poll();
  ASSERT_TRUE(stream->closing());
  EXPECT_EQ(stream->closing()->websocket_code, 4008);
  EXPECT_EQ(stream->closing()->reason, "slow client: resume with from=1");
  EXPECT_GE(woken, 1);
  EXPECT_EQ(hub_->counters().overflow_closes, 1u);
  // Resuming there gives every change after it, and the last value.
  auto resumed = Open({StreamStart::Mode::kResume, 1});
  auto messages = Drain(resumed.get());
  ASSERT_EQ(messages.size(), 62u);
  EXPECT_EQ(messages[1]["seq"], 2);
  EXPECT_EQ(messages[60]["changes"]["seats"]["new"], 60);
  EXPECT_EQ(messages[61]["seq"], 61);
}

// One batch (one Publish) in which a client overflows and is closed part
// way: the others still get every change of the batch meant for them, a
// filtered client only its rows, and a truncate reaches every client,
// filtered or narrowed.
TEST_F(HubTest, AClientClosedInTheMiddleOfABatchLeavesTheOthersTheirChanges) {
  Commit(1, {Slot(1, "open", 0), Slot(2, "open", 0)});
  auto plain = Open({StreamStart::Mode::kLive});
  ClientView only_two;
  only_two.filter = *RowFilter::Parse("id = 2");
  auto filtered = Open({StreamStart::Mode::kLive}, std::move(only_two));
  ClientView narrowed;
  narrowed.columns.emplace();
  narrowed.columns->insert("seats");
  auto columns = Open({StreamStart::Mode::kLive}, std::move(narrowed));
  ASSERT_FALSE(Drain(plain.get()).empty());
  ASSERT_FALSE(Drain(filtered.get()).empty());
  ASSERT_FALSE(Drain(columns.get()).empty());
  // 60 updates (seq 3..62), every 6th of row 2, then a truncate (seq 63): the
  // plain and the narrowed clients overflow (50 queued at most) at the 51st.
  std::vector<std::string> bodies;
  for (int i = 1; i <= 60; ++i) {
    bodies.push_back(Update(i % 6 == 0 ? 2 : 1, "seats", std::to_string(i)));
  }
  bodies.push_back(R"({"source":"scheduling","table":"public.slots","op":"truncate","ts":"T"})");
  Commit(3, bodies);
  ASSERT_TRUE(plain->closing());
  EXPECT_EQ(plain->closing()->websocket_code, 4008);
  ASSERT_TRUE(columns->closing());
  EXPECT_EQ(hub_->counters().overflow_closes, 2u);
  ASSERT_FALSE(filtered->closing());
  auto messages = Drain(filtered.get());
  ASSERT_EQ(messages.size(), 11u);
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(messages[k]["op"], "update");
    EXPECT_EQ(messages[k]["key"]["id"], 2);
    EXPECT_EQ(messages[k]["seq"], 3 + 6 * (k + 1) - 1);
    EXPECT_EQ(messages[k]["changes"]["seats"]["new"], 6 * (k + 1));
  }
  EXPECT_EQ(messages[10]["op"], "truncate");
  EXPECT_EQ(messages[10]["seq"], 63);
  EXPECT_EQ(messages[10]["table"], "public.slots");
  // A truncate to a narrowed client, and to a filtered one with rows gone.
  ClientView narrowed_again;
  narrowed_again.columns.emplace();
  narrowed_again.columns->insert("seats");
  auto columns_again = Open({StreamStart::Mode::kLive}, std::move(narrowed_again));
  ClientView nothing;
  nothing.filter = *RowFilter::Parse("id = 99");
  auto none = Open({StreamStart::Mode::kLive}, std::move(nothing));
  ASSERT_FALSE(Drain(columns_again.get()).empty());
  ASSERT_FALSE(Drain(none.get()).empty());
  Commit(64, {Slot(5, "open", 1),
              R"({"source":"scheduling","table":"public.slots","op":"truncate","ts":"T"})"});
  auto narrowed_messages = Drain(columns_again.get());
  ASSERT_EQ(narrowed_messages.size(), 2u);
  EXPECT_EQ(narrowed_messages[0]["changes"],
            nlohmann::json::parse(R"({"id":{"new":5},"seats":{"new":1}})"));
  EXPECT_EQ(narrowed_messages[1]["op"], "truncate");
  auto none_messages = Drain(none.get());
  ASSERT_EQ(none_messages.size(), 1u);
  EXPECT_EQ(none_messages[0]["op"], "truncate");
  EXPECT_EQ(none_messages[0]["seq"], 65);
}

TEST_F(HubTest, HeartbeatsCarryTheNewestSeqWhenNothingElseIsQueued) {
  Commit(1, {Slot(1, "open", 0)});
  auto stream = Open({});
  Drain(stream.get());
  // A change of a table the entity does not show still moves the position.
  Commit(2, {R"({"source":"scheduling","table":"public.other","op":"insert","key":{"k":1},)"
             R"("changes":{"k":{"new":1}}})"});
  hub_->StartHeartbeats();
  io_.run_for(std::chrono::milliseconds(1500));
  auto messages = Drain(stream.get());
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.front()["control"], "heartbeat");
  EXPECT_EQ(messages.front()["seq"], 2);
  hub_->Stop();
}

TEST_F(HubTest, RevokedTokensAndStoppingCloseStreams) {
  auto stream = hub_->Open(*hub_->View("slots"), {}, {}, false, "alice");
  ASSERT_TRUE(stream.ok());
  auto other = Open({});
  EXPECT_EQ(hub_->streams_of_token("alice"), 1u);
  hub_->Revoke({"alice"});
  ASSERT_TRUE((*stream)->closing());
  EXPECT_EQ((*stream)->closing()->websocket_code, 1008);
  EXPECT_FALSE(other->closing());
  hub_->CloseAll("gateway stopping");
  EXPECT_EQ(other->closing()->websocket_code, 1001);
}

}  // namespace
}  // namespace deltabridge
