#include "sinks/sql/origin_tagger.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "cdc/wire/origin_tag.h"

namespace deltabridge {
namespace {

// `name` as it can stand in SQL unquoted, or quoted with `quote` when it
// cannot (upper case, punctuation).
std::string Identifier(const std::string& name, char quote) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (plain) return name;
  std::string out(1, quote);
  for (char c : name) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}

std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  return out + "'";
}

// The CREATE TABLE the sink runs (unqualified: the connection's default
// schema, as for the state tables).
std::string CreateSql(SqlDialect dialect, const std::string& table) {
  return OriginTagCreateSql(table, dialect == SqlDialect::kMysql);
}

// The first row of a query of two text columns, or two empty strings.
std::pair<std::string, std::string> TwoValues(SqlSession& session, const std::string& sql) {
  Result<std::vector<SqlRow>> rows = session.Query(sql, {});
  if (!rows.ok() || rows->empty() || rows->front().size() < 2) return {};
  return {rows->front()[0].value_or(""), rows->front()[1].value_or("")};
}

// The n of a stored tag; 0 when it has none.
uint64_t StoredN(const std::string& tag) {
  nlohmann::json j = nlohmann::json::parse(tag, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("n") || !j["n"].is_number_unsigned()) {
    return 0;
  }
  return j["n"].get<uint64_t>();
}

}  // namespace

OriginTagSetup OriginTagSetupFor(SqlSession& session) {
  const std::string table(kOriginTagTable);
  const std::string someone = "<the sink's user>";
  OriginTagSetup setup;
  setup.table = table;
  switch (session.dialect()) {
    case SqlDialect::kPostgres: {
      auto [user, schema] = TwoValues(session, "SELECT current_user, current_schema()");
      user = user.empty() ? someone : Identifier(user, '"');
      if (!schema.empty()) setup.table = Identifier(schema, '"') + "." + table;
      setup.grant_sql = OriginTagGrantSql(setup.table, user);
      setup.create_privilege = "GRANT CREATE ON SCHEMA " +
                               (schema.empty() ? "<its schema>" : Identifier(schema, '"')) +
                               " TO " + user;
      break;
    }
    case SqlDialect::kMysql: {
      auto [account, database] = TwoValues(session, "SELECT CURRENT_USER(), DATABASE()");
      std::string user = someone;
      if (size_t at = account.rfind('@'); at != std::string::npos) {
        user = Literal(account.substr(0, at)) + "@" + Literal(account.substr(at + 1));
      }
      std::string db = database.empty() ? "<its database>" : Identifier(database, '`');
      if (!database.empty()) setup.table = db + "." + table;
      setup.grant_sql = OriginTagGrantSql(setup.table, user);
      setup.create_privilege = "GRANT CREATE ON " + db + ".* TO " + user;
      break;
    }
    case SqlDialect::kSqlite:
      setup.create_privilege = "write access to the database file and its directory";
      break;
    case SqlDialect::kGeneric:
      setup.grant_sql = OriginTagGrantSql(table, someone);
      setup.create_privilege = "the right to create tables in the connection's default schema";
      break;
  }
  setup.create_sql = CreateSql(session.dialect(), setup.table);
  return setup;
}

namespace {

// Whether the session's user may create tables where the sink creates them;
// nullopt when the database cannot say.
std::optional<bool> MayCreateTables(SqlSession& session) {
  switch (session.dialect()) {
    case SqlDialect::kPostgres: {
      Result<std::vector<SqlRow>> rows = session.Query(
          "SELECT coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)", {});
      if (!rows.ok() || rows->empty() || rows->front().empty()) return std::nullopt;
      return rows->front()[0].value_or("f") == "t";
    }
    case SqlDialect::kMysql: {
      auto [account, database] = TwoValues(session, "SELECT CURRENT_USER(), DATABASE()");
      Result<std::vector<SqlRow>> rows = session.Query("SHOW GRANTS", {});
      if (!rows.ok()) return std::nullopt;
      bool roles = false;
      for (const SqlRow& r : *rows) {
        if (r.empty() || !r[0]) continue;
        // GRANT <privileges> ON <scope> TO <account> ..., or GRANT <role> TO <account>.
        const std::string& grant = *r[0];
        size_t on = grant.find(" ON ");
        size_t to = grant.find(" TO ", on == std::string::npos ? 0 : on);
        if (grant.rfind("GRANT ", 0) != 0 || to == std::string::npos) continue;
        if (on == std::string::npos) {
          roles = true;
          continue;
        }
        std::string privileges = ", " + grant.substr(6, on - 6) + ",";
        std::string scope = grant.substr(on + 4, to - on - 4);
        std::string unescaped;
        for (char c : scope) {
          if (c != '\\') unescaped.push_back(c);
        }
        const bool here = unescaped == "*.*" || unescaped == "`" + database + "`.*";
        const bool create = privileges.find(", ALL PRIVILEGES,") != std::string::npos ||
                            privileges.find(", CREATE,") != std::string::npos;
        if (here && create) return true;
      }
      if (roles) return std::nullopt;
      return false;
    }
    case SqlDialect::kSqlite:
    case SqlDialect::kGeneric:
      break;
  }
  return std::nullopt;
}

// Runs `sql` in a transaction that is rolled back; its error, if any.
Status TryRolledBack(SqlSession& session, const std::string& sql,
                     const std::vector<SqlParam>& params) {
  DB_RETURN_IF_ERROR(session.Begin());
  Result<uint64_t> ran = session.Execute(sql, params);
  Status rolled_back = session.Rollback();
  if (!ran.ok()) return ran.status();
  return rolled_back;
}

}  // namespace

void CheckOriginTag(SqlSession& s, std::string_view writer, std::string_view node,
                    CheckReport* report, const TargetCheckNames& names) {
  const std::string table(kOriginTagTable);
  const std::string what = names.subject + ": " + table + " (the origin tag of " + names.node_key +
                           " " + std::string(node) + ")";
  const std::string user = names.writer + "'s user";
  const OriginTagSetup setup = OriginTagSetupFor(s);
  std::string dba_fix = setup.create_sql + ";";
  if (!setup.grant_sql.empty()) dba_fix += " " + setup.grant_sql + ";";
  Result<TargetTableInfo> info = s.DescribeTable(table);
  if (!info.ok()) {
    if (info.status().code() != Status::Code::kNotFound) {
      report->Fail(what + ": " + info.status().message(), dba_fix);
      return;
    }
    std::optional<bool> may = MayCreateTables(s);
    if (may.value_or(false)) {
      report->Ok(what + " does not exist yet; " + names.writer + " creates it " + names.when);
    } else if (may.has_value()) {
      report->Fail(what + " does not exist, and " + user + " may not create it",
                   setup.create_privilege + "; or have a DBA run: " + dba_fix);
    } else {
      report->Note(what + " does not exist yet", names.writer + " creates it " + names.when +
                                                     "; its user needs " + setup.create_privilege +
                                                     ", or a DBA runs: " + dba_fix);
    }
    return;
  }
  if (info->Find(kOriginTagWriterColumn) == nullptr || info->Find(kOriginTagColumn) == nullptr) {
    report->Fail(what + " exists without the columns writer and tag",
                 "drop it (" + names.writer + " creates it again), or recreate it: " + dba_fix);
    return;
  }
  // What the writer runs, tried and rolled back.
  const std::string probe = std::string(writer) + "~check";
  Status inserted = TryRolledBack(
      s,
      "INSERT INTO " + table + " (writer, tag) VALUES (" + s.Placeholder(1) + ", " +
          s.Placeholder(2) + ")",
      {SqlParam::Text(probe), SqlParam::Text(EncodeOriginTag(0, {std::string(node)}))});
  Status updated =
      inserted.IsUnavailable()
          ? inserted
          : TryRolledBack(s,
                          "UPDATE " + table + " SET tag = tag WHERE writer = " + s.Placeholder(1),
                          {SqlParam::Text(std::string(writer))});
  if (inserted.ok() && updated.ok()) {
    report->Ok(what + " exists, and " + user + " may insert and update it");
    return;
  }
  const Status& failed = inserted.ok() ? updated : inserted;
  report->Fail(what + ": " + user + " may not " + (inserted.ok() ? "update" : "insert into") +
                   " it: " + failed.message(),
               setup.grant_sql.empty() ? "make the table writable by " + user : setup.grant_sql);
}

bool SamePath(const Delta& a, const Delta& b) {
  if (a.change.ref != b.change.ref) return false;
  if (a.bridge == b.bridge && a.change.source == b.change.source &&
      a.change.node == b.change.node && a.change.origin == b.change.origin) {
    return true;
  }
  return DeltaPath(a.bridge, a.change) == DeltaPath(b.bridge, b.change);
}

OriginTagger::OriginTagger(std::string writer, std::string node, bool publish)
    : writer_(std::move(writer)), node_(std::move(node)), publish_(publish) {}

Status OriginTagger::Prepare(SqlSession& s, int64_t now_us) {
  written_ = false;
  // Why the sink cannot go on, with what a DBA can do about it.
  auto refused = [&](const std::string& what, const Status& error) {
    if (error.IsUnavailable()) return error;
    OriginTagSetup setup = OriginTagSetupFor(s);
    std::string fix = setup.create_sql + ";";
    if (!setup.grant_sql.empty()) fix += " " + setup.grant_sql + ";";
    return Status::FailedPrecondition(
        "target.node is " + node_ + ", so the sink marks what it writes in the table " +
        std::string(kOriginTagTable) + " (docs/two-way.md), and " + what + ": " + error.message() +
        ". Let the sink's user create it (" + setup.create_privilege +
        "), or have a DBA create it and let the sink write it: " + fix);
  };
  const std::string table(kOriginTagTable);
  Result<TargetTableInfo> info = s.DescribeTable(table);
  if (!info.ok()) {
    if (info.status().code() != Status::Code::kNotFound) {
      return refused("cannot look the table up", info.status());
    }
    Result<uint64_t> created = s.Execute(CreateSql(s.dialect(), table), {});
    // Another sink may have created it meanwhile.
    if (!created.ok() && !s.DescribeTable(table).ok()) {
      return refused("cannot create it", created.status());
    }
  }
  Result<std::vector<SqlRow>> rows =
      s.Query("SELECT tag FROM " + table + " WHERE writer = " + s.Placeholder(1),
              {SqlParam::Text(writer_)});
  if (!rows.ok()) return refused("cannot read it", rows.status());
  uint64_t stored = 0;
  for (const SqlRow& r : *rows) {
    if (!r.empty() && r[0]) stored = std::max(stored, StoredN(*r[0]));
  }
  n_ = std::max({n_, stored, static_cast<uint64_t>(std::max<int64_t>(now_us, 0))});
  if (rows->empty()) {
    Result<uint64_t> inserted =
        s.Execute("INSERT INTO " + table + " (writer, tag) VALUES (" + s.Placeholder(1) + ", " +
                      s.Placeholder(2) + ")",
                  {SqlParam::Text(writer_), SqlParam::Text(EncodeOriginTag(++n_, {node_}))});
    if (!inserted.ok()) return refused("cannot add the sink's row to it", inserted.status());
  }
  return Status::Ok();
}

const std::vector<std::string>& OriginTagger::PathOf(const Delta& delta) {
  const Change& c = delta.change;
  if (!cached_ || cached_bridge_ != delta.bridge || cached_source_ != c.source ||
      cached_node_ != c.node || cached_origin_ != c.origin) {
    cached_ = true;
    cached_bridge_ = delta.bridge;
    cached_source_ = c.source;
    cached_node_ = c.node;
    cached_origin_ = c.origin;
    cached_path_ = DeltaPath(delta.bridge, c);
  }
  return cached_path_;
}

Status OriginTagger::Tag(SqlSession& s, const Delta& delta) {
  const std::vector<std::string>& path = PathOf(delta);
  const std::string& ref = delta.change.ref;
  if (written_ && path == written_path_ && ref == written_ref_) return Status::Ok();
  // A ref that a tag cannot carry (only a push line's, which ParsePushLine
  // checks, or a malformed one from a wire) is left out rather than making
  // the bridge refuse the whole tag.
  const std::string tag = EncodeOriginTag(++n_, path, publish_, IsValidOriginRef(ref) ? ref : "");
  auto failed = [&](const Status& error) {
    // A refused value (a path longer than the column) would otherwise look
    // like refused data and be retried delta by delta.
    if (error.IsRejected()) {
      return Status::FailedPrecondition("the target refused the origin tag " + tag + ": " +
                                        error.message());
    }
    if (error.IsUnavailable()) return error;
    return error.WithContext("writing the origin tag in " + std::string(kOriginTagTable) +
                             " (the sink's user needs SELECT, INSERT and UPDATE on it)");
  };
  const std::vector<SqlParam> params = {SqlParam::Text(tag), SqlParam::Text(writer_)};
  Result<uint64_t> updated =
      s.Execute("UPDATE " + std::string(kOriginTagTable) + " SET tag = " + s.Placeholder(1) +
                    " WHERE writer = " + s.Placeholder(2),
                params);
  if (!updated.ok()) return failed(updated.status());
  if (*updated == 0) {
    // The row is gone (deleted by hand), or the driver does not count rows.
    Result<std::vector<SqlRow>> found =
        s.Query("SELECT COUNT(*) FROM " + std::string(kOriginTagTable) +
                    " WHERE writer = " + s.Placeholder(1),
                {SqlParam::Text(writer_)});
    if (!found.ok()) return failed(found.status());
    if (found->empty() || found->front().empty() || found->front()[0].value_or("0") == "0") {
      Result<uint64_t> inserted =
          s.Execute("INSERT INTO " + std::string(kOriginTagTable) + " (tag, writer) VALUES (" +
                        s.Placeholder(1) + ", " + s.Placeholder(2) + ")",
                    params);
      if (!inserted.ok()) return failed(inserted.status());
    }
  }
  written_ = true;
  written_path_ = path;
  written_ref_ = ref;
  return Status::Ok();
}

void OriginTagger::Restore(Mark mark) {
  written_ = mark.written;
  written_path_ = std::move(mark.path);
  written_ref_ = std::move(mark.ref);
}

}  // namespace deltabridge
