#include "cdc/pg/pg_check.h"

#include <set>

#include "cdc/config/conninfo.h"
#include "cdc/core/glob.h"
#include "cdc/pg/pg_catalog.h"
#include "cdc/pg/pg_connection.h"
#include "cdc/wire/origin_tag.h"

namespace deltabridge {

namespace {

std::string Setting(PgConn& c, const std::string& name) {
  Result<PgRows> r = c.QueryParams("SELECT current_setting($1)", {name});
  return r.ok() && !r->rows.empty() ? r->rows[0][0] : "";
}

// Two-way sync (docs/two-way.md): the origin tag table a sink writing into
// this database marks its transactions in, and whether the bridge sees it
// (it is in the publication). Advice, never a failure: a database no sink
// writes needs none.
void CheckOriginTagTables(PgConn& c, PgCatalog& catalog, const std::string& publication,
                          bool pub_exists, const std::string& p, CheckReport* report) {
  const std::string table(kOriginTagTable);
  const std::string create = OriginTagCreateSql(table) + ";";
  Result<std::vector<PgTableRef>> tags = catalog.OriginTagTables();
  if (!tags.ok()) {
    report->Note(p + "cannot look for the " + table + " table: " + tags.status().message(),
                 "needed only when a sink writes into this database (two-way sync)");
    return;
  }
  if (tags->empty()) {
    Result<std::pair<std::string, bool>> schema = catalog.DefaultSchema();
    if (schema.ok() && !schema->first.empty() && schema->second) {
      report->Ok(p + "no " + table + " table yet: the bridge creates it in schema " +
                 schema->first + " at start (for sinks writing into this database)");
    } else {
      report->Note(p + "no " + table +
                       " table, and the bridge's role may not create it: a sink writing into "
                       "this database (two-way sync) needs it, or its writes come back as "
                       "ordinary changes",
                   "as a role that may create tables: " + create + " ALTER PUBLICATION " +
                       QuoteIdent(publication) + " ADD TABLE " + table + "; " +
                       OriginTagGrantSql(table, "<the sink's role>") + ";");
    }
    return;
  }
  for (const PgTableRef& t : *tags) {
    Result<bool> in = catalog.InPublication(publication, t);
    if (in.ok() && *in) {
      report->Ok(p + "origin tag table " + t.Qualified() + " is in publication \"" + publication +
                 "\"");
      continue;
    }
    Result<PgRows> own =
        c.QueryParams("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = $1::oid",
                      {std::to_string(t.oid)});
    const bool owned = own.ok() && !own->rows.empty() && own->rows[0][0] == "t";
    if (owned) {
      report->Ok(p + "origin tag table " + t.Qualified() + " is added to publication \"" +
                 publication + "\" " + (pub_exists ? "at start" : "when it is created"));
    } else {
      report->Note(p + "origin tag table " + t.Qualified() + " is not in publication \"" +
                       publication +
                       "\" and the bridge's role does not own it: what sinks write into this "
                       "database would come back as ordinary changes",
                   "as the table's owner: ALTER PUBLICATION " + QuoteIdent(publication) +
                       " ADD TABLE " + t.Quoted() + ";" +
                       (pub_exists ? "" : " (once the bridge has created the publication)"));
    }
  }
}

}  // namespace

void CheckPgSource(const SourceConfig& source, CheckReport* report) {
  const PostgresSourceConfig& pc = *source.postgres();
  const std::string p = "source " + source.name + ": ";
  Result<PgConn> conn = PgConn::Connect(pc.dsn, false, "deltabridge check");
  if (!conn.ok()) {
    report->Fail(p + "PostgreSQL reachable (" + RedactConninfo(pc.dsn) + ")",
                 conn.status().message() +
                     "; check host, port, dbname and user in dsn, pg_hba.conf, and that the "
                     "server is running");
    return;
  }
  PgConn& c = *conn;
  report->Ok(p + "PostgreSQL reachable, server " + Setting(c, "server_version"));

  std::string wal_level = Setting(c, "wal_level");
  if (wal_level == "logical") {
    report->Ok(p + "wal_level is logical");
  } else {
    report->Fail(p + "wal_level is " + wal_level + ", logical replication needs logical",
                 "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL");
  }

  Result<PgRows> role = c.Query(
      "SELECT current_user, rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user");
  std::string user = role.ok() && !role->rows.empty() ? role->rows[0][0] : "?";
  if (role.ok() && !role->rows.empty() && role->rows[0][1] == "t") {
    report->Ok(p + "role " + user + " may replicate");
  } else {
    report->Fail(p + "role " + user + " lacks the REPLICATION attribute",
                 "ALTER ROLE " + QuoteIdent(user) + " WITH REPLICATION;");
  }

  PgCatalog catalog(&c);
  Result<PgSlotInfo> slot = catalog.GetSlot(pc.slot);
  bool slot_exists = slot.ok() && slot->exists;
  Result<PgRows> slots = c.Query(
      "SELECT current_setting('max_replication_slots')::int, (SELECT count(*) FROM "
      "pg_replication_slots), current_setting('max_wal_senders')::int, (SELECT count(*) FROM "
      "pg_stat_replication)");
  if (slots.ok() && !slots->rows.empty()) {
    int max_slots = std::stoi(slots->rows[0][0]), used = std::stoi(slots->rows[0][1]);
    int max_senders = std::stoi(slots->rows[0][2]), senders = std::stoi(slots->rows[0][3]);
    if (slot_exists || used < max_slots) {
      report->Ok(p + "replication slots: " + std::to_string(used) + " of " +
                 std::to_string(max_slots) + " in use");
    } else {
      report->Fail(p + "no free replication slot (" + std::to_string(used) + " of " +
                       std::to_string(max_slots) + " in use)",
                   "ALTER SYSTEM SET max_replication_slots = " + std::to_string(max_slots + 4) +
                       "; then restart PostgreSQL (or drop an unused slot with "
                       "pg_drop_replication_slot)");
    }
    if (senders < max_senders) {
      report->Ok(p + "wal senders: " + std::to_string(senders) + " of " +
                 std::to_string(max_senders) + " in use");
    } else {
      report->Fail(p + "no free wal sender (" + std::to_string(senders) + " of " +
                       std::to_string(max_senders) + " in use)",
                   "ALTER SYSTEM SET max_wal_senders = " + std::to_string(max_senders + 4) +
                       "; then restart PostgreSQL");
    }
  }
  if (!slot.ok()) {
    report->Fail(p + "replication slot \"" + pc.slot + "\"", slot.status().message());
  } else if (slot_exists) {
    report->Ok(p + "replication slot \"" + pc.slot + "\" exists (pgoutput, confirmed " +
               slot->confirmed_flush.ToString() + (slot->active ? ", in use" : "") + ")");
  } else {
    report->Ok(p + "replication slot \"" + pc.slot + "\" will be created on first run");
  }

  Result<std::vector<PgTableRef>> tables = catalog.ResolveTables(pc.tables);
  if (!tables.ok()) {
    report->Fail(p + "resolving tables", tables.status().message());
    return;
  }
  for (const std::string& pattern : pc.tables) {
    bool any = false;
    for (const auto& t : *tables) any = any || GlobMatch(pattern, t.Qualified());
    if (!any) {
      report->Fail(p + "tables pattern \"" + pattern + "\" matches no table",
                   "create the table, or fix the pattern (schema.table, * within one part)");
    }
  }
  for (const PgTableRef& t : *tables) {
    const std::string tn = t.Qualified();
    Result<std::vector<std::string>> pk = catalog.PrimaryKey(t.oid);
    bool has_key = pk.ok() && !pk->empty();
    if (t.replica_identity == 'n' || (!has_key && t.replica_identity != 'f')) {
      report->Fail(p + "table " + tn +
                       " has no primary key or replica identity: its updates "
                       "and deletes cannot be replicated",
                   "ALTER TABLE " + t.Quoted() + " ADD PRIMARY KEY (...); or ALTER TABLE " +
                       t.Quoted() + " REPLICA IDENTITY FULL;");
    } else {
      std::string key = has_key ? "key (" : "replica identity full";
      if (has_key) {
        for (size_t i = 0; i < pk->size(); ++i) key += (i ? ", " : "") + (*pk)[i];
        key += ")";
      }
      report->Ok(p + "table " + tn + " has " + key);
      if (t.replica_identity != 'f') {
        report->Note(p + "table " + tn +
                         " sends no before-images: updates carry every column's new value "
                         "only, and deletes only the key",
                     "for field-level old/new values run: ALTER TABLE " + t.Quoted() +
                         " REPLICA IDENTITY FULL;");
      }
    }
    Result<PgRows> priv =
        c.QueryParams("SELECT has_table_privilege($1::oid, 'SELECT')", {std::to_string(t.oid)});
    if (priv.ok() && !priv->rows.empty() && priv->rows[0][0] != "t") {
      report->Fail(p + "role " + user + " cannot read " + tn + " (needed by the snapshot)",
                   "GRANT SELECT ON " + t.Quoted() + " TO " + QuoteIdent(user) + ";");
    }
  }
  const bool pub_exists = [&] {
    Result<bool> e = catalog.PublicationExists(pc.publication);
    return e.ok() && *e;
  }();
  Result<bool> pub = catalog.PublicationExists(pc.publication);
  if (pub.ok() && *pub) {
    report->Ok(p + "publication \"" + pc.publication + "\" exists");
  } else if (pub.ok()) {
    // CREATE PUBLICATION ... FOR TABLE needs ownership of every table.
    std::string not_owned;
    for (const PgTableRef& t : *tables) {
      Result<PgRows> own =
          c.QueryParams("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = $1::oid",
                        {std::to_string(t.oid)});
      if (own.ok() && !own->rows.empty() && own->rows[0][0] != "t") {
        not_owned += (not_owned.empty() ? "" : ", ") + t.Quoted();
      }
    }
    if (not_owned.empty()) {
      report->Ok(p + "publication \"" + pc.publication + "\" will be created on first run");
    } else {
      std::string list;
      for (const auto& t : *tables) list += (list.empty() ? "" : ", ") + t.Quoted();
      report->Fail(p + "role " + user + " does not own " + not_owned +
                       ", so it cannot create the publication",
                   "as the tables' owner: CREATE PUBLICATION " + QuoteIdent(pc.publication) +
                       " FOR TABLE " + list + ";");
    }
  }
  CheckOriginTagTables(c, catalog, pc.publication, pub_exists, p, report);
}

}  // namespace deltabridge
