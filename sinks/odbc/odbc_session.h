// OdbcSession: a SqlSession (sinks/sql/sql_session.h) over unixODBC, for any
// database with an ODBC driver. Tested with the SQLite3 driver (sqliteodbc
// 0.9998), psqlODBC 13.02 and MariaDB Connector/ODBC 3.1.
//
// Connecting: ConnectOdbc() passes OdbcTargetConfig::dsn, an ODBC connection
// string ("Driver=/path/driver.so;Server=...;" or "DSN=name;UID=...;PWD=..."),
// to OdbcClient::Connect (cdc/clients/odbc/odbc_client.h: SQLDriverConnect
// without prompting, a 30 s login timeout). Every message carries the string
// as RedactOdbcConnectionString() shows it, and the password's value is also
// scrubbed from driver diagnostics. A server that cannot be reached or will
// not take the connection now (OdbcConnectFailureIsTransient: SQLSTATE 08xxx,
// a lost connection or too many connections in MySQL's numbers) is
// Unavailable; a missing driver or DSN, a refused login and the like are
// FailedPrecondition. After connecting, the session sets the time zone to
// UTC where the database has one (PostgreSQL: SET TimeZone = 'UTC'; MySQL
// and MariaDB: SET time_zone = '+00:00'), so timestamps with a time zone read
// and write as through the native sessions.
//
// Dialect, from SQLGetInfo(SQL_DBMS_NAME): "SQLite" is kSqlite, MySQL and
// MariaDB are kMysql, anything else (PostgreSQL through psqlODBC included) is
// kGeneric, since over ODBC placeholders are always "?". Identifiers are
// quoted with the driver's SQL_IDENTIFIER_QUOTE_CHAR (backticks for MySQL and
// MariaDB, double quotes elsewhere).
//
// Values: text parameters are bound as SQL_C_CHAR (SQL_VARCHAR, or
// SQL_LONGVARCHAR past 4000 bytes), binary ones as SQL_C_BINARY
// (SQL_VARBINARY, or SQL_LONGVARBINARY past 8000 bytes), NULL with
// SQL_NULL_DATA; psqlODBC sends text parameters untyped, so the server infers
// each one's type as for a literal. Results are read with SQLGetData in
// 64 KiB chunks, so values of any length come back whole: binary SQL types
// (SQL_BINARY, SQL_VARBINARY, SQL_LONGVARBINARY) as raw bytes, everything
// else as SQL_C_CHAR text. Text is UTF-8 both ways, whatever the process
// locale. psqlODBC rewrites some PostgreSQL values on their way to text; the
// session undoes that where it can, so values read as PostgreSQL writes them:
// bool "1"/"0" become "t"/"f", an upper-case uuid lower case, and a
// timestamptz (which psqlODBC gives without its offset) gets "+00". Not
// undone: psqlODBC reads timestamp 'infinity' as 9999-12-31 23:59:59 and date
// 'infinity' as 0000-00-00.
//
// Transactions: Begin() turns autocommit off, Commit()/Rollback() end the
// transaction with SQLEndTran and turn autocommit back on. SAVEPOINT,
// ROLLBACK TO SAVEPOINT and RELEASE SAVEPOINT run through Execute() inside a
// transaction with every tested driver. After a Rejected statement inside a
// transaction:
//   SQLite     the statement alone is undone; the transaction goes on.
//   psqlODBC   by default (rollback-on-error level 2, "Protocol=7.4-2") the
//              driver wraps each statement of a transaction in an internal
//              savepoint and rolls back to it on error, so the transaction
//              goes on, as with SQLite. With level 0 ("Protocol=7.4-0") the
//              transaction is aborted (SQLSTATE 25P02 for what follows) until
//              the engine's ROLLBACK TO SAVEPOINT, as with libpq. Level 1
//              ("Protocol=7.4-1") makes the driver roll back the whole
//              transaction, dropping the work before the savepoint:
//              Connect() refuses a connection string for PostgreSQL that
//              sets it (FailedPrecondition). (A DSN's odbc.ini entry can set
//              it too, out of the session's sight.) UseDeclareFetch does not
//              change any of this.
//   MariaDB    the statement alone is undone; the transaction goes on.
// Either way the engine's ROLLBACK TO SAVEPOINT leaves the transaction as it
// was at the savepoint, as sql_session.h promises.
//
// Errors, by SQLSTATE: classes 22 (data exception) and 23 (integrity
// constraint) are Rejected; class 08 (connection), HYT00/HYT01 (timeouts),
// 57P01/57P02/57P03 (PostgreSQL shutting down) and a connection the driver
// reports dead (SQL_ATTR_CONNECTION_DEAD) are Unavailable and make broken()
// true; class 40 (serialization failure, deadlock: the transaction was rolled
// back and redoing it may succeed) is Unavailable without breaking the
// session; everything else is FailedPrecondition. Once broken, every call
// returns Unavailable at once. Where a driver's SQLSTATEs say too little, the
// native error decides, for that database only:
//   SQLite  sqliteodbc reports every error as HY000 with SQLite's result
//           code as the native error: 19 (SQLITE_CONSTRAINT: UNIQUE, NOT
//           NULL, CHECK, FOREIGN KEY) and 20 (SQLITE_MISMATCH), or a message
//           with "constraint failed" or "datatype mismatch", are Rejected; 5
//           and 6 (SQLITE_BUSY, SQLITE_LOCKED: another writer holds the
//           database) are Unavailable without breaking the session.
//   MySQL   the error number, by the table the native MySQL target and
//           source share (cdc/clients/mysql/mysql_errors.h): refused data
//           (1048, 1062, 1264, 1366, 1406, 1452, ...) is Rejected; a lost
//           connection (client errors 2000-2999, 1053, 1927, ...) makes
//           broken() true; deadlock, lock wait timeout and too many
//           connections are Unavailable without breaking the session; access
//           denied and the rest are FailedPrecondition. Connector/ODBC returns
//           SQL_SUCCESS_WITH_INFO for a statement with parameters that the
//           server failed with a class-01 SQLSTATE (1265 "Data truncated",
//           an error in strict mode), so after SQL_SUCCESS_WITH_INFO the
//           session asks the server for @@error_count.
//
// DescribeTable uses the catalog function SQLColumns, which works with every
// driver, and SQLPrimaryKeys, except where the driver numbers KEY_SEQ in
// table order rather than key order: for SQLite the key comes from
// pragma_table_info, for MySQL and MariaDB from
// information_schema.KEY_COLUMN_USAGE. "schema.table" names a schema (for
// MySQL and MariaDB, "database.table" names the database, which ODBC calls
// the catalog); a bare "table" is looked up in the connection's default
// schema (PostgreSQL: current_schema(); MySQL: the current database) or, for
// other databases, in the only schema that has it. SQLite has no schemas:
// "main.table" is "table", any other prefix is NotFound. sql_type is the
// driver's TYPE_NAME in lower case, with the length for char and binary
// types ("varchar(20)"). has_default is true for a column with a DEFAULT
// other than NULL, an identity, serial or AUTO_INCREMENT column, and SQLite's
// INTEGER PRIMARY KEY (an alias of the rowid).
//
// Ownership: the session owns its environment and connection handles and
// closes them in its destructor (rolling back an open transaction first).
// Thread-safety: none; one thread uses a session at a time. Distinct sessions
// may be used from distinct threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/clients/odbc/odbc_client.h"
#include "cdc/clients/odbc/odbc_handles.h"
#include "sinks/sink_config.h"
#include "sinks/sql/sql_session.h"

namespace deltabridge {

class OdbcSession : public SqlSession {
 public:
  ~OdbcSession() override;
  OdbcSession(const OdbcSession&) = delete;
  OdbcSession& operator=(const OdbcSession&) = delete;

  // Connects with `config.dsn`. Unavailable when the server cannot be
  // reached, FailedPrecondition for any other failure (no driver, no DSN, a
  // refused login, psqlODBC's whole-transaction rollback on error); the
  // message carries the driver's diagnostics and the redacted string.
  static Result<std::unique_ptr<OdbcSession>> Connect(const OdbcTargetConfig& config);

  SqlDialect dialect() const override { return dialect_; }
  // "<SQL_DBMS_NAME> <SQL_DBMS_VER> at <redacted connection string>":
  // "PostgreSQL 15.0.20 at Driver=...;Server=127.0.0.1;Port=5432;PWD=***;".
  std::string Describe() const override;
  std::string Placeholder(int index) const override { return "?"; }
  std::string QuoteIdentifier(std::string_view name) const override;

  Result<uint64_t> Execute(std::string_view sql, const std::vector<SqlParam>& params) override;
  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlParam>& params) override;

  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

  Result<TargetTableInfo> DescribeTable(std::string_view table) override;
  ColumnCategory CategoryOfType(std::string_view sql_type) const override;

  bool broken() const override { return broken_; }

  // The DBMS name the driver reports (SQL_DBMS_NAME), e.g. "PostgreSQL".
  const std::string& dbms_name() const { return client_.server().dbms_name; }

 private:
  OdbcSession() = default;

  // Allocates a statement, binds `params` (which must outlive the statement's
  // execution) and runs `sql`. *no_data is set when the driver answered
  // SQL_NO_DATA (a searched UPDATE or DELETE that matched nothing).
  Result<OdbcStmt> Run(std::string_view sql, const std::vector<SqlParam>& params, bool* no_data);
  // Reads every remaining row of `stmt`'s result set.
  Result<std::vector<SqlRow>> FetchAll(const OdbcStmt& stmt, std::string_view what);
  // Turns autocommit on or off.
  Status SetAutocommit(bool on, std::string_view what);
  // The Status for a failed call on `handle` (of `handle_type`): classified
  // as described above, with `what` and the diagnostics in the message. Sets
  // broken_ for a lost connection.
  Status Failure(SQLSMALLINT handle_type, SQLHANDLE handle, std::string_view what);
  Status Failure(const std::vector<OdbcDiagRecord>& records, std::string_view what);
  // MySQL: sets has_default for the AUTO_INCREMENT column of `table`, which
  // the catalog does not report.
  Status MarkAutoIncrement(std::string_view table, TargetTableInfo* info);
  // The error when the session is broken, else ok.
  Status CheckUsable() const;
  // Runs `sql` once and returns its first value (nullopt if no row or NULL);
  // for the session's own catalog questions.
  Result<std::optional<std::string>> QueryValue(std::string_view sql);

  OdbcClient client_;  // handles, server description, redaction, scrubbing
  SqlDialect dialect_ = SqlDialect::kGeneric;
  bool in_transaction_ = false;   // between Begin() and Commit()/Rollback()
  bool broken_ = false;           // the connection is known to be dead
  bool postgres_ = false;         // the DBMS is PostgreSQL (psqlODBC)
  bool checking_errors_ = false;  // Run() is asking MySQL for @@error_count
};

// ConnectOdbc: OdbcSession::Connect as the engine's factory type.
Result<std::unique_ptr<SqlSession>> ConnectOdbc(const OdbcTargetConfig& config);

// The category of a declared type name as an ODBC driver reports it (any
// case; a size or precision in parentheses and "unsigned" are ignored), for
// `dialect`. Pure; OdbcSession::CategoryOfType is this with its dialect.
//   bool, boolean, bit (bit(1))                      kBool
//   int, integer, int2/4/8, smallint, bigint, tinyint, mediumint, serial,
//     bigserial, year                                 kInteger
//   numeric, decimal, dec, fixed, number            kDecimal
//   real, float, float4, float8, double [precision] kFloat
//   char, character [varying], varchar, nchar, nvarchar, bpchar, text,
//     tinytext/mediumtext/longtext, clob, enum, set, name, citext   kText
//   blob (and its sizes), binary, varbinary, bytea, image          kBinary
//   date                                             kDate
//   time [without time zone]                         kTime
//   timestamp [without time zone], datetime, datetime2, smalldatetime  kTimestamp
//   timestamptz, timestamp with time zone            kTimestampTz
//   json, jsonb                                      kJson
// For kMysql a plain "timestamp" is kTimestampTz (MySQL stores TIMESTAMP in
// UTC). For kSqlite, a name not listed gets SQLite's type affinity: "int" in
// it is kInteger; "char", "clob" or "text" kText; "blob" kBinary; "real",
// "floa" or "doub" kFloat; any other non-empty name kDecimal (NUMERIC
// affinity); an empty one kOther. Everything else is kOther.
ColumnCategory OdbcCategoryOfType(std::string_view sql_type, SqlDialect dialect);

}  // namespace deltabridge
