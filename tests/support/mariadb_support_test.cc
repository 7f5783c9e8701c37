// Self-test of TestMariadb: a real MariaDB 10.11, started, crashed and
// restarted.
#include <gtest/gtest.h>
#include <mysql.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_mariadb.h"
#include "tests/support/test_server_checks.h"

namespace deltabridge::test {
namespace {

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
  CheckRestartOnATakenPortFailsWithTheReasonThenRecovers<TestMariadb>();
}

TEST(TestMariadbCleanupTest, DestructorStopsTheServerAndRemovesTheDir) {
  CheckDestructorStopsTheServerAndRemovesTheDir<TestMariadb>("mariadbd.pid");
}

// Run by KilledTestLeavesNoServer in a child process.
TEST(TestMariadbOrphanTest, DISABLED_Helper) { StartAndAwaitKill<TestMariadb>(); }

TEST(TestMariadbOrphanTest, KilledTestLeavesNoServer) {
  CheckKilledTestLeavesNoServer("TestMariadbOrphanTest.DISABLED_Helper", "mariadbd.pid",
                                "mariadbd");
}

}  // namespace
}  // namespace deltabridge::test
