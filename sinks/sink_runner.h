// SinkRunner: the `deltabridge sink` loop. Follows every bridge the sink file
// names with a Subscriber (gap-free, through replay), maps what it receives,
// and applies it to the Target in transactions that carry the checkpoint.
//
// Threads: one subscriber thread per bridge decodes deltas and queues them
// (a bounded queue per bridge: when the target falls behind, the subscriber
// waits, its socket's queue fills, and what ZeroMQ drops is replayed later;
// memory stays bounded). The thread that calls Run() applies them, taking
// them from a queue up to 256 at a time under one lock; a subscriber wakes
// it only when it queues into an empty queue (the applier waits only after
// finding its queue empty).
//
// Ordering and exactly-once (the invariants):
//   * per bridge, deltas are applied in seq order, each once: the subscriber
//     never skips nor repeats, and a restart resumes at checkpoint + 1;
//   * a source transaction is never split across target transactions: once
//     the applier starts one, it takes only that bridge's deltas until the
//     transaction's last delta, then commits when no more are waiting (or
//     the batch is full), so under load several source transactions share a
//     target transaction (group commit) and when idle each commits at once;
//   * the checkpoint of a bridge is its last applied seq, or, once its queue
//     is drained, the subscriber's whole-stream position (deltas of topics the
//     sink does not apply advance it too, at most once a second), so that
//     journal retention never strands a sink that applies a quiet topic.
//
// Echoes (docs/two-way.md, "No echo"): a delta whose path holds the target's
// node, or a forwarded copy of a change the sink receives directly
// (sinks/echo_filter.h, sinks/node_directory.h), is suppressed: it goes on
// like an unmapped delta (no mapping: it advances the checkpoint and closes
// its source transaction, and the target never sees it), counted apart. A
// delta of the target's own node is kept with SinkDelta::self set (a
// JSON-lines target, which records no local writes, suppresses it as an
// echo). A subscriber thread that meets a forwarded delta before every other
// bridge's first heartbeat waits for them (up to twice heartbeat_timeout),
// so that what it suppresses does not depend on which bridge spoke first.
//
// Failures: the target's Unavailable aborts the transaction, stops the
// subscribers, reopens the target (backing off from 0.5 s to 30 s) and
// resumes from the checkpoint it holds. A "gone" answer, a delta the target
// cannot take (a missing column), or any other error stops the sink with a
// message that says what to do.
//
// Ownership: borrows the config (must outlive Run); owns the target.
// Thread-safety: Run from one thread; stats() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cdc/core/status.h"
#include "sinks/sink_config.h"
#include "sinks/target.h"

namespace deltabridge {

struct SinkRunnerOptions {
  // Deltas handed to the target per Apply call.
  size_t chunk_deltas = 2000;
  // A target transaction is committed once it holds this many deltas (at the
  // next source transaction boundary), or as soon as nothing more is waiting.
  size_t max_batch_deltas = 20000;
  // Deltas queued per bridge before its subscriber waits (until the queue is
  // down to half). Five chunks keep the applying thread fed; more only costs
  // memory (a decoded delta takes about 1.5 KiB: 50,000 made the sink's peak
  // RSS 154 MiB against 56 MiB, at the same apply rate).
  size_t queue_capacity = 10000;
  // The subscriber's heartbeat timeout (the bridge beats once a second).
  std::chrono::milliseconds heartbeat_timeout{3000};
  // Progress lines on stderr every this often while deltas flow.
  std::chrono::seconds progress_interval{10};
};

// What a running sink reports (status file, metrics, logs).
struct SinkStats {
  ApplyCounters target;
  uint64_t received = 0;  // deltas queued from the subscribers
  uint64_t unmapped = 0;  // deltas under the sink's topics that no mapping takes (skipped)
  // Mapped deltas suppressed: the target's node is on their path (an echo;
  // with a JSON-lines target, also the own node's deltas) ...
  uint64_t suppressed_echo = 0;
  // ... or a forwarded copy of a change this sink receives directly.
  uint64_t suppressed_forwarded = 0;
  uint64_t own = 0;         // mapped deltas of the target's own node received (SinkDelta::self)
  uint64_t malformed = 0;   // delta bodies that did not decode (skipped, logged)
  uint64_t reconnects = 0;  // target reopened after Unavailable
  Checkpoints checkpoints;  // as last committed
  // Source commit time of the newest applied delta, per bridge (µs), and when
  // it was committed to the target: lag = the difference.
  std::map<std::string, int64_t, std::less<>> last_commit_us;
  std::map<std::string, int64_t, std::less<>> applied_at_us;
};

class NodeDirectory;

class SinkRunner {
 public:
  SinkRunner(const SinkConfig& config, std::unique_ptr<Target> target,
             SinkRunnerOptions options = {});
  ~SinkRunner();
  SinkRunner(const SinkRunner&) = delete;
  SinkRunner& operator=(const SinkRunner&) = delete;

  // Runs until `stop` becomes true (then Ok: what is applied is committed, a
  // half-applied source transaction is rolled back and redone next time), or
  // a fatal error.
  Status Run(const std::atomic<bool>& stop);

  SinkStats stats() const;
  // A hook called after each commit (tests and the latency benchmark),
  // from the applying thread.
  void set_on_commit(std::function<void(const Checkpoints&)> hook) { on_commit_ = std::move(hook); }

 private:
  class Feed;

  Status RunOnce(const std::atomic<bool>& stop, bool* retry);

  const SinkConfig& config_;
  std::unique_ptr<Target> target_;
  SinkRunnerOptions options_;
  std::function<void(const Checkpoints&)> on_commit_;

  // Counted by the subscriber threads, across reconnects (the feeds are
  // made anew on each one).
  struct FeedCounters {
    std::atomic<uint64_t> received{0}, unmapped{0}, malformed{0};
    std::atomic<uint64_t> suppressed_echo{0}, suppressed_forwarded{0}, own{0};
  };
  FeedCounters feed_counters_;
  // The bridges' nodes, as their heartbeats and deltas tell; across reconnects.
  std::unique_ptr<NodeDirectory> nodes_;

  mutable std::mutex stats_mu_;
  SinkStats stats_;  // guarded by stats_mu_; the counts of deltas come from feed_counters_
};

}  // namespace deltabridge
