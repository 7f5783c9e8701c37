#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

#include "cdc/bridge/bridge.h"
#include "cdc/cli/commands.h"
#include "cdc/config/bridge_config.h"

namespace deltabridge {

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
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Bridge bridge(std::move(*cfg), Bridge::Options{resnapshot});
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      timespec ts{0, 200 * 1000 * 1000};
      int sig = sigtimedwait(&signals, nullptr, &ts);
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        bridge.Stop();
        return;
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
