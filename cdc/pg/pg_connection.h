// PgConn and PgResultPtr: RAII owners for libpq handles, and the few query
// helpers the PostgreSQL source needs.
//
// PgConn owns one PGconn* (closed with PQfinish in the destructor, never
// throws). Not thread-safe: one connection is used by one thread at a time.
// Every error message that includes connection details goes through
// RedactedConninfo(): passwords never reach logs.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// Rows of a text-format result; NULL is reported through `nulls`.
struct PgRows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<bool>> nulls;
};

class PgConn {
 public:
  PgConn() = default;
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  PgConn(PgConn&& other) noexcept;
  PgConn& operator=(PgConn&& other) noexcept;

  // Connects with `conninfo`; `replication` adds replication=database.
  // Session settings that the value decoding relies on are always applied:
  // DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres, extra_float_digits=3.
  static Result<PgConn> Connect(const std::string& conninfo, bool replication,
                                const std::string& application_name);

  PGconn* get() const { return conn_; }
  bool connected() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

  // Runs one statement expecting no rows (or ignoring them).
  Status Exec(const std::string& sql);
  // Runs a query returning rows as text.
  Result<PgRows> Query(const std::string& sql);
  // Parameterised query ($1, $2, ...), text parameters.
  Result<PgRows> QueryParams(const std::string& sql, const std::vector<std::string>& params);

  // The connection's last error message, trimmed.
  std::string LastError() const;
  // SQLSTATE of a result, "" when none.
  static std::string SqlState(const PGresult* r);

  std::string EscapeIdentifier(std::string_view ident) const;
  std::string EscapeLiteral(std::string_view text) const;

 private:
  explicit PgConn(PGconn* conn) : conn_(conn) {}
  Status CheckResult(const PGresult* r, const std::string& sql) const;
  PGconn* conn_ = nullptr;  // owned
};

// Quotes an identifier for SQL without a connection ("a""b").
std::string QuoteIdent(std::string_view ident);

}  // namespace deltabridge
