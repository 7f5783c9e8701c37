// MysqlSession: a SqlSession (sinks/sql/sql_session.h) on a MySQL or MariaDB
// server, over MySQL Connector/C++ 1.1 (the JDBC-style API of Debian's
// libmysqlcppconn-dev, itself over libmariadb).
//
// ConnectMysql() connects over TCP (or, for host "localhost", the client
// library's default Unix socket) and sets the session up:
//   time_zone = '+00:00'  TIMESTAMP values are read and written in UTC;
//   sql_mode = STRICT_ALL_TABLES, NO_ZERO_IN_DATE, NO_ZERO_DATE,
//              ERROR_FOR_DIVISION_BY_ZERO, NO_ENGINE_SUBSTITUTION,
//              NO_AUTO_VALUE_ON_ZERO
//              bad data is an error (Rejected), never a silent truncation or
//              a zero date; an explicit 0 in an AUTO_INCREMENT column is
//              stored as 0, as replication needs; the server's own sql_mode
//              (ANSI_QUOTES, NO_BACKSLASH_ESCAPES, ...) is replaced so the SQL
//              the engine writes always parses the same;
//   autocommit = 1, character set utf8mb4;
//   CLIENT_FOUND_ROWS     Execute() of an UPDATE returns the rows it matched,
//                         as PostgreSQL does, not only those whose values
//                         changed: an UPDATE that finds its row returns 1.
// Timeouts: 15 s to connect; a read or write on the socket that waits more
// than 10 minutes counts as a lost connection (Unavailable).
//
// Statements run as server-side prepared statements, at most 64 of them
// cached per session by SQL text (the engine repeats its statements). A
// statement the server cannot prepare (ER_UNSUPPORTED_PS 1295, e.g. SAVEPOINT
// on MySQL) and that has no parameters runs over the text protocol instead.
// Parameters bind as strings (kText), NULL (kNull) or BLOB data (kBinary, raw
// bytes). Results: every column as the server's text of its value, with
// these differences due to the prepared-statement (binary) protocol: FLOAT and
// DOUBLE in the shortest form that reads back as the same float or double
// ("0.1", "1e+38"); DATETIME, TIMESTAMP and TIME without a fraction when it is
// zero; BIT as its unsigned integer value ("5"); GEOMETRY columns cannot be
// read (select ST_AsText(column) instead). Binary columns come back as raw
// bytes.
//
// max_params() keeps the default 900: MySQL allows 65535 placeholders per
// statement, but the statement (with its short values) must fit in
// max_allowed_packet (4 MiB by default on MySQL 5.7), a multi-row statement
// that the server refuses refuses all its rows, and at 900 parameters a
// round trip already carries enough rows that its latency does not matter.
//
// Errors follow sql_session.h; messages read "MySQL error 1062 (SQLSTATE
// 23000): Duplicate entry ..." and never contain the password.
//
// Ownership: the session owns its connection and its prepared statements and
// closes them in its destructor, which never throws. Thread-safety: none;
// one thread uses a session at a time. Distinct sessions may be used from
// distinct threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "sinks/sink_config.h"
#include "sinks/sql/sql_session.h"

namespace sql {
class Connection;
class PreparedStatement;
class SQLException;
}  // namespace sql

namespace deltabridge {

// Connects to `config`'s server and database. Unavailable when the server
// cannot be reached (connection refused, too many connections, shutting
// down); FailedPrecondition when it refuses us (access denied, unknown
// database). Messages name host:port, the user and the database.
Result<std::unique_ptr<SqlSession>> ConnectMysql(const MysqlTargetConfig& config);

// The category of a MySQL/MariaDB column type as information_schema's
// COLUMN_TYPE spells it, in any case: "tinyint(1)" and "bool" are kBool,
// "bigint(20) unsigned" kInteger, "decimal(10,2)" kDecimal, "datetime(6)"
// kTimestamp, "timestamp" kTimestampTz (UTC in our sessions), "json" kJson,
// "longtext" kText, "bit(3)", "year" and geometry kOther; an unknown type is
// kOther.
ColumnCategory MysqlCategoryOfType(std::string_view sql_type);

// The Status code sql_session.h gives a MySQL/MariaDB error, from its error
// number and SQLSTATE by the shared table (cdc/clients/mysql/mysql_errors.h):
// a lost connection and what a retry may cure are kUnavailable, refused data
// kRejected, anything else (access denied included) kFailedPrecondition.
Status::Code ClassifyMysqlError(int error_code, std::string_view sqlstate);

// Whether error `error_code` means the connection is gone (a session then
// reports broken()), by its number alone.
bool MysqlErrorLosesConnection(int error_code);

class MysqlSession : public SqlSession {
 public:
  MysqlSession(const MysqlSession&) = delete;
  MysqlSession& operator=(const MysqlSession&) = delete;
  ~MysqlSession() override;

  SqlDialect dialect() const override { return SqlDialect::kMysql; }
  // "MariaDB 10.11.19 at 127.0.0.1:3306 database dashboard user deltabridge".
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
  ColumnCategory CategoryOfType(std::string_view sql_type) const override {
    return MysqlCategoryOfType(sql_type);
  }
  bool broken() const override { return broken_; }

 private:
  friend Result<std::unique_ptr<SqlSession>> ConnectMysql(const MysqlTargetConfig& config);
  class StatementCache;

  MysqlSession(std::unique_ptr<sql::Connection> connection, std::string where,
               std::string database);

  // Sets the session variables and reads the server version.
  Status SetUp();
  // Runs `sql`: Execute when `rows` is null, else Query into *rows.
  Result<uint64_t> Run(std::string_view sql, const std::vector<SqlParam>& params,
                       std::vector<SqlRow>* rows);
  // Runs a statement without parameters over the text protocol.
  Result<uint64_t> RunText(std::string_view sql, std::vector<SqlRow>* rows);
  // The Status for `error` raised by `sql`; marks the session broken when
  // the connection is gone.
  Status Failed(const sql::SQLException& error, std::string_view sql);
  Status Failed(const std::exception& error, std::string_view sql);

  std::unique_ptr<sql::Connection> connection_;
  std::unique_ptr<StatementCache> statements_;
  std::string where_;     // "127.0.0.1:3306 database dashboard user deltabridge"
  std::string database_;  // the connection's default database; may be empty
  std::string server_;    // "MariaDB 10.11.19" once SetUp() has run
  bool mariadb_ = false;  // the server is MariaDB (not MySQL)
  bool broken_ = false;   // the connection is lost; every call fails Unavailable
};

}  // namespace deltabridge
