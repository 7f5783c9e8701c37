// Self-test of TestMariadb: a real MariaDB 10.11, started, crashed and
// restarted.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <mysql.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_mariadb.h"

namespace deltabridge::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Whether `pid` names a live process (not a zombie).
bool ProcessAlive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  auto stat = ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return false;
  const size_t paren = stat->rfind(')');
  return paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] != 'Z';
}

bool WaitUntilGone(pid_t pid, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (ProcessAlive(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// The value of a one-value query, or "error: ..." so that a failure is a mismatch.
std::string ValueOf(const Result<std::string>& result) {
  return result.ok() ? *result : "error: " + result.status().ToString();
}

pid_t ServerPid(const TestMariadb& db) {
  auto pid_file = ReadFileToString(db.dir() + "/mariadbd.pid");
  return pid_file.ok() ? std::stoi(*pid_file) : 0;
}

// Connects over TCP the way code under test does; "" when it worked, else the error.
std::string TcpConnectError(const TestMariadb& db, const std::string& password) {
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return "mysql_init failed";
  unsigned int protocol = MYSQL_PROTOCOL_TCP;
  unsigned int timeout = 10;
  mysql_options(mysql, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  std::string error;
  if (mysql_real_connect(mysql, db.host().c_str(), db.user().c_str(), password.c_str(), nullptr,
                         static_cast<unsigned int>(db.port()), nullptr, 0) == nullptr) {
    error = std::to_string(mysql_errno(mysql)) + ": " + mysql_error(mysql);
  }
  mysql_close(mysql);
  return error;
}

// One server for the suite: install and start-up cost seconds.
class TestMariadbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = std::make_unique<TestMariadb>();
    Status started = db_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  static void TearDownTestSuite() { db_.reset(); }

  void SetUp() override {
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(db_->IsRunning()) << db_->LogTail();
  }

  static std::unique_ptr<TestMariadb> db_;
};
std::unique_ptr<TestMariadb> TestMariadbTest::db_;

TEST_F(TestMariadbTest, RunsSql) {
  ASSERT_TRUE(db_->CreateDatabase("run_sql").ok());
  Status created = db_->Exec(
      "CREATE TABLE t (id int PRIMARY KEY, name varchar(20), bytes varbinary(10));"
      "INSERT INTO t VALUES (1, 'één', 0x00ff00), (2, NULL, NULL);",
      "run_sql");
  ASSERT_TRUE(created.ok()) << created.ToString();
  auto rows = db_->Query("SELECT id, name, bytes FROM t ORDER BY id", "run_sql");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0][0], "1");
  EXPECT_EQ((*rows)[0][1], "één");
  EXPECT_EQ((*rows)[0][2], std::string("\0\xff\0", 3));
  EXPECT_EQ((*rows)[1][1], std::nullopt);
  EXPECT_EQ((*rows)[1][2], std::nullopt);
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT count(*) FROM run_sql.t")), "2");
  // Several statements: the last result set.
  EXPECT_EQ(ValueOf(db_->QueryValue("SET @x = 41; SELECT @x + 1")), "42");
  EXPECT_FALSE(db_->QueryValue("SELECT NULL").ok());
  EXPECT_FALSE(db_->QueryValue("SELECT 1, 2").ok());
}

TEST_F(TestMariadbTest, IsConfiguredForTests) {
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT @@port")), std::to_string(db_->port()));
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT @@bind_address")), "127.0.0.1");
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT @@socket")), db_->socket_path());
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT @@character_set_server")), "utf8mb4");
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT @@innodb_flush_log_at_trx_commit")), "2");
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT @@log_bin")), "0");
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT @@datadir")), db_->data_dir() + "/");
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT LEFT(VERSION(), 6)")), "10.11.");
  EXPECT_EQ(db_->host(), "127.0.0.1");
}

TEST_F(TestMariadbTest, TcpAccountNeedsThePassword) {
  EXPECT_EQ(TcpConnectError(*db_, db_->password()), "");
  const std::string wrong = TcpConnectError(*db_, "wrong");
  EXPECT_NE(wrong.find("1045"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("Access denied"), std::string::npos) << wrong;
}

TEST_F(TestMariadbTest, SqlErrorsAreValuesWithTheServerMessage) {
  Status bad = db_->Exec("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("1064"), std::string::npos) << bad.ToString();
  EXPECT_NE(bad.message().find("42000"), std::string::npos) << bad.ToString();
  EXPECT_NE(bad.message().find("SELEC 1"), std::string::npos) << bad.ToString();
  // A failure in a later statement of several is reported too.
  EXPECT_FALSE(db_->Exec("SELECT 1; SELECT * FROM no_such_db.t").ok());
  EXPECT_FALSE(db_->Exec("SELECT 1", "no_such_database").ok());
}

TEST_F(TestMariadbTest, CreateDatabaseQuotesTheName) {
  ASSERT_TRUE(db_->CreateDatabase("odd `name` db").ok());
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT DATABASE()", "odd `name` db")), "odd `name` db");
}

TEST_F(TestMariadbTest, RestartKeepsDataAndPort) {
  ASSERT_TRUE(db_->CreateDatabase("restart").ok());
  ASSERT_TRUE(db_->Exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)", "restart").ok());
  const int port = db_->port();
  Status restarted = db_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  EXPECT_EQ(db_->port(), port);
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT v FROM kept", "restart")), "7");
  EXPECT_EQ(TcpConnectError(*db_, db_->password()), "");
}

TEST_F(TestMariadbTest, ImmediateStopIsACrashThatRecovers) {
  ASSERT_TRUE(db_->CreateDatabase("crash").ok());
  ASSERT_TRUE(db_->Exec("CREATE TABLE c (v int) ENGINE=InnoDB;"
                        "INSERT INTO c VALUES (1), (2);"
                        "START TRANSACTION; INSERT INTO c VALUES (100); COMMIT;",
                        "crash")
                  .ok());
  const int port = db_->port();
  ASSERT_TRUE(db_->StopImmediate().ok());
  EXPECT_FALSE(db_->IsRunning());
  EXPECT_FALSE(db_->Exec("SELECT 1").ok());
  Status started = db_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(db_->port(), port);
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT sum(v) FROM c", "crash")), "103");
  EXPECT_EQ(TcpConnectError(*db_, db_->password()), "");
}

TEST_F(TestMariadbTest, TwoServersSideBySide) {
  TestMariadb other;
  Status started = other.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_NE(other.port(), db_->port());
  EXPECT_NE(other.dir(), db_->dir());
  ASSERT_TRUE(other.CreateDatabase("only_here").ok());
  EXPECT_EQ(ValueOf(other.QueryValue("SELECT count(*) FROM information_schema.SCHEMATA "
                                     "WHERE SCHEMA_NAME = 'only_here'")),
            "1");
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT count(*) FROM information_schema.SCHEMATA "
                                    "WHERE SCHEMA_NAME = 'only_here'")),
            "0");
  const std::string dir = other.dir();
  ASSERT_TRUE(other.Stop().ok());
  EXPECT_FALSE(other.IsRunning());
  EXPECT_TRUE(std::filesystem::exists(dir));  // removed only by the destructor
}

TEST(TestMariadbBinlogTest, BinlogOptionLogsRowsWithGtids) {
  TestMariadb::Options options;
  options.binlog = true;
  options.server_id = 7;
  options.extra_args = {"--max-connections=50"};
  TestMariadb db(options);
  Status started = db.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(ValueOf(db.QueryValue("SELECT @@log_bin")), "1");
  EXPECT_EQ(ValueOf(db.QueryValue("SELECT @@binlog_format")), "ROW");
  EXPECT_EQ(ValueOf(db.QueryValue("SELECT @@binlog_row_image")), "FULL");
  EXPECT_EQ(ValueOf(db.QueryValue("SELECT @@server_id")), "7");
  EXPECT_EQ(ValueOf(db.QueryValue("SELECT @@gtid_strict_mode")), "1");
  EXPECT_EQ(ValueOf(db.QueryValue("SELECT @@max_connections")), "50");
  ASSERT_TRUE(db.CreateDatabase("bl").ok());
  ASSERT_TRUE(db.Exec("CREATE TABLE t (v int); INSERT INTO t VALUES (1)", "bl").ok());
  EXPECT_NE(ValueOf(db.QueryValue("SELECT @@gtid_binlog_pos")), "");
  auto logs = db.Query("SHOW BINARY LOGS");
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_FALSE(logs->empty());
}

TEST(TestMariadbPortTest, RestartOnATakenPortFailsWithTheReasonThenRecovers) {
  TestMariadb db;
  ASSERT_TRUE(db.Start().ok());
  const int port = db.port();
  ASSERT_TRUE(db.Stop().ok());
  {
    // Someone else listens on the port while the server is down.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    Status blocked = db.Start();
    ::close(fd);
    ASSERT_FALSE(blocked.ok());
    EXPECT_NE(blocked.message().find("Address already in use"), std::string::npos)
        << blocked.ToString();
    EXPECT_FALSE(db.IsRunning());
  }
  Status started = db.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(db.port(), port);
  EXPECT_EQ(ValueOf(db.QueryValue("SELECT 1")), "1");
}

TEST(TestMariadbCleanupTest, DestructorStopsTheServerAndRemovesTheDir) {
  std::string dir;
  pid_t server = 0;
  {
    TestMariadb db;
    ASSERT_TRUE(db.Start().ok());
    dir = db.dir();
    server = ServerPid(db);
    ASSERT_GT(server, 0);
    EXPECT_TRUE(ProcessAlive(server));
  }
  EXPECT_FALSE(ProcessAlive(server));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// Run by KilledTestLeavesNoServer in a child process: starts a server, reports
// where it is, and waits to be killed.
TEST(TestMariadbOrphanTest, DISABLED_Helper) {
  TestMariadb db;
  Status started = db.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  std::printf("DIR=%s\n", db.dir().c_str());
  std::fflush(stdout);
  std::this_thread::sleep_for(seconds(300));
}

TEST(TestMariadbOrphanTest, KilledTestLeavesNoServer) {
  auto out_dir = TempDir::Create();
  ASSERT_TRUE(out_dir.ok());
  ProcessOptions options;
  options.output_path = out_dir->Join("helper.out");
  auto helper = Child::Spawn({"/proc/self/exe", "--gtest_also_run_disabled_tests",
                              "--gtest_filter=TestMariadbOrphanTest.DISABLED_Helper"},
                             options);
  ASSERT_TRUE(helper.ok()) << helper.status().ToString();

  std::string dir;
  const auto deadline = Clock::now() + seconds(180);
  while (dir.empty() && helper->IsRunning() && Clock::now() < deadline) {
    auto out = ReadFileToString(options.output_path);
    const size_t at = out.ok() ? out->find("DIR=") : std::string::npos;
    if (at != std::string::npos && out->find('\n', at) != std::string::npos) {
      dir = out->substr(at + 4, out->find('\n', at) - at - 4);
    } else {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ASSERT_FALSE(dir.empty()) << ValueOf(ReadFileToString(options.output_path));
  auto pid_file = ReadFileToString(dir + "/mariadbd.pid");
  ASSERT_TRUE(pid_file.ok()) << pid_file.status().ToString();
  const pid_t server = std::stoi(*pid_file);
  ASSERT_TRUE(ProcessAlive(server));

  ASSERT_TRUE(helper->Kill(SIGKILL).ok());  // no destructor runs in the helper
  ASSERT_TRUE(helper->Wait(seconds(30)).ok());
  EXPECT_TRUE(WaitUntilGone(server, seconds(60))) << "mariadbd outlived its test";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // the helper could not clean up
}

}  // namespace
}  // namespace deltabridge::test
