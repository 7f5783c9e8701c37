#include "sinks/sql/bulk_copier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_set>

#include "cdc/core/utc_time.h"
#include "cdc/wire/envelope.h"
#include "sinks/sql/chunk_writer.h"
#include "sinks/sql/column_values.h"
#include "sinks/sql/sql_statements.h"

namespace deltabridge {

// The bulk path. A segment of inserts (or snapshot rows) of distinct keys is
// reconciled as if none of its rows existed in the target, without reading
// them, and written with COPY. That assumption is checked by the database
// itself: each bulk table's primary key is the mapping's key
// (SqlTableContext::copy_ok) and deltabridge_row_writers is keyed by
// (target_table, row_key), so if any row or writers record already exists
// the COPY fails with a unique violation. Then the savepoint undoes the
// segment's writes, the state is put back as it was, and the caller applies
// the segment the ordinary way (read, reconcile, write), exactly as if the
// bulk path had not been tried. Any other refusal (a bad value) takes the
// same way back, and the ordinary path then isolates the refused row.
// Returns true when the segment was written here.
Result<bool> BulkCopier::TryCopySegment(SqlSession& session,
                                        const std::vector<const SinkDelta*>& deltas,
                                        std::vector<MappedDelta>& mapped, size_t begin, size_t end,
                                        ChunkState& state,
                                        const std::function<Status()>& before_write) {
  if (min_rows_ == 0 || end - begin < min_rows_) return false;
  std::vector<SqlTableContext*> tables;
  bool eligible = state.rows.empty();
  for (size_t j = begin; j < end && eligible; ++j) {
    const Op op = deltas[j]->delta.change.op;
    const MappedDelta& m = mapped[j];
    eligible = (op == Op::kInsert || op == Op::kSnapshot) && !deltas[j]->self && m.reject.empty() &&
               !m.new_key.has_value() && m.table->copy_ok;
    if (eligible && std::find(tables.begin(), tables.end(), m.table) == tables.end()) {
      tables.push_back(m.table);
    }
  }
  if (!eligible) return false;
  bool skipping = false;
  for (SqlTableContext* t : tables) {
    if (t->copy_skip > 0) {
      t->copy_skip--;
      skipping = true;
    }
  }
  if (skipping) return false;
  // Distinct keys only: a second delta for a key would have to see the first.
  {
    std::map<const SqlTableContext*, std::unordered_set<std::string_view>> keys;
    for (size_t j = begin; j < end; ++j) {
      if (!keys[mapped[j].table].insert(mapped[j].row_key).second) return false;
    }
  }
  // New-only values (what inserts carry): every rule applies every field
  // to a row the target does not have (reconciler.cc: no old value, no last
  // writer, no current value), so the rows go straight to COPY.
  bool new_only = true;
  for (size_t j = begin; j < end && new_only; ++j) {
    for (const IncomingField& f : mapped[j].fields) {
      new_only = new_only && f.new_value.has_value() && !f.old_value.has_value();
    }
  }
  const ApplyCounters before = state.counters;
  if (before_write) DB_RETURN_IF_ERROR(before_write());
  DB_RETURN_IF_ERROR(Savepoint(session, "deltabridge_bulk"));
  Status s = Status::Ok();
  if (new_only) {
    s = CopyNewRows(session, deltas, mapped, begin, end, state);
  } else {
    for (size_t j = begin; j < end; ++j) {
      MappedDelta& m = mapped[j];
      auto row = std::make_unique<TargetRow>();
      row->table = m.table;
      row->key = m.key;
      row->row_key = m.row_key;
      state.Add(std::move(row));
    }
    for (size_t j = begin; j < end && s.ok(); ++j) {
      s = reconciler_->Reconcile(*deltas[j], mapped[j], state);
    }
    if (s.ok()) s = WriteChunk(session, state, /*bulk=*/true);
  }
  if (s.ok()) {
    for (SqlTableContext* t : tables) t->copy_backoff = 0;
    state.counters.rows_bulk += end - begin;
    DB_RETURN_IF_ERROR(ReleaseSavepoint(session, "deltabridge_bulk"));
    return true;
  }
  if (!s.IsRejected()) return s;
  spdlog::debug("bulk insert of {} rows refused ({}); applying them the ordinary way", end - begin,
                s.message());
  DB_RETURN_IF_ERROR(RollbackToSavepoint(session, "deltabridge_bulk"));
  DB_RETURN_IF_ERROR(ReleaseSavepoint(session, "deltabridge_bulk"));
  state.ClearRows();
  state.conflicts.clear();
  state.counters = before;
  for (SqlTableContext* t : tables) {
    t->copy_backoff = std::min(64, std::max(1, t->copy_backoff * 2));
    t->copy_skip = t->copy_backoff;
  }
  return false;
}

// The bulk path's rows when every field carries only a new value: the same
// rows and writers records DeltaReconciler and WriteChunk would write for rows
// the target lacks, built without the general machinery (no TargetRow, no
// reconciliation, no writers map): this is the sink's hot path for inserts.
// Rows with the same set of columns share one COPY; each row's writers
// record is its one writer over its non-key columns, as EncodeRowWriters
// writes it (columns in name order).
Status BulkCopier::CopyNewRows(SqlSession& s, const std::vector<const SinkDelta*>& deltas,
                               std::vector<MappedDelta>& mapped, size_t begin, size_t end,
                               ChunkState& state) {
  const SqlDialect dialect = s.dialect();
  struct Group {
    SqlTableContext* table;
    std::string set;              // '1' per column written
    std::vector<size_t> columns;  // written columns, in table order
    std::string writers_columns;  // ,"columns":[...] for the writers records
    std::vector<size_t> named;    // the written non-key columns, in name order
    std::vector<const Value*> slots;
    std::vector<SqlParam> values;  // row after row
  };
  std::vector<Group> groups;
  std::map<SqlTableContext*, std::vector<SqlParam>> writers;
  std::string set;
  std::string at_text;
  int64_t at_us = INT64_MIN;
  for (size_t j = begin; j < end; ++j) {
    const SinkDelta& d = *deltas[j];
    MappedDelta& m = mapped[j];
    SqlTableContext& t = *m.table;
    const size_t ncols = t.info.columns.size();
    set.assign(ncols, '0');
    for (size_t k : t.key_columns) set[k] = '1';
    for (size_t i : m.field_index) {
      if (set[i] == '1') return Status::FailedPrecondition("internal: a column written twice");
      set[i] = '1';
    }
    Group* g = nullptr;
    for (Group& candidate : groups) {
      if (candidate.table == &t && candidate.set == set) g = &candidate;
    }
    if (g == nullptr) {
      Group fresh;
      fresh.table = &t;
      fresh.set = set;
      for (size_t c = 0; c < ncols; ++c) {
        if (set[c] == '1') fresh.columns.push_back(c);
      }
      fresh.named = m.field_index;
      std::sort(fresh.named.begin(), fresh.named.end(), [&](size_t a, size_t b) {
        return t.info.columns[a].name < t.info.columns[b].name;
      });
      fresh.writers_columns = ",\"columns\":[";
      for (size_t n = 0; n < fresh.named.size(); ++n) {
        if (n > 0) fresh.writers_columns += ',';
        AppendJsonString(&fresh.writers_columns, t.info.columns[fresh.named[n]].name);
      }
      fresh.writers_columns += "]";
      fresh.slots.assign(ncols, nullptr);
      groups.push_back(std::move(fresh));
      g = &groups.back();
    }
    for (size_t k = 0; k < t.key_columns.size(); ++k) g->slots[t.key_columns[k]] = &m.key[k];
    for (size_t f = 0; f < m.fields.size(); ++f)
      g->slots[m.field_index[f]] = &*m.fields[f].new_value;
    for (size_t c : g->columns)
      g->values.push_back(TypedToSql(t.info.columns[c], *g->slots[c], dialect));
    if (!m.fields.empty()) {
      const Change& c = d.delta.change;
      if (c.commit_time_us != at_us) {
        at_us = c.commit_time_us;
        at_text = FormatUtcMicros(at_us);
      }
      std::string w = "[{\"source\":";
      AppendJsonString(&w, QualifiedSource(d.delta.bridge, c.source));
      w += ",\"at\":\"";
      w += at_text;
      w += "\",\"seq\":";
      w += std::to_string(d.delta.seq);
      w += g->writers_columns;
      if (reconciler_->stores_values()) {
        w += ",\"v\":{";
        for (size_t n = 0; n < g->named.size(); ++n) {
          if (n > 0) w += ',';
          AppendJsonString(&w, t.info.columns[g->named[n]].name);
          w += ':';
          AppendJsonValue(&w, *g->slots[g->named[n]]);
        }
        w += '}';
      }
      w += "}]";
      std::vector<SqlParam>& rows = writers[&t];
      rows.push_back(SqlParam::Text(t.info.name));
      rows.push_back(SqlParam::Text(m.row_key));
      rows.push_back(SqlParam::Text(std::move(w)));
    }
    state.counters.deltas++;
    state.counters.rows_inserted++;
  }
  for (const Group& g : groups) {
    std::vector<std::string> names;
    for (size_t c : g.columns) names.push_back(g.table->quoted_columns[c]);
    Status cs = s.CopyIn(g.table->quoted, names, g.values);
    if (!cs.ok()) return cs.WithContext("copying into " + g.table->info.name);
  }
  static const std::vector<std::string> kWriterColumns = {"target_table", "row_key", "writers"};
  for (const auto& [t, rows] : writers) {
    Status cs = s.CopyIn("deltabridge_row_writers", kWriterColumns, rows);
    if (!cs.ok()) return cs.WithContext("copying into deltabridge_row_writers");
  }
  state.ClearRows();
  return Status::Ok();
}

}  // namespace deltabridge
