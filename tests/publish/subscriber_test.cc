#include "sinks/subscriber.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/publish/test_util.h"

namespace deltabridge::testing {
namespace {

using namespace std::chrono_literals;

struct Received {
  std::string topic;
  uint64_t seq;
};

// Runs a Subscriber on its own thread and records what it delivers.
class RunningSubscriber {
 public:
  explicit RunningSubscriber(SubscriberOptions options, size_t stop_after = 0)
      : subscriber_(std::move(options)), stop_after_(stop_after) {
    thread_ = std::thread([this] {
      Status s = subscriber_.Run(
          [this](std::string_view topic, std::string_view body, uint64_t seq) {
            std::lock_guard lock(mu_);
            EXPECT_EQ(*DeltaSeq(body), seq);
            received_.push_back({std::string(topic), seq});
            if (stop_after_ && received_.size() >= stop_after_) {
              return Status::Aborted("count reached");
            }
            return Status::Ok();
          },
          stop_);
      std::lock_guard lock(mu_);
      result_ = s;
      finished_ = true;
    });
  }
  ~RunningSubscriber() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::vector<uint64_t> seqs() {
    std::vector<uint64_t> v;
    for (const Received& r : received()) v.push_back(r.seq);
    return v;
  }
  bool finished() {
    std::lock_guard lock(mu_);
    return finished_;
  }
  Status result() {
    std::lock_guard lock(mu_);
    return result_;
  }
  Subscriber& subscriber() { return subscriber_; }

 private:
  Subscriber subscriber_;
  size_t stop_after_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Received> received_;
  bool finished_ = false;
  Status result_;
  std::thread thread_;
};

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> v;
  for (uint64_t s = first; s <= last; ++s) v.push_back(s);
  return v;
}

SubscriberOptions CloneOptions(FakeBridge& bridge, uint64_t from) {
  SubscriberOptions o;
  o.publish_endpoint = bridge.publish_endpoint();
  o.replay_endpoint = bridge.replay_endpoint();
  o.from_seq = from;
  o.heartbeat_timeout = 2s;
  o.replay_timeout = 2s;
  return o;
}

TEST(DeltaSeqTest, ReadsTheLeadingFieldAndFallsBackToJson) {
  EXPECT_EQ(*DeltaSeq(DeltaBody(1042, "t")), 1042u);
  EXPECT_EQ(*DeltaSeq("{\"seq\":7}"), 7u);
  EXPECT_EQ(*DeltaSeq("{\"seq\": 1042, \"bridge\": \"parks\"}"), 1042u);  // the contract's spacing
  EXPECT_EQ(*DeltaSeq("{\"bridge\":\"parks\",\"seq\":9}"), 9u);
  for (const char* bad : {"", "{", "{\"seq\":", "{\"seq\":0,\"a\":1}", "{\"seq\":-1}",
                          "{\"seq\":\"5\"}", "{\"seq\":12x}", "[1,2]", "{\"bridge\":\"parks\"}",
                          "{\"seq\":99999999999999999999999}", "not json"}) {
    EXPECT_FALSE(DeltaSeq(bad).ok()) << bad;
  }
}

TEST(SubscriberTest, LiveOnlyDeliversMatchingPrefixesButNotHeartbeats) {
  FakeBridge bridge;
  SubscriberOptions o;
  o.publish_endpoint = bridge.publish_endpoint();
  o.topic_prefixes = {"parks.scheduling.a"};
  RunningSubscriber sub(o);
  // Publish until the subscription has reached the PUB and enough came in.
  ASSERT_TRUE(WaitFor([&] {
    bridge.Emit("a");
    bridge.Emit("b");
    bridge.Heartbeat();
    return sub.count() >= 20;
  }));
  for (const Received& r : sub.received()) {
    EXPECT_EQ(r.topic, "parks.scheduling.a");
    EXPECT_EQ(r.seq % 2, 1u);
  }
  EXPECT_EQ(sub.subscriber().counters().malformed, 0u);
}

TEST(SubscriberTest, RejectsFromSeqWithoutReplay) {
  SubscriberOptions o;
  o.publish_endpoint = "tcp://127.0.0.1:1";
  o.from_seq = 5;
  Subscriber sub(o);
  std::atomic<bool> stop{false};
  Status s = sub.Run([](auto, auto, auto) { return Status::Ok(); }, stop);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
}

// The Clone pattern under load: a subscriber starting late gets every seq from
// 1 exactly once and in order, while the bridge publishes continuously and
// some deltas never make it to the PUB socket.
TEST(SubscriberTest, LateCloneGetsEverythingWithoutGapOrDuplicate) {
  FakeBridge bridge;
  constexpr uint64_t kTotal = 3000;
  for (int i = 0; i < 300; ++i) bridge.Emit(i % 3 ? "a" : "b");

  RunningSubscriber sub(CloneOptions(bridge, 1));
  std::thread publisher([&] {
    while (bridge.newest() < kTotal) {
      uint64_t next = bridge.newest() + 1;
      // Seqs that only reach the journal: holes the subscriber must repair
      // from live deltas. The second one is published only once the
      // subscriber has caught up with the journal, so it is a live gap.
      bool lost = (next >= 700 && next < 720) || (next >= 2500 && next < 2510);
      if (next == 2500) {
        EXPECT_TRUE(WaitFor([&] { return sub.subscriber().last_seq() >= 2499; }, 10s));
      }
      bridge.Emit(next % 3 ? "a" : "b", !lost);
      if (next % 100 == 0) bridge.Heartbeat();
      if (next % 4 == 0) std::this_thread::sleep_for(100us);
    }
    // Keep the heartbeat going so a hole at the end shows too.
    while (!sub.finished() && sub.count() < kTotal) {
      bridge.Heartbeat();
      std::this_thread::sleep_for(20ms);
    }
  });
  bool all = WaitFor([&] { return sub.count() >= kTotal; }, 15s);
  publisher.join();
  ASSERT_TRUE(all) << "got " << sub.count() << ": " << sub.result().ToString();
  sub.Stop();
  EXPECT_TRUE(sub.result().ok()) << sub.result().ToString();
  EXPECT_EQ(sub.seqs(), Range(1, kTotal));
  SubscriberCounters c = sub.subscriber().counters();
  EXPECT_EQ(c.delivered, kTotal);
  EXPECT_GE(c.replayed, 300u);
  EXPECT_GE(c.gaps_repaired, 1u);
  EXPECT_EQ(c.malformed, 0u);
}

TEST(SubscriberTest, ReplayFiltersTopicsButTracksTheWholeStream) {
  FakeBridge bridge;
  for (int i = 0; i < 50; ++i) bridge.Emit(i % 2 ? "a" : "b");
  SubscriberOptions o = CloneOptions(bridge, 11);
  o.topic_prefixes = {"parks.scheduling.b"};
  RunningSubscriber sub(o);
  ASSERT_TRUE(WaitFor([&] { return sub.subscriber().last_seq() >= 50; }));
  // Live: "a" seqs are not delivered but still advance the position.
  for (int i = 0; i < 20; ++i) bridge.Emit(i % 2 ? "a" : "b", i != 5 && i != 6);
  ASSERT_TRUE(WaitFor([&] {
    bridge.Heartbeat();
    return sub.subscriber().last_seq() >= 70;
  }));
  std::vector<uint64_t> want;
  for (uint64_t s = 11; s <= 70; ++s) {
    if (s % 2) want.push_back(s);  // Emit #i has seq i+1: "b" on odd seqs
  }
  EXPECT_EQ(sub.seqs(), want);
  for (const Received& r : sub.received()) EXPECT_EQ(r.topic, "parks.scheduling.b");
}

TEST(SubscriberTest, HeartbeatRevealsAGapOnAnIdleStream) {
  FakeBridge bridge;
  for (int i = 0; i < 5; ++i) bridge.Emit("a");
  RunningSubscriber sub(CloneOptions(bridge, 1));
  ASSERT_TRUE(WaitFor([&] { return sub.count() == 5; }));
  // Seqs 6..10 reach the journal but not the PUB; then the bridge goes quiet.
  for (int i = 0; i < 5; ++i) bridge.Emit("a", /*publish=*/false);
  ASSERT_TRUE(WaitFor([&] {
    bridge.Heartbeat();
    std::this_thread::sleep_for(5ms);
    return sub.count() >= 10;
  }));
  EXPECT_EQ(sub.seqs(), Range(1, 10));
  EXPECT_GE(sub.subscriber().counters().gaps_repaired, 1u);
  EXPECT_EQ(sub.subscriber().counters().replayed, 10u);
}

TEST(SubscriberTest, LiveStartWithReplayRepairsLaterGaps) {
  FakeBridge bridge;
  SubscriberOptions o = CloneOptions(bridge, 1);
  o.from_seq.reset();  // start with the live stream
  RunningSubscriber sub(o);
  // The first message seen sets the position; nothing before it is replayed.
  ASSERT_TRUE(WaitFor([&] {
    bridge.Emit("a");
    std::this_thread::sleep_for(2ms);
    return sub.count() >= 3;
  }));
  uint64_t first = sub.seqs().front();
  uint64_t lost_from = bridge.Emit("a", false);
  bridge.Emit("a", false);
  uint64_t last = bridge.Emit("a");
  ASSERT_TRUE(WaitFor([&] { return sub.subscriber().last_seq() >= last; }));
  EXPECT_EQ(sub.seqs(), Range(first, last));
  EXPECT_LT(first, lost_from);
}

// Each heartbeat's node map reaches the owner; the heartbeat still reveals a
// gap as before.
TEST(SubscriberTest, HeartbeatNodesAreHandedToTheOwner) {
  FakeBridge bridge;
  for (int i = 0; i < 3; ++i) bridge.Emit("a");
  std::mutex mu;
  std::vector<SourceNodes> heard;  // guarded by mu
  SubscriberOptions o = CloneOptions(bridge, 1);
  o.on_heartbeat = [&](const SourceNodes& nodes) {
    std::lock_guard lock(mu);
    heard.push_back(nodes);
  };
  RunningSubscriber sub(o);
  ASSERT_TRUE(WaitFor([&] { return sub.count() == 3; }));
  bridge.Emit("a", /*publish=*/false);  // 4: only the heartbeat reveals it
  const SourceNodes nodes = {{"scheduling", "parks.main"}, {"legacy", "legacy.db"}};
  ASSERT_TRUE(WaitFor([&] {
    bridge.Heartbeat(nodes);
    std::this_thread::sleep_for(5ms);
    return sub.count() == 4;
  }));
  EXPECT_EQ(sub.seqs(), Range(1, 4));
  // A heartbeat of a bridge before two-way sync has no nodes.
  bridge.Heartbeat();
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return !heard.empty() && heard.back().empty();
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(heard.front(), nodes);
  EXPECT_EQ(sub.subscriber().counters().malformed, 0u);
}

TEST(SubscriberTest, GoneStopsRunNamingTheOldestSeqKept) {
  FakeBridge bridge;
  for (int i = 0; i < 100; ++i) bridge.Emit("a");
  bridge.source().TrimBefore(50);
  RunningSubscriber sub(CloneOptions(bridge, 10));
  ASSERT_TRUE(WaitFor([&] { return sub.finished(); }));
  Status s = sub.result();
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("starts at seq 50"), std::string::npos) << s.message();
  EXPECT_EQ(sub.count(), 0u);
}

TEST(SubscriberTest, HandlerErrorStopsRunAndIsReturned) {
  FakeBridge bridge;
  for (int i = 0; i < 30; ++i) bridge.Emit("a");
  RunningSubscriber sub(CloneOptions(bridge, 1), /*stop_after=*/7);
  ASSERT_TRUE(WaitFor([&] { return sub.finished(); }));
  EXPECT_EQ(sub.result().code(), Status::Code::kAborted);
  EXPECT_EQ(sub.seqs(), Range(1, 7));
}

TEST(SubscriberTest, UnansweredReplayIsRetriedOnNewSocketsThenGivesUp) {
  FakeBridge bridge;
  SilentListener silent;  // accepts TCP, never speaks ZMTP
  SubscriberOptions o = CloneOptions(bridge, 1);
  o.replay_endpoint = silent.endpoint();
  o.replay_timeout = 150ms;
  o.max_backoff = 100ms;
  o.replay_max_attempts = 3;
  RunningSubscriber sub(o);
  ASSERT_TRUE(WaitFor([&] { return sub.finished(); }));
  EXPECT_EQ(sub.result().code(), Status::Code::kUnavailable) << sub.result().ToString();
  EXPECT_NE(sub.result().message().find(silent.endpoint()), std::string::npos);
  EXPECT_EQ(sub.subscriber().counters().replay_retries, 3u);
}

TEST(SubscriberTest, StopFlagEndsRunPromptlyWhateverItIsWaitingFor) {
  FakeBridge bridge;
  SilentListener silent;
  for (bool stuck_in_replay : {false, true}) {
    SubscriberOptions o = CloneOptions(bridge, 1);
    if (stuck_in_replay) {
      o.replay_endpoint = silent.endpoint();  // retries forever
      o.replay_timeout = 10s;
    } else {
      o.from_seq.reset();  // just waiting for live messages
    }
    RunningSubscriber sub(o);
    std::this_thread::sleep_for(150ms);
    EXPECT_FALSE(sub.finished());
    auto start = std::chrono::steady_clock::now();
    sub.Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms);
    EXPECT_TRUE(sub.result().ok()) << sub.result().ToString();
  }
}

TEST(SubscriberTest, MissingHeartbeatReconnectsAndResumesAfterTheLastSeq) {
  FakeBridge bridge;
  SubscriberOptions o = CloneOptions(bridge, 1);
  o.heartbeat_timeout = 300ms;
  RunningSubscriber sub(o);
  for (int i = 0; i < 10; ++i) bridge.Emit("a");
  ASSERT_TRUE(WaitFor([&] {
    bridge.Heartbeat();
    std::this_thread::sleep_for(5ms);
    return sub.count() >= 10;
  }));
  // The bridge restarts: its PUB goes away for longer than the heartbeat
  // timeout, deltas journaled meanwhile are never published.
  bridge.RestartPublisher();
  for (int i = 0; i < 5; ++i) bridge.Emit("a", /*publish=*/false);
  ASSERT_TRUE(WaitFor([&] { return sub.subscriber().counters().reconnects >= 1; }));
  ASSERT_TRUE(WaitFor([&] {
    bridge.Emit("a");
    bridge.Heartbeat();
    std::this_thread::sleep_for(5ms);
    return sub.count() >= 25;
  }));
  std::vector<uint64_t> seqs = sub.seqs();
  EXPECT_EQ(seqs, Range(1, seqs.back()));
}

TEST(SubscriberTest, MalformedLiveMessagesAreCountedAndSkipped) {
  zmq::context_t ctx;
  zmq::socket_t pub(ctx, zmq::socket_type::pub);
  pub.bind("tcp://127.0.0.1:*");
  SubscriberOptions o;
  o.publish_endpoint = pub.get(zmq::sockopt::last_endpoint);
  RunningSubscriber sub(o);
  uint64_t seq = 0;
  ASSERT_TRUE(WaitFor([&] {
    SendStrings(pub, {"parks.s.t", DeltaBody(++seq, "t")});
    std::this_thread::sleep_for(2ms);
    return sub.count() >= 1;
  }));
  SendStrings(pub, {"parks.s.t"});                      // one frame
  SendStrings(pub, {"parks.s.t", "{\"seq\":1}", "x"});  // three frames
  SendStrings(pub, {"parks.s.t", "not json"});
  SendStrings(pub, {"parks.s.t", "{\"seq\":\"x\"}"});
  SendStrings(pub, {"parks._heartbeat", "{}"});
  SendStrings(pub, {"parks.s.t", DeltaBody(++seq, "t")});
  ASSERT_TRUE(WaitFor([&] { return sub.subscriber().counters().malformed >= 5; }));
  ASSERT_TRUE(WaitFor([&] { return sub.seqs().back() == seq; }));
  EXPECT_EQ(sub.subscriber().counters().malformed, 5u);
}

}  // namespace
}  // namespace deltabridge::testing
