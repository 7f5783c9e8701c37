// MysqlSession against a real MariaDB 10.11 (TestMariadb), started once for
// the suite. The last test crashes the server and starts it again.
#include "sinks/mysql/mysql_session.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sinks/sql/origin_tagger.h"
#include "tests/sinks/sql/tagging_sink.h"
#include "tests/support/test_mariadb.h"

namespace deltabridge {
namespace {

using test::TestMariadb;

constexpr const char* kDatabase = "session_db";

std::string ValueOf(const Result<std::string>& result) {
  return result.ok() ? *result : "error: " + result.status().ToString();
}

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

// The one value `sql` returns through `session`, "NULL" for NULL, or "error: ...".
std::string SessionValue(SqlSession& session, const std::string& sql,
                         const std::vector<SqlParam>& params = {}) {
  auto rows = session.Query(sql, params);
  if (!rows.ok()) return "error: " + rows.status().ToString();
  if (rows->size() != 1 || (*rows)[0].size() != 1) return "error: not one value";
  return (*rows)[0][0].value_or("NULL");
}

class MysqlSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = std::make_unique<TestMariadb>();
    Status started = db_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    ASSERT_TRUE(db_->CreateDatabase(kDatabase).ok());
    ASSERT_TRUE(db_->CreateDatabase("other_db").ok());
  }
  static void TearDownTestSuite() { db_.reset(); }

  void SetUp() override {
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(db_->IsRunning()) << db_->LogTail();
  }

  static MysqlTargetConfig Config() {
    MysqlTargetConfig config;
    config.host = db_->host();
    config.port = static_cast<uint16_t>(db_->port());
    config.user = db_->user();
    config.password = db_->password();
    config.database = kDatabase;
    return config;
  }

  static std::unique_ptr<SqlSession> Connect(const MysqlTargetConfig& config = Config()) {
    auto session = ConnectMysql(config);
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return session.ok() ? std::move(*session) : nullptr;
  }

  // Runs `sql` and expects it to work.
  static void MustExecute(SqlSession& session, const std::string& sql,
                          const std::vector<SqlParam>& params = {}) {
    auto ran = session.Execute(sql, params);
    EXPECT_TRUE(ran.ok()) << ran.status().ToString();
  }

  static std::unique_ptr<TestMariadb> db_;
};
std::unique_ptr<TestMariadb> MysqlSessionTest::db_;

TEST_F(MysqlSessionTest, ConnectsAndSetsTheSessionUp) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->dialect(), SqlDialect::kMysql);
  EXPECT_EQ(session->Placeholder(1), "?");
  EXPECT_EQ(session->Placeholder(7), "?");
  EXPECT_FALSE(session->broken());
  const std::string describe = session->Describe();
  EXPECT_EQ(describe.rfind("MariaDB 10.11.", 0), 0u) << describe;
  EXPECT_NE(describe.find(" at 127.0.0.1:" + std::to_string(db_->port()) +
                          " database session_db user root"),
            std::string::npos)
      << describe;
  EXPECT_EQ(describe.find(db_->password()), std::string::npos);

  EXPECT_EQ(SessionValue(*session, "SELECT @@session.time_zone"), "+00:00");
  const std::string sql_mode = SessionValue(*session, "SELECT @@session.sql_mode");
  EXPECT_NE(sql_mode.find("STRICT_ALL_TABLES"), std::string::npos) << sql_mode;
  EXPECT_NE(sql_mode.find("NO_AUTO_VALUE_ON_ZERO"), std::string::npos) << sql_mode;
  EXPECT_EQ(SessionValue(*session, "SELECT @@autocommit"), "1");
  EXPECT_EQ(SessionValue(*session, "SELECT @@character_set_client"), "utf8mb4");
  EXPECT_EQ(SessionValue(*session, "SELECT @@character_set_results"), "utf8mb4");
  EXPECT_EQ(SessionValue(*session, "SELECT DATABASE()"), kDatabase);
}

TEST_F(MysqlSessionTest, WrongPasswordNamesTheTargetButNotThePassword) {
  MysqlTargetConfig config = Config();
  config.password = "Wr0ng-S3cret-pw";
  auto session = ConnectMysql(config);
  ASSERT_FALSE(session.ok());
  const Status& status = session.status();
  EXPECT_EQ(status.code(), Status::Code::kFailedPrecondition) << status.ToString();
  const std::string& message = status.message();
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(db_->port())), std::string::npos) << message;
  EXPECT_NE(message.find("user root"), std::string::npos) << message;
  EXPECT_NE(message.find("database session_db"), std::string::npos) << message;
  EXPECT_NE(message.find("1045"), std::string::npos) << message;
  EXPECT_NE(message.find("28000"), std::string::npos) << message;
  EXPECT_EQ(message.find("Wr0ng-S3cret-pw"), std::string::npos) << message;
  EXPECT_EQ(message.find(db_->password()), std::string::npos) << message;
}

TEST_F(MysqlSessionTest, UnknownDatabaseIsAnOperatorError) {
  MysqlTargetConfig config = Config();
  config.database = "no_such_db";
  auto session = ConnectMysql(config);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), Status::Code::kFailedPrecondition)
      << session.status().ToString();
  EXPECT_NE(session.status().message().find("1049"), std::string::npos)
      << session.status().ToString();
}

TEST_F(MysqlSessionTest, NoServerIsUnavailable) {
  // A port where a server ran a moment ago and nothing listens now.
  TestMariadb gone;
  ASSERT_TRUE(gone.Start().ok());
  ASSERT_TRUE(gone.Stop().ok());
  MysqlTargetConfig config = Config();
  config.port = static_cast<uint16_t>(gone.port());
  auto session = ConnectMysql(config);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), Status::Code::kUnavailable) << session.status().ToString();
  EXPECT_NE(session.status().message().find("127.0.0.1:" + std::to_string(gone.port())),
            std::string::npos)
      << session.status().ToString();
}

TEST_F(MysqlSessionTest, TextNullAndBinaryParamsRoundTrip) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  MustExecute(*session,
              "CREATE TABLE params (id int PRIMARY KEY, name varchar(50), note text NULL, "
              "data varbinary(300), big blob)");

  const std::string bytes = AllBytes();
  const std::string name = "h\xc3\xa9llo \xe2\x9c\x93";  // héllo ✓
  auto inserted =
      session->Execute("INSERT INTO params (id, name, note, data, big) VALUES (?, ?, ?, ?, ?)",
                       {SqlParam::Text("1"), SqlParam::Text(name), SqlParam::Null(),
                        SqlParam::Binary(bytes), SqlParam::Binary(bytes + bytes)});
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  EXPECT_EQ(*inserted, 1u);
  inserted =
      session->Execute("INSERT INTO params (id, name, note, data, big) VALUES (?, ?, ?, ?, ?)",
                       {SqlParam::Text("2"), SqlParam::Text(""), SqlParam::Text("n"),
                        SqlParam::Binary(""), SqlParam::Null()});
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();

  auto rows =
      session->Query("SELECT id, name, note, data, big FROM params WHERE id >= ? ORDER BY id",
                     {SqlParam::Text("1")});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  const SqlRow& first = (*rows)[0];
  ASSERT_EQ(first.size(), 5u);
  EXPECT_EQ(first[0], "1");
  EXPECT_EQ(first[1], name);
  EXPECT_EQ(first[2], std::nullopt);
  EXPECT_EQ(first[3], bytes);
  EXPECT_EQ(first[4], bytes + bytes);
  const SqlRow& second = (*rows)[1];
  EXPECT_EQ(second[1], "");  // empty, not NULL
  EXPECT_EQ(second[2], "n");
  EXPECT_EQ(second[3], "");
  EXPECT_EQ(second[4], std::nullopt);

  // The server holds the same bytes (read over the text protocol).
  std::string hex;
  for (int i = 0; i < 256; ++i) {
    static const char kDigits[] = "0123456789ABCDEF";
    hex += kDigits[i >> 4];
    hex += kDigits[i & 15];
  }
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT HEX(data) FROM params WHERE id = 1", kDatabase)), hex);
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT name FROM params WHERE id = 1", kDatabase)), name);
  // A binary parameter compares as bytes.
  EXPECT_EQ(
      SessionValue(*session, "SELECT id FROM params WHERE data = ?", {SqlParam::Binary(bytes)}),
      "1");
  // Nothing found: no rows.
  auto none = session->Query("SELECT id FROM params WHERE id = ?", {SqlParam::Text("99")});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST_F(MysqlSessionTest, ExecuteReturnsTheRowsMatched) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  MustExecute(*session, "CREATE TABLE counted (id int PRIMARY KEY, v int)");
  auto inserted = session->Execute("INSERT INTO counted VALUES (1, 10), (2, 20), (3, 30)", {});
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  EXPECT_EQ(*inserted, 3u);
  // Row 1 already holds 10: it counts as matched all the same.
  auto updated = session->Execute("UPDATE counted SET v = 10 WHERE id IN (?, ?)",
                                  {SqlParam::Text("1"), SqlParam::Text("2")});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(*updated, 2u);
  auto missing = session->Execute("UPDATE counted SET v = 0 WHERE id = ?", {SqlParam::Text("9")});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, 0u);
  auto deleted = session->Execute("DELETE FROM counted WHERE id = ?", {SqlParam::Text("3")});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1u);
  // An explicit 0 in an AUTO_INCREMENT column stays 0.
  MustExecute(*session, "CREATE TABLE auto_zero (id int AUTO_INCREMENT PRIMARY KEY, v int)");
  MustExecute(*session, "INSERT INTO auto_zero VALUES (?, ?)",
              {SqlParam::Text("0"), SqlParam::Text("5")});
  EXPECT_EQ(SessionValue(*session, "SELECT id FROM auto_zero WHERE v = 5"), "0");

  // Execute of a SELECT discards its rows; the connection stays in step.
  auto selected = session->Execute("SELECT * FROM counted", {});
  ASSERT_TRUE(selected.ok()) << selected.status().ToString();
  EXPECT_EQ(SessionValue(*session, "SELECT COUNT(*) FROM counted"), "2");

  // The wrong number of parameters is the caller's error.
  auto wrong = session->Execute("UPDATE counted SET v = ? WHERE id = ?", {SqlParam::Text("1")});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Status::Code::kFailedPrecondition) << wrong.status().ToString();
  EXPECT_FALSE(session->broken());
}

TEST_F(MysqlSessionTest, ResultsAreTheServersTextOfEachType) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  MustExecute(*session,
              "CREATE TABLE typed (id int PRIMARY KEY, big bigint unsigned, neg bigint, "
              "price decimal(10,2), f float, d double, day date, old_day date, "
              "at_time time(6), happened datetime(6), whole datetime, stamped timestamp(3) NULL, "
              "yr year, flag tinyint(1), kind enum('a','B'), doc json, bits bit(5))");
  MustExecute(
      *session, "INSERT INTO typed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {SqlParam::Text("1"), SqlParam::Text("18446744073709551615"),
       SqlParam::Text("-9223372036854775808"), SqlParam::Text("12.5"), SqlParam::Text("0.1"),
       SqlParam::Text("0.1"), SqlParam::Text("2026-01-02"), SqlParam::Text("0099-03-04"),
       SqlParam::Text("-12:30:00.25"), SqlParam::Text("2026-11-27 10:00:00.5"),
       SqlParam::Text("2026-11-27 10:00:00"), SqlParam::Text("2026-11-27 10:00:00.123"),
       SqlParam::Text("2026"), SqlParam::Text("1"), SqlParam::Text("B"),
       SqlParam::Text("{\"a\": [1, 2]}"), SqlParam::Null()});
  // A string for a BIT column is its bytes: the value as a literal.
  MustExecute(*session, "UPDATE typed SET bits = b'10101' WHERE id = 1");
  MustExecute(*session,
              "INSERT INTO typed (id, f, d, yr) VALUES (2, 3.4e38, 1.7976931348623157e308, 0)");
  auto rows = session->Query(
      "SELECT big, neg, price, f, d, day, old_day, at_time, happened, whole, stamped, yr, flag, "
      "kind, doc, bits FROM typed WHERE id = ?",
      {SqlParam::Text("1")});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const SqlRow expected = {"18446744073709551615",
                           "-9223372036854775808",
                           "12.50",
                           "0.1",
                           "0.1",
                           "2026-01-02",
                           "0099-03-04",
                           "-12:30:00.250000",
                           "2026-11-27 10:00:00.500000",
                           "2026-11-27 10:00:00",
                           "2026-11-27 10:00:00.123000",
                           "2026",
                           "1",
                           "B",
                           "{\"a\": [1, 2]}",
                           "21"};
  EXPECT_EQ((*rows)[0], expected);

  auto extremes = session->Query("SELECT f, d, yr, stamped FROM typed WHERE id = 2", {});
  ASSERT_TRUE(extremes.ok()) << extremes.status().ToString();
  ASSERT_EQ(extremes->size(), 1u);
  EXPECT_EQ((*extremes)[0][0], "3.4e+38");
  EXPECT_EQ((*extremes)[0][1], "1.7976931348623157e+308");
  EXPECT_EQ((*extremes)[0][2], "0000");
  EXPECT_EQ((*extremes)[0][3], std::nullopt);

  // TIMESTAMP values are UTC: the session's text is the UTC time.
  EXPECT_EQ(
      ValueOf(db_->QueryValue("SELECT UNIX_TIMESTAMP(stamped) FROM typed WHERE id = 1", kDatabase)),
      "1795773600.123");
}

TEST_F(MysqlSessionTest, BadDataIsRejectedAndTheSessionGoesOn) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  MustExecute(*session, "CREATE TABLE parent (id int PRIMARY KEY) ENGINE=InnoDB");
  MustExecute(*session,
              "CREATE TABLE strict_t (id int PRIMARY KEY, n int NOT NULL, tiny tinyint, "
              "short_text varchar(3), day date, kind enum('a','b'), "
              "parent_id int, positive int CHECK (positive > 0), "
              "FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB");
  MustExecute(*session, "INSERT INTO parent VALUES (1)");
  MustExecute(*session, "INSERT INTO strict_t (id, n, parent_id) VALUES (1, 1, 1)");

  struct Case {
    const char* what;
    std::string sql;
    std::vector<SqlParam> params;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"duplicate key",
       "INSERT INTO strict_t (id, n) VALUES (?, ?)",
       {SqlParam::Text("1"), SqlParam::Text("1")},
       "1062"},
      {"NULL in NOT NULL",
       "INSERT INTO strict_t (id, n) VALUES (?, ?)",
       {SqlParam::Text("2"), SqlParam::Null()},
       "1048"},
      {"int out of range",
       "INSERT INTO strict_t (id, n, tiny) VALUES (?, ?, ?)",
       {SqlParam::Text("2"), SqlParam::Text("1"), SqlParam::Text("300")},
       "1264"},
      {"varchar too long",
       "INSERT INTO strict_t (id, n, short_text) VALUES (?, ?, ?)",
       {SqlParam::Text("2"), SqlParam::Text("1"), SqlParam::Text("abcd")},
       "1406"},
      {"not a number",
       "INSERT INTO strict_t (id, n) VALUES (?, ?)",
       {SqlParam::Text("2"), SqlParam::Text("abc")},
       "1366"},
      {"impossible date",
       "INSERT INTO strict_t (id, n, day) VALUES (?, ?, ?)",
       {SqlParam::Text("2"), SqlParam::Text("1"), SqlParam::Text("2026-02-30")},
       "1292"},
      {"zero date",
       "INSERT INTO strict_t (id, n, day) VALUES (?, ?, ?)",
       {SqlParam::Text("2"), SqlParam::Text("1"), SqlParam::Text("0000-00-00")},
       "1292"},
      {"bad enum",
       "INSERT INTO strict_t (id, n, kind) VALUES (?, ?, ?)",
       {SqlParam::Text("2"), SqlParam::Text("1"), SqlParam::Text("zzz")},
       "1265"},
      {"missing parent",
       "INSERT INTO strict_t (id, n, parent_id) VALUES (?, ?, ?)",
       {SqlParam::Text("2"), SqlParam::Text("1"), SqlParam::Text("7")},
       "1452"},
      {"referenced parent", "DELETE FROM parent WHERE id = ?", {SqlParam::Text("1")}, "1451"},
      {"check constraint",
       "INSERT INTO strict_t (id, n, positive) VALUES (?, ?, ?)",
       {SqlParam::Text("2"), SqlParam::Text("1"), SqlParam::Text("-5")},
       "4025"},
  };
  for (const Case& c : cases) {
    auto ran = session->Execute(c.sql, c.params);
    ASSERT_FALSE(ran.ok()) << c.what;
    EXPECT_EQ(ran.status().code(), Status::Code::kRejected)
        << c.what << ": " << ran.status().ToString();
    EXPECT_NE(ran.status().message().find(std::string("MySQL error ") + c.code), std::string::npos)
        << c.what << ": " << ran.status().ToString();
    EXPECT_NE(ran.status().message().find("SQLSTATE"), std::string::npos)
        << ran.status().ToString();
    EXPECT_FALSE(session->broken()) << c.what;
  }
  EXPECT_EQ(SessionValue(*session, "SELECT COUNT(*) FROM strict_t"), "1");

  // Not the data's fault: an operator must act.
  for (const std::string& sql :
       {std::string("INSERT INTO no_such_table VALUES (1)"),
        std::string("INSERT INTO strict_t (no_such_column) VALUES (1)"), std::string("SELEC 1")}) {
    auto ran = session->Execute(sql, {});
    ASSERT_FALSE(ran.ok()) << sql;
    EXPECT_EQ(ran.status().code(), Status::Code::kFailedPrecondition) << ran.status().ToString();
    EXPECT_NE(ran.status().message().find(sql), std::string::npos) << ran.status().ToString();
  }
  EXPECT_FALSE(session->broken());
  EXPECT_EQ(SessionValue(*session, "SELECT 1 + 1"), "2");
}

TEST_F(MysqlSessionTest, TransactionsAndSavepoints) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  MustExecute(*session, "CREATE TABLE tx (id int PRIMARY KEY, v varchar(10)) ENGINE=InnoDB");
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  const std::string insert = "INSERT INTO tx VALUES (?, ?)";

  ASSERT_TRUE(session->Begin().ok());
  MustExecute(*session, insert, {SqlParam::Text("1"), SqlParam::Text("kept")});
  MustExecute(*session, "SAVEPOINT deltabridge_row");
  MustExecute(*session, insert, {SqlParam::Text("2"), SqlParam::Text("undone")});
  auto duplicate = session->Execute(insert, {SqlParam::Text("1"), SqlParam::Text("dup")});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), Status::Code::kRejected);
  MustExecute(*session, "ROLLBACK TO SAVEPOINT deltabridge_row");
  MustExecute(*session, "RELEASE SAVEPOINT deltabridge_row");
  MustExecute(*session, "SAVEPOINT deltabridge_row");
  MustExecute(*session, insert, {SqlParam::Text("3"), SqlParam::Text("later")});
  MustExecute(*session, "RELEASE SAVEPOINT deltabridge_row");
  // Not visible elsewhere before the commit.
  EXPECT_EQ(SessionValue(*other, "SELECT COUNT(*) FROM tx"), "0");
  ASSERT_TRUE(session->Commit().ok());
  EXPECT_EQ(SessionValue(*other, "SELECT GROUP_CONCAT(id ORDER BY id) FROM tx"), "1,3");
  EXPECT_EQ(ValueOf(db_->QueryValue("SELECT GROUP_CONCAT(v ORDER BY id) FROM tx", kDatabase)),
            "kept,later");

  // Rollback discards; autocommit is back after each transaction.
  ASSERT_TRUE(session->Begin().ok());
  MustExecute(*session, insert, {SqlParam::Text("9"), SqlParam::Text("gone")});
  ASSERT_TRUE(session->Rollback().ok());
  MustExecute(*session, insert, {SqlParam::Text("10"), SqlParam::Text("auto")});
  EXPECT_EQ(SessionValue(*other, "SELECT GROUP_CONCAT(id ORDER BY id) FROM tx"), "1,3,10");
  EXPECT_EQ(SessionValue(*session, "SELECT @@autocommit"), "1");
}

TEST_F(MysqlSessionTest, StatementsThatCannotBePreparedRunAsText) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  // MariaDB cannot prepare PREPARE or DEALLOCATE (ER_UNSUPPORTED_PS).
  for (int round = 0; round < 2; ++round) {
    MustExecute(*session, "PREPARE deltabridge_text FROM 'SELECT 1'");
    MustExecute(*session, "DEALLOCATE PREPARE deltabridge_text");
  }
  EXPECT_FALSE(session->broken());
}

TEST_F(MysqlSessionTest, StatementCacheIsBounded) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  auto count = [&] {
    auto rows = session->Query("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'", {});
    return rows.ok() && rows->size() == 1 ? (*rows)[0][1].value_or("") : "error";
  };
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 100; ++i) {
      EXPECT_EQ(
          SessionValue(*session, "SELECT " + std::to_string(i) + " + ?", {SqlParam::Text("1")}),
          std::to_string(i + 1));
    }
  }
  // The count is server-wide: sessions of earlier tests close asynchronously,
  // so wait for it to settle rather than read it once.
  auto settles = [](const std::function<bool()>& pred) {
    for (int i = 0; i < 200 && !pred(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
  };
  std::string prepared;
  EXPECT_TRUE(settles([&] {
    prepared = count();
    return prepared != "error" && std::stoi(prepared) <= 64;
  })) << prepared;
  session.reset();  // closes its statements
  std::string left;
  EXPECT_TRUE(settles([&] {
    left =
        ValueOf(db_->QueryValue("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                "WHERE VARIABLE_NAME = 'PREPARED_STMT_COUNT'"));
    return left == "0";
  })) << left;
}

TEST_F(MysqlSessionTest, DescribeTable) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  MustExecute(*session,
              "CREATE TABLE described ("
              "  region char(2) NOT NULL,"
              "  id bigint unsigned NOT NULL AUTO_INCREMENT,"
              "  flag tinyint(1) NOT NULL DEFAULT 0,"
              "  small smallint,"
              "  n int NOT NULL,"
              "  price decimal(10,2) DEFAULT 1.50,"
              "  ratio float, score double,"
              "  name varchar(20) NOT NULL DEFAULT '',"
              "  body text, kind enum('A','b'), tags set('x','y'),"
              "  raw varbinary(16), picture blob,"
              "  day date, at_time time(3), happened datetime(6),"
              "  stamped timestamp NULL DEFAULT CURRENT_TIMESTAMP,"
              "  doc json, big_text longtext, bits bit(3), yr year,"
              "  explicit_null int NULL DEFAULT NULL,"
              "  PRIMARY KEY (n, region), KEY (id))");

  for (const std::string& name : {std::string("described"), std::string("session_db.described")}) {
    auto info = session->DescribeTable(name);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->name, name);
    EXPECT_EQ(info->primary_key, (std::vector<std::string>{"n", "region"}));
    struct Expected {
      const char* name;
      const char* sql_type;
      ColumnCategory category;
      bool nullable;
      bool has_default;
    };
    using C = ColumnCategory;
    const std::vector<Expected> expected = {
        {"region", "char(2)", C::kText, false, false},
        {"id", "bigint(20) unsigned", C::kInteger, false, true},
        {"flag", "tinyint(1)", C::kBool, false, true},
        {"small", "smallint(6)", C::kInteger, true, false},
        {"n", "int(11)", C::kInteger, false, false},
        {"price", "decimal(10,2)", C::kDecimal, true, true},
        {"ratio", "float", C::kFloat, true, false},
        {"score", "double", C::kFloat, true, false},
        {"name", "varchar(20)", C::kText, false, true},
        {"body", "text", C::kText, true, false},
        {"kind", "enum('A','b')", C::kText, true, false},
        {"tags", "set('x','y')", C::kText, true, false},
        {"raw", "varbinary(16)", C::kBinary, true, false},
        {"picture", "blob", C::kBinary, true, false},
        {"day", "date", C::kDate, true, false},
        {"at_time", "time(3)", C::kTime, true, false},
        {"happened", "datetime(6)", C::kTimestamp, true, false},
        {"stamped", "timestamp", C::kTimestampTz, true, true},
        {"doc", "json", C::kJson, true, false},
        {"big_text", "longtext", C::kText, true, false},
        {"bits", "bit(3)", C::kOther, true, false},
        {"yr", "year(4)", C::kOther, true, false},
        {"explicit_null", "int(11)", C::kInteger, true, false},
    };
    ASSERT_EQ(info->columns.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      const TargetColumnInfo& column = info->columns[i];
      SCOPED_TRACE(column.name);
      EXPECT_EQ(column.name, expected[i].name);
      EXPECT_EQ(column.sql_type, expected[i].sql_type);
      EXPECT_EQ(column.category, expected[i].category)
          << ColumnCategoryName(column.category) << " vs "
          << ColumnCategoryName(expected[i].category);
      EXPECT_EQ(column.nullable, expected[i].nullable);
      EXPECT_EQ(column.has_default, expected[i].has_default);
    }
    ASSERT_NE(info->Find("PRICE"), nullptr);
    EXPECT_EQ(info->Find("PRICE")->name, "price");
  }

  // Another database; no primary key.
  ASSERT_TRUE(db_->Exec("CREATE TABLE elsewhere (v varchar(5))", "other_db").ok());
  auto elsewhere = session->DescribeTable("other_db.elsewhere");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status().ToString();
  ASSERT_EQ(elsewhere->columns.size(), 1u);
  EXPECT_TRUE(elsewhere->primary_key.empty());

  for (const std::string& missing :
       {std::string("no_such_table"), std::string("other_db.described"),
        std::string("no_such_db.described")}) {
    auto info = session->DescribeTable(missing);
    ASSERT_FALSE(info.ok()) << missing;
    EXPECT_EQ(info.status().code(), Status::Code::kNotFound) << info.status().ToString();
    EXPECT_NE(info.status().message().find(missing), std::string::npos) << info.status().ToString();
  }
}

TEST_F(MysqlSessionTest, OddIdentifiersAreQuoted) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->QuoteIdentifier("plain"), "`plain`");
  EXPECT_EQ(session->QuoteIdentifier("we`ird name"), "`we``ird name`");
  EXPECT_EQ(QuoteTableName(*session, "odd db.we`ird name"), "`odd db`.`we``ird name`");

  ASSERT_TRUE(db_->CreateDatabase("odd db").ok());
  const std::string table = QuoteTableName(*session, "odd db.we`ird name");
  const std::string column = session->QuoteIdentifier("col `x` y");
  MustExecute(*session, "CREATE TABLE " + table + " (" + column + " int PRIMARY KEY)");
  MustExecute(*session, "INSERT INTO " + table + " (" + column + ") VALUES (?)",
              {SqlParam::Text("5")});
  EXPECT_EQ(SessionValue(*session, "SELECT " + column + " FROM " + table), "5");
  auto info = session->DescribeTable("odd db.we`ird name");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->columns.size(), 1u);
  EXPECT_EQ(info->columns[0].name, "col `x` y");
  EXPECT_EQ(info->primary_key, (std::vector<std::string>{"col `x` y"}));
}

TEST(MysqlCategoryTest, CategoryOfType) {
  using C = ColumnCategory;
  const std::vector<std::pair<std::string, C>> cases = {
      {"tinyint(1)", C::kBool},
      {"TINYINT(1) UNSIGNED", C::kBool},
      {"bool", C::kBool},
      {"boolean", C::kBool},
      {"tinyint(4)", C::kInteger},
      {"tinyint", C::kInteger},
      {"smallint(6)", C::kInteger},
      {"mediumint(9) unsigned", C::kInteger},
      {"int(11)", C::kInteger},
      {"integer", C::kInteger},
      {"bigint(20) unsigned", C::kInteger},
      {"bigint unsigned zerofill", C::kInteger},
      {"decimal(10,2)", C::kDecimal},
      {"numeric(5)", C::kDecimal},
      {"float", C::kFloat},
      {"double", C::kFloat},
      {"double precision", C::kFloat},
      {"real", C::kFloat},
      {"char(2)", C::kText},
      {"varchar(20)", C::kText},
      {"tinytext", C::kText},
      {"text", C::kText},
      {"mediumtext", C::kText},
      {"longtext", C::kText},
      {"enum('a','b')", C::kText},
      {"set('x')", C::kText},
      {"binary(16)", C::kBinary},
      {"varbinary(300)", C::kBinary},
      {"tinyblob", C::kBinary},
      {"blob", C::kBinary},
      {"mediumblob", C::kBinary},
      {"longblob", C::kBinary},
      {"long varbinary", C::kBinary},
      {"long", C::kText},
      {"date", C::kDate},
      {"time", C::kTime},
      {"time(6)", C::kTime},
      {"datetime", C::kTimestamp},
      {"datetime(6)", C::kTimestamp},
      {"timestamp", C::kTimestampTz},
      {"timestamp(3)", C::kTimestampTz},
      {"json", C::kJson},
      {"bit(1)", C::kOther},
      {"year(4)", C::kOther},
      {"year", C::kOther},
      {"geometry", C::kOther},
      {"point", C::kOther},
      {"inet6", C::kOther},
      {"uuid", C::kOther},
      {"", C::kOther},
  };
  for (const auto& [type, category] : cases) {
    EXPECT_EQ(MysqlCategoryOfType(type), category)
        << "'" << type << "': " << ColumnCategoryName(MysqlCategoryOfType(type));
  }
}

TEST(MysqlErrorTest, Classification) {
  using Code = Status::Code;
  EXPECT_EQ(ClassifyMysqlError(1062, "23000"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(1048, "23000"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(1264, "22003"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(1366, "22007"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(1406, "22001"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(1452, "23000"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(1451, "23000"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(1292, "22007"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(3819, "HY000"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(4025, "23000"), Code::kRejected);
  EXPECT_EQ(ClassifyMysqlError(9999, "22012"), Code::kRejected);  // by SQLSTATE class
  EXPECT_EQ(ClassifyMysqlError(9999, "23505"), Code::kRejected);
  for (int code : {2006, 2013, 2055, 1927, 1053, 2002, 2003}) {
    EXPECT_EQ(ClassifyMysqlError(code, "HY000"), Code::kUnavailable) << code;
    EXPECT_TRUE(MysqlErrorLosesConnection(code)) << code;
  }
  EXPECT_EQ(ClassifyMysqlError(1213, "40001"), Code::kUnavailable);  // deadlock: redo
  EXPECT_FALSE(MysqlErrorLosesConnection(1213));
  EXPECT_FALSE(MysqlErrorLosesConnection(1062));
  EXPECT_EQ(ClassifyMysqlError(1146, "42S02"), Code::kFailedPrecondition);
  EXPECT_EQ(ClassifyMysqlError(1064, "42000"), Code::kFailedPrecondition);
  EXPECT_EQ(ClassifyMysqlError(1142, "42000"), Code::kFailedPrecondition);
  EXPECT_EQ(ClassifyMysqlError(1045, "28000"), Code::kFailedPrecondition);
  EXPECT_EQ(ClassifyMysqlError(0, ""), Code::kFailedPrecondition);
}

// With a node, each transaction the sink writes starts with the origin tag:
// the binlog (a server of its own, with row-based logging) holds the UPDATE
// of deltabridge_origin in the same transaction as the rows, before them.
// Then the rights the tag needs, as `deltabridge check` sees them.
TEST_F(MysqlSessionTest, WithANodeTheTagPrecedesTheRowsInTheBinlog) {
  TestMariadb::Options options;
  options.binlog = true;
  TestMariadb logged(options);
  Status started = logged.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ASSERT_TRUE(logged.CreateDatabase("tagged").ok());
  ASSERT_TRUE(
      logged.Exec("CREATE TABLE slots (id INT PRIMARY KEY, seats INT) ENGINE=InnoDB", "tagged")
          .ok());
  SinkConfig config = test::TaggingSinkConfig(
      "mysql",
      "  host: 127.0.0.1\n  port: " + std::to_string(logged.port()) + "\n  user: " + logged.user() +
          "\n  password: \"" + logged.password() + "\"\n  database: tagged\n",
      "slots");
  const MysqlTargetConfig target_config = *config.target.mysql();
  SqlTarget target(config, [target_config] { return ConnectMysql(target_config); });
  Result<Checkpoints> opened = target.Open();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  // Transactional whatever the server's default engine, so that the tag is
  // logged in the transaction it describes.
  EXPECT_EQ(ValueOf(logged.QueryValue("SELECT ENGINE FROM information_schema.TABLES WHERE "
                                      "TABLE_SCHEMA = 'tagged' AND TABLE_NAME = "
                                      "'deltabridge_origin'")),
            "InnoDB");
  Result<std::vector<TestMariadb::Row>> status = logged.Query("SHOW MASTER STATUS");
  ASSERT_TRUE(status.ok() && !status->empty()) << status.status().ToString();
  const std::string file = status->front()[0].value_or("");
  const std::string position = status->front()[1].value_or("");

  test::ApplyTransaction(
      target, {test::TaggingInsert(config, 1, 1, 10), test::TaggingInsert(config, 2, 2, 20)});
  EXPECT_EQ(ValueOf(logged.QueryValue("SELECT JSON_EXTRACT(tag, '$.path') FROM deltabridge_origin",
                                      "tagged")),
            "[\"parks.scheduling\"]");
  Result<std::vector<TestMariadb::Row>> events =
      logged.Query("SHOW BINLOG EVENTS IN '" + file + "' FROM " + position);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  // One word per event that matters: BEGIN (GTID), the tables whose rows
  // change, COMMIT (XID).
  std::string order;
  for (const TestMariadb::Row& e : *events) {
    const std::string type = e.size() > 5 ? e[2].value_or("") : "";
    const std::string info = e.size() > 5 ? e[5].value_or("") : "";
    if (type == "Gtid") order += "BEGIN ";
    if (type == "Xid") order += "COMMIT";
    if (type == "Table_map") {
      for (const char* table : {"deltabridge_origin", "slots"}) {
        if (info.find("(tagged." + std::string(table) + ")") != std::string::npos) {
          order += std::string(table) + " ";
        }
      }
    }
  }
  EXPECT_EQ(order, "BEGIN deltabridge_origin slots COMMIT");

  // A user that may read and write the tables of `fresh` but not create any.
  ASSERT_TRUE(logged.CreateDatabase("fresh").ok());
  ASSERT_TRUE(logged
                  .Exec("CREATE USER 'tagless'@'127.0.0.1' IDENTIFIED BY 'pw';"
                        "GRANT SELECT, INSERT, UPDATE, DELETE ON fresh.* TO 'tagless'@'127.0.0.1'")
                  .ok());
  MysqlTargetConfig tagless = target_config;
  tagless.user = "tagless";
  tagless.password = "pw";
  tagless.database = "fresh";
  auto session = Connect(tagless);
  ASSERT_NE(session, nullptr);
  auto check = [&] {
    CheckReport report;
    CheckOriginTag(*session, "to-dash", "dash.main", &report);
    EXPECT_EQ(report.lines().size(), 1u);
    return report.lines().empty() ? CheckLine{} : report.lines().front();
  };
  CheckLine cannot = check();
  EXPECT_EQ(cannot.level, CheckLine::Level::kFail) << cannot.what;
  EXPECT_NE(cannot.fix.find("GRANT CREATE ON fresh.* TO 'tagless'@'127.0.0.1'; or have a DBA "
                            "run: CREATE TABLE fresh.deltabridge_origin (writer VARCHAR(200) NOT "
                            "NULL PRIMARY KEY, tag VARCHAR(4000) NOT NULL) ENGINE=InnoDB DEFAULT "
                            "CHARSET=utf8mb4; GRANT SELECT, INSERT, UPDATE ON "
                            "fresh.deltabridge_origin TO 'tagless'@'127.0.0.1';"),
            std::string::npos)
      << cannot.fix;
  ASSERT_TRUE(logged.Exec("GRANT CREATE ON fresh.* TO 'tagless'@'127.0.0.1'").ok());
  CheckLine may = check();
  EXPECT_EQ(may.level, CheckLine::Level::kOk) << may.what;
  EXPECT_NE(may.what.find("the sink creates it on first start"), std::string::npos) << may.what;
  // Made by a DBA; a user that may only read it.
  ASSERT_TRUE(logged
                  .Exec("CREATE TABLE fresh.deltabridge_origin (writer VARCHAR(200) NOT NULL "
                        "PRIMARY KEY, tag VARCHAR(4000) NOT NULL) ENGINE=InnoDB;"
                        "REVOKE INSERT, UPDATE ON fresh.* FROM 'tagless'@'127.0.0.1'")
                  .ok());
  session = Connect(tagless);
  ASSERT_NE(session, nullptr);
  CheckLine read_only = check();
  EXPECT_EQ(read_only.level, CheckLine::Level::kFail) << read_only.what;
  EXPECT_NE(read_only.what.find("may not insert into it"), std::string::npos) << read_only.what;
  EXPECT_EQ(read_only.fix,
            "GRANT SELECT, INSERT, UPDATE ON fresh.deltabridge_origin TO 'tagless'@'127.0.0.1'");
}

// Last: crashes the server under an open session, then starts it again.
TEST_F(MysqlSessionTest, ServerCrashMakesTheSessionUnavailableAndBroken) {
  auto session = Connect();
  ASSERT_NE(session, nullptr);
  MustExecute(*session, "CREATE TABLE crash_t (id int PRIMARY KEY) ENGINE=InnoDB");
  MustExecute(*session, "INSERT INTO crash_t VALUES (1)");
  ASSERT_TRUE(session->Begin().ok());
  MustExecute(*session, "INSERT INTO crash_t VALUES (?)", {SqlParam::Text("2")});

  ASSERT_TRUE(db_->StopImmediate().ok());
  auto lost = session->Execute("INSERT INTO crash_t VALUES (?)", {SqlParam::Text("3")});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Status::Code::kUnavailable) << lost.status().ToString();
  EXPECT_TRUE(session->broken());
  EXPECT_NE(lost.status().message().find("MySQL error 20"), std::string::npos)
      << lost.status().ToString();
  // Everything after fails the same way, at once.
  auto again = session->Query("SELECT 1", {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kUnavailable) << again.status().ToString();
  EXPECT_EQ(session->Rollback().code(), Status::Code::kUnavailable);
  EXPECT_EQ(session->Commit().code(), Status::Code::kUnavailable);
  session.reset();  // closing a dead connection is quiet

  Status started = db_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto fresh = Connect();
  ASSERT_NE(fresh, nullptr);
  // The committed row survived the crash; the open transaction did not.
  EXPECT_EQ(SessionValue(*fresh, "SELECT GROUP_CONCAT(id) FROM crash_t"), "1");
}

}  // namespace
}  // namespace deltabridge
