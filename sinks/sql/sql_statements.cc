#include "sinks/sql/sql_statements.h"

#include <algorithm>

#include "sinks/sql/column_values.h"

namespace deltabridge {

// "k IN (?, ?)" / "(a, b) IN ((?, ?), (?, ?))" / "(a = ? AND b = ?) OR ..." over
// `count` keys, numbering placeholders from *next.
std::string KeyPredicate(const SqlSession& session, const SqlTableContext& t, size_t count,
                         int* next, std::string_view alias) {
  auto col = [&](size_t k) {
    std::string q = t.quoted_columns[t.key_columns[k]];
    return alias.empty() ? q : std::string(alias) + "." + q;
  };
  const size_t width = t.key_columns.size();
  std::string out;
  if (width == 1) {
    out = col(0) + " IN (";
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) out += ", ";
      out += session.Placeholder((*next)++);
    }
    return out + ")";
  }
  if (session.dialect() == SqlDialect::kGeneric) {
    out = "(";
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) out += " OR ";
      out += "(";
      for (size_t k = 0; k < width; ++k) {
        if (k > 0) out += " AND ";
        out += col(k) + " = " + session.Placeholder((*next)++);
      }
      out += ")";
    }
    return out + ")";
  }
  out = "(";
  for (size_t k = 0; k < width; ++k) {
    if (k > 0) out += ", ";
    out += col(k);
  }
  out += ") IN (";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += "(";
    for (size_t k = 0; k < width; ++k) {
      if (k > 0) out += ", ";
      out += session.Placeholder((*next)++);
    }
    out += ")";
  }
  return out + ")";
}

void AppendKeyParams(const SqlSession& session, const SqlTableContext& t,
                     const std::vector<Value>& key, std::vector<SqlParam>* params) {
  for (size_t k = 0; k < key.size(); ++k) {
    params->push_back(TypedToSql(t.info.columns[t.key_columns[k]], key[k], session.dialect()));
  }
}

std::string SelectList(const SqlTableContext& t, SqlDialect dialect) {
  std::string out;
  for (size_t c = 0; c < t.quoted_columns.size(); ++c) {
    if (c > 0) out += ", ";
    const std::string& q = t.quoted_columns[c];
    if (dialect == SqlDialect::kSqlite && t.info.columns[c].category == ColumnCategory::kFloat) {
      // sqliteodbc gives a REAL as SQLite's 15-digit text (also for
      // SQL_C_DOUBLE), which does not read back as the stored double
      // (0.30000000000000004 reads "0.3"): quote() writes as many digits as
      // the double needs. Other storage classes (a NULL, an integer, text
      // that did not convert) are read as they are.
      out += "CASE WHEN typeof(" + q + ") = 'real' THEN quote(" + q + ") ELSE " + q + " END";
    } else {
      out += q;
    }
  }
  return out;
}

size_t BatchRows(const SqlSession& session, size_t params_per_row) {
  return std::max<size_t>(
      1, static_cast<size_t>(session.max_params()) / std::max<size_t>(1, params_per_row));
}

std::string Placeholders(const SqlSession& s, int* next, size_t count) {
  std::string out = "(";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += s.Placeholder((*next)++);
  }
  return out + ")";
}

Status ExecSql(SqlSession& s, const std::string& sql, const std::vector<SqlParam>& params,
               const std::string& what, uint64_t* affected) {
  DB_ASSIGN_OR_RETURN_CTX(uint64_t r, s.Execute(sql, params), what);
  if (affected != nullptr) *affected = r;
  return Status::Ok();
}

// A PostgreSQL type name without its modifier: "character varying(3)" ->
// "character varying", "timestamp(3) with time zone" -> "timestamp with time zone".
std::string BaseTypeName(std::string_view type) {
  std::string out;
  int depth = 0;
  for (char c : type) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  // "timestamp with time zone" keeps single spaces where "(3)" was cut.
  std::string squeezed;
  for (char c : out) {
    if (c == ' ' && !squeezed.empty() && squeezed.back() == ' ') continue;
    squeezed += c;
  }
  while (!squeezed.empty() && squeezed.back() == ' ') squeezed.pop_back();
  return squeezed;
}

Status Savepoint(SqlSession& session, const char* name) {
  Result<uint64_t> r = session.Execute(std::string("SAVEPOINT ") + name, {});
  return r.ok() ? Status::Ok() : r.status();
}

Status RollbackToSavepoint(SqlSession& session, const char* name) {
  Result<uint64_t> r = session.Execute(std::string("ROLLBACK TO SAVEPOINT ") + name, {});
  return r.ok() ? Status::Ok() : r.status();
}

Status ReleaseSavepoint(SqlSession& session, const char* name) {
  Result<uint64_t> r = session.Execute(std::string("RELEASE SAVEPOINT ") + name, {});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace deltabridge
