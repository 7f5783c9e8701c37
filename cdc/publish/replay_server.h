// ReplayServer: serves journaled deltas to subscribers that missed some,
// on the bridge's `replay` endpoint (contract section 3; the frames are in
// docs/wire-protocol.md).
//
// One ROUTER socket on its own thread, apart from the live PUB socket, so a
// replay never slows the live stream. The protocol is credit-based and
// stateless per request: each request names the seq to start from and gets
// one bounded batch back; the client asks again from where the batch ended.
// ROUTER fair-queues the requests of all clients, so many concurrent replays
// progress together, one batch each in turn, and the server keeps nothing
// per client.
//
// Ownership: borrows `source`, which must outlive the server. Owns its
// ZeroMQ context, socket and thread. Start and Stop are called from one
// owning thread; counters() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "cdc/core/log_limiter.h"
#include "cdc/core/status.h"
#include "cdc/publish/replay_source.h"

namespace deltabridge {

struct ReplayServerOptions {
  // Bounds of one OK batch; a client wanting more asks again.
  size_t max_batch_entries = 1000;
  size_t max_batch_bytes = 1 << 20;  // topic + body bytes, about 1 MiB
  // Journal entries scanned per request when prefixes filter most of them out.
  size_t max_scan = 20'000;
  // Request limits: anything bigger is answered ERROR.
  size_t max_prefixes = 64;
  size_t max_frame_bytes = 4096;
  // Replies queued per client before the ROUTER refuses more for it (the
  // reply is then dropped and counted; the client times out and asks again).
  // A well-behaved client has one request in flight, so this is slack for
  // clients that pipeline a few.
  int send_hwm = 16;
};

class ReplayServer {
 public:
  struct Counters {
    uint64_t requests = 0;         // every message received
    uint64_t ok = 0;               // OK replies
    uint64_t gone = 0;             // GONE replies
    uint64_t errors = 0;           // ERROR replies (malformed requests)
    uint64_t unavailable = 0;      // UNAVAILABLE replies (the source failed)
    uint64_t entries = 0;          // deltas sent in OK replies
    uint64_t dropped_replies = 0;  // replies the client was gone or too slow for
  };

  explicit ReplayServer(const ReplaySource& source, const ReplayServerOptions& options = {});
  ReplayServer(const ReplayServer&) = delete;
  ReplayServer& operator=(const ReplayServer&) = delete;
  ~ReplayServer();  // Stop()

  // Binds the ROUTER on `endpoint` (tcp:// or ipc://) in the calling thread,
  // so a bind failure comes back here naming the endpoint, then starts
  // serving on the server thread. At most once per ReplayServer.
  Status Start(std::string_view endpoint);
  // Stops serving and joins the thread; returns promptly (it interrupts a
  // blocked receive; a Read in progress finishes first). Idempotent.
  void Stop();

  // The endpoint actually bound, after Start.
  const std::string& endpoint() const { return endpoint_; }
  Counters counters() const;

 private:
  // The server thread's loop: receive a request, answer it, until Stop.
  void Serve();
  // Appends to `reply` the answer to REPLAY from `from` (OK, GONE or UNAVAILABLE).
  void Answer(uint64_t from, const std::vector<std::string>& prefixes,
              std::vector<zmq::message_t>* reply);
  void AnswerError(const std::string& message, std::vector<zmq::message_t>* reply);
  // Sends without waiting; a reply the client cannot take is dropped and
  // counted. False on ETERM (Stop).
  bool SendReply(std::vector<zmq::message_t>* reply);

  const ReplaySource& source_;
  const ReplayServerOptions options_;
  zmq::context_t context_;
  zmq::socket_t socket_;  // ROUTER; used only by thread_ once it runs
  std::string endpoint_;
  std::thread thread_;

  // Used by the server thread only.
  LogLimiter bad_request_log_{std::chrono::seconds(10)};
  LogLimiter dropped_log_{std::chrono::seconds(10)};
  LogLimiter source_log_{std::chrono::seconds(10)};
  LogLimiter recv_log_{std::chrono::seconds(10)};

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> gone_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> unavailable_{0};
  std::atomic<uint64_t> entries_{0};
  std::atomic<uint64_t> dropped_replies_{0};
};

}  // namespace deltabridge
