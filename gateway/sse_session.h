// SseSession: one subscriber's Server-Sent Events stream.
//
// Answers 200 with Content-Type text/event-stream, Cache-Control no-cache
// and a chunked body that opens with `retry: 2000`. Each message becomes
// `id: N` (when it has an event id) and `data: JSON` lines and a blank line;
// everything one Take moved goes out as one chunk in one write, and the next
// Take waits until that write completed (bounded by options.write_timeout).
// closing() or Stop() end the response (the last chunk) and the connection;
// the browser's EventSource reconnects with Last-Event-ID.
//
// The session keeps one small read pending to notice a client that went
// away; what a client sends is dropped. Subscription::Closed() is called
// exactly once. Owns itself through its pending handlers; network thread
// only.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "gateway/http_answer.h"
#include "gateway/http_stream.h"
#include "gateway/server_state.h"
#include "gateway/service.h"

namespace deltabridge {

template <class Stream>
class SseSession : public Connection, public std::enable_shared_from_this<SseSession<Stream>> {
 public:
  // `extra_headers` go on the 200 answer (CORS).
  SseSession(std::shared_ptr<ServerState> state, Stream&& stream, ConnectionSlot slot,
             std::unique_ptr<Subscription> subscription, HeaderList extra_headers);
  ~SseSession() override;

  void Start();
  void Shutdown() override;
  void ForceClose() override;

 private:
  void Wake();
  void Pump();
  void Write(size_t messages, size_t event_bytes);
  void OnWrite(size_t messages, size_t event_bytes, boost::system::error_code ec);
  void End(CloseCause cause);
  void Read();
  void Finish(CloseCause cause);
  CloseCause CauseOf(boost::system::error_code ec) const;

  std::shared_ptr<ServerState> state_;
  Stream stream_;
  ConnectionSlot slot_;
  std::unique_ptr<Subscription> subscription_;
  HeaderList extra_headers_;

  std::vector<OutMessage> taken_;
  std::string out_;  // the bytes being written (header, chunks)
  std::array<char, 512> read_buffer_;

  bool started_ = false;  // the answer's header was written
  bool writing_ = false;
  bool wake_posted_ = false;
  bool stop_requested_ = false;
  bool ending_ = false;  // the last chunk is being written
  CloseCause end_cause_ = CloseCause::kClient;
  bool finished_ = false;
};

extern template class SseSession<PlainStream>;
extern template class SseSession<TlsStream>;

}  // namespace deltabridge
