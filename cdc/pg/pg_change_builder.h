// PgChangeBuilder: turns decoded pgoutput messages into field-level Changes
// and hands them, grouped by transaction, to a ChangeSink.
//
// It keeps the relation cache (Relation messages, updated whenever the server
// resends one after ALTER TABLE) and the type cache (Type messages), reduces
// each row change to the columns that changed (contract section 3), and
// skips transactions the journal already holds (commit LSN before the resume
// point). Streamed in-progress transactions (protocol v2) go to the
// StreamSpool and become a transaction of the sink only at their StreamCommit.
//
// Invariants:
//  - a transaction's position (its commit end LSN) reaches the sink only in
//    EndTx, after all its changes;
//  - an unchanged-TOAST value is never reported, neither as a value nor as null;
//  - a column is reported in an update with a before-image only when its old
//    and new values differ.
//
// Borrows the sink and the spool (which drains into that sink) for its lifetime. Not thread-safe
// (the source's thread).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cdc/core/lsn.h"
#include "cdc/pg/pgoutput_decoder.h"
#include "cdc/source/change_sink.h"
#include "cdc/source/stream_spool.h"

namespace deltabridge {

class PgChangeBuilder final : public PgOutputHandler {
 public:
  struct Options {
    std::string source;  // configured source name
    // Whether changes of schema.table are published (the `tables` patterns).
    std::function<bool(const std::string& schema, const std::string& table)> include_table;
    // "schema.table.column" entries left out of every delta.
    std::unordered_set<std::string> exclude_columns;
    // The primary key columns of a relation, by oid; empty when it has none
    // (then the replica identity columns serve as key).
    std::function<Result<std::vector<std::string>>(uint32_t oid)> primary_key;
  };

  struct Stats {
    uint64_t transactions = 0;
    uint64_t changes = 0;
    uint64_t skipped_transactions = 0;  // already journaled (resume)
    uint64_t streamed_transactions = 0;
    uint64_t aborted_streams = 0;
    int64_t last_commit_time_us = 0;  // of the newest transaction handed to the sink
  };

  PgChangeBuilder(Options options, ChangeSink* sink, StreamSpool* spool)
      : opt_(std::move(options)), sink_(sink), spool_(spool) {}

  // Transactions whose commit LSN is before `lsn` are already journaled.
  void set_resume_after(Lsn lsn) { resume_after_ = lsn; }
  // True between Begin and Commit (or inside a stream block).
  bool in_transaction() const { return in_tx_ || !open_streams_.empty(); }
  // The end LSN of the last transaction handed to the sink.
  Lsn last_end_lsn() const { return last_end_lsn_; }
  const Stats& stats() const { return stats_; }

  Status OnBegin(const pgoutput::Begin& m) override;
  Status OnCommit(const pgoutput::Commit& m) override;
  Status OnRelation(const pgoutput::Relation& m) override;
  Status OnType(const pgoutput::Type& m) override;
  Status OnInsert(const pgoutput::Insert& m) override;
  Status OnUpdate(const pgoutput::Update& m) override;
  Status OnDelete(const pgoutput::Delete& m) override;
  Status OnTruncate(const pgoutput::Truncate& m) override;
  Status OnStreamStart(const pgoutput::StreamStart& m) override;
  Status OnStreamStop(const pgoutput::StreamStop& m) override;
  Status OnStreamCommit(const pgoutput::StreamCommit& m) override;
  Status OnStreamAbort(const pgoutput::StreamAbort& m) override;

 private:
  struct Column {
    std::string name;
    uint32_t type_oid = 0;
    std::string type_name;
    bool excluded = false;
    // The delta's key: a primary key column, or a replica identity column
    // when the table has no primary key.
    bool key = false;
    // A replica identity column (the Relation message's key flag): what a
    // key-only old tuple (delete, key-changing update) carries, the rest
    // arriving as null. It differs from `key` when the identity is an index
    // other than the primary key.
    bool identity = false;
  };
  struct RelationInfo {
    std::string table;  // schema.name
    bool included = false;
    std::vector<Column> columns;
  };

  // Routes a finished Change: into the open transaction or a stream's spool.
  Status Emit(std::optional<uint32_t> xid, Change change);
  Result<const RelationInfo*> Lookup(uint32_t oid) const;
  Value ToValue(const Column& col, const pgoutput::TupleValue& v) const;
  // The key columns of `tuple` into change->key; `key_only`: a key-only old
  // tuple, which carries the replica identity columns.
  void AddKey(const RelationInfo& rel, const pgoutput::Tuple& tuple, bool key_only,
              Change* change) const;
  // Corruption when `t` does not have one value per column of `rel`, or
  // holds a binary-format value (the source asks for text only).
  Status CheckTuple(const RelationInfo& rel, const pgoutput::Tuple& t, const char* what) const;

  Options opt_;
  ChangeSink* sink_;    // borrowed
  StreamSpool* spool_;  // borrowed; drains into sink_
  Lsn resume_after_;
  Lsn last_end_lsn_;
  Stats stats_;

  // State of the current (non-streamed) transaction; valid while in_tx_.
  bool in_tx_ = false;
  bool skip_tx_ = false;
  int64_t tx_commit_time_us_ = 0;
  std::string tx_pos_;  // the commit LSN (Begin's final_lsn) as text, for every delta
  std::string tx_id_;   // the xid as text

  // Streamed transactions with spooled changes not yet committed or aborted.
  std::unordered_set<uint32_t> open_streams_;
  uint32_t current_stream_xid_ = 0;

  std::unordered_map<uint32_t, RelationInfo> relations_;  // by relation oid
  std::unordered_map<uint32_t, std::string> types_;       // non-builtin types by oid
};

}  // namespace deltabridge
