// OdbcClient: one ODBC connection, made the one way the ODBC source
// (cdc/odbc) and the ODBC target (sinks/odbc) make it, with what its driver
// says about the server; and OdbcInfoString, SQLGetInfo's string answers.
//
// Connect: allocates an environment (ODBC 3) and a connection handle with
// SQL_ATTR_LOGIN_TIMEOUT (drivers that do not support one wait as long as
// their own default), calls SQLDriverConnect without prompting and without
// asking for the completed string (it would hold the password), then reads
// the server's description (OdbcServerInfo). Every failure message names the
// connection string as RedactOdbcConnectionString shows it and carries the
// driver's diagnostics with the passwords scrubbed (OdbcPasswordScrubber).
// A failed SQLDriverConnect is Unavailable when a later attempt may succeed
// (OdbcConnectFailureIsTransient: server unreachable, starting, shutting
// down or full), else FailedPrecondition (no driver, no DSN, a refused
// login); a driver manager that refuses ODBC 3 is FailedPrecondition, a
// handle that cannot be allocated Unavailable.
//
// Ownership: the client owns both handles; destroying it disconnects and
// frees them (the connection before the environment). Movable, not
// copyable. Not thread-safe: one thread uses a client at a time.
#pragma once

#include <sql.h>
#include <sqlext.h>

#include <string>
#include <string_view>

#include "cdc/clients/odbc/odbc_handles.h"
#include "cdc/clients/odbc/odbc_password_scrubber.h"
#include "cdc/core/status.h"

namespace deltabridge {

// What the driver reports about the server, read once after connecting.
struct OdbcServerInfo {
  std::string dbms_name;     // SQL_DBMS_NAME, e.g. "PostgreSQL", "SQLite"; may be ""
  std::string dbms_version;  // SQL_DBMS_VER, e.g. "15.00.0020"; may be ""
  std::string driver_name;   // SQL_DRIVER_NAME, e.g. "psqlodbcw.so"; may be ""
  // SQL_IDENTIFIER_QUOTE_CHAR; "\"" when the driver gives none, or " "
  // (which ODBC uses for "identifiers cannot be quoted").
  std::string identifier_quote = "\"";
};

class OdbcClient {
 public:
  OdbcClient() = default;  // holds no connection
  OdbcClient(OdbcClient&&) noexcept = default;
  OdbcClient& operator=(OdbcClient&&) noexcept = default;
  OdbcClient(const OdbcClient&) = delete;
  OdbcClient& operator=(const OdbcClient&) = delete;

  // Connects with `connection_string` (a DSN-less string or "DSN=name;...").
  static Result<OdbcClient> Connect(std::string_view connection_string, int login_timeout_seconds);

  // The connection handle (SQL_NULL_HDBC when not connected); borrowed.
  SQLHDBC dbc() const { return dbc_.get(); }
  const OdbcServerInfo& server() const { return server_; }
  // The connection string as messages show it: RedactOdbcConnectionString.
  const std::string& redacted() const { return redacted_; }
  // Scrubs the connection string's passwords out of driver text.
  const OdbcPasswordScrubber& scrubber() const { return scrubber_; }

 private:
  OdbcEnv env_;  // declared before dbc_: destroyed after it
  OdbcDbc dbc_;
  OdbcServerInfo server_;
  std::string redacted_;
  OdbcPasswordScrubber scrubber_;
};

// The string answer of SQLGetInfo(dbc, info), whatever its length (up to the
// 32766 bytes SQLGetInfo can measure): a first call with a buffer of
// `first_buffer_bytes`, then, while the answer fills the buffer (it may have
// been cut), again with a larger one. "" when the driver gives none (the call
// fails). The answer ends at its first NUL byte, if any.
std::string OdbcInfoString(SQLHDBC dbc, SQLUSMALLINT info, size_t first_buffer_bytes = 256);

}  // namespace deltabridge
