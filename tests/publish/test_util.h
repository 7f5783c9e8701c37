// Helpers for the fan-out tests: waiting on conditions, raw TCP peers,
// building deltas, and a fake bridge (journal + publisher + replay server).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "cdc/publish/publisher.h"
#include "cdc/publish/replay_server.h"
#include "tests/publish/memory_replay_source.h"

namespace deltabridge::testing {

// Polls `pred` every few ms until it holds or `timeout` passes; returns it.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// A raw TCP connection to the port of a "tcp://127.0.0.1:N" endpoint, for
// sending bytes that are not ZMTP. Closed on destruction.
class RawTcp {
 public:
  explicit RawTcp(std::string_view endpoint);
  RawTcp(const RawTcp&) = delete;
  RawTcp& operator=(const RawTcp&) = delete;
  ~RawTcp();
  bool connected() const { return fd_ >= 0; }
  bool Send(std::string_view bytes);
  // Reads and discards what the server sends until it closes the connection;
  // false if it is still open after `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

// A TCP listener on 127.0.0.1 that accepts nothing and answers nothing: a
// replay endpoint that never replies. Closed on destruction.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  const std::string& endpoint() const { return endpoint_; }

 private:
  int fd_ = -1;
  std::string endpoint_;
};

// The body of delta `seq` on bridge "parks", source "scheduling", `table`.
std::string DeltaBody(uint64_t seq, std::string_view table);
std::string DeltaTopic(std::string_view table);  // "parks.scheduling.<table>"

// Receives one whole message (all frames) within `timeout`; empty on timeout.
std::vector<std::string> RecvStrings(zmq::socket_t& socket,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
void SendStrings(zmq::socket_t& socket, const std::vector<std::string>& frames);

// Journal, PUB and replay server of one bridge named "parks", on loopback
// ports picked by the kernel. Emit/Heartbeat from one thread at a time.
class FakeBridge {
 public:
  FakeBridge();
  // Journals the next delta on `table` and publishes it unless `publish` is
  // false (a delta the PUB lost). Returns its seq.
  uint64_t Emit(std::string_view table, bool publish = true);
  // Publishes a heartbeat with the newest seq and `nodes` (source -> node).
  void Heartbeat(const SourceNodes& nodes = {});
  // Closes and rebinds the PUB socket on the same endpoint (a bridge restart).
  void RestartPublisher();

  MemoryReplaySource& source() { return source_; }
  ReplayServer& replay() { return *replay_; }
  const std::string& publish_endpoint() const { return publish_endpoint_; }
  const std::string& replay_endpoint() const { return replay_->endpoint(); }
  uint64_t newest() const { return newest_; }

 private:
  MemoryReplaySource source_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<ReplayServer> replay_;
  std::string publish_endpoint_;
  uint64_t newest_ = 0;
};

}  // namespace deltabridge::testing
