#include "sinks/odbc/odbc_session.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "cdc/clients/mysql/mysql_errors.h"
#include "cdc/clients/odbc/odbc_client.h"
#include "cdc/clients/odbc/odbc_connection_string.h"
#include "cdc/core/ascii.h"

namespace deltabridge {

namespace {

// Past these sizes a parameter is bound as SQL_LONGVARCHAR or
// SQL_LONGVARBINARY: some drivers cap the plain types (SQL Server's at 8000
// bytes, 4000 characters for national text).
constexpr size_t kLongTextBytes = 4000;
constexpr size_t kLongBinaryBytes = 8000;
// SQLGetData reads values in chunks of this size.
constexpr size_t kChunkBytes = 64 * 1024;
// Seconds SQLDriverConnect may take, for drivers that honour it.
constexpr int kLoginTimeoutSeconds = 30;
// Statement text kept in error messages.
constexpr size_t kMaxSqlInMessage = 200;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string Abbreviate(std::string_view sql) {
  if (sql.size() <= kMaxSqlInMessage) return std::string(sql);
  return std::string(sql.substr(0, kMaxSqlInMessage)) + "...";
}

// psqlODBC's rollback-on-error level from "Protocol=7.4-N" (also spelt
// "A1=..."), or -1 when the string does not set it.
int PsqlodbcRollbackOnError(const std::vector<OdbcConnectionItem>& items) {
  int level = -1;
  for (const OdbcConnectionItem& item : items) {
    if (!OdbcKeyIs(item.key, "protocol") && !OdbcKeyIs(item.key, "a1")) continue;
    const std::string& value = item.value;
    size_t dash = value.rfind('-');
    if (dash == std::string::npos || dash + 1 >= value.size()) continue;
    int parsed = 0;
    auto [ptr, ec] = std::from_chars(value.data() + dash + 1, value.data() + value.size(), parsed);
    if (ec == std::errc() && ptr == value.data() + value.size()) level = parsed;
  }
  return level;
}

// psqlODBC converts some PostgreSQL types on the way to SQL_C_CHAR; these
// undo what can be undone, so values read the way PostgreSQL writes them
// (and the native session returns them):
//   bool         "1"/"0" (BoolsAsChar)  -> "t"/"f"
//   uuid         upper case             -> lower case
//   timestamptz  the offset dropped     -> "+00" appended (the session's
//                                          TimeZone is UTC)
// Not undone: psqlODBC turns timestamp 'infinity' into 9999-12-31 23:59:59
// and date 'infinity' into 0000-00-00.
enum class PgRepair { kNone, kBool, kUuid, kTimestampTz };

PgRepair PgRepairFor(std::string_view type_name) {
  if (type_name == "bool") return PgRepair::kBool;
  if (type_name == "uuid") return PgRepair::kUuid;
  if (type_name == "timestamptz") return PgRepair::kTimestampTz;
  return PgRepair::kNone;
}

void RepairPgText(PgRepair repair, std::string* value) {
  switch (repair) {
    case PgRepair::kNone:
      return;
    case PgRepair::kBool:
      if (*value == "1") *value = "t";
      if (*value == "0") *value = "f";
      return;
    case PgRepair::kUuid:
      for (char& c : *value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return;
    case PgRepair::kTimestampTz: {
      // Leave alone anything that already has an offset or is not a date.
      size_t time = value->find(' ');
      if (time == std::string::npos || value->find_first_of("+Z", time) != std::string::npos ||
          value->find('-', time) != std::string::npos) {
        return;
      }
      if (value->size() > 3 && value->compare(value->size() - 3, 3, " BC") == 0) {
        value->insert(value->size() - 3, "+00");
      } else {
        *value += "+00";
      }
      return;
    }
  }
}

bool IsBinaryType(SQLSMALLINT type) {
  return type == SQL_BINARY || type == SQL_VARBINARY || type == SQL_LONGVARBINARY;
}

// What a SQLSTATE (and, for SQLite, the native code and text) means for the
// engine.
enum class ErrorKind { kRejected, kLostConnection, kRetry, kOther };

ErrorKind KindOfRecord(const OdbcDiagRecord& record, SqlDialect dialect) {
  const std::string& state = record.sqlstate;
  std::string_view cls = std::string_view(state).substr(0, 2);
  if (cls == "08" || state == "HYT00" || state == "HYT01" || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    return ErrorKind::kLostConnection;
  }
  if (cls == "22" || cls == "23") return ErrorKind::kRejected;
  if (cls == "40") return ErrorKind::kRetry;
  if (dialect == SqlDialect::kMysql) {
    // MySQL gives some data errors generic SQLSTATEs (1366 incorrect value
    // and 1364 no default: HY000; 1265 data truncated, an error in strict
    // mode: 01000), and some lost connections HY000: its error number says.
    switch (ClassOfMysqlError(static_cast<unsigned>(record.native_error), state)) {
      case MysqlErrorClass::kRejected:
        return ErrorKind::kRejected;
      case MysqlErrorClass::kConnectionLost:
        return ErrorKind::kLostConnection;
      case MysqlErrorClass::kRetryTransaction:
        return ErrorKind::kRetry;
      case MysqlErrorClass::kAccessDenied:
      case MysqlErrorClass::kOther:
        break;
    }
  }
  if (dialect == SqlDialect::kSqlite) {
    // sqliteodbc reports every SQLite error as HY000 with SQLite's primary
    // result code as the native error.
    std::string message = AsciiLower(record.message);
    if (record.native_error == 19 || record.native_error == 20 ||
        message.find("constraint failed") != std::string::npos ||
        message.find("datatype mismatch") != std::string::npos) {
      return ErrorKind::kRejected;
    }
    if (record.native_error == 5 || record.native_error == 6 ||
        message.find("database is locked") != std::string::npos) {
      return ErrorKind::kRetry;
    }
  }
  return ErrorKind::kOther;
}

// The words of a lower-case type name, with anything in parentheses dropped:
// "timestamp(3) with time zone" -> {"timestamp", "with", "time", "zone"}.
std::vector<std::string> TypeWords(std::string_view type, std::string* size) {
  std::vector<std::string> words;
  std::string word;
  int depth = 0;
  for (char c : type) {
    if (c == '(') {
      ++depth;
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
      continue;
    }
    if (c == ')') {
      if (depth > 0) --depth;
      continue;
    }
    if (depth > 0) {
      if (size != nullptr) *size += c;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
      continue;
    }
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

bool OneOf(std::string_view word, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), word) != names.end();
}

}  // namespace

ColumnCategory OdbcCategoryOfType(std::string_view sql_type, SqlDialect dialect) {
  std::string size;
  std::vector<std::string> words = TypeWords(sql_type, &size);
  // Modifiers that do not change the category.
  std::erase_if(words, [](const std::string& w) {
    return OneOf(w, {"unsigned", "signed", "zerofill", "national"});
  });
  std::string joined;
  for (const std::string& w : words) joined += (joined.empty() ? "" : " ") + w;
  bool with_time_zone = joined.find("with time zone") != std::string::npos;
  std::string_view first = words.empty() ? std::string_view() : std::string_view(words[0]);

  if (first == "bool" || first == "boolean") return ColumnCategory::kBool;
  if (first == "bit") {
    if (words.size() == 1 && (size.empty() || TrimAscii(size) == "1")) return ColumnCategory::kBool;
    return ColumnCategory::kOther;  // bit(n), bit varying: bit strings
  }
  for (const std::string& w : words) {
    if (OneOf(w, {"int", "integer", "int1", "int2", "int3", "int4", "int8", "smallint", "bigint",
                  "tinyint", "mediumint", "serial", "serial2", "serial4", "serial8", "smallserial",
                  "bigserial", "year"})) {
      return ColumnCategory::kInteger;
    }
  }
  if (OneOf(first, {"numeric", "decimal", "dec", "fixed", "number"})) {
    return ColumnCategory::kDecimal;
  }
  if (OneOf(first, {"real", "float", "float4", "float8", "double"})) return ColumnCategory::kFloat;
  if (OneOf(first,
            {"char",   "character", "varchar",  "nchar",      "nvarchar", "varchar2", "nvarchar2",
             "bpchar", "text",      "tinytext", "mediumtext", "longtext", "ntext",    "clob",
             "nclob",  "enum",      "set",      "name",       "citext",   "string"})) {
    return ColumnCategory::kText;
  }
  if (OneOf(first, {"blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary", "bytea",
                    "image"}) ||
      joined == "long varbinary" || joined == "long raw") {
    return ColumnCategory::kBinary;
  }
  if (first == "date") return ColumnCategory::kDate;
  if (first == "time" || first == "timetz") {
    if (with_time_zone || first == "timetz") return ColumnCategory::kOther;
    return ColumnCategory::kTime;
  }
  if (first == "timestamptz") return ColumnCategory::kTimestampTz;
  if (first == "timestamp") {
    if (with_time_zone) return ColumnCategory::kTimestampTz;
    if (dialect == SqlDialect::kMysql && words.size() == 1) return ColumnCategory::kTimestampTz;
    return ColumnCategory::kTimestamp;
  }
  if (OneOf(first, {"datetime", "datetime2", "smalldatetime"})) return ColumnCategory::kTimestamp;
  if (first == "datetimeoffset") return ColumnCategory::kTimestampTz;
  if (first == "json" || first == "jsonb") return ColumnCategory::kJson;

  if (dialect == SqlDialect::kSqlite) {
    // SQLite's type affinity rules (https://sqlite.org/datatype3.html 3.1),
    // in their order.
    std::string lower = AsciiLower(sql_type);
    if (TrimAscii(lower).empty()) return ColumnCategory::kOther;
    if (lower.find("int") != std::string::npos) return ColumnCategory::kInteger;
    if (lower.find("char") != std::string::npos || lower.find("clob") != std::string::npos ||
        lower.find("text") != std::string::npos) {
      return ColumnCategory::kText;
    }
    if (lower.find("blob") != std::string::npos) return ColumnCategory::kBinary;
    if (lower.find("real") != std::string::npos || lower.find("floa") != std::string::npos ||
        lower.find("doub") != std::string::npos) {
      return ColumnCategory::kFloat;
    }
    return ColumnCategory::kDecimal;
  }
  return ColumnCategory::kOther;
}

// ---------------------------------------------------------------------------
// Connecting.

OdbcSession::~OdbcSession() {
  // A transaction left open is rolled back, so the driver does not commit it
  // on disconnect (some do) or refuse to disconnect.
  if (in_transaction_ && client_.dbc() != SQL_NULL_HDBC) {
    SQLEndTran(SQL_HANDLE_DBC, client_.dbc(), SQL_ROLLBACK);
  }
}

Result<std::unique_ptr<OdbcSession>> OdbcSession::Connect(const OdbcTargetConfig& config) {
  std::unique_ptr<OdbcSession> session(new OdbcSession());
  DB_ASSIGN_OR_RETURN(session->client_, OdbcClient::Connect(config.dsn, kLoginTimeoutSeconds));
  const std::string where = " (" + session->client_.redacted() + ")";

  std::string dbms = AsciiLower(session->dbms_name());
  if (dbms.find("sqlite") != std::string::npos) {
    session->dialect_ = SqlDialect::kSqlite;
  } else if (dbms.find("mysql") != std::string::npos || dbms.find("mariadb") != std::string::npos) {
    session->dialect_ = SqlDialect::kMysql;
  } else {
    session->dialect_ = SqlDialect::kGeneric;
    session->postgres_ = dbms.find("postgres") != std::string::npos;
  }

  if (session->postgres_) {
    if (PsqlodbcRollbackOnError(ParseOdbcConnectionString(config.dsn)) == 1) {
      return Status::FailedPrecondition(
          "the ODBC connection string" + where +
          " sets psqlODBC's Protocol=7.4-1, which rolls back the whole transaction on any "
          "error; deltabridge needs a failed statement to undo itself only (use Protocol=7.4-2, "
          "the default, or 7.4-0)");
    }
    Result<uint64_t> set = session->Execute("SET TimeZone = 'UTC'", {});
    if (!set.ok()) return set.status().WithContext("setting up the ODBC session" + where);
  } else if (session->dialect_ == SqlDialect::kMysql) {
    Result<uint64_t> set = session->Execute("SET time_zone = '+00:00'", {});
    if (!set.ok()) return set.status().WithContext("setting up the ODBC session" + where);
  }
  return session;
}

Result<std::unique_ptr<SqlSession>> ConnectOdbc(const OdbcTargetConfig& config) {
  DB_ASSIGN_OR_RETURN(std::unique_ptr<OdbcSession> session, OdbcSession::Connect(config));
  return std::unique_ptr<SqlSession>(std::move(session));
}

std::string OdbcSession::Describe() const {
  const OdbcServerInfo& server = client_.server();
  std::string out = server.dbms_name.empty() ? std::string("ODBC database") : server.dbms_name;
  if (!server.dbms_version.empty()) out += " " + server.dbms_version;
  return out + " at " + client_.redacted();
}

std::string OdbcSession::QuoteIdentifier(std::string_view name) const {
  const std::string& quote = client_.server().identifier_quote;
  std::string out = quote;
  size_t i = 0;
  while (i < name.size()) {
    if (name.compare(i, quote.size(), quote) == 0) {
      out += quote + quote;
      i += quote.size();
    } else {
      out += name[i++];
    }
  }
  return out + quote;
}

ColumnCategory OdbcSession::CategoryOfType(std::string_view sql_type) const {
  return OdbcCategoryOfType(sql_type, dialect_);
}

// ---------------------------------------------------------------------------
// Errors.

Status OdbcSession::CheckUsable() const {
  if (!broken_) return Status::Ok();
  return Status::Unavailable("the ODBC connection to " + Describe() +
                             " was lost; open a new session");
}

Status OdbcSession::Failure(SQLSMALLINT handle_type, SQLHANDLE handle, std::string_view what) {
  return Failure(OdbcDiagRecords(handle_type, handle), what);
}

Status OdbcSession::Failure(const std::vector<OdbcDiagRecord>& records, std::string_view what) {
  bool rejected = false;
  bool lost = false;
  bool retry = false;
  for (const OdbcDiagRecord& r : records) {
    switch (KindOfRecord(r, dialect_)) {
      case ErrorKind::kRejected:
        rejected = true;
        break;
      case ErrorKind::kLostConnection:
        lost = true;
        break;
      case ErrorKind::kRetry:
        retry = true;
        break;
      case ErrorKind::kOther:
        break;
    }
  }
  if (!lost && !rejected) {
    // Some drivers report a dropped connection with a generic SQLSTATE; ask
    // the driver whether the connection is still there.
    SQLUINTEGER dead = SQL_CD_FALSE;
    SQLRETURN rc = SQLGetConnectAttr(client_.dbc(), SQL_ATTR_CONNECTION_DEAD, &dead, 0, nullptr);
    if (SQL_SUCCEEDED(rc) && dead == SQL_CD_TRUE) lost = true;
  }
  std::string message =
      client_.scrubber().Scrub(std::string(what) + ": " + FormatOdbcDiagRecords(records));
  if (lost) {
    broken_ = true;
    return Status::Unavailable(message + " (connection to " + Describe() + " lost)");
  }
  if (rejected) return Status::Rejected(message);
  if (retry) return Status::Unavailable(message);
  return Status::FailedPrecondition(message);
}

// ---------------------------------------------------------------------------
// Statements.

Result<OdbcStmt> OdbcSession::Run(std::string_view sql, const std::vector<SqlParam>& params,
                                  bool* no_data) {
  *no_data = false;
  DB_RETURN_IF_ERROR(CheckUsable());
  Result<OdbcStmt> allocated = OdbcStmt::Allocate(client_.dbc());
  if (!allocated.ok()) return Failure(SQL_HANDLE_DBC, client_.dbc(), "allocating a statement");
  OdbcStmt stmt = std::move(allocated).value();
  const std::string context = "ODBC statement failed (" + Abbreviate(sql) + ")";

  // Each parameter's length or SQL_NULL_DATA; the drivers read these and the
  // values (in `params`) during SQLExecDirect, and the bindings are reset
  // before this function returns.
  std::vector<SQLLEN> indicators(params.size());
  char null_value[1] = {0};  // a buffer for NULLs, which drivers do not read
  for (size_t i = 0; i < params.size(); ++i) {
    const SqlParam& p = params[i];
    auto number = static_cast<SQLUSMALLINT>(i + 1);
    SQLRETURN rc = SQL_SUCCESS;
    switch (p.kind) {
      case SqlParam::Kind::kNull:
        indicators[i] = SQL_NULL_DATA;
        rc = SQLBindParameter(stmt.get(), number, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 1, 0,
                              null_value, 0, &indicators[i]);
        break;
      case SqlParam::Kind::kText:
        indicators[i] = static_cast<SQLLEN>(p.data.size());
        rc = SQLBindParameter(stmt.get(), number, SQL_PARAM_INPUT, SQL_C_CHAR,
                              p.data.size() > kLongTextBytes ? SQL_LONGVARCHAR : SQL_VARCHAR,
                              std::max<SQLULEN>(p.data.size(), 1), 0,
                              const_cast<char*>(p.data.data()), static_cast<SQLLEN>(p.data.size()),
                              &indicators[i]);
        break;
      case SqlParam::Kind::kBinary:
        indicators[i] = static_cast<SQLLEN>(p.data.size());
        rc = SQLBindParameter(stmt.get(), number, SQL_PARAM_INPUT, SQL_C_BINARY,
                              p.data.size() > kLongBinaryBytes ? SQL_LONGVARBINARY : SQL_VARBINARY,
                              std::max<SQLULEN>(p.data.size(), 1), 0,
                              const_cast<char*>(p.data.data()), static_cast<SQLLEN>(p.data.size()),
                              &indicators[i]);
        break;
    }
    if (!SQL_SUCCEEDED(rc)) {
      return Failure(SQL_HANDLE_STMT, stmt.get(),
                     context + ": binding parameter " + std::to_string(i + 1));
    }
  }

  std::string text(sql);
  SQLRETURN rc = SQLExecDirect(stmt.get(), reinterpret_cast<SQLCHAR*>(text.data()), SQL_NTS);
  // Read the diagnostics before any other call on the statement clears them.
  Status failed = rc == SQL_NO_DATA || SQL_SUCCEEDED(rc)
                      ? Status::Ok()
                      : Failure(SQL_HANDLE_STMT, stmt.get(), context);
  if (rc == SQL_SUCCESS_WITH_INFO && dialect_ == SqlDialect::kMysql && !checking_errors_) {
    // MariaDB Connector/ODBC returns SQL_SUCCESS_WITH_INFO for a statement
    // with parameters that the server failed with an error whose SQLSTATE is
    // of class 01 (1265 "Data truncated" in strict mode): ask the server
    // whether the statement had errors. @@error_count leaves the previous
    // statement's diagnostics in place.
    std::vector<OdbcDiagRecord> records = OdbcDiagRecords(SQL_HANDLE_STMT, stmt.get());
    checking_errors_ = true;
    Result<std::optional<std::string>> errors = QueryValue("SELECT @@error_count");
    checking_errors_ = false;
    if (!errors.ok()) return errors.status();
    if (errors->has_value() && **errors != "0") failed = Failure(records, context);
  }
  SQLFreeStmt(stmt.get(), SQL_RESET_PARAMS);
  if (!failed.ok()) return failed;
  *no_data = rc == SQL_NO_DATA;
  return stmt;
}

Result<uint64_t> OdbcSession::Execute(std::string_view sql, const std::vector<SqlParam>& params) {
  bool no_data = false;
  DB_ASSIGN_OR_RETURN(OdbcStmt stmt, Run(sql, params, &no_data));
  if (no_data) return uint64_t{0};
  SQLLEN count = 0;
  if (!SQL_SUCCEEDED(SQLRowCount(stmt.get(), &count)) || count < 0) return uint64_t{0};
  return static_cast<uint64_t>(count);
}

Result<std::vector<SqlRow>> OdbcSession::Query(std::string_view sql,
                                               const std::vector<SqlParam>& params) {
  bool no_data = false;
  DB_ASSIGN_OR_RETURN(OdbcStmt stmt, Run(sql, params, &no_data));
  if (no_data) return std::vector<SqlRow>();
  return FetchAll(stmt, "ODBC query failed (" + Abbreviate(sql) + ")");
}

Result<std::vector<SqlRow>> OdbcSession::FetchAll(const OdbcStmt& stmt, std::string_view what) {
  SQLSMALLINT columns = 0;
  if (!SQL_SUCCEEDED(SQLNumResultCols(stmt.get(), &columns))) {
    return Failure(SQL_HANDLE_STMT, stmt.get(), what);
  }
  std::vector<SqlRow> rows;
  if (columns <= 0) return rows;
  std::vector<bool> binary(static_cast<size_t>(columns));
  std::vector<PgRepair> repairs(static_cast<size_t>(columns), PgRepair::kNone);
  for (SQLSMALLINT c = 1; c <= columns; ++c) {
    SQLSMALLINT type = 0;
    SQLULEN size = 0;
    SQLSMALLINT digits = 0;
    SQLSMALLINT nullable = 0;
    SQLRETURN rc =
        SQLDescribeCol(stmt.get(), c, nullptr, 0, nullptr, &type, &size, &digits, &nullable);
    if (!SQL_SUCCEEDED(rc)) return Failure(SQL_HANDLE_STMT, stmt.get(), what);
    binary[static_cast<size_t>(c - 1)] = IsBinaryType(type);
    if (postgres_) {
      SQLCHAR type_name[64] = {};
      SQLSMALLINT length = 0;
      if (SQL_SUCCEEDED(SQLColAttribute(stmt.get(), static_cast<SQLUSMALLINT>(c),
                                        SQL_DESC_TYPE_NAME, type_name, sizeof(type_name), &length,
                                        nullptr))) {
        repairs[static_cast<size_t>(c - 1)] = PgRepairFor(reinterpret_cast<char*>(type_name));
      }
    }
  }

  std::vector<char> buffer(kChunkBytes);
  while (true) {
    SQLRETURN rc = SQLFetch(stmt.get());
    if (rc == SQL_NO_DATA) break;
    if (!SQL_SUCCEEDED(rc)) return Failure(SQL_HANDLE_STMT, stmt.get(), what);
    SqlRow row;
    row.reserve(static_cast<size_t>(columns));
    for (SQLSMALLINT c = 1; c <= columns; ++c) {
      bool is_binary = binary[static_cast<size_t>(c - 1)];
      SQLSMALLINT c_type = is_binary ? SQL_C_BINARY : SQL_C_CHAR;
      // Room for data in one chunk: SQL_C_CHAR ends each chunk with a NUL.
      const size_t room = is_binary ? buffer.size() : buffer.size() - 1;
      std::string value;
      bool is_null = false;
      while (true) {
        SQLLEN indicator = 0;
        rc = SQLGetData(stmt.get(), static_cast<SQLUSMALLINT>(c), c_type, buffer.data(),
                        static_cast<SQLLEN>(buffer.size()), &indicator);
        if (rc == SQL_NO_DATA) break;  // the previous chunk was the last
        if (!SQL_SUCCEEDED(rc)) return Failure(SQL_HANDLE_STMT, stmt.get(), what);
        if (indicator == SQL_NULL_DATA) {
          is_null = true;
          break;
        }
        // SQL_NO_TOTAL or more than fits: this chunk filled the buffer and
        // more follows; else the indicator is what is left, all in this chunk.
        bool more = indicator == SQL_NO_TOTAL || static_cast<size_t>(indicator) > room;
        size_t got = more ? room : static_cast<size_t>(indicator);
        value.append(buffer.data(), got);
        if (!more || rc == SQL_SUCCESS) break;
      }
      if (is_null) {
        row.emplace_back(std::nullopt);
      } else {
        RepairPgText(repairs[static_cast<size_t>(c - 1)], &value);
        row.emplace_back(std::move(value));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::optional<std::string>> OdbcSession::QueryValue(std::string_view sql) {
  DB_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(sql, {}));
  if (rows.empty() || rows.front().empty()) return std::optional<std::string>();
  return rows.front().front();
}

// ---------------------------------------------------------------------------
// Transactions.

Status OdbcSession::SetAutocommit(bool on, std::string_view what) {
  SQLRETURN rc = SQLSetConnectAttr(
      client_.dbc(), SQL_ATTR_AUTOCOMMIT,
      reinterpret_cast<SQLPOINTER>(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF), SQL_IS_UINTEGER);
  if (!SQL_SUCCEEDED(rc)) return Failure(SQL_HANDLE_DBC, client_.dbc(), what);
  return Status::Ok();
}

Status OdbcSession::Begin() {
  DB_RETURN_IF_ERROR(CheckUsable());
  if (in_transaction_) {
    return Status::FailedPrecondition("Begin() on " + Describe() + ": a transaction is open");
  }
  DB_RETURN_IF_ERROR(SetAutocommit(false, "ODBC: turning autocommit off to begin a transaction"));
  in_transaction_ = true;
  return Status::Ok();
}

Status OdbcSession::Commit() {
  DB_RETURN_IF_ERROR(CheckUsable());
  if (!in_transaction_) {
    return Status::FailedPrecondition("Commit() on " + Describe() + " without Begin()");
  }
  in_transaction_ = false;
  SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, client_.dbc(), SQL_COMMIT);
  if (!SQL_SUCCEEDED(rc)) {
    Status failed = Failure(SQL_HANDLE_DBC, client_.dbc(), "ODBC commit failed");
    if (!broken_) {
      // SQLite keeps a transaction whose COMMIT failed open: end it, so the
      // session is back in autocommit as after any Commit().
      SQLEndTran(SQL_HANDLE_DBC, client_.dbc(), SQL_ROLLBACK);
      Status restored = SetAutocommit(true, "ODBC: turning autocommit back on");
      (void)restored;  // the commit's failure is the news
    }
    return failed;
  }
  return SetAutocommit(true, "ODBC: turning autocommit back on after a commit");
}

Status OdbcSession::Rollback() {
  DB_RETURN_IF_ERROR(CheckUsable());
  if (!in_transaction_) return Status::Ok();
  in_transaction_ = false;
  SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, client_.dbc(), SQL_ROLLBACK);
  if (!SQL_SUCCEEDED(rc)) return Failure(SQL_HANDLE_DBC, client_.dbc(), "ODBC rollback failed");
  return SetAutocommit(true, "ODBC: turning autocommit back on after a rollback");
}

// ---------------------------------------------------------------------------
// Catalog.

Status OdbcSession::MarkAutoIncrement(std::string_view table, TargetTableInfo* info) {
  // MySQL's catalog has no default for an AUTO_INCREMENT column; the result
  // set metadata of an empty query says which one it is.
  std::string probe = "SELECT * FROM " + QuoteTableName(*this, table) + " WHERE 1 = 0";
  bool no_data = false;
  DB_ASSIGN_OR_RETURN(OdbcStmt probed, Run(probe, {}, &no_data));
  SQLSMALLINT count = 0;
  if (no_data || !SQL_SUCCEEDED(SQLNumResultCols(probed.get(), &count))) return Status::Ok();
  for (SQLSMALLINT c = 1; c <= count && static_cast<size_t>(c) <= info->columns.size(); ++c) {
    SQLLEN auto_unique = SQL_FALSE;
    if (SQL_SUCCEEDED(SQLColAttribute(probed.get(), static_cast<SQLUSMALLINT>(c),
                                      SQL_DESC_AUTO_UNIQUE_VALUE, nullptr, 0, nullptr,
                                      &auto_unique)) &&
        auto_unique == SQL_TRUE) {
      info->columns[static_cast<size_t>(c - 1)].has_default = true;
    }
  }
  return Status::Ok();
}

Result<TargetTableInfo> OdbcSession::DescribeTable(std::string_view table) {
  DB_RETURN_IF_ERROR(CheckUsable());
  std::string schema;
  std::string name(table);
  bool qualified = false;
  if (size_t dot = table.find('.'); dot != std::string_view::npos) {
    schema = std::string(table.substr(0, dot));
    name = std::string(table.substr(dot + 1));
    qualified = true;
  }
  if (name.empty() || (qualified && schema.empty())) {
    return Status::InvalidArgument("bad table name \"" + std::string(table) +
                                   "\": use \"schema.table\" or \"table\"");
  }

  // Which ODBC catalog and schema to look in. Empty `catalog` means any; for
  // `schema`, an empty string with `any_schema` means any.
  std::string catalog;
  bool any_schema = false;
  if (dialect_ == SqlDialect::kSqlite) {
    if (qualified && !EqualsIgnoreCase(schema, "main")) {
      return Status::NotFound("no table \"" + std::string(table) + "\" in " + Describe() +
                              ": SQLite has no schemas (only \"main.\" may prefix a table name)");
    }
    schema.clear();
    any_schema = true;
  } else if (dialect_ == SqlDialect::kMysql) {
    // MySQL's databases are ODBC catalogs.
    if (qualified) {
      catalog = schema;
    } else {
      DB_ASSIGN_OR_RETURN(std::optional<std::string> db, QueryValue("SELECT DATABASE()"));
      if (!db.has_value()) {
        return Status::FailedPrecondition("table \"" + std::string(table) + "\" on " + Describe() +
                                          " names no database and the connection has none");
      }
      catalog = *db;
    }
    schema.clear();
    any_schema = true;
  } else if (!qualified) {
    if (postgres_) {
      DB_ASSIGN_OR_RETURN(std::optional<std::string> current,
                          QueryValue("SELECT current_schema()"));
      if (current.has_value()) {
        schema = *current;
      } else {
        any_schema = true;
      }
    } else {
      any_schema = true;
    }
  }

  // SQLColumns takes search patterns for the schema and table: escape "_"
  // and "%" so that "tour_slots" matches only itself.
  const std::string escape = OdbcInfoString(client_.dbc(), SQL_SEARCH_PATTERN_ESCAPE);
  auto pattern = [&escape](const std::string& s) {
    if (escape.empty()) return s;
    std::string out;
    for (char c : s) {
      if (c == '_' || c == '%' || escape.find(c) != std::string::npos) out += escape;
      out += c;
    }
    return out;
  };
  const std::string what = "ODBC: describing table \"" + std::string(table) + "\"";

  Result<OdbcStmt> allocated = OdbcStmt::Allocate(client_.dbc());
  if (!allocated.ok()) return Failure(SQL_HANDLE_DBC, client_.dbc(), what);
  OdbcStmt stmt = std::move(allocated).value();
  std::string catalog_arg = catalog;
  std::string schema_arg = pattern(schema);
  std::string table_arg = pattern(name);
  SQLRETURN rc = SQLColumns(
      stmt.get(), catalog.empty() ? nullptr : reinterpret_cast<SQLCHAR*>(catalog_arg.data()),
      catalog.empty() ? 0 : SQL_NTS,
      any_schema ? nullptr : reinterpret_cast<SQLCHAR*>(schema_arg.data()),
      any_schema ? 0 : SQL_NTS, reinterpret_cast<SQLCHAR*>(table_arg.data()), SQL_NTS, nullptr, 0);
  if (!SQL_SUCCEEDED(rc)) return Failure(SQL_HANDLE_STMT, stmt.get(), what + " (SQLColumns)");
  // Result columns of SQLColumns (1-based): 1 TABLE_CAT, 2 TABLE_SCHEM,
  // 3 TABLE_NAME, 4 COLUMN_NAME, 6 TYPE_NAME, 7 COLUMN_SIZE, 11 NULLABLE,
  // 13 COLUMN_DEF, 17 ORDINAL_POSITION; drivers may add their own after 18.
  std::vector<std::string> names;
  {
    SQLSMALLINT count = 0;
    if (SQL_SUCCEEDED(SQLNumResultCols(stmt.get(), &count))) {
      for (SQLSMALLINT c = 1; c <= count; ++c) {
        SQLCHAR label[128] = {};
        SQLSMALLINT length = 0;
        SQLSMALLINT type = 0;
        SQLULEN size = 0;
        SQLSMALLINT digits = 0;
        SQLSMALLINT nullable = 0;
        SQLDescribeCol(stmt.get(), c, label, sizeof(label), &length, &type, &size, &digits,
                       &nullable);
        names.push_back(AsciiLower(reinterpret_cast<const char*>(label)));
      }
    }
  }
  DB_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, FetchAll(stmt, what + " (SQLColumns)"));
  auto cell = [](const SqlRow& row, size_t column) -> const std::optional<std::string>& {
    static const std::optional<std::string> kNone;
    return column >= 1 && column <= row.size() ? row[column - 1] : kNone;
  };
  auto text = [&cell](const SqlRow& row, size_t column) {
    return cell(row, column).value_or(std::string());
  };
  auto number = [&text](const SqlRow& row, size_t column, long fallback) {
    std::string s = text(row, column);
    long value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    return ec == std::errc() && ptr == s.data() + s.size() ? value : fallback;
  };
  // psqlODBC's extra columns: AUTO_INCREMENT (identity or serial) and TYPMOD
  // (-1 when a varchar has no length, though COLUMN_SIZE then says 255).
  size_t auto_increment_column = 0;
  size_t typmod_column = 0;
  for (size_t i = 18; i < names.size(); ++i) {
    if (names[i] == "auto_increment") auto_increment_column = i + 1;
    if (names[i] == "typmod") typmod_column = i + 1;
  }

  // Keep the rows of exactly this table (the pattern may match more in a
  // driver without escapes), from one schema.
  std::vector<const SqlRow*> matching;
  for (const SqlRow& row : rows) {
    if (text(row, 3) != name) continue;
    if (!any_schema && text(row, 2) != schema) continue;
    matching.push_back(&row);
  }
  if (matching.empty()) {
    return Status::NotFound("no table \"" + std::string(table) + "\" in " + Describe());
  }
  const std::string found_catalog = text(*matching.front(), 1);
  const std::optional<std::string> found_schema = cell(*matching.front(), 2);
  for (const SqlRow* row : matching) {
    if (cell(*row, 2) != found_schema || text(*row, 1) != found_catalog) {
      return Status::FailedPrecondition("table \"" + std::string(table) +
                                        "\" is in more than one schema of " + Describe() +
                                        ": name it as \"schema.table\"");
    }
  }
  std::stable_sort(matching.begin(), matching.end(), [&number](const SqlRow* a, const SqlRow* b) {
    return number(*a, 17, 0) < number(*b, 17, 0);
  });

  TargetTableInfo info;
  info.name = std::string(table);
  for (const SqlRow* row : matching) {
    TargetColumnInfo column;
    column.name = text(*row, 4);
    std::string type = AsciiLower(TrimAscii(text(*row, 6)));
    long size = number(*row, 7, 0);
    if (typmod_column != 0 && number(*row, typmod_column, 0) < 0) size = 0;
    if (type.find('(') == std::string::npos && size > 0 &&
        OneOf(type, {"char", "varchar", "character", "character varying", "nchar", "nvarchar",
                     "bpchar", "varchar2", "binary", "varbinary"})) {
      type += "(" + std::to_string(size) + ")";
    }
    column.sql_type = type;
    column.category = CategoryOfType(type);
    column.nullable = number(*row, 11, SQL_NULLABLE_UNKNOWN) != SQL_NO_NULLS;
    // sqliteodbc reports "no default" as the text NULL; DEFAULT NULL is no
    // default either.
    const std::optional<std::string>& column_def = cell(*row, 13);
    column.has_default =
        column_def.has_value() && !EqualsIgnoreCase(TrimAscii(*column_def), "null");
    if (auto_increment_column != 0) {
      std::string flag = AsciiLower(text(*row, auto_increment_column));
      if (flag == "1" || flag == "t" || flag == "true" || flag == "yes") column.has_default = true;
    }
    info.columns.push_back(std::move(column));
  }

  // The primary key. SQLPrimaryKeys takes plain names, not patterns.
  // sqliteodbc numbers KEY_SEQ in table order rather than key order, so for
  // SQLite the key comes from pragma_table_info (whose pk is the position).
  if (dialect_ == SqlDialect::kSqlite) {
    DB_ASSIGN_OR_RETURN(std::vector<SqlRow> keys,
                        Query("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
                              {SqlParam::Text(name)}));
    for (const SqlRow& row : keys) info.primary_key.push_back(text(row, 1));
    if (info.primary_key.size() == 1) {
      // A column declared exactly INTEGER PRIMARY KEY is the rowid: SQLite
      // fills it when the insert leaves it out. (Not so in a WITHOUT ROWID
      // table, which the catalog functions cannot tell apart; a rare case.)
      for (TargetColumnInfo& column : info.columns) {
        if (column.name == info.primary_key.front() && column.sql_type == "integer") {
          column.has_default = true;
        }
      }
    }
    return info;
  }
  if (dialect_ == SqlDialect::kMysql) {
    // MariaDB Connector/ODBC numbers KEY_SEQ in table order too.
    DB_ASSIGN_OR_RETURN(
        std::vector<SqlRow> keys,
        Query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? "
              "AND "
              "TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
              {SqlParam::Text(found_catalog), SqlParam::Text(name)}));
    for (const SqlRow& row : keys) info.primary_key.push_back(text(row, 1));
    DB_RETURN_IF_ERROR(MarkAutoIncrement(table, &info));
    return info;
  }
  allocated = OdbcStmt::Allocate(client_.dbc());
  if (!allocated.ok()) return Failure(SQL_HANDLE_DBC, client_.dbc(), what);
  stmt = std::move(allocated).value();
  std::string pk_catalog = found_catalog;
  std::string pk_schema = found_schema.value_or(std::string());
  std::string pk_table = name;
  rc = SQLPrimaryKeys(
      stmt.get(), pk_catalog.empty() ? nullptr : reinterpret_cast<SQLCHAR*>(pk_catalog.data()),
      pk_catalog.empty() ? 0 : SQL_NTS,
      found_schema.has_value() ? reinterpret_cast<SQLCHAR*>(pk_schema.data()) : nullptr,
      found_schema.has_value() ? SQL_NTS : 0, reinterpret_cast<SQLCHAR*>(pk_table.data()), SQL_NTS);
  if (!SQL_SUCCEEDED(rc)) return Failure(SQL_HANDLE_STMT, stmt.get(), what + " (SQLPrimaryKeys)");
  // 4 COLUMN_NAME, 5 KEY_SEQ.
  DB_ASSIGN_OR_RETURN(std::vector<SqlRow> keys, FetchAll(stmt, what + " (SQLPrimaryKeys)"));
  std::vector<std::pair<long, std::string>> key_columns;
  for (const SqlRow& row : keys) {
    if (text(row, 3) != name) continue;
    key_columns.emplace_back(number(row, 5, 0), text(row, 4));
  }
  std::stable_sort(key_columns.begin(), key_columns.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [seq, column] : key_columns) info.primary_key.push_back(std::move(column));

  return info;
}

}  // namespace deltabridge
