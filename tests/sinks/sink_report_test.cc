// What a running sink reports of its stats: the status file (written by the
// sink, read by `status`) and the metrics page.
#include <gtest/gtest.h>

#include <string>

#include "sinks/sink_metrics.h"
#include "sinks/sink_status_file.h"

namespace deltabridge {
namespace {

SinkConfig Config() {
  SinkConfig c;
  c.name = "dash";
  c.state_dir = "unused";
  SubscribeConfig sub;
  sub.bridge = "parks";
  c.subscribe.push_back(sub);
  c.target.type = TargetType::kJsonl;
  return c;
}

SinkStats Stats() {
  SinkStats s;
  s.received = 40;
  s.unmapped = 3;
  s.suppressed_echo = 7;
  s.suppressed_forwarded = 2;
  s.own = 5;
  s.target.deltas = 28;
  s.checkpoints = {{"parks", 40}};
  return s;
}

TEST(SinkStatusFileTest, SuppressedAndOwnCountsRoundTrip) {
  const std::string json = EncodeSinkStatus(Config(), Stats(), 4242, 1'700'000'000'000'000);
  Result<SinkStatusReport> r = DecodeSinkStatus(json);
  ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << json;
  EXPECT_EQ(r->pid, 4242);
  EXPECT_EQ(r->target.deltas, 28u);
  EXPECT_EQ(r->suppressed_echo, 7u);
  EXPECT_EQ(r->suppressed_forwarded, 2u);
  EXPECT_EQ(r->own, 5u);
  // A file written before two-way sync: the counts are 0.
  Result<SinkStatusReport> old = DecodeSinkStatus(R"({"sink":"dash","pid":7,"deltas":3})");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->suppressed_echo, 0u);
  EXPECT_EQ(old->suppressed_forwarded, 0u);
  EXPECT_EQ(old->own, 0u);
}

TEST(SinkMetricsTest, SuppressedDeltasAreCountedByReason) {
  const std::string text = RenderSinkMetrics(Config(), Stats(), std::nullopt, 0);
  EXPECT_NE(text.find("# TYPE deltabridge_sink_suppressed_total counter"), std::string::npos)
      << text;
  EXPECT_NE(text.find("deltabridge_sink_suppressed_total{sink=\"dash\",reason=\"echo\"} 7\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("deltabridge_sink_suppressed_total{sink=\"dash\",reason=\"forwarded\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("deltabridge_sink_own_deltas_total{sink=\"dash\"} 5\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("deltabridge_sink_unmapped_total{sink=\"dash\"} 3\n"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace deltabridge
