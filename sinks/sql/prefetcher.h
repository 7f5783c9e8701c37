// Prefetch: reads the target rows a segment's deltas touch, and their last
// writers (deltabridge_row_writers), into the chunk's working set: one query
// per table for the rows (keys batched under the session's parameter limit)
// and one for their writers. A row already in the working set is not read
// again; a row the target lacks stays in it as not existing, so the deltas
// after it see what the earlier ones did.
//
// PostgreSQL reads the writers by one text[] parameter joined laterally, so
// that each key is an index probe whatever the table's statistics (an IN list
// of 2000 keys on a growing, not yet analysed table was planned as a scan).
//
// Borrows the session and the deltas for the call. One thread.
#pragma once

#include <vector>

#include "cdc/core/status.h"
#include "sinks/sql/chunk_state.h"
#include "sinks/sql/sql_session.h"

namespace deltabridge {

// Adds the rows of `mapped` (their key, and their new key for a key-changing
// update) to `state`, read from the target with their writers.
//
// `lock_rows` (a target that others write too: a node of a two-way setup):
// PostgreSQL and MySQL read the rows FOR UPDATE, so that no local write
// lands between the read and the write the rules decide on it (an
// additive field is written as current + increment: a local increment in
// between would be lost). SQLite and generic ODBC targets read as before.
Status Prefetch(SqlSession& session, const std::vector<MappedDelta*>& mapped, ChunkState& state,
                bool lock_rows = false);

}  // namespace deltabridge
