#include "sinks/sql/prefetcher.h"

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>

#include "sinks/sql/column_values.h"
#include "sinks/sql/sql_statements.h"
#include "sinks/sql/state_tables.h"

namespace deltabridge {

Status Prefetch(SqlSession& s, const std::vector<MappedDelta*>& mapped, ChunkState& state,
                bool lock_rows) {
  const bool for_update =
      lock_rows && (s.dialect() == SqlDialect::kPostgres || s.dialect() == SqlDialect::kMysql);
  // Rows not yet known, per table, in first-touch order.
  std::map<SqlTableContext*, std::vector<TargetRow*>> wanted;
  for (MappedDelta* m : mapped) {
    for (int pass = 0; pass < 2; ++pass) {
      const std::vector<Value>* key = pass == 0 ? &m->key : (m->new_key ? &*m->new_key : nullptr);
      if (key == nullptr) continue;
      std::string row_key = pass == 0 ? m->row_key : RowKeyText(*key);
      std::string id = m->table->info.name + '\n' + row_key;
      if (state.rows.count(id) > 0) continue;
      auto row = std::make_unique<TargetRow>();
      row->table = m->table;
      row->key = *key;
      row->row_key = row_key;
      wanted[m->table].push_back(state.Add(std::move(row)));
    }
  }
  for (auto& [t, rows] : wanted) {
    const size_t width = t->key_columns.size();
    const size_t per = BatchRows(s, width);
    std::unordered_map<std::string, TargetRow*> by_key;
    for (TargetRow* r : rows) by_key.emplace(r->row_key, r);
    for (size_t start = 0; start < rows.size(); start += per) {
      size_t end = std::min(rows.size(), start + per);
      int next = 1;
      std::string sql = "SELECT " + SelectList(*t, s.dialect()) + " FROM " + t->quoted + " WHERE " +
                        KeyPredicate(s, *t, end - start, &next);
      if (for_update) sql += " FOR UPDATE";
      std::vector<SqlParam> params;
      for (size_t i = start; i < end; ++i) AppendKeyParams(s, *t, rows[i]->key, &params);
      DB_ASSIGN_OR_RETURN_CTX(std::vector<SqlRow> result, s.Query(sql, params),
                              "reading " + t->info.name);
      for (SqlRow& db_row : result) {
        std::vector<Value> values;
        values.reserve(t->info.columns.size());
        for (size_t c = 0; c < t->info.columns.size() && c < db_row.size(); ++c) {
          Result<Value> v = SqlToTyped(t->info.columns[c], db_row[c], s.dialect());
          if (!v.ok()) return Status::FailedPrecondition(v.status().message());
          values.push_back(std::move(v).value());
        }
        std::vector<Value> key;
        for (size_t k = 0; k < width; ++k) key.push_back(values[t->key_columns[k]]);
        auto it = by_key.find(RowKeyText(key));
        if (it == by_key.end()) continue;  // a key that reads back differently: treated as new
        TargetRow* r = it->second;
        r->existed = r->exists = true;
        r->values = std::move(values);
        r->assigned.assign(t->info.columns.size(), false);
      }
    }
    // Their last writers. PostgreSQL: one text[] parameter joined laterally,
    // so that each key is an index probe whatever the table's statistics
    // (an IN list of 2000 keys on a growing, not yet analysed table was
    // planned as a scan of every row of the table).
    const bool pg = s.dialect() == SqlDialect::kPostgres;
    const size_t per_w = pg ? rows.size() : BatchRows(s, 1) - 1;
    for (size_t start = 0; start < rows.size(); start += per_w) {
      size_t end = std::min(rows.size(), start + per_w);
      std::string sql;
      std::vector<SqlParam> params = {SqlParam::Text(t->info.name)};
      if (pg) {
        std::string array = "{";
        for (size_t i = start; i < end; ++i) {
          if (i > start) array += ',';
          array += '"';
          for (char c : rows[i]->row_key) {
            if (c == '"' || c == '\\') array += '\\';
            array += c;
          }
          array += '"';
        }
        array += '}';
        params.push_back(SqlParam::Text(std::move(array)));
        sql =
            "SELECT k.row_key, w.writers FROM unnest($2::text[]) AS k(row_key) CROSS JOIN "
            "LATERAL (SELECT writers FROM deltabridge_row_writers w WHERE w.target_table = $1 "
            "AND w.row_key = k.row_key) w";
      } else {
        sql = "SELECT row_key, writers FROM deltabridge_row_writers WHERE target_table = " +
              s.Placeholder(1) + " AND row_key IN (";
        for (size_t i = start; i < end; ++i) {
          if (i > start) sql += ", ";
          sql += s.Placeholder(static_cast<int>(params.size()) + 1);
          params.push_back(SqlParam::Text(rows[i]->row_key));
        }
        sql += ")";
      }
      DB_ASSIGN_OR_RETURN_CTX(std::vector<SqlRow> result, s.Query(sql, params),
                              "reading deltabridge_row_writers");
      for (const SqlRow& w : result) {
        if (w.size() < 2 || !w[0] || !w[1]) continue;
        auto it = by_key.find(*w[0]);
        if (it == by_key.end()) continue;
        Result<RowWriters> writers = DecodeRowWriters(*w[1]);
        if (!writers.ok()) {
          return writers.status().WithContext(t->info.name + " row " + *w[0]);
        }
        // Stored writer values come as wire values: typed as the column holds
        // them, like every value the engine keeps; one that no longer
        // converts (the column changed) is dropped.
        for (auto& [column, mark] : *writers) {
          if (!mark.value) continue;
          const TargetColumnInfo* col = t->info.Find(column);
          if (col == nullptr) {
            mark.value.reset();
            continue;
          }
          Result<Value> typed = WireToTyped(*col, *mark.value);
          if (typed.ok()) {
            mark.value = std::move(typed).value();
          } else {
            mark.value.reset();
          }
        }
        it->second->writers = std::move(writers).value();
        it->second->writers_existed = true;
      }
    }
  }
  return Status::Ok();
}

}  // namespace deltabridge
