#include "cdc/bridge/bridge_stats.h"

#include <functional>
#include <nlohmann/json.hpp>

#include "cdc/core/atomic_file.h"
#include "cdc/core/utc_time.h"
#include "cdc/metrics/prometheus_text.h"

namespace deltabridge {

std::optional<double> SourceLagSeconds(const SourceStats& s, int64_t now_us) {
  if (!s.position_lag_bytes) return std::nullopt;
  if (*s.position_lag_bytes == 0 || s.last_commit_us == 0) return 0.0;
  return std::max<int64_t>(0, now_us - s.last_commit_us) / 1e6;
}

std::string EncodeBridgeStats(const BridgeStats& b) {
  nlohmann::ordered_json j;
  j["bridge"] = b.bridge;
  j["pid"] = b.pid;
  j["updated_at"] = FormatUtcMicros(b.updated_us);
  j["journal"] = {{"first_seq", b.journal_first_seq},
                  {"last_seq", b.journal_last_seq},
                  {"bytes", b.journal_bytes}};
  j["published_seq"] = b.published_seq;
  j["replay"] = {{"requests", b.replay_requests}, {"errors", b.replay_errors}};
  nlohmann::ordered_json sources = nlohmann::ordered_json::array();
  for (const SourceStats& s : b.sources) {
    nlohmann::ordered_json o;
    o["name"] = s.name;
    o["type"] = s.type;
    o["position"] = s.position;
    if (s.position_lag_bytes) o["position_lag_bytes"] = *s.position_lag_bytes;
    if (s.last_commit_us != 0) o["last_commit"] = FormatUtcMicros(s.last_commit_us);
    o["changes"] = s.changes;
    o["transactions"] = s.transactions;
    o["reconnects"] = s.reconnects;
    o["snapshot_rows"] = s.snapshot_rows;
    o["bytes"] = s.bytes;
    o["tagged_forwarded"] = s.tagged_forwarded;
    o["tagged_dropped"] = s.tagged_dropped;
    o["bad_tags"] = s.bad_tags;
    sources.push_back(std::move(o));
  }
  j["sources"] = std::move(sources);
  return j.dump(2) + "\n";
}

Result<BridgeStats> DecodeBridgeStats(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption("bridge status is not a JSON object");
  try {
    BridgeStats b;
    b.bridge = j.at("bridge").get<std::string>();
    b.pid = j.at("pid").get<int>();
    if (!ParseUtcMicros(j.at("updated_at").get<std::string>(), &b.updated_us)) {
      return Status::Corruption("bridge status: bad updated_at");
    }
    b.journal_first_seq = j.at("journal").at("first_seq").get<uint64_t>();
    b.journal_last_seq = j.at("journal").at("last_seq").get<uint64_t>();
    b.journal_bytes = j.at("journal").at("bytes").get<uint64_t>();
    b.published_seq = j.at("published_seq").get<uint64_t>();
    b.replay_requests = j.at("replay").at("requests").get<uint64_t>();
    b.replay_errors = j.at("replay").at("errors").get<uint64_t>();
    for (const auto& o : j.at("sources")) {
      SourceStats s;
      s.name = o.at("name").get<std::string>();
      s.type = o.at("type").get<std::string>();
      s.position = o.at("position").get<std::string>();
      if (o.contains("position_lag_bytes")) {
        s.position_lag_bytes = o["position_lag_bytes"].get<uint64_t>();
      }
      if (o.contains("last_commit") &&
          !ParseUtcMicros(o["last_commit"].get<std::string>(), &s.last_commit_us)) {
        return Status::Corruption("bridge status: bad last_commit");
      }
      s.changes = o.at("changes").get<uint64_t>();
      s.transactions = o.at("transactions").get<uint64_t>();
      s.reconnects = o.at("reconnects").get<uint64_t>();
      s.snapshot_rows = o.at("snapshot_rows").get<uint64_t>();
      s.bytes = o.value("bytes", uint64_t{0});
      s.tagged_forwarded = o.value("tagged_forwarded", uint64_t{0});
      s.tagged_dropped = o.value("tagged_dropped", uint64_t{0});
      s.bad_tags = o.value("bad_tags", uint64_t{0});
      b.sources.push_back(std::move(s));
    }
    return b;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("bridge status: ") + e.what());
  }
}

std::string BridgeStatusPath(const std::string& state_dir) {
  return state_dir + "/bridge-status.json";
}

void WriteBridgeStatusFile(const std::string& state_dir, const BridgeStats& stats) {
  static_cast<void>(WriteFileAtomically(BridgeStatusPath(state_dir), EncodeBridgeStats(stats),
                                        AtomicFileOptions{.sync = false}));
}

std::string RenderBridgeMetrics(const BridgeStats& b, int64_t now_us) {
  PrometheusText p;
  const MetricLabels bridge = {{"bridge", b.bridge}};
  auto gauge = [&](const char* name, const char* help, double v) {
    p.Family(name, "gauge", help);
    p.Sample(name, bridge, v);
  };
  gauge("deltabridge_journal_first_seq", "Oldest seq the journal holds (replay can serve it).",
        static_cast<double>(b.journal_first_seq));
  gauge("deltabridge_journal_last_seq", "Newest committed seq in the journal.",
        static_cast<double>(b.journal_last_seq));
  gauge("deltabridge_journal_size_bytes", "Bytes of deltas the journal holds.",
        static_cast<double>(b.journal_bytes));
  gauge("deltabridge_published_seq", "Newest seq published to subscribers.",
        static_cast<double>(b.published_seq));
  p.Family("deltabridge_replay_requests_total", "counter", "Replay requests received.");
  p.Sample("deltabridge_replay_requests_total", bridge, static_cast<double>(b.replay_requests));
  p.Family("deltabridge_replay_errors_total", "counter",
           "Replay requests answered with an error (malformed).");
  p.Sample("deltabridge_replay_errors_total", bridge, static_cast<double>(b.replay_errors));

  auto labels = [&](const SourceStats& s) {
    return MetricLabels{{"bridge", b.bridge}, {"source", s.name}, {"type", s.type}};
  };
  // Each family's value of one source; nullopt leaves the source out.
  using Value = std::optional<double>;
  struct PerSource {
    const char* name;
    const char* type;
    const char* help;
    std::function<Value(const SourceStats&)> value;
  };
  auto count = [](uint64_t SourceStats::*field) {
    return [field](const SourceStats& s) -> Value { return static_cast<double>(s.*field); };
  };
  const PerSource families[] = {
      {"deltabridge_source_changes_total", "counter", "Deltas journaled from the source.",
       count(&SourceStats::changes)},
      {"deltabridge_source_bytes_total", "counter",
       "Bytes of deltas (topic and JSON body) journaled from the source.",
       count(&SourceStats::bytes)},
      {"deltabridge_source_transactions_total", "counter",
       "Source transactions journaled from the source.", count(&SourceStats::transactions)},
      {"deltabridge_source_reconnects_total", "counter",
       "Times the connection to the source was lost and made again.",
       count(&SourceStats::reconnects)},
      {"deltabridge_source_snapshot_rows_total", "counter",
       "Rows read by the source's initial snapshot.", count(&SourceStats::snapshot_rows)},
      {"deltabridge_source_sink_written_forwarded_total", "counter",
       "Changes a sink wrote into the source's database, journaled with their origin "
       "(forward: true).",
       count(&SourceStats::tagged_forwarded)},
      {"deltabridge_source_sink_written_dropped_total", "counter",
       "Changes a sink wrote into the source's database, not forwarded (forward: false).",
       count(&SourceStats::tagged_dropped)},
      {"deltabridge_source_bad_origin_tags_total", "counter",
       "deltabridge_origin rows whose tag did not decode (their transactions were journaled "
       "untagged).",
       count(&SourceStats::bad_tags)},
      {"deltabridge_source_last_commit_timestamp_seconds", "gauge",
       "Source commit time of the newest journaled transaction (Unix time; 0: none since "
       "start).",
       [](const SourceStats& s) -> Value { return s.last_commit_us / 1e6; }},
      {"deltabridge_source_lag_seconds", "gauge",
       "0 when the source has nothing left to read, else the age of the newest journaled "
       "commit.",
       [now_us](const SourceStats& s) { return SourceLagSeconds(s, now_us); }},
      {"deltabridge_source_position_lag_bytes", "gauge",
       "How far the source server is ahead of the journaled position (PostgreSQL: WAL bytes; "
       "MySQL: binlog bytes).",
       [](const SourceStats& s) -> Value {
         if (!s.position_lag_bytes) return std::nullopt;
         return static_cast<double>(*s.position_lag_bytes);
       }},
  };
  for (const PerSource& f : families) {
    p.Family(f.name, f.type, f.help);
    for (const SourceStats& s : b.sources) {
      if (Value v = f.value(s)) p.Sample(f.name, labels(s), *v);
    }
  }
  return p.text();
}

}  // namespace deltabridge
