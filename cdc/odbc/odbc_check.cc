#include "cdc/odbc/odbc_check.h"

#include "cdc/clients/odbc/odbc_connection_string.h"
#include "cdc/odbc/odbc_connection.h"
#include "cdc/odbc/odbc_poller.h"

namespace deltabridge::odbc {

namespace {

bool UsableTimestamp(Value::Kind k) {
  return k == Value::Kind::kTimestamp || k == Value::Kind::kDate || k == Value::Kind::kInt ||
         k == Value::Kind::kText;
}

bool UsableIncrementing(Value::Kind k) {
  return k == Value::Kind::kInt || k == Value::Kind::kUInt || k == Value::Kind::kDecimal;
}

}  // namespace

void CheckOdbcSource(const SourceConfig& source, CheckReport* report) {
  const OdbcSourceConfig& cfg = *source.odbc();
  const std::string who = "source " + source.name + ": ";
  const std::string where = RedactOdbcConnectionString(cfg.dsn);
  Result<std::unique_ptr<OdbcConnection>> conn = OdbcConnection::Connect(cfg.dsn);
  if (!conn.ok()) {
    const std::string& m = conn.status().message();
    std::string fix;
    if (m.find("IM002") != std::string::npos || m.find("IM003") != std::string::npos ||
        m.find("IM004") != std::string::npos) {
      fix =
          "the ODBC driver does not load: install it (Debian: libsqliteodbc, odbc-postgresql, "
          "odbc-mariadb), register it in /etc/odbcinst.ini or name its file with "
          "Driver=/path/to/driver.so, and check a DSN=name against /etc/odbc.ini "
          "(odbcinst -q -d, odbcinst -q -s)";
    } else if (m.find("28000") != std::string::npos) {
      fix = "the login was refused: fix Uid/Pwd in the connection string or the DSN";
    } else {
      fix =
          "make the database reachable with this connection string (test it with "
          "isql -v -k \"" +
          where + "\")";
    }
    report->Fail(who + "connects over ODBC (" + where + "): " + m, fix);
    return;
  }
  report->Ok(who + "connects over ODBC to " + (*conn)->dbms_name() + " " + (*conn)->dbms_version() +
             " through " + (*conn)->driver_name());
  for (const OdbcTableConfig& t : cfg.tables) {
    const std::string tw = who + "table " + t.name;
    Result<std::unique_ptr<OdbcCursor>> cur =
        (*conn)->Query("SELECT * FROM " + (*conn)->QuoteName(t.name) + " WHERE 1 = 0", 30);
    if (!cur.ok()) {
      report->Fail(tw + " exists and is readable: " + cur.status().message(),
                   "create the table, correct its name in the bridge file (as the database "
                   "spells it, case included), or GRANT SELECT ON " +
                       t.name + " TO the connecting user");
      continue;
    }
    report->Ok(tw + " exists and is readable (" + std::to_string((*cur)->columns().size()) +
               " columns)");
    const auto& cols = (*cur)->columns();
    for (const std::string& k : t.key) {
      int i = FindColumn(cols, k);
      if (i < 0) {
        report->Fail(tw + ": key column " + k + " exists",
                     "name an existing column in `key:` (the table's primary key or a unique, "
                     "non-null column set)");
      } else {
        report->Ok(tw + ": key column " + k + " exists (" + cols[i].type_name + ")");
      }
    }
    if (PollModeUsesTimestamp(t.mode)) {
      int i = FindColumn(cols, t.timestamp_column);
      if (i < 0) {
        report->Fail(tw + ": timestamp column " + t.timestamp_column + " exists",
                     "add it (ALTER TABLE " + t.name + " ADD " + t.timestamp_column +
                         " TIMESTAMP, set on every insert and update, e.g. by a trigger) or use "
                         "mode: diff");
      } else if (!UsableTimestamp(cols[i].kind)) {
        report->Fail(tw + ": timestamp column " + t.timestamp_column +
                         " has a usable type (it is " + cols[i].type_name + ")",
                     "use a TIMESTAMP/DATETIME column for timestamp_column, or mode: diff");
      } else {
        report->Ok(tw + ": timestamp column " + t.timestamp_column + " is usable (" +
                   cols[i].type_name + ")");
        if (cols[i].kind == Value::Kind::kText) {
          report->Note(tw + ": timestamp column " + t.timestamp_column + " holds text",
                       "it must hold 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC so that text order is "
                       "time order");
        }
      }
    }
    if (PollModeUsesIncrementing(t.mode)) {
      int i = FindColumn(cols, t.incrementing_column);
      if (i < 0) {
        report->Fail(tw + ": incrementing column " + t.incrementing_column + " exists",
                     "name a strictly increasing integer column (an identity/auto-increment key)");
      } else if (!UsableIncrementing(cols[i].kind)) {
        report->Fail(tw + ": incrementing column " + t.incrementing_column +
                         " has a usable type (it is " + cols[i].type_name + ")",
                     "use an integer column that only grows (identity, auto_increment, sequence)");
      } else {
        report->Ok(tw + ": incrementing column " + t.incrementing_column + " is usable (" +
                   cols[i].type_name + ")");
      }
    }
  }
}

}  // namespace deltabridge::odbc
