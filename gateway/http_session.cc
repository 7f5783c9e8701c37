#include "gateway/http_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <limits>
#include <utility>

#include "gateway/sse_session.h"
#include "gateway/static_content.h"
#include "gateway/ws_session.h"

namespace deltabridge {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;

// Bounds on the lingering close after an answer that closes the connection.
constexpr size_t kMaxDrainBytes = 1u << 20;
constexpr std::chrono::seconds kDrainTimeout{2};

std::string_view Sv(beast::string_view text) { return {text.data(), text.size()}; }
beast::string_view Bsv(std::string_view text) { return {text.data(), text.size()}; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// "Bearer TOKEN" -> TOKEN; empty for any other scheme.
std::string BearerToken(std::string_view authorization) {
  authorization = Trim(authorization);
  if (authorization.size() < 7 || Lower(authorization.substr(0, 7)) != "bearer ") return "";
  return std::string(Trim(authorization.substr(7)));
}

// The media type of a Content-Type, lowercased, without parameters.
std::string MediaType(std::string_view content_type) {
  return Lower(Trim(content_type.substr(0, content_type.find(';'))));
}

// A request Beast could not parse (as opposed to a socket that failed).
bool IsParseError(beast::error_code ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

bool AcceptsEventStream(std::string_view accept) {
  return Lower(accept).find("text/event-stream") != std::string::npos;
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(std::shared_ptr<ServerState> state, Stream stream,
                                 ConnectionSlot slot, std::string peer, bool refusing)
    : state_(std::move(state)),
      stream_(std::move(stream)),
      slot_(std::move(slot)),
      peer_(std::move(peer)),
      refusing_(refusing),
      buffer_(state_->options.max_header_bytes + 8192) {}

template <class Stream>
HttpSession<Stream>::~HttpSession() {
  if (!handed_off_) Finish(CloseCause::kIoError);
}

template <class Stream>
void HttpSession<Stream>::Start() {
  slot_.Attach(this->weak_from_this(), Transport::kHttp);
  if constexpr (kIsTls<Stream>) {
    beast::get_lowest_layer(stream_).expires_after(state_->options.request_timeout);
    reading_ = true;
    stream_.async_handshake(
        net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
          self->reading_ = false;
          if (ec) {
            self->Finish(self->stopping_               ? CloseCause::kStopping
                         : ec == beast::error::timeout ? CloseCause::kTimeout
                                                       : CloseCause::kProtocolError);
            return;
          }
          self->ReadRequest();
        });
  } else {
    ReadRequest();
  }
}

template <class Stream>
void HttpSession<Stream>::Shutdown() {
  stopping_ = true;
  // A request being read is abandoned; an answer being written (or a push
  // awaiting its answer) finishes first, then OnWritten closes.
  if (reading_) CloseSocket(stream_);
}

template <class Stream>
void HttpSession<Stream>::ForceClose() {
  stopping_ = true;
  CloseSocket(stream_);
  // A push still waiting for the service's answer holds no socket operation
  // to fail: leave the books now.
  if (push_ && !reading_) Finish(CloseCause::kStopping);
}

template <class Stream>
void HttpSession<Stream>::ReadRequest() {
  if (stopping_) {
    CloseGracefully(CloseCause::kStopping);
    return;
  }
  header_parser_.emplace();
  header_parser_->header_limit(static_cast<uint32_t>(state_->options.max_header_bytes));
  // Content-Length is checked against max_request_bytes once the route is
  // known (a push answers 413 without reading the body). Not boost::none:
  // Boost 1.74 compares a Content-Length against an empty limit as larger.
  header_parser_->body_limit(std::numeric_limits<uint64_t>::max());
  body_parser_.reset();
  beast::get_lowest_layer(stream_).expires_after(state_->options.request_timeout);
  reading_ = true;
  http::async_read_header(
      stream_, buffer_, *header_parser_,
      [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

template <class Stream>
CloseCause HttpSession<Stream>::CauseOf(boost::system::error_code ec) const {
  if (stopping_) return CloseCause::kStopping;
  if (ec == beast::error::timeout) return CloseCause::kTimeout;
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated) {
    return CloseCause::kClient;
  }
  return CloseCause::kIoError;
}

template <class Stream>
void HttpSession<Stream>::OnHeader(boost::system::error_code ec) {
  reading_ = false;
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    RespondError(431,
                 "the request line and headers exceed " +
                     std::to_string(state_->options.max_header_bytes) + " bytes",
                 /*close=*/true);
    return;
  }
  if (IsParseError(ec)) {
    RespondError(400, "malformed HTTP request: " + ec.message(), /*close=*/true);
    return;
  }
  if (ec) {
    Finish(CauseOf(ec));
    return;
  }
  request_ = header_parser_->get();
  origin_ = std::string(Sv(request_[http::field::origin]));
  if (refusing_) {
    RespondError(503,
                 "the gateway has reached its connection limit (limits.max_connections " +
                     std::to_string(state_->options.max_connections) + "); retry later",
                 /*close=*/true);
    return;
  }
  Dispatch();
}

template <class Stream>
void HttpSession<Stream>::Dispatch() {
  // A body on anything but a push is not read: answer, then close.
  const bool has_body =
      header_parser_->content_length().value_or(0) > 0 || header_parser_->chunked();
  const bool is_push = request_.method() == http::verb::post;

  auto target = ParseRequestTarget(Sv(request_.target()));
  if (!target.ok()) {
    RespondError(400, target.status().message(), /*close=*/true);
    return;
  }
  const Route route = RouteRequest(Sv(request_.method_string()), *target, state_->options.page);
  if (has_body && !is_push) {
    RespondError(400, "this request takes no body", /*close=*/true);
    return;
  }
  switch (route.kind) {
    case RouteKind::kSyncStream:
      ServeStream(route, *target);
      return;
    case RouteKind::kSyncPush:
      StartPush(route, *target);
      return;
    case RouteKind::kPreflight: {
      const bool allowed =
          origin_.empty() || state_->cors.Allows(origin_) ||
          CorsPolicy::IsSameOrigin(origin_, Sv(request_[http::field::host]), kIsTls<Stream>);
      if (!allowed) {
        RespondError(403, "origin " + origin_ + " is not allowed: add it to cors.origins",
                     /*close=*/false);
        return;
      }
      HttpResponse response{http::status::no_content, request_.version()};
      response.set(http::field::allow, Bsv(route.allow));
      if (!origin_.empty()) AddHeaders(response, PreflightHeaders(route.allow));
      response.prepare_payload();
      Respond(std::move(response), /*close=*/false);
      return;
    }
    case RouteKind::kClientJs:
      ServeStatic("application/javascript; charset=utf-8", StaticClientJs());
      return;
    case RouteKind::kPage:
      ServeStatic("text/html; charset=utf-8", StaticIndexHtml());
      return;
    case RouteKind::kHealth:
      Respond(MakeJsonResponse(200, R"({"ok":true})", request_.version()), /*close=*/false);
      return;
    case RouteKind::kMethodNotAllowed: {
      HttpResponse response = MakeJsonResponse(405,
                                               JsonError(std::string(Sv(request_.method_string())) +
                                                         " is not served here; use " + route.allow),
                                               request_.version());
      response.set(http::field::allow, Bsv(route.allow));
      Respond(std::move(response), /*close=*/false);
      return;
    }
    case RouteKind::kNotFound:
      RespondError(404, "no such path; the gateway serves /sync/<entity>, /client.js and /healthz",
                   /*close=*/false);
      return;
  }
}

template <class Stream>
void HttpSession<Stream>::ServeStatic(std::string_view content_type, std::string_view content) {
  HttpResponse response{http::status::ok, request_.version()};
  response.set(http::field::content_type, Bsv(content_type));
  response.set(http::field::cache_control, "no-cache");
  response.set("X-Content-Type-Options", "nosniff");
  if (request_.method() == http::verb::head) {
    response.content_length(content.size());
  } else {
    response.body() = std::string(content);
    response.prepare_payload();
  }
  Respond(std::move(response), /*close=*/false);
}

template <class Stream>
void HttpSession<Stream>::ServeStream(const Route& route, const RequestTarget& target) {
  const bool is_websocket = websocket::is_upgrade(request_);
  if (is_websocket && !origin_.empty() && !state_->cors.Allows(origin_) &&
      !CorsPolicy::IsSameOrigin(origin_, Sv(request_[http::field::host]), kIsTls<Stream>)) {
    // Browsers apply no CORS to WebSocket: without this check any page could
    // open a stream with a token it holds in a ?token= URL.
    RespondError(403, "origin " + origin_ + " is not allowed: add it to cors.origins",
                 /*close=*/true);
    return;
  }
  SyncRequest sync;
  sync.entity = route.entity;
  sync.query = target.query;
  sync.peer = peer_;
  sync.token = BearerToken(Sv(request_[http::field::authorization]));
  if (auto token = sync.query.find("token"); token != sync.query.end()) {
    if (sync.token.empty()) sync.token = std::move(token->second);
    sync.query.erase(token);
  }
  if (is_websocket) {
    if (Sv(request_[http::field::sec_websocket_version]) != "13") {
      HttpResponse response = MakeJsonResponse(
          426, JsonError("only WebSocket version 13 is served"), request_.version());
      response.set(http::field::sec_websocket_version, "13");
      Respond(std::move(response), /*close=*/true);
      return;
    }
    if (Sv(request_[http::field::sec_websocket_key]).empty()) {
      RespondError(400, "a WebSocket upgrade needs Sec-WebSocket-Key", /*close=*/true);
      return;
    }
    sync.transport = SyncTransport::kWebSocket;
  } else if (AcceptsEventStream(Sv(request_[http::field::accept]))) {
    sync.transport = SyncTransport::kServerSentEvents;
    if (auto id = request_.find("Last-Event-ID"); id != request_.end()) {
      sync.last_event_id = std::string(Sv(id->value()));
    }
  } else {
    RespondError(400,
                 "GET /sync/" + route.entity +
                     " streams: open a WebSocket (Upgrade: websocket) or Server-Sent Events "
                     "(Accept: text/event-stream); push changes with POST /sync/" +
                     route.entity,
                 /*close=*/false);
    return;
  }

  auto subscribed = state_->service->Subscribe(sync);
  if (auto* answer = std::get_if<HttpAnswer>(&subscribed)) {
    // A refused upgrade leaves the client mid-handshake: close after it.
    Respond(MakeResponse(*answer, request_.version()), /*close=*/is_websocket);
    return;
  }
  auto subscription = std::move(std::get<std::unique_ptr<Subscription>>(subscribed));
  handed_off_ = true;
  beast::get_lowest_layer(stream_).expires_never();
  if (is_websocket) {
    std::make_shared<WsSession<Stream>>(state_, std::move(stream_), std::move(slot_),
                                        std::move(subscription), std::move(request_),
                                        CorsHeaders(state_->cors, origin_))
        ->Start();
  } else {
    std::make_shared<SseSession<Stream>>(state_, std::move(stream_), std::move(slot_),
                                         std::move(subscription),
                                         CorsHeaders(state_->cors, origin_))
        ->Start();
  }
}

template <class Stream>
void HttpSession<Stream>::StartPush(const Route& route, const RequestTarget& target) {
  if (MediaType(Sv(request_[http::field::content_type])) != "application/json") {
    RespondError(
        415, "POST /sync/" + route.entity + " takes Content-Type: application/json",
        /*close=*/header_parser_->content_length().value_or(0) > 0 || header_parser_->chunked());
    return;
  }
  const size_t limit = state_->options.max_request_bytes;
  if (header_parser_->content_length().value_or(0) > limit) {
    RespondError(413,
                 "the body exceeds limits.max_request_bytes (" + std::to_string(limit) + " bytes)",
                 /*close=*/true);
    return;
  }
  push_.emplace();
  push_->entity = route.entity;
  push_->peer = peer_;
  push_->token = BearerToken(Sv(request_[http::field::authorization]));
  if (auto token = target.query.find("token");
      push_->token.empty() && token != target.query.end()) {
    push_->token = token->second;
  }
  body_parser_.emplace(std::move(*header_parser_));
  body_parser_->body_limit(limit);
  header_parser_.reset();
  auto read_body = [this, self = this->shared_from_this()] {
    reading_ = true;
    http::async_read(stream_, buffer_, *body_parser_,
                     [self](beast::error_code ec, size_t) { self->OnBody(ec); });
  };
  if (Lower(Sv(request_[http::field::expect])) == "100-continue") {
    // The client waits for this before it sends the body.
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                   request_.version());
    http::async_write(
        stream_, *cont,
        [this, self = this->shared_from_this(), cont, read_body](beast::error_code ec, size_t) {
          if (ec) {
            Finish(CauseOf(ec));
            return;
          }
          read_body();
        });
    return;
  }
  read_body();
}

template <class Stream>
void HttpSession<Stream>::OnBody(boost::system::error_code ec) {
  reading_ = false;
  if (ec == http::error::body_limit) {
    push_.reset();
    RespondError(413,
                 "the body exceeds limits.max_request_bytes (" +
                     std::to_string(state_->options.max_request_bytes) + " bytes)",
                 /*close=*/true);
    return;
  }
  if (IsParseError(ec)) {
    push_.reset();
    RespondError(400, "malformed HTTP request body: " + ec.message(), /*close=*/true);
    return;
  }
  if (ec) {
    Finish(CauseOf(ec));
    return;
  }
  beast::get_lowest_layer(stream_).expires_never();
  push_->body = std::move(body_parser_->get().body());
  body_parser_.reset();
  PushRequest push = std::move(*push_);
  // push_ stays set (empty) while the service works on it: ForceClose() reads it.
  net::io_context& io = state_->io;
  // Posted, so that an answer given from inside Push() does not re-enter.
  state_->service->Push(std::move(push), [self = this->shared_from_this(), &io](HttpAnswer answer) {
    net::post(io, [self, answer = std::move(answer)]() mutable {
      self->OnPushAnswer(std::move(answer));
    });
  });
}

template <class Stream>
void HttpSession<Stream>::OnPushAnswer(HttpAnswer answer) {
  push_.reset();
  if (finished_) return;
  Respond(MakeResponse(answer, request_.version()), /*close=*/false);
}

template <class Stream>
void HttpSession<Stream>::RespondError(int status, std::string_view message, bool close) {
  Respond(MakeJsonResponse(status, JsonError(message), request_.version()), close);
}

template <class Stream>
void HttpSession<Stream>::Respond(HttpResponse response, bool close) {
  close = close || stopping_ || !request_.keep_alive();
  AddHeaders(response, CorsHeaders(state_->cors, origin_));
  response.keep_alive(!close);
  state_->counters.Answered(response.result_int());
  response_.emplace(std::move(response));
  beast::get_lowest_layer(stream_).expires_after(state_->options.write_timeout);
  http::async_write(stream_, *response_,
                    [self = this->shared_from_this(), close](beast::error_code ec, size_t) {
                      self->OnWritten(close, ec);
                    });
}

template <class Stream>
void HttpSession<Stream>::OnWritten(bool close, boost::system::error_code ec) {
  response_.reset();
  if (ec) {
    Finish(CauseOf(ec));
    return;
  }
  if (close || stopping_) {
    CloseGracefully(stopping_   ? CloseCause::kStopping
                    : refusing_ ? CloseCause::kOverLimit
                                : CloseCause::kHttpDone);
    return;
  }
  ReadRequest();
}

template <class Stream>
void HttpSession<Stream>::CloseGracefully(CloseCause cause) {
  auto& tcp = beast::get_lowest_layer(stream_);
  if constexpr (kIsTls<Stream>) {
    // close_notify, waiting a little for the client's.
    tcp.expires_after(kDrainTimeout);
    stream_.async_shutdown(
        [self = this->shared_from_this(), cause](beast::error_code) { self->Finish(cause); });
  } else {
    beast::error_code ignored;
    tcp.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    tcp.expires_after(kDrainTimeout);
    DrainThenClose(cause, 0);
  }
}

template <class Stream>
void HttpSession<Stream>::DrainThenClose(CloseCause cause, size_t drained) {
  beast::get_lowest_layer(stream_).async_read_some(
      net::buffer(drain_buffer_),
      [self = this->shared_from_this(), cause, drained](beast::error_code ec, size_t n) {
        if (ec || drained + n > kMaxDrainBytes) {
          self->Finish(cause);
          return;
        }
        self->DrainThenClose(cause, drained + n);
      });
}

template <class Stream>
void HttpSession<Stream>::Finish(CloseCause cause) {
  if (finished_ || handed_off_) return;
  finished_ = true;
  CloseSocket(stream_);
  slot_.Release(cause);
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace deltabridge
