#include "gateway/ws_session.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <utility>

namespace deltabridge {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;

constexpr std::string_view kNoMessagesTaken =
    R"({"control":"error","error":"this stream takes no messages; push with POST /sync/<entity>"})";
constexpr size_t kMaxCloseReason = 123;  // RFC 6455: a control frame payload is at most 125 bytes

}  // namespace

template <class Stream>
WsSession<Stream>::WsSession(std::shared_ptr<ServerState> state, Stream&& stream,
                             ConnectionSlot slot, std::unique_ptr<Subscription> subscription,
                             UpgradeRequest upgrade, HeaderList extra_headers)
    : state_(std::move(state)),
      ws_(std::move(stream)),
      slot_(std::move(slot)),
      subscription_(std::move(subscription)),
      upgrade_(std::move(upgrade)),
      extra_headers_(std::move(extra_headers)) {}

template <class Stream>
WsSession<Stream>::~WsSession() {
  Finish(CloseCause::kIoError);
}

template <class Stream>
void WsSession<Stream>::Start() {
  slot_.Attach(this->weak_from_this(), Transport::kWebSocket);
  std::weak_ptr<WsSession> weak = this->shared_from_this();
  subscription_->SetWakeup([weak] {
    if (auto self = weak.lock()) self->Wake();
  });

  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = state_->options.request_timeout;  // also the closing handshake
  timeouts.idle_timeout = state_->options.websocket_idle_timeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [headers = extra_headers_](websocket::response_type& response) {
        for (const auto& [name, value] : headers) response.insert(name, value);
      }));
  // Beast closes with 1009 (too big) on a larger message.
  ws_.read_message_max(state_->options.max_request_bytes);
  ws_.text(true);
  ws_.async_accept(upgrade_,
                   [self = this->shared_from_this()](beast::error_code ec) { self->OnAccept(ec); });
}

template <class Stream>
void WsSession<Stream>::OnAccept(boost::system::error_code ec) {
  if (ec) {
    Finish(stop_requested_ ? CloseCause::kStopping : CloseCause::kProtocolError);
    return;
  }
  state_->counters.Answered(101);
  open_ = true;
  Read();
  Pump();
}

template <class Stream>
void WsSession<Stream>::Shutdown() {
  stop_requested_ = true;
  // Closes now, or once the write in flight (or the handshake: the client
  // may hold its 101 already) completes.
  Pump();
}

template <class Stream>
void WsSession<Stream>::ForceClose() {
  stop_requested_ = true;
  CloseSocket(ws_.next_layer());
}

template <class Stream>
void WsSession<Stream>::Wake() {
  if (wake_posted_ || finished_) return;
  wake_posted_ = true;
  net::post(ws_.get_executor(), [self = this->shared_from_this()] {
    self->wake_posted_ = false;
    self->Pump();
  });
}

template <class Stream>
void WsSession<Stream>::Pump() {
  if (!open_ || writing_ || closing_ || finished_) return;
  if (stop_requested_) {
    StartClose(1001, "gateway stopping", CloseCause::kStopping);
    return;
  }
  if (reply_owed_) {
    writing_ = true;
    writing_reply_ = true;
    ws_.async_write(net::buffer(kNoMessagesTaken),
                    [self = this->shared_from_this()](beast::error_code ec, size_t bytes) {
                      self->OnWrite(ec, bytes);
                    });
    return;
  }
  if (std::optional<CloseReason> closing = subscription_->closing()) {
    StartClose(closing->websocket_code, std::move(closing->reason),
               CloseCauseOfCode(closing->websocket_code));
    return;
  }
  taken_.clear();
  const size_t n = subscription_->Take(&taken_, state_->options.take_max_messages,
                                       state_->options.take_max_bytes);
  if (n == 0 || taken_.empty()) return;  // the wakeup calls again
  writing_ = true;
  write_messages_ = taken_.size();
  write_bytes_ = 0;
  write_index_ = 0;
  if (subscription_->batch()) {
    size_t size = 2 + taken_.size();
    for (const auto& message : taken_) size += message.json->size();
    batch_text_.clear();
    batch_text_.reserve(size);
    batch_text_.push_back('[');
    for (size_t i = 0; i < taken_.size(); ++i) {
      if (i > 0) batch_text_.push_back(',');
      batch_text_.append(*taken_[i].json);
    }
    batch_text_.push_back(']');
    write_index_ = taken_.size();  // one write holds them all
    ws_.async_write(net::buffer(batch_text_),
                    [self = this->shared_from_this()](beast::error_code ec, size_t bytes) {
                      self->OnWrite(ec, bytes);
                    });
    return;
  }
  WriteNext();
}

template <class Stream>
void WsSession<Stream>::WriteNext() {
  const std::string& json = *taken_[write_index_++].json;
  ws_.async_write(net::buffer(json),
                  [self = this->shared_from_this()](beast::error_code ec, size_t bytes) {
                    self->OnWrite(ec, bytes);
                  });
}

template <class Stream>
void WsSession<Stream>::OnWrite(boost::system::error_code ec, size_t bytes) {
  if (ec) {
    writing_ = false;
    Finish(CauseOf(ec));
    return;
  }
  if (writing_reply_) {
    writing_ = false;
    writing_reply_ = false;
    reply_owed_ = false;
    Read();
    Pump();
    return;
  }
  write_bytes_ += bytes;
  if (write_index_ < taken_.size()) {
    WriteNext();
    return;
  }
  OnWritesDone();
}

template <class Stream>
void WsSession<Stream>::OnWritesDone() {
  state_->counters.Sent(write_messages_, write_bytes_);
  taken_.clear();  // drops this client's share of the messages
  batch_text_.clear();
  writing_ = false;
  Pump();
}

template <class Stream>
void WsSession<Stream>::Read() {
  if (finished_) return;
  ws_.async_read(read_buffer_,
                 [self = this->shared_from_this()](beast::error_code ec, size_t bytes) {
                   self->OnRead(ec, bytes);
                 });
}

template <class Stream>
void WsSession<Stream>::OnRead(boost::system::error_code ec, size_t) {
  read_buffer_.consume(read_buffer_.size());
  if (ec) {
    // While our own close runs, its handler finishes the session.
    if (closing_ && ec != websocket::error::message_too_big) return;
    Finish(CauseOf(ec));
    return;
  }
  // A data message: one error reply; the next read waits for it, so a
  // client that keeps sending is read no faster than it is answered.
  reply_owed_ = true;
  Pump();
}

template <class Stream>
void WsSession<Stream>::StartClose(uint16_t code, std::string reason, CloseCause cause) {
  closing_ = true;
  close_cause_ = cause;
  if (reason.size() > kMaxCloseReason) reason.resize(kMaxCloseReason);
  websocket::close_reason close(static_cast<websocket::close_code>(code));
  close.reason = reason;
  ws_.async_close(close, [self = this->shared_from_this()](beast::error_code) {
    self->Finish(self->close_cause_);
  });
}

template <class Stream>
CloseCause WsSession<Stream>::CauseOf(boost::system::error_code ec) const {
  if (closing_) return close_cause_;
  if (stop_requested_) return CloseCause::kStopping;
  if (ec == websocket::error::closed || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated) {
    return CloseCause::kClient;
  }
  if (ec == websocket::error::message_too_big) return CloseCause::kTooBig;
  if (ec == beast::error::timeout) return CloseCause::kTimeout;
  return CloseCause::kIoError;
}

template <class Stream>
void WsSession<Stream>::Finish(CloseCause cause) {
  if (finished_) return;
  finished_ = true;
  if (subscription_) subscription_->Closed();
  slot_.Release(cause);
  // Whatever is still pending fails at once; its handler finds finished_.
  CloseSocket(ws_.next_layer());
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace deltabridge
