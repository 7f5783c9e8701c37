// DeltaMapper: maps a delta onto its target table (the first step of applying
// a chunk): the row's key in the mapping's key order, each column through the
// mapping's renames and exclusions, every value converted to its target
// column's type (column_values.h).
//
// A value that does not convert, or a delta without its key, is not an error:
// the MappedDelta carries `reject` (why), and the engine records the delta as
// a conflict of kind "rejected" and goes on. A column the target table lacks
// is an error (FailedPrecondition naming the column and the three fixes):
// nothing is dropped silently.
//
// Deltas of one table carry the same columns in the same order, so the mapper
// remembers, per mapping, which target column each position resolved to; a
// name equal to the one at its position resolves without a lookup. The cache
// is valid for the tables it was made with: Reset() when they change.
//
// Borrows the tables (they must outlive the mapper, or until Reset with new
// ones). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cdc/core/status.h"
#include "sinks/sql/chunk_state.h"
#include "sinks/sql/sql_table.h"
#include "sinks/target.h"

namespace deltabridge {

class DeltaMapper {
 public:
  explicit DeltaMapper(SqlTables* tables) : tables_(tables) {}

  Result<MappedDelta> Map(const SinkDelta& delta);

  // Forgets the per-mapping column cache (after the tables were made anew).
  void Reset() { cache_.clear(); }

 private:
  // Per mapping, the column names of the last delta Map saw and the target
  // column each resolved to (-1: excluded), by position.
  struct ColumnCache {
    SqlTableContext* table = nullptr;
    std::vector<std::string> key_names, change_names;
    std::vector<int64_t> key_index, change_index;
  };

  SqlTables* tables_;  // borrowed
  std::unordered_map<const MappingConfig*, ColumnCache> cache_;
};

}  // namespace deltabridge
