#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/commands.h"
#include "app/stop_signals.h"
#include "cdc/bridge/bridge.h"
#include "cdc/config/bridge_config.h"
#include "cdc/config/config_diff.h"

namespace deltabridge {

std::string ReadConfigText(const std::string& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void LogReload(const std::string& file, const std::string& started_text,
               const std::vector<std::string>& reloadable, const std::string& applied,
               const std::string& restart_hint) {
  Result<std::vector<std::string>> changed = ChangedConfigKeys(started_text, ReadConfigText(file));
  std::string restart;
  if (changed.ok()) {
    for (const std::string& key : *changed) {
      if (std::find(reloadable.begin(), reloadable.end(), key) != reloadable.end()) continue;
      restart += (restart.empty() ? "" : ", ") + key;
    }
  }
  if (!applied.empty()) spdlog::info("SIGHUP: {}: {}", file, applied);
  if (!restart.empty()) {
    spdlog::warn("SIGHUP: {}: {} changed since start and take effect only at a restart ({})", file,
                 restart, restart_hint);
  }
  if (applied.empty() && restart.empty()) {
    spdlog::info("SIGHUP: {}: re-read; nothing changed that this process can apply", file);
  }
}

int RunCommand(const std::string& bridge_file, const std::vector<std::string>& resnapshot) {
  Result<BridgeConfig> cfg = LoadBridgeConfig(bridge_file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return kExitUsage;
  }
  for (const std::string& name : resnapshot) {
    bool known = false;
    for (const auto& s : cfg->sources) known = known || s.name == name;
    if (!known) {
      std::fprintf(stderr, "%s: --resnapshot %s: no source of that name\n", bridge_file.c_str(),
                   name.c_str());
      return kExitUsage;
    }
  }

  // SIGINT/SIGTERM are taken by a watcher thread; every other thread has
  // them blocked (the mask is inherited by the threads the bridge starts).
  const StopSignals signals;

  const std::string started_text = ReadConfigText(bridge_file);
  Bridge bridge(std::move(*cfg), Bridge::Options{resnapshot});
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      const int sig = signals.Wait(std::chrono::milliseconds(200));
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        bridge.Stop();
        return;
      }
      if (sig == SIGHUP) {
        Result<BridgeConfig> fresh = LoadBridgeConfig(bridge_file);
        if (!fresh.ok()) {
          spdlog::error("SIGHUP: {}; keeping the running configuration", fresh.status().message());
          continue;
        }
        std::string applied = bridge.Reload(*fresh);
        LogReload(bridge_file, started_text, {"bridge.retention"}, applied,
                  "restart the bridge; under systemd: systemctl restart deltabridge@INSTANCE");
      }
    }
  });
  Status s = bridge.Run();
  done = true;
  watcher.join();
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  return kExitOk;
}

}  // namespace deltabridge
