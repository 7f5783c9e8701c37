// NodeDirectory: nodes from heartbeats and deltas, the direct nodes of a
// mapping, and waiting for the bridges' first heartbeats.
#include "sinks/node_directory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace deltabridge {
namespace {

using namespace std::chrono_literals;

SubscribeConfig Sub(std::string bridge, std::vector<std::string> topics) {
  SubscribeConfig s;
  s.bridge = std::move(bridge);
  s.publish = "tcp://127.0.0.1:1";
  s.replay = "tcp://127.0.0.1:2";
  s.topics = std::move(topics);
  return s;
}

MappingConfig Map(std::string from, std::string to) {
  MappingConfig m;
  m.from = std::move(from);
  m.to = std::move(to);
  m.key = {"id"};
  return m;
}

// A dashboard following node a (bridge parks, source scheduling) and the hub
// h that forwards it (bridge hub, source main), both into table t; and
// parks.legacy into its own table.
SinkConfig Dashboard() {
  SinkConfig c;
  c.name = "dash";
  c.subscribe = {Sub("parks", {"parks.scheduling.", "parks.legacy."}), Sub("hub", {"hub."})};
  c.mappings = {Map("parks.scheduling.public.t", "t"), Map("hub.main.public.t", "t"),
                Map("parks.legacy.T", "legacy_t")};
  return c;
}

TEST(NodeDirectoryTest, HeartbeatsAndDeltasNameTheNodes) {
  SinkConfig config = Dashboard();
  NodeDirectory dir(config);
  EXPECT_FALSE(dir.Heard("parks"));
  EXPECT_EQ(dir.NodeOf("parks", "scheduling"), std::nullopt);

  dir.RecordSource("parks", "scheduling", "parks.scheduling");
  EXPECT_EQ(dir.NodeOf("parks", "scheduling"), "parks.scheduling");
  EXPECT_FALSE(dir.Heard("parks"));  // a delta is no heartbeat

  dir.RecordHeartbeat("parks", {{"scheduling", "a"}, {"legacy", "l"}});
  EXPECT_TRUE(dir.Heard("parks"));
  EXPECT_EQ(dir.NodeOf("parks", "scheduling"), "a");
  EXPECT_EQ(dir.NodeOf("parks", "legacy"), "l");
  EXPECT_FALSE(dir.Heard("hub"));

  // A heartbeat without nodes (a bridge before two-way sync) is heard, and
  // keeps what the deltas said.
  dir.RecordSource("hub", "main", "hub.main");
  dir.RecordHeartbeat("hub", {});
  EXPECT_TRUE(dir.Heard("hub"));
  EXPECT_EQ(dir.NodeOf("hub", "main"), "hub.main");
  // The latest record of a source wins.
  dir.RecordSource("hub", "main", "h");
  EXPECT_EQ(dir.NodeOf("hub", "main"), "h");
}

TEST(NodeDirectoryTest, ANodeIsDirectForTheMappingsIntoTheTableThatFollowIt) {
  SinkConfig config = Dashboard();
  NodeDirectory dir(config);
  const MappingConfig& from_parks = config.mappings[0];
  const MappingConfig& from_hub = config.mappings[1];
  const MappingConfig& legacy = config.mappings[2];
  EXPECT_FALSE(dir.IsDirect(from_hub, "a"));  // nothing known yet

  dir.RecordHeartbeat("parks", {{"scheduling", "a"}, {"legacy", "l"}});
  dir.RecordHeartbeat("hub", {{"main", "h"}});
  // Node a is followed directly into t: by the hub's mapping into t too.
  EXPECT_TRUE(dir.IsDirect(from_parks, "a"));
  EXPECT_TRUE(dir.IsDirect(from_hub, "a"));
  EXPECT_TRUE(dir.IsDirect(from_hub, "h"));
  // Not into legacy_t, which follows parks.legacy (node l) only.
  EXPECT_FALSE(dir.IsDirect(legacy, "a"));
  EXPECT_TRUE(dir.IsDirect(legacy, "l"));
  EXPECT_FALSE(dir.IsDirect(from_hub, "l"));
  // A node no followed source captures.
  EXPECT_FALSE(dir.IsDirect(from_hub, "c"));
  EXPECT_FALSE(dir.IsDirect(from_hub, "parks.scheduling"));
}

TEST(NodeDirectoryTest, SourcePatternsAndTopicPrefixesDecide) {
  SinkConfig config;
  config.name = "dash";
  // parks: only the scheduling source's topics are received, though the
  // mapping's source part is a pattern.
  config.subscribe = {Sub("parks", {"parks.scheduling.public."}), Sub("hub", {"hub.main."})};
  config.mappings = {Map("parks.*.public.t", "t"), Map("hub.main.public.t", "t")};
  NodeDirectory dir(config);
  dir.RecordHeartbeat("parks", {{"scheduling", "a"}, {"archive", "b"}});
  dir.RecordHeartbeat("hub", {{"main", "h"}, {"side", "s"}});
  const MappingConfig& from_hub = config.mappings[1];
  EXPECT_TRUE(dir.IsDirect(from_hub, "a"));
  // parks.archive matches the pattern but falls under no subscribed prefix.
  EXPECT_FALSE(dir.IsDirect(from_hub, "b"));
  // hub.side is received by no prefix, and no mapping follows it.
  EXPECT_FALSE(dir.IsDirect(from_hub, "s"));
  // A bridge the sink does not subscribe to is never direct.
  dir.RecordHeartbeat("other", {{"main", "o"}});
  EXPECT_FALSE(dir.IsDirect(from_hub, "o"));
}

TEST(NodeDirectoryTest, AwaitHeartbeatsWaitsForTheOtherBridges) {
  SinkConfig config = Dashboard();
  NodeDirectory dir(config);
  std::atomic<bool> stop{false};
  // The caller's own bridge is not waited for.
  dir.RecordHeartbeat("parks", {});
  EXPECT_TRUE(dir.AwaitHeartbeats("hub", stop, 10ms).empty());

  // Woken by the heartbeat it waits for, long before the timeout.
  std::thread beat([&] {
    std::this_thread::sleep_for(50ms);
    dir.RecordHeartbeat("hub", {{"main", "h"}});
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(dir.AwaitHeartbeats("parks", stop, 30s).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  beat.join();
  EXPECT_TRUE(dir.Heard("hub"));
}

TEST(NodeDirectoryTest, AwaitHeartbeatsGivesUpOnceAndStops) {
  SinkConfig config = Dashboard();
  NodeDirectory dir(config);
  std::atomic<bool> stop{false};
  // Neither heard: both given up after the timeout, named once.
  EXPECT_EQ(dir.AwaitHeartbeats("", stop, 20ms), (std::vector<std::string>{"parks", "hub"}));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(dir.AwaitHeartbeats("", stop, 30s).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_FALSE(dir.Heard("parks"));
  // Heard later: known as any other.
  dir.RecordHeartbeat("parks", {{"scheduling", "a"}});
  EXPECT_TRUE(dir.Heard("parks"));
  EXPECT_TRUE(dir.IsDirect(config.mappings[1], "a"));

  // The stop flag ends a wait at once, giving up on nothing.
  NodeDirectory other(config);
  stop = true;
  start = std::chrono::steady_clock::now();
  EXPECT_TRUE(other.AwaitHeartbeats("", stop, 30s).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  stop = false;
  EXPECT_EQ(other.AwaitHeartbeats("parks", stop, 1ms), (std::vector<std::string>{"hub"}));
}

}  // namespace
}  // namespace deltabridge
