// SqlTarget: applies deltas to a SQL database through a SqlSession, with the
// reconciliation rules of contract section 5 and the exactly-once checkpoint.
//
// How a chunk of deltas is applied (docs/sink-apply.md has the long form):
//   1. each delta is mapped (table, key, column renames, exclusions) and its
//      values converted to the target columns' types;
//   2. the rows the chunk touches and their last writers
//      (deltabridge_row_writers) are read with one query per table;
//   3. each delta is reconciled, in seq order, against the row as the
//      earlier deltas of the chunk left it (in memory);
//   4. the net result is written with multi-row statements: deletes, inserts,
//      updates, then the writers and the conflicts.
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
// Ownership: borrows the SinkConfig (it must outlive the target); owns its
// session. Thread-safety: one thread; counters() from any.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mappings/rules/reconciler.h"
#include "sinks/sink_config.h"
#include "sinks/sql/sql_session.h"
#include "sinks/sql/state_tables.h"
#include "sinks/target.h"

namespace deltabridge {

using SqlSessionFactory = std::function<Result<std::unique_ptr<SqlSession>>()>;

struct SqlTargetOptions {
  // Deltas reconciled and written together (one read and one write per table).
  size_t chunk_deltas = 2000;
  // Now, in microseconds since the epoch (tests fix it).
  std::function<int64_t()> now_us;
  // Bulk path (sessions that support COPY): a segment of at least this many
  // inserts of distinct new keys is written with COPY, without reading the
  // rows first (see SqlTarget::TryCopySegment). 0 turns the path off.
  size_t copy_min_rows = 16;
};

// One target table as the engine uses it.
struct SqlTableContext {
  TargetTableInfo info;
  std::string quoted;                       // quoted table name
  std::vector<size_t> key_columns;          // indexes into info.columns, in mapping key order
  std::vector<std::string> quoted_columns;  // parallel to info.columns
  int mappings = 0;                         // how many mappings write this table
  // The bulk path may write this table: the session supports COPY and the
  // table's primary key is exactly the mapping's key, so COPY of a key the
  // table already has fails with a unique violation instead of adding a
  // second row.
  bool copy_ok = false;
  // After the bulk path met a row the table already had: segments to skip
  // it for (copy_skip), doubling on each failure up to 64 (copy_backoff).
  int copy_skip = 0;
  int copy_backoff = 0;
};

// Checks a mapping against its table: the key and every ruled, renamed and
// soft-delete column exist; each rule suits its column's type (`additive`
// needs a number, max/min a comparable type, `by` a timestamp). One message
// per problem, "mappings[N].rules.COLUMN: ..." when `index` is known.
std::vector<std::string> CheckMappingAgainstTable(const MappingConfig& mapping, size_t index,
                                                  const TargetTableInfo& table);

class SqlTarget : public Target {
 public:
  SqlTarget(const SinkConfig& config, SqlSessionFactory factory, SqlTargetOptions options = {});
  ~SqlTarget() override;

  Result<Checkpoints> Open() override;
  Status Begin() override;
  Status Apply(const std::vector<SinkDelta>& chunk) override;
  Status Commit(const Checkpoints& checkpoints) override;
  void Abort() override;
  ApplyCounters counters() const override;
  std::string Describe() const override;

  // The open session (after Open), for status and conflicts commands.
  SqlSession* session() { return session_.get(); }
  // The table context of `table` (after Open), or nullptr.
  const SqlTableContext* table(std::string_view name) const;

  struct Row;  // a target row as a chunk sees it (sql_target.cc)
  struct Mapped;

 private:
  struct ChunkState;

  Status ProcessDeltas(const std::vector<const SinkDelta*>& deltas, ChunkState& state);
  Result<bool> TryCopySegment(const std::vector<const SinkDelta*>& deltas,
                              std::vector<Mapped>& mapped, size_t begin, size_t end,
                              ChunkState& state);
  Status ApplyChunk(const std::vector<const SinkDelta*>& deltas);
  Result<Mapped> MapDelta(const SinkDelta& d);
  Status Prefetch(const std::vector<Mapped*>& mapped, ChunkState& state);
  Status CopyNewRows(const std::vector<const SinkDelta*>& deltas, std::vector<Mapped>& mapped,
                     size_t begin, size_t end, ChunkState& state);
  Status ReconcileOne(const SinkDelta& d, Mapped& m, ChunkState& state);
  // Writes what the segment reconciled. `bulk`: every row is new and is
  // written with COPY (TryCopySegment's precondition).
  Status WriteOut(ChunkState& state, bool bulk = false);
  Status UpdateRows(const SqlTableContext& t, const std::vector<size_t>& cols,
                    const std::vector<Row*>& rows);
  Status UpdateWriters(const SqlTableContext& t, const std::vector<Row*>& rows);
  Status ApplyTruncate(const SinkDelta& d, ChunkState& state);
  Status ApplyKeyChange(const SinkDelta& d, Mapped& m, ChunkState& state);
  Status Savepoint(const char* name);
  Status RollbackTo(const char* name);
  Status Release(const char* name);
  // Records a conflict of `d` on its mapping's table; returns it for the
  // kind's own fields. Counts it.
  ConflictRecord& HoldConflict(const SinkDelta& d, ConflictKind kind, std::string row_key,
                               std::string reason, ChunkState& state);
  void Reject(const SinkDelta& d, const Mapped* m, const std::string& reason, ChunkState& state);
  int64_t Now() const;

  const SinkConfig& config_;
  SqlSessionFactory factory_;
  SqlTargetOptions options_;
  std::unique_ptr<SqlSession> session_;
  std::map<std::string, std::unique_ptr<SqlTableContext>, std::less<>> tables_;
  std::map<const MappingConfig*, RuleSet> rules_;
  // Per mapping, the column names of the last delta MapDelta saw and the
  // target column each resolved to (-1: excluded), by position: deltas of a
  // table carry the same columns in the same order, so a name equal to the
  // one at its position resolves without TargetColumn and Find. Valid for
  // the tables_ of one Open(); cleared with them.
  struct ColumnCache {
    SqlTableContext* table = nullptr;
    std::vector<std::string> key_names, change_names;
    std::vector<int64_t> key_index, change_index;
  };
  std::unordered_map<const MappingConfig*, ColumnCache> column_cache_;
  Checkpoints stored_;
  bool in_transaction_ = false;

  ApplyCounters pending_;  // counted since Begin; added to the totals at Commit
  std::atomic<uint64_t> deltas_{0}, inserted_{0}, bulk_{0}, updated_{0}, deleted_{0}, kept_{0},
      conflicts_{0}, rejected_{0}, transactions_{0};
};

}  // namespace deltabridge
