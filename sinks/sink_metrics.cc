#include "sinks/sink_metrics.h"

#include "cdc/metrics/prometheus_text.h"

namespace deltabridge {

std::string RenderSinkMetrics(const SinkConfig& config, const SinkStats& s,
                              std::optional<uint64_t> conflicts_waiting, int64_t now_us) {
  PrometheusText p;
  const MetricLabels sink = {{"sink", config.name}};
  p.Family("deltabridge_sink_info", "gauge", "The sink and its target type (always 1).");
  p.Sample("deltabridge_sink_info",
           {{"sink", config.name}, {"target", std::string(TargetTypeName(config.target.type))}}, 1);

  p.Family("deltabridge_sink_applied_seq", "gauge",
           "Last seq of each bridge committed to the target (the sink's checkpoint).");
  for (const SubscribeConfig& sub : config.subscribe) {
    auto it = s.checkpoints.find(sub.bridge);
    p.Sample("deltabridge_sink_applied_seq", {{"sink", config.name}, {"bridge", sub.bridge}},
             it == s.checkpoints.end() ? 0 : static_cast<double>(it->second));
  }
  p.Family("deltabridge_sink_lag_seconds", "gauge",
           "Source commit to target commit of the newest applied delta, per bridge.");
  for (const auto& [bridge, commit_us] : s.last_commit_us) {
    auto a = s.applied_at_us.find(bridge);
    if (a == s.applied_at_us.end()) continue;
    p.Sample("deltabridge_sink_lag_seconds", {{"sink", config.name}, {"bridge", bridge}},
             (a->second - commit_us) / 1e6);
  }
  p.Family("deltabridge_sink_last_source_commit_timestamp_seconds", "gauge",
           "Source commit time of the newest applied delta, per bridge (Unix time).");
  for (const auto& [bridge, commit_us] : s.last_commit_us) {
    p.Sample("deltabridge_sink_last_source_commit_timestamp_seconds",
             {{"sink", config.name}, {"bridge", bridge}}, commit_us / 1e6);
  }
  p.Family("deltabridge_sink_last_apply_age_seconds", "gauge",
           "Seconds since the sink last committed deltas of each bridge to the target.");
  for (const auto& [bridge, at_us] : s.applied_at_us) {
    p.Sample("deltabridge_sink_last_apply_age_seconds", {{"sink", config.name}, {"bridge", bridge}},
             (now_us - at_us) / 1e6);
  }
  if (conflicts_waiting) {
    p.Family("deltabridge_sink_conflicts_waiting", "gauge",
             "Conflicts recorded in deltabridge_conflicts and not yet resolved.");
    p.Sample("deltabridge_sink_conflicts_waiting", sink, static_cast<double>(*conflicts_waiting));
  }
  struct Counter {
    const char* name;
    const char* help;
    uint64_t value;
  };
  const Counter counters[] = {
      {"deltabridge_sink_deltas_received_total", "Deltas received under the sink's topics.",
       s.received},
      {"deltabridge_sink_deltas_applied_total", "Deltas applied to the target (whatever they did).",
       s.target.deltas},
      {"deltabridge_sink_rows_inserted_total", "Rows inserted into the target.",
       s.target.rows_inserted},
      {"deltabridge_sink_rows_bulk_inserted_total",
       "Of the rows inserted, those written by the bulk path (COPY).", s.target.rows_bulk},
      {"deltabridge_sink_rows_updated_total", "Rows updated in the target.", s.target.rows_updated},
      {"deltabridge_sink_rows_deleted_total", "Rows deleted from the target.",
       s.target.rows_deleted},
      {"deltabridge_sink_fields_kept_total", "Fields a rule kept as they were.",
       s.target.fields_kept},
      {"deltabridge_sink_conflicts_recorded_total", "Conflicts recorded for review.",
       s.target.conflicts},
      {"deltabridge_sink_rejected_total",
       "Deltas the target refused (recorded as conflicts of kind rejected).", s.target.rejected},
      {"deltabridge_sink_transactions_total", "Target transactions committed.",
       s.target.transactions},
      {"deltabridge_sink_unmapped_total",
       "Deltas under the sink's topics that no mapping takes (skipped).", s.unmapped},
      {"deltabridge_sink_malformed_total", "Delta bodies that did not decode (skipped, logged).",
       s.malformed},
      {"deltabridge_sink_reconnects_total", "Times the target connection was lost and reopened.",
       s.reconnects},
      {"deltabridge_sink_own_recorded_total",
       "Own-node deltas recorded as their fields' last writer (docs/two-way.md).",
       s.target.own_recorded},
      {"deltabridge_sink_own_written_back_total",
       "Own-node deltas whose local value, or the rule's winner over it, was written back.",
       s.target.own_written_back},
      {"deltabridge_sink_own_unrestorable_total",
       "Own-node fields that lost by the rule with no stored winner value to restore.",
       s.target.own_unrestorable},
  };
  for (const Counter& c : counters) {
    p.Family(c.name, "counter", c.help);
    p.Sample(c.name, sink, static_cast<double>(c.value));
  }
  p.Family("deltabridge_sink_suppressed_total", "counter",
           "Mapped deltas not applied: reason echo, the target's node is on their path; reason "
           "forwarded, a forwarded copy of a change the sink receives directly.");
  p.Sample("deltabridge_sink_suppressed_total", {{"sink", config.name}, {"reason", "echo"}},
           static_cast<double>(s.suppressed_echo));
  p.Sample("deltabridge_sink_suppressed_total", {{"sink", config.name}, {"reason", "forwarded"}},
           static_cast<double>(s.suppressed_forwarded));
  p.Family("deltabridge_sink_own_deltas_total", "counter",
           "Mapped deltas of the target's own node received (local writes).");
  p.Sample("deltabridge_sink_own_deltas_total", sink, static_cast<double>(s.own));
  return p.text();
}

}  // namespace deltabridge
