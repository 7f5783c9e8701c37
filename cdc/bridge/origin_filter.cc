#include "cdc/bridge/origin_filter.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cdc/wire/origin_tag.h"

namespace deltabridge {

namespace {

// The tag column's new value as text, if the change carries one.
std::optional<std::string_view> NewTagText(const Change& change) {
  for (const ColumnChange& c : change.changes) {
    if (c.name != kOriginTagColumn || !c.new_value) continue;
    switch (c.new_value->kind) {
      case Value::Kind::kNull:
      case Value::Kind::kBool:
      case Value::Kind::kInt:
      case Value::Kind::kUInt:
      case Value::Kind::kFloat:
        return std::nullopt;
      default:
        return std::string_view(c.new_value->text);
    }
  }
  return std::nullopt;
}

}  // namespace

void OriginFilter::Counts::Add(const Counts& o) {
  forwarded += o.forwarded;
  dropped += o.dropped;
  bad_tags += o.bad_tags;
  not_journaled += o.not_journaled;
}

OriginFilter::OriginFilter(Options options, ChangeSink* sink, StreamSpool* spool)
    : opt_(std::move(options)),
      node_(opt_.node.empty() ? opt_.bridge + "." + opt_.source : opt_.node),
      change_node_(node_ == opt_.bridge + "." + opt_.source ? "" : node_),
      sink_(sink),
      spool_(spool) {}

Status OriginFilter::BeginTx() {
  tx_ = {};
  return sink_->BeginTx();
}

Status OriginFilter::Add(Change change) {
  if (!Admit(change, &tx_, std::nullopt)) return Status::Ok();
  Stamp(tx_, &change);
  return sink_->Add(std::move(change));
}

Status OriginFilter::EndTx(const std::string& position) {
  // Always passed on: it advances the position even when nothing was kept.
  Status s = sink_->EndTx(position);
  if (s.ok()) Commit(tx_.counts);
  tx_ = {};
  return s;
}

void OriginFilter::AbortTx() {
  tx_ = {};
  sink_->AbortTx();
}

Status OriginFilter::Append(uint32_t xid, uint32_t subxid, const Change& change) {
  TxState& tx = streams_[xid];
  if (!Admit(change, &tx, xid)) return Status::Ok();
  if (!NeedsStamp(tx)) return spool_->Append(xid, subxid, change);
  Change stamped = change;
  Stamp(tx, &stamped);
  return spool_->Append(xid, subxid, stamped);
}

Status OriginFilter::Discard(uint32_t xid, std::optional<uint32_t> subxid) {
  // A rolled-back subtransaction keeps the transaction's origin: the sink
  // tags at the top level, and what follows is still the sink's.
  if (!subxid) streams_.erase(xid);
  return spool_->Discard(xid, subxid);
}

Status OriginFilter::DrainInto(uint32_t xid, int64_t commit_time_us, const std::string& pos,
                               const std::string& tx_id) {
  // The streamed transaction becomes the open one: its counts end with it.
  if (auto it = streams_.find(xid); it != streams_.end()) {
    tx_.counts.Add(it->second.counts);
    streams_.erase(it);
  }
  return spool_->DrainInto(xid, commit_time_us, pos, tx_id);
}

Status OriginFilter::Clear() {
  streams_.clear();
  return spool_->Clear();
}

bool OriginFilter::Admit(const Change& change, TxState* tx, std::optional<uint32_t> stream_xid) {
  if (IsOriginTagTable(change.table)) {
    ++tx->counts.not_journaled;
    if (change.op == Op::kInsert || change.op == Op::kUpdate) ReadTag(change, tx, stream_xid);
    return false;
  }
  if (IsDeltabridgeTable(change.table)) {
    ++tx->counts.not_journaled;
    return false;
  }
  if (tx->origin) {
    if ((!opt_.forward && !tx->publish) || tx->returned) {
      ++tx->counts.dropped;
      ++tx->counts.not_journaled;
      return false;
    }
    ++tx->counts.forwarded;
  }
  return true;
}

void OriginFilter::Stamp(const TxState& tx, Change* change) const {
  if (tx.origin) {
    change->origin = *tx.origin;
    change->ref = tx.ref;
  }
  if (!change_node_.empty()) change->node = change_node_;
}

void OriginFilter::ReadTag(const Change& change, TxState* tx, std::optional<uint32_t> stream_xid) {
  std::optional<std::string_view> text = NewTagText(change);
  Result<OriginTag> tag =
      text
          ? ParseOriginTag(*text)
          : Result<OriginTag>(Status::Corruption("the change carries no text value of column tag"));
  if (tag.ok()) {
    tx->publish = tag->publish;
    tx->ref = std::move(tag->ref);
    tx->origin = std::move(tag->path);
    tx->returned = std::find(tx->origin->begin(), tx->origin->end(), node_) != tx->origin->end();
    tx->origin->push_back(node_);
    return;
  }
  tx->origin.reset();
  tx->returned = false;
  tx->publish = false;
  tx->ref.clear();
  ++tx->counts.bad_tags;
  uint64_t suppressed = 0;
  if (bad_tag_log_.Allow(&suppressed)) {
    spdlog::warn(
        "source {}: {} {}: {}; the rest of its transaction is treated as untagged (journaled "
        "without origin, as an ordinary change) ({} more since the last report)",
        opt_.source, change.table,
        stream_xid ? "row in streamed transaction " + std::to_string(*stream_xid)
                   : "row at " + change.pos,
        tag.status().message(), suppressed);
  }
}

void OriginFilter::Commit(const Counts& c) {
  if (c.forwarded) counters_.tagged_forwarded.fetch_add(c.forwarded, std::memory_order_relaxed);
  if (c.dropped) counters_.tagged_dropped.fetch_add(c.dropped, std::memory_order_relaxed);
  if (c.bad_tags) counters_.bad_tags.fetch_add(c.bad_tags, std::memory_order_relaxed);
  if (c.not_journaled) {
    counters_.not_journaled.fetch_add(c.not_journaled, std::memory_order_relaxed);
  }
}

}  // namespace deltabridge
