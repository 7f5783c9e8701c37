// MysqlSource: one MySQL/MariaDB source of a bridge (contract section 2,
// type mysql), the binlog twin of PgSource.
//
// It owns two connections to the server: a replica connection that streams
// the binlog (BinlogStream, COM_BINLOG_DUMP at a file and offset) and a plain
// one for information_schema and the initial snapshot. Run() takes the
// initial snapshot when one is due, then streams changes into the ChangeSink
// until asked to stop. The bytes are decoded by the same decoder as
// `deltabridge binlog` (BinlogEventDecoder, BinlogChangeBuilder). Lost
// connections and server restarts are retried with backoff (0.5 s doubling to
// 30 s) and resume exactly from the journal's position; a position the server
// no longer has (error 1236: binlog purged) stops the source with the
// recovery steps (FailedPrecondition), never a silent skip.
//
// Replication state and its invariants:
//  - the journal's position for this source is "[<gtid> ]<file>:<offset>",
//    the end of the last transaction it holds (or the snapshot's position);
//    the dump restarts exactly there, so nothing is journaled twice and
//    nothing skipped;
//  - a transaction reaches the sink only once its XID/COMMIT event has been
//    read (BinlogChangeBuilder); one cut off by a disconnect is dropped with
//    the session and read again by the next;
//  - the initial snapshot is one journal transaction: a crash during it
//    leaves nothing visible, and the next start takes it again.
//
// Borrows the sink for its lifetime. Run() is called on the source's own thread;
// Report() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/source/change_sink.h"
#include "cdc/source/source.h"

namespace deltabridge::mysql {

class MysqlSource final : public Source {
 public:
  struct Options {
    std::string bridge;
    std::string name;
    std::string host;
    uint16_t port = 3306;
    std::string user;
    std::string password;  // never logged
    uint32_t server_id = 0;
    std::vector<std::string> tables;           // database.table glob patterns
    std::vector<std::string> exclude_columns;  // database.table.column
    bool initial_snapshot = true;
    // Group commit, as PgSource.
    std::chrono::milliseconds flush_interval{10};
    std::chrono::milliseconds min_flush_gap{5};
    size_t flush_max_changes = 20000;
    std::chrono::milliseconds heartbeat{1000};
    std::chrono::milliseconds max_backoff{30000};
    bool progress_on_tty = true;
  };

  struct Counters : SourceCounters {
    // Source commit time of the newest journaled transaction (µs; 0: none).
    std::atomic<int64_t> last_commit_time_us{0};
    // Bytes of binlog the server holds beyond the journaled position, from
    // SHOW BINARY LOGS every few seconds while streaming; -1 when unknown.
    std::atomic<int64_t> server_ahead_bytes{-1};
  };

  MysqlSource(Options options, ChangeSink* sink);

  const std::string& name() const override { return opt_.name; }
  std::string_view type() const override { return "mysql"; }
  // Runs until `stop` (returns ok) or a fatal error.
  Status Run(const std::atomic<bool>& stop) override;
  SourceReport Report() const override;

  const Counters& counters() const { return counters_; }
  const Options& options() const { return opt_; }

 private:
  class Session;
  Options opt_;
  ChangeSink* sink_;  // borrowed
  Counters counters_;
};

}  // namespace deltabridge::mysql
