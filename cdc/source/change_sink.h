// ChangeSink: what a source hands its changes to (the bridge's journal writer).
//
// A source calls BeginTx, Add for each change, then EndTx with the source
// position that the transaction advances to; Flush makes every ended
// transaction durable (and so publishable) together with its position. A
// position is never durable without its changes, nor changes without their
// position: that is what lets a restart resume exactly.
//
// Between BeginTx and EndTx the sink is held by this source (other sources
// wait), so the deltas of one transaction get consecutive seqs. One source
// drives one ChangeSink from one thread; different sources may call their
// sinks from different threads. A source whose server streams transactions
// before they commit also gets a StreamSpool (stream_spool.h) that drains
// into its ChangeSink.
#pragma once

#include <optional>
#include <string>

#include "cdc/core/change.h"
#include "cdc/core/status.h"

namespace deltabridge {

// The per-source state (ChangeSink::GetState) a source's initial snapshot
// sets once done: the position it is consistent with, or "skipped" when the
// source starts without one. Empty or absent: no snapshot taken yet (`run
// --resnapshot` empties it).
inline constexpr const char* kSnapshotDoneState = "snapshot_done";

class ChangeSink {
 public:
  virtual ~ChangeSink() = default;

  virtual Status BeginTx() = 0;
  // `change.tx_last` is set by the sink: the last Add before EndTx is the last delta.
  virtual Status Add(Change change) = 0;
  // Ends the open transaction; with no Add since BeginTx it only advances the position.
  virtual Status EndTx(const std::string& position) = 0;
  // Drops the open transaction's changes (never visible) and releases the sink.
  // Used when a source fails mid-transaction; the source then re-reads it.
  virtual void AbortTx() = 0;
  // Makes all ended transactions durable and visible to subscribers.
  virtual Status Flush() = 0;
  // Changes added and ended but not yet flushed.
  virtual size_t unflushed() const = 0;

  // Bytes of deltas (topic and body) of this sink's ended transactions since
  // it was made: what the source added to the journal. For metrics; any thread.
  virtual uint64_t bytes_journaled() const { return 0; }

  // The newest position of this source that is durable, if any.
  virtual std::optional<std::string> DurablePosition() const = 0;

  // Named per-source state kept with the journal (e.g. kSnapshotDoneState).
  virtual std::optional<std::string> GetState(const std::string& key) const = 0;
  // Staged; durable with the next Flush, atomically with the ended transactions.
  virtual void SetState(const std::string& key, const std::string& value) = 0;
};

}  // namespace deltabridge
