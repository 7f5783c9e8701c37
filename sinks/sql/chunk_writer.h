// WriteChunk: writes what a segment of a chunk reconciled (the working set of
// chunk_state.h) to the target, table by table in first-touch order, with
// multi-row statements under the session's parameter limit:
//   1. deletes of rows that are gone (or deleted and inserted again);
//   2. inserts of new rows, grouped by the set of columns they carry;
//   3. updates of the columns each remaining row had written, grouped the
//      same way (PostgreSQL: one UPDATE ... FROM (VALUES ...) per group);
//   4. the rows' last writers in deltabridge_row_writers (delete, insert,
//      update);
// then the conflicts the segment held. Afterwards the working set is empty.
//
// `bulk` (the bulk path, bulk_copier.h): every row is new and is written with
// COPY, rows and writers alike, so that a row the target already has fails
// the whole COPY with a unique violation.
//
// Borrows the session for the call; any error comes back as the session gave
// it (Rejected for data the database refused), with what was being written.
// One thread.
#pragma once

#include "cdc/core/status.h"
#include "sinks/sql/chunk_state.h"
#include "sinks/sql/sql_session.h"

namespace deltabridge {

Status WriteChunk(SqlSession& session, ChunkState& state, bool bulk = false);

// Whether WriteChunk would change a data row of `state` (a delete, an insert
// or an update), as opposed to only the deltabridge_* state tables.
bool WritesData(const ChunkState& state);

}  // namespace deltabridge
