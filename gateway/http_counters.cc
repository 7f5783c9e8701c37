#include "gateway/http_counters.h"

namespace deltabridge {

std::string_view TransportName(Transport transport) {
  switch (transport) {
    case Transport::kHttp:
      return "http";
    case Transport::kWebSocket:
      return "websocket";
    case Transport::kServerSentEvents:
      return "sse";
  }
  return "unknown";
}

std::string_view CloseCauseName(CloseCause cause) {
  switch (cause) {
    case CloseCause::kClient:
      return "client";
    case CloseCause::kStopping:
      return "stopping";
    case CloseCause::kSlowClient:
      return "slow_client";
    case CloseCause::kTokenRevoked:
      return "token_revoked";
    case CloseCause::kServiceOther:
      return "service";
    case CloseCause::kTooBig:
      return "too_big";
    case CloseCause::kTimeout:
      return "timeout";
    case CloseCause::kProtocolError:
      return "protocol_error";
    case CloseCause::kIoError:
      return "io_error";
    case CloseCause::kOverLimit:
      return "over_limit";
    case CloseCause::kHttpDone:
      return "http_done";
  }
  return "unknown";
}

HttpServerStats HttpServerCounters::Snapshot() const {
  HttpServerStats stats;
  for (size_t i = 0; i < kTransportCount; ++i) {
    stats.open[i] = open_[i].load(std::memory_order_relaxed);
  }
  stats.messages_sent = messages_sent_.load(std::memory_order_relaxed);
  stats.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kCloseCauseCount; ++i) {
    stats.closes[i] = closes_[i].load(std::memory_order_relaxed);
  }
  for (size_t i = 0; i < answers_.size(); ++i) {
    const uint64_t n = answers_[i].load(std::memory_order_relaxed);
    if (n != 0) stats.answers.emplace_back(static_cast<int>(i + 100), n);
  }
  return stats;
}

CloseCause CloseCauseOfCode(uint16_t websocket_code) {
  switch (websocket_code) {
    case 4008:
      return CloseCause::kSlowClient;
    case 1008:
      return CloseCause::kTokenRevoked;
    case 1001:
      return CloseCause::kStopping;
    default:
      return CloseCause::kServiceOther;
  }
}

}  // namespace deltabridge
