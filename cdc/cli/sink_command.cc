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
#include <nlohmann/json.hpp>
#include <thread>

#include "cdc/cli/commands.h"
#include "cdc/cli/sink_metrics.h"
#include "cdc/core/envelope.h"
#include "cdc/core/log_limiter.h"
#include "cdc/core/wall_clock.h"
#include "cdc/metrics/metrics_server.h"
#include "mappings/sink_config.h"
#include "sinks/bridge_probe.h"
#include "sinks/sink_runner.h"
#include "sinks/sql/conflict_resolver.h"
#include "sinks/sql/state_tables.h"
#include "sinks/target_factory.h"

namespace deltabridge {
namespace {

std::string StatusPath(const SinkConfig& c) { return c.state_dir + "/sink-status.json"; }

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

void WriteStatusFile(const SinkConfig& config, const SinkStats& s) {
  nlohmann::ordered_json j;
  j["sink"] = config.name;
  j["pid"] = getpid();
  j["updated_at"] = FormatUtcMicros(WallClockMicros());
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
  j["reconnects"] = s.reconnects;
  const std::string path = StatusPath(config);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) return;
  }
  std::rename(tmp.c_str(), path.c_str());
}

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
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
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
    std::unique_ptr<SqlSession> counting;
    LogLimiter count_log(std::chrono::minutes(5));
    while (!done.load()) {
      if (cfg->metrics && cfg->target.type != TargetType::kJsonl &&
          std::chrono::steady_clock::now() - last_count >=
              std::chrono::seconds(conflicts_waiting.load() < 0 ? 1 : 10)) {
        last_count = std::chrono::steady_clock::now();
        if (!counting || counting->broken()) {
          counting.reset();
          Result<SqlSessionFactory> factory = MakeSqlSessionFactory(cfg->target);
          Result<std::unique_ptr<SqlSession>> session =
              factory.ok() ? (*factory)() : Result<std::unique_ptr<SqlSession>>(factory.status());
          if (session.ok()) counting = std::move(session).value();
        }
        Result<uint64_t> n = counting ? CountOpenConflicts(*counting, cfg->name)
                                      : Result<uint64_t>(Status::Unavailable("no session"));
        conflicts_waiting = n.ok() ? static_cast<int64_t>(*n) : -1;
        uint64_t suppressed = 0;
        if (!n.ok() && count_log.Allow(&suppressed)) {
          spdlog::debug("sink {}: counting open conflicts for metrics: {}", cfg->name,
                        n.status().message());
        }
      }
      timespec ts{0, 200 * 1000 * 1000};
      int sig = sigtimedwait(&signals, nullptr, &ts);
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
        WriteStatusFile(*cfg, stats);
      }
    }
  });
  Status s = runner.Run(stop);
  done = true;
  watcher.join();
  WriteStatusFile(*cfg, runner.stats());
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
  nlohmann::json live;
  bool running = false;
  {
    std::ifstream in(StatusPath(*cfg));
    if (in) {
      live = nlohmann::json::parse(in, nullptr, false);
      if (live.is_object() && live.contains("pid") && live["pid"].is_number_integer()) {
        pid_t pid = live["pid"].get<int>();
        struct stat st {};
        bool fresh =
            stat(StatusPath(*cfg).c_str(), &st) == 0 &&
            std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(st.st_mtime) <
                std::chrono::seconds(5);
        running = fresh && kill(pid, 0) == 0;
      }
    }
  }
  std::printf("sink %s: %s\n", cfg->name.c_str(),
              running ? ("running (pid " + std::to_string(live["pid"].get<int>()) + ")").c_str()
                      : "not running");
  Checkpoints checkpoints;
  std::optional<uint64_t> open_conflicts;
  int exit_code = kExitOk;
  if (cfg->target.type == TargetType::kJsonl) {
    std::ifstream in(cfg->state_dir + "/jsonl-state.json");
    nlohmann::json st = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
    std::printf("  target: jsonl %s\n", cfg->target.jsonl()->path.c_str());
    if (st.is_object() && st.contains("checkpoints") && st["checkpoints"].is_object()) {
      for (const auto& [b, seq] : st["checkpoints"].items()) {
        if (seq.is_number_unsigned()) checkpoints[b] = seq.get<uint64_t>();
      }
    }
  } else {
    Result<SqlSessionFactory> factory = MakeSqlSessionFactory(cfg->target);
    Result<std::unique_ptr<SqlSession>> session =
        factory.ok() ? (*factory)() : Result<std::unique_ptr<SqlSession>>(factory.status());
    if (!session.ok()) {
      std::printf("  target: unreachable: %s\n", session.status().message().c_str());
      exit_code = kExitFailure;
    } else {
      std::printf("  target: %s %s\n", std::string(TargetTypeName(cfg->target.type)).c_str(),
                  (*session)->Describe().c_str());
      Result<Checkpoints> cp = LoadCheckpoints(**session, cfg->name);
      if (cp.ok()) checkpoints = *cp;
      Result<uint64_t> n = CountOpenConflicts(**session, cfg->name);
      if (n.ok()) open_conflicts = *n;
      if (!cp.ok()) {
        std::printf("  checkpoint: not readable (%s); the sink creates its tables on first start\n",
                    cp.status().message().c_str());
      }
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
    if (running && live.contains("bridges") && live["bridges"].contains(sub.bridge) &&
        live["bridges"][sub.bridge].contains("lag_ms")) {
      char buf[64];
      std::snprintf(buf, sizeof buf, ", last lag %.1f ms",
                    live["bridges"][sub.bridge]["lag_ms"].get<double>());
      line += buf;
    }
    std::printf("%s\n", line.c_str());
  }
  if (open_conflicts) {
    std::printf("  conflicts waiting: %llu%s\n", static_cast<unsigned long long>(*open_conflicts),
                *open_conflicts > 0 ? ("  (deltabridge conflicts " + file + " list)").c_str() : "");
  }
  if (running) {
    // The counters come from the status file (written once a second and
    // soon after each commit): they may trail the checkpoint above, which is
    // read from the target now.
    std::string as_of;
    int64_t updated_us = 0;
    if (live.contains("updated_at") && live["updated_at"].is_string() &&
        ParseUtcMicros(live["updated_at"].get<std::string>(), &updated_us)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " (as of %.1f s ago)",
                    std::max<int64_t>(0, WallClockMicros() - updated_us) / 1e6);
      as_of = buf;
    }
    std::printf(
        "  since start%s: %llu deltas, rows +%llu (%llu by COPY) ~%llu -%llu, fields kept %llu, "
        "conflicts %llu, rejected %llu, %llu transactions\n",
        as_of.c_str(), live.value("deltas", 0ULL), live.value("rows_inserted", 0ULL),
        live.value("rows_bulk", 0ULL), live.value("rows_updated", 0ULL),
        live.value("rows_deleted", 0ULL), live.value("fields_kept", 0ULL),
        live.value("conflicts", 0ULL), live.value("rejected", 0ULL),
        live.value("transactions", 0ULL));
  }
  return exit_code;
}

int ConflictsCommand(const std::string& file, const std::string& action, int64_t id,
                     const std::string& take, bool all) {
  int rc = kExitOk;
  Result<SinkConfig> cfg = Load(file, &rc);
  if (!cfg.ok()) return rc;
  if (cfg->target.type == TargetType::kJsonl) {
    std::printf(
        "sink %s writes a JSON-lines file: it holds no conflicts (rules do not apply to "
        "a file; see docs/jsonl-target.md)\n",
        cfg->name.c_str());
    return kExitOk;
  }
  Result<SqlSessionFactory> factory = MakeSqlSessionFactory(cfg->target);
  if (!factory.ok()) {
    std::fprintf(stderr, "%s\n", factory.status().message().c_str());
    return kExitUsage;
  }
  Result<std::unique_ptr<SqlSession>> session = (*factory)();
  if (!session.ok()) {
    std::fprintf(stderr, "%s\n", session.status().message().c_str());
    return kExitFailure;
  }
  if (action == "resolve") {
    Status s = ResolveConflict(**session, *cfg, id, take, WallClockMicros());
    if (!s.ok()) {
      std::fprintf(stderr, "conflict %lld: %s\n", static_cast<long long>(id), s.message().c_str());
      return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
    }
    std::printf("conflict %lld resolved: took %s\n", static_cast<long long>(id), take.c_str());
    return kExitOk;
  }
  Result<std::vector<ConflictRecord>> list = ListConflicts(**session, cfg->name, all);
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

}  // namespace deltabridge
