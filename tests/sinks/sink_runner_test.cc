// SinkRunner driving an in-memory Target (FakeTarget: it records Begin /
// Apply / Commit / Abort, keeps what is committed and its checkpoint together
// as a real target does, and fails on request) from a real publisher and
// replay server on loopback serving crafted deltas from memory. Every wait is
// on a condition.
#include "sinks/sink_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cdc/publish/publisher.h"
#include "cdc/publish/replay_server.h"
#include "cdc/wire/envelope.h"
#include "cdc/wire/topic.h"
#include "tests/publish/memory_replay_source.h"
#include "tests/publish/test_util.h"

namespace deltabridge {
namespace {

using testing::WaitFor;

// Long enough for a busy 2-core machine; conditions normally hold in ms.
constexpr std::chrono::seconds kWait{30};

// One delta as the fake target saw it.
struct Seen {
  uint64_t seq = 0;
  std::string topic;
  std::string tx_id;
  bool tx_last = false;
  std::string to;  // the mapping's target table
  bool self = false;
  std::string bridge;
};

// The fake target's state, owned by the test so that it outlives the runner
// (which owns the target) and survives a "restart" (a new runner and target
// over the same state). Guarded by mu.
struct TargetState {
  enum class Call { kOpen, kBegin, kApply, kCommit };

  mutable std::mutex mu;
  // Durable: what was committed, in commit order, and the checkpoint
  // committed with it.
  std::vector<Seen> committed;
  Checkpoints checkpoints;
  // The seqs of each committed target transaction.
  std::vector<std::vector<uint64_t>> transactions;
  // The open transaction: applied, not yet committed.
  bool in_tx = false;
  std::vector<Seen> pending;
  // Every call, in order ("open", "begin", "apply 2", "commit", "abort").
  std::vector<std::string> calls;
  std::map<Call, int> call_counts;
  // Fail the `nth` call (counted from 1 over the state's life) of `call`.
  struct Failure {
    Call call;
    int nth;
    Status status;
  };
  std::vector<Failure> failures;

  std::vector<uint64_t> CommittedSeqs() const {
    std::lock_guard<std::mutex> l(mu);
    std::vector<uint64_t> out;
    for (const Seen& s : committed) out.push_back(s.seq);
    return out;
  }
  uint64_t Checkpoint(const std::string& bridge = "parks") const {
    std::lock_guard<std::mutex> l(mu);
    auto it = checkpoints.find(bridge);
    return it == checkpoints.end() ? 0 : it->second;
  }
  // The committed seqs of `bridge`, in commit order.
  std::vector<uint64_t> CommittedSeqsOf(const std::string& bridge) const {
    std::lock_guard<std::mutex> l(mu);
    std::vector<uint64_t> out;
    for (const Seen& s : committed) {
      if (s.bridge == bridge) out.push_back(s.seq);
    }
    return out;
  }
  size_t PendingSize() const {
    std::lock_guard<std::mutex> l(mu);
    return pending.size();
  }
  int Count(const std::string& call) const {
    std::lock_guard<std::mutex> l(mu);
    return static_cast<int>(std::count(calls.begin(), calls.end(), call));
  }
  std::vector<std::string> Calls() const {
    std::lock_guard<std::mutex> l(mu);
    return calls;
  }
};

class FakeTarget final : public Target {
 public:
  explicit FakeTarget(TargetState* state) : state_(state) {}

  Result<Checkpoints> Open() override {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->calls.push_back("open");
    DB_RETURN_IF_ERROR(Injected(TargetState::Call::kOpen));
    state_->in_tx = false;
    state_->pending.clear();
    return state_->checkpoints;
  }
  Status Begin() override {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->calls.push_back("begin");
    DB_RETURN_IF_ERROR(Injected(TargetState::Call::kBegin));
    if (state_->in_tx) return Status::FailedPrecondition("Begin inside a transaction");
    state_->in_tx = true;
    state_->pending.clear();
    return Status::Ok();
  }
  Status Apply(const std::vector<SinkDelta>& chunk) override {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->calls.push_back("apply " + std::to_string(chunk.size()));
    DB_RETURN_IF_ERROR(Injected(TargetState::Call::kApply));
    if (!state_->in_tx) return Status::FailedPrecondition("Apply outside a transaction");
    for (const SinkDelta& d : chunk) {
      if (d.mapping == nullptr) return Status::FailedPrecondition("a delta without a mapping");
      state_->pending.push_back({d.delta.seq, d.topic, d.delta.change.tx_id, d.delta.change.tx_last,
                                 d.mapping->to, d.self, d.delta.bridge});
    }
    deltas_ += chunk.size();
    return Status::Ok();
  }
  Status Commit(const Checkpoints& checkpoints) override {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->calls.push_back("commit");
    if (!state_->in_tx) return Status::FailedPrecondition("Commit outside a transaction");
    // A failed commit (connection lost) leaves nothing durable.
    Status injected = Injected(TargetState::Call::kCommit);
    if (!injected.ok()) {
      state_->in_tx = false;
      state_->pending.clear();
      return injected;
    }
    std::vector<uint64_t> seqs;
    for (Seen& s : state_->pending) {
      seqs.push_back(s.seq);
      state_->committed.push_back(std::move(s));
    }
    state_->transactions.push_back(std::move(seqs));
    state_->checkpoints = checkpoints;
    state_->pending.clear();
    state_->in_tx = false;
    ++transactions_;
    return Status::Ok();
  }
  void Abort() override {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->calls.push_back("abort");
    state_->pending.clear();
    state_->in_tx = false;
  }

  ApplyCounters counters() const override {
    ApplyCounters c;
    c.deltas = deltas_.load();
    c.transactions = transactions_.load();
    return c;
  }
  std::string Describe() const override { return "fake target"; }

 private:
  // Under state_->mu.
  Status Injected(TargetState::Call call) {
    const int n = ++state_->call_counts[call];
    for (const TargetState::Failure& f : state_->failures) {
      if (f.call == call && f.nth == n) return f.status;
    }
    return Status::Ok();
  }

  TargetState* state_;  // the test's
  std::atomic<uint64_t> deltas_{0};
  std::atomic<uint64_t> transactions_{0};
};

// One delta of a source transaction a ServedBridge journals.
struct Row {
  std::string source = "scheduling";
  std::string table = "public.t";
  std::string node;                 // Change::node: empty for <bridge>.<source>
  std::vector<std::string> origin;  // Change::origin: empty for an ordinary change
};

Row MakeRow(std::string source, std::string node, std::vector<std::string> origin,
            std::string table = "public.t") {
  Row r;
  r.source = std::move(source);
  r.node = std::move(node);
  r.origin = std::move(origin);
  r.table = std::move(table);
  return r;
}

// A bridge (named "parks" unless told) in memory: the deltas it "journals" (a
// MemoryReplaySource behind a real ReplayServer) and publishes on a real PUB
// socket, both on loopback ports the kernel picks, with a heartbeat every
// 100 ms naming `nodes`, unless `beat` is false.
class ServedBridge {
 public:
  explicit ServedBridge(std::string name = "parks", SourceNodes nodes = {}, bool beat = true)
      : name_(std::move(name)), nodes_(std::move(nodes)), beat_(beat) {
    auto publisher = Publisher::Bind("tcp://127.0.0.1:*");
    EXPECT_TRUE(publisher.ok()) << publisher.status().ToString();
    publisher_ = std::move(publisher).value();
    replay_ = std::make_unique<ReplayServer>(source_);
    Status s = replay_->Start("tcp://127.0.0.1:*");
    EXPECT_TRUE(s.ok()) << s.ToString();
    heartbeat_ = std::thread([this] {
      while (!stop_) {
        if (beat_) {
          std::lock_guard<std::mutex> l(mu_);
          Status hs = publisher_->PublishHeartbeat(name_, newest_, nodes_);
          EXPECT_TRUE(hs.ok()) << hs.ToString();
        }
        std::unique_lock<std::mutex> l(stop_mu_);
        stop_cv_.wait_for(l, std::chrono::milliseconds(100), [&] { return stop_.load(); });
      }
    });
  }
  ~ServedBridge() {
    {
      std::lock_guard<std::mutex> l(stop_mu_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    heartbeat_.join();
    replay_->Stop();
  }

  const std::string& name() const { return name_; }
  const std::string& publish() const { return publisher_->endpoint(); }
  const std::string& replay() const { return replay_->endpoint(); }

  // Journals one source transaction of `n` deltas on <source>.<table> and
  // publishes it unless `publish` is false (deltas the PUB lost). Returns the
  // last seq.
  uint64_t Tx(int n, const std::string& table = "public.t", bool publish = true,
              const std::string& source = "scheduling") {
    std::lock_guard<std::mutex> l(mu_);
    const std::string tx_id = "tx" + std::to_string(newest_ + 1);
    for (int i = 0; i < n; ++i) {
      Delta d;
      d.seq = newest_ + 1;
      d.bridge = name_;
      d.change.source = source;
      d.change.table = table;
      d.change.op = Op::kInsert;
      d.change.key.emplace_back("id", Value::Int(static_cast<int64_t>(d.seq)));
      d.change.changes.push_back({"id", std::nullopt, Value::Int(static_cast<int64_t>(d.seq))});
      d.change.commit_time_us = 1'700'000'000'000'000 + static_cast<int64_t>(d.seq);
      d.change.pos = "0/" + std::to_string(d.seq);
      d.change.tx_id = tx_id;
      d.change.tx_last = i + 1 == n;
      EmitLocked(MakeTopic(name_, source, table), EncodeEnvelope(d), publish);
    }
    return newest_;
  }

  // Journals and publishes one source transaction of `rows`. Returns its last seq.
  uint64_t TxOf(const std::vector<Row>& rows) {
    std::lock_guard<std::mutex> l(mu_);
    const std::string tx_id = "tx" + std::to_string(newest_ + 1);
    for (size_t i = 0; i < rows.size(); ++i) {
      Delta d;
      d.seq = newest_ + 1;
      d.bridge = name_;
      d.change.source = rows[i].source;
      d.change.table = rows[i].table;
      d.change.node = rows[i].node;
      d.change.origin = rows[i].origin;
      d.change.op = Op::kInsert;
      d.change.key.emplace_back("id", Value::Int(static_cast<int64_t>(d.seq)));
      d.change.changes.push_back({"id", std::nullopt, Value::Int(static_cast<int64_t>(d.seq))});
      d.change.commit_time_us = 1'700'000'000'000'000 + static_cast<int64_t>(d.seq);
      d.change.tx_id = tx_id;
      d.change.tx_last = i + 1 == rows.size();
      EmitLocked(MakeTopic(name_, rows[i].source, rows[i].table), EncodeEnvelope(d), true);
    }
    return newest_;
  }

  // Journals and publishes one delta on public.t of source transaction
  // `tx_id`, the last of it when `last`. Returns its seq.
  uint64_t Part(const std::string& tx_id, bool last) {
    std::lock_guard<std::mutex> l(mu_);
    Delta d;
    d.seq = newest_ + 1;
    d.bridge = name_;
    d.change.source = "scheduling";
    d.change.table = "public.t";
    d.change.key.emplace_back("id", Value::Int(static_cast<int64_t>(d.seq)));
    d.change.tx_id = tx_id;
    d.change.tx_last = last;
    EmitLocked(MakeTopic(name_, "scheduling", "public.t"), EncodeEnvelope(d), true);
    return newest_;
  }

  // Journals and publishes the next seq with `body` (which must start with
  // {"seq":N, for the subscriber to number it).
  uint64_t Raw(const std::string& topic, const std::string& body_after_seq) {
    std::lock_guard<std::mutex> l(mu_);
    EmitLocked(topic, "{\"seq\":" + std::to_string(newest_ + 1) + body_after_seq, true);
    return newest_;
  }

  uint64_t newest() const {
    std::lock_guard<std::mutex> l(mu_);
    return newest_;
  }

 private:
  void EmitLocked(const std::string& topic, const std::string& body, bool publish) {
    ++newest_;
    source_.Append({newest_, topic, body});  // journaled before published
    if (publish) {
      Status s = publisher_->Publish(topic, body);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }

  const std::string name_;
  const SourceNodes nodes_;
  const bool beat_;
  testing::MemoryReplaySource source_;
  mutable std::mutex mu_;  // guards publisher_ (one thread at a time) and newest_
  std::unique_ptr<Publisher> publisher_;
  uint64_t newest_ = 0;
  std::unique_ptr<ReplayServer> replay_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stop_{false};
  std::thread heartbeat_;
};

class SinkRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.name = "dash";
    config_.state_dir = "unused";
    SubscribeConfig sub;
    sub.bridge = "parks";
    sub.publish = bridge_.publish();
    sub.replay = bridge_.replay();
    sub.topics = {"parks.scheduling."};
    config_.subscribe.push_back(sub);
    config_.target.type = TargetType::kJsonl;
    MappingConfig m;
    m.from = "parks.scheduling.public.t";
    m.to = "t";
    m.key = {"id"};
    config_.mappings.push_back(m);
  }

  void TearDown() override {
    Status s = StopRunner();
    (void)s;  // a test that cared has stopped the runner itself
  }

  // Runs a new SinkRunner (over a new FakeTarget on state_) on its own thread.
  void StartRunner(SinkRunnerOptions options = {}) {
    stop_ = false;
    done_ = false;
    runner_ = std::make_unique<SinkRunner>(config_, std::make_unique<FakeTarget>(&state_), options);
    thread_ = std::thread([this] {
      status_ = runner_->Run(stop_);
      done_ = true;
    });
  }

  // Waits for Run() to return by itself; its Status.
  Status WaitRun() {
    EXPECT_TRUE(WaitFor([&] { return done_.load(); }, kWait)) << "Run() did not return";
    if (thread_.joinable()) thread_.join();
    return status_;
  }

  // Sets the stop flag and waits for Run() to return; its Status.
  Status StopRunner() {
    if (!runner_) return Status::Ok();
    stop_ = true;
    Status s = WaitRun();
    return s;
  }

  bool WaitCheckpoint(uint64_t seq) {
    return WaitFor([&] { return state_.Checkpoint() >= seq; }, kWait);
  }

  // Follows `bridge`, applying `topics`.
  static SubscribeConfig Follow(const ServedBridge& bridge, std::vector<std::string> topics) {
    SubscribeConfig sub;
    sub.bridge = bridge.name();
    sub.publish = bridge.publish();
    sub.replay = bridge.replay();
    sub.topics = std::move(topics);
    return sub;
  }
  static MappingConfig Mapping(std::string from, std::string to) {
    MappingConfig m;
    m.from = std::move(from);
    m.to = std::move(to);
    m.key = {"id"};
    return m;
  }

  static std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> out;
    for (uint64_t s = from; s <= to; ++s) out.push_back(s);
    return out;
  }

  // Its heartbeat names its source's node, as every bridge's does.
  ServedBridge bridge_{"parks", {{"scheduling", "parks.scheduling"}}};
  SinkConfig config_;
  TargetState state_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<SinkRunner> runner_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  Status status_;
};

TEST_F(SinkRunnerTest, AppliesInSeqOrderExactlyOnceAndCommitsTheCheckpoint) {
  bridge_.Tx(2);
  bridge_.Tx(1);
  bridge_.Tx(3);  // seqs 1..6, journaled before the sink starts: replayed
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(6));
  bridge_.Tx(2);  // 7, 8: live
  ASSERT_TRUE(WaitCheckpoint(8));
  EXPECT_EQ(state_.CommittedSeqs(), Range(1, 8));
  {
    std::lock_guard<std::mutex> l(state_.mu);
    EXPECT_EQ(state_.checkpoints, (Checkpoints{{"parks", 8}}));
    for (const Seen& s : state_.committed) {
      EXPECT_EQ(s.topic, "parks.scheduling.public.t");
      EXPECT_EQ(s.to, "t");
    }
    EXPECT_TRUE(state_.committed.back().tx_last);
  }
  SinkStats stats = runner_->stats();
  EXPECT_EQ(stats.received, 8u);
  EXPECT_EQ(stats.unmapped, 0u);
  EXPECT_EQ(stats.malformed, 0u);
  EXPECT_EQ(stats.target.deltas, 8u);
  EXPECT_EQ(stats.checkpoints, (Checkpoints{{"parks", 8}}));
  EXPECT_EQ(stats.last_commit_us.at("parks"), 1'700'000'000'000'008);
  EXPECT_TRUE(StopRunner().ok());
}

// Small chunks and batches, and a source transaction whose last delta comes
// only after its first ones were applied: every source transaction lies in
// one target transaction.
TEST_F(SinkRunnerTest, SourceTransactionIsNeverSplitAcrossTargetTransactions) {
  SinkRunnerOptions o;
  o.chunk_deltas = 2;
  o.max_batch_deltas = 3;
  bridge_.Tx(5);
  bridge_.Tx(1);
  bridge_.Tx(4);
  StartRunner(o);
  ASSERT_TRUE(WaitCheckpoint(10));
  // Half a source transaction (it is held back by the bridge in reality; here
  // the last delta is simply not yet sent): applied, not committed.
  const uint64_t before = state_.Checkpoint();
  bridge_.Part("open", false);
  bridge_.Part("open", false);
  ASSERT_TRUE(WaitFor([&] { return state_.PendingSize() == 2; }, kWait));
  EXPECT_EQ(state_.Checkpoint(), before);
  bridge_.Part("open", true);
  ASSERT_TRUE(WaitCheckpoint(13));

  std::lock_guard<std::mutex> l(state_.mu);
  std::map<std::string, std::set<size_t>> target_txs_of;  // source tx id -> target transactions
  std::map<uint64_t, std::string> tx_of_seq;
  for (const Seen& s : state_.committed) tx_of_seq[s.seq] = s.tx_id;
  for (size_t t = 0; t < state_.transactions.size(); ++t) {
    for (uint64_t seq : state_.transactions[t]) target_txs_of[tx_of_seq[seq]].insert(t);
  }
  ASSERT_EQ(target_txs_of.size(), 4u);
  for (const auto& [tx, target_txs] : target_txs_of) {
    EXPECT_EQ(target_txs.size(), 1u) << "source transaction " << tx << " split";
  }
  // Chunks of at most 2 deltas.
  for (const std::string& c : state_.calls) {
    if (c.starts_with("apply ")) {
      EXPECT_LE(std::stoi(c.substr(6)), 2) << c;
    }
  }
  std::vector<uint64_t> seqs;
  for (const Seen& s : state_.committed) seqs.push_back(s.seq);
  EXPECT_EQ(seqs, Range(1, 13));
}

TEST_F(SinkRunnerTest, ResumesFromTheTargetsCheckpointAfterARestart) {
  bridge_.Tx(2);
  bridge_.Tx(1);
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(3));
  ASSERT_TRUE(StopRunner().ok());
  runner_.reset();
  bridge_.Tx(3);  // 4..6, while the sink is down
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(6));
  EXPECT_EQ(state_.CommittedSeqs(), Range(1, 6));  // nothing applied twice
  ASSERT_TRUE(StopRunner().ok());
  runner_.reset();

  // A target whose checkpoint is ahead of what this bridge served before
  // (another copy of the sink applied up to 8): nothing at or before it again.
  bridge_.Tx(2);
  bridge_.Tx(2);  // 7..10
  {
    std::lock_guard<std::mutex> l(state_.mu);
    state_.checkpoints["parks"] = 8;
  }
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(10));
  std::vector<uint64_t> expected = Range(1, 6);
  expected.push_back(9);
  expected.push_back(10);
  EXPECT_EQ(state_.CommittedSeqs(), expected);
}

// The target loses its connection at a commit: the runner aborts, reopens it
// and resumes from the checkpoint it holds: nothing lost, nothing twice.
TEST_F(SinkRunnerTest, UnavailableTargetIsReopenedAndResumedExactly) {
  {
    std::lock_guard<std::mutex> l(state_.mu);
    state_.failures.push_back(
        {TargetState::Call::kCommit, 2, Status::Unavailable("connection lost")});
  }
  bridge_.Tx(2);
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(2));
  bridge_.Tx(3);  // 3..5: applied, the commit fails
  bridge_.Tx(1);  // 6
  ASSERT_TRUE(WaitCheckpoint(6));
  EXPECT_EQ(state_.CommittedSeqs(), Range(1, 6));
  EXPECT_EQ(state_.Count("open"), 2);
  EXPECT_GE(state_.Count("abort"), 1);
  EXPECT_EQ(runner_->stats().reconnects, 1u);
  // The abort came right after the failed commit, before the reopen.
  std::vector<std::string> calls = state_.Calls();
  auto second_open = std::find(calls.begin() + 1, calls.end(), "open");
  ASSERT_NE(second_open, calls.end());
  EXPECT_EQ(*(second_open - 1), "abort");
  EXPECT_EQ(*(second_open - 2), "commit");
  EXPECT_TRUE(StopRunner().ok());
}

TEST_F(SinkRunnerTest, NonTransientTargetErrorStopsRunWithItsMessage) {
  {
    std::lock_guard<std::mutex> l(state_.mu);
    state_.failures.push_back(
        {TargetState::Call::kApply, 2, Status::InvalidArgument("column t.colour does not exist")});
  }
  bridge_.Tx(1);
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(1));
  bridge_.Tx(2);
  Status s = WaitRun();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.message(), "column t.colour does not exist");
  EXPECT_EQ(state_.Count("open"), 1);  // not retried
  EXPECT_EQ(state_.Calls().back(), "abort");
  EXPECT_EQ(state_.CommittedSeqs(), Range(1, 1));
}

// Deltas under the sink's topics that no mapping takes are counted and
// skipped; those outside its topics are skipped silently; both advance the
// checkpoint.
TEST_F(SinkRunnerTest, UnmappedAndForeignTopicsAreSkippedButAdvanceTheCheckpoint) {
  bridge_.Tx(1);                                 // 1: applied
  bridge_.Tx(2, "public.other");                 // 2, 3: unmapped
  bridge_.Tx(1, "public.t", true, "elsewhere");  // 4: outside the topics
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(4));
  EXPECT_EQ(state_.CommittedSeqs(), Range(1, 1));
  SinkStats stats = runner_->stats();
  EXPECT_EQ(stats.unmapped, 2u);
  EXPECT_EQ(stats.received, 3u);  // the mapped one and the unmapped ones
  EXPECT_EQ(stats.malformed, 0u);
  bridge_.Tx(1);  // 5
  ASSERT_TRUE(WaitCheckpoint(5));
  EXPECT_EQ(state_.CommittedSeqs(), (std::vector<uint64_t>{1, 5}));
  EXPECT_TRUE(StopRunner().ok());
}

TEST_F(SinkRunnerTest, MalformedBodyIsCountedAndSkipped) {
  bridge_.Tx(1);  // 1
  // 2: numbered, ends its transaction, but does not decode.
  bridge_.Raw("parks.scheduling.public.t",
              ",\"bridge\":\"parks\",\"table\":,\"tx\":{\"id\":\"x\",\"last\":true}}");
  bridge_.Tx(1);  // 3
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(3));
  EXPECT_EQ(state_.CommittedSeqs(), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(runner_->stats().malformed, 1u);
  EXPECT_TRUE(StopRunner().ok());
}

TEST_F(SinkRunnerTest, GapInTheLiveStreamIsRepairedThroughReplay) {
  bridge_.Tx(1);
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(1));
  bridge_.Tx(2, "public.t", /*publish=*/false);  // 2, 3: journaled, lost by the PUB
  bridge_.Tx(1);                                 // 4: reveals the hole
  ASSERT_TRUE(WaitCheckpoint(4));
  EXPECT_EQ(state_.CommittedSeqs(), Range(1, 4));
  bridge_.Tx(1, "public.t", /*publish=*/false);  // 5: only the heartbeat reveals it
  ASSERT_TRUE(WaitCheckpoint(5));
  EXPECT_EQ(state_.CommittedSeqs(), Range(1, 5));
  EXPECT_TRUE(StopRunner().ok());
}

// The stop flag: Run() returns ok; what forms whole source transactions is
// committed, a half-applied one is rolled back (and redone next time).
TEST_F(SinkRunnerTest, StopReturnsCleanlyWithWhatWasAppliedCommitted) {
  bridge_.Tx(3);  // 1..3
  SinkRunnerOptions o;
  o.chunk_deltas = 1;  // each delta reaches the target as it is taken
  StartRunner(o);
  ASSERT_TRUE(WaitCheckpoint(3));
  bridge_.Part("half", false);  // half of the next source transaction
  ASSERT_TRUE(WaitFor([&] { return state_.PendingSize() == 1; }, kWait));
  Status s = StopRunner();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(state_.CommittedSeqs(), Range(1, 3));
  EXPECT_EQ(state_.Checkpoint(), 3u);
  EXPECT_EQ(state_.Calls().back(), "abort");
  EXPECT_EQ(state_.PendingSize(), 0u);
}

// Two-way sync (docs/two-way.md, "No echo"): by its path, a delta is applied,
// kept as a change of the target's own node, or suppressed as an echo; a
// suppressed delta is counted, closes its source transaction and advances the
// checkpoint like an unmapped one, and is not redone after a restart.
TEST_F(SinkRunnerTest, PathsDecideWhatIsAppliedKeptAsOwnOrSuppressed) {
  config_.target.type = TargetType::kPostgres;
  config_.target.node = "dash.main";
  config_.subscribe[0].topics = {"parks."};
  config_.mappings.push_back(Mapping("parks.own.public.t", "t"));
  const std::vector<std::string> echo = {"dash.main", "parks.scheduling"};
  bridge_.TxOf({Row{}});                            // 1: applied
  bridge_.TxOf({MakeRow("scheduling", "", echo)});  // 2: echo
  bridge_.TxOf({MakeRow("scheduling", "", {"x.y", "dash.main", "parks.scheduling"})});  // 3: echo
  bridge_.TxOf({MakeRow("own", "dash.main", {})});         // 4: own node
  bridge_.TxOf({Row{}, MakeRow("scheduling", "", echo)});  // 5 applied, 6 (its last) echo
  bridge_.TxOf(
      {MakeRow("scheduling", "", {"elsewhere.x", "parks.scheduling"})});  // 7: from elsewhere
  bridge_.TxOf({MakeRow("scheduling", "", echo, "public.other")});        // 8: unmapped first
  bridge_.TxOf({MakeRow("scheduling", "", echo)});                        // 9: echo, the newest
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(9));
  EXPECT_EQ(state_.CommittedSeqs(), (std::vector<uint64_t>{1, 4, 5, 7}));
  {
    std::lock_guard<std::mutex> l(state_.mu);
    for (const Seen& seen : state_.committed) EXPECT_EQ(seen.self, seen.seq == 4) << seen.seq;
  }
  SinkStats stats = runner_->stats();
  EXPECT_EQ(stats.received, 9u);
  EXPECT_EQ(stats.unmapped, 1u);
  EXPECT_EQ(stats.suppressed_echo, 4u);  // 2, 3, 6, 9
  EXPECT_EQ(stats.suppressed_forwarded, 0u);
  EXPECT_EQ(stats.own, 1u);
  EXPECT_EQ(stats.target.deltas, 4u);
  EXPECT_EQ(stats.checkpoints, (Checkpoints{{"parks", 9}}));
  ASSERT_TRUE(StopRunner().ok());
  runner_.reset();

  // Restarted: resumes after 9, redoing none of it.
  bridge_.TxOf({Row{}});  // 10
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(10));
  EXPECT_EQ(state_.CommittedSeqs(), (std::vector<uint64_t>{1, 4, 5, 7, 10}));
  EXPECT_EQ(runner_->stats().suppressed_echo, 0u);  // nothing at or before 9 read again
}

// A JSON-lines target records no local writes: its own node's deltas are
// suppressed as echoes.
TEST_F(SinkRunnerTest, JsonLinesTargetSkipsItsOwnNodesDeltas) {
  config_.target.type = TargetType::kJsonl;
  config_.target.node = "parks.scheduling";
  bridge_.TxOf({Row{}});                                                      // 1: own node
  bridge_.TxOf({MakeRow("scheduling", "elsewhere.x", {})});                   // 2: applied
  bridge_.TxOf({MakeRow("scheduling", "", {"parks.scheduling", "h.main"})});  // 3: echo
  StartRunner();
  ASSERT_TRUE(WaitCheckpoint(3));
  EXPECT_EQ(state_.CommittedSeqs(), (std::vector<uint64_t>{2}));
  SinkStats stats = runner_->stats();
  EXPECT_EQ(stats.own, 1u);
  EXPECT_EQ(stats.suppressed_echo, 2u);
  EXPECT_EQ(stats.suppressed_forwarded, 0u);
  EXPECT_TRUE(StopRunner().ok());
}

// A dashboard following node parks.scheduling and a hub that forwards its
// changes into the same table: the forwarded copy is skipped, the hub's own
// changes and those it forwards from elsewhere are applied.
TEST_F(SinkRunnerTest, ForwardedCopyIsSkippedWhenTheSinkFollowsItsFirstNodeDirectly) {
  ServedBridge hub("hub", {{"main", "h"}});
  config_.subscribe.push_back(Follow(hub, {"hub.main."}));
  config_.mappings.push_back(Mapping("hub.main.public.t", "t"));
  bridge_.TxOf({Row{}});                                        // parks 1: applied
  hub.TxOf({MakeRow("main", "h", {"parks.scheduling", "h"})});  // 1
  hub.TxOf({MakeRow("main", "h", {"c.main", "h"})});            // 2: applied
  hub.TxOf({MakeRow("main", "h", {})});                         // 3: applied
  StartRunner();
  ASSERT_TRUE(
      WaitFor([&] { return state_.Checkpoint("hub") >= 3 && state_.Checkpoint() >= 1; }, kWait));
  EXPECT_EQ(state_.CommittedSeqsOf("parks"), (std::vector<uint64_t>{1}));
  EXPECT_EQ(state_.CommittedSeqsOf("hub"), (std::vector<uint64_t>{2, 3}));
  SinkStats stats = runner_->stats();
  EXPECT_EQ(stats.suppressed_forwarded, 1u);
  EXPECT_EQ(stats.suppressed_echo, 0u);
  EXPECT_EQ(stats.own, 0u);
  EXPECT_TRUE(StopRunner().ok());
}

// The same hub, the sink not following parks: the forwarded copy is the only
// one it gets, and is applied.
TEST_F(SinkRunnerTest, ForwardedCopyIsAppliedWhenTheSinkDoesNotFollowItsFirstNode) {
  ServedBridge hub("hub", {{"main", "h"}});
  config_.subscribe = {Follow(hub, {"hub.main."})};
  config_.mappings = {Mapping("hub.main.public.t", "t")};
  hub.TxOf({MakeRow("main", "h", {"parks.scheduling", "h"})});  // 1
  StartRunner();
  ASSERT_TRUE(WaitFor([&] { return state_.Checkpoint("hub") >= 1; }, kWait));
  EXPECT_EQ(state_.CommittedSeqsOf("hub"), (std::vector<uint64_t>{1}));
  EXPECT_EQ(runner_->stats().suppressed_forwarded, 0u);
  EXPECT_TRUE(StopRunner().ok());
}

// The hub's forwarded delta is in its journal before the sink starts, and
// node parks.scheduling has no delta yet: only parks' heartbeat names it. The
// hub's subscriber waits for that heartbeat, so the copy is skipped whichever
// bridge the sink hears first.
TEST_F(SinkRunnerTest, ForwardedDeltaWaitsForTheOtherBridgesFirstHeartbeat) {
  ServedBridge hub("hub", {{"main", "h"}});
  config_.subscribe.push_back(Follow(hub, {"hub.main."}));
  config_.mappings.push_back(Mapping("hub.main.public.t", "t"));
  hub.TxOf({MakeRow("main", "h", {"parks.scheduling", "h"})});  // 1
  hub.TxOf({MakeRow("main", "h", {})});                         // 2
  StartRunner();
  ASSERT_TRUE(WaitFor([&] { return state_.Checkpoint("hub") >= 2; }, kWait));
  EXPECT_EQ(state_.CommittedSeqsOf("hub"), (std::vector<uint64_t>{2}));
  EXPECT_EQ(runner_->stats().suppressed_forwarded, 1u);
  EXPECT_TRUE(StopRunner().ok());
}

// A bridge that never beats: after twice the heartbeat timeout the forwarded
// delta is judged by what is known (parks.scheduling is not: applied), and
// the sink goes on.
TEST_F(SinkRunnerTest, ForwardedDeltaStopsWaitingForASilentBridge) {
  ServedBridge quiet("parks", {{"scheduling", "parks.scheduling"}}, /*beat=*/false);
  ServedBridge hub("hub", {{"main", "h"}});
  config_.subscribe = {Follow(quiet, {"parks.scheduling."}), Follow(hub, {"hub.main."})};
  config_.mappings.push_back(Mapping("hub.main.public.t", "t"));
  hub.TxOf({MakeRow("main", "h", {"parks.scheduling", "h"})});  // 1
  hub.TxOf({MakeRow("main", "h", {"parks.scheduling", "h"})});  // 2
  SinkRunnerOptions o;
  o.heartbeat_timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  StartRunner(o);
  ASSERT_TRUE(WaitFor([&] { return state_.Checkpoint("hub") >= 2; }, kWait));
  // Waited once (not once per delta), about twice the timeout.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));
  EXPECT_EQ(state_.CommittedSeqsOf("hub"), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(runner_->stats().suppressed_forwarded, 0u);
  EXPECT_TRUE(StopRunner().ok());
}

}  // namespace
}  // namespace deltabridge
