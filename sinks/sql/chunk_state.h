// The apply engine's working set for one segment of a chunk: each delta
// mapped onto its target table (MappedDelta), the target rows the segment
// touches as its deltas leave them (TargetRow), and what it will record
// (conflicts, counters). The units of the engine pass it along:
//   DeltaMapper     makes the MappedDeltas (delta_mapper.h);
//   Prefetcher      reads the rows and their last writers (prefetcher.h);
//   DeltaReconciler applies each delta to its row under the rules
//                   (delta_reconciler.h);
//   ChunkWriter     writes the net result (chunk_writer.h);
//   BulkCopier      writes a segment of new rows without reading (bulk_copier.h).
//
// Plain data, used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cdc/core/value.h"
#include "mappings/rules/reconciler.h"
#include "sinks/conflict_record.h"
#include "sinks/sql/sql_table.h"
#include "sinks/sql/state_tables.h"
#include "sinks/target.h"

namespace deltabridge {

// A target row as the current segment of a chunk sees it.
struct TargetRow {
  SqlTableContext* table = nullptr;
  std::vector<Value> key;  // typed, in key order
  std::string row_key;     // RowKeyText(key)
  bool existed = false;    // in the database when the segment began
  bool exists = false;     // after the deltas reconciled so far
  bool recreated = false;  // existed, deleted and inserted again in this segment
  // Invariant: when `exists`, one value per column of the table; `assigned`
  // marks the columns a delta wrote in this segment (for a new row, the ones
  // to insert; for an existing row, the ones to update).
  std::vector<Value> values;
  std::vector<bool> assigned;
  RowWriters writers;
  bool writers_existed = false;  // a deltabridge_row_writers row exists in the database
  bool writers_dirty = false;
};

// A delta mapped onto its target table, values typed.
struct MappedDelta {
  SqlTableContext* table = nullptr;
  std::vector<Value> key;
  std::string row_key;
  std::optional<std::vector<Value>> new_key;  // a key-changing update
  std::vector<IncomingField> fields;          // non-key columns, target names
  std::vector<size_t> field_index;            // parallel to fields: index in table->info.columns
  std::string reject;                         // why it cannot be applied (conversion)
};

struct ChunkState {
  std::unordered_map<std::string, std::unique_ptr<TargetRow>> rows;  // table + '\n' + row_key
  std::vector<TargetRow*> order;                                     // first-touch order
  std::vector<ConflictRecord> conflicts;
  ApplyCounters counters;
  // When record_kept, the target columns a rule kept, in the order decided
  // (SqlTargetOptions::record_outcomes); else `kept` stays empty.
  bool record_kept = false;
  std::vector<std::string> kept;

  TargetRow* Find(const SqlTableContext* t, const std::string& row_key) {
    auto it = rows.find(t->info.name + '\n' + row_key);
    return it == rows.end() ? nullptr : it->second.get();
  }
  // Adds `row` (not yet known) in first-touch order; returns it.
  TargetRow* Add(std::unique_ptr<TargetRow> row) {
    TargetRow* r = row.get();
    order.push_back(r);
    rows.emplace(r->table->info.name + '\n' + r->row_key, std::move(row));
    return r;
  }
  void ClearRows() {
    rows.clear();
    order.clear();
  }
};

}  // namespace deltabridge
