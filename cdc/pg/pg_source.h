// PgSource: one PostgreSQL source of a bridge (contract section 2, type postgres).
//
// It owns two connections to the source database: a replication connection
// (pgoutput over the streaming replication protocol) and a plain one for
// catalog queries and the initial snapshot. Run() sets up the publication and
// slot, takes the initial snapshot when one is due, then streams changes into
// the ChangeSink until asked to stop. Lost connections and server restarts
// are retried with backoff and resume exactly from the journal's position; a
// slot or publication that disappeared stops the source with the recovery
// steps (FailedPrecondition), never a silent skip or re-snapshot.
//
// Replication state and its invariants:
//  - the journal's position for this source is the end LSN of the last
//    transaction it holds; START_REPLICATION resumes there and transactions
//    that commit before it are skipped, so nothing is journaled twice;
//  - the LSN confirmed to the server (flush) never passes the journal's
//    durable position, except when idle: with no transaction open and nothing
//    unflushed, the server's WAL end is confirmed so the slot (and WAL
//    retention) advances even when no published table changes;
//  - the initial snapshot is one journal transaction: a crash during it leaves
//    nothing visible, and the next start drops the half-made slot and takes
//    the snapshot again (logged loudly).
//
// Borrows the sink and the spool (which drains into it) for its lifetime.
// Run() is called on the source's own thread; Report() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/source/change_sink.h"
#include "cdc/source/source.h"
#include "cdc/source/stream_spool.h"

namespace deltabridge {

class PgSource final : public Source {
 public:
  struct Options {
    std::string bridge;
    std::string name;
    std::string dsn;  // libpq conninfo (may hold a password: never logged as is)
    std::string slot;
    std::string publication;
    std::vector<std::string> tables;           // schema.table glob patterns
    std::vector<std::string> exclude_columns;  // schema.table.column
    bool initial_snapshot = true;
    size_t snapshot_chunk_rows = 5000;
    // Group commit (see the stream loop): at least this often while changes
    // arrive, and no more often than min_flush_gap.
    // 10/5 ms keep a steady 5k changes/s stream (which never pauses 2 ms)
    // within ~15 ms of its commit; tests/bench/sink_bench.sh measures it.
    std::chrono::milliseconds flush_interval{10};
    std::chrono::milliseconds min_flush_gap{5};
    size_t flush_max_changes = 20000;
    std::chrono::milliseconds feedback_interval{1000};
    std::chrono::milliseconds max_backoff{30000};
    bool progress_on_tty = true;  // a live progress line on stderr when it is a terminal
  };

  struct Counters : SourceCounters {
    std::atomic<uint64_t> confirmed_lsn{0};
    std::atomic<uint64_t> server_wal_end{0};
    std::atomic<int64_t> last_commit_time_us{0};
  };

  PgSource(Options options, ChangeSink* sink, StreamSpool* spool);

  const std::string& name() const override { return opt_.name; }
  std::string_view type() const override { return "postgres"; }
  // Runs until `stop` (returns ok) or a fatal error.
  Status Run(const std::atomic<bool>& stop) override;
  SourceReport Report() const override;

  const Counters& counters() const { return counters_; }
  const Options& options() const { return opt_; }

 private:
  class Session;
  Options opt_;
  ChangeSink* sink_;    // borrowed
  StreamSpool* spool_;  // borrowed; drains into sink_
  Counters counters_;
};

}  // namespace deltabridge
