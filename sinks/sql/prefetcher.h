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
Status Prefetch(SqlSession& session, const std::vector<MappedDelta*>& mapped, ChunkState& state);

}  // namespace deltabridge
