// The sink's own tables in a SQL target (docs/target-tables.md):
//
//   deltabridge_checkpoints   (sink, bridge) -> seq: the last seq of that
//                             bridge applied to this target by this sink.
//   deltabridge_row_writers   (target_table, row_key) -> writers: for each
//                             field of a target row, the change that last
//                             wrote it, as JSON:
//                             [{"source":"parks.legacy","at":"2026-11-27T10:00:00.123456Z",
//                               "seq":1042,"columns":["status","seats_taken"]}, ...]
//                             and, where the sink stores them (a target with
//                             a node), the values that change gave them:
//                             ..."columns":["status"],"v":{"status":"open"}}
//   deltabridge_conflicts     one row per conflict held for review, open
//                             until `deltabridge conflicts SINK resolve`.
//
// Created on first start when missing, in the connection's default schema
// (database). Rows are written only inside the apply transaction, so they
// always agree with the target's data.
//
// Functions borrow the session for the call; thread-safety is the session's.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "mappings/rules/reconciler.h"
#include "sinks/conflict_record.h"
#include "sinks/sql/sql_session.h"
#include "sinks/target.h"

namespace deltabridge {

inline constexpr std::string_view kCheckpointsTable = "deltabridge_checkpoints";
inline constexpr std::string_view kRowWritersTable = "deltabridge_row_writers";
inline constexpr std::string_view kConflictsTable = "deltabridge_conflicts";

// Creates the three tables where missing (DDL per dialect).
Status EnsureStateTables(SqlSession& session);

// The checkpoint of `sink`: every bridge's last applied seq.
Result<Checkpoints> LoadCheckpoints(SqlSession& session, std::string_view sink);

// Writes the entries of `now` that differ from `*stored`, then sets
// *stored = now. Inside the caller's transaction.
Status SaveCheckpoints(SqlSession& session, std::string_view sink, const Checkpoints& now,
                       Checkpoints* stored, int64_t now_us);

// The last writer of each field of one row, by target column name.
// EncodeRowWriters writes a "v" member for the marks with a value;
// DecodeRowWriters gives those values as the envelope decodes JSON (wire
// values, sql_type empty), and entries without "v" without a value.
using RowWriters = std::map<std::string, WriterMark, std::less<>>;
std::string EncodeRowWriters(const RowWriters& writers);
// Corruption when the text is not what EncodeRowWriters writes.
Result<RowWriters> DecodeRowWriters(std::string_view json);

// Inserts the records (multi-row statements).
Status InsertConflicts(SqlSession& session, const std::vector<ConflictRecord>& records);

// The conflicts of `sink`, oldest first; only open ones unless `include_resolved`.
Result<std::vector<ConflictRecord>> ListConflicts(SqlSession& session, std::string_view sink,
                                                  bool include_resolved);
// The conflicts of `sink` recorded for the delta `seq` of `source` (qualified),
// oldest first: inside the transaction that recorded them, its own.
Result<std::vector<ConflictRecord>> ListConflictsOf(SqlSession& session, std::string_view sink,
                                                    std::string_view source, uint64_t seq);
// How many conflicts of `sink` are open.
Result<uint64_t> CountOpenConflicts(SqlSession& session, std::string_view sink);
// One conflict by id (any sink); NotFound when none.
Result<ConflictRecord> LoadConflict(SqlSession& session, int64_t id);
// Marks `id` resolved with `resolution`; FailedPrecondition when it already is.
Status MarkConflictResolved(SqlSession& session, int64_t id, std::string_view resolution,
                            int64_t now_us);

// A timestamptz-like column description for binding the state tables' times.
const TargetColumnInfo& StateTimeColumn();

}  // namespace deltabridge
