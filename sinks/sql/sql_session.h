// SqlSession: one connection to a SQL target database, as the sink's apply
// engine (sinks/sql/sql_target.h) sees it. Each target kind implements it
// over its client library: PostgreSQL over libpqxx (sinks/pg/), MySQL and
// MariaDB over MySQL Connector/C++ (sinks/mysql/), anything else over
// unixODBC (sinks/odbc/). The engine builds the SQL text with the session's
// Placeholder() and QuoteIdentifier() and the dialect's syntax; the session
// only runs it.
//
// Values travel as text in the database's own input syntax (what a literal
// would say: "42", "2026-11-27 10:00:00.5", "t"), binary as raw bytes, so
// every driver binds the same way; results come back the same way, one
// optional string per column (nullopt for SQL NULL), binary columns as raw
// bytes (a session decodes the driver's bytea hex form itself).
//
// Transactions: the session starts in autocommit; Begin() opens a transaction
// that Commit() or Rollback() ends. Inside one, a statement that fails with
// Rejected leaves the transaction usable only up to the last savepoint
// (PostgreSQL aborts the whole transaction): the engine wraps what may fail in
// SAVEPOINT / ROLLBACK TO SAVEPOINT, which every supported database has.
//
// Errors (every message names the database's own code, e.g. SQLSTATE 23505,
// and never a password):
//   Rejected            the database refused this statement's data (a
//                       constraint violation, a value out of range, a bad
//                       value for the type: SQLSTATE classes 22 and 23, MySQL
//                       errors 1048, 1062, 1264, 1366, 1406, 1452, ...).
//                       The connection is fine; retrying will not help.
//   Unavailable         the connection is lost or the server is shutting
//                       down; the engine reconnects and redoes the transaction.
//   FailedPrecondition  anything else (permission denied, a missing table,
//                       bad SQL): an operator must act.
//
// Ownership: a session owns its connection and closes it in its destructor.
// Thread-safety: none; one thread uses a session at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

// The SQL syntax a target speaks, where it matters to the engine: upserts of
// its own deltabridge_* rows, placeholder style, DDL types.
enum class SqlDialect {
  kPostgres,  // $1 placeholders, INSERT ... ON CONFLICT, "quoted" identifiers
  kMysql,     // ? placeholders, INSERT ... ON DUPLICATE KEY UPDATE, `quoted` identifiers
  kSqlite,    // ? placeholders, INSERT ... ON CONFLICT, "quoted" identifiers
  kGeneric,   // ? placeholders, upsert emulated by UPDATE then INSERT, "quoted" identifiers
};
std::string_view SqlDialectName(SqlDialect dialect);  // "postgres", "mysql", "sqlite", "generic"

// How the sink converts a value for a target column: from the column's
// declared type (TargetColumnInfo::sql_type), by each session's
// CategoryOfType().
enum class ColumnCategory {
  kBool,
  kInteger,      // any integer width; sql_type tells the width for range checks
  kDecimal,      // exact: numeric, decimal
  kFloat,        // real, double
  kText,         // char, varchar, text, enum, and anything stored as text
  kBinary,       // bytea, blob, varbinary
  kDate,         // YYYY-MM-DD
  kTime,         // HH:MM:SS[.ffffff]
  kTimestamp,    // without time zone (MySQL DATETIME)
  kTimestampTz,  // with time zone (PostgreSQL timestamptz, MySQL TIMESTAMP)
  kJson,         // json, jsonb
  kOther,        // uuid, interval, inet, arrays, ...: passed as text, compared as text
};
std::string_view ColumnCategoryName(ColumnCategory category);  // "bool", "integer", ...

struct TargetColumnInfo {
  std::string name;      // as the database spells it
  std::string sql_type;  // the declared type, lower case ("int4", "varchar(20)", "bigint unsigned")
  ColumnCategory category = ColumnCategory::kText;
  bool nullable = true;
  bool has_default = false;  // a DEFAULT, an identity or an auto-increment
};

struct TargetTableInfo {
  std::string name;                       // as configured: "schema.table" or "table"
  std::vector<TargetColumnInfo> columns;  // in table order
  std::vector<std::string> primary_key;   // the primary key's columns; empty when none

  // The column named `name` (exact match first, then case-insensitive, since
  // unquoted identifiers fold case in most databases), or nullptr.
  const TargetColumnInfo* Find(std::string_view column) const;
};

// One bound parameter.
struct SqlParam {
  enum class Kind : uint8_t { kNull, kText, kBinary };
  Kind kind = Kind::kNull;
  std::string data;  // kText: the value in the database's input syntax; kBinary: raw bytes

  static SqlParam Null() { return {}; }
  static SqlParam Text(std::string text) { return {Kind::kText, std::move(text)}; }
  static SqlParam Binary(std::string bytes) { return {Kind::kBinary, std::move(bytes)}; }
};

// One result row: one entry per selected column, nullopt for SQL NULL.
using SqlRow = std::vector<std::optional<std::string>>;

class SqlSession {
 public:
  virtual ~SqlSession() = default;

  virtual SqlDialect dialect() const = 0;
  // For messages: the server and how it is reached, without a password
  // ("PostgreSQL 15.4 at host=127.0.0.1 port=5432 dbname=dashboard").
  virtual std::string Describe() const = 0;

  // The placeholder for the `index`-th parameter of a statement, from 1:
  // "$1" for PostgreSQL, "?" elsewhere.
  virtual std::string Placeholder(int index) const = 0;
  // `name` quoted as one identifier ("a""b" or `a``b`). A dotted table name
  // is quoted part by part by QuoteTableName below, not here.
  virtual std::string QuoteIdentifier(std::string_view name) const = 0;
  // Most parameters one statement may carry (the engine splits multi-row
  // statements to stay under it).
  virtual int max_params() const { return 900; }

  // Runs one statement; the result, if any, is discarded. Returns the number
  // of rows it affected (0 when the driver does not say).
  virtual Result<uint64_t> Execute(std::string_view sql, const std::vector<SqlParam>& params) = 0;
  // Runs one statement and returns its rows.
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql,
                                            const std::vector<SqlParam>& params) = 0;

  // Bulk load (PostgreSQL's COPY FROM STDIN): appends rows to `quoted_table`
  // (already quoted, as QuoteTableName gives it), `quoted_columns.size()`
  // values per row, row after row in `values`. All or nothing, like one
  // INSERT: a duplicate key or a bad value fails the whole call with
  // Rejected. Only when supports_copy(); the engine uses multi-row INSERTs
  // everywhere else.
  virtual bool supports_copy() const { return false; }
  virtual Status CopyIn(std::string_view quoted_table,
                        const std::vector<std::string>& quoted_columns,
                        const std::vector<SqlParam>& values);

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // The columns and primary key of `table` ("schema.table" or "table"; for
  // MySQL "database.table" or "table" in the connection's database).
  // NotFound when there is no such table.
  virtual Result<TargetTableInfo> DescribeTable(std::string_view table) = 0;

  // The category of a declared type as DescribeTable reports it.
  virtual ColumnCategory CategoryOfType(std::string_view sql_type) const = 0;

  // True when the connection is known to be dead (after an Unavailable
  // error); the engine then makes a new session.
  virtual bool broken() const = 0;
};

// `table` quoted part by part: "public"."tour_slots".
std::string QuoteTableName(const SqlSession& session, std::string_view table);

}  // namespace deltabridge
