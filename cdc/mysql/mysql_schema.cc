#include "cdc/mysql/mysql_schema.h"

#include <algorithm>

#include "cdc/core/glob.h"
#include "cdc/wire/origin_tag.h"

namespace deltabridge::mysql {

Result<std::vector<std::pair<std::string, std::string>>> MysqlSchema::ResolveTables(
    const std::vector<std::string>& patterns) {
  DB_ASSIGN_OR_RETURN(
      std::vector<MysqlConn::Row> rows,
      conn_->Query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE "
                   "TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', "
                   "'information_schema', 'performance_schema', 'sys') ORDER BY TABLE_SCHEMA, "
                   "TABLE_NAME"));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : rows) {
    if (!r[0] || !r[1]) continue;
    std::string q = *r[0] + "." + *r[1];
    if (IsDeltabridgeTable(q)) continue;
    if (std::any_of(patterns.begin(), patterns.end(),
                    [&](const std::string& p) { return GlobMatch(p, q); })) {
      out.emplace_back(*r[0], *r[1]);
    }
  }
  return out;
}

Result<MysqlTableInfo> MysqlSchema::Read(const std::string& database, const std::string& table) {
  MysqlTableInfo t;
  t.database = database;
  t.table = table;
  DB_ASSIGN_OR_RETURN(
      std::vector<MysqlConn::Row> cols,
      conn_->Query("SELECT COLUMN_NAME, LOWER(DATA_TYPE), COLUMN_TYPE, CHARACTER_SET_NAME, "
                   "COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                   conn_->Quote(database) + " AND TABLE_NAME = " + conn_->Quote(table) +
                   " ORDER BY ORDINAL_POSITION"));
  for (const auto& r : cols) {
    MysqlColumnInfo c;
    c.name = r[0].value_or("");
    c.data_type = r[1].value_or("");
    c.column_type = r[2].value_or("");
    c.charset = r[3];
    t.columns.push_back(std::move(c));
  }
  DB_ASSIGN_OR_RETURN(
      std::vector<MysqlConn::Row> key,
      conn_->Query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
                   "TABLE_SCHEMA = " +
                   conn_->Quote(database) + " AND TABLE_NAME = " + conn_->Quote(table) +
                   " AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION"));
  for (const auto& r : key) {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (r[0] && t.columns[i].name == *r[0]) {
        t.primary_key.push_back(static_cast<uint32_t>(i));
        t.columns[i].in_key = true;
      }
    }
  }
  return t;
}

Result<const MysqlTableInfo*> MysqlSchema::Table(const std::string& database,
                                                 const std::string& table) {
  std::string q = database + "." + table;
  auto it = cache_.find(q);
  if (it == cache_.end()) {
    DB_ASSIGN_OR_RETURN(MysqlTableInfo t, Read(database, table));
    it = cache_.emplace(q, std::move(t)).first;
  }
  return &it->second;
}

}  // namespace deltabridge::mysql
