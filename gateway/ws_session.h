// WsSession: one subscriber's WebSocket, from the upgrade to the close.
//
// The write loop: Take up to options.take_max_messages / take_max_bytes
// from the Subscription, write them (with batch(): one text message holding
// a JSON array of them; else one text message each), and Take again only
// when the writes completed, so a client that does not read holds at most
// one Take in the server (the socket buffers do the rest) and the service's
// own queue bound decides when it is too slow. When Take moves nothing the
// session waits for the Subscription's wakeup. When closing() is set, the
// session closes with its code and reason after the messages already taken.
//
// The read loop: Beast answers pings and the close handshake; a frame above
// max_request_bytes closes with 1009; a data message from the client gets
// one {"control":"error",...} message back (the next read waits for it).
// A client silent for websocket_idle_timeout (pinged at half) is closed.
//
// permessage-deflate stays off (Beast's default): compressing every message
// for every client would spend the one network thread's CPU, and deltas are
// small JSON objects.
//
// Subscription::Closed() is called exactly once, when the connection ends
// for any reason. Owns itself through its pending handlers; network thread
// only.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/http_answer.h"
#include "gateway/http_stream.h"
#include "gateway/server_state.h"
#include "gateway/service.h"

namespace deltabridge {

template <class Stream>
class WsSession : public Connection, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  using UpgradeRequest = boost::beast::http::request<boost::beast::http::empty_body>;

  // `upgrade` is the client's upgrade request; `extra_headers` go on the 101
  // answer (CORS).
  WsSession(std::shared_ptr<ServerState> state, Stream&& stream, ConnectionSlot slot,
            std::unique_ptr<Subscription> subscription, UpgradeRequest upgrade,
            HeaderList extra_headers);
  ~WsSession() override;

  void Start();
  void Shutdown() override;
  void ForceClose() override;

 private:
  void OnAccept(boost::system::error_code ec);
  void Wake();
  void Pump();
  void WriteNext();
  void OnWrite(boost::system::error_code ec, size_t bytes);
  void OnWritesDone();
  void Read();
  void OnRead(boost::system::error_code ec, size_t bytes);
  void StartClose(uint16_t code, std::string reason, CloseCause cause);
  void Finish(CloseCause cause);
  CloseCause CauseOf(boost::system::error_code ec) const;

  std::shared_ptr<ServerState> state_;
  boost::beast::websocket::stream<Stream> ws_;
  ConnectionSlot slot_;
  std::unique_ptr<Subscription> subscription_;
  UpgradeRequest upgrade_;
  HeaderList extra_headers_;
  boost::beast::flat_buffer read_buffer_;

  // The messages being written (moved out of the Subscription), and for
  // batch() the one array text holding them.
  std::vector<OutMessage> taken_;
  std::string batch_text_;
  size_t write_index_ = 0;
  size_t write_bytes_ = 0;
  size_t write_messages_ = 0;

  bool open_ = false;     // the handshake completed
  bool writing_ = false;  // a write (messages or the control reply) is in flight
  bool writing_reply_ = false;
  bool reply_owed_ = false;  // the client sent a data message: it gets one error reply
  bool wake_posted_ = false;
  bool stop_requested_ = false;
  bool closing_ = false;  // async_close started
  CloseCause close_cause_ = CloseCause::kClient;
  bool finished_ = false;
};

extern template class WsSession<PlainStream>;
extern template class WsSession<TlsStream>;

}  // namespace deltabridge
