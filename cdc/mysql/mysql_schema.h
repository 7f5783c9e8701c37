// MysqlSchema: what the live source reads from information_schema: the
// tables matching the `tables` patterns, and each table's columns (in
// ordinal order, invisible and generated ones included, as the binlog has
// them) and primary key.
//
// Column names and the key come from here when a TABLE_MAP event lacks the
// optional metadata (binlog_row_metadata below FULL, MySQL 5.7). The cache
// is invalidated by DDL seen in the stream (Invalidate); the next lookup
// reads information_schema again. information_schema shows the table as it
// is now, not as it was when the binlog event was written: when a table is
// altered again after the event being read, names may be those of the later
// definition. A column count that differs from the event's is detected and
// the columns fall back to @1, @2, ... (see docs/mysql-source.md).
//
// Borrows the connection. Not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/mysql/mysql_connection.h"

namespace deltabridge::mysql {

struct MysqlColumnInfo {
  std::string name;
  std::string data_type;               // DATA_TYPE, lower case: "int", "varchar", "enum", ...
  std::string column_type;             // COLUMN_TYPE: "int(10) unsigned", "enum('a','b')", ...
  std::optional<std::string> charset;  // CHARACTER_SET_NAME; nullopt for non-character types
  bool in_key = false;
};

struct MysqlTableInfo {
  std::string database;
  std::string table;
  std::vector<MysqlColumnInfo> columns;
  std::vector<uint32_t> primary_key;  // column indexes, in key order
  std::string Qualified() const { return database + "." + table; }
};

class MysqlSchema {
 public:
  explicit MysqlSchema(MysqlConn* conn) : conn_(conn) {}

  // Base tables whose "database.table" matches one of the patterns (system
  // schemas and deltabridge's own deltabridge_* tables excluded), sorted.
  Result<std::vector<std::pair<std::string, std::string>>> ResolveTables(
      const std::vector<std::string>& patterns);

  // The table's columns and key, cached until Invalidate.
  Result<const MysqlTableInfo*> Table(const std::string& database, const std::string& table);
  // Reads without the cache.
  Result<MysqlTableInfo> Read(const std::string& database, const std::string& table);

  void InvalidateAll() { cache_.clear(); }

 private:
  MysqlConn* conn_;                              // borrowed
  std::map<std::string, MysqlTableInfo> cache_;  // by "database.table"
};

}  // namespace deltabridge::mysql
