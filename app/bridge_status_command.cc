// `deltabridge status BRIDGE.yaml`: the bridge's own report, from
// <state_dir>/bridge-status.json, which a running bridge rewrites four
// times a second (and once more when it stops). Reads no database and takes no lock,
// so it is safe against a running bridge.
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/commands.h"
#include "cdc/bridge/bridge_stats.h"
#include "cdc/config/bridge_config.h"
#include "cdc/core/live_report.h"
#include "cdc/core/utc_time.h"
#include "cdc/core/wall_clock.h"

namespace deltabridge {
namespace {

std::string Bytes(uint64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  if (n < (uint64_t{1} << 20)) return fmt::format("{:.1f} KiB", n / 1024.0);
  if (n < (uint64_t{1} << 30)) return fmt::format("{:.1f} MiB", n / 1048576.0);
  return fmt::format("{:.2f} GiB", n / 1073741824.0);
}

std::string Ago(int64_t then_us, int64_t now_us) {
  double s = (now_us - then_us) / 1e6;
  if (s < 120) return fmt::format("{:.1f} s ago", s);
  if (s < 7200) return fmt::format("{:.0f} min ago", s / 60);
  return fmt::format("{:.1f} h ago", s / 3600);
}

}  // namespace

int BridgeStatusCommand(const std::string& file) {
  Result<BridgeConfig> cfg = LoadBridgeConfig(file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return kExitUsage;
  }
  const std::string path = BridgeStatusPath(cfg->state_dir);
  std::ifstream in(path);
  if (!in) {
    std::printf(
        "bridge %s: not running, and no report in %s (it has not run with this "
        "state_dir)\n",
        cfg->name.c_str(), cfg->state_dir.c_str());
    return kExitFailure;
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<BridgeStats> st = DecodeBridgeStats(text.str());
  if (!st.ok()) {
    std::printf("bridge %s: %s is unreadable: %s\n", cfg->name.c_str(), path.c_str(),
                st.status().message().c_str());
    return kExitFailure;
  }
  const int64_t now = WallClockMicros();
  const bool running = ReportIsLive(path, st->pid);
  if (running) {
    std::printf("bridge %s: running (pid %d)\n", cfg->name.c_str(), st->pid);
  } else {
    std::printf("bridge %s: not running; last report %s (%s)\n", cfg->name.c_str(),
                FormatUtcMicros(st->updated_us).c_str(), Ago(st->updated_us, now).c_str());
  }
  if (st->journal_last_seq == 0) {
    std::printf("  journal: empty\n");
  } else {
    std::printf("  journal: seq %llu..%llu (%s), published through %llu\n",
                static_cast<unsigned long long>(st->journal_first_seq),
                static_cast<unsigned long long>(st->journal_last_seq),
                Bytes(st->journal_bytes).c_str(),
                static_cast<unsigned long long>(st->published_seq));
  }
  std::printf(
      "  publish %s, replay %s (%llu requests, %llu refused)%s\n", cfg->publish.c_str(),
      cfg->replay.c_str(), static_cast<unsigned long long>(st->replay_requests),
      static_cast<unsigned long long>(st->replay_errors),
      cfg->metrics ? (", metrics http://" + cfg->metrics->ToString() + "/metrics").c_str() : "");
  for (const SourceStats& s : st->sources) {
    std::string line = "  source " + s.name + " (" + s.type + "): position " +
                       (s.position.empty() ? std::string("none yet") : s.position);
    if (s.last_commit_us != 0) {
      line += ", last commit " + FormatUtcMicros(s.last_commit_us);
    }
    if (s.position_lag_bytes) {
      line += ", server ahead by " + Bytes(*s.position_lag_bytes);
    }
    if (running) {
      if (std::optional<double> lag = SourceLagSeconds(s, now)) {
        line += fmt::format(", lag {:.1f} s", *lag);
      }
    }
    std::printf("%s\n", line.c_str());
    std::printf("    since start: %llu changes (%s) in %llu transactions, %llu reconnects%s\n",
                static_cast<unsigned long long>(s.changes), Bytes(s.bytes).c_str(),
                static_cast<unsigned long long>(s.transactions),
                static_cast<unsigned long long>(s.reconnects),
                s.snapshot_rows > 0
                    ? (", snapshot " + std::to_string(s.snapshot_rows) + " rows").c_str()
                    : "");
    if (s.tagged_forwarded > 0 || s.tagged_dropped > 0 || s.bad_tags > 0) {
      std::printf(
          "    written by sinks: %llu changes forwarded with their origin, %llu not forwarded%s\n",
          static_cast<unsigned long long>(s.tagged_forwarded),
          static_cast<unsigned long long>(s.tagged_dropped),
          s.bad_tags > 0 ? fmt::format(", {} unreadable tags (see the log)", s.bad_tags).c_str()
                         : "");
    }
  }
  return kExitOk;
}

}  // namespace deltabridge
