#include "cdc/pg/pg_connection.h"

#include <utility>

#include "cdc/config/conninfo.h"

namespace deltabridge {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The session settings that pg_value.h's conversions assume.
constexpr const char* kSessionOptions =
    "-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3";

}  // namespace

PgConn::~PgConn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

PgConn::PgConn(PgConn&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}

PgConn& PgConn::operator=(PgConn&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
  }
  return *this;
}

Result<PgConn> PgConn::Connect(const std::string& conninfo, bool replication,
                               const std::string& application_name) {
  // Expand the user's conninfo first, then add ours; later keywords win in libpq
  // only for expand_dbname, so pass the user's string as "dbname" to be expanded.
  std::vector<const char*> keys = {"dbname", "application_name", "options", "connect_timeout"};
  std::vector<const char*> values = {conninfo.c_str(), application_name.c_str(), kSessionOptions,
                                     "10"};
  if (replication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (c == nullptr) return Status::Unavailable("out of memory creating a libpq connection");
  PgConn conn(c);
  if (PQstatus(c) != CONNECTION_OK) {
    return Status::Unavailable("cannot connect to PostgreSQL (" + RedactConninfo(conninfo) +
                               "): " + conn.LastError());
  }
  return conn;
}

std::string PgConn::LastError() const {
  if (conn_ == nullptr) return "no connection";
  return Trim(PQerrorMessage(conn_));
}

std::string PgConn::SqlState(const PGresult* r) {
  if (r == nullptr) return "";
  const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return s ? s : "";
}

Status PgConn::CheckResult(const PGresult* r, const std::string& sql) const {
  if (r == nullptr) return Status::Unavailable("query failed: " + LastError());
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_BOTH ||
      st == PGRES_COPY_OUT) {
    return Status::Ok();
  }
  std::string msg = Trim(PQresultErrorMessage(r));
  std::string state = SqlState(r);
  std::string text = "\"" + sql.substr(0, 200) + "\" failed: " + msg;
  if (!state.empty()) text += " (SQLSTATE " + state + ")";
  if (PQstatus(conn_) != CONNECTION_OK) return Status::Unavailable(text);
  return Status::InvalidArgument(text);
}

Status PgConn::Exec(const std::string& sql) {
  PgResultPtr r(PQexec(conn_, sql.c_str()));
  return CheckResult(r.get(), sql);
}

namespace {
PgRows ToRows(const PGresult* r) {
  PgRows rows;
  int nf = PQnfields(r), nt = PQntuples(r);
  for (int f = 0; f < nf; ++f) rows.columns.emplace_back(PQfname(r, f));
  rows.rows.resize(nt);
  rows.nulls.resize(nt);
  for (int t = 0; t < nt; ++t) {
    rows.rows[t].reserve(nf);
    rows.nulls[t].reserve(nf);
    for (int f = 0; f < nf; ++f) {
      rows.rows[t].emplace_back(PQgetvalue(r, t, f), PQgetlength(r, t, f));
      rows.nulls[t].push_back(PQgetisnull(r, t, f) != 0);
    }
  }
  return rows;
}
}  // namespace

Result<PgRows> PgConn::Query(const std::string& sql) {
  PgResultPtr r(PQexec(conn_, sql.c_str()));
  Status s = CheckResult(r.get(), sql);
  if (!s.ok()) return s;
  return ToRows(r.get());
}

Result<PgRows> PgConn::QueryParams(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  PgResultPtr r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0));
  Status s = CheckResult(r.get(), sql);
  if (!s.ok()) return s;
  return ToRows(r.get());
}

std::string PgConn::EscapeIdentifier(std::string_view ident) const {
  char* e = PQescapeIdentifier(conn_, ident.data(), ident.size());
  if (e == nullptr) return QuoteIdent(ident);
  std::string out(e);
  PQfreemem(e);
  return out;
}

std::string PgConn::EscapeLiteral(std::string_view text) const {
  char* e = PQescapeLiteral(conn_, text.data(), text.size());
  if (e == nullptr) return "''";
  std::string out(e);
  PQfreemem(e);
  return out;
}

std::string QuoteIdent(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace deltabridge
