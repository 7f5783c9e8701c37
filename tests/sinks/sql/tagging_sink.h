// For the tests of the origin tag against real databases (PostgreSQL,
// MariaDB, SQLite through ODBC): a sink file whose target has a node, and
// inserts of parks.scheduling.public.tour_slots for it. Header-only; the
// test links db_sql_target.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sinks/sink_config.h"
#include "sinks/sql/sql_target.h"

namespace deltabridge::test {

// Sink `to-dash` following bridge parks into the node dash.main, mapping
// parks.scheduling.public.tour_slots onto `table` (key id). `target_keys`
// are the target section's keys after `type:`, each line indented by four
// spaces ("    dsn: \"...\"\n").
inline SinkConfig TaggingSinkConfig(const std::string& type, const std::string& target_keys,
                                    const std::string& table) {
  const std::string yaml =
      "sink:\n  name: to-dash\n  state_dir: /tmp/unused\nsubscribe:\n"
      "  - bridge: parks\n    publish: tcp://127.0.0.1:5556\n"
      "    replay: tcp://127.0.0.1:5557\n    topics: [\"parks.\"]\n"
      "target:\n  type: " +
      type + "\n  node: dash.main\n" + target_keys +
      "mappings:\n  - from: parks.scheduling.public.tour_slots\n    to: " + table +
      "\n    key: [id]\n";
  Result<SinkConfig> config = ParseSinkConfig(yaml, "sink.yaml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : SinkConfig{};
}

// An insert of row `id` with `seats`, delta seq `seq`, of parks.scheduling.
inline SinkDelta TaggingInsert(const SinkConfig& config, uint64_t seq, int64_t id, int64_t seats) {
  SinkDelta d;
  d.delta.seq = seq;
  d.delta.bridge = "parks";
  d.delta.change.source = "scheduling";
  d.delta.change.table = "public.tour_slots";
  d.delta.change.op = Op::kInsert;
  d.delta.change.commit_time_us = 1795773600000000 + static_cast<int64_t>(seq);
  d.delta.change.tx_id = "1";
  d.delta.change.key = {{"id", Value::Int(id, "")}};
  d.delta.change.changes = {{"seats", std::nullopt, Value::Int(seats, "")}};
  d.topic = "parks.scheduling.public.tour_slots";
  d.mapping = FindMapping(config, d.topic);
  EXPECT_NE(d.mapping, nullptr);
  return d;
}

// One target transaction of `deltas`, committed with the checkpoint parks: last seq.
inline void ApplyTransaction(SqlTarget& target, const std::vector<SinkDelta>& deltas) {
  ASSERT_TRUE(target.Begin().ok());
  Status applied = target.Apply(deltas);
  ASSERT_TRUE(applied.ok()) << applied.ToString();
  Status committed = target.Commit({{"parks", deltas.back().delta.seq}});
  ASSERT_TRUE(committed.ok()) << committed.ToString();
}

}  // namespace deltabridge::test
