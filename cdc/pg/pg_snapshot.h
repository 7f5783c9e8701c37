// PgSnapshot: the initial snapshot of a PostgreSQL source, consistent with
// the replication slot it starts from.
//
// It imports the snapshot the slot exported (SET TRANSACTION SNAPSHOT) in a
// REPEATABLE READ transaction, reads each table through a cursor in chunks
// (memory stays bounded by one chunk), and writes every row as an op
// "snapshot" delta. The whole snapshot is one journal transaction ending at
// the slot's consistent point, so it becomes visible all at once or, after a
// crash, not at all. Progress: a live line on a terminal, log lines otherwise.
//
// Borrows the connection and the sink; not thread-safe.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cdc/core/lsn.h"
#include "cdc/pg/pg_catalog.h"
#include "cdc/pg/pg_connection.h"
#include "cdc/source/change_sink.h"

namespace deltabridge {

class PgSnapshot {
 public:
  struct Options {
    std::string source;
    std::string slot;
    size_t chunk_rows = 5000;
    std::vector<std::string> exclude_columns;  // schema.table.column
    bool progress_on_tty = true;
  };

  PgSnapshot(PgConn* conn, ChangeSink* sink, Options options)
      : conn_(conn), sink_(sink), opt_(std::move(options)) {}

  // Reads every table under `snapshot_name` and journals it; `stopping` is
  // polled between chunks (a stop aborts the snapshot: nothing is visible).
  Status Run(const std::string& snapshot_name, const std::vector<PgTableRef>& tables,
             Lsn consistent_point, const std::function<bool()>& stopping);

  uint64_t rows() const { return rows_; }

 private:
  Status CopyTable(const PgTableRef& table, int64_t snapshot_time_us, Lsn consistent_point,
                   const std::function<bool()>& stopping);

  PgConn* conn_;      // borrowed
  ChangeSink* sink_;  // borrowed
  Options opt_;
  uint64_t rows_ = 0;
};

}  // namespace deltabridge
