// Bridge with fake sources (given through its SourceFactory) that write
// scripted transactions into the ChangeSink they are given, over a real
// journal in a temporary directory and real ZeroMQ sockets (ipc:// endpoints
// in that directory, so no port can be taken by another process): seqs,
// publishing order and tx.last, publishing only what is wholly journaled,
// heartbeats, replay, fatal source errors, Stop(), the status file, factory
// errors and --resnapshot. Every wait is on a condition.
#include "cdc/bridge/bridge.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "cdc/bridge/bridge_stats.h"
#include "cdc/core/wall_clock.h"
#include "cdc/wire/envelope.h"
#include "cdc/wire/topic.h"
#include "sinks/subscriber.h"
#include "tests/publish/test_util.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using Json = nlohmann::ordered_json;
using testing::WaitFor;

// Long enough for a busy 2-core machine; conditions normally hold in ms.
constexpr std::chrono::seconds kWait{30};

// A one-shot event between a test and a source thread.
class Event {
 public:
  void Set() {
    std::lock_guard<std::mutex> l(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool IsSet() const {
    std::lock_guard<std::mutex> l(mu_);
    return set_;
  }
  // Waits until Set() or `stop`; true when set.
  bool Wait(const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> l(mu_);
    while (!set_ && !stop.load()) cv_.wait_for(l, std::chrono::milliseconds(5));
    return set_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

void WaitForStop(const std::atomic<bool>& stop) {
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

Change MakeChange(const std::string& source, int id, const std::string& tx_id) {
  Change c;
  c.source = source;
  c.table = "public.t";
  c.op = Op::kInsert;
  c.key = {{"id", Value::Int(id)}};
  c.changes.push_back({"id", std::nullopt, Value::Int(id)});
  c.commit_time_us = 1'795'773'600'000'000;
  c.pos = "0/" + tx_id;
  c.tx_id = tx_id;
  return c;
}

// One whole transaction of `n` changes, flushed (durable and publishable).
Status WriteTx(ChangeSink* sink, const std::string& source, const std::string& tx_id, int n,
               const std::string& position) {
  DB_RETURN_IF_ERROR(sink->BeginTx());
  for (int i = 0; i < n; ++i) DB_RETURN_IF_ERROR(sink->Add(MakeChange(source, i, tx_id)));
  DB_RETURN_IF_ERROR(sink->EndTx(position));
  return sink->Flush();
}

// What a fake source does when run, and what it reports.
struct Script {
  // Runs on the source's thread; returns what Source::Run returns.
  std::function<Status(SourceSinks sinks, const std::atomic<bool>& stop)> run =
      [](SourceSinks, const std::atomic<bool>& stop) {
        WaitForStop(stop);
        return Status::Ok();
      };
  SourceReport report;
};

// Counts the source threads (shared by every FakeSource of a test).
struct Threads {
  std::atomic<int> running{0};
  std::atomic<int> ended{0};
};

class FakeSource final : public Source {
 public:
  FakeSource(std::string name, SourceSinks sinks, const Script* script, Threads* threads)
      : name_(std::move(name)), sinks_(sinks), script_(script), threads_(threads) {}

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "postgres"; }
  Status Run(const std::atomic<bool>& stop) override {
    ++threads_->running;
    Status s = script_->run(sinks_, stop);
    --threads_->running;
    ++threads_->ended;
    return s;
  }
  SourceReport Report() const override { return script_->report; }

 private:
  const std::string name_;
  const SourceSinks sinks_;
  const Script* script_;  // the test's; outlives the bridge
  Threads* threads_;
};

// A raw SUB socket on the bridge's publish endpoint, collecting every
// message (deltas and heartbeats) on its own thread.
class Collector {
 public:
  struct Message {
    std::string topic;
    std::string body;
  };

  explicit Collector(const std::string& endpoint) : socket_(context_, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::subscribe, "");
    socket_.connect(endpoint);
    thread_ = std::thread([this] {
      while (!stop_) {
        std::vector<std::string> frames =
            testing::RecvStrings(socket_, std::chrono::milliseconds(50));
        if (frames.size() != 2) continue;
        std::lock_guard<std::mutex> l(mu_);
        messages_.push_back({frames[0], frames[1]});
      }
    });
  }
  ~Collector() {
    stop_ = true;
    thread_.join();
  }

  std::vector<Message> All() const {
    std::lock_guard<std::mutex> l(mu_);
    return messages_;
  }
  std::vector<Json> Deltas() const {
    std::vector<Json> out;
    for (const Message& m : All()) {
      if (!IsHeartbeatTopic(m.topic)) out.push_back(Json::parse(m.body));
    }
    return out;
  }
  size_t Heartbeats() const {
    size_t n = 0;
    for (const Message& m : All()) n += IsHeartbeatTopic(m.topic);
    return n;
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Message> messages_;
};

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<test::TempDir> d = test::TempDir::Create("dbbr-");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dir_ = std::make_unique<test::TempDir>(std::move(*d));
    config_.name = "parks";
    config_.state_dir = dir_->Join("state");
    config_.publish = "ipc://" + dir_->Join("pub");
    config_.replay = "ipc://" + dir_->Join("replay");
    for (const char* name : {"a", "b"}) {
      scripts_[name];  // made here, not by the factory on the bridge's thread
      SourceConfig sc;
      sc.name = name;
      sc.type = SourceType::kPostgres;
      config_.sources.push_back(sc);
    }
  }

  void TearDown() override {
    Status s = StopBridge();
    (void)s;  // a test that cared has stopped the bridge itself
  }

  SourceFactory Factory() {
    return [this](const BridgeConfig&, const SourceConfig& sc,
                  SourceSinks sinks) -> Result<std::unique_ptr<Source>> {
      return std::unique_ptr<Source>(
          std::make_unique<FakeSource>(sc.name, sinks, &scripts_[sc.name], &threads_));
    };
  }

  // Runs a bridge on a thread of its own.
  void StartBridge(Bridge::Options options = {}) {
    bridge_ = std::make_unique<Bridge>(config_, std::move(options), Factory());
    run_done_ = false;
    run_thread_ = std::thread([this] {
      run_status_ = bridge_->Run();
      run_done_ = true;
    });
  }

  // Waits for Run() to return by itself; its Status.
  Status WaitRun() {
    EXPECT_TRUE(WaitFor([&] { return run_done_.load(); }, kWait)) << "Run() did not return";
    if (run_thread_.joinable()) run_thread_.join();
    return run_status_;
  }

  // Stop() and wait for Run() to return; its Status.
  Status StopBridge() {
    if (!bridge_) return Status::Ok();
    bridge_->Stop();
    Status s = WaitRun();
    bridge_.reset();
    return s;
  }

  // The status file, once one satisfies `pred` (nullopt on timeout).
  std::optional<BridgeStats> StatusWhen(const std::function<bool(const BridgeStats&)>& pred) {
    std::optional<BridgeStats> found;
    WaitFor(
        [&] {
          Result<std::string> text = test::ReadFileToString(BridgeStatusPath(config_.state_dir));
          if (!text.ok()) return false;
          Result<BridgeStats> stats = DecodeBridgeStats(*text);
          if (!stats.ok() || !pred(*stats)) return false;
          found = *stats;
          return true;
        },
        kWait);
    return found;
  }

  std::unique_ptr<test::TempDir> dir_;
  BridgeConfig config_;
  // Declared before the bridge: the scripts and the events and results they
  // use outlive every source thread, even when a test ends early.
  std::map<std::string, Script> scripts_;
  Event go_, adding_, release_add_, ended_, release_flush_;
  std::mutex found_mu_;
  std::map<std::string, std::pair<std::string, std::string>> found_;  // guarded by found_mu_
  Threads threads_;
  std::unique_ptr<Bridge> bridge_;
  std::thread run_thread_;
  std::atomic<bool> run_done_{false};
  Status run_status_;
};

// Two sources writing concurrently: each transaction's deltas get
// consecutive seqs, every delta is published once in seq order with tx.last
// on the last of its transaction, and each heartbeat carries the newest seq
// published before it.
TEST_F(BridgeTest, TransactionsOfTwoSourcesGetConsecutiveSeqsAndArePublishedInOrder) {
  Collector sub(config_.publish);
  constexpr int kTxs = 15;
  auto writer = [this](const std::string& source) {
    return [this, source](SourceSinks sinks, const std::atomic<bool>& stop) -> Status {
      if (!go_.Wait(stop)) return Status::Ok();
      for (int t = 0; t < kTxs; ++t) {
        DB_RETURN_IF_ERROR(WriteTx(sinks.sink, source, source + std::to_string(t), 1 + t % 4,
                                   "0/" + std::to_string(t + 1)));
      }
      WaitForStop(stop);
      return Status::Ok();
    };
  };
  scripts_["a"].run = writer("a");
  scripts_["b"].run = writer("b");
  StartBridge();
  // The subscriber is connected once it has a heartbeat: deltas from now on reach it.
  ASSERT_TRUE(WaitFor([&] { return sub.Heartbeats() > 0; }, kWait));
  go_.Set();
  size_t total = 0;
  for (int t = 0; t < kTxs; ++t) total += 2 * (1 + t % 4);
  ASSERT_TRUE(WaitFor([&] { return sub.Deltas().size() >= total; }, kWait))
      << sub.Deltas().size() << " of " << total;
  // A heartbeat after the last delta.
  const size_t beats = sub.Heartbeats();
  ASSERT_TRUE(WaitFor([&] { return sub.Heartbeats() > beats; }, kWait));

  std::vector<Json> deltas = sub.Deltas();
  ASSERT_EQ(deltas.size(), total);
  std::map<std::string, std::vector<uint64_t>> seqs_of_tx;
  for (size_t i = 0; i < deltas.size(); ++i) {
    const Json& d = deltas[i];
    EXPECT_EQ(d["seq"].get<uint64_t>(), i + 1);  // in order, none lost nor repeated
    EXPECT_EQ(d["bridge"], "parks");
    const std::string tx = d["tx"]["id"].get<std::string>();
    EXPECT_EQ(d["source"].get<std::string>(), tx.substr(0, 1));
    seqs_of_tx[tx].push_back(d["seq"].get<uint64_t>());
  }
  ASSERT_EQ(seqs_of_tx.size(), 2u * kTxs);
  for (const auto& [tx, seqs] : seqs_of_tx) {
    SCOPED_TRACE(tx);
    const int t = std::stoi(tx.substr(1));
    ASSERT_EQ(seqs.size(), static_cast<size_t>(1 + t % 4));
    for (size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + 1);
    for (size_t i = 0; i < seqs.size(); ++i) {
      EXPECT_EQ(deltas[seqs[i] - 1]["tx"]["last"].get<bool>(), i + 1 == seqs.size());
    }
  }
  // Topics: <bridge>.<source>.<table>.
  for (const Collector::Message& m : sub.All()) {
    if (IsHeartbeatTopic(m.topic)) continue;
    Json d = Json::parse(m.body);
    EXPECT_EQ(m.topic, MakeTopic("parks", d["source"].get<std::string>(), "public.t"));
  }
  // Each heartbeat names the newest seq published before it, which is the
  // last delta the subscriber received before it.
  uint64_t last_seq = 0;
  for (const Collector::Message& m : sub.All()) {
    if (IsHeartbeatTopic(m.topic)) {
      Result<uint64_t> hb = DecodeHeartbeatSeq(m.body);
      ASSERT_TRUE(hb.ok()) << hb.status().ToString();
      EXPECT_EQ(*hb, last_seq);
    } else {
      last_seq = Json::parse(m.body)["seq"].get<uint64_t>();
    }
  }
  EXPECT_EQ(last_seq, total);
  EXPECT_TRUE(StopBridge().ok());
}

// A transaction is published only once it is wholly journaled: not while
// its deltas are being added, not once ended but not yet flushed.
TEST_F(BridgeTest, TransactionIsPublishedOnlyOnceWhollyJournaled) {
  Collector sub(config_.publish);
  scripts_["a"].run = [this](SourceSinks sinks, const std::atomic<bool>& stop) -> Status {
    if (!go_.Wait(stop)) return Status::Ok();
    DB_RETURN_IF_ERROR(WriteTx(sinks.sink, "a", "1", 1, "0/1"));
    DB_RETURN_IF_ERROR(sinks.sink->BeginTx());
    DB_RETURN_IF_ERROR(sinks.sink->Add(MakeChange("a", 1, "2")));
    DB_RETURN_IF_ERROR(sinks.sink->Add(MakeChange("a", 2, "2")));
    adding_.Set();
    if (!release_add_.Wait(stop)) return Status::Ok();
    DB_RETURN_IF_ERROR(sinks.sink->EndTx("0/2"));
    ended_.Set();
    if (!release_flush_.Wait(stop)) return Status::Ok();
    DB_RETURN_IF_ERROR(sinks.sink->Flush());
    WaitForStop(stop);
    return Status::Ok();
  };
  StartBridge();
  ASSERT_TRUE(WaitFor([&] { return sub.Heartbeats() > 0; }, kWait));
  go_.Set();
  ASSERT_TRUE(WaitFor([&] { return adding_.IsSet(); }, kWait));
  // A status written after the deltas were added: the journal and the
  // publisher are at seq 1 still.
  int64_t after = WallClockMicros();
  std::optional<BridgeStats> st = StatusWhen(
      [&](const BridgeStats& s) { return s.updated_us > after && s.published_seq == 1; });
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->journal_last_seq, 1u);
  EXPECT_EQ(sub.Deltas().size(), 1u);

  release_add_.Set();
  ASSERT_TRUE(WaitFor([&] { return ended_.IsSet(); }, kWait));
  after = WallClockMicros();
  st = StatusWhen([&](const BridgeStats& s) { return s.updated_us > after; });
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->journal_last_seq, 1u);
  EXPECT_EQ(st->published_seq, 1u);
  EXPECT_EQ(sub.Deltas().size(), 1u);

  release_flush_.Set();
  ASSERT_TRUE(WaitFor([&] { return sub.Deltas().size() == 3; }, kWait));
  std::vector<Json> d = sub.Deltas();
  EXPECT_EQ(d[1]["seq"], 2);
  EXPECT_FALSE(d[1]["tx"]["last"].get<bool>());
  EXPECT_EQ(d[2]["seq"], 3);
  EXPECT_TRUE(d[2]["tx"]["last"].get<bool>());
  EXPECT_TRUE(StopBridge().ok());
}

// The replay server serves what is journaled, from any seq, to a subscriber
// that was not listening when it was published.
TEST_F(BridgeTest, ReplayServesJournaledDeltas) {
  scripts_["a"].run = [this](SourceSinks sinks, const std::atomic<bool>& stop) -> Status {
    DB_RETURN_IF_ERROR(WriteTx(sinks.sink, "a", "1", 3, "0/1"));
    DB_RETURN_IF_ERROR(WriteTx(sinks.sink, "a", "2", 2, "0/2"));
    WaitForStop(stop);
    return Status::Ok();
  };
  StartBridge();
  // Published before any subscriber below connects: they can have it only
  // from the replay server.
  ASSERT_TRUE(StatusWhen([](const BridgeStats& s) { return s.published_seq == 5; }).has_value());
  for (uint64_t from : {uint64_t{1}, uint64_t{4}}) {
    SCOPED_TRACE(from);
    SubscriberOptions o;
    o.publish_endpoint = config_.publish;
    o.replay_endpoint = config_.replay;
    o.from_seq = from;
    Subscriber subscriber(o);
    std::vector<uint64_t> seqs;
    std::atomic<bool> stop{false};
    Status s = subscriber.Run(
        [&](std::string_view topic, std::string_view body, uint64_t seq) {
          EXPECT_EQ(topic, "parks.a.public.t");
          Result<Delta> d = DecodeEnvelope(body);
          EXPECT_TRUE(d.ok());
          if (d.ok()) {
            EXPECT_EQ(d->seq, seq);
          }
          seqs.push_back(seq);
          return seq == 5 ? Status::Aborted("got all") : Status::Ok();
        },
        stop);
    EXPECT_EQ(s.message(), "got all");
    std::vector<uint64_t> expected;
    for (uint64_t q = from; q <= 5; ++q) expected.push_back(q);
    EXPECT_EQ(seqs, expected);
    EXPECT_EQ(subscriber.counters().replayed, expected.size());
  }
  EXPECT_TRUE(StopBridge().ok());
}

// A source's fatal error stops the bridge: Run() returns it, named with the
// source, after every source thread has ended.
TEST_F(BridgeTest, FatalSourceErrorStopsRunWithThatError) {
  scripts_["b"].run = [](SourceSinks, const std::atomic<bool>&) {
    return Status::FailedPrecondition("replication slot \"s\" is gone");
  };
  StartBridge();
  Status s = WaitRun();
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("source b"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("replication slot \"s\" is gone"), std::string::npos) << s.message();
  EXPECT_EQ(threads_.ended.load(), 2);
  EXPECT_EQ(threads_.running.load(), 0);
  bridge_.reset();
}

// Stop(): Run() returns ok once every source thread has ended; what was
// journaled stays, with its position.
TEST_F(BridgeTest, StopMakesRunReturnOkWithEverySourceEnded) {
  scripts_["a"].run = [](SourceSinks sinks, const std::atomic<bool>& stop) -> Status {
    DB_RETURN_IF_ERROR(WriteTx(sinks.sink, "a", "1", 2, "0/A1"));
    WaitForStop(stop);
    return Status::Ok();
  };
  StartBridge();
  ASSERT_TRUE(WaitFor([&] { return threads_.running.load() == 2; }, kWait));
  ASSERT_TRUE(StatusWhen([](const BridgeStats& s) { return s.published_seq == 2; }).has_value());
  EXPECT_TRUE(StopBridge().ok());
  EXPECT_EQ(threads_.running.load(), 0);
  EXPECT_EQ(threads_.ended.load(), 2);
  // The final status file: what was journaled and published, and where.
  std::optional<BridgeStats> st = StatusWhen([](const BridgeStats&) { return true; });
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->journal_last_seq, 2u);
  EXPECT_EQ(st->published_seq, 2u);
  ASSERT_EQ(st->sources.size(), 2u);
  EXPECT_EQ(st->sources[0].position, "0/A1");
}

// bridge-status.json reports each source's Report() and its durable position.
TEST_F(BridgeTest, StatusFileReportsSourcesAndDurablePositions) {
  SourceReport r;
  r.changes = 3;
  r.transactions = 1;
  r.reconnects = 2;
  r.snapshot_rows = 10;
  r.last_commit_us = 1'795'773'600'000'000;
  r.position_lag_bytes = 42;
  scripts_["a"].report = r;
  scripts_["a"].run = [](SourceSinks sinks, const std::atomic<bool>& stop) -> Status {
    DB_RETURN_IF_ERROR(WriteTx(sinks.sink, "a", "1", 3, "0/ABC"));
    WaitForStop(stop);
    return Status::Ok();
  };
  StartBridge();
  std::optional<BridgeStats> st = StatusWhen([](const BridgeStats& s) {
    return s.sources.size() == 2 && s.sources[0].position == "0/ABC" && s.published_seq == 3;
  });
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->bridge, "parks");
  EXPECT_EQ(st->journal_first_seq, 1u);
  EXPECT_EQ(st->journal_last_seq, 3u);
  const SourceStats& a = st->sources[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.type, "postgres");
  EXPECT_EQ(a.changes, 3u);
  EXPECT_EQ(a.transactions, 1u);
  EXPECT_EQ(a.reconnects, 2u);
  EXPECT_EQ(a.snapshot_rows, 10u);
  EXPECT_EQ(a.last_commit_us, 1'795'773'600'000'000);
  EXPECT_EQ(a.position_lag_bytes, std::optional<uint64_t>(42));
  EXPECT_GT(a.bytes, 0u);  // what the sink journaled
  const SourceStats& b = st->sources[1];
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.position, "");
  EXPECT_EQ(b.changes, 0u);
  EXPECT_EQ(b.bytes, 0u);
  EXPECT_FALSE(b.position_lag_bytes.has_value());
  EXPECT_TRUE(StopBridge().ok());
}

// A source the factory cannot make fails Run() at once, before any source
// runs, and leaves the journal and the endpoints free for the next bridge.
TEST_F(BridgeTest, FactoryErrorFailsRunCleanly) {
  int made = 0;
  bridge_ = std::make_unique<Bridge>(
      config_, Bridge::Options{},
      [&](const BridgeConfig&, const SourceConfig& sc,
          SourceSinks sinks) -> Result<std::unique_ptr<Source>> {
        ++made;
        if (sc.name == "b") {
          return Status::InvalidArgument("source b: type odbc is not supported by this build");
        }
        return std::unique_ptr<Source>(
            std::make_unique<FakeSource>(sc.name, sinks, &scripts_[sc.name], &threads_));
      });
  Status s = bridge_->Run();
  EXPECT_TRUE(s.code() == Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.message(), "source b: type odbc is not supported by this build");
  EXPECT_EQ(made, 2);
  EXPECT_EQ(threads_.ended.load(), 0);  // no source ran
  bridge_.reset();

  // The same state directory and endpoints serve a bridge that works.
  scripts_["a"].run = [](SourceSinks sinks, const std::atomic<bool>& stop) -> Status {
    DB_RETURN_IF_ERROR(WriteTx(sinks.sink, "a", "1", 1, "0/1"));
    WaitForStop(stop);
    return Status::Ok();
  };
  StartBridge();
  ASSERT_TRUE(StatusWhen([](const BridgeStats& s) { return s.published_seq == 1; }).has_value());
  EXPECT_TRUE(StopBridge().ok());
}

// --resnapshot: the named source starts with its position and snapshot
// state forgotten (empty); the other keeps its own.
TEST_F(BridgeTest, ResnapshotClearsTheSourcesSnapshotState) {
  auto snapshot_once = [](const std::string& source) {
    return [source](SourceSinks sinks, const std::atomic<bool>& stop) -> Status {
      if (!sinks.sink->GetState(kSnapshotDoneState).value_or("").empty()) {
        WaitForStop(stop);
        return Status::Ok();
      }
      DB_RETURN_IF_ERROR(sinks.sink->BeginTx());
      DB_RETURN_IF_ERROR(sinks.sink->Add(MakeChange(source, 1, "snap")));
      sinks.sink->SetState(kSnapshotDoneState, "0/100");
      DB_RETURN_IF_ERROR(sinks.sink->EndTx("0/100"));
      DB_RETURN_IF_ERROR(sinks.sink->Flush());
      WaitForStop(stop);
      return Status::Ok();
    };
  };
  scripts_["a"].run = snapshot_once("a");
  scripts_["b"].run = snapshot_once("b");
  StartBridge();
  ASSERT_TRUE(StatusWhen([](const BridgeStats& s) {
                return s.sources.size() == 2 && s.sources[0].position == "0/100" &&
                       s.sources[1].position == "0/100";
              }).has_value());
  ASSERT_TRUE(StopBridge().ok());

  // What each source finds when it starts again: its state and position.
  for (const char* name : {"a", "b"}) {
    scripts_[name].run = [this, name](SourceSinks sinks, const std::atomic<bool>& stop) {
      {
        std::lock_guard<std::mutex> l(found_mu_);
        found_[name] = {sinks.sink->GetState(kSnapshotDoneState).value_or("<none>"),
                        sinks.sink->DurablePosition().value_or("<none>")};
      }
      WaitForStop(stop);
      return Status::Ok();
    };
  }
  Bridge::Options o;
  o.resnapshot = {"a"};
  StartBridge(o);
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> l(found_mu_);
        return found_.size() == 2;
      },
      kWait));
  ASSERT_TRUE(StopBridge().ok());
  EXPECT_EQ(found_["a"], std::make_pair(std::string(""), std::string("")));
  EXPECT_EQ(found_["b"], std::make_pair(std::string("0/100"), std::string("0/100")));
}

// Each source writes through its origin filter (two-way sync): a transaction
// a sink wrote (tagged) is not published by a source that does not forward,
// and the status file counts it; a source with a node of its own names it
// on its deltas.
TEST_F(BridgeTest, SinkWrittenTransactionsAreFilteredAndCounted) {
  config_.sources[0].node = "parks.alpha";
  config_.sources[1].node = "parks.b";
  SourceReport r;
  r.changes = 4;  // what the fake source "handed over": 3 + 1
  scripts_["a"].report = r;
  scripts_["a"].run = [this](SourceSinks sinks, const std::atomic<bool>& stop) -> Status {
    if (!go_.Wait(stop)) return Status::Ok();
    DB_RETURN_IF_ERROR(sinks.sink->BeginTx());
    Change tag = MakeChange("a", 0, "1");
    tag.table = "public.deltabridge_origin";
    tag.op = Op::kUpdate;
    tag.changes = {
        {"tag", std::nullopt,
         Value::Textual(Value::Kind::kText, R"({"n":1,"path":["legacy.main"]})", "varchar")}};
    DB_RETURN_IF_ERROR(sinks.sink->Add(std::move(tag)));
    DB_RETURN_IF_ERROR(sinks.sink->Add(MakeChange("a", 1, "1")));
    DB_RETURN_IF_ERROR(sinks.sink->Add(MakeChange("a", 2, "1")));
    DB_RETURN_IF_ERROR(sinks.sink->EndTx("0/1"));
    DB_RETURN_IF_ERROR(WriteTx(sinks.sink, "a", "2", 1, "0/2"));
    WaitForStop(stop);
    return Status::Ok();
  };
  Collector sub(config_.publish);
  StartBridge();
  // The subscriber is connected once it has a heartbeat: deltas from now on reach it.
  ASSERT_TRUE(WaitFor([&] { return sub.Heartbeats() > 0; }, kWait));
  go_.Set();
  std::optional<BridgeStats> st = StatusWhen([](const BridgeStats& s) {
    return s.sources.size() == 2 && s.sources[0].position == "0/2" && s.published_seq == 1;
  });
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->journal_last_seq, 1u);
  const SourceStats& a = st->sources[0];
  EXPECT_EQ(a.tagged_dropped, 2u);
  EXPECT_EQ(a.tagged_forwarded, 0u);
  EXPECT_EQ(a.bad_tags, 0u);
  EXPECT_EQ(a.changes, 1u);  // journaled: the tag row and the dropped two are not
  ASSERT_TRUE(WaitFor([&] { return sub.Deltas().size() == 1; }, kWait));
  const Json d = sub.Deltas()[0];
  EXPECT_EQ(d["key"]["id"], 0);
  EXPECT_EQ(d["node"], "parks.alpha");
  EXPECT_FALSE(d.contains("origin"));
  EXPECT_TRUE(d["tx"]["last"].get<bool>());
  EXPECT_TRUE(StopBridge().ok());
}

}  // namespace
}  // namespace deltabridge
