// Test harness for sink end-to-end tests: a real `deltabridge sink` process
// following a BridgeUnderTest, and the CLI's other sink commands.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/bridge_harness.h"

namespace deltabridge::test {

class SinkUnderTest {
 public:
  // Writes SINK.yaml: `target_yaml` is the text of the `target:` section's
  // body (indented by 2), `mappings_yaml` the `mappings:` list (indented by 2).
  SinkUnderTest(const std::string& name, const BridgeUnderTest& bridge,
                const std::vector<std::string>& topics, const std::string& target_yaml,
                const std::string& mappings_yaml, const std::string& bridge_name = "parks");
  // Several bridges: `subscribe_yaml` is the text of the `subscribe:` list
  // (indented by 2); SubscribeEntry() writes one entry.
  SinkUnderTest(const std::string& name, const std::string& subscribe_yaml,
                const std::string& target_yaml, const std::string& mappings_yaml);
  static std::string SubscribeEntry(const BridgeUnderTest& bridge, const std::string& bridge_name,
                                    const std::vector<std::string>& topics);
  ~SinkUnderTest();

  const std::string& config_path() const { return config_path_; }
  std::string state_dir() const { return dir_->Join("state"); }
  std::string dir() const { return dir_->path(); }
  std::string log() const;  // this start's output

  void Start();
  void Stop();  // SIGTERM, asserts exit 0
  void Kill9();
  void Signal(int sig);  // e.g. SIGHUP
  bool running() const { return child_ && child_->IsRunning(); }
  bool running();
  int WaitExit(std::chrono::milliseconds timeout);

  // Runs `deltabridge ARGS...` to completion (60 s at most).
  static RunResult Cli(const std::vector<std::string>& args);

 private:
  std::unique_ptr<TempDir> dir_;
  std::string config_path_, log_path_;
  std::unique_ptr<Child> child_;
  int starts_ = 0;
};

// Waits until `deltabridge status` says the sink's checkpoint reached its
// bridges' newest seq (" (0 behind)").
bool WaitCaughtUp(const SinkUnderTest& sink,
                  std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace deltabridge::test
