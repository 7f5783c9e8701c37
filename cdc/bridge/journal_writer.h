// JournalWriter and SourceSink: the bridge's single path into the journal.
//
// JournalWriter owns the write side of a Journal for one bridge. Each source
// gets a SourceSink from it: its ChangeSink, and the StreamSpool that drains
// into it (kept in the journal's spool, cdc/journal/journal.h). A source transaction holds the
// writer's lock from BeginTx to EndTx, so its deltas get consecutive seqs and
// are never interleaved with another source's. Flush commits the journal
// (fsync) and wakes whoever waits for new visible seqs (the publisher).
//
// Invariants:
//  - a delta's body is encoded with its final seq before it is appended;
//  - a source position is staged only in EndTx, after every delta of its
//    transaction, so Commit makes both durable in one LMDB transaction;
//  - the last delta of a transaction is held back until EndTx so that it can
//    be written with tx.last = true.
//
// Thread-safe: sources call their own SourceSink from their own threads.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cdc/journal/journal.h"
#include "cdc/source/change_sink.h"
#include "cdc/source/stream_spool.h"

namespace deltabridge {

// One source's way into the journal: its ChangeSink and its StreamSpool.
class SourceSink : public ChangeSink, public StreamSpool {};

class JournalWriter {
 public:
  JournalWriter(std::string bridge, Journal* journal)
      : bridge_(std::move(bridge)), journal_(journal) {}

  std::unique_ptr<SourceSink> SinkFor(const std::string& source);

  // Blocks until committed_seq() > after or the timeout passes; returns committed_seq().
  uint64_t WaitForCommitted(uint64_t after, std::chrono::milliseconds timeout);
  // Wakes WaitForCommitted callers (used at shutdown).
  void WakeAll();

  const std::string& bridge() const { return bridge_; }

 private:
  friend class JournalSourceSink;
  const std::string bridge_;
  Journal* const journal_;  // borrowed; outlives the writer
  std::mutex write_mu_;     // held by one source from BeginTx to EndTx, and by Flush
  std::mutex notify_mu_;
  std::condition_variable committed_cv_;
};

}  // namespace deltabridge
