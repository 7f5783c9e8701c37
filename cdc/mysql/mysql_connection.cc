#include "cdc/mysql/mysql_connection.h"

#include <mutex>

#include "cdc/clients/mysql/mysql_errors.h"

namespace deltabridge::mysql {

namespace {

// mysql_library_init is not thread-safe; sources connect from their own threads.
void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

}  // namespace

std::string MysqlConnParams::Describe() const {
  return user + "@" + host + ":" + std::to_string(port);
}

std::string QuoteIdent(const std::string& ident) {
  std::string out = "`";
  for (char c : ident) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

MysqlConn::~MysqlConn() {
  if (mysql_ != nullptr) mysql_close(mysql_);
}

MysqlConn& MysqlConn::operator=(MysqlConn&& other) noexcept {
  if (this != &other) {
    if (mysql_ != nullptr) mysql_close(mysql_);
    mysql_ = other.mysql_;
    other.mysql_ = nullptr;
  }
  return *this;
}

Result<MysqlConn> MysqlConn::Connect(const MysqlConnParams& p) {
  InitLibraryOnce();
  MYSQL* m = mysql_init(nullptr);
  if (m == nullptr) return Status::IoError("mysql_init failed (out of memory)");
  MysqlConn conn(m);
  unsigned timeout = p.connect_timeout_s;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (p.read_timeout_s > 0) {
    unsigned rt = p.read_timeout_s;
    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rt);
    mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &rt);
  }
  unsigned long max_packet = 1024UL * 1024 * 1024;
  mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  my_bool reconnect = 0;
  mysql_optionsv(m, MYSQL_OPT_RECONNECT, &reconnect);
  // Plain TCP to the configured host (never the local socket for "localhost").
  unsigned proto = MYSQL_PROTOCOL_TCP;
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
  if (mysql_real_connect(m, p.host.c_str(), p.user.c_str(), p.password.c_str(),
                         p.database.empty() ? nullptr : p.database.c_str(), p.port, nullptr,
                         CLIENT_MULTI_RESULTS) == nullptr) {
    return conn.LastError("connecting to " + p.Describe());
  }
  // Values are read as UTC, as the binlog holds TIMESTAMPs.
  DB_RETURN_IF_ERROR(conn.Exec("SET time_zone = '+00:00'"));
  return conn;
}

Status MysqlConn::LastError(const std::string& what) const {
  if (mysql_ == nullptr) return Status::Unavailable(what + ": not connected");
  unsigned e = mysql_errno(mysql_);
  std::string msg = what + ": " + mysql_error(mysql_) + " (error " + std::to_string(e) + ")";
  if (e == 0) return Status::Unavailable(what + ": connection lost");
  switch (ClassOfMysqlError(e, mysql_sqlstate(mysql_))) {
    case MysqlErrorClass::kConnectionLost:
    case MysqlErrorClass::kRetryTransaction:
      return Status::Unavailable(msg);
    case MysqlErrorClass::kAccessDenied:
      return Status::FailedPrecondition(msg);
    case MysqlErrorClass::kRejected:
    case MysqlErrorClass::kOther:
      break;
  }
  return Status::InvalidArgument(msg);
}

Status MysqlConn::Exec(const std::string& sql) {
  if (mysql_ == nullptr) return Status::Unavailable("not connected");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError(sql);
  // Drain every result so the connection is ready for the next statement.
  do {
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (res != nullptr)
      mysql_free_result(res);
    else if (mysql_field_count(mysql_) != 0)
      return LastError(sql);
  } while (mysql_next_result(mysql_) == 0);
  if (mysql_errno(mysql_) != 0) return LastError(sql);
  return Status::Ok();
}

Result<std::vector<MysqlConn::Row>> MysqlConn::Query(const std::string& sql) {
  if (mysql_ == nullptr) return Status::Unavailable("not connected");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError(sql);
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (res == nullptr) {
    if (mysql_field_count(mysql_) != 0) return LastError(sql);
    return std::vector<Row>{};
  }
  std::vector<Row> rows;
  const unsigned n = mysql_num_fields(res);
  while (MYSQL_ROW r = mysql_fetch_row(res)) {
    unsigned long* len = mysql_fetch_lengths(res);
    Row row(n);
    for (unsigned i = 0; i < n; ++i) {
      if (r[i] != nullptr) row[i] = std::string(r[i], len[i]);
    }
    rows.push_back(std::move(row));
  }
  mysql_free_result(res);
  while (mysql_next_result(mysql_) == 0) {
    MYSQL_RES* more = mysql_store_result(mysql_);
    if (more != nullptr) mysql_free_result(more);
  }
  return rows;
}

Result<std::optional<std::string>> MysqlConn::QueryValue(const std::string& sql) {
  Result<std::vector<Row>> rows = Query(sql);
  if (!rows.ok()) return rows.status();
  if (rows->empty() || (*rows)[0].empty()) return std::optional<std::string>();
  return (*rows)[0][0];
}

std::string MysqlConn::Quote(const std::string& s) {
  std::string out(s.size() * 2 + 1, '\0');
  unsigned long n = mysql_real_escape_string(mysql_, out.data(), s.data(), s.size());
  out.resize(n);
  return "'" + out + "'";
}

bool MysqlConn::is_mariadb() const { return server_version().find("MariaDB") != std::string::npos; }

std::string MysqlConn::server_version() const {
  const char* v = mysql_ != nullptr ? mysql_get_server_info(mysql_) : nullptr;
  return v != nullptr ? v : "";
}

}  // namespace deltabridge::mysql
