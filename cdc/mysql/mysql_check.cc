#include "cdc/mysql/mysql_check.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "cdc/core/glob.h"
#include "cdc/mysql/mysql_connection.h"
#include "cdc/mysql/mysql_schema.h"
#include "cdc/wire/origin_tag.h"

namespace deltabridge::mysql {

namespace {

std::string Var(MysqlConn& c, const std::string& name) {
  Result<std::optional<std::string>> v = c.QueryValue("SELECT @@global." + name);
  return v.ok() && *v ? **v : "";
}

std::string Upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// A server setting's fix: at once, and in the configuration file for the next restart.
std::string SetFix(const std::string& var, const std::string& value, bool dynamic) {
  std::string file = "in my.cnf under [mysqld]: " + var + " = " + value;
  if (!dynamic) return file + ", then restart the server";
  return "SET GLOBAL " + var + " = '" + value + "'; and " + file +
         " (sessions already open keep the old value: restart the applications' connections)";
}

// The privileges granted ON *.* to the current user, from SHOW GRANTS.
std::set<std::string> GlobalPrivileges(MysqlConn& c) {
  std::set<std::string> out;
  Result<std::vector<MysqlConn::Row>> g = c.Query("SHOW GRANTS FOR CURRENT_USER()");
  if (!g.ok()) return out;
  for (const auto& r : *g) {
    if (r.empty() || !r[0]) continue;
    const std::string line = *r[0];
    if (line.rfind("GRANT ", 0) != 0) continue;
    size_t on = line.find(" ON *.* ");
    if (on == std::string::npos) continue;
    std::string privs = line.substr(6, on - 6);
    size_t start = 0;
    while (start <= privs.size()) {
      size_t comma = privs.find(", ", start);
      std::string p =
          privs.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      out.insert(Upper(p));
      if (comma == std::string::npos) break;
      start = comma + 2;
    }
  }
  return out;
}

// Two-way sync (docs/two-way.md): the origin tag table a sink writing into
// a captured database marks its transactions in. Advice, never a failure: a
// database no sink writes needs none. The binlog carries the table's changes
// like any other table's, in any binlog_row_image (the tag column changes
// with every write, so even a MINIMAL after-image holds it).
void CheckOriginTagTables(MysqlConn& c, const std::vector<std::string>& patterns,
                          const std::string& p, CheckReport* report) {
  Result<std::vector<MysqlConn::Row>> rows = c.Query(
      "SELECT s.SCHEMA_NAME, t.TABLE_NAME FROM information_schema.SCHEMATA s LEFT JOIN "
      "information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME AND t.TABLE_NAME = " +
      c.Quote(std::string(kOriginTagTable)) +
      " WHERE s.SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', "
      "'sys') ORDER BY 1");
  if (!rows.ok()) {
    report->Note(p + "cannot look for " + std::string(kOriginTagTable) +
                     " tables: " + rows.status().message(),
                 "needed only when a sink writes into a captured database (two-way sync)");
    return;
  }
  for (const MysqlConn::Row& r : *rows) {
    if (r.empty() || !r[0]) continue;
    const std::string& db = *r[0];
    const bool captured = std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pt) {
      return GlobMatch(pt.substr(0, pt.find('.')), db);
    });
    if (!captured) continue;
    const std::string table = db + "." + std::string(kOriginTagTable);
    if (r.size() > 1 && r[1]) {
      report->Ok(p + "origin tag table " + table + " exists");
    } else {
      report->Note(p + "no origin tag table " + table +
                       ": a sink writing into this database (two-way sync) creates it when it "
                       "may, else its writes come back as ordinary changes",
                   OriginTagCreateSql(QuoteIdent(db) + "." + std::string(kOriginTagTable),
                                      /*mysql=*/true) +
                       "; " +
                       OriginTagGrantSql(QuoteIdent(db) + "." + std::string(kOriginTagTable),
                                         "<the sink's account>") +
                       ";");
    }
  }
}

}  // namespace

void CheckMysqlSource(const SourceConfig& source, CheckReport* report) {
  const MysqlSourceConfig& mc = *source.mysql();
  const std::string p = "source " + source.name + ": ";
  MysqlConnParams params;
  params.host = mc.host;
  params.port = mc.port;
  params.user = mc.user;
  params.password = mc.password;
  Result<MysqlConn> conn = MysqlConn::Connect(params);
  if (!conn.ok()) {
    report->Fail(p + "MySQL/MariaDB reachable (" + params.Describe() + ")",
                 conn.status().message() +
                     "; check host, port, user and password(_file), that the server is running "
                     "and that the account may connect from this host");
    return;
  }
  MysqlConn& c = *conn;
  const bool maria = c.is_mariadb();
  report->Ok(p + (maria ? "MariaDB" : "MySQL") + " reachable, server " + c.server_version());

  const std::string log_bin = Var(c, "log_bin");
  if (log_bin == "1" || Upper(log_bin) == "ON") {
    report->Ok(p + "log_bin is ON");
  } else {
    report->Fail(
        p + "the binary log is off (log_bin = OFF)",
        "in my.cnf under [mysqld]: log_bin = " + std::string(maria ? "mariadb-bin" : "mysql-bin") +
            " (and a nonzero server_id), then restart the server");
  }

  const std::string format = Upper(Var(c, "binlog_format"));
  if (format == "ROW") {
    report->Ok(p + "binlog_format is ROW");
  } else {
    report->Fail(p + "binlog_format is " + format + ", row changes need ROW",
                 SetFix("binlog_format", "ROW", true));
  }

  const std::string image = Upper(Var(c, "binlog_row_image"));
  if (image == "FULL") {
    report->Ok(p + "binlog_row_image is FULL");
  } else if (image == "MINIMAL" || image == "NOBLOB" || image == "FULL_NODUP") {
    report->Note(p + "binlog_row_image is " + image +
                     ": updates carry the changed columns as new values only (" +
                     (image == "NOBLOB" ? "BLOB/TEXT columns too"
                                        : "no old values, and deletes only the key") +
                     "), so sinks cannot detect field conflicts on them",
                 "for old and new values of every changed column: " +
                     SetFix("binlog_row_image", "FULL", true));
  } else if (!image.empty()) {
    report->Note(p + "binlog_row_image is " + image, SetFix("binlog_row_image", "FULL", true));
  }

  const std::string metadata = Upper(Var(c, "binlog_row_metadata"));
  if (metadata == "FULL") {
    report->Ok(p + "binlog_row_metadata is FULL (column names and keys in the binlog)");
  } else if (metadata.empty()) {
    report->Note(p + "binlog_row_metadata is not available on this server (MariaDB before "
                     "10.5, MySQL before 8.0.1): column names are read from "
                     "information_schema, which can misname columns altered again later",
                 "upgrade the server to have exact column names across DDL");
  } else {
    report->Fail(p + "binlog_row_metadata is " + metadata +
                     ": the binlog lacks column names and keys; they would be read from "
                     "information_schema, which can misname columns altered again later",
                 SetFix("binlog_row_metadata", "FULL", true));
  }

  const std::string checksum = Upper(Var(c, "binlog_checksum"));
  if (checksum == "CRC32" || checksum == "NONE") {
    report->Ok(p + "binlog_checksum is " + checksum);
  } else {
    report->Fail(p + "binlog_checksum is " + checksum + ", which the bridge cannot verify",
                 SetFix("binlog_checksum", "CRC32", true));
  }

  if (!maria) {
    const std::string value_options = Upper(Var(c, "binlog_row_value_options"));
    if (value_options.find("PARTIAL_JSON") != std::string::npos) {
      report->Fail(p + "binlog_row_value_options is PARTIAL_JSON: JSON updates carry diffs, "
                       "not values",
                   SetFix("binlog_row_value_options", "", true));
    }
  }

  const std::string server_id = Var(c, "server_id");
  if (server_id.empty() || server_id == "0") {
    report->Fail(p + "the server's server_id is 0; it cannot serve replicas",
                 SetFix("server_id", "1", true) + " (any number unique among your servers)");
  } else if (server_id == std::to_string(mc.server_id)) {
    report->Fail(p + "server_id " + std::to_string(mc.server_id) +
                     " in the bridge file is the server's own server_id",
                 "set sources[].server_id in the bridge file to a number no server or replica "
                 "of this server uses");
  } else {
    bool taken = false;
    Result<std::vector<MysqlConn::Row>> hosts =
        c.Query(maria ? "SHOW SLAVE HOSTS" : "SHOW REPLICAS");
    if (hosts.ok()) {
      for (const auto& r : *hosts) {
        if (!r.empty() && r[0] && *r[0] == std::to_string(mc.server_id)) taken = true;
      }
    }
    if (taken) {
      report->Fail(p + "server_id " + std::to_string(mc.server_id) +
                       " is used by a replica connected to the server now (SHOW SLAVE HOSTS); "
                       "if that is not this bridge, the two would disconnect each other",
                   "set sources[].server_id in the bridge file to a number no replica uses");
    } else {
      report->Ok(p + "server_id " + std::to_string(mc.server_id) + " differs from the server's (" +
                 server_id + ")");
    }
  }

  std::set<std::string> privs = GlobalPrivileges(c);
  const bool all = privs.count("ALL PRIVILEGES") > 0 || privs.count("ALL") > 0;
  const bool slave = all || privs.count("REPLICATION SLAVE") > 0;
  const bool client = all || privs.count("REPLICATION CLIENT") > 0 ||
                      privs.count("BINLOG MONITOR") > 0 || privs.count("SUPER") > 0;
  Result<std::optional<std::string>> who = c.QueryValue("SELECT CURRENT_USER()");
  std::string account = who.ok() && *who ? **who : mc.user + "@%";
  size_t at = account.rfind('@');
  std::string grantee = at == std::string::npos
                            ? "'" + account + "'"
                            : "'" + account.substr(0, at) + "'@'" + account.substr(at + 1) + "'";
  if (slave && client) {
    report->Ok(p + "account " + account + " may read the binlog (REPLICATION SLAVE, " +
               (maria ? "BINLOG MONITOR" : "REPLICATION CLIENT") + ")");
  } else {
    std::string missing;
    if (!slave) missing = "REPLICATION SLAVE";
    if (!client) {
      missing += std::string(missing.empty() ? "" : ", ") +
                 (maria ? "BINLOG MONITOR" : "REPLICATION CLIENT");
    }
    report->Fail(p + "account " + account + " lacks " + missing,
                 "GRANT " + missing + " ON *.* TO " + grantee + ";");
  }

  MysqlSchema schema(&c);
  Result<std::vector<std::pair<std::string, std::string>>> tables = schema.ResolveTables(mc.tables);
  if (!tables.ok()) {
    report->Fail(p + "tables readable from information_schema", tables.status().message());
  } else if (tables->empty()) {
    report->Fail(p + "no table matches the tables patterns (or the account cannot see them)",
                 "create the tables, fix `tables` in the bridge file, or GRANT SELECT ON "
                 "`database`.* TO " +
                     grantee + ";");
  } else {
    for (const auto& [db, table] : *tables) {
      const std::string q = db + "." + table;
      Status s = c.Exec("SELECT 1 FROM " + QuoteIdent(db) + "." + QuoteIdent(table) + " LIMIT 0");
      if (!s.ok()) {
        report->Fail(
            p + "table " + q + " is not readable: " + s.message(),
            "GRANT SELECT ON " + QuoteIdent(db) + "." + QuoteIdent(table) + " TO " + grantee + ";");
        continue;
      }
      Result<MysqlTableInfo> info = schema.Read(db, table);
      if (info.ok() && info->primary_key.empty()) {
        report->Note(
            p + "table " + q +
                " has no primary key: its deltas carry no key, and "
                "sinks cannot apply them",
            "ALTER TABLE " + QuoteIdent(db) + "." + QuoteIdent(table) + " ADD PRIMARY KEY (...);");
      } else if (info.ok()) {
        std::string cols;
        for (uint32_t k : info->primary_key) {
          cols += (cols.empty() ? "" : ", ") + info->columns[k].name;
        }
        report->Ok(p + "table " + q + " readable, key (" + cols + ")");
      }
    }
  }

  CheckOriginTagTables(c, mc.tables, p, report);

  if (maria) {
    report->Ok(p + "GTIDs: MariaDB, gtid_binlog_pos " + Var(c, "gtid_binlog_pos") +
               " (positions are kept as GTID and file:offset)");
  } else {
    const std::string gtid_mode = Upper(Var(c, "gtid_mode"));
    if (gtid_mode == "ON") {
      report->Ok(p + "gtid_mode is ON");
    } else {
      report->Note(p + "gtid_mode is " + gtid_mode +
                       ": positions are file:offset only (fine for one server; a failover to "
                       "another server needs GTIDs)",
                   "SET GLOBAL enforce_gtid_consistency = ON; then gtid_mode OFF_PERMISSIVE, "
                   "ON_PERMISSIVE, ON in steps (MySQL's online GTID procedure), and in my.cnf "
                   "gtid_mode = ON, enforce_gtid_consistency = ON");
    }
  }
}

}  // namespace deltabridge::mysql
