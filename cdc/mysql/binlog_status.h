// ReadServerBinlogPosition: where the server's binlog ends now, as a
// BinlogPosition: the file and offset of SHOW MASTER STATUS (MySQL 8.4 and
// later: SHOW BINARY LOG STATUS) and, from a MySQL server with GTIDs on, its
// Executed_Gtid_Set, so that positions taken here can resume by GTID.
// MariaDB's GTID state is left out (the source reads it per file with
// BINLOG_GTID_POS).
//
// FailedPrecondition when the server has no binary log (log_bin OFF).
#pragma once

#include "cdc/core/status.h"
#include "cdc/mysql/binlog_position.h"
#include "cdc/mysql/mysql_connection.h"

namespace deltabridge::mysql {

Result<BinlogPosition> ReadServerBinlogPosition(MysqlConn& conn);

}  // namespace deltabridge::mysql
