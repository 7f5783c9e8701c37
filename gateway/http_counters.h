// HttpServerCounters: what the gateway's front counts, for /metrics.
//
// Written only on the network thread, read from any thread (relaxed
// atomics: each value is exact, a set of values read together is not one
// instant). Owned by the HttpServer; stats() copies them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace deltabridge {

enum class Transport { kHttp, kWebSocket, kServerSentEvents };
inline constexpr size_t kTransportCount = 3;
std::string_view TransportName(Transport transport);  // "http", "websocket", "sse"

// Why a connection ended.
enum class CloseCause {
  kClient,         // the client closed it (or went away)
  kStopping,       // HttpServer::Stop() (WebSocket 1001)
  kSlowClient,     // the service's closing(): 4008
  kTokenRevoked,   // the service's closing(): 1008
  kServiceOther,   // the service's closing() with another code
  kTooBig,         // a WebSocket frame above max_request_bytes (1009), or a request too large
  kTimeout,        // a request not read in time, a write not taken in time, a silent WebSocket
  kProtocolError,  // not HTTP, a failed TLS or WebSocket handshake
  kIoError,        // any other socket error
  kOverLimit,      // answered 503: max_connections reached
  kHttpDone,       // an HTTP connection closed after its last answer
};
inline constexpr size_t kCloseCauseCount = 11;
std::string_view CloseCauseName(CloseCause cause);  // "client", "stopping", ...
// The cause of a close the service asked for (Subscription::closing()), by its
// WebSocket code: 4008 slow client, 1008 token revoked, 1001 stopping.
CloseCause CloseCauseOfCode(uint16_t websocket_code);

struct HttpServerStats {
  std::array<int64_t, kTransportCount> open{};  // by Transport
  uint64_t messages_sent = 0;  // stream messages written (a batch counts each message)
  uint64_t bytes_sent = 0;     // stream bytes written (WebSocket payloads, SSE event text)
  std::array<uint64_t, kCloseCauseCount> closes{};  // by CloseCause
  std::vector<std::pair<int, uint64_t>> answers;    // HTTP status -> count (101 for upgrades)
};

class HttpServerCounters {
 public:
  void Opened(Transport t) { open_[Index(t)].fetch_add(1, std::memory_order_relaxed); }
  void Left(Transport t) { open_[Index(t)].fetch_sub(1, std::memory_order_relaxed); }
  void Sent(uint64_t messages, uint64_t bytes) {
    messages_sent_.fetch_add(messages, std::memory_order_relaxed);
    bytes_sent_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void Closed(CloseCause cause) {
    closes_[static_cast<size_t>(cause)].fetch_add(1, std::memory_order_relaxed);
  }
  void Answered(int status) {
    answers_[status >= 100 && status < 600 ? status - 100 : 500 - 100].fetch_add(
        1, std::memory_order_relaxed);
  }

  int64_t open(Transport t) const { return open_[Index(t)].load(std::memory_order_relaxed); }
  uint64_t closes(CloseCause cause) const {
    return closes_[static_cast<size_t>(cause)].load(std::memory_order_relaxed);
  }
  uint64_t answers(int status) const {
    return status >= 100 && status < 600 ? answers_[status - 100].load(std::memory_order_relaxed)
                                         : 0;
  }
  HttpServerStats Snapshot() const;

 private:
  static size_t Index(Transport t) { return static_cast<size_t>(t); }

  std::array<std::atomic<int64_t>, kTransportCount> open_{};
  std::atomic<uint64_t> messages_sent_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::array<std::atomic<uint64_t>, kCloseCauseCount> closes_{};
  std::array<std::atomic<uint64_t>, 500> answers_{};  // status 100..599
};

}  // namespace deltabridge
