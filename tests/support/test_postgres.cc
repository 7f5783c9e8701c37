#include "tests/support/test_postgres.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace deltabridge::test {
namespace {

using std::chrono::seconds;

constexpr const char* kDefaultBinDir = "/usr/lib/postgresql/15/bin";
constexpr const char* kServerUser = "postgres";  // also the database superuser
// Ports are drawn below Linux's ephemeral range (32768-60999), so no outgoing
// connection can sit on a port while the server is down for a restart.
constexpr int kMinPort = 20000;
constexpr int kMaxPort = 32000;

// Owns a PGconn.
struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
// Owns a PGresult.
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Abbreviate(const std::string& sql) {
  constexpr size_t kMax = 300;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax) + "...";
}

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::string QuoteIdentifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string QuoteLiteral(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + "'";
}

// A libpq keyword value: as is when plain, else single-quoted (quote and backslash escaped).
std::string QuoteConninfoValue(const std::string& value) {
  bool plain = !value.empty();
  for (char c : value) {
    if (c == ' ' || c == '\'' || c == '\\' || c == '=' || c == '\t' || c == '\n') plain = false;
  }
  if (plain) return value;
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

bool TestHasFailed() {
  const ::testing::UnitTest* unit = ::testing::UnitTest::GetInstance();
  return unit->failed_test_count() > 0 || ::testing::Test::HasFailure() ||
         unit->ad_hoc_test_result().Failed();
}

}  // namespace

TestPostgres::TestPostgres(Options options)
    : options_(std::move(options)),
      server_({.owner = "TestPostgres",
               .program = "postgres",
               .immediate_signal = SIGQUIT,
               .escalation = {SIGQUIT, SIGKILL},
               .port_conflict_messages = {"Address already in use",
                                          "could not create any TCP/IP sockets"}},
              [this](const std::string& what) { return Failure(what); }) {}

TestPostgres::~TestPostgres() {
  Status stopped = StopImmediate();  // Ok when not running
  if (!stopped.ok()) std::fprintf(stderr, "[TestPostgres] %s\n", stopped.ToString().c_str());
  if (dir_ && TestHasFailed()) {
    std::fprintf(stderr, "[TestPostgres] a test failed; server log %s (tail):\n%s\n",
                 log_path().c_str(), LogTail().c_str());
  }
}

Status TestPostgres::Failure(const std::string& what) const {
  std::string message = "TestPostgres: " + what;
  if (dir_) message += "\n--- server log tail (" + log_path() + ") ---\n" + LogTail(40);
  return Status::Unavailable(message);
}

Status TestPostgres::InitCluster() {
  bin_dir_ = options_.bin_dir;
  if (bin_dir_.empty()) {
    const char* env = std::getenv("DELTABRIDGE_PG_BIN");
    bin_dir_ = (env != nullptr && env[0] != '\0') ? env : kDefaultBinDir;
  }
  if (!Executable(bin_dir_ + "/initdb") || !Executable(bin_dir_ + "/postgres")) {
    return Status::NotFound("TestPostgres: no initdb/postgres in " + bin_dir_ +
                            " (install postgresql-15 with scripts/install-deps.sh, or set "
                            "DELTABRIDGE_PG_BIN)");
  }
  run_as_ = ::geteuid() == 0 ? kServerUser : "";

  DB_ASSIGN_OR_RETURN_CTX(TempDir dir, TempDir::Create("deltabridge-pg-"), "TestPostgres");
  // sockaddr_un holds 107 characters; PostgreSQL adds "/.s.PGSQL.NNNNN".
  constexpr size_t kMaxSocketDir = 107 - 16;
  if (dir.path().size() > kMaxSocketDir) {
    return Status::InvalidArgument("TestPostgres: temporary directory " + dir.path() +
                                   " is too long for a Unix socket path; set a shorter TMPDIR");
  }
  if (!run_as_.empty()) DB_RETURN_IF_ERROR(dir.Chown(run_as_).WithContext("TestPostgres"));

  ProcessOptions process;
  process.working_dir = dir.path();
  process.user = run_as_;
  process.env = {"LC_ALL=C", "TZ=UTC"};
  // --no-sync: the cluster lives no longer than this process.
  DB_ASSIGN_OR_RETURN_CTX(
      RunResult initdb,
      RunCommand({bin_dir_ + "/initdb", "--pgdata=" + dir.Join("data"),
                  "--username=" + std::string(kServerUser), "--encoding=UTF8", "--locale=C",
                  "--auth=trust", "--no-sync", "--no-instructions"},
                 seconds(300), process),
      "TestPostgres: initdb");
  if (!initdb.ok()) return Status::Unavailable("TestPostgres: initdb " + initdb.Describe());
  dir_.emplace(std::move(dir));

  DB_RETURN_IF_ERROR(WriteStringToFile(dir_->Join("data/pg_hba.conf"),
                                       "# Written by TestPostgres: trust, loopback only.\n"
                                       "local all         all              trust\n"
                                       "local replication all              trust\n"
                                       "host  all         all 127.0.0.1/32 trust\n"
                                       "host  replication all 127.0.0.1/32 trust\n"));
  // Our settings live in their own file, rewritten before each start.
  DB_RETURN_IF_ERROR(WriteConfig());
  DB_ASSIGN_OR_RETURN(std::string conf, ReadFileToString(dir_->Join("data/postgresql.conf")));
  DB_RETURN_IF_ERROR(WriteStringToFile(dir_->Join("data/postgresql.conf"),
                                       conf + "\ninclude 'deltabridge_test.conf'\n"));
  if (!run_as_.empty()) return dir_->Chown(run_as_).WithContext("TestPostgres");
  return Status::Ok();
}

Status TestPostgres::WriteConfig() const {
  std::string conf =
      "# Written by TestPostgres (tests/support/test_postgres.cc).\n"
      "listen_addresses = '127.0.0.1'\n"
      "port = " +
      std::to_string(port_) +
      "\n"
      "unix_socket_directories = " +
      QuoteLiteral(dir_->path()) +
      "\n"
      "wal_level = logical\n"
      "max_replication_slots = 32\n"
      "max_wal_senders = 32\n"
      "max_connections = 100\n"
      "shared_buffers = 16MB\n"
      "fsync = " +
      std::string(options_.fsync ? "on" : "off") +
      "\n"
      "logging_collector = off\n"
      "log_destination = 'stderr'\n"
      // Warnings and up, plus LOG lines (start, stop, recovery), which rank
      // above WARNING for the server log.
      "log_min_messages = warning\n"
      "log_line_prefix = '%m [%p] %q%u@%d '\n"
      "lc_messages = 'C'\n"
      "timezone = 'UTC'\n";
  for (const std::string& line : options_.extra_config) conf += line + "\n";
  return WriteStringToFile(dir_->Join("data/deltabridge_test.conf"), conf);
}

Status TestPostgres::Start() {
  if (IsRunning()) return Status::Ok();
  if (!dir_) DB_RETURN_IF_ERROR(InitCluster());
  DB_RETURN_IF_ERROR(
      server_.StartOnFreePort(kMinPort, kMaxPort, started_once_, &port_,
                              [this](bool* conflict) { return StartOnce(conflict); }));
  started_once_ = true;
  return Status::Ok();
}

Status TestPostgres::StartOnce(bool* port_conflict) {
  DB_RETURN_IF_ERROR(WriteConfig());
  ProcessOptions process;
  process.working_dir = dir_->path();
  process.user = run_as_;
  process.env = {"LC_ALL=C", "TZ=UTC"};
  process.output_path = log_path();
  process.parent_death_signal = SIGQUIT;  // immediate shutdown if we die
  // Ready once it answers on its own Unix socket, which no other server uses.
  const std::string probe = "host=" + QuoteConninfoValue(dir_->path()) +
                            " port=" + std::to_string(port_) +
                            " user=postgres dbname=postgres connect_timeout=5";
  return server_.Launch(
      {bin_dir_ + "/postgres", "-D", data_dir()}, process, port_, options_.start_timeout,
      [&probe] { return PQping(probe.c_str()) == PQPING_OK; }, port_conflict);
}

// The signals `pg_ctl stop` sends.
Status TestPostgres::Stop() { return server_.Shutdown(SIGINT, "fast"); }

Status TestPostgres::StopImmediate() { return server_.StopImmediate(); }

Status TestPostgres::Restart() {
  DB_RETURN_IF_ERROR(Stop());
  return Start();
}

bool TestPostgres::IsRunning() { return server_.IsRunning(); }

std::string TestPostgres::Conninfo(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " user=postgres dbname=" + QuoteConninfoValue(dbname);
}

Result<std::vector<TestPostgres::Row>> TestPostgres::Query(const std::string& sql,
                                                           const std::string& dbname) const {
  const std::string conninfo =
      Conninfo(dbname) + " connect_timeout=10 sslmode=disable gssencmode=disable";
  PgConnPtr conn(PQconnectdb(conninfo.c_str()));
  if (conn == nullptr) return Status::Unavailable("TestPostgres: out of memory in PQconnectdb");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::Unavailable("TestPostgres: connect " + conninfo + ": " +
                               TrimRight(PQerrorMessage(conn.get())));
  }
  PgResultPtr result(PQexec(conn.get(), sql.c_str()));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = result ? PQresultErrorMessage(result.get()) : "";
    if (message.empty()) message = PQerrorMessage(conn.get());
    const char* sqlstate = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    return Status::InvalidArgument("TestPostgres: SQL failed in database " + dbname + " (port " +
                                   std::to_string(port_) + "): " + TrimRight(message) +
                                   (sqlstate ? std::string(" [SQLSTATE ") + sqlstate + "]" : "") +
                                   "\n  SQL: " + Abbreviate(sql));
  }
  std::vector<Row> rows;
  const int n_rows = PQntuples(result.get());
  const int n_cols = PQnfields(result.get());
  rows.reserve(static_cast<size_t>(n_rows));
  for (int r = 0; r < n_rows; ++r) {
    Row row;
    row.reserve(static_cast<size_t>(n_cols));
    for (int c = 0; c < n_cols; ++c) {
      if (PQgetisnull(result.get(), r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                     static_cast<size_t>(PQgetlength(result.get(), r, c))));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Status TestPostgres::Exec(const std::string& sql, const std::string& dbname) const {
  auto rows = Query(sql, dbname);
  return rows.ok() ? Status::Ok() : rows.status();
}

Result<std::string> TestPostgres::QueryValue(const std::string& sql,
                                             const std::string& dbname) const {
  DB_ASSIGN_OR_RETURN(std::vector<Row> rows, Query(sql, dbname));
  if (rows.size() != 1 || rows[0].size() != 1) {
    return Status::InvalidArgument("TestPostgres: expected one value, got " +
                                   std::to_string(rows.size()) +
                                   " row(s) from: " + Abbreviate(sql));
  }
  if (!rows[0][0]) return Status::NotFound("TestPostgres: NULL from: " + Abbreviate(sql));
  return *rows[0][0];
}

Status TestPostgres::CreateDatabase(const std::string& name) const {
  return Exec("CREATE DATABASE " + QuoteIdentifier(name));
}

std::string TestPostgres::LogTail(size_t max_lines) const {
  if (!dir_) return "(no server log: the cluster was never created)";
  auto log = ReadFileToString(log_path());
  if (!log.ok()) return "(" + log.status().ToString() + ")";
  if (log->empty()) return "(server log is empty)";
  return TailLines(*log, max_lines);
}

}  // namespace deltabridge::test
