// MysqlConn: a non-copyable, movable owner of one MariaDB Connector/C
// connection (MYSQL*), for the live MySQL/MariaDB source: schema queries, the
// snapshot, `check`, and the binlog stream (BinlogStream borrows it).
//
// Errors become Status values, by the shared table of MySQL errors
// (cdc/clients/mysql/mysql_errors.h): a lost connection and what a retry may
// cure (client errors, server shutdown, connection killed, too many
// connections, deadlock, lock wait timeout) are Unavailable, so callers retry
// with backoff; access denied is FailedPrecondition; anything else is
// InvalidArgument with the server's message. Passwords never appear in
// messages. The destructor closes the connection and never throws.
//
// Not thread-safe: one thread uses a connection at a time.
#pragma once

#include <mariadb/mysql.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge::mysql {

struct MysqlConnParams {
  std::string host;
  uint16_t port = 3306;
  std::string user;
  std::string password;  // never logged
  std::string database;  // default database; empty for none
  unsigned connect_timeout_s = 10;
  unsigned read_timeout_s = 0;  // 0: the library's default (none)
  // Where errors say they connected, e.g. "deltabridge@127.0.0.1:3306".
  std::string Describe() const;
};

class MysqlConn {
 public:
  using Row = std::vector<std::optional<std::string>>;  // nullopt is SQL NULL

  MysqlConn() = default;
  ~MysqlConn();
  MysqlConn(const MysqlConn&) = delete;
  MysqlConn& operator=(const MysqlConn&) = delete;
  MysqlConn(MysqlConn&& other) noexcept : mysql_(other.mysql_) { other.mysql_ = nullptr; }
  MysqlConn& operator=(MysqlConn&& other) noexcept;

  static Result<MysqlConn> Connect(const MysqlConnParams& params);

  // Runs one statement and discards any result.
  Status Exec(const std::string& sql);
  // Runs one statement and returns every row as text.
  Result<std::vector<Row>> Query(const std::string& sql);
  // The first column of the first row (nullopt: no row or NULL).
  Result<std::optional<std::string>> QueryValue(const std::string& sql);
  // A 'quoted' SQL string literal.
  std::string Quote(const std::string& s);

  // The Status for the connection's last error, `what` saying what was done.
  Status LastError(const std::string& what) const;
  unsigned last_errno() const { return mysql_ ? mysql_errno(mysql_) : 0; }

  // Whether the server is MariaDB (its version string says so).
  bool is_mariadb() const;
  std::string server_version() const;

  MYSQL* get() const { return mysql_; }
  explicit operator bool() const { return mysql_ != nullptr; }

 private:
  explicit MysqlConn(MYSQL* m) : mysql_(m) {}
  MYSQL* mysql_ = nullptr;  // owned
};

// `ident` quoted with backticks.
std::string QuoteIdent(const std::string& ident);

}  // namespace deltabridge::mysql
