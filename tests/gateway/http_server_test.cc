// HttpServer end to end on loopback: Beast clients against a server whose
// GatewayService is a fake the test drives (its Subscriptions are fed and
// closed from the test, on the server's io thread).
#include "gateway/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/static_content.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kWait = 10s;  // how long a test waits for something that must happen

// ---------------------------------------------------------------------------
// The fake core.

// One subscription's state, shared by the FakeSubscription (owned by the
// server's session) and the test. Used on the server's io thread only.
struct SubState {
  std::deque<OutMessage> queue;
  std::function<void()> wakeup;
  std::optional<CloseReason> closing;
  bool batch = false;
  bool closed = false;
  int closed_calls = 0;
  size_t takes = 0;
  // Endless: Take makes `endless_size`-byte messages on demand, seq 1, 2, ...
  bool endless = false;
  size_t endless_size = 0;
  uint64_t next_seq = 1;
  uint64_t taken_bytes = 0;
};

OutMessage Message(uint64_t seq, size_t padding = 0, uint64_t event_id = 0) {
  std::string json = R"({"seq":)" + std::to_string(seq) + R"(,"op":"update")";
  if (padding > 0) json += R"(,"pad":")" + std::string(padding, 'x') + "\"";
  json += "}";
  return OutMessage{std::make_shared<const std::string>(std::move(json)), event_id};
}

class FakeSubscription : public Subscription {
 public:
  explicit FakeSubscription(std::shared_ptr<SubState> state) : s_(std::move(state)) {}
  size_t Take(std::vector<OutMessage>* out, size_t max_messages, size_t max_bytes) override {
    EXPECT_FALSE(s_->closed) << "Take after Closed()";
    ++s_->takes;
    size_t moved = 0;
    size_t bytes = 0;
    while (moved < max_messages && bytes < max_bytes) {
      if (s_->endless) {
        s_->queue.push_back(Message(s_->next_seq++, s_->endless_size));
      }
      if (s_->queue.empty()) break;
      bytes += s_->queue.front().json->size();
      out->push_back(std::move(s_->queue.front()));
      s_->queue.pop_front();
      ++moved;
    }
    s_->taken_bytes += bytes;
    return moved;
  }
  void SetWakeup(std::function<void()> wakeup) override { s_->wakeup = std::move(wakeup); }
  std::optional<CloseReason> closing() const override { return s_->closing; }
  bool batch() const override { return s_->batch; }
  void Closed() override {
    s_->closed = true;
    ++s_->closed_calls;
  }

 private:
  std::shared_ptr<SubState> s_;
};

class FakeService : public GatewayService {
 public:
  std::variant<std::unique_ptr<Subscription>, HttpAnswer> Subscribe(
      const SyncRequest& request) override {
    requests.push_back(request);
    if (answer) return *answer;
    auto state = std::make_shared<SubState>();
    auto batch = request.query.find("batch");
    state->batch = batch != request.query.end() && batch->second == "1";
    if (prepare) prepare(*state);
    subs.push_back(state);
    return std::make_unique<FakeSubscription>(state);
  }

  void Push(PushRequest request, std::function<void(HttpAnswer)> done) override {
    pushes.push_back(std::move(request));
    if (defer_push) {
      deferred.push_back(std::move(done));
      return;
    }
    done(push_answer);
  }

  // All on the server's io thread.
  std::vector<SyncRequest> requests;
  std::vector<std::shared_ptr<SubState>> subs;
  std::optional<HttpAnswer> answer;        // Subscribe's answer instead of a stream
  std::function<void(SubState&)> prepare;  // shapes each new subscription
  std::vector<PushRequest> pushes;
  HttpAnswer push_answer{200, R"({"result":"applied","ref":"app:1"})", {}};
  bool defer_push = false;
  std::vector<std::function<void(HttpAnswer)>> deferred;
};

// ---------------------------------------------------------------------------
// Clients. Each runs on its own io_context on the test thread; every
// operation has a deadline (the socket is closed when it passes).

// Runs `start(handler)` on `io` until the handler ran, or `timeout` passed
// (then `cancel()` and wait for the handler). Returns the handler's error.
template <class Start>
beast::error_code Await(net::io_context& io, const std::function<void()>& cancel, Start&& start,
                        std::chrono::milliseconds timeout = kWait) {
  auto result = std::make_shared<std::optional<beast::error_code>>();
  start([result](beast::error_code ec, auto&&...) { *result = ec; });
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!*result && std::chrono::steady_clock::now() < deadline) io.run_one_until(deadline);
  if (!*result) {
    cancel();
    io.restart();
    while (!*result) io.run_one();
    return net::error::timed_out;
  }
  return **result;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

template <class NextLayer>
class BasicWsClient {
 public:
  template <class... Args>
  explicit BasicWsClient(Args&&... args) : ws_(io_, std::forward<Args>(args)...) {}

  // Connects and upgrades; false (with the error in `error`) when refused.
  bool Open(uint16_t port, const std::string& target, const Fields& fields = {}) {
    auto& tcp_layer = beast::get_lowest_layer(ws_);
    if (receive_buffer_ > 0) {
      tcp_layer.socket().open(tcp::v4());
      tcp_layer.socket().set_option(net::socket_base::receive_buffer_size(receive_buffer_));
    }
    error = Await(io_, Cancel(), [&](auto handler) {
      tcp_layer.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), handler);
    });
    if (error) return false;
    if constexpr (!std::is_same_v<NextLayer, beast::tcp_stream>) {
      error = Await(io_, Cancel(), [&](auto handler) {
        ws_.next_layer().async_handshake(ssl::stream_base::client, handler);
      });
      if (error) return false;
    }
    tcp_layer.expires_never();
    ws_.set_option(websocket::stream_base::decorator([fields](websocket::request_type& request) {
      for (const auto& [name, value] : fields) request.set(name, value);
    }));
    error = Await(io_, Cancel(), [&](auto handler) {
      ws_.async_handshake(response_, "127.0.0.1:" + std::to_string(port), target, handler);
    });
    return !error;
  }

  // The next text message; empty with `error` set when none came.
  std::string Read(std::chrono::milliseconds timeout = kWait) {
    buffer_.consume(buffer_.size());
    error = Await(
        io_, Cancel(), [&](auto handler) { ws_.async_read(buffer_, handler); }, timeout);
    return error ? std::string() : beast::buffers_to_string(buffer_.data());
  }

  bool Write(const std::string& text, bool binary = false) {
    ws_.binary(binary);
    error =
        Await(io_, Cancel(), [&](auto handler) { ws_.async_write(net::buffer(text), handler); });
    return !error;
  }

  // Reads until the server closes; the close frame's code and reason.
  websocket::close_reason ReadUntilClosed() {
    for (int i = 0; i < 100000; ++i) {
      Read();
      if (error) break;
    }
    return ws_.reason();
  }

  void Close() {
    error = Await(io_, Cancel(),
                  [&](auto handler) { ws_.async_close(websocket::close_code::normal, handler); });
  }

  // A small receive buffer for the connection Open() makes.
  void SetReceiveBuffer(int bytes) { receive_buffer_ = bytes; }

  const websocket::response_type& response() const { return response_; }
  websocket::close_reason reason() const { return ws_.reason(); }
  beast::error_code error;

 private:
  std::function<void()> Cancel() {
    return [this] { beast::get_lowest_layer(ws_).close(); };
  }

  net::io_context io_;
  websocket::stream<NextLayer> ws_;
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  int receive_buffer_ = 0;
};
using WsClient = BasicWsClient<beast::tcp_stream>;
using WssClient = BasicWsClient<beast::ssl_stream<beast::tcp_stream>>;

// A raw TCP client: writes bytes, reads what comes.
class RawClient {
 public:
  bool Connect(uint16_t port) {
    error = Await(io_, Cancel(), [&](auto handler) {
      stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), handler);
    });
    return !error;
  }
  bool Send(const std::string& bytes) {
    error = Await(io_, Cancel(),
                  [&](auto handler) { net::async_write(stream_, net::buffer(bytes), handler); });
    return !error;
  }
  // Reads until `done(received)` holds or the connection ends (`error`
  // then says how: eof when the server closed). Returns whether done held.
  bool ReadUntil(const std::function<bool(const std::string&)>& done,
                 std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(received)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) {
        error = net::error::timed_out;
        return false;
      }
      size_t n = 0;
      error = Await(
          io_, Cancel(),
          [&](auto handler) {
            stream_.async_read_some(net::buffer(chunk_),
                                    [&n, handler](beast::error_code ec, size_t bytes) mutable {
                                      n = bytes;
                                      handler(ec);
                                    });
          },
          left);
      received.append(chunk_.data(), n);
      if (error) return done(received);
    }
    return true;
  }
  bool ReadUntilContains(const std::string& text) {
    return ReadUntil([&](const std::string& r) { return r.find(text) != std::string::npos; });
  }
  // Reads until the server closes the connection; true when it did.
  bool ReadUntilEof(std::chrono::milliseconds timeout = kWait) {
    ReadUntil([](const std::string&) { return false; }, timeout);
    return error == net::error::eof || error == net::error::connection_reset;
  }

  std::string received;
  beast::error_code error;

 private:
  std::function<void()> Cancel() {
    return [this] { stream_.close(); };
  }
  net::io_context io_;
  beast::tcp_stream stream_{io_};
  std::array<char, 16384> chunk_;
};

// The payloads of an HTTP/1.1 chunked body (after the header), in order;
// `complete` tells whether the last chunk ("0\r\n\r\n") was seen.
std::vector<std::string> Dechunk(const std::string& body, bool* complete) {
  std::vector<std::string> chunks;
  *complete = false;
  size_t pos = 0;
  while (true) {
    const size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) return chunks;
    const size_t size = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
    if (size == 0) {
      *complete = body.compare(eol, 4, "\r\n\r\n") == 0;
      return chunks;
    }
    if (body.size() < eol + 2 + size + 2) return chunks;
    chunks.push_back(body.substr(eol + 2, size));
    pos = eol + 2 + size + 2;
  }
}

struct HttpResult {
  beast::error_code error;
  http::response<http::string_body> response;
  bool closed_after = false;  // the server closed the connection after the answer
};

// One request on a fresh connection (plain or TLS).
template <class Stream>
HttpResult Exchange(net::io_context& io, Stream& stream, http::request<http::string_body> request,
                    bool head = false) {
  HttpResult result;
  auto cancel = [&stream] { beast::get_lowest_layer(stream).close(); };
  result.error =
      Await(io, cancel, [&](auto handler) { http::async_write(stream, request, handler); });
  if (result.error) return result;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  if (head) parser.skip(true);
  result.error =
      Await(io, cancel, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  result.response = parser.release();
  if (!result.error && !result.response.keep_alive()) {
    char byte;
    auto ec = Await(io, cancel,
                    [&](auto handler) { stream.async_read_some(net::buffer(&byte, 1), handler); });
    result.closed_after = ec == net::error::eof || ec == ssl::error::stream_truncated ||
                          ec == net::error::connection_reset;
  }
  return result;
}

http::request<http::string_body> Request(http::verb verb, const std::string& target,
                                         const Fields& fields = {}, std::string body = "") {
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : fields) request.set(name, value);
  if (!body.empty() || verb == http::verb::post) {
    request.body() = std::move(body);
    request.prepare_payload();
  }
  return request;
}

HttpResult Fetch(uint16_t port, http::request<http::string_body> request) {
  net::io_context io;
  beast::tcp_stream stream(io);
  HttpResult result;
  result.error = Await(
      io, [&] { stream.close(); },
      [&](auto handler) {
        stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), handler);
      });
  if (result.error) return result;
  const bool head = request.method() == http::verb::head;
  return Exchange(io, stream, std::move(request), head);
}

std::string Header(const http::response<http::string_body>& response, std::string_view name) {
  return std::string(response[beast::string_view(name.data(), name.size())]);
}

// ---------------------------------------------------------------------------

HttpServerOptions TestOptions() {
  HttpServerOptions options;
  options.listen = HostPort{"127.0.0.1", 0};
  options.cors_origins = {"https://app.example.com"};
  options.page = true;
  options.max_request_bytes = 1024;
  options.request_timeout = 3s;
  options.write_timeout = 5s;
  options.websocket_idle_timeout = 20s;
  options.stop_timeout = 3s;
  options.name = "test-gateway";
  return options;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = TestOptions()) {
    server_ = std::make_unique<HttpServer>(io_, std::move(options), &service_);
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    io_thread_ = std::thread([this] {
      io_.run();
      io_returned_ = true;
    });
  }

  void TearDown() override {
    if (server_) server_->Stop();
    if (io_thread_.joinable()) {
      // Stop() ended every connection and the listener: run() returns.
      EXPECT_TRUE(WaitUntil([this] { return io_returned_.load(); }));
      if (!io_returned_) io_.stop();
      io_thread_.join();
    }
    server_.reset();
  }

  // Runs `f` on the server's io thread and returns its result.
  template <class F>
  auto OnIo(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    net::post(io_, [&task] { task(); });
    return result.get();
  }

  // Polls `condition` (on this thread) until it holds or kWait passes.
  static bool WaitUntil(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
  // The same for a condition read on the io thread.
  bool WaitOnIo(const std::function<bool()>& condition) {
    return WaitUntil([&] { return OnIo(condition); });
  }

  // Queues messages on subscription `i` and wakes its session.
  void Feed(size_t i, std::vector<OutMessage> messages,
            std::optional<CloseReason> closing = std::nullopt) {
    OnIo([&] {
      auto& sub = *service_.subs.at(i);
      for (auto& m : messages) sub.queue.push_back(std::move(m));
      if (closing) sub.closing = closing;
      if (sub.wakeup) sub.wakeup();
      return 0;
    });
  }

  size_t SubCount() {
    return OnIo([&] { return service_.subs.size(); });
  }
  bool SubClosed(size_t i) {
    return OnIo([&] { return service_.subs.at(i)->closed; });
  }
  SyncRequest LastRequest() {
    return OnIo([&] { return service_.requests.back(); });
  }
  size_t RequestCount() {
    return OnIo([&] { return service_.requests.size(); });
  }

  net::io_context io_;
  std::thread io_thread_;
  std::atomic<bool> io_returned_{false};
  FakeService service_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------
// WebSocket.

TEST_F(HttpServerTest, WebSocketStreamsMessagesInOrder) {
  StartServer();
  WsClient client;
  ASSERT_TRUE(client.Open(port_, "/sync/sched%5Fule?from=12&where=seats+%3C+10&token=abc"))
      << client.error.message();
  ASSERT_EQ(SubCount(), 1u);
  const SyncRequest request = LastRequest();
  EXPECT_EQ(request.entity, "sched_ule");
  EXPECT_EQ(request.token, "abc");
  EXPECT_EQ(request.query,
            (std::map<std::string, std::string>{{"from", "12"}, {"where", "seats < 10"}}));
  EXPECT_EQ(request.transport, SyncTransport::kWebSocket);
  EXPECT_EQ(request.peer.rfind("127.0.0.1:", 0), 0u) << request.peer;
  EXPECT_FALSE(request.last_event_id.has_value());

  Feed(0, {Message(1), Message(2), Message(3)});
  EXPECT_EQ(client.Read(), R"({"seq":1,"op":"update"})");
  EXPECT_EQ(client.Read(), R"({"seq":2,"op":"update"})");
  EXPECT_EQ(client.Read(), R"({"seq":3,"op":"update"})");
  Feed(0, {Message(4)});
  EXPECT_EQ(client.Read(), R"({"seq":4,"op":"update"})");
  EXPECT_TRUE(WaitUntil([&] { return server_->stats().messages_sent == 4; }));
  EXPECT_EQ(server_->counters().open(Transport::kWebSocket), 1);
  EXPECT_EQ(server_->counters().answers(101), 1u);

  client.Close();
  EXPECT_TRUE(WaitOnIo([&] { return service_.subs[0]->closed; }));
  EXPECT_TRUE(WaitUntil([&] { return server_->counters().open(Transport::kWebSocket) == 0; }));
  EXPECT_EQ(server_->counters().closes(CloseCause::kClient), 1u);
  EXPECT_EQ(OnIo([&] { return service_.subs[0]->closed_calls; }), 1);
}

TEST_F(HttpServerTest, BearerHeaderWinsOverTokenParameter) {
  StartServer();
  WsClient client;
  ASSERT_TRUE(
      client.Open(port_, "/sync/s?token=from-query", {{"Authorization", "Bearer from-header"}}));
  EXPECT_EQ(LastRequest().token, "from-header");
  EXPECT_EQ(LastRequest().query.count("token"), 0u) << "the token never reaches the query map";
}

TEST_F(HttpServerTest, BatchWritesOneJsonArrayPerTake) {
  HttpServerOptions options = TestOptions();
  options.take_max_messages = 2;
  StartServer(options);
  WsClient client;
  ASSERT_TRUE(client.Open(port_, "/sync/s?batch=1"));
  Feed(0, {Message(1), Message(2), Message(3), Message(4), Message(5)});
  EXPECT_EQ(client.Read(), R"([{"seq":1,"op":"update"},{"seq":2,"op":"update"}])");
  EXPECT_EQ(client.Read(), R"([{"seq":3,"op":"update"},{"seq":4,"op":"update"}])");
  EXPECT_EQ(client.Read(), R"([{"seq":5,"op":"update"}])");
  EXPECT_TRUE(WaitUntil([&] { return server_->stats().messages_sent == 5; }));
}

TEST_F(HttpServerTest, ClosingReachesTheClientAfterTheTakenMessages) {
  StartServer();
  WsClient client;
  ASSERT_TRUE(client.Open(port_, "/sync/s"));
  Feed(0, {Message(1), Message(2)});
  EXPECT_EQ(client.Read(), R"({"seq":1,"op":"update"})");
  EXPECT_EQ(client.Read(), R"({"seq":2,"op":"update"})");
  // What the service still queues once closing() is set is not taken.
  Feed(0, {Message(3)}, CloseReason{4008, "slow client: resume with from=2"});
  EXPECT_EQ(client.Read(), "");
  EXPECT_EQ(client.error, websocket::error::closed) << client.error.message();
  const websocket::close_reason reason = client.reason();
  EXPECT_EQ(reason.code, 4008);
  EXPECT_EQ(std::string(reason.reason.data(), reason.reason.size()),
            "slow client: resume with from=2");
  EXPECT_TRUE(WaitOnIo([&] { return service_.subs[0]->closed; }));
  EXPECT_TRUE(WaitUntil([&] { return server_->counters().closes(CloseCause::kSlowClient) == 1; }));
}

TEST_F(HttpServerTest, RevokedTokenClosesWith1008) {
  StartServer();
  WsClient client;
  ASSERT_TRUE(client.Open(port_, "/sync/s"));
  Feed(0, {}, CloseReason{1008, "token revoked"});
  const websocket::close_reason reason = client.ReadUntilClosed();
  EXPECT_EQ(reason.code, 1008);
  EXPECT_EQ(std::string(reason.reason.data(), reason.reason.size()), "token revoked");
  EXPECT_TRUE(
      WaitUntil([&] { return server_->counters().closes(CloseCause::kTokenRevoked) == 1; }));
}

TEST_F(HttpServerTest, ClientMessagesGetAnErrorAndOversizedFramesClose1009) {
  StartServer();
  WsClient client;
  ASSERT_TRUE(client.Open(port_, "/sync/s"));
  const std::string expected =
      R"({"control":"error","error":"this stream takes no messages; push with POST /sync/<entity>"})";
  ASSERT_TRUE(client.Write("hello"));
  EXPECT_EQ(client.Read(), expected);
  ASSERT_TRUE(client.Write(std::string("\x01\x02", 2), /*binary=*/true));
  EXPECT_EQ(client.Read(), expected);
  // The stream still works.
  Feed(0, {Message(1)});
  EXPECT_EQ(client.Read(), R"({"seq":1,"op":"update"})");

  ASSERT_TRUE(client.Write(std::string(2000, 'x')));  // max_request_bytes is 1024
  const websocket::close_reason reason = client.ReadUntilClosed();
  EXPECT_EQ(reason.code, websocket::close_code::too_big);
  EXPECT_TRUE(WaitOnIo([&] { return service_.subs[0]->closed; }));
  EXPECT_TRUE(WaitUntil([&] { return server_->counters().closes(CloseCause::kTooBig) == 1; }));
}

TEST_F(HttpServerTest, SubscribeAnswerIsSentInsteadOfTheUpgrade) {
  StartServer();
  OnIo([&] {
    service_.answer = HttpAnswer{401, R"({"error":"no token"})", {{"WWW-Authenticate", "Bearer"}}};
    return 0;
  });
  HttpResult result = Fetch(port_, Request(http::verb::get, "/sync/s",
                                           {{"Connection", "Upgrade"},
                                            {"Upgrade", "websocket"},
                                            {"Sec-WebSocket-Version", "13"},
                                            {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}}));
  ASSERT_FALSE(result.error) << result.error.message();
  EXPECT_EQ(result.response.result_int(), 401);
  EXPECT_EQ(Header(result.response, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Header(result.response, "Content-Type"), "application/json");
  EXPECT_EQ(result.response.body(), R"({"error":"no token"})");
  EXPECT_TRUE(result.closed_after);

  // Through a WebSocket client: the handshake is declined with the answer.
  OnIo([&] {
    service_.answer = HttpAnswer{404, R"({"error":"no such entity: nope"})", {}};
    return 0;
  });
  WsClient client;
  EXPECT_FALSE(client.Open(port_, "/sync/nope"));
  EXPECT_EQ(client.error, websocket::error::upgrade_declined) << client.error.message();
  EXPECT_EQ(client.response().result_int(), 404);

  // Server-Sent Events get it as well.
  OnIo([&] {
    service_.answer = HttpAnswer{429, R"({"error":"limit"})", {{"Retry-After", "12"}}};
    return 0;
  });
  HttpResult sse =
      Fetch(port_, Request(http::verb::get, "/sync/s", {{"Accept", "text/event-stream"}}));
  EXPECT_EQ(sse.response.result_int(), 429);
  EXPECT_EQ(Header(sse.response, "Retry-After"), "12");
  EXPECT_EQ(OnIo([&] { return service_.subs.size(); }), 0u);
}

TEST_F(HttpServerTest, PlainGetOnSyncSaysHowToStream) {
  StartServer();
  HttpResult result = Fetch(port_, Request(http::verb::get, "/sync/s"));
  EXPECT_EQ(result.response.result_int(), 400);
  EXPECT_NE(result.response.body().find("Upgrade: websocket"), std::string::npos);
  EXPECT_NE(result.response.body().find("text/event-stream"), std::string::npos);
  EXPECT_EQ(RequestCount(), 0u);
}

TEST_F(HttpServerTest, ForeignOriginIsRefusedBeforeTheUpgrade) {
  StartServer();
  WsClient evil;
  EXPECT_FALSE(evil.Open(port_, "/sync/s", {{"Origin", "https://evil.example.com"}}));
  EXPECT_EQ(evil.response().result_int(), 403);
  EXPECT_EQ(RequestCount(), 0u);

  WsClient listed;
  EXPECT_TRUE(listed.Open(port_, "/sync/s", {{"Origin", "https://app.example.com"}}));
  EXPECT_EQ(Header(listed.response(), "Access-Control-Allow-Origin"), "https://app.example.com");
  WsClient same;  // the gateway's own page
  EXPECT_TRUE(
      same.Open(port_, "/sync/s", {{"Origin", "http://127.0.0.1:" + std::to_string(port_)}}));
  WsClient none;  // not a browser
  EXPECT_TRUE(none.Open(port_, "/sync/s"));
  EXPECT_EQ(RequestCount(), 3u);
}

TEST_F(HttpServerTest, RepeatedOrMalformedQueryParametersAre400) {
  StartServer();
  HttpResult repeated = Fetch(
      port_, Request(http::verb::get, "/sync/s?from=1&from=2", {{"Accept", "text/event-stream"}}));
  EXPECT_EQ(repeated.response.result_int(), 400);
  EXPECT_NE(repeated.response.body().find("more than once"), std::string::npos);
  HttpResult escape = Fetch(
      port_, Request(http::verb::get, "/sync/s?where=%zz", {{"Accept", "text/event-stream"}}));
  EXPECT_EQ(escape.response.result_int(), 400);
  EXPECT_EQ(RequestCount(), 0u);
}

// ---------------------------------------------------------------------------
// Server-Sent Events.

std::string SseRequest(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" + extra +
         "\r\n";
}

TEST_F(HttpServerTest, ServerSentEventsStream) {
  StartServer();
  RawClient client;
  ASSERT_TRUE(client.Connect(port_));
  ASSERT_TRUE(client.Send(
      SseRequest("/sync/s?from=now", "Authorization: Bearer tok\r\nLast-Event-ID: 41\r\n")));
  ASSERT_TRUE(client.ReadUntilContains("retry: 2000\n\n\r\n")) << client.received;
  EXPECT_EQ(client.received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(client.received.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(client.received.find("Cache-Control: no-cache\r\n"), std::string::npos);
  EXPECT_NE(client.received.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  const SyncRequest request = LastRequest();
  EXPECT_EQ(request.transport, SyncTransport::kServerSentEvents);
  EXPECT_EQ(request.token, "tok");
  EXPECT_EQ(request.last_event_id, std::optional<std::string>("41"));
  EXPECT_EQ(request.query.at("from"), "now");

  Feed(0, {Message(42, 0, 42), Message(0, 0, 0)});
  const std::string events =
      "id: 42\ndata: {\"seq\":42,\"op\":\"update\"}\n\n"
      "data: {\"seq\":0,\"op\":\"update\"}\n\n";
  ASSERT_TRUE(client.ReadUntilContains(events)) << client.received;
  const std::string body = client.received.substr(client.received.find("\r\n\r\n") + 4);
  bool complete = false;
  std::vector<std::string> chunks = Dechunk(body, &complete);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], "retry: 2000\n\n");
  EXPECT_EQ(chunks[1], events) << "one Take, one write";

  // A JSON text with a newline stays one event.
  Feed(0, {OutMessage{std::make_shared<const std::string>("{\"a\":\n1}"), 43}});
  ASSERT_TRUE(client.ReadUntilContains("id: 43\ndata: {\"a\":\ndata: 1}\n\n")) << client.received;

  Feed(0, {}, CloseReason{4008, "slow client: resume with from=43"});
  EXPECT_TRUE(client.ReadUntilEof()) << client.error.message();
  chunks = Dechunk(client.received.substr(client.received.find("\r\n\r\n") + 4), &complete);
  EXPECT_TRUE(complete) << "the response ends with the last chunk";
  EXPECT_TRUE(WaitOnIo([&] { return service_.subs[0]->closed; }));
  EXPECT_TRUE(WaitUntil([&] { return server_->stats().messages_sent == 3; }));
}

TEST_F(HttpServerTest, ServerSentEventsCarryCorsHeadersForAListedOrigin) {
  StartServer();
  RawClient client;
  ASSERT_TRUE(client.Connect(port_));
  ASSERT_TRUE(client.Send(SseRequest("/sync/s", "Origin: https://app.example.com\r\n")));
  ASSERT_TRUE(client.ReadUntilContains("retry: 2000"));
  EXPECT_NE(client.received.find("Access-Control-Allow-Origin: https://app.example.com\r\n"),
            std::string::npos)
      << client.received;
  EXPECT_NE(client.received.find("Vary: Origin\r\n"), std::string::npos);
}

TEST_F(HttpServerTest, ServerSentEventsClientGoingAwayClosesTheSubscription) {
  StartServer();
  {
    RawClient client;
    ASSERT_TRUE(client.Connect(port_));
    ASSERT_TRUE(client.Send(SseRequest("/sync/s")));
    ASSERT_TRUE(client.ReadUntilContains("retry: 2000"));
  }
  EXPECT_TRUE(WaitOnIo([&] { return service_.subs[0]->closed; }));
  EXPECT_TRUE(
      WaitUntil([&] { return server_->counters().open(Transport::kServerSentEvents) == 0; }));
}

// ---------------------------------------------------------------------------
// Backpressure.

TEST_F(HttpServerTest, AClientThatDoesNotReadHoldsNoUnboundedBuffer) {
  HttpServerOptions options = TestOptions();
  options.take_max_messages = 16;
  options.write_timeout = 60s;
  options.websocket_idle_timeout = 60s;
  StartServer(options);
  OnIo([&] {
    service_.prepare = [](SubState& s) {
      s.endless = true;
      s.endless_size = 16 * 1024;
    };
    return 0;
  });
  WsClient stalled;
  stalled.SetReceiveBuffer(64 * 1024);
  ASSERT_TRUE(stalled.Open(port_, "/sync/s"));
  Feed(0, {});  // wake it: it takes and writes until the socket buffers are full

  // The server stops taking: what it took stays put while the client reads nothing.
  uint64_t last = 0;
  auto since = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] {
    const uint64_t now = OnIo([&] { return service_.subs[0]->taken_bytes; });
    if (now != last || now == 0) {
      last = now;
      since = std::chrono::steady_clock::now();
    }
    return std::chrono::steady_clock::now() - since >= 500ms;  // unchanged for half a second
  }));
  EXPECT_GT(last, 0u);
  EXPECT_LT(last, 64u << 20) << "the server buffered without bound";
  const size_t takes = OnIo([&] { return service_.subs[0]->takes; });

  // Others are served meanwhile.
  OnIo([&] {
    service_.prepare = nullptr;
    return 0;
  });
  HttpResult health = Fetch(port_, Request(http::verb::get, "/healthz"));
  EXPECT_EQ(health.response.result_int(), 200);
  WsClient other;
  ASSERT_TRUE(other.Open(port_, "/sync/s"));
  Feed(1, {Message(7)});
  EXPECT_EQ(other.Read(), R"({"seq":7,"op":"update"})");
  EXPECT_EQ(OnIo([&] { return service_.subs[0]->takes; }), takes) << "no Take while blocked";

  // Once it reads, everything arrives in order: nothing was dropped.
  for (uint64_t seq = 1; seq <= 2000; ++seq) {
    const std::string text = stalled.Read();
    ASSERT_FALSE(stalled.error) << stalled.error.message();
    ASSERT_EQ(text.rfind(R"({"seq":)" + std::to_string(seq) + ",", 0), 0u) << seq;
  }
}

// ---------------------------------------------------------------------------
// Pushes.

TEST_F(HttpServerTest, PushGoesToTheService) {
  StartServer();
  HttpResult result = Fetch(port_, Request(http::verb::post, "/sync/sched%2Dule?token=t1",
                                           {{"Content-Type", "application/json; charset=utf-8"}},
                                           R"({"op":"update","key":{"id":1}})"));
  ASSERT_FALSE(result.error) << result.error.message();
  EXPECT_EQ(result.response.result_int(), 200);
  EXPECT_EQ(result.response.body(), R"({"result":"applied","ref":"app:1"})");
  auto pushes = OnIo([&] { return service_.pushes; });
  ASSERT_EQ(pushes.size(), 1u);
  EXPECT_EQ(pushes[0].entity, "sched-ule");
  EXPECT_EQ(pushes[0].token, "t1");
  EXPECT_EQ(pushes[0].body, R"({"op":"update","key":{"id":1}})");
  EXPECT_EQ(pushes[0].peer.rfind("127.0.0.1:", 0), 0u);
}

TEST_F(HttpServerTest, PushAnsweredLaterOnAKeptAliveConnection) {
  StartServer();
  OnIo([&] {
    service_.defer_push = true;
    return 0;
  });
  net::io_context io;
  beast::tcp_stream stream(io);
  ASSERT_FALSE(Await(
      io, [&] { stream.close(); },
      [&](auto handler) {
        stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), handler);
      }));
  auto answered = std::async(std::launch::async, [&] {
    return Exchange(
        io, stream,
        Request(http::verb::post, "/sync/s",
                {{"Authorization", "Bearer t2"}, {"Content-Type", "application/json"}}, "{}"));
  });
  ASSERT_TRUE(WaitOnIo([&] { return service_.deferred.size() == 1; }));
  EXPECT_EQ(answered.wait_for(50ms), std::future_status::timeout);
  OnIo([&] {
    service_.deferred[0](HttpAnswer{409, R"({"result":"conflict","conflict_id":17})", {}});
    return 0;
  });
  HttpResult result = answered.get();
  EXPECT_EQ(result.response.result_int(), 409);
  EXPECT_EQ(result.response.body(), R"({"result":"conflict","conflict_id":17})");
  EXPECT_EQ(OnIo([&] { return service_.pushes[0].token; }), "t2");
  // The connection takes another request.
  HttpResult health = Exchange(io, stream, Request(http::verb::get, "/healthz"));
  EXPECT_EQ(health.response.result_int(), 200);
}

TEST_F(HttpServerTest, PushNeedsJson) {
  StartServer();
  HttpResult result =
      Fetch(port_, Request(http::verb::post, "/sync/s", {{"Content-Type", "text/plain"}}, "{}"));
  EXPECT_EQ(result.response.result_int(), 415);
  EXPECT_NE(result.response.body().find("application/json"), std::string::npos);
  HttpResult none = Fetch(port_, Request(http::verb::post, "/sync/s", {}, "{}"));
  EXPECT_EQ(none.response.result_int(), 415);
  EXPECT_EQ(OnIo([&] { return service_.pushes.size(); }), 0u);
}

TEST_F(HttpServerTest, PushBodyLimit) {
  StartServer();  // max_request_bytes: 1024
  const Fields json = {{"Content-Type", "application/json"}};
  HttpResult at_limit =
      Fetch(port_, Request(http::verb::post, "/sync/s", json, std::string(1024, ' ')));
  EXPECT_EQ(at_limit.response.result_int(), 200);

  // Declared too large: answered before the body is read.
  RawClient declared;
  ASSERT_TRUE(declared.Connect(port_));
  ASSERT_TRUE(
      declared.Send("POST /sync/s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: 5000000\r\n\r\n" +
                    std::string(1000, ' ')));
  EXPECT_TRUE(declared.ReadUntilContains("\r\n\r\n"));
  EXPECT_EQ(declared.received.rfind("HTTP/1.1 413 ", 0), 0u) << declared.received;
  EXPECT_TRUE(declared.ReadUntilEof());
  EXPECT_NE(declared.received.find("max_request_bytes"), std::string::npos);

  // Chunked, growing past the limit: cut off at the limit.
  RawClient chunked;
  ASSERT_TRUE(chunked.Connect(port_));
  ASSERT_TRUE(
      chunked.Send("POST /sync/s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n320\r\n" +
                   std::string(800, ' ') + "\r\n320\r\n" + std::string(800, ' ') + "\r\n"));
  EXPECT_TRUE(chunked.ReadUntilContains("\r\n\r\n"));
  EXPECT_EQ(chunked.received.rfind("HTTP/1.1 413 ", 0), 0u) << chunked.received;
  EXPECT_EQ(OnIo([&] { return service_.pushes.size(); }), 1u);
}

TEST_F(HttpServerTest, PushWithExpectContinue) {
  StartServer();
  RawClient client;
  ASSERT_TRUE(client.Connect(port_));
  ASSERT_TRUE(
      client.Send("POST /sync/s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntilContains("HTTP/1.1 100 Continue\r\n\r\n"));
  ASSERT_TRUE(client.Send("{}"));
  EXPECT_TRUE(client.ReadUntilContains(R"({"result":"applied","ref":"app:1"})")) << client.received;
}

// ---------------------------------------------------------------------------
// CORS, static files, health, errors.

TEST_F(HttpServerTest, CorsPreflightForAListedOrigin) {
  StartServer();
  HttpResult result =
      Fetch(port_, Request(http::verb::options, "/sync/s",
                           {{"Origin", "https://app.example.com"},
                            {"Access-Control-Request-Method", "POST"},
                            {"Access-Control-Request-Headers", "authorization, content-type"}}));
  EXPECT_EQ(result.response.result_int(), 204);
  EXPECT_EQ(Header(result.response, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(Header(result.response, "Vary"), "Origin");
  EXPECT_EQ(Header(result.response, "Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
  EXPECT_EQ(Header(result.response, "Access-Control-Allow-Headers"),
            "Authorization, Content-Type, Last-Event-ID");

  HttpResult refused = Fetch(port_, Request(http::verb::options, "/sync/s",
                                            {{"Origin", "https://evil.example.com"},
                                             {"Access-Control-Request-Method", "POST"}}));
  EXPECT_EQ(refused.response.result_int(), 403);
  EXPECT_EQ(Header(refused.response, "Access-Control-Allow-Origin"), "");
}

TEST_F(HttpServerTest, AnswersCarryCorsHeadersOnlyForListedOrigins) {
  StartServer();
  HttpResult listed = Fetch(
      port_,
      Request(http::verb::post, "/sync/s",
              {{"Origin", "https://app.example.com"}, {"Content-Type", "application/json"}}, "{}"));
  EXPECT_EQ(listed.response.result_int(), 200);
  EXPECT_EQ(Header(listed.response, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(Header(listed.response, "Vary"), "Origin");
  HttpResult other =
      Fetch(port_, Request(http::verb::get, "/healthz", {{"Origin", "https://evil.example.com"}}));
  EXPECT_EQ(other.response.result_int(), 200);
  EXPECT_EQ(Header(other.response, "Access-Control-Allow-Origin"), "");
}

TEST_F(HttpServerTest, StaticFilesHealthAndNotFound) {
  StartServer();
  HttpResult js = Fetch(port_, Request(http::verb::get, "/client.js"));
  EXPECT_EQ(js.response.result_int(), 200);
  EXPECT_EQ(Header(js.response, "Content-Type"), "application/javascript; charset=utf-8");
  auto file = test::ReadFileToString("gateway/web/client.js");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(js.response.body(), *file) << "embedded at build time";
  EXPECT_EQ(std::string(StaticClientJs()), *file);

  HttpResult head = Fetch(port_, Request(http::verb::head, "/client.js"));
  EXPECT_EQ(head.response.result_int(), 200);
  EXPECT_EQ(Header(head.response, "Content-Length"), std::to_string(file->size()));

  HttpResult page = Fetch(port_, Request(http::verb::get, "/"));
  EXPECT_EQ(page.response.result_int(), 200);
  EXPECT_EQ(Header(page.response, "Content-Type"), "text/html; charset=utf-8");
  auto html = test::ReadFileToString("gateway/web/index.html");
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(page.response.body(), *html);

  HttpResult health = Fetch(port_, Request(http::verb::get, "/healthz"));
  EXPECT_EQ(health.response.result_int(), 200);
  EXPECT_EQ(health.response.body(), R"({"ok":true})");
  EXPECT_EQ(Header(health.response, "Content-Type"), "application/json");

  HttpResult missing = Fetch(port_, Request(http::verb::get, "/nope?token=secret"));
  EXPECT_EQ(missing.response.result_int(), 404);
  EXPECT_EQ(missing.response.body().rfind(R"({"error":)", 0), 0u) << missing.response.body();
  EXPECT_EQ(missing.response.body().find("secret"), std::string::npos);

  HttpResult put = Fetch(port_, Request(http::verb::put, "/sync/s", {}, "{}"));
  EXPECT_EQ(put.response.result_int(), 400) << "a body on a method that takes none";
  HttpResult del = Fetch(port_, Request(http::verb::delete_, "/sync/s"));
  EXPECT_EQ(del.response.result_int(), 405);
  EXPECT_EQ(Header(del.response, "Allow"), "GET, POST, OPTIONS");

  const HttpServerStats stats = server_->stats();
  uint64_t ok = 0;
  for (const auto& [status, n] : stats.answers) {
    if (status == 200) ok = n;
  }
  EXPECT_EQ(ok, 4u);
  EXPECT_EQ(server_->counters().answers(404), 1u);
}

TEST_F(HttpServerTest, PageIsServedOnlyWhenEnabled) {
  HttpServerOptions options = TestOptions();
  options.page = false;
  StartServer(options);
  EXPECT_EQ(Fetch(port_, Request(http::verb::get, "/")).response.result_int(), 404);
  EXPECT_EQ(Fetch(port_, Request(http::verb::get, "/client.js")).response.result_int(), 200);
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  StartServer();
  HttpResult result =
      Fetch(port_, Request(http::verb::get, "/healthz", {{"X-Big", std::string(20000, 'a')}}));
  EXPECT_EQ(result.response.result_int(), 431);
  EXPECT_TRUE(result.closed_after);
}

TEST_F(HttpServerTest, ARequestThatTricklesIsCutOff) {
  HttpServerOptions options = TestOptions();
  options.request_timeout = 300ms;
  StartServer(options);
  RawClient client;
  ASSERT_TRUE(client.Connect(port_));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // and never the end
  EXPECT_TRUE(client.ReadUntilEof(5s)) << client.error.message();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_TRUE(client.received.empty());
  EXPECT_TRUE(WaitUntil([&] { return server_->counters().closes(CloseCause::kTimeout) == 1; }));

  // An idle kept-alive connection too.
  RawClient idle;
  ASSERT_TRUE(idle.Connect(port_));
  ASSERT_TRUE(idle.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(idle.ReadUntilEof(5s));
  EXPECT_NE(idle.received.find(R"({"ok":true})"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Limits, listening, stopping.

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAre503) {
  HttpServerOptions options = TestOptions();
  options.max_connections = 2;
  StartServer(options);
  auto first = std::make_unique<WsClient>();
  ASSERT_TRUE(first->Open(port_, "/sync/s"));
  WsClient second;
  ASSERT_TRUE(second.Open(port_, "/sync/s"));
  HttpResult refused = Fetch(port_, Request(http::verb::get, "/healthz"));
  EXPECT_EQ(refused.response.result_int(), 503);
  EXPECT_NE(refused.response.body().find("max_connections"), std::string::npos);
  EXPECT_EQ(refused.response.body().rfind(R"({"error":)", 0), 0u);
  EXPECT_TRUE(refused.closed_after);
  EXPECT_TRUE(WaitUntil([&] { return server_->counters().closes(CloseCause::kOverLimit) == 1; }));

  first->Close();
  first.reset();
  ASSERT_TRUE(WaitUntil([&] { return server_->counters().open(Transport::kWebSocket) == 1; }));
  EXPECT_EQ(Fetch(port_, Request(http::verb::get, "/healthz")).response.result_int(), 200);
}

TEST_F(HttpServerTest, APortInUseIsNamed) {
  StartServer();
  net::io_context io;
  HttpServerOptions options = TestOptions();
  options.listen.port = port_;
  HttpServer second(io, options, &service_);
  Status started = second.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << started.message();
  EXPECT_NE(started.message().find("another process"), std::string::npos) << started.message();
}

TEST_F(HttpServerTest, StopClosesEveryConnection) {
  StartServer();
  WsClient ws1;
  WsClient ws2;
  ASSERT_TRUE(ws1.Open(port_, "/sync/a"));
  ASSERT_TRUE(ws2.Open(port_, "/sync/b?batch=1"));
  RawClient sse;
  ASSERT_TRUE(sse.Connect(port_));
  ASSERT_TRUE(sse.Send(SseRequest("/sync/c")));
  ASSERT_TRUE(sse.ReadUntilContains("retry: 2000"));
  RawClient idle;  // a kept-alive HTTP connection between requests
  ASSERT_TRUE(idle.Connect(port_));
  ASSERT_TRUE(idle.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.ReadUntilContains(R"({"ok":true})"));
  Feed(0, {Message(1)});
  EXPECT_EQ(ws1.Read(), R"({"seq":1,"op":"update"})");

  const auto start = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [&] { server_->Stop(); });
  for (WsClient* client : {&ws1, &ws2}) {
    const websocket::close_reason reason = client->ReadUntilClosed();
    EXPECT_EQ(reason.code, websocket::close_code::going_away);
    EXPECT_EQ(std::string(reason.reason.data(), reason.reason.size()), "gateway stopping");
  }
  EXPECT_TRUE(sse.ReadUntilEof());
  bool complete = false;
  Dechunk(sse.received.substr(sse.received.find("\r\n\r\n") + 4), &complete);
  EXPECT_TRUE(complete);
  EXPECT_TRUE(idle.ReadUntilEof());
  ASSERT_EQ(stopped.wait_for(kWait), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "within stop_timeout";
  EXPECT_TRUE(WaitUntil([this] { return io_returned_.load(); })) << "nothing left on the io thread";
  for (const auto& sub : service_.subs) {  // the io thread is done: read directly
    EXPECT_TRUE(sub->closed);
    EXPECT_EQ(sub->closed_calls, 1);
  }
  const HttpServerStats stats = server_->stats();
  EXPECT_EQ(stats.open[static_cast<size_t>(Transport::kWebSocket)], 0);
  EXPECT_EQ(stats.open[static_cast<size_t>(Transport::kServerSentEvents)], 0);
  EXPECT_EQ(stats.open[static_cast<size_t>(Transport::kHttp)], 0);
  EXPECT_EQ(stats.closes[static_cast<size_t>(CloseCause::kStopping)], 4u);

  // No longer listening.
  RawClient late;
  EXPECT_FALSE(late.Connect(port_));
}

TEST_F(HttpServerTest, StopOnTheIoThreadReturnsAtOnce) {
  StartServer();
  WsClient client;
  ASSERT_TRUE(client.Open(port_, "/sync/s"));
  OnIo([&] {
    server_->Stop();  // cannot wait here: the closes run after it returns
    return 0;
  });
  const websocket::close_reason reason = client.ReadUntilClosed();
  EXPECT_EQ(reason.code, websocket::close_code::going_away);
  EXPECT_TRUE(WaitUntil([this] { return io_returned_.load(); }));
  EXPECT_TRUE(service_.subs[0]->closed);
}

TEST_F(HttpServerTest, StopClosesAStuckClientAfterTheTimeout) {
  HttpServerOptions options = TestOptions();
  options.stop_timeout = 500ms;
  options.write_timeout = 60s;
  options.websocket_idle_timeout = 60s;
  StartServer(options);
  OnIo([&] {
    service_.prepare = [](SubState& s) {
      s.endless = true;
      s.endless_size = 16 * 1024;
    };
    return 0;
  });
  WsClient stalled;  // never reads: its write never completes, nor does a close handshake
  stalled.SetReceiveBuffer(64 * 1024);
  ASSERT_TRUE(stalled.Open(port_, "/sync/s"));
  Feed(0, {});
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(WaitUntil([this] { return io_returned_.load(); }));
  EXPECT_TRUE(service_.subs[0]->closed);
}

// ---------------------------------------------------------------------------
// TLS.

class HttpServerTlsTest : public HttpServerTest {
 protected:
  void SetUp() override {
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
        dir_.Join("key.pem") + " -out " + dir_.Join("cert.pem") + " 2>" + dir_.Join("openssl.log");
    ASSERT_EQ(std::system(command.c_str()), 0)
        << "the openssl command line (Debian package openssl) made no certificate: "
        << test::ReadFileToString(dir_.Join("openssl.log")).value();
  }

  HttpServerOptions TlsOptions() {
    HttpServerOptions options = TestOptions();
    options.tls = HttpTlsFiles{dir_.Join("cert.pem"), dir_.Join("key.pem")};
    return options;
  }

  // A client context that trusts the test's certificate.
  std::unique_ptr<ssl::context> ClientContext() {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    context->load_verify_file(dir_.Join("cert.pem"));
    context->set_verify_mode(ssl::verify_peer);
    return context;
  }

  test::TempDir dir_ = test::TempDir::CreateOrDie("gateway-tls-");
};

TEST_F(HttpServerTlsTest, ServesHttpsAndWss) {
  StartServer(TlsOptions());
  auto context = ClientContext();

  net::io_context io;
  beast::ssl_stream<beast::tcp_stream> stream(io, *context);
  auto cancel = [&] { beast::get_lowest_layer(stream).close(); };
  ASSERT_FALSE(Await(io, cancel, [&](auto handler) {
    beast::get_lowest_layer(stream).async_connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), handler);
  }));
  ASSERT_FALSE(Await(io, cancel, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, handler);
  }));
  EXPECT_GE(SSL_version(stream.native_handle()), TLS1_2_VERSION);
  HttpResult health = Exchange(io, stream, Request(http::verb::get, "/healthz"));
  EXPECT_EQ(health.response.result_int(), 200);
  EXPECT_EQ(health.response.body(), R"({"ok":true})");

  WssClient client(*context);
  ASSERT_TRUE(client.Open(port_, "/sync/s?token=t")) << client.error.message();
  Feed(0, {Message(1), Message(2)});
  EXPECT_EQ(client.Read(), R"({"seq":1,"op":"update"})");
  EXPECT_EQ(client.Read(), R"({"seq":2,"op":"update"})");
  Feed(0, {}, CloseReason{4008, "slow client: resume with from=2"});
  EXPECT_EQ(client.ReadUntilClosed().code, 4008);

  // Plain HTTP on the TLS port gets no answer.
  RawClient plain;
  ASSERT_TRUE(plain.Connect(port_));
  ASSERT_TRUE(plain.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(plain.ReadUntilEof());
  EXPECT_EQ(plain.received.find("200"), std::string::npos);
}

TEST_F(HttpServerTlsTest, ATls11ClientIsRefused) {
  StartServer(TlsOptions());
  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(context.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(context.native_handle(), 0);
  net::io_context io;
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  auto cancel = [&] { beast::get_lowest_layer(stream).close(); };
  ASSERT_FALSE(Await(io, cancel, [&](auto handler) {
    beast::get_lowest_layer(stream).async_connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), handler);
  }));
  EXPECT_TRUE(Await(io, cancel, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, handler);
  }));
}

TEST_F(HttpServerTlsTest, BadFilesAreNamedWithOpenSslsReason) {
  net::io_context io;
  const std::string garbage = dir_.Write("garbage.pem", "not a certificate\n");
  HttpServerOptions options = TlsOptions();
  options.tls->cert_file = garbage;
  HttpServer bad_cert(io, options, &service_);
  Status status = bad_cert.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("tls.cert_file " + garbage), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("no start line"), std::string::npos) << status.message();

  options = TlsOptions();
  options.tls->key_file = dir_.Join("missing.pem");
  HttpServer missing_key(io, options, &service_);
  status = missing_key.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("tls.key_file " + dir_.Join("missing.pem")), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("No such file or directory"), std::string::npos)
      << status.message();

  // Another key than the certificate's.
  const std::string other_key = dir_.Join("other.pem");
  ASSERT_EQ(std::system(("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 "
                         "-out " +
                         other_key + " 2>/dev/null")
                            .c_str()),
            0);
  options = TlsOptions();
  options.tls->key_file = other_key;
  HttpServer mismatch(io, options, &service_);
  status = mismatch.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("does not match the certificate"), std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace deltabridge
