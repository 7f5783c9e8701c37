#include "cdc/pg/pg_catalog.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "cdc/core/glob.h"
#include "cdc/wire/origin_tag.h"

namespace deltabridge {

Result<std::vector<PgTableRef>> PgCatalog::ResolveTables(const std::vector<std::string>& patterns) {
  DB_ASSIGN_OR_RETURN(
      PgRows rows,
      conn_->Query("SELECT n.nspname, c.relname, c.oid, c.relreplident FROM pg_class c "
                   "JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
                   "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                   "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
                   "ORDER BY 1, 2"));
  std::vector<PgTableRef> out;
  for (const auto& r : rows.rows) {
    PgTableRef t{r[0], r[1], static_cast<uint32_t>(std::stoul(r[2])), r[3].empty() ? 'd' : r[3][0]};
    std::string q = t.Qualified();
    if (IsDeltabridgeTable(q)) continue;
    if (std::any_of(patterns.begin(), patterns.end(),
                    [&](const std::string& p) { return GlobMatch(p, q); })) {
      out.push_back(std::move(t));
    }
  }
  return out;
}

Result<bool> PgCatalog::PublicationExists(const std::string& publication) {
  DB_ASSIGN_OR_RETURN(
      PgRows r,
      conn_->QueryParams("SELECT 1 FROM pg_publication WHERE pubname = $1", {publication}));
  return !r.rows.empty();
}

Status PgCatalog::EnsurePublication(const std::string& publication,
                                    const std::vector<PgTableRef>& tables) {
  DB_ASSIGN_OR_RETURN(bool exists, PublicationExists(publication));
  std::string list;
  if (!exists) {
    for (const auto& t : tables) list += (list.empty() ? "" : ", ") + t.Quoted();
    Status s = conn_->Exec("CREATE PUBLICATION " + QuoteIdent(publication) + " FOR TABLE " + list);
    if (!s.ok()) return s.WithContext("creating publication \"" + publication + "\"");
    spdlog::info("created publication \"{}\" for {} table(s)", publication, tables.size());
    return Status::Ok();
  }
  DB_ASSIGN_OR_RETURN(
      PgRows have,
      conn_->QueryParams("SELECT schemaname || '.' || tablename, "
                         "(SELECT puballtables FROM pg_publication WHERE pubname = $1) "
                         "FROM pg_publication_tables WHERE pubname = $1",
                         {publication}));
  std::set<std::string> present;
  for (const auto& r : have.rows) present.insert(r[0]);
  for (const auto& t : tables) {
    if (present.count(t.Qualified())) continue;
    Status s =
        conn_->Exec("ALTER PUBLICATION " + QuoteIdent(publication) + " ADD TABLE " + t.Quoted());
    if (!s.ok()) {
      return s.WithContext("adding " + t.Qualified() + " to publication \"" + publication +
                           "\" (add it by hand, or give the bridge a publication it may alter)");
    }
    spdlog::info("added {} to publication \"{}\"", t.Qualified(), publication);
  }
  return Status::Ok();
}

Result<bool> PgCatalog::InPublication(const std::string& publication, const PgTableRef& table) {
  DB_ASSIGN_OR_RETURN(
      PgRows r, conn_->QueryParams("SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND "
                                   "schemaname = $2 AND tablename = $3",
                                   {publication, table.schema, table.name}));
  return !r.rows.empty();
}

Result<std::vector<PgTableRef>> PgCatalog::OriginTagTables() {
  DB_ASSIGN_OR_RETURN(
      PgRows rows, conn_->QueryParams(
                       "SELECT n.nspname, c.relname, c.oid, c.relreplident FROM pg_class c "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname = $1 "
                       "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                       "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
                       "ORDER BY 1",
                       {std::string(kOriginTagTable)}));
  std::vector<PgTableRef> out;
  for (const auto& r : rows.rows) {
    out.push_back(
        {r[0], r[1], static_cast<uint32_t>(std::stoul(r[2])), r[3].empty() ? 'd' : r[3][0]});
  }
  return out;
}

Status PgCatalog::CreateOriginTagTable() {
  return conn_->Exec("CREATE TABLE IF NOT EXISTS " + std::string(kOriginTagTable) + " " +
                     std::string(kOriginTagColumnsSql));
}

Result<std::pair<std::string, bool>> PgCatalog::DefaultSchema() {
  DB_ASSIGN_OR_RETURN(PgRows r,
                      conn_->Query("SELECT coalesce(current_schema(), ''), "
                                   "coalesce(has_schema_privilege(current_schema(), 'CREATE'), "
                                   "false)"));
  if (r.rows.empty()) return std::make_pair(std::string(), false);
  return std::make_pair(r.rows[0][0], r.rows[0][1] == "t");
}

Result<PgSlotInfo> PgCatalog::GetSlot(const std::string& slot) {
  DB_ASSIGN_OR_RETURN(
      PgRows r, conn_->QueryParams(
                    "SELECT plugin, database, active, coalesce(confirmed_flush_lsn::text, '0/0'), "
                    "coalesce(restart_lsn::text, '0/0'), current_database() "
                    "FROM pg_replication_slots WHERE slot_name = $1",
                    {slot}));
  PgSlotInfo info;
  if (r.rows.empty()) return info;
  const auto& row = r.rows[0];
  info.exists = true;
  info.plugin = row[0];
  info.database = row[1];
  info.active = row[2] == "t";
  info.confirmed_flush = Lsn::Parse(row[3]).value_or(Lsn());
  info.restart_lsn = Lsn::Parse(row[4]).value_or(Lsn());
  if (info.plugin != "pgoutput") {
    return Status::FailedPrecondition("replication slot \"" + slot + "\" uses plugin \"" +
                                      info.plugin +
                                      "\", not pgoutput; configure another slot name or drop it");
  }
  if (info.database != row[5]) {
    return Status::FailedPrecondition("replication slot \"" + slot + "\" belongs to database \"" +
                                      info.database + "\", not \"" + row[5] + "\"");
  }
  return info;
}

Status PgCatalog::DropSlot(const std::string& slot) {
  Result<PgRows> r = conn_->QueryParams("SELECT pg_drop_replication_slot($1)", {slot});
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<std::string>> PgCatalog::PrimaryKey(uint32_t oid) {
  DB_ASSIGN_OR_RETURN(
      PgRows r,
      conn_->QueryParams(
          "SELECT a.attname FROM pg_index i "
          "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
          "WHERE i.indexrelid = (SELECT indexrelid FROM pg_index WHERE indrelid = $1::oid "
          "  AND (indisprimary OR indisreplident) ORDER BY indisprimary DESC LIMIT 1) "
          "ORDER BY array_position(i.indkey::int2[], a.attnum)",
          {std::to_string(oid)}));
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row[0]);
  return out;
}

Result<std::vector<PgColumnInfo>> PgCatalog::Columns(uint32_t oid) {
  DB_ASSIGN_OR_RETURN(
      PgRows r,
      conn_->QueryParams("SELECT a.attname, a.atttypid, t.typname FROM pg_attribute a "
                         "JOIN pg_type t ON t.oid = a.atttypid "
                         "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
                         "AND a.attgenerated = '' ORDER BY a.attnum",
                         {std::to_string(oid)}));
  std::vector<PgColumnInfo> out;
  for (const auto& row : r.rows) {
    out.push_back({row[0], static_cast<uint32_t>(std::stoul(row[1])), row[2]});
  }
  return out;
}

Result<PgCreatedSlot> CreateSlot(PgConn& repl, const std::string& slot, bool export_snapshot) {
  std::string sql = "CREATE_REPLICATION_SLOT " + QuoteIdent(slot) + " LOGICAL pgoutput " +
                    (export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
  DB_ASSIGN_OR_RETURN_CTX(PgRows r, repl.Query(sql), "creating replication slot \"" + slot + "\"");
  if (r.rows.empty() || r.rows[0].size() < 4) {
    return Status::Corruption("CREATE_REPLICATION_SLOT returned no row");
  }
  PgCreatedSlot out;
  std::optional<Lsn> lsn = Lsn::Parse(r.rows[0][1]);
  if (!lsn) return Status::Corruption("bad consistent point " + r.rows[0][1]);
  out.consistent_point = *lsn;
  if (!r.nulls[0][2]) out.snapshot_name = r.rows[0][2];
  return out;
}

}  // namespace deltabridge
