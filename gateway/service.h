// The seam between the gateway's HTTP/WebSocket front (http_server.h: TLS,
// routing, CORS, framing, static files) and its core (the entities, their
// rows and live deltas, tokens, pushes: gateway_service.h). The front parses
// requests and moves bytes; the core decides what a request gets.
//
// Threading: everything here runs on the gateway's one network thread (the
// io_context's), except where a comment says otherwise. A Subscription is
// owned by its connection and used only on that thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace deltabridge {

// An HTTP answer the core gives instead of a stream, or to a push.
struct HttpAnswer {
  int status = 200;
  std::string body;  // a JSON object: {"error": "..."} for 4xx/5xx
  // Extra headers, e.g. {"WWW-Authenticate", "Bearer"}, {"Retry-After", "12"}.
  std::vector<std::pair<std::string, std::string>> headers;
};

enum class SyncTransport { kWebSocket, kServerSentEvents };

// GET /sync/<entity>, after the front has checked the method, path and CORS.
struct SyncRequest {
  std::string entity;  // the path's last part, percent-decoded
  // The bearer token: `Authorization: Bearer TOKEN`, else the `token` query
  // parameter; empty when neither.
  std::string token;
  // The other query parameters, percent-decoded: from, where, columns, batch.
  // A parameter given twice: the front answers 400 itself.
  std::map<std::string, std::string> query;
  // Server-Sent Events: the Last-Event-ID header, when present.
  std::optional<std::string> last_event_id;
  SyncTransport transport = SyncTransport::kWebSocket;
  std::string peer;  // "ADDR:PORT", for logs
};

// POST /sync/<entity>.
struct PushRequest {
  std::string entity;
  std::string token;  // as in SyncRequest
  std::string body;   // at most limits.max_request_bytes (the front answers 413 beyond)
  std::string peer;
};

// One message for a client: one JSON object (docs/gateway.md, "Messages").
struct OutMessage {
  std::shared_ptr<const std::string> json;  // never null; shared between clients
  // Server-Sent Events `id:` (the seq a client resumes after); 0: no id line.
  uint64_t event_id = 0;
};

// Why a stream ends from the gateway's side.
struct CloseReason {
  uint16_t websocket_code = 1000;  // 1001 stopping, 1008 token revoked, 4008 slow client
  std::string reason;              // at most 123 bytes (the WebSocket limit)
};

// A client's stream: first the current rows (or a resume), then live deltas
// and heartbeats. The front takes messages when it can write, and asks again
// after each write completes; when Take returns nothing it waits for the
// wakeup.
class Subscription {
 public:
  virtual ~Subscription() = default;

  // Moves ready messages to `out`, in order: at most `max_messages`, and
  // stopping once `max_bytes` is reached (at least one message when any is
  // ready). Returns how many were moved.
  virtual size_t Take(std::vector<OutMessage>* out, size_t max_messages, size_t max_bytes) = 0;
  // Called (on the network thread, never from inside Take) when messages are
  // ready after a Take that moved none, or when closing() became set. Set
  // once, right after the subscription is made.
  virtual void SetWakeup(std::function<void()> wakeup) = 0;
  // Set when the stream must end once the messages already taken are
  // written: the front then closes the WebSocket with this code and reason
  // (Server-Sent Events: ends the response).
  virtual std::optional<CloseReason> closing() const = 0;
  // `?batch=1`: the client takes several messages in one WebSocket message, a
  // JSON array of them (client.js asks for it). Server-Sent Events ignore it.
  virtual bool batch() const = 0;
  // The front closed the connection (client went away, error): no more Takes.
  virtual void Closed() = 0;
};

class GatewayService {
 public:
  virtual ~GatewayService() = default;

  // A new stream, or the answer to send instead: 400 (bad from, where,
  // columns), 401 (no or unknown token; with WWW-Authenticate), 403 (token
  // may not read the entity), 404 (unknown entity), 429 (token's connection
  // limit; Retry-After), 503 (the gateway is not ready).
  virtual std::variant<std::unique_ptr<Subscription>, HttpAnswer> Subscribe(
      const SyncRequest& request) = 0;

  // Applies a push; `done` is called exactly once, on the network thread,
  // with 200, 400, 401, 403, 404, 405 (entity takes no pushes), 409, 429 or
  // 503. Never blocks the network thread.
  virtual void Push(PushRequest request, std::function<void(HttpAnswer)> done) = 0;
};

}  // namespace deltabridge
