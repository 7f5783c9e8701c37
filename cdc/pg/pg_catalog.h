// PgCatalog: the catalog queries and DDL of the PostgreSQL source, over a
// plain (non-replication) connection: table resolution, the publication, the
// slot's state, primary keys and column lists.
//
// Borrows the connection; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cdc/core/lsn.h"
#include "cdc/core/status.h"
#include "cdc/pg/pg_connection.h"

namespace deltabridge {

struct PgTableRef {
  std::string schema;
  std::string name;
  uint32_t oid = 0;
  char replica_identity = 'd';  // pg_class.relreplident
  std::string Qualified() const { return schema + "." + name; }
  std::string Quoted() const { return QuoteIdent(schema) + "." + QuoteIdent(name); }
};

struct PgSlotInfo {
  bool exists = false;
  std::string plugin;
  std::string database;
  bool active = false;
  Lsn confirmed_flush;
  Lsn restart_lsn;
};

struct PgColumnInfo {
  std::string name;
  uint32_t type_oid = 0;
  std::string type_name;  // pg_type.typname (e.g. "int4", "_text", an enum's name)
};

struct PgCreatedSlot {
  Lsn consistent_point;
  std::string snapshot_name;  // empty when no snapshot was exported
};

class PgCatalog {
 public:
  explicit PgCatalog(PgConn* conn) : conn_(conn) {}

  // Ordinary and partitioned tables matching any schema.table glob pattern,
  // but never one of deltabridge's own (deltabridge_*: the sinks' state
  // tables and the origin tag table, cdc/wire/origin_tag.h).
  Result<std::vector<PgTableRef>> ResolveTables(const std::vector<std::string>& patterns);
  // Creates the publication for `tables` when missing; adds tables it lacks.
  Status EnsurePublication(const std::string& publication, const std::vector<PgTableRef>& tables);
  Result<bool> PublicationExists(const std::string& publication);
  // Whether `table` is in `publication` (false when either is missing).
  Result<bool> InPublication(const std::string& publication, const PgTableRef& table);

  // The origin tag tables (deltabridge_origin) of every schema.
  Result<std::vector<PgTableRef>> OriginTagTables();
  // CREATE TABLE IF NOT EXISTS deltabridge_origin in the connection's
  // default schema (the first of its search_path that exists).
  Status CreateOriginTagTable();
  // The schema CreateOriginTagTable creates the table in, and whether the
  // role may create tables there; an empty name when the search_path names
  // no existing schema.
  Result<std::pair<std::string, bool>> DefaultSchema();
  Result<PgSlotInfo> GetSlot(const std::string& slot);
  Status DropSlot(const std::string& slot);
  // Primary key columns in key order (else those of the replica identity
  // index); empty when the table has neither.
  Result<std::vector<std::string>> PrimaryKey(uint32_t oid);
  // The columns pgoutput sends (not dropped, not generated), in attnum order.
  Result<std::vector<PgColumnInfo>> Columns(uint32_t oid);

 private:
  PgConn* conn_;  // borrowed
};

// CREATE_REPLICATION_SLOT on a replication connection; with `export_snapshot`
// the snapshot stays valid until the next command on that connection.
Result<PgCreatedSlot> CreateSlot(PgConn& repl, const std::string& slot, bool export_snapshot);

}  // namespace deltabridge
