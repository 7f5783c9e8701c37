#include "sinks/sink_status_file.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cdc/core/atomic_file.h"
#include "cdc/core/utc_time.h"
#include "cdc/core/wall_clock.h"

namespace deltabridge {

std::string SinkStatusPath(const SinkConfig& config) {
  return config.state_dir + "/sink-status.json";
}

std::string EncodeSinkStatus(const SinkConfig& config, const SinkStats& s, int pid,
                             int64_t now_us) {
  nlohmann::ordered_json j;
  j["sink"] = config.name;
  j["pid"] = pid;
  j["updated_at"] = FormatUtcMicros(now_us);
  nlohmann::ordered_json bridges = nlohmann::ordered_json::object();
  for (const auto& [bridge, seq] : s.checkpoints) {
    nlohmann::ordered_json b;
    b["applied_seq"] = seq;
    auto c = s.last_commit_us.find(bridge);
    auto a = s.applied_at_us.find(bridge);
    if (c != s.last_commit_us.end() && a != s.applied_at_us.end()) {
      b["last_source_commit"] = FormatUtcMicros(c->second);
      b["applied_at"] = FormatUtcMicros(a->second);
      b["lag_ms"] = (a->second - c->second) / 1000.0;
    }
    bridges[bridge] = b;
  }
  j["bridges"] = bridges;
  j["deltas"] = s.target.deltas;
  j["rows_inserted"] = s.target.rows_inserted;
  j["rows_bulk"] = s.target.rows_bulk;
  j["rows_updated"] = s.target.rows_updated;
  j["rows_deleted"] = s.target.rows_deleted;
  j["fields_kept"] = s.target.fields_kept;
  j["conflicts"] = s.target.conflicts;
  j["rejected"] = s.target.rejected;
  j["transactions"] = s.target.transactions;
  j["received"] = s.received;
  j["unmapped"] = s.unmapped;
  j["malformed"] = s.malformed;
  j["suppressed_echo"] = s.suppressed_echo;
  j["suppressed_forwarded"] = s.suppressed_forwarded;
  j["own"] = s.own;
  j["own_recorded"] = s.target.own_recorded;
  j["own_written_back"] = s.target.own_written_back;
  j["own_unrestorable"] = s.target.own_unrestorable;
  j["reconnects"] = s.reconnects;
  return j.dump(2) + "\n";
}

void WriteSinkStatusFile(const SinkConfig& config, const SinkStats& stats) {
  static_cast<void>(WriteFileAtomically(
      SinkStatusPath(config),
      EncodeSinkStatus(config, stats, static_cast<int>(getpid()), WallClockMicros()),
      AtomicFileOptions{.sync = false}));
}

Result<SinkStatusReport> DecodeSinkStatus(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer()) {
    return Status::InvalidArgument("not a sink status file");
  }
  SinkStatusReport r;
  r.pid = j["pid"].get<int>();
  if (j.contains("updated_at") && j["updated_at"].is_string()) {
    int64_t us = 0;
    if (ParseUtcMicros(j["updated_at"].get<std::string>(), &us)) r.updated_us = us;
  }
  if (j.contains("bridges") && j["bridges"].is_object()) {
    for (const auto& [bridge, b] : j["bridges"].items()) {
      if (b.is_object() && b.contains("lag_ms") && b["lag_ms"].is_number()) {
        r.lag_ms[bridge] = b["lag_ms"].get<double>();
      }
    }
  }
  r.target.deltas = j.value("deltas", 0ULL);
  r.target.rows_inserted = j.value("rows_inserted", 0ULL);
  r.target.rows_bulk = j.value("rows_bulk", 0ULL);
  r.target.rows_updated = j.value("rows_updated", 0ULL);
  r.target.rows_deleted = j.value("rows_deleted", 0ULL);
  r.target.fields_kept = j.value("fields_kept", 0ULL);
  r.target.conflicts = j.value("conflicts", 0ULL);
  r.target.rejected = j.value("rejected", 0ULL);
  r.target.transactions = j.value("transactions", 0ULL);
  r.suppressed_echo = j.value("suppressed_echo", 0ULL);
  r.suppressed_forwarded = j.value("suppressed_forwarded", 0ULL);
  r.own = j.value("own", 0ULL);
  r.target.own_recorded = j.value("own_recorded", 0ULL);
  r.target.own_written_back = j.value("own_written_back", 0ULL);
  r.target.own_unrestorable = j.value("own_unrestorable", 0ULL);
  return r;
}

}  // namespace deltabridge
