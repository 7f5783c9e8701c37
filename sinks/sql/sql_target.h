// SqlTarget: applies deltas to a SQL database through a SqlSession, with the
// reconciliation rules of contract section 5 and the exactly-once checkpoint.
// It keeps the transaction and the savepoints; its units do the rest.
//
// How a chunk of deltas is applied (docs/sink-apply.md has the long form):
//   1. each delta is mapped (table, key, column renames, exclusions) and its
//      values converted to the target columns' types (DeltaMapper);
//   2. the rows the chunk touches and their last writers
//      (deltabridge_row_writers) are read with one query per table
//      (Prefetch);
//   3. each delta is reconciled, in seq order, against the row as the
//      earlier deltas of the chunk left it, in memory (DeltaReconciler);
//   4. the net result is written with multi-row statements: deletes, inserts,
//      updates, then the writers and the conflicts (WriteChunk).
// A run of new rows skips 2-4 and goes to COPY when the session has it
// (BulkCopier). When the target opens, every mapping is checked against its
// table (DescribeMappedTables, mapping_check.h).
// The chunk runs under a savepoint. When the database refuses it (a
// constraint, a bad value), the chunk is rolled back to the savepoint and
// redone one delta at a time, each under its own savepoint; a delta that is
// refused again is recorded in deltabridge_conflicts (kind "rejected", with
// the database's message) and the rest go on. Truncates and key-changing
// updates are applied on their own, between the parts of a chunk.
//
// A delta whose columns the target table lacks, or a table that does not
// exist, stops the sink (FailedPrecondition naming the column and the fix):
// nothing is dropped silently.
//
// Two-way sync (docs/two-way.md), only when `target.node` is set: Open()
// prepares deltabridge_origin, and every part of a transaction that writes
// data is preceded by the origin tag of its deltas' path (origin_tagger.h):
// a chunk is cut into segments where the path changes, and the tag is
// written before a segment's first data statement (before the bulk path's
// savepoint), again after a rollback that undid it. Own-node deltas
// (SinkDelta::self) record local writes and write a local value back where a
// change from elsewhere overwrote it (DeltaReconciler); they never take the
// bulk path, never truncate, and never move a row for a key change.
//
// Ownership: borrows the SinkConfig (it must outlive the target); owns its
// session. Thread-safety: one thread; counters() from any.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sinks/sink_config.h"
#include "sinks/sql/bulk_copier.h"
#include "sinks/sql/chunk_state.h"
#include "sinks/sql/delta_mapper.h"
#include "sinks/sql/delta_reconciler.h"
#include "sinks/sql/origin_tagger.h"
#include "sinks/sql/sql_session.h"
#include "sinks/sql/sql_table.h"
#include "sinks/target.h"

namespace deltabridge {

using SqlSessionFactory = std::function<Result<std::unique_ptr<SqlSession>>()>;

struct SqlTargetOptions {
  // Deltas reconciled and written together (one read and one write per table).
  size_t chunk_deltas = 2000;
  // Now, in microseconds since the epoch: when conflicts are detected and
  // checkpoints saved. WallClockMicros unless set (tests fix it).
  std::function<int64_t()> now_us;
  // Bulk path (sessions that support COPY): a segment of at least this many
  // inserts of distinct new keys is written with COPY, without reading the
  // rows first (bulk_copier.h). 0 turns the path off.
  size_t copy_min_rows = 16;
  // Keep what Outcome() reports: the fields rules kept and the deltas
  // applied since Begin (for a caller applying one delta per transaction).
  bool record_outcomes = false;
  // With a target node: tags ask the capturing bridge to publish the changes
  // (an application's push, which no bridge captures elsewhere; origin_tag.h).
  bool publish_tags = false;
};

class SqlTarget : public Target {
 public:
  SqlTarget(const SinkConfig& config, SqlSessionFactory factory, SqlTargetOptions options = {});
  ~SqlTarget() override;

  Result<Checkpoints> Open() override;
  Status Begin() override;
  Status Apply(const std::vector<SinkDelta>& chunk) override;
  Status Commit(const Checkpoints& checkpoints) override;
  void Abort() override;
  // The conflicts are read back from deltabridge_conflicts in the open
  // transaction, by the applied deltas' source and seq.
  Result<ApplyOutcome> Outcome() override;
  ApplyCounters counters() const override;
  std::string Describe() const override;

 private:
  // Applies one chunk under a savepoint; when the database refuses it, redoes
  // it one delta at a time, each under its own savepoint, recording what is
  // refused again as a conflict.
  Status ApplyChunk(const std::vector<const SinkDelta*>& deltas);
  // The chunk cut into segments of ordinary deltas (bulk path or read,
  // reconcile, write), with truncates and key changes applied on their own
  // between them.
  Status ProcessDeltas(const std::vector<const SinkDelta*>& deltas, ChunkState& state);
  Status ApplyTruncate(const SinkDelta& d, ChunkState& state);
  Status ApplyKeyChange(const SinkDelta& d, MappedDelta& m, ChunkState& state);
  // Writes the origin tag of `d`'s path where this transaction needs it
  // (nothing when the target has no node).
  Status TagFor(const SinkDelta& d);
  int64_t Now() const;

  const SinkConfig& config_;
  SqlSessionFactory factory_;
  SqlTargetOptions options_;
  std::unique_ptr<SqlSession> session_;
  SqlTables tables_;  // of the current Open()
  DeltaMapper mapper_;
  DeltaReconciler reconciler_;
  BulkCopier copier_;
  OriginTagger tagger_;
  Checkpoints stored_;
  bool in_transaction_ = false;

  ApplyCounters pending_;  // counted since Begin; added to the totals at Commit
  // Since Begin, when options_.record_outcomes: the fields rules kept, and
  // each applied delta's qualified source and seq.
  std::vector<std::string> kept_columns_;
  std::vector<std::pair<std::string, uint64_t>> applied_deltas_;
  std::atomic<uint64_t> deltas_{0}, inserted_{0}, bulk_{0}, updated_{0}, deleted_{0}, kept_{0},
      conflicts_{0}, rejected_{0}, transactions_{0}, own_recorded_{0}, own_written_back_{0},
      own_unrestorable_{0};
};

}  // namespace deltabridge
