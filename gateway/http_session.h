// HttpSession: one connection from accept until it closes or becomes a
// stream. Performs the TLS handshake (TlsStream), reads requests one at a
// time within options.request_timeout, and answers them: /healthz, the
// embedded files, CORS preflights, pushes (POST, handed to
// GatewayService::Push), and for GET /sync/<entity> asks
// GatewayService::Subscribe and hands the stream to a WsSession or an
// SseSession, or writes the service's HttpAnswer instead.
//
// A connection accepted beyond max_connections ("refusing") answers its
// first request 503 and closes.
//
// Owns itself through its pending handlers (shared_from_this). Network
// thread only. Never logs a query string or a token.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>
#include <string>

#include "gateway/http_answer.h"
#include "gateway/http_router.h"
#include "gateway/http_stream.h"
#include "gateway/server_state.h"

namespace deltabridge {

template <class Stream>
class HttpSession : public Connection, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(std::shared_ptr<ServerState> state, Stream stream, ConnectionSlot slot,
              std::string peer, bool refusing);
  ~HttpSession() override;

  void Start();
  void Shutdown() override;
  void ForceClose() override;

 private:
  using Request = boost::beast::http::request<boost::beast::http::empty_body>;

  void ReadRequest();
  void OnHeader(boost::system::error_code ec);
  void Dispatch();
  void ServeStream(const Route& route, const RequestTarget& target);
  void StartPush(const Route& route, const RequestTarget& target);
  void OnBody(boost::system::error_code ec);
  void OnPushAnswer(HttpAnswer answer);
  void ServeStatic(std::string_view content_type, std::string_view content);

  // Writes `response` (CORS headers added for an allowed Origin); closes the
  // connection after it when `close` or the request asks to.
  void Respond(HttpResponse response, bool close);
  void RespondError(int status, std::string_view message, bool close);
  void OnWritten(bool close, boost::system::error_code ec);
  // Shuts down the sending side, then reads and drops what the client still
  // sends (bounded in bytes and time) before closing, so that the answer
  // just written is not lost to a reset.
  void CloseGracefully(CloseCause cause);
  void DrainThenClose(CloseCause cause, size_t drained);
  void Finish(CloseCause cause);
  CloseCause CauseOf(boost::system::error_code ec) const;

  std::shared_ptr<ServerState> state_;
  Stream stream_;
  ConnectionSlot slot_;
  const std::string peer_;
  const bool refusing_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> header_parser_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> body_parser_;
  Request request_;  // the current request's header
  std::string origin_;
  std::optional<HttpResponse> response_;  // being written
  std::optional<PushRequest> push_;       // the push whose body is being read
  std::array<char, 4096> drain_buffer_;
  bool reading_ = false;     // a request is being read
  bool stopping_ = false;    // Shutdown(): close after the answer being written
  bool handed_off_ = false;  // the stream now belongs to a WsSession or SseSession
  bool finished_ = false;
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace deltabridge
