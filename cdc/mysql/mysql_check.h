// CheckMysqlSource: every prerequisite of a MySQL/MariaDB source, for
// `deltabridge check`: reachable, log_bin, binlog_format=ROW,
// binlog_row_image, binlog_row_metadata, binlog_checksum, the server's and our
// server_id, the replication grants, the tables (exist, readable, have a key)
// and GTID mode. Each failure carries the exact statement or setting that
// fixes it.
#pragma once

#include "cdc/config/bridge_config.h"
#include "cdc/core/check_report.h"

namespace deltabridge::mysql {

void CheckMysqlSource(const SourceConfig& source, CheckReport* report);

}  // namespace deltabridge::mysql
