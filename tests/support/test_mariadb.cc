#include "tests/support/test_mariadb.h"

#include <gtest/gtest.h>
#include <mysql.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

namespace deltabridge::test {
namespace {

using std::chrono::seconds;

constexpr const char* kDefaultMariadbd = "/usr/sbin/mariadbd";
constexpr const char* kDefaultInstallDb = "/usr/bin/mariadb-install-db";
constexpr const char* kServerUser = "mysql";  // the system user mariadbd runs as under root
constexpr const char* kPassword = "deltabridge-test-secret";
// Ports are drawn below Linux's ephemeral range (32768-60999), so no outgoing
// connection can sit on a port while the server is down for a restart, and
// apart from TestPostgres's [20000, 32000).
constexpr int kMinPort = 12000;
constexpr int kMaxPort = 20000;
// InnoDB sizes for a test server: small, and the same for mariadb-install-db
// and mariadbd so the redo log is never resized.
constexpr const char* kBufferPoolSize = "--innodb-buffer-pool-size=64M";
constexpr const char* kLogFileSize = "--innodb-log-file-size=16M";

// Owns a MYSQL handle from libmariadb.
struct MysqlCloser {
  void operator()(MYSQL* mysql) const { mysql_close(mysql); }
};
using MysqlPtr = std::unique_ptr<MYSQL, MysqlCloser>;
// Owns a MYSQL_RES.
struct MysqlResultFreer {
  void operator()(MYSQL_RES* result) const { mysql_free_result(result); }
};
using MysqlResultPtr = std::unique_ptr<MYSQL_RES, MysqlResultFreer>;

std::string Abbreviate(const std::string& sql) {
  constexpr size_t kMax = 300;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax) + "...";
}

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::string FromEnv(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return (value != nullptr && value[0] != '\0') ? value : fallback;
}

std::string QuoteIdentifier(const std::string& name) {
  std::string quoted = "`";
  for (char c : name) {
    if (c == '`') quoted += '`';
    quoted += c;
  }
  return quoted + "`";
}

bool TestHasFailed() {
  const ::testing::UnitTest* unit = ::testing::UnitTest::GetInstance();
  return unit->failed_test_count() > 0 || ::testing::Test::HasFailure() ||
         unit->ad_hoc_test_result().Failed();
}

// libmariadb must be initialized once before threads use it.
void InitMysqlLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

// "error 1064 (SQLSTATE 42000): message" for the last error on `mysql`.
std::string MysqlErrorText(MYSQL* mysql) {
  return "error " + std::to_string(mysql_errno(mysql)) + " (SQLSTATE " + mysql_sqlstate(mysql) +
         "): " + mysql_error(mysql);
}

// A connection as root over the server's Unix socket; multi statements on.
Result<MysqlPtr> ConnectSocket(const std::string& socket, const std::string& database,
                               unsigned int connect_timeout_s) {
  InitMysqlLibrary();
  MysqlPtr mysql(mysql_init(nullptr));
  if (mysql == nullptr) return Status::Unavailable("TestMariadb: out of memory in mysql_init");
  unsigned int protocol = MYSQL_PROTOCOL_SOCKET;
  unsigned int read_timeout_s = 600;
  mysql_options(mysql.get(), MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(mysql.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout_s);
  mysql_options(mysql.get(), MYSQL_OPT_READ_TIMEOUT, &read_timeout_s);
  mysql_options(mysql.get(), MYSQL_OPT_WRITE_TIMEOUT, &read_timeout_s);
  mysql_options(mysql.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (mysql_real_connect(mysql.get(), "localhost", "root", nullptr,
                         database.empty() ? nullptr : database.c_str(), 0, socket.c_str(),
                         CLIENT_MULTI_STATEMENTS) == nullptr) {
    return Status::Unavailable("TestMariadb: connect as root over " + socket +
                               (database.empty() ? "" : " to database " + database) + ": " +
                               MysqlErrorText(mysql.get()));
  }
  return mysql;
}

}  // namespace

TestMariadb::TestMariadb(Options options)
    : options_(std::move(options)),
      server_({.owner = "TestMariadb",
               .program = "mariadbd",
               .immediate_signal = SIGKILL,
               .escalation = {SIGKILL},
               .port_conflict_messages = {"Address already in use", "Bind on TCP/IP port"}},
              [this](const std::string& what) { return Failure(what); }) {}

TestMariadb::~TestMariadb() {
  Status stopped = StopImmediate();  // Ok when not running
  if (!stopped.ok()) std::fprintf(stderr, "[TestMariadb] %s\n", stopped.ToString().c_str());
  if (dir_ && TestHasFailed()) {
    std::fprintf(stderr, "[TestMariadb] a test failed; server log %s (tail):\n%s\n",
                 log_path().c_str(), LogTail().c_str());
  }
}

std::string TestMariadb::password() const { return kPassword; }

Status TestMariadb::Failure(const std::string& what) const {
  std::string message = "TestMariadb: " + what;
  if (dir_) message += "\n--- server log tail (" + log_path() + ") ---\n" + LogTail(40);
  return Status::Unavailable(message);
}

Status TestMariadb::InitDataDir() {
  mariadbd_ = !options_.mariadbd.empty() ? options_.mariadbd
                                         : FromEnv("DELTABRIDGE_MARIADBD", kDefaultMariadbd);
  install_db_ = !options_.install_db.empty()
                    ? options_.install_db
                    : FromEnv("DELTABRIDGE_MARIADB_INSTALL_DB", kDefaultInstallDb);
  if (!Executable(mariadbd_) || !Executable(install_db_)) {
    return Status::NotFound("TestMariadb: no " + mariadbd_ + " or " + install_db_ +
                            " (install mariadb-server with scripts/install-deps.sh, or set "
                            "DELTABRIDGE_MARIADBD and DELTABRIDGE_MARIADB_INSTALL_DB)");
  }
  run_as_ = ::geteuid() == 0 ? kServerUser : "";

  DB_ASSIGN_OR_RETURN_CTX(TempDir dir, TempDir::Create("deltabridge-my-"), "TestMariadb");
  // sockaddr_un holds 107 characters.
  constexpr size_t kMaxSocketDir = 107 - sizeof("/mysqld.sock");
  if (dir.path().size() > kMaxSocketDir) {
    return Status::InvalidArgument("TestMariadb: temporary directory " + dir.path() +
                                   " is too long for a Unix socket path; set a shorter TMPDIR");
  }
  std::error_code ec;
  std::filesystem::create_directory(dir.Join("tmp"), ec);
  if (ec) return Status::IoError("TestMariadb: mkdir " + dir.Join("tmp") + ": " + ec.message());
  // mariadbd appends to its log as run_as_; we append the process's own
  // stdout and stderr to it too (Child opens that as us): create it first.
  DB_RETURN_IF_ERROR(WriteStringToFile(dir.Join("mariadb.log"), ""));
  if (!run_as_.empty()) DB_RETURN_IF_ERROR(dir.Chown(run_as_).WithContext("TestMariadb"));

  ProcessOptions process;
  process.working_dir = dir.path();
  process.user = run_as_;
  process.env = {"LC_ALL=C", "TZ=UTC"};
  std::vector<std::string> argv = {
      install_db_, "--no-defaults", "--datadir=" + dir.Join("data"),
      "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
      // Passed on to the bootstrap mariadbd.
      kBufferPoolSize, kLogFileSize, "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci", "--tmpdir=" + dir.Join("tmp")};
  if (!run_as_.empty()) argv.push_back("--user=" + run_as_);
  DB_ASSIGN_OR_RETURN_CTX(RunResult install, RunCommand(argv, seconds(300), process),
                          "TestMariadb: mariadb-install-db");
  if (!install.ok()) {
    return Status::Unavailable("TestMariadb: mariadb-install-db " + install.Describe());
  }
  dir_.emplace(std::move(dir));
  return Status::Ok();
}

std::vector<std::string> TestMariadb::ServerArgs() const {
  std::vector<std::string> args = {
      mariadbd_,
      "--no-defaults",
      "--datadir=" + data_dir(),
      "--socket=" + socket_path(),
      "--port=" + std::to_string(port_),
      "--bind-address=127.0.0.1",
      "--skip-name-resolve",
      "--log-error=" + log_path(),
      "--pid-file=" + dir_->Join("mariadbd.pid"),
      "--tmpdir=" + dir_->Join("tmp"),
      kBufferPoolSize,
      kLogFileSize,
      // See the durability note in the header.
      "--innodb-flush-log-at-trx-commit=2",
      "--innodb-buffer-pool-dump-at-shutdown=OFF",
      "--innodb-buffer-pool-load-at-startup=OFF",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci",
      "--default-time-zone=+00:00",
      "--max-connections=200",
  };
  if (options_.binlog) {
    for (const char* arg :
         {"--log-bin=mariadb-bin", "--binlog-format=ROW", "--binlog-row-image=FULL",
          "--binlog-row-metadata=FULL", "--gtid-strict-mode=ON", "--sync-binlog=0"}) {
      args.emplace_back(arg);
    }
    args.push_back("--server-id=" + std::to_string(options_.server_id));
  }
  for (const std::string& arg : options_.extra_args) args.push_back(arg);
  return args;
}

Status TestMariadb::Start() {
  if (IsRunning()) return Status::Ok();
  if (!dir_) DB_RETURN_IF_ERROR(InitDataDir());
  DB_RETURN_IF_ERROR(
      server_.StartOnFreePort(kMinPort, kMaxPort, started_once_, &port_,
                              [this](bool* conflict) { return StartOnce(conflict); }));
  if (!started_once_) DB_RETURN_IF_ERROR(CreateTcpAccounts());
  started_once_ = true;
  return Status::Ok();
}

Status TestMariadb::StartOnce(bool* port_conflict) {
  ProcessOptions process;
  process.working_dir = dir_->path();
  process.user = run_as_;
  process.env = {"LC_ALL=C", "TZ=UTC"};
  process.output_path = log_path();
  process.parent_death_signal = SIGKILL;  // a crash if we die; the next start recovers
  // Ready once it answers on its own Unix socket, which no other server uses.
  return server_.Launch(
      ServerArgs(), process, port_, options_.start_timeout,
      [this] { return ConnectSocket(socket_path(), "", 5).ok(); }, port_conflict);
}

Status TestMariadb::CreateTcpAccounts() const {
  // mariadb-install-db made root@127.0.0.1 without a password; with
  // --skip-name-resolve it is the account TCP clients from 127.0.0.1 match.
  std::string sql;
  for (const char* host : {"127.0.0.1", "%"}) {
    const std::string account = std::string("'root'@'") + host + "'";
    sql += "CREATE USER IF NOT EXISTS " + account + ";\n";
    sql += "ALTER USER " + account + " IDENTIFIED BY '" + kPassword + "';\n";
    sql += "GRANT ALL PRIVILEGES ON *.* TO " + account + " WITH GRANT OPTION;\n";
  }
  Status status = Exec(sql);
  return status.ok() ? status : Failure("creating the TCP accounts: " + status.message());
}

Status TestMariadb::Stop() { return server_.Shutdown(SIGTERM, "normal"); }

Status TestMariadb::StopImmediate() { return server_.StopImmediate(); }

Status TestMariadb::Restart() {
  DB_RETURN_IF_ERROR(Stop());
  return Start();
}

bool TestMariadb::IsRunning() { return server_.IsRunning(); }

Result<std::vector<TestMariadb::Row>> TestMariadb::Query(const std::string& sql,
                                                         const std::string& database) const {
  if (!dir_) return Status::FailedPrecondition("TestMariadb: not started");
  DB_ASSIGN_OR_RETURN(MysqlPtr mysql, ConnectSocket(socket_path(), database, 10));
  MYSQL* m = mysql.get();
  auto failed = [&] {
    return Status::InvalidArgument("TestMariadb: SQL failed" +
                                   (database.empty() ? "" : " in database " + database) +
                                   " (port " + std::to_string(port_) + "): " + MysqlErrorText(m) +
                                   "\n  SQL: " + Abbreviate(sql));
  };
  if (mysql_real_query(m, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    return failed();
  }
  std::vector<Row> rows;
  while (true) {
    MysqlResultPtr result(mysql_store_result(m));
    if (result) {
      rows.clear();
      const unsigned int n_cols = mysql_num_fields(result.get());
      while (MYSQL_ROW values = mysql_fetch_row(result.get())) {
        const unsigned long* lengths = mysql_fetch_lengths(result.get());
        Row row;
        row.reserve(n_cols);
        for (unsigned int c = 0; c < n_cols; ++c) {
          if (values[c] == nullptr) {
            row.emplace_back(std::nullopt);
          } else {
            row.emplace_back(std::string(values[c], lengths[c]));
          }
        }
        rows.push_back(std::move(row));
      }
    } else if (mysql_field_count(m) != 0) {
      return failed();  // a result set that could not be read
    }
    const int next = mysql_next_result(m);
    if (next > 0) return failed();
    if (next < 0) break;
  }
  return rows;
}

Status TestMariadb::Exec(const std::string& sql, const std::string& database) const {
  auto rows = Query(sql, database);
  return rows.ok() ? Status::Ok() : rows.status();
}

Result<std::string> TestMariadb::QueryValue(const std::string& sql,
                                            const std::string& database) const {
  DB_ASSIGN_OR_RETURN(std::vector<Row> rows, Query(sql, database));
  if (rows.size() != 1 || rows[0].size() != 1) {
    return Status::InvalidArgument("TestMariadb: expected one value, got " +
                                   std::to_string(rows.size()) +
                                   " row(s) from: " + Abbreviate(sql));
  }
  if (!rows[0][0]) return Status::NotFound("TestMariadb: NULL from: " + Abbreviate(sql));
  return *rows[0][0];
}

Status TestMariadb::CreateDatabase(const std::string& name) const {
  return Exec("CREATE DATABASE " + QuoteIdentifier(name) +
              " CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
}

std::string TestMariadb::LogTail(size_t max_lines) const {
  if (!dir_) return "(no server log: the data directory was never created)";
  auto log = ReadFileToString(log_path());
  if (!log.ok()) return "(" + log.status().ToString() + ")";
  if (log->empty()) return "(server log is empty)";
  return TailLines(*log, max_lines);
}

}  // namespace deltabridge::test
