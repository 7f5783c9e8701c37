#include "cdc/clients/odbc/odbc_handles.h"

#include <algorithm>

#include "cdc/clients/mysql/mysql_errors.h"

namespace deltabridge {

std::vector<OdbcDiagRecord> OdbcDiagRecords(SQLSMALLINT handle_type, SQLHANDLE handle) {
  std::vector<OdbcDiagRecord> records;
  if (handle == SQL_NULL_HANDLE) return records;
  for (SQLSMALLINT i = 1;; ++i) {
    SQLCHAR state[SQL_SQLSTATE_SIZE + 1] = {};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    std::string text(512, '\0');
    SQLRETURN rc = SQLGetDiagRec(handle_type, handle, i, state, &native,
                                 reinterpret_cast<SQLCHAR*>(text.data()),
                                 static_cast<SQLSMALLINT>(text.size()), &length);
    if (rc == SQL_SUCCESS_WITH_INFO && length >= static_cast<SQLSMALLINT>(text.size())) {
      // The message was cut: ask again with room for all of it.
      text.assign(static_cast<size_t>(length) + 1, '\0');
      rc = SQLGetDiagRec(handle_type, handle, i, state, &native,
                         reinterpret_cast<SQLCHAR*>(text.data()),
                         static_cast<SQLSMALLINT>(text.size()), &length);
    }
    if (!SQL_SUCCEEDED(rc)) break;  // SQL_NO_DATA after the last record
    size_t size = std::min(static_cast<size_t>(length < 0 ? 0 : length), text.size());
    text.resize(size);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                             text.back() == '\0')) {
      text.pop_back();
    }
    // One line per record: drivers pass on the server's multi-line text
    // (psqlODBC: "ERROR: ...\nDETAIL: ...").
    std::string line;
    for (char c : text) {
      bool space = c == '\n' || c == '\r' || c == '\t';
      if (space && (line.empty() || line.back() == ' ')) continue;
      line += space ? ' ' : c;
    }
    records.push_back({reinterpret_cast<const char*>(state), native, std::move(line)});
  }
  return records;
}

std::string FormatOdbcDiagRecords(const std::vector<OdbcDiagRecord>& records) {
  if (records.empty()) return "no diagnostics";
  std::string out;
  for (const OdbcDiagRecord& r : records) {
    if (!out.empty()) out += "; ";
    out += "SQLSTATE " + (r.sqlstate.empty() ? std::string("?????") : r.sqlstate) + " (native " +
           std::to_string(r.native_error) + "): " + r.message;
  }
  return out;
}

std::string OdbcDiagnostics(SQLSMALLINT handle_type, SQLHANDLE handle) {
  return FormatOdbcDiagRecords(OdbcDiagRecords(handle_type, handle));
}

bool OdbcConnectFailureIsTransient(const std::vector<OdbcDiagRecord>& records) {
  for (const OdbcDiagRecord& r : records) {
    if (r.sqlstate.rfind("08", 0) == 0 || r.sqlstate == "HYT00" || r.sqlstate == "57P03") {
      return true;
    }
    if (r.native_error > 0) {
      MysqlErrorClass mysql = ClassOfMysqlError(static_cast<unsigned>(r.native_error));
      if (mysql == MysqlErrorClass::kConnectionLost ||
          mysql == MysqlErrorClass::kRetryTransaction) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace deltabridge
