#include "sinks/sink_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <thread>

#include "cdc/core/log_limiter.h"
#include "cdc/core/wall_clock.h"
#include "cdc/wire/envelope.h"
#include "sinks/echo_filter.h"
#include "sinks/node_directory.h"
#include "sinks/subscriber.h"

namespace deltabridge {
namespace {

using Clock = std::chrono::steady_clock;

// Whether a delta body closes its source transaction. The bridge's encoder
// (cdc/wire/envelope.cc) writes "tx" last: ...,"tx":{"id":"731","last":true}}.
bool BodyEndsTransaction(std::string_view body) { return body.ends_with(",\"last\":true}}"); }

// "a, b, c" for a log line.
std::string JoinPath(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& node : path) out += (out.empty() ? "" : ", ") + node;
  return out;
}

// Wakes the applier when a feed has news. The generation makes a wake-up
// that comes between the applier's last poll and its wait count.
struct Waker {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t generation = 0;  // guarded by mu

  void Wake() {
    std::lock_guard<std::mutex> lock(mu);
    ++generation;
    cv.notify_one();
  }
  uint64_t Generation() {
    std::lock_guard<std::mutex> lock(mu);
    return generation;
  }
  void WaitFor(uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, timeout, [&] { return generation != seen; });
  }
};

}  // namespace

// One bridge: its subscriber thread and its queue.
class SinkRunner::Feed {
 public:
  Feed(const SinkConfig& config, const SubscribeConfig& sub, uint64_t from_seq,
       const SinkRunnerOptions& options, Waker* waker, FeedCounters* counters, NodeDirectory* nodes)
      : config_(config),
        sub_(sub),
        capacity_(std::max<size_t>(1, options.queue_capacity)),
        resume_at_(capacity_ / 2),
        heartbeat_wait_(2 * options.heartbeat_timeout),
        waker_(waker),
        counters_(counters),
        nodes_(nodes),
        subscriber_(MakeOptions(sub, from_seq, options, nodes)) {}

  ~Feed() { Stop(); }

  void Start() {
    thread_ = std::thread([this] {
      Status s = subscriber_.Run([this](std::string_view topic, std::string_view body,
                                        uint64_t seq) { return Handle(topic, body, seq); },
                                 stop_);
      {
        std::lock_guard<std::mutex> lock(mu_);
        result_ = s;
        ended_ = true;
      }
      Wake();
    });
  }

  void Stop() {
    stop_ = true;
    not_full_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // The subscriber's whole-stream position, read before Empty() (see the
  // checkpoint invariant in sink_runner.h).
  uint64_t last_seq() const { return subscriber_.last_seq(); }

  // Applier thread only. Deltas move from the shared queue into taken_ up to
  // kTakeAtOnce at a time, under one lock (not one lock per delta).
  bool Pop(SinkDelta* out) {
    if (taken_next_ == taken_.size()) {
      taken_.clear();
      taken_next_ = 0;
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) return false;
      const size_t before = queue_.size();
      const size_t n = std::min(before, kTakeAtOnce);
      std::move(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n),
                std::back_inserter(taken_));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
      // The subscriber, once it found the queue full, waits until it is down
      // to half: woken once per half a queue, not once per delta.
      if (before > resume_at_ && queue_.size() <= resume_at_) not_full_.notify_one();
    }
    *out = std::move(taken_[taken_next_++]);
    return true;
  }

  // Applier thread only: nothing received is waiting to be popped.
  bool Empty() const {
    if (taken_next_ != taken_.size()) return false;
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.empty();
  }

  // Applier thread: hands deltas it has applied back to be destroyed on the
  // subscriber thread, which allocated their strings: glibc frees a block
  // cheaply on the thread whose arena it came from; from another thread it
  // takes that arena's lock and consolidates (malloc and free were a fifth
  // of the sink's profile applying inserts, most of it on the applier, the
  // sink's critical path). At most kMaxDiscarded deltas wait; beyond that
  // `deltas` is left as it is, for the caller to free.
  void Discard(std::vector<SinkDelta>&& deltas) {
    std::lock_guard<std::mutex> lock(mu_);
    if (discarded_count_ + deltas.size() > kMaxDiscarded) return;
    discarded_count_ += deltas.size();
    discarded_.push_back(std::move(deltas));
  }

  // Destroys what Discard() left, on the calling thread (the subscriber's as
  // it queues; the applier's when it is idle).
  void FreeDiscarded() {
    std::vector<std::vector<SinkDelta>> doomed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (discarded_.empty()) return;
      doomed.swap(discarded_);
      discarded_count_ = 0;
    }
  }

  // Set once the subscriber returned: its Status.
  std::optional<Status> Ended() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ended_) return std::nullopt;
    return result_;
  }

  const std::string& bridge() const { return sub_.bridge; }

 private:
  static SubscriberOptions MakeOptions(const SubscribeConfig& sub, uint64_t from_seq,
                                       const SinkRunnerOptions& options, NodeDirectory* nodes) {
    SubscriberOptions o;
    o.publish_endpoint = sub.publish;
    o.replay_endpoint = sub.replay;
    o.from_seq = from_seq;
    // Every topic reaches the handler, which picks the sink's own: it must
    // see where the source transactions of other tables end.
    o.heartbeat_timeout = options.heartbeat_timeout;
    o.on_heartbeat = [nodes, bridge = sub.bridge](const SourceNodes& source_nodes) {
      nodes->RecordHeartbeat(bridge, source_nodes);
    };
    return o;
  }

  bool Applies(std::string_view topic) const {
    for (const std::string& p : sub_.topics) {
      if (topic.starts_with(p)) return true;
    }
    return false;
  }

  Status Handle(std::string_view topic, std::string_view body, uint64_t seq) {
    SinkDelta d;
    d.topic = std::string(topic);
    if (!Applies(topic)) {
      if (!BodyEndsTransaction(body)) return Status::Ok();
      // A marker: the transaction ends here, nothing to apply.
      d.delta.seq = seq;
      d.delta.bridge = sub_.bridge;
      d.delta.change.tx_last = true;
      return Push(std::move(d));
    }
    Result<Delta> delta = DecodeEnvelope(body);
    if (!delta.ok()) {
      counters_->malformed++;
      uint64_t suppressed = 0;
      if (malformed_log_.Allow(&suppressed)) {
        spdlog::error(
            "sink {}: skipped delta seq {} on {}: it does not decode: {} ({} similar not logged)",
            config_.name, seq, topic, delta.status().message(), suppressed);
      }
      d.delta.seq = seq;
      d.delta.bridge = sub_.bridge;
      d.delta.change.tx_last = BodyEndsTransaction(body);
      return Push(std::move(d));
    }
    d.delta = std::move(delta).value();
    d.delta.bridge = sub_.bridge;
    NoteSource(d.delta.change);
    d.mapping = FindMapping(config_, topic);
    if (d.mapping != nullptr) {
      DB_RETURN_IF_ERROR(CheckPath(&d));
    } else {
      counters_->unmapped++;
      uint64_t suppressed = 0;
      if (unmapped_log_.Allow(&suppressed)) {
        spdlog::warn(
            "sink {}: no mapping takes {} (seq {}), which falls under the subscribed topics; "
            "skipped. Add a mapping for it, or narrow subscribe.topics ({} similar not logged)",
            config_.name, topic, seq, suppressed);
      }
    }
    counters_->received++;
    return Push(std::move(d));
  }

  // Tells the node directory which node captures the delta's source, once
  // per source (and again if it changes).
  void NoteSource(const Change& change) {
    auto it = noted_.find(change.source);
    if (it != noted_.end() && it->second == change.node) return;
    nodes_->RecordSource(sub_.bridge, change.source, CapturingNode(sub_.bridge, change));
    noted_[change.source] = change.node;
  }

  // Judges a mapped delta by its path (sinks/echo_filter.h): suppresses an
  // echo or a forwarded copy (clears d->mapping, as for an unmapped delta)
  // and marks a delta of the target's own node (d->self).
  Status CheckPath(SinkDelta* d) {
    const Change& change = d->delta.change;
    const std::string& target_node = config_.target.node;
    // The common case needs no path: an ordinary change (its path is its
    // capturing node alone) into a target that is no node.
    if (change.origin.empty() && target_node.empty()) return Status::Ok();
    const std::vector<std::string> path = DeltaPath(sub_.bridge, change);
    if (path.size() >= 2 && std::find(path.begin(), path.end(), target_node) == path.end()) {
      DB_RETURN_IF_ERROR(AwaitHeartbeats());
    }
    const PathCheck check = ClassifyPath(path, target_node, [&](std::string_view node) {
      return nodes_->IsDirect(*d->mapping, node);
    });
    uint64_t suppressed = 0;
    switch (check.verdict) {
      case PathVerdict::kApply:
        break;
      case PathVerdict::kSelf:
        counters_->own++;
        if (config_.target.type != TargetType::kJsonl) {
          d->self = true;
          break;
        }
        counters_->suppressed_echo++;
        if (echo_log_.Allow(&suppressed)) {
          spdlog::info(
              "sink {}: skipped delta seq {} on {}: a change of the target's own node {}, which "
              "a JSON-lines target does not record (counted as suppressed, reason echo; {} "
              "similar not logged)",
              config_.name, d->delta.seq, d->topic, target_node, suppressed);
        }
        d->mapping = nullptr;
        break;
      case PathVerdict::kEcho:
        counters_->suppressed_echo++;
        if (echo_log_.Allow(&suppressed)) {
          spdlog::info(
              "sink {}: skipped delta seq {} on {}: its path [{}] holds the target's node {}, "
              "where the change has been already (an echo; counted as suppressed, reason echo; "
              "{} similar not logged)",
              config_.name, d->delta.seq, d->topic, JoinPath(path), target_node, suppressed);
        }
        d->mapping = nullptr;
        break;
      case PathVerdict::kForwarded:
        counters_->suppressed_forwarded++;
        if (forwarded_log_.Allow(&suppressed)) {
          spdlog::info(
              "sink {}: skipped delta seq {} on {}: a copy forwarded along [{}] of a change of "
              "node {}, which this sink receives directly into {} (counted as suppressed, reason "
              "forwarded; {} similar not logged)",
              config_.name, d->delta.seq, d->topic, JoinPath(path), path[check.at], d->mapping->to,
              suppressed);
        }
        d->mapping = nullptr;
        break;
    }
    return Status::Ok();
  }

  // Before the first forwarded delta is judged: waits for the other bridges'
  // first heartbeats, which name their nodes (this bridge's own cannot come
  // while its subscriber is in the handler; its deltas name their nodes).
  Status AwaitHeartbeats() {
    if (heartbeats_awaited_) return Status::Ok();
    std::vector<std::string> gave_up = nodes_->AwaitHeartbeats(sub_.bridge, stop_, heartbeat_wait_);
    if (stop_) return Status::Aborted("stopped");
    for (const std::string& bridge : gave_up) {
      spdlog::warn(
          "sink {}: no heartbeat from bridge {} within {} ms; judging forwarded deltas by the "
          "nodes its deltas have named so far (sources not seen yet are unknown) until it is "
          "heard",
          config_.name, bridge, heartbeat_wait_.count());
    }
    heartbeats_awaited_ = true;
    return Status::Ok();
  }

  Status Push(SinkDelta d) {
    bool was_empty = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (queue_.size() >= capacity_) {
        not_full_.wait(lock, [&] { return queue_.size() <= resume_at_ || stop_.load(); });
      }
      if (stop_) return Status::Aborted("stopped");
      was_empty = queue_.empty();
      queue_.push_back(std::move(d));
    }
    // The applier waits only after it found this queue empty (Pop under mu_),
    // so a push into a non-empty queue needs no wake-up: it will pop again.
    if (was_empty) Wake();
    FreeDiscarded();
    return Status::Ok();
  }

  void Wake() { waker_->Wake(); }

  const SinkConfig& config_;
  const SubscribeConfig& sub_;
  const size_t capacity_;
  const size_t resume_at_;  // a full queue takes deltas again from this size down
  // How long a forwarded delta waits for the other bridges' first heartbeats.
  const std::chrono::milliseconds heartbeat_wait_;
  Waker* waker_;
  FeedCounters* counters_;  // the runner's; outlives the feed
  NodeDirectory* nodes_;    // the runner's; outlives the feed
  Subscriber subscriber_;
  std::atomic<bool> stop_{false};
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::deque<SinkDelta> queue_;  // guarded by mu_; at most capacity_ deltas
  // Popped from queue_ but not yet handed out: the applier thread's alone.
  // With it, a feed holds at most capacity_ + kTakeAtOnce decoded deltas.
  static constexpr size_t kTakeAtOnce = 256;
  std::vector<SinkDelta> taken_;
  size_t taken_next_ = 0;
  // Applied deltas waiting to be destroyed (Discard); guarded by mu_.
  static constexpr size_t kMaxDiscarded = 4096;
  std::vector<std::vector<SinkDelta>> discarded_;
  size_t discarded_count_ = 0;
  bool ended_ = false;  // guarded by mu_
  Status result_;       // guarded by mu_

  // Subscriber thread only: the node of each source noted (Change::node as
  // the deltas carry it), and whether the other bridges' first heartbeats
  // were awaited.
  std::map<std::string, std::string, std::less<>> noted_;
  bool heartbeats_awaited_ = false;

  LogLimiter malformed_log_{std::chrono::seconds(10)};
  LogLimiter unmapped_log_{std::chrono::seconds(60)};
  // Suppressing echoes is normal work: the first is logged, then a line now and then.
  LogLimiter echo_log_{std::chrono::minutes(10)};
  LogLimiter forwarded_log_{std::chrono::minutes(10)};
};

SinkRunner::SinkRunner(const SinkConfig& config, std::unique_ptr<Target> target,
                       SinkRunnerOptions options)
    : config_(config),
      target_(std::move(target)),
      options_(std::move(options)),
      nodes_(std::make_unique<NodeDirectory>(config)) {}

SinkRunner::~SinkRunner() = default;

SinkStats SinkRunner::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  SinkStats s = stats_;
  s.received = feed_counters_.received.load();
  s.unmapped = feed_counters_.unmapped.load();
  s.malformed = feed_counters_.malformed.load();
  s.suppressed_echo = feed_counters_.suppressed_echo.load();
  s.suppressed_forwarded = feed_counters_.suppressed_forwarded.load();
  s.own = feed_counters_.own.load();
  s.target = target_->counters();
  return s;
}

Status SinkRunner::Run(const std::atomic<bool>& stop) {
  auto backoff = std::chrono::milliseconds(500);
  while (!stop) {
    bool retry = false;
    Status s = RunOnce(stop, &retry);
    if (!retry) return s;
    {
      std::lock_guard<std::mutex> lock(stats_mu_);
      stats_.reconnects++;
    }
    spdlog::warn("sink {}: {}; reconnecting to the target in {} ms", config_.name, s.message(),
                 backoff.count());
    auto until = Clock::now() + backoff;
    while (!stop && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
  }
  return Status::Ok();
}

Status SinkRunner::RunOnce(const std::atomic<bool>& stop, bool* retry) {
  Result<Checkpoints> opened = target_->Open();
  if (!opened.ok()) {
    *retry = opened.status().IsUnavailable();
    return opened.status();
  }
  Checkpoints committed = *opened;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.checkpoints = committed;
  }
  Waker waker;
  std::vector<std::unique_ptr<Feed>> feeds;
  for (const SubscribeConfig& sub : config_.subscribe) {
    auto it = committed.find(sub.bridge);
    uint64_t from = it == committed.end() ? 1 : it->second + 1;
    spdlog::info("sink {}: following bridge {} at {} from seq {}", config_.name, sub.bridge,
                 sub.publish, from);
    feeds.push_back(std::make_unique<Feed>(config_, sub, from, options_, &waker, &feed_counters_,
                                           nodes_.get()));
  }
  for (auto& f : feeds) f->Start();
  auto stop_feeds = [&] {
    for (auto& f : feeds) f->Stop();
  };

  Checkpoints pending = committed;  // what the open target transaction will commit
  std::map<std::string, int64_t, std::less<>> pending_commit_us;
  bool in_tx = false;
  size_t batch = 0;
  Feed* open = nullptr;  // the feed whose source transaction is open
  size_t next_feed = 0;
  std::vector<SinkDelta> chunk;
  auto last_idle = Clock::now();
  auto last_progress = Clock::now();
  uint64_t last_progress_deltas = 0;
  uint64_t last_progress_suppressed = 0;

  auto fail = [&](Status s) {
    if (in_tx) target_->Abort();
    stop_feeds();
    *retry = s.IsUnavailable();
    return s;
  };
  auto flush_chunk = [&]() -> Status {
    if (chunk.empty()) return Status::Ok();
    std::vector<SinkDelta> apply;
    apply.reserve(chunk.size());
    for (SinkDelta& d : chunk) {
      if (d.mapping != nullptr) apply.push_back(std::move(d));
    }
    chunk.clear();
    if (apply.empty()) return Status::Ok();
    Status s = target_->Apply(apply);
    // Destroyed on the subscriber thread of the bridge they came from (most
    // chunks come from one bridge; any thread may free the others).
    for (auto& f : feeds) {
      if (f->bridge() == apply.front().delta.bridge) {
        f->Discard(std::move(apply));
        break;
      }
    }
    return s;
  };
  auto commit = [&]() -> Status {
    DB_RETURN_IF_ERROR(flush_chunk());
    // Raise each drained bridge to its whole-stream position.
    for (auto& f : feeds) {
      uint64_t seen = f->last_seq();
      if (f.get() != open && f->Empty() && seen > pending[f->bridge()]) {
        pending[f->bridge()] = seen;
      }
    }
    DB_RETURN_IF_ERROR(target_->Commit(pending));
    in_tx = false;
    batch = 0;
    committed = pending;
    int64_t now = WallClockMicros();
    {
      std::lock_guard<std::mutex> lock(stats_mu_);
      stats_.checkpoints = committed;
      for (const auto& [bridge, us] : pending_commit_us) {
        stats_.last_commit_us[bridge] = us;
        stats_.applied_at_us[bridge] = now;
      }
    }
    pending_commit_us.clear();
    if (on_commit_) on_commit_(committed);
    return Status::Ok();
  };

  while (true) {
    if (stop) break;
    const uint64_t generation = waker.Generation();
    for (auto& f : feeds) {
      std::optional<Status> ended = f->Ended();
      if (!ended) continue;
      if (stop) break;
      Status s =
          ended->ok() ? Status::Unavailable("the subscriber of " + f->bridge() + " ended") : *ended;
      if (s.code() == Status::Code::kFailedPrecondition) {
        uint64_t at = committed.count(f->bridge()) ? committed[f->bridge()] : 0;
        s = Status::FailedPrecondition(
            s.message() + ". This sink's checkpoint for bridge " + f->bridge() + " is seq " +
            std::to_string(at) + " (table deltabridge_checkpoints in the target, sink '" +
            config_.name +
            "'); to go on from the journal's oldest seq N, accepting the loss, resynchronise "
            "the target and set it with: UPDATE deltabridge_checkpoints SET seq = N - 1 WHERE "
            "sink = '" +
            config_.name + "' AND bridge = '" + f->bridge() + "'");
      }
      return fail(s);
    }
    Feed* source = open;
    SinkDelta d;
    bool got = false;
    if (source != nullptr) {
      got = source->Pop(&d);
    } else {
      for (size_t i = 0; i < feeds.size() && !got; ++i) {
        Feed* f = feeds[(next_feed + i) % feeds.size()].get();
        if (f->Pop(&d)) {
          got = true;
          source = f;
          next_feed = (next_feed + i + 1) % feeds.size();
        }
      }
    }
    if (got) {
      if (!in_tx) {
        Status s = target_->Begin();
        if (!s.ok()) return fail(s);
        in_tx = true;
      }
      const std::string& bridge = source->bridge();
      pending[bridge] = std::max(pending[bridge], d.delta.seq);
      if (d.mapping != nullptr) pending_commit_us[bridge] = d.delta.change.commit_time_us;
      open = d.delta.change.tx_last ? nullptr : source;
      chunk.push_back(std::move(d));
      ++batch;
      if (chunk.size() >= options_.chunk_deltas) {
        Status s = flush_chunk();
        if (!s.ok()) return fail(s);
      }
      if (open == nullptr && batch >= options_.max_batch_deltas) {
        Status s = commit();
        if (!s.ok()) return fail(s);
      }
      continue;
    }
    // Nothing waiting (from the open transaction's bridge, if one is open).
    if (in_tx && open == nullptr) {
      Status s = commit();
      if (!s.ok()) return fail(s);
      continue;
    }
    auto now = Clock::now();
    if (!in_tx && now - last_idle >= std::chrono::seconds(1)) {
      last_idle = now;
      bool advance = false;
      Checkpoints raised = committed;
      for (auto& f : feeds) {
        uint64_t seen = f->last_seq();
        if (f->Empty() && seen > raised[f->bridge()]) {
          raised[f->bridge()] = seen;
          advance = true;
        }
      }
      if (advance) {
        Status s = target_->Begin();
        if (!s.ok()) return fail(s);
        in_tx = true;
        pending = raised;
        s = commit();
        if (!s.ok()) return fail(s);
      }
    }
    if (now - last_progress >= options_.progress_interval) {
      ApplyCounters c = target_->counters();
      const uint64_t echo = feed_counters_.suppressed_echo.load();
      const uint64_t forwarded = feed_counters_.suppressed_forwarded.load();
      const uint64_t own = feed_counters_.own.load();
      double secs = std::chrono::duration<double>(now - last_progress).count();
      if (c.deltas != last_progress_deltas || echo + forwarded != last_progress_suppressed) {
        std::string at;
        for (const auto& [bridge, seq] : committed) {
          at += (at.empty() ? "" : ", ") + bridge + "=" + std::to_string(seq);
        }
        // Only a sink that meets two-way sync says what it suppressed.
        std::string two_way;
        if (echo + forwarded + own > 0) {
          two_way = fmt::format("; suppressed {} echoes, {} forwarded copies; {} own-node deltas",
                                echo, forwarded, own);
        }
        spdlog::info(
            "sink {}: applied {} deltas ({:.0f}/s); rows +{} ~{} -{}, fields kept {}, "
            "conflicts {}, rejected {}{}; checkpoint {}",
            config_.name, c.deltas, (c.deltas - last_progress_deltas) / secs, c.rows_inserted,
            c.rows_updated, c.rows_deleted, c.fields_kept, c.conflicts, c.rejected, two_way, at);
      }
      last_progress = now;
      last_progress_deltas = c.deltas;
      last_progress_suppressed = echo + forwarded;
    }
    for (auto& f : feeds) f->FreeDiscarded();  // idle: nothing better to do
    waker.WaitFor(generation, std::chrono::milliseconds(100));
  }

  // Stopping: keep what forms whole source transactions, redo the rest next time.
  Status s;
  if (in_tx) {
    if (open == nullptr) {
      s = commit();
    } else {
      target_->Abort();
      in_tx = false;
    }
  }
  stop_feeds();
  if (!s.ok()) {
    *retry = false;
    return s;
  }
  spdlog::info("sink {}: stopped", config_.name);
  return Status::Ok();
}

}  // namespace deltabridge
