// OdbcConnection and OdbcCursor: one ODBC connection of the polling source,
// and a forward-only result streamed row by row (never the whole result in
// memory).
//
// Every failure carries the driver's SQLSTATE and message, with the
// connection string redacted and its password scrubbed from the driver's
// text (OdbcPasswordScrubber). Failures while polling are
// Unavailable (retried with backoff by the source); a connection that cannot
// be made for a reason an operator must fix (no driver, bad login) is
// FailedPrecondition, but the source retries that too, since a DBA may fix it
// while the bridge runs.
//
// A cursor borrows its connection, which must outlive it. Not thread-safe:
// one poller thread uses a connection and its cursors.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/clients/odbc/odbc_client.h"
#include "cdc/clients/odbc/odbc_handles.h"
#include "cdc/clients/odbc/odbc_password_scrubber.h"
#include "cdc/core/status.h"
#include "cdc/core/value.h"
#include "cdc/odbc/odbc_value.h"

namespace deltabridge::odbc {

class OdbcCursor {
 public:
  const std::vector<OdbcColumn>& columns() const { return columns_; }
  // Reads the next row into `row` (one Value per column); false at the end.
  Result<bool> Next(std::vector<Value>* row);

 private:
  friend class OdbcConnection;
  OdbcStmt stmt_;
  std::vector<OdbcColumn> columns_;
  OdbcFetchOptions fetch_;
  std::string scratch_;
  std::string what_;               // for messages: the statement, abbreviated
  OdbcPasswordScrubber scrubber_;  // the connection's
};

class OdbcConnection {
 public:
  // Connects with SQLDriverConnect (a DSN-less string or "DSN=name"), as
  // OdbcClient::Connect does for every ODBC connection.
  // `stream_results`: for drivers that read a whole result into memory
  // unless told otherwise (sqliteodbc without StepAPI=1), connect again
  // with the attribute that makes them stream, unless the string sets it.
  static Result<std::unique_ptr<OdbcConnection>> Connect(const std::string& connection_string,
                                                         int login_timeout_seconds = 15,
                                                         bool stream_results = false);

  // Runs `sql` and returns its result as a cursor. `timeout_seconds` > 0 sets
  // SQL_ATTR_QUERY_TIMEOUT (drivers that support it cancel a longer query).
  Result<std::unique_ptr<OdbcCursor>> Query(const std::string& sql, int timeout_seconds = 0);
  // Runs a statement that returns no rows.
  Status Exec(const std::string& sql);

  // `name` quoted for SQL: each dot-separated part in the driver's quote
  // character (SQL_IDENTIFIER_QUOTE_CHAR), doubled inside.
  std::string QuoteName(std::string_view name) const;
  std::string QuoteIdentifier(std::string_view identifier) const;

  const std::string& dbms_name() const { return client_.server().dbms_name; }
  const std::string& dbms_version() const { return client_.server().dbms_version; }
  const std::string& driver_name() const { return client_.server().driver_name; }
  const std::string& redacted() const { return client_.redacted(); }
  const OdbcPasswordScrubber& scrubber() const { return client_.scrubber(); }
  SQLHDBC dbc() const { return client_.dbc(); }

 private:
  OdbcConnection() = default;
  Status Fail(SQLSMALLINT type, SQLHANDLE handle, const std::string& what) const;

  OdbcClient client_;
  bool wide_text_ = true;
  bool text_scalars_ = false;
};

}  // namespace deltabridge::odbc
