#include "tests/sinks/sql/fake_sql_session.h"

#include <cstdio>

#include "sinks/odbc/odbc_session.h"

namespace deltabridge::testing {
namespace {

// A statement prepared on the database; finalized when it goes.
class Statement {
 public:
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

Status Error(sqlite3* db, int rc, std::string_view sql) {
  std::string msg = std::string(sqlite3_errmsg(db)) + " (SQLite " + std::to_string(rc) +
                    ") in: " + std::string(sql.substr(0, 200));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return Status::Rejected(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(msg);
    default:
      return Status::FailedPrecondition(msg);
  }
}

std::optional<std::string> ColumnText(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_BLOB: {
      const void* data = sqlite3_column_blob(stmt, i);
      int n = sqlite3_column_bytes(stmt, i);
      return std::string(static_cast<const char*>(data), static_cast<size_t>(n));
    }
    case SQLITE_FLOAT: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(stmt, i));
      return std::string(buf);
    }
    default: {
      const unsigned char* text = sqlite3_column_text(stmt, i);
      int n = sqlite3_column_bytes(stmt, i);
      return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
    }
  }
}

// Runs every statement of `sql` on `db`, with `params` bound to the first,
// collecting the rows of the last one that returns any.
Status RunOn(sqlite3* db, std::string_view sql, const std::vector<SqlParam>& params,
             std::vector<SqlRow>* rows, uint64_t* changes) {
  const char* next = sql.data();
  const char* end = sql.data() + sql.size();
  bool first = true;
  while (next < end) {
    Statement stmt;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db, next, static_cast<int>(end - next), stmt.out(), &tail);
    if (rc != SQLITE_OK) return Error(db, rc, std::string_view(next, end - next));
    next = tail;
    if (stmt.get() == nullptr) continue;  // whitespace or a comment
    if (first) {
      for (size_t i = 0; i < params.size(); ++i) {
        const SqlParam& p = params[i];
        const int at = static_cast<int>(i) + 1;
        switch (p.kind) {
          case SqlParam::Kind::kNull:
            rc = sqlite3_bind_null(stmt.get(), at);
            break;
          case SqlParam::Kind::kText:
            rc = sqlite3_bind_text(stmt.get(), at, p.data.data(), static_cast<int>(p.data.size()),
                                   SQLITE_TRANSIENT);
            break;
          case SqlParam::Kind::kBinary:
            rc = sqlite3_bind_blob(stmt.get(), at, p.data.data(), static_cast<int>(p.data.size()),
                                   SQLITE_TRANSIENT);
            break;
        }
        if (rc != SQLITE_OK) return Error(db, rc, sqlite3_sql(stmt.get()));
      }
      first = false;
    }
    for (;;) {
      rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error(db, rc, sqlite3_sql(stmt.get()));
      if (rows != nullptr) {
        SqlRow row;
        const int n = sqlite3_column_count(stmt.get());
        for (int i = 0; i < n; ++i) row.push_back(ColumnText(stmt.get(), i));
        rows->push_back(std::move(row));
      }
    }
    if (changes != nullptr) *changes = static_cast<uint64_t>(sqlite3_changes(db));
  }
  return Status::Ok();
}

// Runs what may fail with nothing left to do about it (a rollback on the way out).
void RunQuietly(sqlite3* db, std::string_view sql) {
  Status ignored = RunOn(db, sql, {}, nullptr, nullptr);
  (void)ignored;
}

}  // namespace

FakeDatabase::FakeDatabase() {
  if (sqlite3_open(":memory:", &db_) != SQLITE_OK) {
    std::fprintf(stderr, "FakeDatabase: cannot open an in-memory SQLite database\n");
    std::abort();
  }
}

FakeDatabase::~FakeDatabase() { sqlite3_close(db_); }

Status FakeDatabase::Exec(std::string_view sql) { return RunOn(db_, sql, {}, nullptr, nullptr); }

Result<std::vector<SqlRow>> FakeDatabase::Query(std::string_view sql) {
  std::vector<SqlRow> rows;
  Status s = RunOn(db_, sql, {}, &rows, nullptr);
  if (!s.ok()) return s;
  return rows;
}

std::string FakeDatabase::Value(std::string_view sql) {
  Result<std::vector<SqlRow>> rows = Query(sql);
  if (!rows.ok()) return rows.status().ToString();
  if (rows->empty() || rows->front().empty()) return "<none>";
  return rows->front().front().value_or("NULL");
}

SqlSessionFactory FakeDatabase::Factory(FakeSessionOptions options) {
  return [this, options]() -> Result<std::unique_ptr<SqlSession>> {
    ++sessions_made;
    return std::unique_ptr<SqlSession>(std::make_unique<FakeSqlSession>(this, options));
  };
}

FakeSqlSession::FakeSqlSession(FakeDatabase* db, FakeSessionOptions options)
    : db_(db), options_(options) {}

FakeSqlSession::~FakeSqlSession() {
  // A client that goes away inside a transaction: the server rolls it back.
  if (in_transaction_ && !broken_) RunQuietly(db_->handle(), "ROLLBACK");
}

std::string FakeSqlSession::Placeholder(int) const { return "?"; }

std::string FakeSqlSession::QuoteIdentifier(std::string_view name) const {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void FakeSqlSession::Break() {
  if (in_transaction_) RunQuietly(db_->handle(), "ROLLBACK");
  in_transaction_ = false;
  broken_ = true;
}

std::optional<Fault> FakeSqlSession::Hook(std::string_view sql) {
  db_->statements.emplace_back(sql);
  if (!db_->fault) return std::nullopt;
  return db_->fault(sql);
}

Status FakeSqlSession::Run(std::string_view sql, const std::vector<SqlParam>& params,
                           std::vector<SqlRow>* rows, uint64_t* changes) {
  if (broken_) return Status::Unavailable("the fake connection was lost; open a new session");
  std::optional<Fault> fault = Hook(sql);
  if (fault && !fault->after) {
    if (fault->status.IsUnavailable()) Break();
    return fault->status;
  }
  Status s = RunOn(db_->handle(), sql, params, rows, changes);
  if (fault) {
    if (fault->status.IsUnavailable()) {
      broken_ = true;  // it ran: whatever it did stands, the reply is lost
      in_transaction_ = false;
    }
    return fault->status;
  }
  return s;
}

Result<uint64_t> FakeSqlSession::Execute(std::string_view sql,
                                         const std::vector<SqlParam>& params) {
  uint64_t changes = 0;
  Status s = Run(sql, params, nullptr, &changes);
  if (!s.ok()) return s;
  return changes;
}

Result<std::vector<SqlRow>> FakeSqlSession::Query(std::string_view sql,
                                                  const std::vector<SqlParam>& params) {
  std::vector<SqlRow> rows;
  Status s = Run(sql, params, &rows, nullptr);
  if (!s.ok()) return s;
  return rows;
}

Status FakeSqlSession::CopyIn(std::string_view quoted_table,
                              const std::vector<std::string>& quoted_columns,
                              const std::vector<SqlParam>& values) {
  if (!options_.supports_copy) return Status::FailedPrecondition("COPY is off for this session");
  if (broken_) return Status::Unavailable("the fake connection was lost; open a new session");
  std::optional<Fault> fault = Hook("COPY " + std::string(quoted_table));
  if (fault && !fault->after) {
    if (fault->status.IsUnavailable()) Break();
    return fault->status;
  }
  // All or nothing, like one COPY: under a savepoint of its own.
  sqlite3* db = db_->handle();
  Status s = RunOn(db, "SAVEPOINT fake_copy", {}, nullptr, nullptr);
  const size_t width = quoted_columns.size();
  std::string head = "INSERT INTO " + std::string(quoted_table) + " (";
  for (size_t i = 0; i < width; ++i) head += (i > 0 ? ", " : "") + quoted_columns[i];
  head += ") VALUES ";
  const size_t per = std::max<size_t>(1, 900 / std::max<size_t>(1, width));
  for (size_t row = 0; s.ok() && width > 0 && row * width < values.size(); row += per) {
    const size_t end = std::min(values.size() / width, row + per);
    std::string sql = head;
    std::vector<SqlParam> params;
    for (size_t r = row; r < end; ++r) {
      sql += r > row ? ", (" : "(";
      for (size_t c = 0; c < width; ++c) {
        sql += c > 0 ? ", ?" : "?";
        params.push_back(values[r * width + c]);
      }
      sql += ")";
    }
    s = RunOn(db, sql, params, nullptr, nullptr);
  }
  if (!s.ok()) {
    RunQuietly(db, "ROLLBACK TO SAVEPOINT fake_copy");
    RunQuietly(db, "RELEASE SAVEPOINT fake_copy");
    return s;
  }
  s = RunOn(db, "RELEASE SAVEPOINT fake_copy", {}, nullptr, nullptr);
  if (fault) {
    if (fault->status.IsUnavailable()) {
      broken_ = true;
      in_transaction_ = false;
    }
    return fault->status;
  }
  return s;
}

Status FakeSqlSession::Begin() {
  Status s = Run("BEGIN", {}, nullptr, nullptr);
  if (s.ok()) in_transaction_ = true;
  return s;
}

Status FakeSqlSession::Commit() {
  Status s = Run("COMMIT", {}, nullptr, nullptr);
  if (s.ok()) in_transaction_ = false;
  return s;
}

Status FakeSqlSession::Rollback() {
  Status s = Run("ROLLBACK", {}, nullptr, nullptr);
  in_transaction_ = false;
  return s;
}

Result<TargetTableInfo> FakeSqlSession::DescribeTable(std::string_view table) {
  std::string schema = "main", name(table);
  if (size_t dot = name.find('.'); dot != std::string::npos) {
    schema = name.substr(0, dot);
    name = name.substr(dot + 1);
  }
  Result<std::vector<SqlRow>> rows = Query(
      "SELECT name, lower(type), \"notnull\", dflt_value, pk FROM pragma_table_info(?, ?) "
      "ORDER BY cid",
      {SqlParam::Text(name), SqlParam::Text(schema)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("no table " + std::string(table));
  TargetTableInfo info;
  info.name = std::string(table);
  std::vector<std::pair<int, std::string>> pk;
  for (const SqlRow& r : *rows) {
    TargetColumnInfo c;
    c.name = r[0].value_or("");
    c.sql_type = r[1].value_or("");
    c.category = CategoryOfType(c.sql_type);
    c.nullable = r[2].value_or("0") == "0";
    const int pk_index = std::stoi(r[4].value_or("0"));
    c.has_default = r[3].has_value() || (pk_index > 0 && c.sql_type == "integer");
    if (pk_index > 0) pk.emplace_back(pk_index, c.name);
    info.columns.push_back(std::move(c));
  }
  std::sort(pk.begin(), pk.end());
  for (auto& [index, column] : pk) info.primary_key.push_back(std::move(column));
  return info;
}

ColumnCategory FakeSqlSession::CategoryOfType(std::string_view sql_type) const {
  // The ODBC target's rules for SQLite's declared types: what the engine
  // meets when it writes to SQLite through sqliteodbc.
  return OdbcCategoryOfType(sql_type, SqlDialect::kSqlite);
}

}  // namespace deltabridge::testing
