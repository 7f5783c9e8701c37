// OdbcSession against real databases through their ODBC drivers: SQLite (a
// file in a TempDir), PostgreSQL through psqlODBC (a throwaway TestPostgres)
// and MariaDB through MariaDB Connector/ODBC (a throwaway TestMariadb). The
// drivers are named by path (odbc_test_drivers.h); nothing registered on the
// machine is used. Each server starts once for its suite; the test that stops
// a server under a session runs last in its suite.
#include "sinks/odbc/odbc_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/sinks/odbc/odbc_test_drivers.h"
#include "tests/sinks/sql/tagging_sink.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_mariadb.h"
#include "tests/support/test_postgres.h"

namespace deltabridge {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Non-ASCII UTF-8: é, a snowman, 日本語, and a four-byte emoji.
const std::string kUtf8Text =
    "h\xc3\xa9llo \xe2\x98\x83 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80";

// Every byte value, NULs included, twice.
std::string AllBytes() {
  std::string bytes;
  for (int round = 0; round < 2; ++round) {
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
  }
  return bytes;
}

// Longer than one SQLGetData chunk (64 KiB), with multi-byte characters
// across the chunk boundaries.
std::string LongText() {
  std::string text;
  while (text.size() < 200 * 1024) text += kUtf8Text + " ";
  return text;
}

std::string LongBinary() {
  std::string bytes;
  uint32_t x = 12345;
  while (bytes.size() < 150 * 1024) {
    x = x * 1103515245u + 12345u;
    bytes += static_cast<char>(x >> 24);
  }
  return bytes;
}

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::deltabridge::Status _st = (expr);                 \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st.ToString(); \
  } while (0)

// Runs `sql` and fails the test on an error.
void MustExecute(SqlSession& session, const std::string& sql,
                 const std::vector<SqlParam>& params = {}) {
  Result<uint64_t> result = session.Execute(sql, params);
  ASSERT_TRUE(result.ok()) << sql << ": " << result.status().ToString();
}

std::vector<SqlRow> MustQuery(SqlSession& session, const std::string& sql,
                              const std::vector<SqlParam>& params = {}) {
  Result<std::vector<SqlRow>> rows = session.Query(sql, params);
  EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
  return rows.ok() ? *rows : std::vector<SqlRow>();
}

// The first column of every row of `sql`, NULL as "NULL".
std::vector<std::string> Column(SqlSession& session, const std::string& sql) {
  std::vector<std::string> values;
  for (const SqlRow& row : MustQuery(session, sql)) {
    values.push_back(row.empty() || !row[0] ? "NULL" : *row[0]);
  }
  return values;
}

// What differs between the databases in the shared checks below.
struct Flavor {
  std::string text_type;    // holds any text
  std::string binary_type;  // holds any bytes
};

// Text (UTF-8), NULL and binary (every byte value) parameters go in and come
// back unchanged, also past one SQLGetData chunk; empty values stay empty.
void CheckRoundTrip(SqlSession& session, const Flavor& flavor) {
  MustExecute(session, "DROP TABLE IF EXISTS round_trip");
  MustExecute(session, "CREATE TABLE round_trip (id INTEGER PRIMARY KEY, txt " + flavor.text_type +
                           ", bin " + flavor.binary_type + ")");
  const std::string sql = "INSERT INTO round_trip (id, txt, bin) VALUES (" +
                          session.Placeholder(1) + ", " + session.Placeholder(2) + ", " +
                          session.Placeholder(3) + ")";
  struct Row {
    std::string id;
    std::optional<std::string> text;
    std::optional<std::string> binary;
  };
  const std::vector<Row> rows = {
      {"1", kUtf8Text, AllBytes()},
      {"2", std::nullopt, std::nullopt},
      {"3", LongText(), LongBinary()},
      {"4", "", ""},
  };
  for (const Row& row : rows) {
    std::vector<SqlParam> params = {SqlParam::Text(row.id),
                                    row.text ? SqlParam::Text(*row.text) : SqlParam::Null(),
                                    row.binary ? SqlParam::Binary(*row.binary) : SqlParam::Null()};
    Result<uint64_t> inserted = session.Execute(sql, params);
    ASSERT_TRUE(inserted.ok()) << "row " << row.id << ": " << inserted.status().ToString();
    EXPECT_EQ(*inserted, 1u) << "row " << row.id;
  }
  std::vector<SqlRow> got = MustQuery(session, "SELECT id, txt, bin FROM round_trip ORDER BY id");
  ASSERT_EQ(got.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE("row " + rows[i].id);
    ASSERT_EQ(got[i].size(), 3u);
    EXPECT_EQ(got[i][0], rows[i].id);
    ASSERT_EQ(got[i][1].has_value(), rows[i].text.has_value());
    if (rows[i].text) {
      EXPECT_EQ(got[i][1]->size(), rows[i].text->size());
      EXPECT_TRUE(*got[i][1] == *rows[i].text) << "text differs";
    }
    ASSERT_EQ(got[i][2].has_value(), rows[i].binary.has_value());
    if (rows[i].binary) {
      EXPECT_EQ(got[i][2]->size(), rows[i].binary->size());
      EXPECT_TRUE(*got[i][2] == *rows[i].binary) << "bytes differ";
    }
  }
  // A parameter in a WHERE clause matches the stored text exactly.
  std::vector<SqlRow> found =
      MustQuery(session, "SELECT id FROM round_trip WHERE txt = " + session.Placeholder(1),
                {SqlParam::Text(kUtf8Text)});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0][0], "1");
}

// Execute returns the rows affected, 0 when none matched.
void CheckAffectedRows(SqlSession& session) {
  MustExecute(session, "DROP TABLE IF EXISTS affected");
  MustExecute(session, "CREATE TABLE affected (id INTEGER PRIMARY KEY, v INTEGER)");
  MustExecute(session, "INSERT INTO affected (id, v) VALUES (1, 0), (2, 0), (3, 1)");
  Result<uint64_t> updated = session.Execute(
      "UPDATE affected SET v = 5 WHERE v = " + session.Placeholder(1), {SqlParam::Text("0")});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(*updated, 2u);
  Result<uint64_t> none = session.Execute("UPDATE affected SET v = 6 WHERE id = 99", {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0u);
  Result<uint64_t> deleted_none = session.Execute("DELETE FROM affected WHERE id = 99", {});
  ASSERT_TRUE(deleted_none.ok()) << deleted_none.status().ToString();
  EXPECT_EQ(*deleted_none, 0u);
  Result<uint64_t> deleted = session.Execute("DELETE FROM affected WHERE id = 3", {});
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 1u);
}

// A unique and a NOT NULL violation are Rejected, with the database's code in
// the message; bad SQL and a missing table are FailedPrecondition. The
// session stays usable.
void CheckRejected(SqlSession& session, const std::string& unique_code,
                   const std::string& not_null_code) {
  MustExecute(session, "DROP TABLE IF EXISTS rejects");
  MustExecute(session,
              "CREATE TABLE rejects (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, "
              "code VARCHAR(10) UNIQUE)");
  const std::string insert = "INSERT INTO rejects (id, name, code) VALUES (" +
                             session.Placeholder(1) + ", " + session.Placeholder(2) + ", " +
                             session.Placeholder(3) + ")";
  MustExecute(session, insert, {SqlParam::Text("1"), SqlParam::Text("a"), SqlParam::Text("x")});

  Result<uint64_t> duplicate =
      session.Execute(insert, {SqlParam::Text("1"), SqlParam::Text("b"), SqlParam::Text("y")});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), Status::Code::kRejected) << duplicate.status().ToString();
  EXPECT_THAT(duplicate.status().message(), HasSubstr(unique_code));

  Result<uint64_t> duplicate_code =
      session.Execute(insert, {SqlParam::Text("2"), SqlParam::Text("b"), SqlParam::Text("x")});
  ASSERT_FALSE(duplicate_code.ok());
  EXPECT_EQ(duplicate_code.status().code(), Status::Code::kRejected)
      << duplicate_code.status().ToString();

  Result<uint64_t> null_name =
      session.Execute(insert, {SqlParam::Text("3"), SqlParam::Null(), SqlParam::Text("z")});
  ASSERT_FALSE(null_name.ok());
  EXPECT_EQ(null_name.status().code(), Status::Code::kRejected) << null_name.status().ToString();
  EXPECT_THAT(null_name.status().message(), HasSubstr(not_null_code));

  Result<uint64_t> bad_sql = session.Execute("INSERT INTO rejects VALUE SOMETHING", {});
  ASSERT_FALSE(bad_sql.ok());
  EXPECT_EQ(bad_sql.status().code(), Status::Code::kFailedPrecondition)
      << bad_sql.status().ToString();
  Result<std::vector<SqlRow>> missing = session.Query("SELECT * FROM no_such_table", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kFailedPrecondition)
      << missing.status().ToString();

  EXPECT_FALSE(session.broken());
  EXPECT_EQ(Column(session, "SELECT id FROM rejects"), std::vector<std::string>({"1"}));
}

// Inside a transaction, a Rejected statement undone with ROLLBACK TO
// SAVEPOINT keeps the work before the savepoint; a later savepoint that
// succeeds is released; the commit keeps it all.
void CheckSavepoints(SqlSession& session, const std::string& table) {
  MustExecute(session, "DROP TABLE IF EXISTS " + table);
  MustExecute(session, "CREATE TABLE " + table + " (id INTEGER PRIMARY KEY)");
  const std::string insert =
      "INSERT INTO " + table + " (id) VALUES (" + session.Placeholder(1) + ")";
  ASSERT_OK(session.Begin());
  MustExecute(session, insert, {SqlParam::Text("1")});
  MustExecute(session, "SAVEPOINT deltabridge_sp");
  MustExecute(session, insert, {SqlParam::Text("2")});
  Result<uint64_t> duplicate = session.Execute(insert, {SqlParam::Text("1")});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), Status::Code::kRejected) << duplicate.status().ToString();
  MustExecute(session, "ROLLBACK TO SAVEPOINT deltabridge_sp");
  MustExecute(session, "RELEASE SAVEPOINT deltabridge_sp");
  MustExecute(session, insert, {SqlParam::Text("3")});
  MustExecute(session, "SAVEPOINT deltabridge_sp");
  MustExecute(session, insert, {SqlParam::Text("4")});
  MustExecute(session, "RELEASE SAVEPOINT deltabridge_sp");
  ASSERT_OK(session.Commit());
  EXPECT_EQ(Column(session, "SELECT id FROM " + table + " ORDER BY id"),
            std::vector<std::string>({"1", "3", "4"}));
}

// A commit is visible from a second session; a rollback's work is not, and
// Rollback() outside a transaction is a no-op. Begin twice and Commit
// without Begin are misuse.
void CheckCommitAndRollback(SqlSession& session, SqlSession& other) {
  MustExecute(session, "DROP TABLE IF EXISTS visible");
  MustExecute(session, "CREATE TABLE visible (id INTEGER PRIMARY KEY)");
  ASSERT_OK(session.Begin());
  EXPECT_EQ(session.Begin().code(), Status::Code::kFailedPrecondition);
  MustExecute(session, "INSERT INTO visible (id) VALUES (1)");
  EXPECT_EQ(Column(other, "SELECT COUNT(*) FROM visible"), std::vector<std::string>({"0"}));
  ASSERT_OK(session.Commit());
  EXPECT_EQ(Column(other, "SELECT COUNT(*) FROM visible"), std::vector<std::string>({"1"}));

  ASSERT_OK(session.Begin());
  MustExecute(session, "INSERT INTO visible (id) VALUES (2)");
  ASSERT_OK(session.Rollback());
  EXPECT_EQ(Column(other, "SELECT id FROM visible"), std::vector<std::string>({"1"}));
  EXPECT_EQ(Column(session, "SELECT id FROM visible"), std::vector<std::string>({"1"}));

  // Back in autocommit: a statement is visible at once.
  MustExecute(session, "INSERT INTO visible (id) VALUES (3)");
  EXPECT_EQ(Column(other, "SELECT id FROM visible ORDER BY id"),
            std::vector<std::string>({"1", "3"}));
  EXPECT_TRUE(session.Rollback().ok());
  EXPECT_EQ(session.Commit().code(), Status::Code::kFailedPrecondition);
}

const TargetColumnInfo& MustFind(const TargetTableInfo& info, const std::string& name) {
  const TargetColumnInfo* column = info.Find(name);
  EXPECT_NE(column, nullptr) << "no column " << name;
  static const TargetColumnInfo kMissing;
  return column != nullptr ? *column : kMissing;
}

std::vector<std::string> ColumnNames(const TargetTableInfo& info) {
  std::vector<std::string> names;
  for (const TargetColumnInfo& c : info.columns) names.push_back(c.name);
  return names;
}

// A session on `dsn`, or null (and a failed expectation) when it cannot connect.
std::unique_ptr<OdbcSession> Connect(const std::string& dsn) {
  Result<std::unique_ptr<OdbcSession>> session = OdbcSession::Connect({dsn});
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return session.ok() ? std::move(session).value() : nullptr;
}

// The fixture of a suite whose sessions connect to one throwaway server
// (started once for the suite) through its ODBC driver. `Target` names the
// server class (TestPostgres or TestMariadb), the database it creates for
// the sessions (kDatabase), the driver (Driver()) and the connection string
// (ConnectionString(driver, server)). A failed start or database fails each
// test at SetUp.
template <typename Target>
class OdbcServerTest : public ::testing::Test {
 protected:
  using Server = typename Target::Server;

  static void SetUpTestSuite() {
    server_ = new Server();
    Status started = server_->Start();
    if (!started.ok()) {
      setup_error_ = started.ToString();
      return;
    }
    Status created = server_->CreateDatabase(Target::kDatabase);
    if (!created.ok()) setup_error_ = created.ToString();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    Result<std::string> driver = Target::Driver();
    ASSERT_TRUE(driver.ok()) << driver.status().ToString();
    driver_ = *driver;
    dsn_ = Target::ConnectionString(driver_, *server_);
    session_ = Connect(dsn_);
  }

  static Server* server_;
  static std::string setup_error_;
  std::string driver_;
  std::string dsn_;
  std::unique_ptr<OdbcSession> session_;
};

template <typename Target>
typename Target::Server* OdbcServerTest<Target>::server_ = nullptr;
template <typename Target>
std::string OdbcServerTest<Target>::setup_error_;

// ---------------------------------------------------------------------------
// SQLite: a fresh database file per test.

class OdbcSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<test::TempDir> dir = test::TempDir::Create("deltabridge-odbc-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
    Result<std::string> driver = test::SqliteOdbcDriver();
    ASSERT_TRUE(driver.ok()) << driver.status().ToString();
    driver_ = *driver;
    dsn_ = test::SqliteConnectionString(driver_, dir_->Join("target.sqlite"));
    session_ = Connect(dsn_);
  }

  std::optional<test::TempDir> dir_;
  std::string driver_;
  std::string dsn_;
  std::unique_ptr<OdbcSession> session_;
};

TEST_F(OdbcSqliteTest, ConnectsWithTheSqliteDialect) {
  ASSERT_NE(session_, nullptr);
  EXPECT_EQ(session_->dialect(), SqlDialect::kSqlite);
  EXPECT_EQ(session_->dbms_name(), "SQLite");
  EXPECT_THAT(session_->Describe(), HasSubstr("SQLite 3."));
  EXPECT_THAT(session_->Describe(), HasSubstr("target.sqlite"));
  EXPECT_EQ(session_->Placeholder(1), "?");
  EXPECT_EQ(session_->Placeholder(7), "?");
  EXPECT_EQ(session_->QuoteIdentifier("tour \"slots\""), "\"tour \"\"slots\"\"\"");
  EXPECT_EQ(QuoteTableName(*session_, "main.t"), "\"main\".\"t\"");
  EXPECT_FALSE(session_->broken());

  // The factory the engine uses.
  Result<std::unique_ptr<SqlSession>> generic = ConnectOdbc({dsn_});
  ASSERT_TRUE(generic.ok()) << generic.status().ToString();
  EXPECT_EQ((*generic)->dialect(), SqlDialect::kSqlite);
}

TEST_F(OdbcSqliteTest, ConnectFailuresNameTheProblemButNeverThePassword) {
  Result<std::unique_ptr<SqlSession>> no_driver =
      ConnectOdbc({"Driver=/nonexistent/libnothing.so;Database=x;PWD=secret"});
  ASSERT_FALSE(no_driver.ok());
  EXPECT_EQ(no_driver.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(no_driver.status().message(), HasSubstr("/nonexistent/libnothing.so"));
  EXPECT_THAT(no_driver.status().message(), HasSubstr("PWD=***"));
  EXPECT_THAT(no_driver.status().message(), Not(HasSubstr("secret")));

  Result<std::unique_ptr<SqlSession>> no_dsn =
      ConnectOdbc({"DSN=deltabridge_no_such_dsn;PWD={se;cret}"});
  ASSERT_FALSE(no_dsn.ok());
  EXPECT_THAT(no_dsn.status().message(), HasSubstr("IM002"));
  EXPECT_THAT(no_dsn.status().message(), Not(HasSubstr("se;cret")));
  EXPECT_THAT(no_dsn.status().message(), Not(HasSubstr("cret")));

  Result<std::unique_ptr<SqlSession>> no_directory = ConnectOdbc(
      {"Driver=" + driver_ + ";Database=/nonexistent/directory/x.sqlite;Password=secret"});
  ASSERT_FALSE(no_directory.ok());
  EXPECT_THAT(no_directory.status().message(), HasSubstr("/nonexistent/directory/x.sqlite"));
  EXPECT_THAT(no_directory.status().message(), Not(HasSubstr("secret")));
}

TEST_F(OdbcSqliteTest, TextNullAndBinaryRoundTrip) {
  ASSERT_NE(session_, nullptr);
  CheckRoundTrip(*session_, {"TEXT", "BLOB"});
}

TEST_F(OdbcSqliteTest, ExecuteReturnsAffectedRows) {
  ASSERT_NE(session_, nullptr);
  CheckAffectedRows(*session_);
}

TEST_F(OdbcSqliteTest, ConstraintViolationsAreRejected) {
  ASSERT_NE(session_, nullptr);
  // sqliteodbc says HY000 for everything; the native code is SQLite's.
  CheckRejected(*session_, "UNIQUE constraint failed", "NOT NULL constraint failed");
  MustExecute(*session_, "CREATE TABLE checked (id INTEGER PRIMARY KEY, n INTEGER CHECK (n >= 0))");
  Result<uint64_t> check =
      session_->Execute("INSERT INTO checked (id, n) VALUES (1, ?)", {SqlParam::Text("-1")});
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().code(), Status::Code::kRejected) << check.status().ToString();
  EXPECT_THAT(check.status().message(), HasSubstr("CHECK constraint failed"));
  // A non-integer for the rowid.
  Result<uint64_t> mismatch =
      session_->Execute("INSERT INTO checked (id, n) VALUES (?, 1)", {SqlParam::Text("one")});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), Status::Code::kRejected) << mismatch.status().ToString();
}

TEST_F(OdbcSqliteTest, SavepointRollbackInsideATransactionKeepsEarlierWork) {
  ASSERT_NE(session_, nullptr);
  CheckSavepoints(*session_, "savepoints");
}

TEST_F(OdbcSqliteTest, CommitIsVisibleFromASecondSessionRollbackIsNot) {
  ASSERT_NE(session_, nullptr);
  std::unique_ptr<OdbcSession> other = Connect(dsn_);
  ASSERT_NE(other, nullptr);
  CheckCommitAndRollback(*session_, *other);
}

TEST_F(OdbcSqliteTest, DescribeTable) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_,
              "CREATE TABLE tour_slots (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, "
              "status TEXT DEFAULT 'open', price NUMERIC(10,2), rating REAL, photo BLOB, "
              "active BOOLEAN, day DATE, starts DATETIME, booked TIMESTAMP, notes CLOB, "
              "payload JSON, anything)");
  // "_" in the name is a search-pattern wildcard: this table must not mix in.
  MustExecute(*session_, "CREATE TABLE tourXslots (other INTEGER)");
  Result<TargetTableInfo> info = session_->DescribeTable("tour_slots");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->name, "tour_slots");
  EXPECT_EQ(ColumnNames(*info),
            std::vector<std::string>({"id", "name", "status", "price", "rating", "photo", "active",
                                      "day", "starts", "booked", "notes", "payload", "anything"}));
  EXPECT_EQ(info->primary_key, std::vector<std::string>({"id"}));

  const TargetColumnInfo& id = MustFind(*info, "id");
  EXPECT_EQ(id.sql_type, "integer");
  EXPECT_EQ(id.category, ColumnCategory::kInteger);
  EXPECT_TRUE(id.has_default) << "INTEGER PRIMARY KEY is the rowid";
  const TargetColumnInfo& name = MustFind(*info, "name");
  EXPECT_EQ(name.sql_type, "varchar(20)");
  EXPECT_EQ(name.category, ColumnCategory::kText);
  EXPECT_FALSE(name.nullable);
  EXPECT_FALSE(name.has_default);
  const TargetColumnInfo& status = MustFind(*info, "status");
  EXPECT_TRUE(status.nullable);
  EXPECT_TRUE(status.has_default);
  EXPECT_EQ(MustFind(*info, "price").category, ColumnCategory::kDecimal);
  EXPECT_EQ(MustFind(*info, "rating").category, ColumnCategory::kFloat);
  EXPECT_EQ(MustFind(*info, "photo").category, ColumnCategory::kBinary);
  EXPECT_EQ(MustFind(*info, "active").category, ColumnCategory::kBool);
  EXPECT_EQ(MustFind(*info, "day").category, ColumnCategory::kDate);
  EXPECT_EQ(MustFind(*info, "starts").category, ColumnCategory::kTimestamp);
  EXPECT_EQ(MustFind(*info, "booked").category, ColumnCategory::kTimestamp);
  EXPECT_EQ(MustFind(*info, "notes").category, ColumnCategory::kText);
  EXPECT_EQ(MustFind(*info, "payload").category, ColumnCategory::kJson);
  EXPECT_EQ(MustFind(*info, "anything").category, ColumnCategory::kOther);

  // "main." is the only schema SQLite has.
  Result<TargetTableInfo> main = session_->DescribeTable("main.tour_slots");
  ASSERT_TRUE(main.ok()) << main.status().ToString();
  EXPECT_EQ(main->name, "main.tour_slots");
  EXPECT_EQ(main->columns.size(), info->columns.size());
}

TEST_F(OdbcSqliteTest, DescribeTableKeyOrderAndNotFound) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_,
              "CREATE TABLE bookings (slot INTEGER NOT NULL, guest TEXT NOT NULL, seats INT, "
              "PRIMARY KEY (guest, slot))");
  Result<TargetTableInfo> info = session_->DescribeTable("bookings");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->primary_key, std::vector<std::string>({"guest", "slot"}));
  EXPECT_FALSE(MustFind(*info, "slot").has_default);

  MustExecute(*session_, "CREATE TABLE no_key (a INTEGER)");
  Result<TargetTableInfo> no_key = session_->DescribeTable("no_key");
  ASSERT_TRUE(no_key.ok()) << no_key.status().ToString();
  EXPECT_TRUE(no_key->primary_key.empty());

  Result<TargetTableInfo> missing = session_->DescribeTable("no_such_table");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound) << missing.status().ToString();
  EXPECT_THAT(missing.status().message(), HasSubstr("no_such_table"));

  Result<TargetTableInfo> schema = session_->DescribeTable("public.bookings");
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().code(), Status::Code::kNotFound) << schema.status().ToString();
  EXPECT_THAT(schema.status().message(), HasSubstr("SQLite has no schemas"));

  // "%" must not match everything.
  Result<TargetTableInfo> pattern = session_->DescribeTable("%");
  ASSERT_FALSE(pattern.ok());
  EXPECT_EQ(pattern.status().code(), Status::Code::kNotFound) << pattern.status().ToString();
}

// With a node, the sink makes deltabridge_origin through the driver and
// updates its row in each transaction it writes, with the deltas' path and a
// new n each time.
TEST_F(OdbcSqliteTest, WithANodeEachTransactionUpdatesTheTag) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_, "CREATE TABLE slots (id INTEGER PRIMARY KEY, seats INTEGER)");
  SinkConfig config = test::TaggingSinkConfig("odbc", "  dsn: \"" + dsn_ + "\"\n", "slots");
  const std::string dsn = dsn_;
  SqlTarget target(config, [dsn] { return ConnectOdbc({dsn}); });
  Result<Checkpoints> opened = target.Open();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto tag = [&] {
    std::vector<SqlRow> rows = MustQuery(*session_, "SELECT writer, tag FROM deltabridge_origin");
    EXPECT_EQ(rows.size(), 1u);
    if (rows.size() != 1 || rows[0].size() != 2) return std::string();
    return rows[0][0].value_or("NULL") + " " + rows[0][1].value_or("NULL");
  };
  const std::string first = tag();
  EXPECT_THAT(first, HasSubstr("to-dash {\"n\":"));
  EXPECT_THAT(first, HasSubstr(",\"path\":[\"dash.main\"]}"));
  test::ApplyTransaction(
      target, {test::TaggingInsert(config, 1, 1, 10), test::TaggingInsert(config, 2, 2, 20)});
  const std::string second = tag();
  EXPECT_THAT(second, HasSubstr(",\"path\":[\"parks.scheduling\"]}"));
  test::ApplyTransaction(target, {test::TaggingInsert(config, 3, 3, 30)});
  const std::string third = tag();
  EXPECT_NE(third, second);  // n moved on, the path is the same
  EXPECT_THAT(third, HasSubstr(",\"path\":[\"parks.scheduling\"]}"));
  EXPECT_EQ(MustQuery(*session_, "SELECT count(*) FROM slots")[0][0], "3");
}

// ---------------------------------------------------------------------------
// PostgreSQL through psqlODBC: one server for the suite.

struct PostgresTarget {
  using Server = test::TestPostgres;
  static constexpr char kDatabase[] = "odbc target";
  static Result<std::string> Driver() { return test::PostgresOdbcDriver(); }
  static std::string ConnectionString(const std::string& driver, const Server& server) {
    return test::PostgresConnectionString(driver, server.port(), kDatabase);
  }
};

class OdbcPostgresTest : public OdbcServerTest<PostgresTarget> {};

TEST_F(OdbcPostgresTest, ConnectsWithTheGenericDialect) {
  ASSERT_NE(session_, nullptr);
  EXPECT_EQ(session_->dialect(), SqlDialect::kGeneric);
  EXPECT_EQ(session_->dbms_name(), "PostgreSQL");
  EXPECT_THAT(session_->Describe(), HasSubstr("PostgreSQL 15."));
  EXPECT_THAT(session_->Describe(), HasSubstr("Port=" + std::to_string(server_->port())));
  EXPECT_EQ(session_->Placeholder(2), "?");
  EXPECT_EQ(session_->QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(Column(*session_, "SHOW TimeZone"), std::vector<std::string>({"UTC"}));

  // Trust authentication ignores the password; it must not show anyway.
  std::unique_ptr<OdbcSession> with_password = Connect(dsn_ + "PWD=secret;");
  ASSERT_NE(with_password, nullptr);
  EXPECT_THAT(with_password->Describe(), HasSubstr("PWD=***"));
  EXPECT_THAT(with_password->Describe(), Not(HasSubstr("secret")));
  Result<uint64_t> failed = with_password->Execute("SELEC 1", {});
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("42601"));
  EXPECT_THAT(failed.status().message(), Not(HasSubstr("secret")));
}

TEST_F(OdbcPostgresTest, ConnectFailureIsUnavailableAndRedacted) {
  // A port nobody listens on (TestPostgres draws from 20000 and up).
  Result<std::unique_ptr<SqlSession>> refused = ConnectOdbc(
      {"Driver=" + driver_ + ";Server=127.0.0.1;Port=1;Database=x;Uid=postgres;PWD=secret;"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kUnavailable) << refused.status().ToString();
  EXPECT_THAT(refused.status().message(), HasSubstr("08001"));
  EXPECT_THAT(refused.status().message(), HasSubstr("PWD=***"));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("secret")));

  Result<std::unique_ptr<SqlSession>> no_database =
      ConnectOdbc({test::PostgresConnectionString(driver_, server_->port(), "no_such_db") +
                   "Password={s;e}}cret};"});
  ASSERT_FALSE(no_database.ok());
  EXPECT_THAT(no_database.status().message(), HasSubstr("no_such_db"));
  EXPECT_THAT(no_database.status().message(), Not(HasSubstr("cret")));
}

TEST_F(OdbcPostgresTest, RefusesWholeTransactionRollbackOnError) {
  Result<std::unique_ptr<SqlSession>> refused = ConnectOdbc({dsn_ + "Protocol=7.4-1;"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("Protocol=7.4-1"));
}

TEST_F(OdbcPostgresTest, TextNullAndBinaryRoundTrip) {
  ASSERT_NE(session_, nullptr);
  CheckRoundTrip(*session_, {"text", "bytea"});
}

// Values travel as text into typed columns (the server infers the type) and
// come back as PostgreSQL writes them: psqlODBC's bool 1/0, upper-case uuid
// and timestamptz without offset are undone.
TEST_F(OdbcPostgresTest, TypedColumnsTakeAndGiveText) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_, "DROP TABLE IF EXISTS typed");
  MustExecute(*session_,
              "CREATE TABLE typed (id int4 PRIMARY KEY, big int8, amount numeric(12,2), "
              "ratio float8, flag bool, day date, at time, ts timestamp, tstz timestamptz, "
              "doc jsonb, uid uuid, tags text[])");
  std::vector<SqlParam> params = {SqlParam::Text("1"),
                                  SqlParam::Text("-9223372036854775808"),
                                  SqlParam::Text("1234.5"),
                                  SqlParam::Text("0.1"),
                                  SqlParam::Text("t"),
                                  SqlParam::Text("2026-11-27"),
                                  SqlParam::Text("10:11:12.5"),
                                  SqlParam::Text("2026-11-27 10:00:00.25"),
                                  SqlParam::Text("2026-11-27 10:00:00.5+02"),
                                  SqlParam::Text("{\"a\": [1, \"\xc3\xa9\"]}"),
                                  SqlParam::Text("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
                                  SqlParam::Text("{x,y}")};
  MustExecute(*session_, "INSERT INTO typed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", params);
  MustExecute(*session_, "INSERT INTO typed (id, flag) VALUES (2, ?)", {SqlParam::Text("false")});
  std::vector<SqlRow> rows = MustQuery(*session_, "SELECT * FROM typed ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  const SqlRow expected = {"1",
                           "-9223372036854775808",
                           "1234.50",
                           "0.1",
                           "t",
                           "2026-11-27",
                           "10:11:12.5",
                           "2026-11-27 10:00:00.25",
                           "2026-11-27 08:00:00.5+00",
                           "{\"a\": [1, \"\xc3\xa9\"]}",
                           "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                           "{x,y}"};
  EXPECT_EQ(rows[0], expected);
  EXPECT_EQ(rows[1][4], "f");
  EXPECT_EQ(rows[1][1], std::nullopt);
  // A value that is not valid for the column's type is a data exception.
  Result<uint64_t> bad = session_->Execute("INSERT INTO typed (id, day) VALUES (3, ?)",
                                           {SqlParam::Text("2026-02-30")});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kRejected) << bad.status().ToString();
  EXPECT_THAT(bad.status().message(), HasSubstr("SQLSTATE 22008"));
}

TEST_F(OdbcPostgresTest, ExecuteReturnsAffectedRows) {
  ASSERT_NE(session_, nullptr);
  CheckAffectedRows(*session_);
}

TEST_F(OdbcPostgresTest, ConstraintViolationsAreRejected) {
  ASSERT_NE(session_, nullptr);
  CheckRejected(*session_, "SQLSTATE 23505", "SQLSTATE 23502");
  Result<uint64_t> not_a_number =
      session_->Execute("INSERT INTO rejects (id, name) VALUES (?, 'n')", {SqlParam::Text("2x")});
  ASSERT_FALSE(not_a_number.ok());
  EXPECT_EQ(not_a_number.status().code(), Status::Code::kRejected);
  EXPECT_THAT(not_a_number.status().message(), HasSubstr("SQLSTATE 22P02"));
}

// With every rollback-on-error level psqlODBC accepts, the engine's savepoint
// protocol keeps the work before the savepoint.
TEST_F(OdbcPostgresTest, SavepointRollbackInsideATransactionKeepsEarlierWork) {
  for (const std::string& option :
       {std::string(), std::string("Protocol=7.4-2;"), std::string("Protocol=7.4-0;"),
        std::string("UseDeclareFetch=1;"), std::string("Protocol=7.4-0;UseDeclareFetch=1;")}) {
    SCOPED_TRACE("options: " + option);
    std::unique_ptr<OdbcSession> session = Connect(dsn_ + option);
    ASSERT_NE(session, nullptr);
    CheckSavepoints(*session, "savepoints");
  }
}

// What happens after a Rejected statement inside a transaction, without the
// engine's savepoint: psqlODBC's default (statement-level rollback) undoes
// only the statement; with Protocol=7.4-0 the transaction is aborted, as with
// libpq, until a ROLLBACK (TO SAVEPOINT).
TEST_F(OdbcPostgresTest, AfterARejectedStatementInATransaction) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_, "DROP TABLE IF EXISTS after_reject");
  MustExecute(*session_, "CREATE TABLE after_reject (id int PRIMARY KEY)");

  ASSERT_OK(session_->Begin());
  MustExecute(*session_, "INSERT INTO after_reject VALUES (1)");
  EXPECT_EQ(session_->Execute("INSERT INTO after_reject VALUES (1)", {}).status().code(),
            Status::Code::kRejected);
  MustExecute(*session_, "INSERT INTO after_reject VALUES (2)");
  ASSERT_OK(session_->Commit());
  EXPECT_EQ(Column(*session_, "SELECT id FROM after_reject ORDER BY id"),
            std::vector<std::string>({"1", "2"}));

  std::unique_ptr<OdbcSession> no_rollback = Connect(dsn_ + "Protocol=7.4-0;");
  ASSERT_NE(no_rollback, nullptr);
  ASSERT_OK(no_rollback->Begin());
  MustExecute(*no_rollback, "INSERT INTO after_reject VALUES (3)");
  EXPECT_EQ(no_rollback->Execute("INSERT INTO after_reject VALUES (1)", {}).status().code(),
            Status::Code::kRejected);
  Result<uint64_t> aborted = no_rollback->Execute("INSERT INTO after_reject VALUES (4)", {});
  ASSERT_FALSE(aborted.ok());
  EXPECT_EQ(aborted.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(aborted.status().message(), HasSubstr("25P02"));
  ASSERT_OK(no_rollback->Rollback());
  EXPECT_FALSE(no_rollback->broken());
  EXPECT_EQ(Column(*no_rollback, "SELECT id FROM after_reject ORDER BY id"),
            std::vector<std::string>({"1", "2"}));
}

TEST_F(OdbcPostgresTest, CommitIsVisibleFromASecondSessionRollbackIsNot) {
  ASSERT_NE(session_, nullptr);
  std::unique_ptr<OdbcSession> other = Connect(dsn_);
  ASSERT_NE(other, nullptr);
  CheckCommitAndRollback(*session_, *other);
}

TEST_F(OdbcPostgresTest, DescribeTable) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_, "DROP TABLE IF EXISTS tour_slots, \"tourXslots\"");
  MustExecute(*session_,
              "CREATE TABLE tour_slots (id int8 GENERATED ALWAYS AS IDENTITY, seq serial, "
              "name varchar(20) NOT NULL, code char(3), note varchar, body text, "
              "status text DEFAULT 'open', seats int4 NOT NULL DEFAULT 0, small int2, "
              "price numeric(10,2), rating float8, ratio float4, active bool, photo bytea, "
              "day date, at time, starts timestamp, booked timestamptz, doc json, "
              "docb jsonb, uid uuid, span interval, PRIMARY KEY (name, id))");
  MustExecute(*session_, "CREATE TABLE \"tourXslots\" (other int)");
  Result<TargetTableInfo> info = session_->DescribeTable("tour_slots");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->primary_key, std::vector<std::string>({"name", "id"}));
  EXPECT_EQ(ColumnNames(*info),
            std::vector<std::string>({"id",     "seq",   "name",  "code",  "note",   "body",
                                      "status", "seats", "small", "price", "rating", "ratio",
                                      "active", "photo", "day",   "at",    "starts", "booked",
                                      "doc",    "docb",  "uid",   "span"}));
  struct Expected {
    std::string column;
    std::string sql_type;
    ColumnCategory category;
    bool nullable;
    bool has_default;
  };
  const std::vector<Expected> expected = {
      {"id", "int8", ColumnCategory::kInteger, false, true},
      {"seq", "int4", ColumnCategory::kInteger, false, true},
      {"name", "varchar(20)", ColumnCategory::kText, false, false},
      {"code", "bpchar(3)", ColumnCategory::kText, true, false},
      {"note", "varchar", ColumnCategory::kText, true, false},
      {"body", "text", ColumnCategory::kText, true, false},
      {"status", "text", ColumnCategory::kText, true, true},
      {"seats", "int4", ColumnCategory::kInteger, false, true},
      {"small", "int2", ColumnCategory::kInteger, true, false},
      {"price", "numeric", ColumnCategory::kDecimal, true, false},
      {"rating", "float8", ColumnCategory::kFloat, true, false},
      {"ratio", "float4", ColumnCategory::kFloat, true, false},
      {"active", "bool", ColumnCategory::kBool, true, false},
      {"photo", "bytea", ColumnCategory::kBinary, true, false},
      {"day", "date", ColumnCategory::kDate, true, false},
      {"at", "time", ColumnCategory::kTime, true, false},
      {"starts", "timestamp", ColumnCategory::kTimestamp, true, false},
      {"booked", "timestamptz", ColumnCategory::kTimestampTz, true, false},
      {"doc", "json", ColumnCategory::kJson, true, false},
      {"docb", "jsonb", ColumnCategory::kJson, true, false},
      {"uid", "uuid", ColumnCategory::kOther, true, false},
      {"span", "interval", ColumnCategory::kOther, true, false},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE("column " + e.column);
    const TargetColumnInfo& c = MustFind(*info, e.column);
    EXPECT_EQ(c.sql_type, e.sql_type);
    EXPECT_EQ(ColumnCategoryName(c.category), ColumnCategoryName(e.category));
    EXPECT_EQ(c.nullable, e.nullable);
    EXPECT_EQ(c.has_default, e.has_default);
  }
  Result<TargetTableInfo> qualified = session_->DescribeTable("public.tour_slots");
  ASSERT_TRUE(qualified.ok()) << qualified.status().ToString();
  EXPECT_EQ(qualified->name, "public.tour_slots");
  EXPECT_EQ(ColumnNames(*qualified), ColumnNames(*info));
}

TEST_F(OdbcPostgresTest, DescribeTableSchemasAndNotFound) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_, "DROP SCHEMA IF EXISTS sales CASCADE");
  MustExecute(*session_, "CREATE SCHEMA sales");
  MustExecute(*session_, "DROP TABLE IF EXISTS public.orders");
  MustExecute(*session_, "CREATE TABLE public.orders (id int PRIMARY KEY)");
  MustExecute(*session_,
              "CREATE TABLE sales.orders (region text, id int, PRIMARY KEY (region, id))");

  // A bare name is looked up in current_schema() (public).
  Result<TargetTableInfo> bare = session_->DescribeTable("orders");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(ColumnNames(*bare), std::vector<std::string>({"id"}));
  Result<TargetTableInfo> sales = session_->DescribeTable("sales.orders");
  ASSERT_TRUE(sales.ok()) << sales.status().ToString();
  EXPECT_EQ(ColumnNames(*sales), std::vector<std::string>({"region", "id"}));
  EXPECT_EQ(sales->primary_key, std::vector<std::string>({"region", "id"}));

  for (const char* missing :
       {"no_such_table", "sales.no_such_table", "no_such_schema.orders", "sales.order_"}) {
    Result<TargetTableInfo> info = session_->DescribeTable(missing);
    ASSERT_FALSE(info.ok()) << missing;
    EXPECT_EQ(info.status().code(), Status::Code::kNotFound) << info.status().ToString();
  }
}

// Last in the suite: stops the server under a live session, then restarts it.
TEST_F(OdbcPostgresTest, ServerStoppedUnderTheSessionIsUnavailableAndBroken) {
  ASSERT_NE(session_, nullptr);
  std::unique_ptr<OdbcSession> in_transaction = Connect(dsn_);
  ASSERT_NE(in_transaction, nullptr);
  MustExecute(*session_, "SELECT 1");
  ASSERT_OK(in_transaction->Begin());
  MustExecute(*in_transaction, "SELECT 1");

  ASSERT_OK(server_->StopImmediate());
  Result<uint64_t> lost = session_->Execute("SELECT 1", {});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Status::Code::kUnavailable) << lost.status().ToString();
  EXPECT_TRUE(session_->broken());
  // Broken stays broken, and says so at once.
  Result<std::vector<SqlRow>> again = session_->Query("SELECT 1", {});
  EXPECT_EQ(again.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(session_->Begin().code(), Status::Code::kUnavailable);
  EXPECT_EQ(session_->DescribeTable("orders").status().code(), Status::Code::kUnavailable);

  Result<uint64_t> lost_in_transaction = in_transaction->Execute("SELECT 1", {});
  EXPECT_EQ(lost_in_transaction.status().code(), Status::Code::kUnavailable)
      << lost_in_transaction.status().ToString();
  EXPECT_TRUE(in_transaction->broken());

  Result<std::unique_ptr<SqlSession>> down = ConnectOdbc({dsn_});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), Status::Code::kUnavailable) << down.status().ToString();

  ASSERT_OK(server_->Start());
  std::unique_ptr<OdbcSession> fresh = Connect(dsn_);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(Column(*fresh, "SELECT 1"), std::vector<std::string>({"1"}));
}

// ---------------------------------------------------------------------------
// MariaDB through MariaDB Connector/ODBC: one server for the suite.

struct MariadbTarget {
  using Server = test::TestMariadb;
  static constexpr char kDatabase[] = "odbc_target";
  static Result<std::string> Driver() { return test::MariadbOdbcDriver(); }
  static std::string ConnectionString(const std::string& driver, const Server& server) {
    return test::MariadbConnectionString(driver, server.port(), kDatabase, server.user(),
                                         server.password());
  }
};

class OdbcMariadbTest : public OdbcServerTest<MariadbTarget> {};

TEST_F(OdbcMariadbTest, ConnectsWithTheMysqlDialect) {
  ASSERT_NE(session_, nullptr);
  EXPECT_EQ(session_->dialect(), SqlDialect::kMysql);
  EXPECT_EQ(session_->dbms_name(), "MariaDB");
  EXPECT_THAT(session_->Describe(), HasSubstr("MariaDB 10."));
  EXPECT_THAT(session_->Describe(), HasSubstr("Pwd=***"));
  EXPECT_THAT(session_->Describe(), Not(HasSubstr(server_->password())));
  EXPECT_EQ(session_->Placeholder(1), "?");
  EXPECT_EQ(session_->QuoteIdentifier("a`b"), "`a``b`");
  EXPECT_EQ(Column(*session_, "SELECT @@session.time_zone"), std::vector<std::string>({"+00:00"}));

  Result<std::unique_ptr<SqlSession>> refused = ConnectOdbc(
      {"Driver=" + driver_ + ";Server=127.0.0.1;Port=1;Database=x;Uid=root;Pwd=secret;"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kUnavailable) << refused.status().ToString();
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("secret")));

  Result<std::unique_ptr<SqlSession>> bad_login = ConnectOdbc(
      {test::MariadbConnectionString(driver_, server_->port(), "odbc_target", "root", "wrong")});
  ASSERT_FALSE(bad_login.ok());
  EXPECT_EQ(bad_login.status().code(), Status::Code::kFailedPrecondition)
      << bad_login.status().ToString();
  EXPECT_THAT(bad_login.status().message(), HasSubstr("1045"));
  EXPECT_THAT(bad_login.status().message(), Not(HasSubstr("wrong")));
}

TEST_F(OdbcMariadbTest, TextNullAndBinaryRoundTrip) {
  ASSERT_NE(session_, nullptr);
  CheckRoundTrip(*session_, {"LONGTEXT CHARACTER SET utf8mb4", "LONGBLOB"});
}

TEST_F(OdbcMariadbTest, ExecuteReturnsAffectedRows) {
  ASSERT_NE(session_, nullptr);
  CheckAffectedRows(*session_);
}

TEST_F(OdbcMariadbTest, ConstraintViolationsAreRejected) {
  ASSERT_NE(session_, nullptr);
  CheckRejected(*session_, "native 1062", "native 1048");
  // Connector/ODBC reports this one (SQLSTATE 01000, an error in strict
  // mode) as SQL_SUCCESS_WITH_INFO when the statement has parameters.
  Result<uint64_t> truncated =
      session_->Execute("INSERT INTO rejects (id, name) VALUES (?, 'n')", {SqlParam::Text("2x")});
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), Status::Code::kRejected) << truncated.status().ToString();
  EXPECT_THAT(truncated.status().message(), HasSubstr("native 1265"));
  Result<uint64_t> too_long = session_->Execute("INSERT INTO rejects (id, name) VALUES (5, ?)",
                                                {SqlParam::Text(std::string(21, 'x'))});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), Status::Code::kRejected) << too_long.status().ToString();
  EXPECT_EQ(Column(*session_, "SELECT id FROM rejects"), std::vector<std::string>({"1"}));
}

TEST_F(OdbcMariadbTest, SavepointRollbackInsideATransactionKeepsEarlierWork) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_, "SET SESSION default_storage_engine = InnoDB");
  CheckSavepoints(*session_, "savepoints");
}

TEST_F(OdbcMariadbTest, CommitIsVisibleFromASecondSessionRollbackIsNot) {
  ASSERT_NE(session_, nullptr);
  std::unique_ptr<OdbcSession> other = Connect(dsn_);
  ASSERT_NE(other, nullptr);
  CheckCommitAndRollback(*session_, *other);
}

TEST_F(OdbcMariadbTest, DescribeTable) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_, "DROP TABLE IF EXISTS tour_slots, tourXslots");
  MustExecute(*session_,
              "CREATE TABLE tour_slots (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, "
              "name VARCHAR(20) NOT NULL, status VARCHAR(10) DEFAULT 'open', seats INT NOT NULL "
              "DEFAULT 0, price DECIMAL(10,2), rating DOUBLE, active BOOLEAN, photo BLOB, "
              "day DATE, at TIME, starts DATETIME(6), booked TIMESTAMP NULL, doc JSON, "
              "kind ENUM('a','b'), PRIMARY KEY (name, id), KEY (id))");
  MustExecute(*session_, "CREATE TABLE tourXslots (other INT)");
  Result<TargetTableInfo> info = session_->DescribeTable("tour_slots");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->primary_key, std::vector<std::string>({"name", "id"}));
  EXPECT_EQ(ColumnNames(*info),
            std::vector<std::string>({"id", "name", "status", "seats", "price", "rating", "active",
                                      "photo", "day", "at", "starts", "booked", "doc", "kind"}));
  const TargetColumnInfo& id = MustFind(*info, "id");
  EXPECT_EQ(id.sql_type, "bigint unsigned");
  EXPECT_EQ(id.category, ColumnCategory::kInteger);
  EXPECT_TRUE(id.has_default) << "AUTO_INCREMENT";
  // (Connector/ODBC reports an AUTO_INCREMENT column nullable: a NULL
  // written to it makes the next value.)
  const TargetColumnInfo& name = MustFind(*info, "name");
  EXPECT_EQ(name.sql_type, "varchar(20)");
  EXPECT_FALSE(name.has_default);
  EXPECT_TRUE(MustFind(*info, "status").has_default);
  EXPECT_TRUE(MustFind(*info, "seats").has_default);
  EXPECT_FALSE(MustFind(*info, "price").has_default);
  EXPECT_EQ(MustFind(*info, "price").category, ColumnCategory::kDecimal);
  EXPECT_EQ(MustFind(*info, "rating").category, ColumnCategory::kFloat);
  EXPECT_EQ(MustFind(*info, "active").category, ColumnCategory::kInteger);  // tinyint
  EXPECT_EQ(MustFind(*info, "photo").category, ColumnCategory::kBinary);
  EXPECT_EQ(MustFind(*info, "day").category, ColumnCategory::kDate);
  EXPECT_EQ(MustFind(*info, "at").category, ColumnCategory::kTime);
  EXPECT_EQ(MustFind(*info, "starts").category, ColumnCategory::kTimestamp);
  EXPECT_EQ(MustFind(*info, "booked").category, ColumnCategory::kTimestampTz);
  EXPECT_EQ(MustFind(*info, "kind").category, ColumnCategory::kText);

  Result<TargetTableInfo> qualified = session_->DescribeTable("odbc_target.tour_slots");
  ASSERT_TRUE(qualified.ok()) << qualified.status().ToString();
  EXPECT_EQ(ColumnNames(*qualified), ColumnNames(*info));
  EXPECT_EQ(qualified->primary_key, info->primary_key);
  for (const char* missing : {"no_such_table", "no_such_db.tour_slots", "tour_slot_"}) {
    Result<TargetTableInfo> not_found = session_->DescribeTable(missing);
    ASSERT_FALSE(not_found.ok()) << missing;
    EXPECT_EQ(not_found.status().code(), Status::Code::kNotFound) << not_found.status().ToString();
  }
}

// Last in the suite: kills the server under a live session.
TEST_F(OdbcMariadbTest, ServerStoppedUnderTheSessionIsUnavailableAndBroken) {
  ASSERT_NE(session_, nullptr);
  MustExecute(*session_, "SELECT 1");
  ASSERT_OK(server_->StopImmediate());
  Result<uint64_t> lost = session_->Execute("SELECT 1", {});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Status::Code::kUnavailable) << lost.status().ToString();
  EXPECT_TRUE(session_->broken());
  ASSERT_OK(server_->Start());
  std::unique_ptr<OdbcSession> fresh = Connect(dsn_);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(Column(*fresh, "SELECT 1"), std::vector<std::string>({"1"}));
}

}  // namespace
}  // namespace deltabridge
