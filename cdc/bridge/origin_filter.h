// OriginFilter: what stands between one source and its way into the journal
// for two-way sync (docs/two-way.md). It is the source's ChangeSink and
// StreamSpool, and passes what it keeps on to the real ones.
//
// A sink that writes into a captured database tags each transaction it
// writes with a row of deltabridge_origin (cdc/wire/origin_tag.h), before the
// transaction's data changes (and again before a part with another path).
// The filter keeps a *current origin* per transaction: none at BeginTx; a
// change to the tag table (an insert or an update) sets it to the tag's path
// followed by this source's node, for the changes after it. Then:
//  - a change to the tag table is never journaled (a delete of the tag row is
//    ignored); nor is a change to any other deltabridge_* table (the sinks'
//    state tables);
//  - a change with a current origin is dropped when the source does not
//    forward (`forward: false`, counted as tagged_dropped), else journaled
//    with `origin` set to it, and `ref` to the tag's ref (tagged_forwarded);
//  - a tag that does not decode is logged (rate-limited), counted (bad_tags)
//    and leaves the rest of its transaction untagged;
//  - every journaled change gets `node` = the source's node when that is not
//    the default <bridge>.<source> (left empty otherwise).
// EndTx always reaches the journal, so a transaction whose changes were all
// dropped still advances the source's position; the journal marks tx.last
// on the last change it was given, so dropping is safe there.
//
// A streamed transaction (PostgreSQL protocol v2) reaches the journal's spool
// through Append, change by change, and is drained into a transaction at its
// commit: the filter keeps a current origin per streamed top-level xid,
// filters and stamps the changes as they are appended, and forgets the xid at
// its drain or discard. The counts of a transaction (or streamed xid) are
// added to counters() only when it ends, so a transaction that is aborted
// and read again is counted once.
//
// Borrows the sink and the spool for its lifetime. Called from the source's
// thread only, as the interfaces require; counters() may be read from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cdc/core/log_limiter.h"
#include "cdc/source/change_sink.h"
#include "cdc/source/stream_spool.h"

namespace deltabridge {

class OriginFilter final : public ChangeSink, public StreamSpool {
 public:
  struct Options {
    std::string bridge;    // the bridge's name
    std::string source;    // the source's name
    std::string node;      // the source's node (SourceConfig::node); empty: <bridge>.<source>
    bool forward = false;  // journal tagged changes (with origin) instead of dropping them
  };

  struct Counters {
    std::atomic<uint64_t> tagged_forwarded{0};  // tagged changes journaled with an origin
    std::atomic<uint64_t> tagged_dropped{0};    // tagged changes not forwarded
    std::atomic<uint64_t> bad_tags{0};          // tag rows whose tag did not decode
    // Changes the source handed over that were not journaled: tag rows, rows
    // of other deltabridge_* tables, and tagged_dropped.
    std::atomic<uint64_t> not_journaled{0};
  };

  OriginFilter(Options options, ChangeSink* sink, StreamSpool* spool);

  const Counters& counters() const { return counters_; }

  // ChangeSink.
  Status BeginTx() override;
  Status Add(Change change) override;
  Status EndTx(const std::string& position) override;
  void AbortTx() override;
  Status Flush() override { return sink_->Flush(); }
  size_t unflushed() const override { return sink_->unflushed(); }
  uint64_t bytes_journaled() const override { return sink_->bytes_journaled(); }
  std::optional<std::string> DurablePosition() const override { return sink_->DurablePosition(); }
  std::optional<std::string> GetState(const std::string& key) const override {
    return sink_->GetState(key);
  }
  void SetState(const std::string& key, const std::string& value) override {
    sink_->SetState(key, value);
  }

  // StreamSpool.
  Status Append(uint32_t xid, uint32_t subxid, const Change& change) override;
  Status Discard(uint32_t xid, std::optional<uint32_t> subxid) override;
  Status DrainInto(uint32_t xid, int64_t commit_time_us, const std::string& pos,
                   const std::string& tx_id) override;
  Status Clear() override;

 private:
  // Counts of one transaction, added to counters_ when it ends.
  struct Counts {
    uint64_t forwarded = 0;
    uint64_t dropped = 0;
    uint64_t bad_tags = 0;
    uint64_t not_journaled = 0;
    void Add(const Counts& o);
  };
  // One transaction's state: the ChangeSink's open one, or a streamed xid's.
  struct TxState {
    // The path the following changes came along, this node last; nullopt:
    // untagged.
    std::optional<std::vector<std::string>> origin;
    // The tag's path already held this node: a sink wrote a node's own
    // change back into it (docs/two-way.md, "The own node"), or a loop.
    // Never forwarded, whatever `forward` says.
    bool returned = false;
    // The tag asks for the changes to be published (an application's push).
    bool publish = false;
    // The tag's ref (the push's), given to the changes with the origin.
    std::string ref;
    Counts counts;
  };

  // Whether `change` is journaled, updating `tx` (a tag row sets its origin);
  // `stream_xid`: the streamed transaction it belongs to, if any (for a log line).
  bool Admit(const Change& change, TxState* tx, std::optional<uint32_t> stream_xid);
  // Whether Stamp changes anything of a change admitted under `tx`.
  bool NeedsStamp(const TxState& tx) const { return tx.origin || !change_node_.empty(); }
  // Sets the origin, ref and node of an admitted change.
  void Stamp(const TxState& tx, Change* change) const;
  // Reads the tag of a tag-table change into tx->origin.
  void ReadTag(const Change& change, TxState* tx, std::optional<uint32_t> stream_xid);
  void Commit(const Counts& counts);

  const Options opt_;
  const std::string node_;  // the source's node, never empty
  // What Change::node gets: the node, or empty when it is <bridge>.<source>.
  const std::string change_node_;
  ChangeSink* const sink_;    // borrowed
  StreamSpool* const spool_;  // borrowed
  TxState tx_;                // the ChangeSink's open transaction
  // Streamed top-level transactions with changes appended and not yet
  // drained or discarded, by xid.
  std::unordered_map<uint32_t, TxState> streams_;
  LogLimiter bad_tag_log_{std::chrono::seconds(10)};
  Counters counters_;
};

}  // namespace deltabridge
