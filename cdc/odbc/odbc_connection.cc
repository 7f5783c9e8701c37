#include "cdc/odbc/odbc_connection.h"

#include "cdc/clients/odbc/odbc_connection_string.h"
#include "cdc/core/ascii.h"

namespace deltabridge::odbc {

namespace {

std::string Abbreviate(const std::string& sql) {
  return sql.size() <= 120 ? sql : sql.substr(0, 117) + "...";
}

}  // namespace

Status OdbcConnection::Fail(SQLSMALLINT type, SQLHANDLE handle, const std::string& what) const {
  return Status::Unavailable(
      scrubber().Scrub(what + " (" + redacted() + "): " + OdbcDiagnostics(type, handle)));
}

Result<std::unique_ptr<OdbcConnection>> OdbcConnection::Connect(
    const std::string& connection_string, int login_timeout_seconds, bool stream_results) {
  std::unique_ptr<OdbcConnection> c(new OdbcConnection());
  DB_ASSIGN_OR_RETURN(c->client_, OdbcClient::Connect(connection_string, login_timeout_seconds));
  // SQLite's driver hands out UTF-8 as SQL_C_CHAR, and its wide interface is
  // not always built; the Unicode drivers (psqlodbcw, MariaDB) convert
  // SQL_C_CHAR to the client's locale, so they are read wide.
  const bool sqlite = AsciiLower(c->driver_name()).find("sqlite") != std::string::npos;
  c->wide_text_ = !sqlite;
  c->text_scalars_ = sqlite;  // SQLite: a value need not match its declared type
  if (stream_results && sqlite &&
      !FindOdbcConnectionValue(ParseOdbcConnectionString(connection_string), "StepAPI")) {
    // sqliteodbc materialises every result (sqlite3_get_table) unless
    // StepAPI=1: a 1M-row diff would hold the whole table in memory.
    std::string streaming = connection_string;
    if (!streaming.empty() && streaming.back() != ';') streaming += ';';
    streaming += "StepAPI=1;";
    c.reset();
    return Connect(streaming, login_timeout_seconds, false);
  }
  return c;
}

std::string OdbcConnection::QuoteIdentifier(std::string_view identifier) const {
  const std::string& quote = client_.server().identifier_quote;
  std::string out = quote;
  for (char ch : identifier) {
    if (std::string(1, ch) == quote) out += quote;
    out += ch;
  }
  return out + quote;
}

std::string OdbcConnection::QuoteName(std::string_view name) const {
  std::string out;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    if (!out.empty()) out += '.';
    out += QuoteIdentifier(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

Status OdbcConnection::Exec(const std::string& sql) {
  Result<OdbcStmt> stmt = OdbcStmt::Allocate(dbc());
  if (!stmt.ok()) return scrubber().Scrub(stmt.status());
  std::string text = sql;
  SQLRETURN rc = SQLExecDirect(stmt->get(), reinterpret_cast<SQLCHAR*>(text.data()), SQL_NTS);
  if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
    return Fail(SQL_HANDLE_STMT, stmt->get(), "ODBC statement failed (" + Abbreviate(sql) + ")");
  }
  return Status::Ok();
}

Result<std::unique_ptr<OdbcCursor>> OdbcConnection::Query(const std::string& sql,
                                                          int timeout_seconds) {
  std::unique_ptr<OdbcCursor> cur(new OdbcCursor());
  cur->what_ = "ODBC query failed (" + Abbreviate(sql) + ") (" + redacted() + ")";
  Result<OdbcStmt> stmt = OdbcStmt::Allocate(dbc());
  if (!stmt.ok()) return scrubber().Scrub(stmt.status().WithContext(cur->what_));
  cur->stmt_ = std::move(stmt).value();
  cur->scrubber_ = scrubber();
  if (timeout_seconds > 0) {
    SQLSetStmtAttr(cur->stmt_.get(), SQL_ATTR_QUERY_TIMEOUT,
                   reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(timeout_seconds)), 0);
  }
  std::string text = sql;
  SQLRETURN rc = SQLExecDirect(cur->stmt_.get(), reinterpret_cast<SQLCHAR*>(text.data()), SQL_NTS);
  if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
    return Status::Unavailable(
        scrubber().Scrub(cur->what_ + ": " + OdbcDiagnostics(SQL_HANDLE_STMT, cur->stmt_.get())));
  }
  Result<std::vector<OdbcColumn>> cols = DescribeColumns(cur->stmt_.get());
  if (!cols.ok()) return scrubber().Scrub(cols.status().WithContext(cur->what_));
  cur->columns_ = std::move(cols).value();
  cur->fetch_.wide_text = wide_text_;
  cur->fetch_.text_scalars = text_scalars_;
  return cur;
}

Result<bool> OdbcCursor::Next(std::vector<Value>* row) {
  SQLRETURN rc = SQLFetch(stmt_.get());
  if (rc == SQL_NO_DATA) return false;
  if (!SQL_SUCCEEDED(rc)) {
    return Status::Unavailable(
        scrubber_.Scrub(what_ + ": " + OdbcDiagnostics(SQL_HANDLE_STMT, stmt_.get())));
  }
  row->resize(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    Status s = FetchValue(stmt_.get(), static_cast<SQLUSMALLINT>(c + 1), columns_[c], fetch_,
                          &scratch_, &(*row)[c]);
    if (!s.ok()) return scrubber_.Scrub(s.WithContext(what_));
  }
  return true;
}

}  // namespace deltabridge::odbc
