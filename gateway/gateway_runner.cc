#include "gateway/gateway_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "cdc/core/glob.h"
#include "cdc/core/log_limiter.h"
#include "cdc/metrics/metrics_server.h"
#include "gateway/entity_store.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_service.h"
#include "gateway/gateway_status_file.h"
#include "gateway/http_server.h"
#include "gateway/hub.h"
#include "sinks/subscriber.h"

namespace deltabridge {
namespace {

// At most this many deltas wait between a bridge's subscriber and the
// materializer; beyond, the subscriber waits (and the bridge's socket
// buffers, then drops what the replay repairs).
constexpr size_t kMaxQueued = 20'000;
// At most this many committed batches wait for the network thread.
constexpr size_t kMaxPendingPublishes = 64;

// The topic patterns of `bridge`'s entities, sorted and unique.
std::vector<std::string> PatternsOf(const GatewayConfig& config, std::string_view bridge) {
  std::set<std::string> patterns;
  for (const auto& entity : config.entities) {
    if (entity.bridge != bridge) continue;
    patterns.insert(entity.from.begin(), entity.from.end());
  }
  return {patterns.begin(), patterns.end()};
}

// One bridge's stream: the subscriber on a thread of its own, handing the
// deltas of the entities' tables to the materializer.
class Feed {
 public:
  Feed(const SubscribeConfig& sub, std::vector<std::string> patterns, uint64_t from_seq,
       const GatewayRunnerOptions& options, std::function<void()> notify)
      : sub_(sub),
        patterns_(std::move(patterns)),
        subscriber_(MakeOptions(sub, from_seq, options)),
        notify_(std::move(notify)) {}

  ~Feed() { Join(); }

  void Start() {
    thread_ = std::thread([this] {
      Status s = subscriber_.Run([this](std::string_view topic, std::string_view body,
                                        uint64_t seq) { return Take(topic, body, seq); },
                                 stop_);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ended_ = s;
        space_.notify_all();
      }
      notify_();
    });
  }

  void Stop() {
    stop_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    space_.notify_all();
  }
  void Join() {
    Stop();
    if (thread_.joinable()) thread_.join();
  }

  struct Item {
    uint64_t seq = 0;
    Row body;
  };
  // What arrived, and the seq through which the whole stream has been seen
  // (read before the items are taken: every delta up to it is among them,
  // was taken before, or was not the gateway's).
  uint64_t TakeAll(std::vector<Item>* out) {
    const uint64_t seen = subscriber_.last_seq();
    std::lock_guard<std::mutex> lock(mu_);
    while (!queue_.empty()) {
      out->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    space_.notify_all();
    return seen;
  }

  std::optional<Status> Ended() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }
  const std::string& bridge() const { return sub_.bridge; }
  SubscriberCounters counters() const { return subscriber_.counters(); }
  uint64_t malformed() const { return malformed_.load(); }
  // A delta that decoded as JSON but is not one the store can apply.
  void CountMalformed() { ++malformed_; }

 private:
  static SubscriberOptions MakeOptions(const SubscribeConfig& sub, uint64_t from_seq,
                                       const GatewayRunnerOptions& options) {
    SubscriberOptions o;
    o.publish_endpoint = sub.publish;
    o.replay_endpoint = sub.replay;
    o.from_seq = from_seq;
    o.topic_prefixes = sub.topics;
    o.heartbeat_timeout = options.heartbeat_timeout;
    return o;
  }

  Status Take(std::string_view topic, std::string_view body, uint64_t seq) {
    bool wanted = false;
    for (const auto& pattern : patterns_) {
      if (GlobMatch(pattern, topic)) {
        wanted = true;
        break;
      }
    }
    if (!wanted) return Status::Ok();
    Row parsed = Row::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object()) {
      ++malformed_;
      if (uint64_t held = 0; log_limiter_.Allow(&held)) {
        spdlog::warn("bridge {}: delta {} on {} is not a JSON object; skipped{}", sub_.bridge, seq,
                     topic,
                     held ? " (" + std::to_string(held) + " more since the last such line)" : "");
      }
      return Status::Ok();
    }
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return stop_ || queue_.size() < kMaxQueued; });
    if (stop_) return Status::Aborted("stopping");
    queue_.push_back({seq, std::move(parsed)});
    lock.unlock();
    notify_();
    return Status::Ok();
  }

  const SubscribeConfig& sub_;
  const std::vector<std::string> patterns_;
  Subscriber subscriber_;
  std::function<void()> notify_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable space_;
  std::deque<Item> queue_;
  std::optional<Status> ended_;
  std::atomic<uint64_t> malformed_{0};
  LogLimiter log_limiter_{std::chrono::seconds(10)};
};

HttpServerOptions MakeHttpServerOptions(const GatewayConfig& config) {
  HttpServerOptions o;
  o.listen = config.listen;
  if (config.tls) o.tls = HttpTlsFiles{config.tls->cert_file, config.tls->key_file};
  o.cors_origins = config.cors_origins;
  o.page = config.page;
  o.max_request_bytes = config.limits.max_request_bytes;
  o.max_connections = config.limits.max_connections;
  o.name = config.name;
  return o;
}

nlohmann::json ServerJson(const HttpServerStats& stats) {
  nlohmann::json j;
  nlohmann::json open = nlohmann::json::object();
  for (size_t t = 0; t < kTransportCount; ++t) {
    open[std::string(TransportName(static_cast<Transport>(t)))] = stats.open[t];
  }
  j["open"] = std::move(open);
  j["messages_sent"] = stats.messages_sent;
  j["bytes_sent"] = stats.bytes_sent;
  nlohmann::json closes = nlohmann::json::object();
  for (size_t c = 0; c < kCloseCauseCount; ++c) {
    if (stats.closes[c] != 0) {
      closes[std::string(CloseCauseName(static_cast<CloseCause>(c)))] = stats.closes[c];
    }
  }
  j["closes"] = std::move(closes);
  nlohmann::json answers = nlohmann::json::object();
  for (const auto& [status, count] : stats.answers) answers[std::to_string(status)] = count;
  j["answers"] = std::move(answers);
  return j;
}

}  // namespace

GatewayRunner::GatewayRunner(GatewayConfig config, GatewayRunnerOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

GatewayRunner::~GatewayRunner() = default;

Status GatewayRunner::Run(const std::atomic<bool>& stop) {
  std::vector<std::string> bridges;
  for (const auto& sub : config_.subscribe) bridges.push_back(sub.bridge);
  DB_ASSIGN_OR_RETURN(std::unique_ptr<EntityStore> store,
                      EntityStore::Open(config_.state_dir + "/store", bridges));

  // Where each bridge resumes; entities changed since the rows were built: rebuild.
  std::map<std::string, uint64_t, std::less<>> applied;
  {
    DB_ASSIGN_OR_RETURN(EntityStore::Batch batch, store->Begin());
    for (const auto& sub : config_.subscribe) {
      const std::vector<std::string> wanted = PatternsOf(config_, sub.bridge);
      DB_ASSIGN_OR_RETURN(std::vector<std::string> built, store->Patterns(&batch, sub.bridge));
      if (built != wanted) {
        if (!built.empty()) {
          spdlog::warn(
              "gateway {}: the entities of bridge {} changed since their rows were built; "
              "rebuilding them from the bridge's journal (seq 1)",
              config_.name, sub.bridge);
        }
        DB_RETURN_IF_ERROR(store->ResetBridge(&batch, sub.bridge));
        DB_RETURN_IF_ERROR(store->SetPatterns(&batch, sub.bridge, wanted));
      }
    }
    DB_RETURN_IF_ERROR(store->Commit(std::move(batch)));
    DB_ASSIGN_OR_RETURN(EntityStore::Reader reader, store->Read());
    for (const auto& sub : config_.subscribe) applied[sub.bridge] = reader.Applied(sub.bridge);
  }

  boost::asio::io_context io(1);
  auto work = boost::asio::make_work_guard(io);
  Hub hub(io, config_, store.get());
  GatewayCore core(io, config_, &hub, store.get());
  DB_RETURN_IF_ERROR(core.Start());
  HttpServerOptions server_options = MakeHttpServerOptions(config_);
  HttpServer server(io, server_options, &core);
  DB_RETURN_IF_ERROR(server.Start());
  const uint16_t port = server.port();
  // The latest status, for scrapes (refreshed once a second below).
  std::mutex latest_mu;
  GatewayStatus latest;
  latest.gateway = config_.name;
  MetricsServer metrics;
  if (config_.metrics) {
    Status ms = metrics.Start(*config_.metrics, "gateway " + config_.name, [&] {
      std::lock_guard<std::mutex> lock(latest_mu);
      return RenderGatewayMetrics(latest);
    });
    if (!ms.ok()) {
      hub.Stop();
      server.Stop();
      core.Stop();
      return ms;
    }
  }
  spdlog::info("gateway {}: listening on {}:{} ({}), {} entit{}", config_.name, config_.listen.host,
               port, config_.tls ? "https, wss" : "http, ws", config_.entities.size(),
               config_.entities.size() == 1 ? "y" : "ies");
  for (const auto& [bridge, seq] : applied) hub.Publish(bridge, {}, seq);
  hub.StartHeartbeats();
  std::thread network([&io] { io.run(); });

  std::mutex wake_mu;
  std::condition_variable wake_cv;
  bool woken = false;
  auto notify = [&] {
    std::lock_guard<std::mutex> lock(wake_mu);
    woken = true;
    wake_cv.notify_one();
  };
  std::vector<std::unique_ptr<Feed>> feeds;
  for (const auto& sub : config_.subscribe) {
    feeds.push_back(std::make_unique<Feed>(sub, PatternsOf(config_, sub.bridge),
                                           applied[sub.bridge] + 1, options_, notify));
    spdlog::info("gateway {}: following bridge {} from seq {}", config_.name, sub.bridge,
                 applied[sub.bridge] + 1);
  }
  for (auto& feed : feeds) feed->Start();
  if (options_.on_listening) options_.on_listening(port);

  GatewayStatusFile status_file(config_.state_dir + "/status.json");
  auto last_status = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  auto last_trim = std::chrono::steady_clock::now();
  // (seq, when) at each commit, for the age bound of the log.
  std::map<std::string, std::deque<std::pair<uint64_t, std::chrono::system_clock::time_point>>,
           std::less<>>
      commits;

  Status result = Status::Ok();
  LogLimiter skip_limiter(std::chrono::seconds(10));
  // Batches committed and posted to the network thread, not yet fanned out.
  std::atomic<size_t> pending_publishes{0};
  auto materialize = [&]() -> Status {
    for (auto& feed : feeds) {
      std::vector<Feed::Item> items;
      const uint64_t seen = feed->TakeAll(&items);
      uint64_t& position = applied[feed->bridge()];
      uint64_t through = std::max(position, seen);
      if (!items.empty()) through = std::max(through, items.back().seq);
      if (items.empty() && through == position) continue;
      DB_ASSIGN_OR_RETURN(EntityStore::Batch batch, store->Begin());
      std::vector<RowChange> changes;
      for (const auto& item : items) {
        if (item.seq <= position) continue;  // already applied (a replay's overlap)
        Result<std::optional<RowChange>> change =
            store->Apply(&batch, feed->bridge(), item.body, item.seq);
        if (!change.ok()) {
          if (change.status().code() != Status::Code::kCorruption) return change.status();
          feed->CountMalformed();
          if (uint64_t held = 0; skip_limiter.Allow(&held)) {
            spdlog::warn(
                "gateway {}: {}; skipped (counted as malformed){}", config_.name,
                change.status().message(),
                held ? " (" + std::to_string(held) + " more since the last such line)" : "");
          }
          continue;
        }
        if (*change) changes.push_back(std::move(**change));
      }
      DB_RETURN_IF_ERROR(store->SetApplied(&batch, feed->bridge(), through));
      auto& history = commits[feed->bridge()];
      const auto now = std::chrono::system_clock::now();
      history.emplace_back(through, now);
      if (std::chrono::steady_clock::now() - last_trim > std::chrono::seconds(5)) {
        uint64_t floor =
            through > config_.history.max_deltas ? through - config_.history.max_deltas : 0;
        const auto oldest = now - config_.history.max_age;
        while (!history.empty() && history.front().second < oldest) {
          floor = std::max(floor, history.front().first);
          history.pop_front();
        }
        if (floor > 0) DB_RETURN_IF_ERROR(store->TrimLog(&batch, feed->bridge(), floor));
      }
      while (history.size() > 100'000) history.pop_front();
      DB_RETURN_IF_ERROR(store->Commit(std::move(batch)));
      position = through;
      // Back-pressure: while the network thread is this far behind, the
      // materializer waits (and with it the feeds, then the bridge's socket,
      // whose losses the replay repairs), so memory stays bounded.
      while (pending_publishes.load() >= kMaxPendingPublishes && !stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      ++pending_publishes;
      boost::asio::post(io, [&hub, &pending_publishes, bridge = feed->bridge(),
                             changes = std::move(changes), through]() mutable {
        hub.Publish(bridge, std::move(changes), through);
        --pending_publishes;
      });
    }
    if (std::chrono::steady_clock::now() - last_trim > std::chrono::seconds(5)) {
      last_trim = std::chrono::steady_clock::now();
    }
    return Status::Ok();
  };

  while (!stop) {
    {
      std::unique_lock<std::mutex> lock(wake_mu);
      wake_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return woken || stop; });
      woken = false;
    }
    if (Status s = materialize(); !s.ok()) {
      result = s;
      break;
    }
    for (auto& feed : feeds) {
      std::optional<Status> ended = feed->Ended();
      if (!ended || stop) continue;
      Status s = ended->ok() ? Status::Unavailable("the subscriber of " + feed->bridge() + " ended")
                             : *ended;
      if (s.code() == Status::Code::kFailedPrecondition) {
        s = Status::FailedPrecondition(
            s.message() + ". The gateway holds bridge " + feed->bridge() + " through seq " +
            std::to_string(applied[feed->bridge()]) +
            "; the bridge's journal no longer has what follows, so the gateway cannot build "
            "its rows without a gap. A gateway builds its rows from the bridge's stream; if its "
            "store is new (or was rebuilt because the entities changed) it needs the journal "
            "from seq 1: raise the bridge's retention before starting a new gateway. The store "
            "is in " +
            config_.state_dir + "/store");
      }
      result = s;
      break;
    }
    if (!result.ok()) break;
    if (std::chrono::steady_clock::now() - last_status > std::chrono::seconds(1)) {
      last_status = std::chrono::steady_clock::now();
      GatewayStatus status;
      status.gateway = config_.name;
      for (const auto& feed : feeds) {
        GatewayStatus::Bridge b;
        b.name = feed->bridge();
        b.applied = applied[feed->bridge()];
        const SubscriberCounters c = feed->counters();
        b.gaps_repaired = c.gaps_repaired;
        b.reconnects = c.reconnects;
        b.malformed = c.malformed + feed->malformed();
        status.bridges.push_back(b);
      }
      // The network thread's figures, read there.
      std::promise<void> read;
      boost::asio::post(io, [&] {
        status.streams = hub.stream_count();
        status.hub = hub.counters();
        status.core = core.counters();
        read.set_value();
      });
      read.get_future().wait();
      status.pushes = core.push_counters();
      status.server = ServerJson(server.stats());
      {
        std::lock_guard<std::mutex> lock(latest_mu);
        latest = status;
      }
      if (Status s = status_file.Write(status); !s.ok()) {
        spdlog::warn("gateway {}: {}", config_.name, s.message());
      }
    }
  }

  // Stopping: no new deltas; commit what arrived; close every stream; stop.
  for (auto& feed : feeds) feed->Stop();
  for (auto& feed : feeds) feed->Join();
  if (result.ok()) result = materialize();
  {
    std::promise<void> closed;
    boost::asio::post(io, [&] {
      hub.Stop();
      hub.CloseAll("gateway stopping");
      closed.set_value();
    });
    closed.get_future().wait();
  }
  server.Stop();
  core.Stop();
  work.reset();
  io.stop();
  network.join();
  spdlog::info("gateway {}: stopped", config_.name);
  return result;
}

}  // namespace deltabridge
