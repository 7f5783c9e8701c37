#include "sinks/mysql/mysql_session.h"

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/parameter_metadata.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <list>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "cdc/clients/mysql/mysql_errors.h"
#include "cdc/core/ascii.h"

namespace deltabridge {
namespace {

constexpr size_t kMaxCachedStatements = 64;
constexpr int kConnectTimeoutS = 15;
constexpr int kReadWriteTimeoutS = 600;
constexpr const char* kSqlMode =
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO";

// MySQL and MariaDB error numbers (mysqld_error.h, errmsg.h).
constexpr int kErUnsupportedPs = 1295;

std::string Abbreviate(std::string_view sql) {
  constexpr size_t kMax = 200;
  std::string out(sql.substr(0, kMax));
  if (sql.size() > kMax) out += "...";
  for (char& c : out) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  return out;
}

// Lower case outside single-quoted parts: "ENUM('A','b')" -> "enum('A','b')".
std::string LowerOutsideQuotes(std::string_view s) {
  std::string out(s);
  bool quoted = false;
  for (char& c : out) {
    if (c == '\'') quoted = !quoted;
    if (!quoted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string ReplaceAll(std::string text, std::string_view what, std::string_view with) {
  if (what.empty()) return text;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
  return text;
}

// "MySQL error 1062 (SQLSTATE 23000): Duplicate entry ..." or, for an error
// of Connector/C++ itself, "MySQL Connector/C++: ...".
std::string ErrorText(const sql::SQLException& error) {
  std::string what = error.what();
  if (what.find("rbind data type") != std::string::npos) {
    what += " (a GEOMETRY column? select ST_AsText(column) instead)";
  }
  if (error.getErrorCode() == 0) return "MySQL Connector/C++: " + what;
  return "MySQL error " + std::to_string(error.getErrorCode()) + " (SQLSTATE " +
         error.getSQLState() + "): " + what;
}

Status WithCode(Status::Code code, std::string message) {
  switch (code) {
    case Status::Code::kRejected:
      return Status::Rejected(std::move(message));
    case Status::Code::kUnavailable:
      return Status::Unavailable(std::move(message));
    default:
      return Status::FailedPrecondition(std::move(message));
  }
}

// The shortest text that reads back as `value`.
template <typename Float>
std::string ShortestText(Float value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

// Connector/C++ prints a DATE as "%02d-%02d-%02d": pad the year to 4 digits.
std::string FixDate(std::string s) {
  const size_t dash = s.find('-');
  if (dash != std::string::npos && dash < 4) s.insert(0, 4 - dash, '0');
  return s;
}

// One column of the current row of `rs`, the way sql_session.h promises.
std::optional<std::string> ColumnText(sql::ResultSet& rs, uint32_t column, int type) {
  if (rs.isNull(column)) return std::nullopt;
  switch (type) {
    case sql::DataType::REAL:  // FLOAT
      return ShortestText(static_cast<float>(rs.getDouble(column)));
    case sql::DataType::DOUBLE:
      return ShortestText(static_cast<double>(rs.getDouble(column)));
    case sql::DataType::DATE:
      return FixDate(rs.getString(column));
    case sql::DataType::YEAR: {
      std::string s = rs.getString(column);
      if (s.size() < 4) s.insert(0, 4 - s.size(), '0');
      return s;
    }
    default:
      return std::string(rs.getString(column));
  }
}

// All rows of `rs`; `binary_protocol`: a prepared statement's result, whose
// conversions ColumnText repairs.
std::vector<SqlRow> ReadRows(sql::ResultSet& rs, bool binary_protocol) {
  sql::ResultSetMetaData* meta = rs.getMetaData();
  const uint32_t n_cols = meta->getColumnCount();
  std::vector<int> types(n_cols, sql::DataType::VARCHAR);
  if (binary_protocol) {
    for (uint32_t c = 0; c < n_cols; ++c) types[c] = meta->getColumnType(c + 1);
  }
  std::vector<SqlRow> rows;
  while (rs.next()) {
    SqlRow row;
    row.reserve(n_cols);
    for (uint32_t c = 0; c < n_cols; ++c) row.push_back(ColumnText(rs, c + 1, types[c]));
    rows.push_back(std::move(row));
  }
  return rows;
}

// "MariaDB 10.11.19" from VERSION() "10.11.19-MariaDB-0+deb12u1"; "MySQL 8.0.35".
std::string ServerName(const std::string& version, bool* mariadb) {
  *mariadb = version.find("MariaDB") != std::string::npos;
  return std::string(*mariadb ? "MariaDB " : "MySQL ") + version.substr(0, version.find('-'));
}

}  // namespace

// Prepared statements by SQL text, least recently used first out.
class MysqlSession::StatementCache {
 public:
  // The cached statement for `sql`, or nullptr.
  sql::PreparedStatement* Find(const std::string& sql) {
    auto it = index_.find(sql);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return it->second->statement.get();
  }

  sql::PreparedStatement* Add(std::string sql, std::unique_ptr<sql::PreparedStatement> statement) {
    entries_.push_front(Entry{std::move(sql), std::move(statement)});
    index_[entries_.front().sql] = entries_.begin();
    while (entries_.size() > kMaxCachedStatements) {
      index_.erase(entries_.back().sql);
      entries_.pop_back();  // closes the statement on the server
    }
    return entries_.front().statement.get();
  }

  // SQL the server refused to prepare (ER_UNSUPPORTED_PS): run as text.
  bool Unpreparable(const std::string& sql) const { return unpreparable_.count(sql) > 0; }
  void AddUnpreparable(const std::string& sql) {
    if (unpreparable_.size() >= kMaxCachedStatements) unpreparable_.clear();
    unpreparable_.insert(sql);
  }

  void Clear() {
    index_.clear();
    entries_.clear();
  }

 private:
  struct Entry {
    std::string sql;
    std::unique_ptr<sql::PreparedStatement> statement;
  };
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::unordered_set<std::string> unpreparable_;
};

Status::Code ClassifyMysqlError(int error_code, std::string_view sqlstate) {
  switch (ClassOfMysqlError(static_cast<unsigned>(error_code), sqlstate)) {
    case MysqlErrorClass::kConnectionLost:
    case MysqlErrorClass::kRetryTransaction:
      return Status::Code::kUnavailable;
    case MysqlErrorClass::kRejected:
      return Status::Code::kRejected;
    case MysqlErrorClass::kAccessDenied:
    case MysqlErrorClass::kOther:
      break;
  }
  return Status::Code::kFailedPrecondition;
}

bool MysqlErrorLosesConnection(int error_code) {
  return ClassOfMysqlError(static_cast<unsigned>(error_code)) == MysqlErrorClass::kConnectionLost;
}

ColumnCategory MysqlCategoryOfType(std::string_view sql_type) {
  const std::string type = AsciiLower(sql_type);
  size_t i = type.find_first_not_of(' ');
  if (i == std::string::npos) return ColumnCategory::kOther;
  auto read_word = [&] {
    const size_t start = i;
    while (i < type.size() &&
           (std::isalnum(static_cast<unsigned char>(type[i])) || type[i] == '_')) {
      ++i;
    }
    return type.substr(start, i - start);
  };
  const std::string base = read_word();
  std::string args;
  if (i < type.size() && type[i] == '(') {
    const size_t close = type.find(')', i);
    args = type.substr(i + 1, close == std::string::npos ? std::string::npos : close - i - 1);
    i = close == std::string::npos ? type.size() : close + 1;
  }
  while (i < type.size() && type[i] == ' ') ++i;
  const std::string next = read_word();

  using C = ColumnCategory;
  static const std::unordered_map<std::string, C> kCategories = {
      {"bool", C::kBool},
      {"boolean", C::kBool},
      {"tinyint", C::kInteger},
      {"smallint", C::kInteger},
      {"mediumint", C::kInteger},
      {"middleint", C::kInteger},
      {"int", C::kInteger},
      {"integer", C::kInteger},
      {"bigint", C::kInteger},
      {"int1", C::kInteger},
      {"int2", C::kInteger},
      {"int3", C::kInteger},
      {"int4", C::kInteger},
      {"int8", C::kInteger},
      {"serial", C::kInteger},
      {"decimal", C::kDecimal},
      {"dec", C::kDecimal},
      {"numeric", C::kDecimal},
      {"fixed", C::kDecimal},
      {"float", C::kFloat},
      {"double", C::kFloat},
      {"real", C::kFloat},
      {"float4", C::kFloat},
      {"float8", C::kFloat},
      {"char", C::kText},
      {"varchar", C::kText},
      {"character", C::kText},
      {"nchar", C::kText},
      {"nvarchar", C::kText},
      {"national", C::kText},
      {"varchar2", C::kText},
      {"tinytext", C::kText},
      {"text", C::kText},
      {"mediumtext", C::kText},
      {"longtext", C::kText},
      {"enum", C::kText},
      {"set", C::kText},
      {"binary", C::kBinary},
      {"varbinary", C::kBinary},
      {"tinyblob", C::kBinary},
      {"blob", C::kBinary},
      {"mediumblob", C::kBinary},
      {"longblob", C::kBinary},
      {"date", C::kDate},
      {"time", C::kTime},
      {"datetime", C::kTimestamp},
      {"timestamp", C::kTimestampTz},
      {"json", C::kJson},
  };
  if (base == "tinyint" && args == "1") return C::kBool;
  // LONG is MEDIUMTEXT, LONG VARCHAR too; LONG VARBINARY is MEDIUMBLOB.
  if (base == "long") return next == "varbinary" ? C::kBinary : C::kText;
  auto it = kCategories.find(base);
  return it == kCategories.end() ? C::kOther : it->second;
}

Result<std::unique_ptr<SqlSession>> ConnectMysql(const MysqlTargetConfig& config) {
  const std::string host = config.host.empty() ? "localhost" : config.host;
  std::string where = host + ":" + std::to_string(config.port);
  if (!config.database.empty()) where += " database " + config.database;
  where += " user " + config.user;
  auto hide_password = [&](std::string text) {
    return ReplaceAll(std::move(text), config.password, "***");
  };

  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString(host);
  options["port"] = static_cast<int>(config.port);
  options["userName"] = sql::SQLString(config.user);
  options["password"] = sql::SQLString(config.password);
  if (!config.database.empty()) options["schema"] = sql::SQLString(config.database);
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  options["OPT_CONNECT_TIMEOUT"] = kConnectTimeoutS;
  options["OPT_READ_TIMEOUT"] = kReadWriteTimeoutS;
  options["OPT_WRITE_TIMEOUT"] = kReadWriteTimeoutS;
  options["CLIENT_FOUND_ROWS"] = true;

  std::unique_ptr<sql::Connection> connection;
  try {
    // The first call creates the driver; a function-local static makes that
    // thread-safe.
    static sql::mysql::MySQL_Driver* const driver = sql::mysql::get_mysql_driver_instance();
    connection.reset(driver->connect(options));
  } catch (const sql::SQLException& error) {
    const Status::Code code = ClassifyMysqlError(error.getErrorCode(), error.getSQLState());
    return WithCode(
        code == Status::Code::kUnavailable ? code : Status::Code::kFailedPrecondition,
        hide_password("cannot connect to MySQL/MariaDB at " + where + ": " + ErrorText(error)));
  } catch (const std::exception& error) {
    return Status::FailedPrecondition(
        hide_password("cannot connect to MySQL/MariaDB at " + where + ": " + error.what()));
  }
  if (connection == nullptr) {
    return Status::FailedPrecondition("cannot connect to MySQL/MariaDB at " + where);
  }
  std::unique_ptr<MysqlSession> session(
      new MysqlSession(std::move(connection), where, config.database));
  Status set_up = session->SetUp();
  if (!set_up.ok()) {
    return set_up.WithContext("setting up the session at " + where);
  }
  return std::unique_ptr<SqlSession>(std::move(session));
}

MysqlSession::MysqlSession(std::unique_ptr<sql::Connection> connection, std::string where,
                           std::string database)
    : connection_(std::move(connection)),
      statements_(std::make_unique<StatementCache>()),
      where_(std::move(where)),
      database_(std::move(database)) {}

MysqlSession::~MysqlSession() {
  // Statements before the connection they belong to. Closing sends
  // COM_STMT_CLOSE and COM_QUIT, which may fail on a dead connection; the
  // client library reports that by return values we ignore here.
  try {
    statements_.reset();
    connection_.reset();
  } catch (const sql::SQLException&) {
    // Nothing to do: the connection is closed either way.
  } catch (const std::exception&) {
    // Likewise (an allocation failure while closing).
  }
}

Status MysqlSession::SetUp() {
  auto set = RunText(std::string("SET SESSION time_zone = '+00:00', sql_mode = '") + kSqlMode +
                         "', autocommit = 1",
                     nullptr);
  if (!set.ok()) return set.status();
  std::vector<SqlRow> rows;
  auto version = RunText("SELECT VERSION()", &rows);
  if (!version.ok()) return version.status();
  if (rows.size() == 1 && rows[0].size() == 1 && rows[0][0]) {
    server_ = ServerName(*rows[0][0], &mariadb_);
  } else {
    server_ = "MySQL";
  }
  return Status::Ok();
}

std::string MysqlSession::Describe() const {
  return (server_.empty() ? std::string("MySQL") : server_) + " at " + where_;
}

std::string MysqlSession::QuoteIdentifier(std::string_view name) const {
  std::string quoted = "`";
  for (char c : name) {
    if (c == '`') quoted += '`';
    quoted += c;
  }
  return quoted + "`";
}

Status MysqlSession::Failed(const sql::SQLException& error, std::string_view sql) {
  const int code = error.getErrorCode();
  const std::string sqlstate = error.getSQLState();
  if (ClassOfMysqlError(static_cast<unsigned>(code), sqlstate) ==
      MysqlErrorClass::kConnectionLost) {
    broken_ = true;
  }
  std::string message = ErrorText(error) + "; in: " + Abbreviate(sql);
  if (broken_) message += " (connection to " + where_ + " lost)";
  return WithCode(ClassifyMysqlError(code, sqlstate), std::move(message));
}

Status MysqlSession::Failed(const std::exception& error, std::string_view sql) {
  return Status::FailedPrecondition(std::string("MySQL Connector/C++: ") + error.what() +
                                    "; in: " + Abbreviate(sql));
}

Result<uint64_t> MysqlSession::RunText(std::string_view sql, std::vector<SqlRow>* rows) {
  try {
    std::unique_ptr<sql::Statement> statement(connection_->createStatement());
    const sql::SQLString text(sql.data(), sql.size());
    if (rows != nullptr) {
      std::unique_ptr<sql::ResultSet> result(statement->executeQuery(text));
      *rows = ReadRows(*result, /*binary_protocol=*/false);
      return uint64_t{0};
    }
    if (statement->execute(text)) {
      std::unique_ptr<sql::ResultSet> result(statement->getResultSet());  // discarded
      return uint64_t{0};
    }
    return statement->getUpdateCount();
  } catch (const sql::SQLException& error) {
    return Failed(error, sql);
  } catch (const std::exception& error) {
    return Failed(error, sql);
  }
}

Result<uint64_t> MysqlSession::Run(std::string_view sql, const std::vector<SqlParam>& params,
                                   std::vector<SqlRow>* rows) {
  if (broken_) {
    return Status::Unavailable("the connection to " + where_ +
                               " was lost earlier; in: " + Abbreviate(sql));
  }
  const std::string key(sql);
  if (params.empty() && statements_->Unpreparable(key)) return RunText(sql, rows);

  sql::PreparedStatement* statement = statements_->Find(key);
  if (statement == nullptr) {
    try {
      std::unique_ptr<sql::PreparedStatement> prepared(connection_->prepareStatement(key));
      statement = statements_->Add(key, std::move(prepared));
    } catch (const sql::SQLException& error) {
      if (error.getErrorCode() == kErUnsupportedPs && params.empty()) {
        statements_->AddUnpreparable(key);
        return RunText(sql, rows);
      }
      return Failed(error, sql);
    } catch (const std::exception& error) {
      return Failed(error, sql);
    }
  }

  // Blob streams must outlive the execution that reads them.
  std::vector<std::unique_ptr<std::istringstream>> blobs;
  Result<uint64_t> result = uint64_t{0};
  try {
    const int expected = statement->getParameterMetaData()->getParameterCount();
    if (expected != static_cast<int>(params.size())) {
      return Status::FailedPrecondition("the statement has " + std::to_string(expected) +
                                        " placeholders but " + std::to_string(params.size()) +
                                        " parameters were given; in: " + Abbreviate(sql));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const unsigned int index = static_cast<unsigned int>(i + 1);
      const SqlParam& param = params[i];
      switch (param.kind) {
        case SqlParam::Kind::kNull:
          statement->setNull(index, sql::DataType::VARCHAR);
          break;
        case SqlParam::Kind::kText:
          statement->setString(index, sql::SQLString(param.data.data(), param.data.size()));
          break;
        case SqlParam::Kind::kBinary:
          blobs.push_back(std::make_unique<std::istringstream>(param.data));
          statement->setBlob(index, blobs.back().get());
          break;
      }
    }
    if (rows != nullptr || statement->getMetaData()->getColumnCount() > 0) {
      std::unique_ptr<sql::ResultSet> result_set(statement->executeQuery());
      if (rows != nullptr) *rows = ReadRows(*result_set, /*binary_protocol=*/true);
    } else {
      const int affected = statement->executeUpdate();
      result = static_cast<uint64_t>(std::max(affected, 0));
    }
  } catch (const sql::SQLException& error) {
    result = Failed(error, sql);
  } catch (const std::exception& error) {
    result = Failed(error, sql);
  }
  if (broken_) {
    statements_->Clear();
  } else {
    try {
      statement->clearParameters();  // drops the pointers to `blobs`
    } catch (const sql::SQLException&) {
      statements_->Clear();
    }
  }
  return result;
}

Result<uint64_t> MysqlSession::Execute(std::string_view sql, const std::vector<SqlParam>& params) {
  return Run(sql, params, nullptr);
}

Result<std::vector<SqlRow>> MysqlSession::Query(std::string_view sql,
                                                const std::vector<SqlParam>& params) {
  std::vector<SqlRow> rows;
  auto ran = Run(sql, params, &rows);
  if (!ran.ok()) return ran.status();
  return rows;
}

Status MysqlSession::Begin() {
  auto ran = Execute("START TRANSACTION", {});
  return ran.ok() ? Status::Ok() : ran.status();
}

Status MysqlSession::Commit() {
  auto ran = Execute("COMMIT", {});
  return ran.ok() ? Status::Ok() : ran.status();
}

Status MysqlSession::Rollback() {
  auto ran = Execute("ROLLBACK", {});
  return ran.ok() ? Status::Ok() : ran.status();
}

Result<TargetTableInfo> MysqlSession::DescribeTable(std::string_view table) {
  const size_t dot = table.find('.');
  const SqlParam schema = dot == std::string_view::npos
                              ? SqlParam::Null()
                              : SqlParam::Text(std::string(table.substr(0, dot)));
  const std::string name(dot == std::string_view::npos ? table : table.substr(dot + 1));

  auto columns = Query(
      "SELECT TABLE_SCHEMA, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA "
      "FROM information_schema.COLUMNS "
      "WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? "
      "ORDER BY ORDINAL_POSITION",
      {schema, SqlParam::Text(name)});
  if (!columns.ok()) return columns.status().WithContext("describing table " + std::string(table));
  if (columns->empty()) {
    if (dot == std::string_view::npos && database_.empty()) {
      return Status::NotFound("table " + std::string(table) + " not found: no database given (" +
                              Describe() + "); name it as database.table");
    }
    return Status::NotFound("table " + std::string(table) + " not found at " + Describe() +
                            " (or the user may not see it)");
  }

  TargetTableInfo info;
  info.name = std::string(table);
  const std::string resolved_schema = (*columns)[0][0].value_or("");
  bool has_longtext = false;
  for (const SqlRow& row : *columns) {
    TargetColumnInfo column;
    column.name = row[1].value_or("");
    column.sql_type = LowerOutsideQuotes(row[2].value_or(""));
    column.nullable = row[3].value_or("") == "YES";
    // MariaDB shows DEFAULT NULL as the bare word NULL (a string default is
    // quoted): that is no default, as in MySQL and PostgreSQL.
    const std::optional<std::string>& default_value = row[4];
    const std::string extra = AsciiLower(row[5].value_or(""));
    column.has_default = (default_value && *default_value != "NULL") ||
                         extra.find("auto_increment") != std::string::npos ||
                         extra.find("generated") != std::string::npos;
    if (column.sql_type == "longtext") has_longtext = true;
    info.columns.push_back(std::move(column));
  }

  // MariaDB's JSON is LONGTEXT with CHECK (json_valid(`column`)): call it json.
  if (mariadb_ && has_longtext) {
    auto checks = Query(
        "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?",
        {SqlParam::Text(resolved_schema), SqlParam::Text(name)});
    if (!checks.ok() && checks.status().code() != Status::Code::kFailedPrecondition) {
      return checks.status().WithContext("describing table " + std::string(table));
    }
    if (checks.ok()) {
      for (TargetColumnInfo& column : info.columns) {
        if (column.sql_type != "longtext") continue;
        const std::string clause = "json_valid(" + QuoteIdentifier(column.name) + ")";
        for (const SqlRow& row : *checks) {
          if (!row.empty() && row[0] && AsciiLower(*row[0]) == AsciiLower(clause))
            column.sql_type = "json";
        }
      }
    }
  }
  for (TargetColumnInfo& column : info.columns) {
    column.category = MysqlCategoryOfType(column.sql_type);
  }

  auto key = Query(
      "SELECT COLUMN_NAME FROM information_schema.STATISTICS "
      "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' "
      "ORDER BY SEQ_IN_INDEX",
      {SqlParam::Text(resolved_schema), SqlParam::Text(name)});
  if (!key.ok()) return key.status().WithContext("describing table " + std::string(table));
  for (const SqlRow& row : *key) info.primary_key.push_back(row[0].value_or(""));
  return info;
}

}  // namespace deltabridge
