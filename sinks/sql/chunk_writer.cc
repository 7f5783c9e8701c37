#include "sinks/sql/chunk_writer.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "sinks/sql/column_values.h"
#include "sinks/sql/sql_statements.h"
#include "sinks/sql/state_tables.h"

namespace deltabridge {

namespace {

// The columns of a row marked assigned, as a bitmask string (grouping key).
std::string AssignedSet(const std::vector<bool>& assigned) {
  std::string out(assigned.size(), '0');
  for (size_t i = 0; i < assigned.size(); ++i) {
    if (assigned[i]) out[i] = '1';
  }
  return out;
}

Status UpdateRows(SqlSession& s, const SqlTableContext& t, const std::vector<size_t>& cols,
                  const std::vector<TargetRow*>& rows) {
  const SqlDialect dialect = s.dialect();
  const size_t width = t.key_columns.size();
  if (dialect == SqlDialect::kPostgres && rows.size() > 1) {
    // One statement for many rows: UPDATE ... FROM (VALUES ...). Each
    // parameter is cast to its column's type without the type modifier
    // (varchar, not varchar(3)): the assignment then checks lengths and
    // ranges as a plain UPDATE would, instead of an explicit cast truncating.
    std::vector<size_t> all = t.key_columns;
    all.insert(all.end(), cols.begin(), cols.end());
    std::vector<std::string> casts;
    std::string alias_names;
    for (size_t i = 0; i < all.size(); ++i) {
      if (i > 0) alias_names += ", ";
      alias_names += "c" + std::to_string(i);
      casts.push_back("::" + BaseTypeName(t.info.columns[all[i]].sql_type));
    }
    std::string set;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) set += ", ";
      set += t.quoted_columns[cols[i]] + " = v.c" + std::to_string(width + i);
    }
    std::string where;
    for (size_t k = 0; k < width; ++k) {
      if (k > 0) where += " AND ";
      where += "t." + t.quoted_columns[t.key_columns[k]] + " = v.c" + std::to_string(k);
    }
    const size_t per = BatchRows(s, all.size());
    for (size_t start = 0; start < rows.size(); start += per) {
      size_t end = std::min(rows.size(), start + per);
      std::string sql = "UPDATE " + t.quoted + " AS t SET " + set + " FROM (VALUES ";
      std::vector<SqlParam> params;
      int next = 1;
      for (size_t i = start; i < end; ++i) {
        sql += i > start ? ", (" : "(";
        for (size_t c = 0; c < all.size(); ++c) {
          if (c > 0) sql += ", ";
          sql += s.Placeholder(next++) + casts[c];
          params.push_back(TypedToSql(t.info.columns[all[c]], rows[i]->values[all[c]], dialect));
        }
        sql += ")";
      }
      sql += ") AS v(" + alias_names + ") WHERE " + where;
      DB_RETURN_IF_ERROR(ExecSql(s, sql, params, "updating " + t.info.name));
    }
    return Status::Ok();
  }
  std::string sql = "UPDATE " + t.quoted + " SET ";
  int next = 1;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += t.quoted_columns[cols[i]] + " = " + s.Placeholder(next++);
  }
  sql += " WHERE ";
  for (size_t k = 0; k < width; ++k) {
    if (k > 0) sql += " AND ";
    sql += t.quoted_columns[t.key_columns[k]] + " = " + s.Placeholder(next++);
  }
  for (TargetRow* r : rows) {
    std::vector<SqlParam> params;
    for (size_t c : cols) params.push_back(TypedToSql(t.info.columns[c], r->values[c], dialect));
    AppendKeyParams(s, t, r->key, &params);
    DB_RETURN_IF_ERROR(ExecSql(s, sql, params, "updating " + t.info.name));
  }
  return Status::Ok();
}

Status UpdateWriters(SqlSession& s, const SqlTableContext& t, const std::vector<TargetRow*>& rows) {
  if (rows.empty()) return Status::Ok();
  if (s.dialect() == SqlDialect::kPostgres && rows.size() > 1) {
    const size_t per = BatchRows(s, 2) - 1;
    for (size_t start = 0; start < rows.size(); start += per) {
      size_t end = std::min(rows.size(), start + per);
      std::string sql = "UPDATE deltabridge_row_writers AS w SET writers = v.writers FROM (VALUES ";
      std::vector<SqlParam> params = {SqlParam::Text(t.info.name)};
      int next = 2;
      for (size_t i = start; i < end; ++i) {
        if (i > start) sql += ", ";
        sql += "(" + s.Placeholder(next) + "::text, " + s.Placeholder(next + 1) + "::json)";
        next += 2;
        params.push_back(SqlParam::Text(rows[i]->row_key));
        params.push_back(SqlParam::Text(EncodeRowWriters(rows[i]->writers)));
      }
      sql += ") AS v(row_key, writers) WHERE w.target_table = $1 AND w.row_key = v.row_key";
      DB_RETURN_IF_ERROR(ExecSql(s, sql, params, "writing deltabridge_row_writers"));
    }
    return Status::Ok();
  }
  const std::string sql = "UPDATE deltabridge_row_writers SET writers = " + s.Placeholder(1) +
                          " WHERE target_table = " + s.Placeholder(2) +
                          " AND row_key = " + s.Placeholder(3);
  for (TargetRow* r : rows) {
    DB_RETURN_IF_ERROR(ExecSql(s, sql,
                               {SqlParam::Text(EncodeRowWriters(r->writers)),
                                SqlParam::Text(t.info.name), SqlParam::Text(r->row_key)},
                               "writing deltabridge_row_writers"));
  }
  return Status::Ok();
}

}  // namespace

bool WritesData(const ChunkState& state) {
  for (const TargetRow* r : state.order) {
    if (r->existed != r->exists || r->recreated) return true;
    if (r->exists && std::find(r->assigned.begin(), r->assigned.end(), true) != r->assigned.end()) {
      return true;
    }
  }
  return false;
}

Status WriteChunk(SqlSession& s, ChunkState& state, bool bulk) {
  const SqlDialect dialect = s.dialect();
  // Per table, in first-touch order.
  std::map<SqlTableContext*, std::vector<TargetRow*>> by_table;
  std::vector<SqlTableContext*> table_order;
  for (TargetRow* r : state.order) {
    auto [it, fresh] = by_table.try_emplace(r->table);
    if (fresh) table_order.push_back(r->table);
    it->second.push_back(r);
  }
  for (SqlTableContext* t : table_order) {
    const std::vector<TargetRow*>& rows = by_table[t];
    const size_t ncols = t->info.columns.size();
    // 1. Deletes: rows that existed and are gone or recreated.
    std::vector<TargetRow*> deletes;
    for (TargetRow* r : rows) {
      if (r->existed && (!r->exists || r->recreated)) deletes.push_back(r);
    }
    const size_t per_key = BatchRows(s, t->key_columns.size());
    for (size_t start = 0; start < deletes.size(); start += per_key) {
      size_t end = std::min(deletes.size(), start + per_key);
      int next = 1;
      std::string sql =
          "DELETE FROM " + t->quoted + " WHERE " + KeyPredicate(s, *t, end - start, &next);
      std::vector<SqlParam> params;
      for (size_t i = start; i < end; ++i) AppendKeyParams(s, *t, deletes[i]->key, &params);
      DB_RETURN_IF_ERROR(ExecSql(s, sql, params, "deleting from " + t->info.name));
    }
    // 2. Inserts, grouped by the set of columns they carry.
    std::map<std::string, std::vector<TargetRow*>> inserts;
    for (TargetRow* r : rows) {
      if (r->exists && (!r->existed || r->recreated)) {
        inserts[AssignedSet(r->assigned)].push_back(r);
      }
    }
    for (auto& [set, group] : inserts) {
      std::vector<size_t> cols;
      for (size_t c = 0; c < ncols; ++c) {
        if (set[c] == '1') cols.push_back(c);
      }
      if (bulk) {
        std::vector<std::string> names;
        for (size_t c : cols) names.push_back(t->quoted_columns[c]);
        std::vector<SqlParam> values;
        values.reserve(group.size() * cols.size());
        for (TargetRow* r : group) {
          for (size_t c : cols) {
            values.push_back(TypedToSql(t->info.columns[c], r->values[c], dialect));
          }
        }
        Status cs = s.CopyIn(t->quoted, names, values);
        if (!cs.ok()) return cs.WithContext("copying into " + t->info.name);
        continue;
      }
      std::string head = "INSERT INTO " + t->quoted + " (";
      for (size_t i = 0; i < cols.size(); ++i) {
        if (i > 0) head += ", ";
        head += t->quoted_columns[cols[i]];
      }
      head += ") VALUES ";
      const size_t per = BatchRows(s, cols.size());
      for (size_t start = 0; start < group.size(); start += per) {
        size_t end = std::min(group.size(), start + per);
        std::string sql = head;
        std::vector<SqlParam> params;
        params.reserve((end - start) * cols.size());
        int next = 1;
        for (size_t i = start; i < end; ++i) {
          if (i > start) sql += ", ";
          sql += Placeholders(s, &next, cols.size());
          for (size_t c : cols) {
            params.push_back(TypedToSql(t->info.columns[c], group[i]->values[c], dialect));
          }
        }
        DB_RETURN_IF_ERROR(ExecSql(s, sql, params, "inserting into " + t->info.name));
      }
    }
    // 3. Updates of rows that stayed, grouped by the columns they change.
    std::map<std::string, std::vector<TargetRow*>> updates;
    for (TargetRow* r : rows) {
      if (!(r->existed && r->exists && !r->recreated)) continue;
      bool any = false;
      for (size_t c = 0; c < ncols && !any; ++c) any = r->assigned[c];
      if (any) updates[AssignedSet(r->assigned)].push_back(r);
    }
    for (auto& [set, group] : updates) {
      std::vector<size_t> cols;
      for (size_t c = 0; c < ncols; ++c) {
        if (set[c] == '1') cols.push_back(c);
      }
      DB_RETURN_IF_ERROR(UpdateRows(s, *t, cols, group));
    }
    // 4. The rows' last writers.
    std::vector<TargetRow*> w_delete, w_insert, w_update;
    for (TargetRow* r : rows) {
      bool want = r->exists && !r->writers.empty();
      if (!want) {
        if (r->writers_existed) w_delete.push_back(r);
      } else if (r->writers_dirty) {
        (r->writers_existed ? w_update : w_insert).push_back(r);
      }
    }
    const size_t per_one = BatchRows(s, 1) - 1;
    for (size_t start = 0; start < w_delete.size(); start += per_one) {
      size_t end = std::min(w_delete.size(), start + per_one);
      std::string sql =
          "DELETE FROM deltabridge_row_writers WHERE target_table = " + s.Placeholder(1) +
          " AND row_key IN ";
      int next = 2;
      sql += Placeholders(s, &next, end - start);
      std::vector<SqlParam> params = {SqlParam::Text(t->info.name)};
      for (size_t i = start; i < end; ++i) params.push_back(SqlParam::Text(w_delete[i]->row_key));
      DB_RETURN_IF_ERROR(ExecSql(s, sql, params, "deleting from deltabridge_row_writers"));
    }
    if (bulk && !w_insert.empty()) {
      static const std::vector<std::string> kWriterColumns = {"target_table", "row_key", "writers"};
      std::vector<SqlParam> values;
      values.reserve(w_insert.size() * 3);
      for (TargetRow* r : w_insert) {
        values.push_back(SqlParam::Text(t->info.name));
        values.push_back(SqlParam::Text(r->row_key));
        values.push_back(SqlParam::Text(EncodeRowWriters(r->writers)));
      }
      Status cs = s.CopyIn("deltabridge_row_writers", kWriterColumns, values);
      if (!cs.ok()) return cs.WithContext("copying into deltabridge_row_writers");
      w_insert.clear();
    }
    const size_t per_three = BatchRows(s, 3);
    for (size_t start = 0; start < w_insert.size(); start += per_three) {
      size_t end = std::min(w_insert.size(), start + per_three);
      std::string sql =
          "INSERT INTO deltabridge_row_writers (target_table, row_key, writers) VALUES ";
      std::vector<SqlParam> params;
      int next = 1;
      for (size_t i = start; i < end; ++i) {
        if (i > start) sql += ", ";
        sql += Placeholders(s, &next, 3);
        params.push_back(SqlParam::Text(t->info.name));
        params.push_back(SqlParam::Text(w_insert[i]->row_key));
        params.push_back(SqlParam::Text(EncodeRowWriters(w_insert[i]->writers)));
      }
      DB_RETURN_IF_ERROR(ExecSql(s, sql, params, "writing deltabridge_row_writers"));
    }
    DB_RETURN_IF_ERROR(UpdateWriters(s, *t, w_update));
  }
  DB_RETURN_IF_ERROR(InsertConflicts(s, state.conflicts));
  state.conflicts.clear();
  state.ClearRows();
  return Status::Ok();
}

}  // namespace deltabridge
