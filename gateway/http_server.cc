#include "gateway/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <utility>
#include <vector>

#include "gateway/http_session.h"
#include "gateway/server_state.h"
#include "gateway/tls_context.h"

namespace deltabridge {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Connections beyond max_connections are answered 503; beyond this many of
// those at once, further ones are closed without an answer.
constexpr size_t kMaxRefusing = 64;
// After an accept error (out of file descriptors), wait this long before the
// next accept rather than spin.
constexpr std::chrono::milliseconds kAcceptRetry{100};

std::string EndpointText(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// Runs Stop() on the network thread: stop accepting, ask every connection to
// end, close what is left after stop_timeout; `done` once none is open.
void StopOnIoThread(const std::shared_ptr<ServerState>& state, std::function<void()> close_listener,
                    std::function<void()> done) {
  state->stopping = true;
  close_listener();
  auto force = std::make_shared<net::steady_timer>(state->io, state->options.stop_timeout);
  state->on_all_closed = [force, done = std::move(done)] {
    force->cancel();
    done();
  };
  force->async_wait([state, force](boost::system::error_code ec) {
    if (ec) return;  // all closed in time
    std::vector<std::shared_ptr<Connection>> left;
    for (auto& [id, weak] : state->connections) {
      if (auto connection = weak.lock()) left.push_back(std::move(connection));
    }
    if (!left.empty()) {
      spdlog::warn("{}: closing {} connection(s) that did not end within {} ms",
                   state->options.name, left.size(), state->options.stop_timeout.count());
    }
    for (auto& connection : left) connection->ForceClose();
  });
  // Shutdown() may end a connection at once, which changes the map.
  std::vector<std::shared_ptr<Connection>> open;
  for (auto& [id, weak] : state->connections) {
    if (auto connection = weak.lock()) open.push_back(std::move(connection));
  }
  for (auto& connection : open) connection->Shutdown();
  if (state->connections.empty() && state->on_all_closed) {
    auto all_closed = std::move(state->on_all_closed);
    state->on_all_closed = nullptr;
    all_closed();
  }
}

}  // namespace

class HttpServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(std::shared_ptr<ServerState> state)
      : state_(std::move(state)), acceptor_(state_->io), retry_(state_->io) {}

  Result<uint16_t> Open() {
    const HostPort& listen = state_->options.listen;
    boost::system::error_code ec;
    tcp::endpoint endpoint;
    const auto address = net::ip::make_address(listen.host, ec);
    if (!ec) {
      endpoint = tcp::endpoint(address, listen.port);
    } else {
      tcp::resolver resolver(state_->io);
      const auto results = resolver.resolve(listen.host, std::to_string(listen.port), ec);
      if (ec || results.empty()) {
        return Status::InvalidArgument(state_->options.name + ": cannot resolve the listen host '" +
                                       listen.host + "': " + ec.message() +
                                       " (give an IP address or a name this machine resolves)");
      }
      endpoint = results.begin()->endpoint();
    }
    const std::string shown = listen.ToString();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (ec) {
      std::string advice = "check `listen:` in the gateway file";
      if (ec == net::error::address_in_use) {
        advice =
            "another process is using this port: stop it or change `listen:` in the gateway "
            "file";
      } else if (ec == net::error::access_denied) {
        advice = "ports below 1024 need root or CAP_NET_BIND_SERVICE: use a higher port";
      } else if (ec == boost::system::errc::address_not_available) {
        advice = "the address is not one of this machine's: change `listen:`";
      }
      acceptor_.close();
      return Status::FailedPrecondition(state_->options.name + ": cannot listen on " + shown +
                                        ": " + ec.message() + " (" + advice + ")");
    }
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor_.close();
      return Status::FailedPrecondition(state_->options.name + ": cannot listen on " + shown +
                                        ": " + ec.message());
    }
    return acceptor_.local_endpoint().port();
  }

  void Accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          self->OnAccept(ec, std::move(socket));
        });
  }

  void Close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
  }

 private:
  void OnAccept(boost::system::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open() || state_->stopping) return;
    if (ec) {
      spdlog::warn("{}: accepting a connection failed: {}; retrying", state_->options.name,
                   ec.message());
      retry_.expires_after(kAcceptRetry);
      retry_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec) self->Accept();
      });
      return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const auto remote = socket.remote_endpoint(ignored);
    const std::string peer = EndpointText(remote);
    const bool over =
        state_->connections.size() - state_->refusing >= state_->options.max_connections;
    if (over && state_->refusing >= kMaxRefusing) {
      socket.close(ignored);
      state_->counters.Closed(CloseCause::kOverLimit);
    } else {
      ConnectionSlot slot(state_, over);
      beast::tcp_stream stream(std::move(socket));
      if (state_->tls) {
        std::make_shared<HttpSession<TlsStream>>(state_, TlsStream(std::move(stream), *state_->tls),
                                                 std::move(slot), peer, over)
            ->Start();
      } else {
        std::make_shared<HttpSession<PlainStream>>(state_, std::move(stream), std::move(slot), peer,
                                                   over)
            ->Start();
      }
    }
    Accept();
  }

  std::shared_ptr<ServerState> state_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
};

HttpServer::HttpServer(boost::asio::io_context& io, HttpServerOptions options,
                       GatewayService* service)
    : state_(std::make_shared<ServerState>(io, std::move(options), service)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (started_) return Status::FailedPrecondition(state_->options.name + ": already started");
  if (state_->options.tls) {
    DB_ASSIGN_OR_RETURN(state_->tls, MakeServerTlsContext(state_->options.tls->cert_file,
                                                          state_->options.tls->key_file));
  }
  listener_ = std::make_shared<Listener>(state_);
  DB_ASSIGN_OR_RETURN(port_, listener_->Open());
  started_ = true;
  listener_->Accept();
  const HostPort& listen = state_->options.listen;
  spdlog::info("{}: serving {}://{} (WebSocket and Server-Sent Events on /sync/<entity>)",
               state_->options.name, state_->tls ? "https" : "http",
               HostPort{listen.host, port_}.ToString());
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!started_ || stopped_.exchange(true)) return;
  std::shared_ptr<Listener> listener = listener_;
  auto close_listener = [listener] { listener->Close(); };
  net::io_context& io = state_->io;
  if (io.get_executor().running_in_this_thread() || io.stopped()) {
    // On the io thread nothing can be waited for; with no thread running
    // io, nothing will run the handlers either.
    StopOnIoThread(state_, close_listener, [] {});
    return;
  }
  auto finished = std::make_shared<std::promise<void>>();
  std::future<void> waited = finished->get_future();
  net::post(io, [state = state_, close_listener, finished] {
    StopOnIoThread(state, close_listener, [finished] { finished->set_value(); });
  });
  // stop_timeout for the clean closes, then a second for the forced ones.
  if (waited.wait_for(state_->options.stop_timeout + std::chrono::seconds(1)) !=
      std::future_status::ready) {
    spdlog::warn("{}: Stop() returns with connections still open (is the io thread running?)",
                 state_->options.name);
  }
}

HttpServerStats HttpServer::stats() const { return state_->counters.Snapshot(); }

const HttpServerCounters& HttpServer::counters() const { return state_->counters; }

}  // namespace deltabridge
