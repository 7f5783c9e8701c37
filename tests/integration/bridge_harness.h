// Test harness for end-to-end tests: a real `deltabridge run` process over a
// TestPostgres database, and an in-process subscriber that collects deltas.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sinks/subscriber.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_postgres.h"

namespace deltabridge::test {

using Json = nlohmann::ordered_json;

// Path of the deltabridge binary under test (set by CMake).
std::string DeltabridgeBin();

// Waits until `pred` holds or `timeout` passes; returns pred().
bool WaitUntil(const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A loopback TCP port free right now (the kernel's pick for port 0), for
// `metrics:` endpoints.
int FreeLoopbackPort();

// The value of one sample ("name{labels}") in a Prometheus scrape, or -1.
double MetricValue(const std::string& scrape, const std::string& sample);

// "t_" and the running test's name in lower case: a database name of its own
// for each test of a suite that shares one server.
std::string TestDatabaseName();

// Replaces the first `from` in the file at `path` with `to` (e.g. a bridge
// file before a SIGHUP or a restart); a fatal failure when `from` is not there.
void ReplaceInFile(const std::string& path, const std::string& from, const std::string& to);

// One bridge: its directory, its config file, and the running process.
class BridgeUnderTest {
 public:
  // `sources_yaml` is the text of the `sources:` list (indented by 2);
  // `bridge_extra` more keys of the `bridge:` section (indented by 2).
  BridgeUnderTest(const std::string& name, const std::string& sources_yaml,
                  const std::string& bridge_extra = "");
  ~BridgeUnderTest();

  const std::string& config_path() const { return config_path_; }
  const std::string& publish() const { return publish_; }
  const std::string& replay() const { return replay_; }
  std::string log() const;  // the process's output so far

  void Start(const std::vector<std::string>& extra_args = {});
  // Start() and wait until this start's log holds `text` (e.g. what a source
  // logs once it streams); a fatal failure, with the log, when it never does.
  void StartAndWaitForLog(const std::string& text, const std::vector<std::string>& extra_args = {});
  // Start() and wait until a PostgreSQL source streams (its log says so), so
  // that changes made afterwards are streamed rather than snapshotted or missed.
  void StartStreaming(const std::vector<std::string>& extra_args = {});
  // SIGTERM and wait for a clean exit (asserts exit code 0).
  void Stop();
  void Kill9();
  void Signal(int sig);  // e.g. SIGHUP
  bool running();
  // Waits for the process to exit by itself; returns its exit code (-1 on timeout).
  int WaitExit(std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<TempDir> dir_;
  std::string config_path_, publish_, replay_, log_path_;
  std::unique_ptr<Child> child_;
  int starts_ = 0;
};

// Collects every delta (parsed) a Subscriber delivers, on its own thread.
class Collector {
 public:
  // With `replay` it follows the Clone pattern from `from` (gap-free).
  Collector(const std::string& publish, const std::string& replay, uint64_t from = 1);
  ~Collector();

  // Waits until at least n deltas arrived; false on timeout.
  bool WaitCount(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(90));
  std::vector<Json> deltas();
  size_t size();
  Status status();

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Json> deltas_;
  Status status_;
  std::unique_ptr<Subscriber> sub_;
  std::thread thread_;
};

// Asserts the deltas' seqs are consecutive from their first one.
void ExpectGapFree(const std::vector<Json>& deltas);

}  // namespace deltabridge::test
