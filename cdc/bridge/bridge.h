// Bridge: one running `deltabridge run BRIDGE.yaml`.
//
// Owns the journal, the publisher (PUB socket), the replay server, and one
// thread per source. Sources are made by a SourceFactory (MakeSource unless a
// test gives its own) and run through the Source interface. Sources write through the
// JournalWriter; a publishing thread sends every newly committed delta (read back from the journal,
// so a transaction is published only once wholly journaled) and a heartbeat once a second;
// retention runs once a minute.
//
// Threads: Run() blocks the caller until Stop() (from a signal watcher) or a
// source fails fatally. Stop() is thread-safe and async-signal-unsafe (call it
// from a normal thread).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cdc/bridge/source_factory.h"
#include "cdc/config/bridge_config.h"
#include "cdc/core/status.h"

namespace deltabridge {

class Bridge {
 public:
  struct Options {
    // Sources whose position and snapshot state are forgotten before start,
    // so they take a new initial snapshot (--resnapshot).
    std::vector<std::string> resnapshot;
  };

  Bridge(BridgeConfig config, Options options, SourceFactory factory = nullptr);
  ~Bridge();

  // Runs until Stop() or a fatal source error. Returns ok after a clean stop.
  Status Run();
  void Stop();
  // Takes what can change while the bridge runs from a newer version of its
  // file (SIGHUP): the journal retention. Returns what it changed, for the log.
  std::string Reload(const BridgeConfig& config);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deltabridge
