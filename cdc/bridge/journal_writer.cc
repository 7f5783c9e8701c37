#include "cdc/bridge/journal_writer.h"

#include <fmt/format.h>

#include <atomic>
#include <cstring>

#include "cdc/wire/envelope.h"
#include "cdc/wire/topic.h"

namespace deltabridge {

namespace {

constexpr std::string_view kSeqPrefix = "{\"seq\":";
constexpr std::string_view kLastFalse = ",\"last\":false}}";
constexpr std::string_view kLastTrue = ",\"last\":true}}";

// Replaces the leading {"seq":N, of an encoded body with the given seq.
std::string WithSeq(std::string_view body, uint64_t seq) {
  size_t comma = body.find(',');
  std::string out = fmt::format("{{\"seq\":{}", seq);
  out.append(body.substr(comma));
  return out;
}

// Turns an encoded body's tx.last false into true (the body ends with it).
void MarkLast(std::string* body) {
  if (body->size() >= kLastFalse.size() &&
      std::string_view(*body).substr(body->size() - kLastFalse.size()) == kLastFalse) {
    body->resize(body->size() - kLastFalse.size());
    body->append(kLastTrue);
  }
}

constexpr std::string_view kTsField = ",\"ts\":\"";

// Spool records: topic, NUL, the body encoded with seq 0 and cut before its
// "ts" field; what follows "changes" (ts, pos, tx) is known only at commit.
std::string SpoolRecord(const std::string& bridge, const Change& change) {
  std::string rec = MakeTopic(bridge, change.source, change.table);
  rec.push_back('\0');
  const size_t body_start = rec.size();
  AppendEnvelope(&rec, 0, bridge, change);
  rec.resize(body_start + std::string_view(rec).substr(body_start).rfind(kTsField));
  return rec;
}

// The tail of a body after "changes": ,"ts":"...","pos":...,"tx":{"id":...,"last":false}}
std::string BodyTail(int64_t commit_time_us, const std::string& pos, const std::string& tx_id) {
  std::string tail = EnvelopeTail(commit_time_us, pos, tx_id);
  tail.append(kLastFalse);
  return tail;
}

}  // namespace

class JournalSourceSink final : public SourceSink {
 public:
  JournalSourceSink(JournalWriter* writer, std::string source)
      : writer_(writer), source_(std::move(source)) {}

  ~JournalSourceSink() override {
    // A transaction left open (source stopped mid-transaction) is not ended:
    // its appended entries stay pending and are discarded on the next open.
  }

  Status BeginTx() override {
    if (lock_.owns_lock()) return Status::InvalidArgument("BeginTx inside an open transaction");
    lock_ = std::unique_lock<std::mutex>(writer_->write_mu_);
    tx_bytes_ = 0;
    return Status::Ok();
  }

  Status Add(Change change) override {
    if (!lock_.owns_lock()) return Status::InvalidArgument("Add outside a transaction");
    DB_RETURN_IF_ERROR(WriteHeld(false));
    change.tx_last = false;
    held_seq_ = writer_->journal_->next_seq();
    if (change.source != topic_source_ || change.table != topic_table_ ||
        change.node != topic_node_ || !has_topic_) {
      topic_source_ = change.source;
      topic_table_ = change.table;
      topic_node_ = change.node;
      topic_ = MakeTopic(writer_->bridge_, topic_source_, topic_table_);
      head_ = EnvelopeHead(writer_->bridge_, topic_source_, topic_table_, topic_node_);
      has_topic_ = true;
    }
    if (change.commit_time_us != tail_commit_time_us_ || change.pos != tail_pos_ ||
        change.tx_id != tail_tx_id_ || !has_tail_) {
      tail_commit_time_us_ = change.commit_time_us;
      tail_pos_ = change.pos;
      tail_tx_id_ = change.tx_id;
      tail_ = EnvelopeTail(tail_commit_time_us_, tail_pos_, tail_tx_id_);
      has_tail_ = true;
    }
    // Assigned and encoded into the held strings' capacity: no allocation per delta.
    held_topic_ = topic_;
    held_body_.clear();
    AppendEnvelopeWith(&held_body_, held_seq_, head_, change, tail_);
    has_held_ = true;
    return Status::Ok();
  }

  Status EndTx(const std::string& position) override {
    if (!lock_.owns_lock()) return Status::InvalidArgument("EndTx outside a transaction");
    Status s = WriteHeld(true);
    if (s.ok()) {
      writer_->journal_->SetPosition(source_, position);
      for (auto& [k, v] : staged_state_) writer_->journal_->SetMeta(StateKey(k), v);
      staged_state_.clear();
      writer_->journal_->MarkTxEnd();
      ++unflushed_;
      bytes_.fetch_add(tx_bytes_, std::memory_order_relaxed);
      tx_bytes_ = 0;
    }
    lock_.unlock();
    return s;
  }

  void AbortTx() override {
    if (!lock_.owns_lock()) return;
    has_held_ = false;
    staged_state_.clear();
    tx_bytes_ = 0;
    // Entries appended since the last transaction end are never made visible.
    writer_->journal_->Rollback();
    lock_.unlock();
  }

  Status Flush() override {
    std::unique_lock<std::mutex> lock(writer_->write_mu_, std::defer_lock);
    if (!lock_.owns_lock()) lock.lock();
    Status s = writer_->journal_->Commit();
    if (!s.ok()) return s;
    unflushed_ = 0;
    { std::lock_guard<std::mutex> n(writer_->notify_mu_); }
    writer_->committed_cv_.notify_all();
    return Status::Ok();
  }

  size_t unflushed() const override { return unflushed_ + (has_held_ ? 1 : 0); }
  uint64_t bytes_journaled() const override { return bytes_.load(std::memory_order_relaxed); }

  std::optional<std::string> DurablePosition() const override {
    auto r = writer_->journal_->GetPosition(source_);
    if (!r.ok()) return std::nullopt;
    return *r;
  }

  std::optional<std::string> GetState(const std::string& key) const override {
    auto r = writer_->journal_->GetMeta(StateKey(key));
    if (!r.ok()) return std::nullopt;
    return *r;
  }

  void SetState(const std::string& key, const std::string& value) override {
    staged_state_.emplace_back(key, value);
  }

  Status Append(uint32_t xid, uint32_t subxid, const Change& change) override {
    return writer_->journal_->SpoolAppend(xid, subxid, SpoolRecord(writer_->bridge_, change));
  }

  Status Discard(uint32_t xid, std::optional<uint32_t> subxid) override {
    return writer_->journal_->SpoolDiscard(xid, subxid);
  }

  Status Clear() override { return writer_->journal_->SpoolClear(); }

  Status DrainInto(uint32_t xid, int64_t commit_time_us, const std::string& pos,
                   const std::string& tx_id) override {
    if (!lock_.owns_lock()) return Status::InvalidArgument("DrainInto outside a transaction");
    const std::string tail = BodyTail(commit_time_us, pos, tx_id);
    return writer_->journal_->SpoolDrain(xid, [this, &tail](std::string_view rec) -> Status {
      size_t nul = rec.find('\0');
      if (nul == std::string_view::npos || rec.substr(nul + 1, kSeqPrefix.size()) != kSeqPrefix) {
        return Status::Corruption("malformed spool record");
      }
      DB_RETURN_IF_ERROR(WriteHeld(false));
      held_seq_ = writer_->journal_->next_seq();
      held_topic_ = std::string(rec.substr(0, nul));
      held_body_ = WithSeq(rec.substr(nul + 1), held_seq_);
      held_body_.append(tail);
      has_held_ = true;
      return Status::Ok();
    });
  }

 private:
  std::string StateKey(const std::string& key) const { return "source/" + source_ + "/" + key; }

  Status WriteHeld(bool last) {
    if (!has_held_) return Status::Ok();
    if (last) MarkLast(&held_body_);
    has_held_ = false;
    tx_bytes_ += held_topic_.size() + held_body_.size();
    return writer_->journal_->Append(held_seq_, held_topic_, held_body_);
  }

  JournalWriter* writer_;  // borrowed
  const std::string source_;
  std::unique_lock<std::mutex> lock_;  // owns writer_->write_mu_ between BeginTx and EndTx
  bool has_held_ = false;              // the newest delta, not yet appended
  uint64_t held_seq_ = 0;
  std::string held_topic_;
  std::string held_body_;
  // The topic and envelope head of the last (source, table) Add saw, and the
  // envelope tail of the last (commit time, pos, tx_id), so that the deltas
  // of one table and transaction encode them once.
  bool has_topic_ = false;
  std::string topic_source_, topic_table_, topic_node_, topic_, head_;
  bool has_tail_ = false;
  int64_t tail_commit_time_us_ = 0;
  std::string tail_pos_, tail_tx_id_, tail_;
  size_t unflushed_ = 0;
  std::vector<std::pair<std::string, std::string>> staged_state_;
  uint64_t tx_bytes_ = 0;           // appended in the open transaction
  std::atomic<uint64_t> bytes_{0};  // of ended transactions
};

std::unique_ptr<SourceSink> JournalWriter::SinkFor(const std::string& source) {
  return std::make_unique<JournalSourceSink>(this, source);
}

uint64_t JournalWriter::WaitForCommitted(uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(notify_mu_);
  committed_cv_.wait_for(lock, timeout, [&] { return journal_->committed_seq() > after; });
  return journal_->committed_seq();
}

void JournalWriter::WakeAll() {
  { std::lock_guard<std::mutex> n(notify_mu_); }
  committed_cv_.notify_all();
}

}  // namespace deltabridge
