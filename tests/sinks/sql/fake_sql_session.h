// FakeDatabase and FakeSqlSession: a SqlSession for the apply engine's unit
// tests, backed by an in-memory SQLite database in the test's own process.
//
// The engine under test builds real SQL in the session's dialect and the fake
// runs it, so a test asserts on the rows the target ends up holding, not on
// statements; a chunk of deltas applies in milliseconds. It speaks the
// dialects SQLite can run: kSqlite (what the ODBC target uses for SQLite) and
// kGeneric (the dialect of any other ODBC database). PostgreSQL's and MySQL's
// own SQL stays covered by the tests against real servers.
//
// What a real server does and the fake does too:
//   - transactions, savepoints, constraint errors (UNIQUE, NOT NULL, CHECK)
//     as Rejected, a lost connection as Unavailable (and broken() after it);
//   - a session dropped inside a transaction rolls it back, as a server does
//     when its client disconnects; the data outlives the session, so a new
//     session (SqlTarget::Open after an error) sees what was committed;
//   - COPY (CopyIn) when FakeSessionOptions::supports_copy, all or nothing
//     like PostgreSQL's COPY: a duplicate key fails the whole call.
// What it adds for tests: a fault hook that fails any statement (before or
// after running it) and a log of every statement run.
//
// Ownership: the FakeDatabase owns the SQLite connection and must outlive
// its sessions. One thread.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/sql/sql_session.h"
#include "sinks/sql/sql_target.h"

namespace deltabridge::testing {

struct FakeSessionOptions {
  SqlDialect dialect = SqlDialect::kSqlite;  // kSqlite or kGeneric
  bool supports_copy = false;
  int max_params = 900;
};

// What the fault hook asks for: fail the statement with `status`, without
// running it (after == false) or after running it (after == true: a commit
// whose reply was lost). An Unavailable status breaks the session: its open
// transaction is rolled back unless the statement ran.
struct Fault {
  Status status;
  bool after = false;
};

class FakeDatabase {
 public:
  FakeDatabase();
  ~FakeDatabase();
  FakeDatabase(const FakeDatabase&) = delete;
  FakeDatabase& operator=(const FakeDatabase&) = delete;

  // Runs SQL outside any session (setup and assertions): one or more statements.
  Status Exec(std::string_view sql);
  // The rows of a query, each column as text (nullopt for NULL).
  Result<std::vector<SqlRow>> Query(std::string_view sql);
  // The first column of the first row as text; "NULL" for NULL, "<none>" when
  // there is no row, the error's text when the query fails.
  std::string Value(std::string_view sql);

  // Makes sessions on this database (for SqlTarget's factory).
  SqlSessionFactory Factory(FakeSessionOptions options = {});

  // Called with each statement a session is about to run ("BEGIN", "COMMIT",
  // "ROLLBACK", "COPY <table>" for CopyIn, and every SQL text). A Fault fails it.
  std::function<std::optional<Fault>(std::string_view sql)> fault;
  // Every statement sessions ran or tried, in order.
  std::vector<std::string> statements;
  // Sessions made so far.
  int sessions_made = 0;

  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class FakeSqlSession final : public SqlSession {
 public:
  FakeSqlSession(FakeDatabase* db, FakeSessionOptions options);
  ~FakeSqlSession() override;

  SqlDialect dialect() const override { return options_.dialect; }
  std::string Describe() const override { return "SQLite (fake) in memory"; }
  std::string Placeholder(int index) const override;
  std::string QuoteIdentifier(std::string_view name) const override;
  int max_params() const override { return options_.max_params; }
  Result<uint64_t> Execute(std::string_view sql, const std::vector<SqlParam>& params) override;
  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlParam>& params) override;
  bool supports_copy() const override { return options_.supports_copy; }
  Status CopyIn(std::string_view quoted_table, const std::vector<std::string>& quoted_columns,
                const std::vector<SqlParam>& values) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
  Result<TargetTableInfo> DescribeTable(std::string_view table) override;
  ColumnCategory CategoryOfType(std::string_view sql_type) const override;
  bool broken() const override { return broken_; }

 private:
  // Runs one statement: the fault hook first, then SQLite. Rows go to *rows
  // when given; the changed-row count to *changes.
  Status Run(std::string_view sql, const std::vector<SqlParam>& params, std::vector<SqlRow>* rows,
             uint64_t* changes);
  // The hook's verdict on `sql`; nullopt to run it.
  std::optional<Fault> Hook(std::string_view sql);
  void Break();

  FakeDatabase* db_;  // borrowed
  FakeSessionOptions options_;
  bool broken_ = false;
  bool in_transaction_ = false;
};

}  // namespace deltabridge::testing
