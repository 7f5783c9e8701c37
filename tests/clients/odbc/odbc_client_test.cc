// OdbcClient::Connect and OdbcInfoString (cdc/clients/odbc/odbc_client.h)
// through real drivers: SQLite's (a database file in a TempDir) and MariaDB
// Connector/ODBC against a port nobody listens on (no server needed).
#include "cdc/clients/odbc/odbc_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "tests/sinks/odbc/odbc_test_drivers.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class OdbcClientSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<test::TempDir> dir = test::TempDir::Create("deltabridge-odbc-client-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
    Result<std::string> driver = test::SqliteOdbcDriver();
    ASSERT_TRUE(driver.ok()) << driver.status().ToString();
    driver_ = *driver;
  }

  std::optional<test::TempDir> dir_;
  std::string driver_;
};

TEST_F(OdbcClientSqliteTest, ConnectsAndDescribesTheServer) {
  const std::string dsn =
      test::SqliteConnectionString(driver_, dir_->Join("x.sqlite")) + "PWD=s3cret;";
  Result<OdbcClient> client = OdbcClient::Connect(dsn, 5);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_NE(client->dbc(), nullptr);
  EXPECT_EQ(client->server().dbms_name, "SQLite");
  EXPECT_THAT(client->server().dbms_version, ::testing::StartsWith("3."));
  EXPECT_THAT(client->server().driver_name, HasSubstr("sqlite"));
  EXPECT_EQ(client->server().identifier_quote, "\"");
  EXPECT_THAT(client->redacted(), HasSubstr("PWD=***"));
  EXPECT_THAT(client->redacted(), Not(HasSubstr("s3cret")));
  EXPECT_EQ(client->scrubber().Scrub("echo s3cret"), "echo ***");

  // Moving keeps the connection, and the moved-from client holds none.
  OdbcClient moved = std::move(client).value();
  EXPECT_NE(moved.dbc(), nullptr);
  EXPECT_EQ(OdbcInfoString(moved.dbc(), SQL_DBMS_NAME), "SQLite");
  OdbcClient empty;
  EXPECT_EQ(empty.dbc(), nullptr);
}

TEST_F(OdbcClientSqliteTest, InfoStringGrowsItsBufferForAnyAnswer) {
  Result<OdbcClient> client =
      OdbcClient::Connect(test::SqliteConnectionString(driver_, dir_->Join("x.sqlite")), 5);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  // The first buffer too small: the answer is read again, whole.
  // sqliteodbc cuts silently (it reports the bytes it copied), so a full
  // buffer is taken as possibly cut.
  for (size_t first : {1, 2, 6, 7, 8, 256}) {
    EXPECT_EQ(OdbcInfoString(client->dbc(), SQL_DBMS_NAME, first), "SQLite") << first;
  }
  // No answer: "".
  EXPECT_EQ(OdbcInfoString(nullptr, SQL_DBMS_NAME), "");
}

TEST_F(OdbcClientSqliteTest, InfoStringReadsAnAnswerLongerThan255Bytes) {
  // sqliteodbc answers SQL_DATABASE_NAME with the database file's path: make
  // it longer than the 255 bytes the source's old wrapper silently cut to.
  // (SQLite opens paths up to 512 bytes.)
  const std::string deep = dir_->Join(std::string(150, 'a') + "/" + std::string(150, 'b'));
  std::filesystem::create_directories(deep);
  const std::string file = deep + "/long.sqlite";
  ASSERT_GT(file.size(), 300u);
  Result<OdbcClient> client = OdbcClient::Connect(test::SqliteConnectionString(driver_, file), 5);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ(OdbcInfoString(client->dbc(), SQL_DATABASE_NAME), file);
  EXPECT_EQ(OdbcInfoString(client->dbc(), SQL_DATABASE_NAME, 16), file);
}

TEST(OdbcClientTest, MissingDriverIsFailedPreconditionAndRedacted) {
  Result<OdbcClient> client =
      OdbcClient::Connect("Driver=/nonexistent/libnothing.so;Database=x;PWD={se;cret}", 5);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(client.status().message(), HasSubstr("cannot connect over ODBC"));
  EXPECT_THAT(client.status().message(), HasSubstr("/nonexistent/libnothing.so"));
  EXPECT_THAT(client.status().message(), HasSubstr("PWD=***"));
  EXPECT_THAT(client.status().message(), Not(HasSubstr("cret")));
}

TEST(OdbcClientTest, UnreachableMariadbIsUnavailable) {
  // MariaDB Connector/ODBC reports "can't connect" as HY000 with MySQL's
  // client error 2002/2003: transient by the MySQL table.
  Result<std::string> driver = test::MariadbOdbcDriver();
  ASSERT_TRUE(driver.ok()) << driver.status().ToString();
  Result<OdbcClient> client =
      OdbcClient::Connect(test::MariadbConnectionString(*driver, 1, "x", "nobody", "s3cret"), 5);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Status::Code::kUnavailable) << client.status().ToString();
  EXPECT_THAT(client.status().message(), Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace deltabridge
