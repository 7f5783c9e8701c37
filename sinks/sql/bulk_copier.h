// BulkCopier: the bulk path for new rows. A segment of inserts (or snapshot
// rows) of distinct keys, into tables whose primary key is the mapping's key,
// is written with COPY (SqlSession::CopyIn) without reading the rows first:
// the sink's hot path when it catches up on a backlog of inserts.
//
// That the rows are new is checked by the database itself: a row or writers
// record that exists already fails the COPY with a unique violation, the
// savepoint undoes the segment's writes, the working set is put back as it
// was, and TryCopySegment returns false for the caller to apply the segment
// the ordinary way (read, reconcile, write). Each table then skips the bulk
// path for a number of segments that doubles with each failure (up to 64).
//
// Borrows the reconciler. Not thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "cdc/core/status.h"
#include "sinks/sql/chunk_state.h"
#include "sinks/sql/delta_reconciler.h"
#include "sinks/sql/sql_session.h"
#include "sinks/target.h"

namespace deltabridge {

class BulkCopier {
 public:
  // Segments shorter than `min_rows` are not worth a COPY (0 turns the path off).
  BulkCopier(size_t min_rows, DeltaReconciler* reconciler)
      : min_rows_(min_rows), reconciler_(reconciler) {}

  // Writes deltas[begin, end) (mapped as mapped[begin, end)) with COPY when
  // the segment qualifies and the database agrees; true when it did. The
  // working set must be empty on entry and is empty again on return.
  // `before_write` (when set) runs once the segment qualifies, before its
  // savepoint and anything it writes (the origin tag, origin_tagger.h).
  // Own-node deltas (SinkDelta::self) never qualify.
  Result<bool> TryCopySegment(SqlSession& session, const std::vector<const SinkDelta*>& deltas,
                              std::vector<MappedDelta>& mapped, size_t begin, size_t end,
                              ChunkState& state,
                              const std::function<Status()>& before_write = nullptr);

 private:
  // The rows of a segment whose fields all carry only a new value, built
  // without the general machinery.
  Status CopyNewRows(SqlSession& session, const std::vector<const SinkDelta*>& deltas,
                     std::vector<MappedDelta>& mapped, size_t begin, size_t end, ChunkState& state);

  size_t min_rows_;
  DeltaReconciler* reconciler_;  // borrowed
};

}  // namespace deltabridge
