// The SQL text the apply engine builds, in the session's dialect, and its
// small helpers: key predicates, placeholder lists, batch sizes under the
// session's parameter limit, savepoints. Every statement numbers its
// placeholders from 1 (PostgreSQL's $N; "?" elsewhere).
//
// Pure functions but ExecSql and the savepoint helpers, which run one
// statement on the session they borrow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/core/value.h"
#include "sinks/sql/sql_session.h"
#include "sinks/sql/sql_table.h"

namespace deltabridge {

// "k IN (?, ?)" / "(a, b) IN ((?, ?), (?, ?))" / "(a = ? AND b = ?) OR ..."
// (kGeneric) over `count` keys of `t`, numbering placeholders from *next;
// columns prefixed with "alias." when an alias is given.
std::string KeyPredicate(const SqlSession& session, const SqlTableContext& t, size_t count,
                         int* next, std::string_view alias = {});

// Appends the parameters of one key of `t` (typed values in key order).
void AppendKeyParams(const SqlSession& session, const SqlTableContext& t,
                     const std::vector<Value>& key, std::vector<SqlParam>* params);

// The select list of every column of `t`, in table order, read back so that
// SqlToTyped gets each value exactly (SQLite REALs through quote()).
std::string SelectList(const SqlTableContext& t, SqlDialect dialect);

// Rows of `params_per_row` parameters that one statement may carry (at least 1).
size_t BatchRows(const SqlSession& session, size_t params_per_row);

// "(?, ?, ?)" for `count` parameters, numbering from *next.
std::string Placeholders(const SqlSession& session, int* next, size_t count);

// Runs one statement; its error with `what` as context. *affected gets the
// rows it affected when asked.
Status ExecSql(SqlSession& session, const std::string& sql, const std::vector<SqlParam>& params,
               const std::string& what, uint64_t* affected = nullptr);

// A type name without its modifier: "character varying(3)" -> "character
// varying", "timestamp(3) with time zone" -> "timestamp with time zone".
std::string BaseTypeName(std::string_view type);

// SAVEPOINT / ROLLBACK TO SAVEPOINT / RELEASE SAVEPOINT `name`.
Status Savepoint(SqlSession& session, const char* name);
Status RollbackToSavepoint(SqlSession& session, const char* name);
Status ReleaseSavepoint(SqlSession& session, const char* name);

}  // namespace deltabridge
