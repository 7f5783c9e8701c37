// Self-test of db_test_support: processes, temp dirs, and a real PostgreSQL 15.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_postgres.h"
#include "tests/support/test_server_checks.h"

namespace deltabridge::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// --- temp_dir ---------------------------------------------------------------

TEST(TempDirTest, CreatesAndRemovesRecursively) {
  std::string path;
  {
    auto dir = TempDir::Create("support-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    std::filesystem::create_directories(dir->Join("a/b"));
    ASSERT_TRUE(WriteStringToFile(dir->Join("a/b/file"), "hello\n").ok());
    auto read = ReadFileToString(dir->Join("a/b/file"));
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(*read, "hello\n");

    TempDir moved = std::move(*dir);  // the moved-from one must not remove it
    EXPECT_EQ(moved.path(), path);
    EXPECT_TRUE(dir->path().empty());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDirTest, TailLines) {
  EXPECT_EQ(TailLines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(TailLines("a\nb\nc", 2), "b\nc");
  EXPECT_EQ(TailLines("a\nb\n", 5), "a\nb\n");
  EXPECT_EQ(TailLines("", 3), "");
}

TEST(TempDirTest, ReadMissingFileIsNotFound) {
  auto read = ReadFileToString("/nonexistent/deltabridge/file");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), Status::Code::kNotFound);
}

// --- process ----------------------------------------------------------------

TEST(ProcessTest, CapturesOutputAndExitCode) {
  auto run = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"}, seconds(30));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_FALSE(run->timed_out);
  EXPECT_EQ(run->status.exit_code, 3);
  EXPECT_FALSE(run->ok());
  EXPECT_NE(run->output.find("out\n"), std::string::npos) << run->output;
  EXPECT_NE(run->output.find("err\n"), std::string::npos) << run->output;

  auto ok = RunCommand({"true"}, seconds(30));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->ok()) << ok->Describe();
}

TEST(ProcessTest, PassesArgvVerbatimWithoutShell) {
  auto run = RunCommand({"printf", "%s|", "a b", "$HOME", "*"}, seconds(30));
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->output, "a b|$HOME|*|");
}

TEST(ProcessTest, EnvironmentAndWorkingDir) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  ProcessOptions options;
  options.working_dir = dir->path();
  options.env = {"DELTABRIDGE_SUPPORT_X=42"};
  auto run = RunCommand({"sh", "-c", "pwd; echo $DELTABRIDGE_SUPPORT_X"}, seconds(30), options);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->output, dir->path() + "\n42\n");
}

TEST(ProcessTest, TimeoutKillsTheProcessGroup) {
  const auto start = Clock::now();
  auto run = RunCommand({"sh", "-c", "sleep 60; echo never"}, milliseconds(300));
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->timed_out);
  EXPECT_EQ(run->status.term_signal, SIGKILL);
  EXPECT_LT(Clock::now() - start, seconds(20));
  EXPECT_EQ(run->output.find("never"), std::string::npos);
}

TEST(ProcessTest, ReturnsWhenTheProcessExitsEvenIfADaemonHoldsTheOutput) {
  const auto start = Clock::now();
  auto run = RunCommand({"sh", "-c", "sleep 60 & echo $!"}, seconds(30));
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->ok()) << run->Describe();
  EXPECT_LT(Clock::now() - start, seconds(20));
  const pid_t daemon = std::stoi(run->output);
  ASSERT_GT(daemon, 0);
  EXPECT_EQ(::kill(daemon, SIGKILL), 0);
}

TEST(ProcessTest, MissingProgramIsAnError) {
  auto run = RunCommand({"/nonexistent/deltabridge-no-such-program"}, seconds(5));
  EXPECT_FALSE(run.ok());
  auto path = RunCommand({"deltabridge-no-such-program-in-path"}, seconds(5));
  EXPECT_FALSE(path.ok());
  auto child = Child::Spawn({"/nonexistent/deltabridge-no-such-program"});
  EXPECT_FALSE(child.ok());
}

TEST(ProcessTest, RunsAsAnotherUserWhenRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  ProcessOptions options;
  options.user = "postgres";  // exists with postgresql-15
  auto run = RunCommand({"id", "-un"}, seconds(30), options);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->output, "postgres\n");
}

TEST(ProcessTest, ChildKillAndWait) {
  auto child = Child::Spawn({"sleep", "60"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_TRUE(child->IsRunning());
  auto early = child->Wait(milliseconds(50));
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(early.status().IsUnavailable());

  ASSERT_TRUE(child->Kill(SIGKILL).ok());
  auto ended = child->Wait(seconds(30));
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ(ended->term_signal, SIGKILL);
  EXPECT_FALSE(child->IsRunning());
  EXPECT_FALSE(child->Kill(SIGKILL).ok());  // reaped: never signal a reused pid
}

TEST(ProcessTest, ChildExitCodeAndOutputFile) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  ProcessOptions options;
  options.output_path = dir->Join("out.log");
  auto child = Child::Spawn({"sh", "-c", "echo to-file; exit 5"}, options);
  ASSERT_TRUE(child.ok());
  auto ended = child->Wait(seconds(30));
  ASSERT_TRUE(ended.ok());
  EXPECT_TRUE(ended->Exited());
  EXPECT_EQ(ended->exit_code, 5);
  auto out = ReadFileToString(options.output_path);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "to-file\n");
}

TEST(ProcessTest, DestructorKillsARunningChildAndItsGroup) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  ProcessOptions options;
  options.output_path = dir->Join("out");
  pid_t pid = 0;
  pid_t grandchild = 0;
  {
    auto child = Child::Spawn({"sh", "-c", "sleep 60 & echo $!; wait"}, options);
    ASSERT_TRUE(child.ok());
    pid = child->pid();
    EXPECT_EQ(::getpgid(pid), pid);  // leads its own process group
    const auto deadline = Clock::now() + seconds(30);
    while (grandchild == 0 && Clock::now() < deadline) {
      auto out = ReadFileToString(options.output_path);
      if (out.ok() && out->find('\n') != std::string::npos) {
        grandchild = std::stoi(*out);
      } else {
        std::this_thread::sleep_for(milliseconds(10));
      }
    }
    ASSERT_GT(grandchild, 0);
    Child moved = std::move(*child);
    EXPECT_TRUE(moved.IsRunning());
  }
  EXPECT_FALSE(ProcessAlive(pid));
  // Killed with its group; it may stay a zombie for a moment until reaped.
  EXPECT_TRUE(WaitUntilGone(grandchild, seconds(30))) << "the group's sleep survived";
}

// --- TestPostgres -----------------------------------------------------------

// One server for the suite: initdb and start-up cost seconds.
class TestPostgresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = std::make_unique<TestPostgres>();
    Status started = pg_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  static void TearDownTestSuite() { pg_.reset(); }

  void SetUp() override {
    ASSERT_NE(pg_, nullptr);
    ASSERT_TRUE(pg_->IsRunning()) << pg_->LogTail();
  }

  static std::unique_ptr<TestPostgres> pg_;
};
std::unique_ptr<TestPostgres> TestPostgresTest::pg_;

TEST_F(TestPostgresTest, RunsSql) {
  ASSERT_TRUE(pg_->Exec("CREATE TABLE t (id int PRIMARY KEY, name text);"
                        "INSERT INTO t VALUES (1, 'one'), (2, NULL);")
                  .ok());
  auto rows = pg_->Query("SELECT id, name FROM t ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0][0], "1");
  EXPECT_EQ((*rows)[0][1], "one");
  EXPECT_EQ((*rows)[1][1], std::nullopt);
  auto count = pg_->QueryValue("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, "2");
  EXPECT_FALSE(pg_->QueryValue("SELECT NULL").ok());
  EXPECT_FALSE(pg_->QueryValue("SELECT 1, 2").ok());
}

TEST_F(TestPostgresTest, IsConfiguredForLogicalReplicationOnLoopback) {
  EXPECT_EQ(ValueOf(pg_->QueryValue("SHOW wal_level")), "logical");
  EXPECT_EQ(ValueOf(pg_->QueryValue("SHOW max_replication_slots")), "32");
  EXPECT_EQ(ValueOf(pg_->QueryValue("SHOW max_wal_senders")), "32");
  EXPECT_EQ(ValueOf(pg_->QueryValue("SHOW listen_addresses")), "127.0.0.1");
  EXPECT_EQ(ValueOf(pg_->QueryValue("SHOW port")), std::to_string(pg_->port()));
  EXPECT_EQ(ValueOf(pg_->QueryValue("SHOW server_encoding")), "UTF8");
  EXPECT_EQ(ValueOf(pg_->QueryValue("SHOW data_directory")), pg_->data_dir());
  EXPECT_EQ(ValueOf(pg_->QueryValue("SELECT current_user")), "postgres");
  EXPECT_EQ(
      ValueOf(pg_->QueryValue("SELECT rolsuper::text FROM pg_roles WHERE rolname = 'postgres'")),
      "true");
  EXPECT_EQ(ValueOf(pg_->QueryValue("SHOW server_version_num")).substr(0, 2), "15");
  EXPECT_EQ(pg_->Conninfo("db1"),
            "host=127.0.0.1 port=" + std::to_string(pg_->port()) + " user=postgres dbname=db1");

  ASSERT_TRUE(
      pg_->Exec("SELECT pg_create_logical_replication_slot('support_slot', 'pgoutput')").ok());
  EXPECT_EQ(ValueOf(pg_->QueryValue("SELECT count(*) FROM pg_replication_slots")), "1");
  ASSERT_TRUE(pg_->Exec("SELECT pg_drop_replication_slot('support_slot')").ok());
}

TEST_F(TestPostgresTest, SqlErrorsAreValuesWithTheServerMessage) {
  Status bad = pg_->Exec("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("syntax error"), std::string::npos) << bad.ToString();
  EXPECT_NE(bad.message().find("42601"), std::string::npos) << bad.ToString();
  EXPECT_NE(bad.message().find("SELEC 1"), std::string::npos) << bad.ToString();
  // ERRORs reach the server log, which LogTail() shows.
  EXPECT_NE(pg_->LogTail().find("SELEC 1"), std::string::npos) << pg_->LogTail();

  EXPECT_FALSE(pg_->Exec("SELECT 1", "no_such_database").ok());
}

TEST_F(TestPostgresTest, CreateDatabase) {
  ASSERT_TRUE(pg_->CreateDatabase("Support \"db\"").ok());
  EXPECT_EQ(ValueOf(pg_->QueryValue("SELECT current_database()", "Support \"db\"")),
            "Support \"db\"");
}

TEST_F(TestPostgresTest, RestartKeepsDataAndPort) {
  ASSERT_TRUE(pg_->Exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)").ok());
  const int port = pg_->port();
  Status restarted = pg_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  EXPECT_EQ(pg_->port(), port);
  EXPECT_EQ(ValueOf(pg_->QueryValue("SELECT v FROM kept")), "7");
}

TEST_F(TestPostgresTest, ImmediateStopIsACrashThatRecovers) {
  ASSERT_TRUE(pg_->Exec("CREATE TABLE crash (v int); INSERT INTO crash VALUES (1), (2)").ok());
  ASSERT_TRUE(pg_->StopImmediate().ok());
  EXPECT_FALSE(pg_->IsRunning());
  EXPECT_FALSE(pg_->Exec("SELECT 1").ok());
  Status started = pg_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(ValueOf(pg_->QueryValue("SELECT sum(v) FROM crash")), "3");
}

TEST_F(TestPostgresTest, TwoServersSideBySide) {
  TestPostgres other;
  Status started = other.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_NE(other.port(), pg_->port());
  EXPECT_NE(other.dir(), pg_->dir());
  ASSERT_TRUE(other.Exec("CREATE TABLE only_here (v int)").ok());
  EXPECT_FALSE(pg_->Exec("SELECT * FROM only_here").ok());
  const std::string dir = other.dir();
  ASSERT_TRUE(other.Stop().ok());
  EXPECT_FALSE(other.IsRunning());
  EXPECT_TRUE(std::filesystem::exists(dir));  // removed only by the destructor
}

TEST(TestPostgresPortTest, RestartOnATakenPortFailsWithTheReasonThenRecovers) {
  CheckRestartOnATakenPortFailsWithTheReasonThenRecovers<TestPostgres>();
}

TEST(TestPostgresCleanupTest, DestructorStopsTheServerAndRemovesTheDir) {
  CheckDestructorStopsTheServerAndRemovesTheDir<TestPostgres>("data/postmaster.pid");
}

// Run by KilledTestLeavesNoServer in a child process.
TEST(TestPostgresOrphanTest, DISABLED_Helper) { StartAndAwaitKill<TestPostgres>(); }

TEST(TestPostgresOrphanTest, KilledTestLeavesNoServer) {
  CheckKilledTestLeavesNoServer("TestPostgresOrphanTest.DISABLED_Helper", "data/postmaster.pid",
                                "postmaster");
}

}  // namespace
}  // namespace deltabridge::test
