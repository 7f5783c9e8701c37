// `deltabridge sink`, `status SINK.yaml` and `conflicts SINK.yaml`.
#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/commands.h"
#include "app/stop_signals.h"
#include "cdc/config/config_kind.h"
#include "cdc/core/live_report.h"
#include "cdc/core/log_limiter.h"
#include "cdc/core/utc_time.h"
#include "cdc/core/wall_clock.h"
#include "cdc/metrics/metrics_server.h"
#include "gateway/gateway_config.h"
#include "gateway/push_worker.h"
#include "sinks/bridge_probe.h"
#include "sinks/sink_config.h"
#include "sinks/sink_metrics.h"
#include "sinks/sink_runner.h"
#include "sinks/sink_status_file.h"
#include "sinks/target_admin.h"
#include "sinks/target_factory.h"

namespace deltabridge {
namespace {

// Holds an exclusive lock on <state_dir>/sink.lock while it lives.
class StateDirLock {
 public:
  ~StateDirLock() {
    if (fd_ >= 0) close(fd_);
  }
  Status Acquire(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IoError("cannot create state_dir " + dir + ": " + ec.message());
    const std::string path = dir + "/sink.lock";
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return Status::FailedPrecondition("another sink runs with state_dir " + dir + " (it holds " +
                                        path +
                                        "); stop it first, or give this sink its own state_dir");
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

Result<SinkConfig> Load(const std::string& file, int* rc) {
  Result<SinkConfig> cfg = LoadSinkConfig(file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    *rc = kExitUsage;
  }
  return cfg;
}

int ExitFor(const Status& s) {
  return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace

int SinkCommand(const std::string& file) {
  int rc = kExitOk;
  Result<SinkConfig> cfg = Load(file, &rc);
  if (!cfg.ok()) return rc;
  StateDirLock lock;
  if (Status s = lock.Acquire(cfg->state_dir); !s.ok()) {
    spdlog::error("{}", s.message());
    return kExitFailure;
  }
  const StopSignals signals;
  const std::string started_text = ReadConfigText(file);

  Result<std::unique_ptr<Target>> target = MakeTarget(*cfg);
  if (!target.ok()) {
    spdlog::error("{}", target.status().message());
    return ExitFor(target.status());
  }
  spdlog::info("sink {}: applying to {} ({} mapping(s), {} bridge(s))", cfg->name,
               TargetTypeName(cfg->target.type), cfg->mappings.size(), cfg->subscribe.size());
  SinkRunner runner(*cfg, std::move(target).value());
  // Open conflicts, counted by the watcher every 10 s (every second while
  // unknown: the sink creates its tables at start) on a session of its own
  // (SQL targets, when metrics are served); -1 while unknown.
  std::atomic<int64_t> conflicts_waiting{-1};
  MetricsServer metrics;
  if (cfg->metrics) {
    Status ms = metrics.Start(*cfg->metrics, "sink " + cfg->name, [&] {
      int64_t waiting = conflicts_waiting.load();
      return RenderSinkMetrics(
          *cfg, runner.stats(),
          waiting < 0 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(waiting)),
          WallClockMicros());
    });
    if (!ms.ok()) {
      spdlog::error("{}", ms.message());
      return kExitFailure;
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    auto last_status = std::chrono::steady_clock::now() - std::chrono::seconds(10);
    uint64_t written_transactions = 0;
    auto last_count = std::chrono::steady_clock::now() - std::chrono::seconds(60);
    std::unique_ptr<TargetAdmin> counting;
    LogLimiter count_log(std::chrono::minutes(5));
    while (!done.load()) {
      if (cfg->metrics && cfg->target.type != TargetType::kJsonl &&
          std::chrono::steady_clock::now() - last_count >=
              std::chrono::seconds(conflicts_waiting.load() < 0 ? 1 : 10)) {
        last_count = std::chrono::steady_clock::now();
        if (!counting) {
          Result<std::unique_ptr<TargetAdmin>> admin = TargetAdmin::Open(*cfg);
          if (admin.ok()) counting = std::move(admin).value();
        }
        Result<uint64_t> n = counting ? counting->CountOpenConflicts()
                                      : Result<uint64_t>(Status::Unavailable("no session"));
        conflicts_waiting = n.ok() ? static_cast<int64_t>(*n) : -1;
        if (!n.ok()) counting.reset();  // connect again next time
        uint64_t suppressed = 0;
        if (!n.ok() && count_log.Allow(&suppressed)) {
          spdlog::debug("sink {}: counting open conflicts for metrics: {}", cfg->name,
                        n.status().message());
        }
      }
      const int sig = signals.Wait(std::chrono::milliseconds(200));
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        stop = true;
      }
      if (sig == SIGHUP) {
        // Nothing in a sink file can change under a running sink: say what
        // changed and that it needs a restart.
        Result<SinkConfig> fresh = LoadSinkConfig(file);
        if (!fresh.ok()) {
          spdlog::error("SIGHUP: {}; keeping the running configuration", fresh.status().message());
        } else {
          LogReload(file, started_text, {}, "",
                    "restart the sink; under systemd: systemctl restart deltabridge-sink@INSTANCE");
        }
      }
      // The status file: once a second, and at the next tick (200 ms) after
      // a commit, so that `status` soon agrees with the checkpoint it reads
      // from the target.
      auto now = std::chrono::steady_clock::now();
      SinkStats stats = runner.stats();
      if (now - last_status >= std::chrono::seconds(1) ||
          stats.target.transactions != written_transactions) {
        last_status = now;
        written_transactions = stats.target.transactions;
        WriteSinkStatusFile(*cfg, stats);
      }
    }
  });
  Status s = runner.Run(stop);
  done = true;
  watcher.join();
  WriteSinkStatusFile(*cfg, runner.stats());
  if (!s.ok()) {
    spdlog::error("sink {}: {}", cfg->name, s.message());
    return ExitFor(s);
  }
  return kExitOk;
}

int SinkStatusCommand(const std::string& file) {
  int rc = kExitOk;
  Result<SinkConfig> cfg = Load(file, &rc);
  if (!cfg.ok()) return rc;
  // The running sink's own report, if it is running.
  const std::string status_path = SinkStatusPath(*cfg);
  std::optional<SinkStatusReport> live;
  {
    std::ifstream in(status_path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      Result<SinkStatusReport> report = DecodeSinkStatus(text.str());
      if (report.ok() && ReportIsLive(status_path, report->pid)) live = std::move(report).value();
    }
  }
  std::printf("sink %s: %s\n", cfg->name.c_str(),
              live ? ("running (pid " + std::to_string(live->pid) + ")").c_str() : "not running");
  Checkpoints checkpoints;
  std::optional<uint64_t> open_conflicts;
  int exit_code = kExitOk;
  Result<std::unique_ptr<TargetAdmin>> admin = TargetAdmin::Open(*cfg);
  if (!admin.ok()) {
    std::printf("  target: unreachable: %s\n", admin.status().message().c_str());
    exit_code = kExitFailure;
  } else {
    std::printf("  target: %s\n", (*admin)->Describe().c_str());
    Result<Checkpoints> cp = (*admin)->ReadCheckpoints();
    if (cp.ok()) checkpoints = *cp;
    if ((*admin)->holds_conflicts()) {
      Result<uint64_t> n = (*admin)->CountOpenConflicts();
      if (n.ok()) open_conflicts = *n;
    }
    if (!cp.ok()) {
      std::printf("  checkpoint: not readable (%s); the sink creates its tables on first start\n",
                  cp.status().message().c_str());
    }
  }
  for (const SubscribeConfig& sub : cfg->subscribe) {
    auto it = checkpoints.find(sub.bridge);
    uint64_t applied = it == checkpoints.end() ? 0 : it->second;
    Result<uint64_t> newest =
        ProbeBridgeNewestSeq(sub.publish, sub.bridge, std::chrono::milliseconds(2500));
    std::string line =
        "  bridge " + sub.bridge + ": applied through seq " + std::to_string(applied);
    if (newest.ok()) {
      line += ", bridge at seq " + std::to_string(*newest) + " (" +
              std::to_string(*newest > applied ? *newest - applied : 0) + " behind)";
    } else {
      line += ", bridge not reachable at " + sub.publish;
    }
    if (live && live->lag_ms.count(sub.bridge) > 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, ", last lag %.1f ms", live->lag_ms.at(sub.bridge));
      line += buf;
    }
    std::printf("%s\n", line.c_str());
  }
  if (open_conflicts) {
    std::printf("  conflicts waiting: %llu%s\n", static_cast<unsigned long long>(*open_conflicts),
                *open_conflicts > 0 ? ("  (deltabridge conflicts " + file + " list)").c_str() : "");
  }
  if (live) {
    // The counters come from the status file (written once a second and
    // soon after each commit): they may trail the checkpoint above, which is
    // read from the target now.
    std::string as_of;
    if (live->updated_us != 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " (as of %.1f s ago)",
                    std::max<int64_t>(0, WallClockMicros() - live->updated_us) / 1e6);
      as_of = buf;
    }
    const ApplyCounters& c = live->target;
    std::printf(
        "  since start%s: %llu deltas, rows +%llu (%llu by COPY) ~%llu -%llu, fields kept %llu, "
        "conflicts %llu, rejected %llu, %llu transactions\n",
        as_of.c_str(), static_cast<unsigned long long>(c.deltas),
        static_cast<unsigned long long>(c.rows_inserted),
        static_cast<unsigned long long>(c.rows_bulk),
        static_cast<unsigned long long>(c.rows_updated),
        static_cast<unsigned long long>(c.rows_deleted),
        static_cast<unsigned long long>(c.fields_kept),
        static_cast<unsigned long long>(c.conflicts), static_cast<unsigned long long>(c.rejected),
        static_cast<unsigned long long>(c.transactions));
    // Two-way sync (docs/two-way.md): what the sink did not apply, and why.
    if (!cfg->target.node.empty() ||
        live->suppressed_echo + live->suppressed_forwarded + live->own > 0) {
      std::printf(
          "  suppressed since start: %llu echoes (the target's node on their path), %llu "
          "forwarded copies (received directly too); %llu deltas of the own node\n",
          static_cast<unsigned long long>(live->suppressed_echo),
          static_cast<unsigned long long>(live->suppressed_forwarded),
          static_cast<unsigned long long>(live->own));
      std::printf(
          "  own-node deltas: %llu recorded as last writer, %llu written back, %llu fields that "
          "could not be restored\n",
          static_cast<unsigned long long>(c.own_recorded),
          static_cast<unsigned long long>(c.own_written_back),
          static_cast<unsigned long long>(c.own_unrestorable));
    }
  }
  return exit_code;
}

namespace {

// `conflicts` for one sink's target (a sink file's, or a gateway entity's
// push sink); `file` is the file named on the command line.
int ConflictsOf(const std::string& file, const SinkConfig& sink, const std::string& action,
                int64_t id, const std::string& take, bool all, bool* resolved) {
  const SinkConfig* cfg = &sink;
  if (cfg->target.type == TargetType::kJsonl) {
    std::printf(
        "sink %s writes a JSON-lines file: it holds no conflicts (rules do not apply to "
        "a file; see docs/jsonl-target.md)\n",
        cfg->name.c_str());
    return kExitOk;
  }
  Result<std::unique_ptr<TargetAdmin>> admin = TargetAdmin::Open(*cfg);
  if (!admin.ok()) {
    std::fprintf(stderr, "%s\n", admin.status().message().c_str());
    return admin.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (action == "resolve") {
    Status s = (*admin)->ResolveConflict(id, take, WallClockMicros());
    if (!s.ok()) {
      if (resolved != nullptr) return kExitFailure;  // another entity's target may hold it
      std::fprintf(stderr, "conflict %lld: %s\n", static_cast<long long>(id), s.message().c_str());
      return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
    }
    if (resolved != nullptr) *resolved = true;
    std::printf("conflict %lld resolved: took %s\n", static_cast<long long>(id), take.c_str());
    return kExitOk;
  }
  Result<std::vector<ConflictRecord>> list = (*admin)->ListConflicts(all);
  if (!list.ok()) {
    std::fprintf(stderr, "%s\n", list.status().message().c_str());
    return kExitFailure;
  }
  if (list->empty()) {
    std::printf("no conflicts %s for sink %s\n", all ? "recorded" : "waiting", cfg->name.c_str());
    return kExitOk;
  }
  for (const ConflictRecord& c : *list) {
    std::printf("#%lld  %s  %s %s%s%s  %s\n", static_cast<long long>(c.id),
                FormatUtcMicros(c.detected_at_us).c_str(), c.target_table.c_str(),
                c.row_key.c_str(), c.column_name.empty() ? "" : " ", c.column_name.c_str(),
                std::string(ConflictKindName(c.kind)).c_str());
    std::printf("      from %s seq %llu committed %s\n", c.source.c_str(),
                static_cast<unsigned long long>(c.seq), FormatUtcMicros(c.committed_at_us).c_str());
    if (c.kind == ConflictKind::kField) {
      std::printf("      current %s, incoming %s\n", c.current_value.value_or("(no row)").c_str(),
                  c.incoming_value.value_or("null").c_str());
    } else if (c.incoming_value) {
      std::printf("      incoming %s\n", c.incoming_value->c_str());
    }
    std::printf("      why: %s\n", c.reason.c_str());
    if (c.resolved_at) {
      std::printf("      resolved %s: took %s\n", c.resolved_at->c_str(),
                  c.resolution.value_or("?").c_str());
    }
  }
  std::printf(
      "%zu conflict(s). Resolve one with: deltabridge conflicts %s resolve ID --take "
      "incoming|current\n",
      list->size(), file.c_str());
  return kExitOk;
}

}  // namespace

int ConflictsCommand(const std::string& file, const std::string& action, int64_t id,
                     const std::string& take, bool all) {
  Result<ConfigKind> kind = DetectConfigKind(file);
  if (kind.ok() && *kind == ConfigKind::kGateway) {
    Result<GatewayConfig> gateway = LoadGatewayConfig(file);
    if (!gateway.ok()) {
      std::fprintf(stderr, "%s\n", gateway.status().message().c_str());
      return kExitUsage;
    }
    int rc = kExitOk;
    bool resolved = false;
    bool any = false;
    for (const EntityConfig& entity : gateway->entities) {
      if (!entity.push) continue;
      any = true;
      if (action != "resolve") std::printf("entity %s:\n", entity.name.c_str());
      int r = ConflictsOf(file, PushSinkConfig(*gateway, entity), action, id, take, all,
                          action == "resolve" ? &resolved : nullptr);
      if (action == "resolve" && resolved) return kExitOk;
      if (action != "resolve" && r != kExitOk) rc = r;
    }
    if (!any) {
      std::printf("gateway %s has no entity that takes pushes: it holds no conflicts\n",
                  gateway->name.c_str());
      return kExitOk;
    }
    if (action == "resolve") {
      std::fprintf(stderr,
                   "conflict %lld: no entity's target of gateway %s holds it open (list them "
                   "with: deltabridge conflicts %s)\n",
                   static_cast<long long>(id), gateway->name.c_str(), file.c_str());
      return kExitFailure;
    }
    return rc;
  }
  int rc = kExitOk;
  Result<SinkConfig> cfg = Load(file, &rc);
  if (!cfg.ok()) return rc;
  return ConflictsOf(file, *cfg, action, id, take, all, nullptr);
}

}  // namespace deltabridge
