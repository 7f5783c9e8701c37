// Subscriber: the Clone-pattern client of a bridge's live stream and replay
// server (ZeroMQ guide chapter 5; frames in docs/wire-protocol.md). Used by
// `deltabridge tail` and by sinks.
//
// Without a replay endpoint it subscribes to the topic prefixes and hands
// each delta to the handler as it arrives; a lost message stays lost.
// With a replay endpoint it never loses or repeats a delta: it subscribes to
// the whole stream first (gaps only show there), replays from `from_seq` in
// bounded batches until caught up, then follows the live stream, dropping
// what is not newer than the last seq, replaying any hole that a delta or a
// heartbeat reveals, and delivering only the topics matching the prefixes.
// A missing heartbeat means the connection is dead: the sockets are
// recreated and the replay resumes after the last seq.
//
// Ownership: owns its ZeroMQ context; Run creates and closes the sockets.
// Thread-safety: Run is called from one thread at a time; counters() and
// last_seq() may be called from any thread meanwhile.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "cdc/core/status.h"
#include "cdc/wire/envelope.h"

namespace deltabridge {

struct SubscriberOptions {
  std::string publish_endpoint;  // the bridge's PUB endpoint; required
  std::string replay_endpoint;   // empty: live only, no gap repair
  // First seq wanted (needs replay_endpoint). Unset: start with the live
  // stream, using replay only to repair gaps after the first message.
  std::optional<uint64_t> from_seq;
  // Deliver only topics starting with one of these (empty: all). With replay,
  // the filter is applied here and at the replay server, never at the SUB
  // socket, so that seq is tracked across the whole stream.
  std::vector<std::string> topic_prefixes;
  // No delta nor heartbeat for this long: reconnect (the bridge heartbeats once a second).
  std::chrono::milliseconds heartbeat_timeout{3000};
  // A replay request unanswered for this long is retried on a new socket,
  // backing off from 100 ms up to max_backoff.
  std::chrono::milliseconds replay_timeout{5000};
  std::chrono::milliseconds max_backoff{5000};
  // Consecutive failed replay requests before Run gives up with Unavailable;
  // 0 retries until stopped.
  int replay_max_attempts = 0;
  // Live messages queued in the SUB socket while a replay runs; beyond it
  // ZeroMQ drops them and they are repaired through replay.
  int receive_hwm = 100'000;
  // Optional: called with the node map of each heartbeat that decodes
  // (source -> node; empty from a bridge before two-way sync), on Run's
  // thread, before the heartbeat's seq is acted on. Heartbeats come only on
  // the live stream: none while a replay runs nor while the handler runs.
  std::function<void(const SourceNodes& nodes)> on_heartbeat;
};

struct SubscriberCounters {
  uint64_t delivered = 0;       // handler calls, live and replayed
  uint64_t replayed = 0;        // of which came from the replay server
  uint64_t gaps_repaired = 0;   // holes in the live stream filled through replay
  uint64_t malformed = 0;       // messages or replies that did not decode (skipped)
  uint64_t duplicates = 0;      // live deltas dropped as not newer than the last seq
  uint64_t reconnects = 0;      // sockets recreated after a missing heartbeat
  uint64_t replay_retries = 0;  // replay requests that timed out or were refused
};

// The seq of a delta body: read cheaply from its first field ({"seq":123,...}),
// else by a full JSON parse. Corruption when absent, not a positive integer.
Result<uint64_t> DeltaSeq(std::string_view body);

class Subscriber {
 public:
  // Called once per delivered delta, in seq order. A non-ok Status stops Run,
  // which returns it (the way `tail --count N` stops).
  using Handler =
      std::function<Status(std::string_view topic, std::string_view body, uint64_t seq)>;

  explicit Subscriber(SubscriberOptions options);
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;
  ~Subscriber();

  // Receives until `stop` becomes true (checked at least every 100 ms; then
  // returns Ok), the handler fails (returns its Status), or a fatal error:
  // FailedPrecondition when the seq wanted is gone from the journal,
  // InvalidArgument for bad options or a request the server rejects,
  // Unavailable after replay_max_attempts failed replay requests.
  Status Run(const Handler& handler, const std::atomic<bool>& stop);

  SubscriberCounters counters() const;
  // With replay: the seq up to which the whole stream has been seen (every
  // delta up to it delivered, the handler having returned, or filtered out);
  // 0 before any. Acquire order: a caller that reads N also sees the effects
  // of every handler call for seqs up to N. Without replay:
  // the seq of the last delta received.
  uint64_t last_seq() const { return last_seq_.load(std::memory_order_acquire); }

 private:
  class Session;

  const SubscriberOptions options_;
  zmq::context_t context_;

  std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> replayed_{0};
  std::atomic<uint64_t> gaps_repaired_{0};
  std::atomic<uint64_t> malformed_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<uint64_t> replay_retries_{0};
};

}  // namespace deltabridge
