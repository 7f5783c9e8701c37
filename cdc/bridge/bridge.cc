#include "cdc/bridge/bridge.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "cdc/bridge/bridge_stats.h"
#include "cdc/bridge/journal_replay_source.h"
#include "cdc/bridge/journal_writer.h"
#include "cdc/bridge/origin_filter.h"
#include "cdc/bridge/source_factory.h"
#include "cdc/core/log_limiter.h"
#include "cdc/core/wall_clock.h"
#include "cdc/journal/journal.h"
#include "cdc/metrics/metrics_server.h"
#include "cdc/publish/publisher.h"
#include "cdc/publish/replay_server.h"

namespace deltabridge {

struct Bridge::Impl {
  BridgeConfig config;
  Options options;
  SourceFactory factory;
  std::atomic<bool> stop{false};
  std::atomic<bool> sources_done{false};  // every source thread has returned
  std::mutex mu;
  std::condition_variable cv;
  Status fatal;  // first fatal source error; guarded by mu

  std::unique_ptr<Journal> journal;
  std::unique_ptr<JournalWriter> writer;
  std::unique_ptr<Publisher> publisher;
  std::unique_ptr<JournalReplaySource> replay_source;
  std::unique_ptr<ReplayServer> replay;
  std::atomic<uint64_t> published_seq{0};
  // One per source, in file order: reads its counters and durable position
  // (from any thread).
  std::vector<std::function<SourceStats()>> source_stats;
  std::mutex stats_mu;
  BridgeStats last_stats;  // guarded by stats_mu; what the metrics endpoint serves

  BridgeStats CollectStats() {
    BridgeStats b;
    b.bridge = config.name;
    b.pid = static_cast<int>(getpid());
    b.updated_us = WallClockMicros();
    b.journal_first_seq = journal->first_seq();
    b.journal_last_seq = journal->committed_seq();
    b.journal_bytes = journal->size_bytes();
    b.published_seq = published_seq.load();
    ReplayServer::Counters rc = replay->counters();
    b.replay_requests = rc.requests;
    b.replay_errors = rc.errors;
    for (const auto& f : source_stats) b.sources.push_back(f());
    return b;
  }

  // Four times a second: <state_dir>/bridge-status.json and the metrics snapshot;
  // once more after the sources stopped.
  void StatusLoop() {
    while (true) {
      BridgeStats b = CollectStats();
      WriteBridgeStatusFile(config.state_dir, b);
      {
        std::lock_guard<std::mutex> l(stats_mu);
        last_stats = std::move(b);
      }
      std::unique_lock<std::mutex> l(mu);
      if (stop.load()) return;
      cv.wait_for(l, std::chrono::milliseconds(250), [&] { return stop.load(); });
    }
  }

  void Fail(const Status& s) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (fatal.ok()) fatal = s;
    }
    stop = true;
    cv.notify_all();
    if (writer) writer->WakeAll();
  }

  // Publishes every delta committed after seq `published` in order, and a
  // heartbeat each second. What the journal held before the bridge started
  // is served by replay only.
  void PublishLoop(uint64_t published) {
    auto last_heartbeat = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    std::vector<JournalEntry> batch;
    LogLimiter publish_log(std::chrono::seconds(10));
    SourceNodes nodes;
    for (const SourceConfig& source : config.sources) nodes[source.name] = source.node;
    ReadOptions ro;
    ro.max_entries = 1000;
    ro.max_bytes = 4 << 20;
    for (;;) {
      // After the sources stopped, one last pass publishes their final commits.
      const bool last_pass = sources_done.load();
      uint64_t committed = writer->WaitForCommitted(published, std::chrono::milliseconds(200));
      while (published < committed) {
        uint64_t next = 0;
        // Read replaces the batch, reusing its entries' storage.
        Status s = journal->Read(published + 1, ro, &batch, &next);
        if (!s.ok()) {
          Fail(s.WithContext("publisher reading the journal"));
          return;
        }
        for (const JournalEntry& e : batch) {
          Status ps = publisher->Publish(e.topic, e.body);
          uint64_t suppressed = 0;
          if (!ps.ok() && publish_log.Allow(&suppressed)) {
            spdlog::warn("publish seq {}: {} ({} more since the last report)", e.seq, ps.message(),
                         suppressed);
          }
          published = e.seq;
        }
        published_seq = published;
        if (batch.empty()) break;
      }
      auto now = std::chrono::steady_clock::now();
      if (now - last_heartbeat >= std::chrono::seconds(1)) {
        Status hs = publisher->PublishHeartbeat(config.name, published, nodes);
        if (!hs.ok()) spdlog::warn("heartbeat: {}", hs.message());
        last_heartbeat = now;
      }
      if (last_pass) return;
    }
  }

  void RetentionLoop() {
    if (!config.retention) return;
    auto next = std::chrono::steady_clock::now();
    while (!stop.load()) {
      std::unique_lock<std::mutex> l(mu);
      cv.wait_until(l, next, [&] { return stop.load(); });
      l.unlock();
      if (stop.load()) return;
      std::optional<int64_t> age;
      std::optional<uint64_t> max_bytes;
      {
        std::lock_guard<std::mutex> rl(mu);  // Reload() may change it
        if (!config.retention) {
          next = std::chrono::steady_clock::now() + std::chrono::seconds(60);
          continue;
        }
        if (config.retention->max_age) age = config.retention->max_age->count();
        max_bytes = config.retention->max_bytes;
      }
      const uint64_t first_before = journal->first_seq();
      Status s = journal->ApplyRetention(max_bytes, age, WallClockMicros());
      if (!s.ok()) {
        spdlog::warn("journal retention: {}", s.message());
      } else if (journal->first_seq() != first_before) {
        spdlog::info("journal retention: removed seq {}..{}; keeping {}..{} ({} bytes)",
                     first_before, journal->first_seq() - 1, journal->first_seq(),
                     journal->committed_seq(), journal->size_bytes());
      }
      next = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    }
  }
};

Bridge::Bridge(BridgeConfig config, Options options, SourceFactory factory)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->options = std::move(options);
  impl_->factory = factory ? std::move(factory) : SourceFactory(MakeSource);
}

Bridge::~Bridge() = default;

std::string Bridge::Reload(const BridgeConfig& config) {
  auto describe = [](const std::optional<RetentionConfig>& r) -> std::string {
    if (!r) return "none";
    std::string out;
    if (r->max_bytes) out += "max_bytes " + std::to_string(*r->max_bytes);
    if (r->max_age) {
      out += (out.empty() ? "" : ", ") + std::string("max_age ") +
             std::to_string(r->max_age->count() / 1000000) + " s";
    }
    return out;
  };
  std::lock_guard<std::mutex> l(impl_->mu);
  if (!impl_->config.retention && config.retention) {
    return "retention is set now, but the bridge started without one: restart to apply it";
  }
  std::string before = describe(impl_->config.retention);
  impl_->config.retention = config.retention;
  std::string after = describe(impl_->config.retention);
  if (before == after) return "";
  return "journal retention " + before + " -> " + after +
         " (applied at the next check, within a minute)";
}

void Bridge::Stop() {
  impl_->stop = true;
  impl_->cv.notify_all();
  if (impl_->writer) impl_->writer->WakeAll();
}

Status Bridge::Run() {
  Impl& im = *impl_;
  const BridgeConfig& cfg = im.config;
  std::error_code ec;
  std::filesystem::create_directories(cfg.state_dir, ec);
  if (ec) return Status::IoError("cannot create state_dir " + cfg.state_dir + ": " + ec.message());

  Result<std::unique_ptr<Journal>> journal = Journal::Open(cfg.state_dir + "/journal");
  if (!journal.ok()) return journal.status();
  im.journal = std::move(*journal);
  im.writer = std::make_unique<JournalWriter>(cfg.name, im.journal.get());

  // Explicit re-snapshot: forget the source's position and snapshot state (an
  // empty value means none; see PgSource).
  for (const std::string& name : im.options.resnapshot) {
    auto sink = im.writer->SinkFor(name);
    DB_RETURN_IF_ERROR(sink->BeginTx());
    sink->SetState(kSnapshotDoneState, "");
    DB_RETURN_IF_ERROR(sink->EndTx(""));
    DB_RETURN_IF_ERROR(sink->Flush());
    spdlog::warn("source {}: position forgotten on request; it takes a new initial snapshot", name);
  }

  // A small send queue per subscriber bounds memory; a subscriber that falls
  // behind loses live deltas and repairs them through replay (Clone pattern).
  PublisherOptions po;
  po.send_hwm = 20000;
  DB_ASSIGN_OR_RETURN(im.publisher, Publisher::Bind(cfg.publish, po));
  im.replay_source = std::make_unique<JournalReplaySource>(im.journal.get());
  im.replay = std::make_unique<ReplayServer>(*im.replay_source);
  DB_RETURN_IF_ERROR(im.replay->Start(cfg.replay));
  spdlog::info("bridge {}: journal seq {}..{}, publishing on {}, replay on {}", cfg.name,
               im.journal->first_seq(), im.journal->committed_seq(), cfg.publish, cfg.replay);

  // One source per `sources:` entry, in file order, each with its own way
  // into the journal through its origin filter (two-way sync); the sinks and
  // filters outlive the sources (declared first).
  std::vector<std::unique_ptr<SourceSink>> sinks;
  std::vector<std::unique_ptr<OriginFilter>> filters;
  std::vector<std::unique_ptr<Source>> sources;
  for (const SourceConfig& sc : cfg.sources) {
    sinks.push_back(im.writer->SinkFor(sc.name));
    SourceSink* sink = sinks.back().get();
    filters.push_back(std::make_unique<OriginFilter>(
        OriginFilter::Options{cfg.name, sc.name, sc.node, sc.forward}, sink, sink));
    OriginFilter* filter = filters.back().get();
    Result<std::unique_ptr<Source>> source = im.factory(cfg, sc, {filter, filter});
    if (!source.ok()) {
      im.replay->Stop();
      return source.status();
    }
    Source* s = source->get();
    im.source_stats.push_back([s, sink, filter] {
      SourceReport r = s->Report();
      // The source counts what it handed over, the filter what of it was not
      // journaled; read a moment apart, hence the clamp.
      const OriginFilter::Counters& fc = filter->counters();
      const uint64_t not_journaled = fc.not_journaled.load();
      r.changes = r.changes > not_journaled ? r.changes - not_journaled : 0;
      r.tagged_forwarded += fc.tagged_forwarded.load();
      r.tagged_dropped += fc.tagged_dropped.load();
      r.bad_tags += fc.bad_tags.load();
      SourceStats st;
      st.name = s->name();
      st.type = std::string(s->type());
      st.changes = r.changes;
      st.transactions = r.transactions;
      st.reconnects = r.reconnects;
      st.snapshot_rows = r.snapshot_rows;
      st.last_commit_us = r.last_commit_us;
      st.position_lag_bytes = r.position_lag_bytes;
      st.tagged_forwarded = r.tagged_forwarded;
      st.tagged_dropped = r.tagged_dropped;
      st.bad_tags = r.bad_tags;
      st.position = sink->DurablePosition().value_or("");
      st.bytes = sink->bytes_journaled();
      return st;
    });
    sources.push_back(std::move(source).value());
  }
  MetricsServer metrics;
  if (cfg.metrics) {
    {
      std::lock_guard<std::mutex> l(im.stats_mu);
      im.last_stats = im.CollectStats();
    }
    Status ms = metrics.Start(*cfg.metrics, "bridge " + cfg.name, [&im] {
      BridgeStats b;
      {
        std::lock_guard<std::mutex> l(im.stats_mu);
        b = im.last_stats;
      }
      return RenderBridgeMetrics(b, WallClockMicros());
    });
    if (!ms.ok()) {
      im.replay->Stop();
      return ms;
    }
  }
  std::thread status_thread([&im] {
    pthread_setname_np(pthread_self(), "db-status");
    im.StatusLoop();
  });

  // Read before any source runs: a delta a source commits before the
  // publishing thread gets to run is still published.
  const uint64_t publish_after = im.journal->committed_seq();
  std::thread publisher_thread([&im, publish_after] {
    pthread_setname_np(pthread_self(), "db-publish");
    im.PublishLoop(publish_after);
  });
  std::thread retention_thread([&im] {
    pthread_setname_np(pthread_self(), "db-retention");
    im.RetentionLoop();
  });
  std::vector<std::thread> threads;
  for (const std::unique_ptr<Source>& source : sources) {
    threads.emplace_back([&im, src = source.get()] {
      // Thread names show in top -H and perf: "db-src-<source>" (15 chars max).
      pthread_setname_np(pthread_self(), ("db-src-" + src->name()).substr(0, 15).c_str());
      Status st = src->Run(im.stop);
      if (!st.ok()) im.Fail(st.WithContext("source " + src->name()));
    });
  }

  {
    std::unique_lock<std::mutex> l(im.mu);
    im.cv.wait(l, [&] { return im.stop.load(); });
  }
  spdlog::info("bridge {}: stopping", cfg.name);
  for (auto& t : threads) t.join();
  im.sources_done = true;
  im.writer->WakeAll();
  publisher_thread.join();
  retention_thread.join();
  status_thread.join();
  WriteBridgeStatusFile(cfg.state_dir, im.CollectStats());  // the final report
  metrics.Stop();
  im.replay->Stop();
  std::lock_guard<std::mutex> l(im.mu);
  spdlog::info("bridge {}: stopped at seq {}", cfg.name, im.journal->committed_seq());
  return im.fatal;
}

}  // namespace deltabridge
