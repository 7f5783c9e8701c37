#include "cdc/clients/odbc/odbc_client.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "cdc/clients/odbc/odbc_connection_string.h"

namespace deltabridge {

std::string OdbcInfoString(SQLHDBC dbc, SQLUSMALLINT info, size_t first_buffer_bytes) {
  // SQLGetInfo measures buffers and answers in SQLSMALLINT.
  constexpr size_t kMaxBytes = std::numeric_limits<SQLSMALLINT>::max();
  std::string buffer(std::clamp<size_t>(first_buffer_bytes, 1, kMaxBytes), '\0');
  while (true) {
    SQLSMALLINT length = 0;
    SQLRETURN rc =
        SQLGetInfo(dbc, info, buffer.data(), static_cast<SQLSMALLINT>(buffer.size()), &length);
    if (!SQL_SUCCEEDED(rc)) return "";
    const size_t answer = static_cast<size_t>(std::max<SQLSMALLINT>(length, 0));
    // A driver should report the whole answer's length when it does not fit
    // (with its NUL); sqliteodbc reports only what it copied, size - 1 bytes,
    // and SQL_SUCCESS. So an answer that fills the buffer may be cut: ask
    // again with a larger one until the answer leaves room.
    const bool cut = answer + 1 >= buffer.size();
    if (!cut || buffer.size() == kMaxBytes) {
      buffer.resize(std::min(answer, buffer.size()));
      break;
    }
    buffer.assign(std::min(std::max(answer + 2, buffer.size() * 2), kMaxBytes), '\0');
  }
  if (size_t nul = buffer.find('\0'); nul != std::string::npos) buffer.resize(nul);
  return buffer;
}

Result<OdbcClient> OdbcClient::Connect(std::string_view connection_string,
                                       int login_timeout_seconds) {
  OdbcClient client;
  client.redacted_ = RedactOdbcConnectionString(connection_string);
  client.scrubber_ = OdbcPasswordScrubber(connection_string);
  const std::string where = " (" + client.redacted_ + ")";

  DB_ASSIGN_OR_RETURN_CTX(client.env_, OdbcEnv::Allocate(SQL_NULL_HANDLE), "ODBC" + where);
  SQLRETURN rc = SQLSetEnvAttr(client.env_.get(), SQL_ATTR_ODBC_VERSION,
                               reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  if (!SQL_SUCCEEDED(rc)) {
    return Status::FailedPrecondition(
        "the ODBC driver manager refuses ODBC 3" + where + ": " +
        client.scrubber_.Scrub(OdbcDiagnostics(SQL_HANDLE_ENV, client.env_.get())));
  }
  Result<OdbcDbc> dbc = OdbcDbc::Allocate(client.env_.get());
  if (!dbc.ok()) return client.scrubber_.Scrub(dbc.status().WithContext("ODBC" + where));
  client.dbc_ = std::move(dbc).value();
  SQLSetConnectAttr(
      client.dbc_.get(), SQL_ATTR_LOGIN_TIMEOUT,
      reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(std::max(login_timeout_seconds, 0))), 0);

  std::string text(connection_string);
  rc = SQLDriverConnect(client.dbc_.get(), nullptr, reinterpret_cast<SQLCHAR*>(text.data()),
                        SQL_NTS, nullptr, 0, nullptr, SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    std::vector<OdbcDiagRecord> records = OdbcDiagRecords(SQL_HANDLE_DBC, client.dbc_.get());
    std::string message = "cannot connect over ODBC" + where + ": " +
                          client.scrubber_.Scrub(FormatOdbcDiagRecords(records));
    return OdbcConnectFailureIsTransient(records) ? Status::Unavailable(message)
                                                  : Status::FailedPrecondition(message);
  }
  client.dbc_.MarkConnected();

  SQLHDBC hdbc = client.dbc_.get();
  client.server_.dbms_name = OdbcInfoString(hdbc, SQL_DBMS_NAME);
  client.server_.dbms_version = OdbcInfoString(hdbc, SQL_DBMS_VER);
  client.server_.driver_name = OdbcInfoString(hdbc, SQL_DRIVER_NAME);
  std::string quote = OdbcInfoString(hdbc, SQL_IDENTIFIER_QUOTE_CHAR);
  if (!quote.empty() && quote != " ") client.server_.identifier_quote = quote;
  return client;
}

}  // namespace deltabridge
