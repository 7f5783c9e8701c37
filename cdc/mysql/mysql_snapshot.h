// MysqlSnapshot: the initial snapshot of a MySQL/MariaDB source, consistent
// with the binlog position the stream then starts from.
//
// MariaDB: START TRANSACTION WITH CONSISTENT SNAPSHOT, then
// SHOW STATUS LIKE 'binlog_snapshot_%', which MariaDB reports consistent
// with that transaction (no lock, no RELOAD privilege needed). MySQL has no
// such status: there the position is taken under FLUSH TABLES WITH READ LOCK
// (which needs RELOAD), held only while the transaction starts.
//
// Each table is streamed row by row (mysql_use_result: memory bounded by one
// row) and every row becomes an op "snapshot" delta; the whole snapshot is
// one journal transaction ending at the binlog position, so it becomes
// visible all at once or, after a crash, not at all. Progress: a live line on
// a terminal, log lines otherwise.
//
// Borrows the connection and the sink; not thread-safe.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cdc/mysql/binlog_position.h"
#include "cdc/mysql/mysql_connection.h"
#include "cdc/source/change_sink.h"

namespace deltabridge::mysql {

class MysqlSnapshot {
 public:
  struct Options {
    std::string source;
    std::vector<std::string> exclude_columns;  // database.table.column
    bool progress_on_tty = true;
  };

  MysqlSnapshot(MysqlConn* conn, ChangeSink* sink, Options options)
      : conn_(conn), sink_(sink), opt_(std::move(options)) {}

  // Snapshots `tables` (database, table) and journals them; returns the
  // binlog position the snapshot is consistent with. `stopping` is polled
  // between rows every so often (a stop aborts: nothing is visible).
  Result<BinlogPosition> Run(const std::vector<std::pair<std::string, std::string>>& tables,
                             const std::function<bool()>& stopping);

  uint64_t rows() const { return rows_; }

 private:
  Result<BinlogPosition> Begin();
  Status CopyTable(const std::string& database, const std::string& table, int64_t time_us,
                   const std::string& pos, const std::function<bool()>& stopping);

  MysqlConn* conn_;   // borrowed
  ChangeSink* sink_;  // borrowed
  Options opt_;
  uint64_t rows_ = 0;
};

}  // namespace deltabridge::mysql
