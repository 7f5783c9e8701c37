// `deltabridge gateway GATEWAY.yaml` and `status GATEWAY.yaml`.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/commands.h"
#include "app/stop_signals.h"
#include "cdc/config/yaml_reader.h"
#include "cdc/core/wall_clock.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_runner.h"

namespace deltabridge {

int GatewayCommand(const std::string& file) {
  Result<GatewayConfig> cfg = LoadGatewayConfig(file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return kExitUsage;
  }
  // Every client is a descriptor: the soft limit (1024 by default outside
  // systemd) goes up to the hard one, which the unit sets to 65536.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    const rlim_t before = files.rlim_cur;
    files.rlim_cur = files.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &files) == 0) {
      spdlog::info("gateway {}: open files limit raised from {} to {}", cfg->name,
                   static_cast<unsigned long long>(before),
                   static_cast<unsigned long long>(files.rlim_max));
    }
  }
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 &&
                      files.rlim_cur < cfg->limits.max_connections + 64) {
    spdlog::warn(
        "gateway {}: the open files limit ({}) is below limits.max_connections ({}): clients "
        "beyond it are refused by the system; raise LimitNOFILE (the unit sets 65536) or "
        "ulimit -n",
        cfg->name, static_cast<unsigned long long>(files.rlim_cur), cfg->limits.max_connections);
  }
  const StopSignals signals;
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      const int sig = signals.Wait(std::chrono::milliseconds(200));
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::info("gateway {}: {} received; stopping", cfg->name,
                     sig == SIGINT ? "SIGINT" : "SIGTERM");
        stop = true;
        return;
      }
      if (sig == SIGHUP) {
        spdlog::info(
            "gateway {}: SIGHUP: the tokens file is re-read by itself within two seconds; other "
            "changes to {} take a restart",
            cfg->name, file);
      }
    }
  });
  GatewayRunner runner(*cfg);
  Status s = runner.Run(stop);
  done = true;
  watcher.join();
  if (!s.ok()) {
    spdlog::error("gateway {}: {}", cfg->name, s.message());
    return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  return kExitOk;
}

int GatewayStatusCommand(const std::string& file) {
  Result<GatewayConfig> cfg = LoadGatewayConfig(file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return kExitUsage;
  }
  const std::string path = cfg->state_dir + "/status.json";
  std::string text;
  if (auto why = ReadWholeFile(path, &text)) {
    std::printf("gateway %s: no status (%s: %s): it has not run with this state_dir\n",
                cfg->name.c_str(), path.c_str(), why->c_str());
    return kExitFailure;
  }
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    std::fprintf(stderr, "%s: not a gateway status file\n", path.c_str());
    return kExitFailure;
  }
  const int64_t updated = j.value("updated_us", int64_t{0});
  const double age_s = static_cast<double>(WallClockMicros() - updated) / 1e6;
  std::printf("gateway %s (pid %d), status of %s (%.0f s ago)%s\n", cfg->name.c_str(),
              j.value("pid", 0), j.value("updated", std::string("?")).c_str(), age_s,
              age_s > 5 ? ": NOT RUNNING, or stuck" : "");
  for (const auto& [bridge, b] : j["bridges"].items()) {
    std::printf(
        "  bridge %s: applied through seq %llu (gaps repaired %llu, reconnects %llu, "
        "malformed %llu)\n",
        bridge.c_str(), static_cast<unsigned long long>(b.value("applied", uint64_t{0})),
        static_cast<unsigned long long>(b.value("gaps_repaired", uint64_t{0})),
        static_cast<unsigned long long>(b.value("reconnects", uint64_t{0})),
        static_cast<unsigned long long>(b.value("malformed", uint64_t{0})));
  }
  std::printf("  streams: %llu open, %llu opened, %llu closed as slow, %llu resets\n",
              static_cast<unsigned long long>(j.value("streams", uint64_t{0})),
              static_cast<unsigned long long>(j.value("streams_opened", uint64_t{0})),
              static_cast<unsigned long long>(j.value("overflow_closes", uint64_t{0})),
              static_cast<unsigned long long>(j.value("resets", uint64_t{0})));
  const auto& p = j["pushes"];
  std::printf("  pushes: %llu received, %llu applied, %llu conflicts, %llu refused, %llu failed\n",
              static_cast<unsigned long long>(p.value("received", uint64_t{0})),
              static_cast<unsigned long long>(p.value("applied", uint64_t{0})),
              static_cast<unsigned long long>(p.value("conflicts", uint64_t{0})),
              static_cast<unsigned long long>(p.value("rejected", uint64_t{0})),
              static_cast<unsigned long long>(p.value("failed", uint64_t{0})));
  const auto& r = j["refused"];
  std::printf(
      "  refused: %llu unauthenticated (401), %llu forbidden (403), %llu over limits (429), "
      "%llu bad requests (400)\n",
      static_cast<unsigned long long>(r.value("401", uint64_t{0})),
      static_cast<unsigned long long>(r.value("403", uint64_t{0})),
      static_cast<unsigned long long>(r.value("429", uint64_t{0})),
      static_cast<unsigned long long>(r.value("400", uint64_t{0})));
  return age_s > 5 ? kExitFailure : kExitOk;
}

}  // namespace deltabridge
