#include "sinks/pg/pg_session.h"

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include "cdc/config/conninfo.h"
#include "cdc/core/ascii.h"

namespace deltabridge {

// A parameter as libpqxx's dynamic parameter lists take it: text or NULL.
struct PgTextParam {
  const SqlParam* param;
};

}  // namespace deltabridge

namespace pqxx {
template <>
struct string_traits<deltabridge::PgTextParam> {
  static const char* name() { return "deltabridge::PgTextParam"; }
  static bool has_null() { return true; }
  static bool is_null(const deltabridge::PgTextParam& p) {
    return p.param->kind == deltabridge::SqlParam::Kind::kNull;
  }
  static deltabridge::PgTextParam null() { return {nullptr}; }
  static void from_string(const char*, deltabridge::PgTextParam&) {}
  static std::string to_string(const deltabridge::PgTextParam& p) {
    if (p.param->kind != deltabridge::SqlParam::Kind::kBinary) return p.param->data;
    // bytea in hex input form.
    static const char kHex[] = "0123456789abcdef";
    std::string out = "\\x";
    out.reserve(2 + p.param->data.size() * 2);
    for (unsigned char c : p.param->data) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    return out;
  }
};
}  // namespace pqxx

namespace deltabridge {
namespace {

constexpr unsigned kByteaOid = 17;

constexpr size_t kCopyPiece = 256 * 1024;

// One field of a COPY text-format row: \N for NULL; backslash, tab, newline
// and carriage return escaped; bytea in its hex form (whose backslash is
// itself escaped).
void AppendCopyField(const SqlParam& p, std::string* out) {
  switch (p.kind) {
    case SqlParam::Kind::kNull:
      *out += "\\N";
      return;
    case SqlParam::Kind::kBinary: {
      static const char kHex[] = "0123456789abcdef";
      *out += "\\\\x";
      for (unsigned char c : p.data) {
        *out += kHex[c >> 4];
        *out += kHex[c & 15];
      }
      return;
    }
    case SqlParam::Kind::kText:
      break;
  }
  size_t start = 0;
  for (size_t i = 0; i < p.data.size(); ++i) {
    char e;
    switch (p.data[i]) {
      case '\\':
        e = '\\';
        break;
      case '\t':
        e = 't';
        break;
      case '\n':
        e = 'n';
        break;
      case '\r':
        e = 'r';
        break;
      default:
        continue;
    }
    out->append(p.data, start, i - start);
    *out += '\\';
    *out += e;
    start = i + 1;
  }
  out->append(p.data, start, std::string::npos);
}

Status FromSqlError(const pqxx::sql_error& e, std::string_view what) {
  std::string state = e.sqlstate();
  std::string msg = std::string(what) + ": " + e.what();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (!state.empty()) msg += " (SQLSTATE " + state + ")";
  if (state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0) return Status::Rejected(msg);
  if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "40001" || state == "40P01" || state == "53300") {
    return Status::Unavailable(msg);
  }
  return Status::FailedPrecondition(msg);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DecodeByteaHex(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') return std::string(text);
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i + 1 < text.size(); i += 2) {
    int hi = HexValue(text[i]), lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return std::string(text);
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

class PgSession final : public SqlSession {
 public:
  PgSession(std::unique_ptr<pqxx::connection> conn, std::string where)
      : conn_(std::move(conn)), where_(std::move(where)) {
    tx_ = std::make_unique<pqxx::nontransaction>(*conn_, "deltabridge");
  }
  ~PgSession() override {
    try {
      tx_.reset();
      conn_.reset();
    } catch (const std::exception&) {  // closing never throws out of a destructor
    }
  }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  std::string Describe() const override { return where_; }
  std::string Placeholder(int index) const override { return "$" + std::to_string(index); }
  std::string QuoteIdentifier(std::string_view name) const override {
    std::string out = "\"";
    for (char c : name) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }
  int max_params() const override { return 30000; }

  Result<uint64_t> Execute(std::string_view sql, const std::vector<SqlParam>& params) override {
    DB_ASSIGN_OR_RETURN(pqxx::result r, Run(sql, params));
    return static_cast<uint64_t>(r.affected_rows());
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlParam>& params) override {
    DB_ASSIGN_OR_RETURN(pqxx::result r, Run(sql, params));
    std::vector<SqlRow> rows;
    rows.reserve(r.size());
    const auto ncols = r.columns();
    std::vector<bool> binary(ncols);
    for (pqxx::row::size_type c = 0; c < ncols; ++c) {
      binary[c] = r.column_type(c) == kByteaOid;
    }
    for (const pqxx::row& row : r) {
      SqlRow out;
      out.reserve(ncols);
      for (pqxx::row::size_type c = 0; c < ncols; ++c) {
        const pqxx::field f = row[c];
        if (f.is_null()) {
          out.emplace_back(std::nullopt);
        } else if (binary[c]) {
          out.emplace_back(DecodeByteaHex(std::string_view(f.c_str(), f.size())));
        } else {
          out.emplace_back(std::string(f.c_str(), f.size()));
        }
      }
      rows.push_back(std::move(out));
    }
    return rows;
  }

  bool supports_copy() const override { return true; }

  Status CopyIn(std::string_view quoted_table, const std::vector<std::string>& quoted_columns,
                const std::vector<SqlParam>& values) override {
    if (broken_) return Status::Unavailable("the connection to " + where_ + " was lost");
    const size_t width = quoted_columns.size();
    if (width == 0 || values.size() % width != 0) {
      return Status::FailedPrecondition("internal: COPY of a ragged row set");
    }
    return Guard("PostgreSQL COPY", [&] {
    // libpqxx 6.4's only COPY FROM STDIN writer that takes raw lines; it
    // sends "COPY <table> (<columns>) FROM STDIN" with the names as given
    // (already quoted here).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      pqxx::tablewriter writer(*tx_, std::string(quoted_table), quoted_columns.begin(),
                               quoted_columns.end());
#pragma GCC diagnostic pop
      // Rows go out in pieces of about 256 KiB; write_raw_line ends each
      // piece with the newline that ends its last row.
      std::string piece;
      piece.reserve(kCopyPiece + 4096);
      for (size_t i = 0; i < values.size(); i += width) {
        if (!piece.empty()) piece += '\n';
        for (size_t c = 0; c < width; ++c) {
          if (c > 0) piece += '\t';
          AppendCopyField(values[i + c], &piece);
        }
        if (piece.size() >= kCopyPiece) {
          writer.write_raw_line(piece);
          piece.clear();
        }
      }
      if (!piece.empty()) writer.write_raw_line(piece);
      writer.complete();
    });
  }

  Status Begin() override { return Simple("BEGIN"); }
  Status Commit() override { return Simple("COMMIT"); }
  Status Rollback() override { return Simple("ROLLBACK"); }

  Result<TargetTableInfo> DescribeTable(std::string_view table) override {
    std::vector<SqlParam> p = {SqlParam::Text(std::string(table))};
    Result<std::vector<SqlRow>> cols = Query(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, "
        "a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', t.typcategory, "
        "bt.typcategory "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        p);
    if (!cols.ok()) {
      // A name that does not parse (22xxx, 42xxx): no such table.
      if ((cols.status().IsRejected() ||
           cols.status().code() == Status::Code::kFailedPrecondition) &&
          cols.status().message().find("42501") == std::string::npos) {  // not a permission error
        return Status::NotFound("no table " + std::string(table) + ": " + cols.status().message());
      }
      return cols.status();
    }
    if (cols->empty()) {
      return Status::NotFound("no table " + std::string(table) + " in " + where_);
    }
    TargetTableInfo info;
    info.name = std::string(table);
    for (const SqlRow& r : *cols) {
      TargetColumnInfo c;
      c.name = r[0].value_or("");
      c.sql_type = AsciiLower(r[1].value_or(""));
      c.nullable = r[2].value_or("t") == "t";
      c.has_default = r[3].value_or("f") == "t";
      char cat = r[5] && !r[5]->empty() ? (*r[5])[0] : (r[4] && !r[4]->empty() ? (*r[4])[0] : 0);
      c.category = PgCategoryOf(c.sql_type, cat);
      info.columns.push_back(std::move(c));
    }
    DB_ASSIGN_OR_RETURN(
        std::vector<SqlRow> pk,
        Query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
              "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass($1) AND i.indisprimary "
              "ORDER BY array_position(i.indkey::int2[], a.attnum)",
              p));
    for (const SqlRow& r : pk) info.primary_key.push_back(r[0].value_or(""));
    return info;
  }

  ColumnCategory CategoryOfType(std::string_view sql_type) const override {
    return PgCategoryOf(sql_type, 0);
  }

  bool broken() const override { return broken_; }

 private:
  Result<pqxx::result> Run(std::string_view sql, const std::vector<SqlParam>& params) {
    if (broken_) return Status::Unavailable("the connection to " + where_ + " was lost");
    try {
      if (params.empty()) return tx_->exec(std::string(sql));
      std::vector<PgTextParam> wrapped;
      wrapped.reserve(params.size());
      for (const SqlParam& p : params) wrapped.push_back({&p});
      return tx_->exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(wrapped));
    } catch (const pqxx::broken_connection& e) {
      broken_ = true;
      return Status::Unavailable("the connection to " + where_ + " was lost: " + e.what());
    } catch (const pqxx::sql_error& e) {
      Status s = FromSqlError(e, "PostgreSQL");
      if (s.IsUnavailable()) broken_ = true;
      return s;
    } catch (const pqxx::failure& e) {
      broken_ = !conn_->is_open();
      if (broken_) return Status::Unavailable(std::string("PostgreSQL: ") + e.what());
      return Status::FailedPrecondition(std::string("PostgreSQL: ") + e.what());
    } catch (const std::exception& e) {  // libpqxx usage errors (pqxx::usage_error, ...)
      return Status::FailedPrecondition(std::string("PostgreSQL client: ") + e.what());
    }
  }

  // Runs `body`, turning libpqxx's exceptions into a Status as Run does.
  template <typename Body>
  Status Guard(const char* what, Body&& body) {
    try {
      body();
      return Status::Ok();
    } catch (const pqxx::broken_connection& e) {
      broken_ = true;
      return Status::Unavailable("the connection to " + where_ + " was lost: " + e.what());
    } catch (const pqxx::sql_error& e) {
      Status s = FromSqlError(e, what);
      if (s.IsUnavailable()) broken_ = true;
      return s;
    } catch (const pqxx::failure& e) {
      broken_ = !conn_->is_open();
      if (broken_) return Status::Unavailable(std::string(what) + ": " + e.what());
      return Status::FailedPrecondition(std::string(what) + ": " + e.what());
    } catch (const std::exception& e) {
      return Status::FailedPrecondition(std::string(what) + ": " + e.what());
    }
  }

  Status Simple(const char* sql) {
    Result<pqxx::result> r = Run(sql, {});
    return r.ok() ? Status::Ok() : r.status();
  }

  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::nontransaction> tx_;
  std::string where_;
  bool broken_ = false;
};

}  // namespace

ColumnCategory PgCategoryOf(std::string_view type, char typcategory) {
  std::string t = AsciiLower(type);
  auto starts = [&](std::string_view p) { return t.rfind(p, 0) == 0; };
  if (t == "boolean" || t == "bool") return ColumnCategory::kBool;
  if (t == "smallint" || t == "integer" || t == "bigint" || t == "int2" || t == "int4" ||
      t == "int8" || t == "int" || t == "serial" || t == "bigserial" || t == "oid") {
    return ColumnCategory::kInteger;
  }
  if (starts("numeric") || starts("decimal")) return ColumnCategory::kDecimal;
  if (t == "real" || t == "double precision" || t == "float4" || t == "float8") {
    return ColumnCategory::kFloat;
  }
  if (t == "bytea") return ColumnCategory::kBinary;
  if (t == "date") return ColumnCategory::kDate;
  if (starts("time") && !starts("timestamp")) return ColumnCategory::kTime;
  if (starts("timestamp") && t.find("with time zone") != std::string::npos &&
      t.find("without") == std::string::npos) {
    return ColumnCategory::kTimestampTz;
  }
  if (t == "timestamptz") return ColumnCategory::kTimestampTz;
  if (starts("timestamp")) return ColumnCategory::kTimestamp;
  if (t == "json" || t == "jsonb") return ColumnCategory::kJson;
  if (t == "text" || starts("character") || starts("varchar") || starts("char") || t == "name" ||
      t == "citext" || t == "bpchar") {
    return ColumnCategory::kText;
  }
  switch (typcategory) {
    case 'S':
    case 'E':  // enums: text in, text out
      return ColumnCategory::kText;
    case 'N':
      return ColumnCategory::kDecimal;
    case 'B':
      return ColumnCategory::kBool;
    default:
      return ColumnCategory::kOther;
  }
}

Result<std::unique_ptr<SqlSession>> ConnectPostgres(const PostgresTargetConfig& config) {
  const std::string where = RedactConninfo(config.dsn);
  try {
    auto conn = std::make_unique<pqxx::connection>(config.dsn);
    {
      pqxx::nontransaction setup(*conn);
      setup.exec(
          "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres'; "
          "SET extra_float_digits = 3; SET bytea_output = 'hex'; "
          "SET application_name = 'deltabridge sink'; "
          // The sink only looks rows up by key. A table the sink is filling
          // has no statistics until autovacuum analyses it, and the planner
          // then reads the whole table per batch (sequential scans, hash
          // joins); key probes are right at any size.
          "SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off");
    }
    std::string version = std::to_string(conn->server_version() / 10000) + "." +
                          std::to_string(conn->server_version() % 10000);
    return std::unique_ptr<SqlSession>(
        std::make_unique<PgSession>(std::move(conn), "PostgreSQL " + version + " at " + where));
  } catch (const pqxx::broken_connection& e) {
    std::string msg = e.what();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    // libpq says why: authentication and missing databases are not transient.
    if (msg.find("authentication") != std::string::npos ||
        msg.find("does not exist") != std::string::npos ||
        msg.find("no pg_hba.conf entry") != std::string::npos ||
        msg.find("permission denied") != std::string::npos) {
      return Status::FailedPrecondition("cannot connect to PostgreSQL at " + where + ": " + msg);
    }
    return Status::Unavailable("cannot connect to PostgreSQL at " + where + ": " + msg);
  } catch (const pqxx::sql_error& e) {
    return FromSqlError(e, "setting up the session at " + where);
  } catch (const std::exception& e) {
    return Status::FailedPrecondition("cannot connect to PostgreSQL at " + where + ": " + e.what());
  }
}

}  // namespace deltabridge
