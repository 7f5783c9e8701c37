#include "cdc/mysql/binlog_status.h"

#include <cctype>
#include <charconv>

#include "cdc/mysql/mysql_gtid_set.h"

namespace deltabridge::mysql {

namespace {

// MySQL's "You have an error in your SQL syntax".
constexpr unsigned kErrParseError = 1064;

}  // namespace

Result<BinlogPosition> ReadServerBinlogPosition(MysqlConn& conn) {
  // MySQL 8.4 removed SHOW MASTER STATUS; 8.2+ has SHOW BINARY LOG STATUS,
  // which MariaDB does not parse.
  Result<std::vector<MysqlConn::Row>> st = conn.Query("SHOW MASTER STATUS");
  if (!st.ok() && conn.last_errno() == kErrParseError) {
    st = conn.Query("SHOW BINARY LOG STATUS");
  }
  if (!st.ok()) return st.status();
  if (st->empty() || (*st)[0].size() < 2 || !(*st)[0][0] || !(*st)[0][1]) {
    return Status::FailedPrecondition(
        "the server has no binary log (log_bin is OFF); `deltabridge check` names the fix");
  }
  const MysqlConn::Row& row = (*st)[0];
  BinlogPosition pos;
  pos.file = *row[0];
  const std::string& off = *row[1];
  auto r = std::from_chars(off.data(), off.data() + off.size(), pos.offset);
  if (r.ec != std::errc() || r.ptr != off.data() + off.size()) {
    return Status::InvalidArgument("SHOW MASTER STATUS gave position \"" + off + "\"");
  }
  // File, Position, Binlog_Do_DB, Binlog_Ignore_DB, Executed_Gtid_Set (MySQL).
  if (!conn.is_mariadb() && row.size() >= 5 && row[4] && !row[4]->empty()) {
    DB_ASSIGN_OR_RETURN_CTX(MysqlGtidSet set, MysqlGtidSet::Parse(*row[4]),
                            "the server's Executed_Gtid_Set");
    pos.gtid = set.ToString();
  }
  return pos;
}

}  // namespace deltabridge::mysql
