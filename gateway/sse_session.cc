#include "gateway/sse_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstring>
#include <utility>

namespace deltabridge {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;

// EventSource waits this long (ms) before it reconnects.
constexpr std::string_view kRetry = "retry: 2000\n\n";

// Appends one event: `id: N` when it has an id, then the JSON as `data:`
// lines (one per line of it, so a JSON text holding a newline stays one
// event), then the blank line that ends the event.
void AppendEvent(const OutMessage& message, std::string* out) {
  if (message.event_id != 0) {
    out->append("id: ");
    out->append(std::to_string(message.event_id));
    out->push_back('\n');
  }
  std::string_view json = *message.json;
  while (true) {
    const size_t newline = json.find('\n');
    out->append("data: ");
    out->append(json.substr(0, newline));
    out->push_back('\n');
    if (newline == std::string_view::npos) break;
    json.remove_prefix(newline + 1);
  }
  out->push_back('\n');
}

// Frames out[from..] as one HTTP chunk: "<hex size>\r\n" before, "\r\n" after.
void FrameChunk(std::string* out, size_t from) {
  char size_line[24];
  const int n = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", out->size() - from);
  out->insert(from, size_line, static_cast<size_t>(n));
  out->append("\r\n");
}

}  // namespace

template <class Stream>
SseSession<Stream>::SseSession(std::shared_ptr<ServerState> state, Stream&& stream,
                               ConnectionSlot slot, std::unique_ptr<Subscription> subscription,
                               HeaderList extra_headers)
    : state_(std::move(state)),
      stream_(std::move(stream)),
      slot_(std::move(slot)),
      subscription_(std::move(subscription)),
      extra_headers_(std::move(extra_headers)) {}

template <class Stream>
SseSession<Stream>::~SseSession() {
  Finish(CloseCause::kIoError);
}

template <class Stream>
void SseSession<Stream>::Start() {
  slot_.Attach(this->weak_from_this(), Transport::kServerSentEvents);
  std::weak_ptr<SseSession> weak = this->shared_from_this();
  subscription_->SetWakeup([weak] {
    if (auto self = weak.lock()) self->Wake();
  });
  out_ =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Connection: close\r\n";
  for (const auto& [name, value] : extra_headers_) out_ += name + ": " + value + "\r\n";
  out_ += "\r\n";
  const size_t body = out_.size();
  out_.append(kRetry);
  FrameChunk(&out_, body);
  state_->counters.Answered(200);
  // The read first: it starts without a deadline (the stream's expiry is
  // "never" here), and each write's deadline then applies to the write only.
  Read();
  Write(0, 0);
}

template <class Stream>
void SseSession<Stream>::Shutdown() {
  stop_requested_ = true;
  Pump();  // ends now, or once the write in flight completes
}

template <class Stream>
void SseSession<Stream>::ForceClose() {
  stop_requested_ = true;
  CloseSocket(stream_);
}

template <class Stream>
void SseSession<Stream>::Wake() {
  if (wake_posted_ || finished_) return;
  wake_posted_ = true;
  net::post(stream_.get_executor(), [self = this->shared_from_this()] {
    self->wake_posted_ = false;
    self->Pump();
  });
}

template <class Stream>
void SseSession<Stream>::Pump() {
  if (!started_ || writing_ || ending_ || finished_) return;
  if (stop_requested_) {
    End(CloseCause::kStopping);
    return;
  }
  if (std::optional<CloseReason> closing = subscription_->closing()) {
    End(CloseCauseOfCode(closing->websocket_code));
    return;
  }
  taken_.clear();
  const size_t n = subscription_->Take(&taken_, state_->options.take_max_messages,
                                       state_->options.take_max_bytes);
  if (n == 0 || taken_.empty()) return;  // the wakeup calls again
  out_.clear();
  for (const auto& message : taken_) AppendEvent(message, &out_);
  const size_t event_bytes = out_.size();
  FrameChunk(&out_, 0);
  const size_t messages = taken_.size();
  taken_.clear();  // the text is in out_
  Write(messages, event_bytes);
}

template <class Stream>
void SseSession<Stream>::Write(size_t messages, size_t event_bytes) {
  writing_ = true;
  // Only the write is timed: the read stays pending without a deadline.
  beast::get_lowest_layer(stream_).expires_after(state_->options.write_timeout);
  net::async_write(stream_, net::buffer(out_),
                   [self = this->shared_from_this(), messages, event_bytes](
                       beast::error_code ec, size_t) { self->OnWrite(messages, event_bytes, ec); });
}

template <class Stream>
void SseSession<Stream>::OnWrite(size_t messages, size_t event_bytes,
                                 boost::system::error_code ec) {
  writing_ = false;
  if (ec) {
    Finish(CauseOf(ec));
    return;
  }
  if (ending_) {
    Finish(end_cause_);
    return;
  }
  started_ = true;
  if (messages > 0) state_->counters.Sent(messages, event_bytes);
  Pump();
}

template <class Stream>
void SseSession<Stream>::End(CloseCause cause) {
  ending_ = true;
  end_cause_ = cause;
  out_ = "0\r\n\r\n";  // the last chunk: the response is complete
  Write(0, 0);
}

template <class Stream>
void SseSession<Stream>::Read() {
  stream_.async_read_some(net::buffer(read_buffer_),
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            if (self->finished_) return;
                            if (ec) {
                              self->Finish(self->CauseOf(ec));
                              return;
                            }
                            self->Read();  // what a client sends here is dropped
                          });
}

template <class Stream>
CloseCause SseSession<Stream>::CauseOf(boost::system::error_code ec) const {
  if (ending_) return end_cause_;
  if (stop_requested_) return CloseCause::kStopping;
  if (ec == net::error::eof || ec == net::error::connection_reset ||
      ec == net::ssl::error::stream_truncated) {
    return CloseCause::kClient;
  }
  if (ec == beast::error::timeout) return CloseCause::kTimeout;
  return CloseCause::kIoError;
}

template <class Stream>
void SseSession<Stream>::Finish(CloseCause cause) {
  if (finished_) return;
  finished_ = true;
  if (subscription_) subscription_->Closed();
  slot_.Release(cause);
  CloseSocket(stream_);
}

template class SseSession<PlainStream>;
template class SseSession<TlsStream>;

}  // namespace deltabridge
