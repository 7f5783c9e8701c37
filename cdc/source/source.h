// Source: one configured source of a bridge, as the bridge runs it, without
// knowing which database is behind it. A source reads its database (a
// replication stream, a binlog, polls) and writes every committed change into
// the ChangeSink it was made with (change_sink.h), together with the position
// that change advances it to; the journal behind the sink makes both durable
// at once. The bridge makes sources through a factory (cdc/bridge/
// source_factory.h), one per `sources:` entry, and runs each on a thread of
// its own.
//
// Threads: Run() on the source's own thread; name(), type() and Report() from
// any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge {

// What a source tells `status` and the metrics about itself, since it was made.
struct SourceReport {
  uint64_t changes = 0;        // deltas journaled
  uint64_t transactions = 0;   // source transactions (ODBC: polls) that journaled something
  uint64_t reconnects = 0;     // connections lost and made again
  uint64_t snapshot_rows = 0;  // rows read by the initial snapshot
  // Source commit time (ODBC: poll time) of the newest journaled transaction,
  // in microseconds since the epoch; 0 when none.
  int64_t last_commit_us = 0;
  // How far the server is ahead of what the source has journaled, in bytes
  // of its log (WAL, binlog); nullopt when the source cannot tell.
  std::optional<uint64_t> position_lag_bytes;
  // Two-way sync (docs/two-way.md): changes a sink wrote into the source's
  // database, as the bridge's origin filter between the source and the
  // journal counts them (a source itself leaves these 0): journaled with an
  // origin (forward: true), not journaled (forward: false), and tag rows
  // whose tag did not decode.
  uint64_t tagged_forwarded = 0;
  uint64_t tagged_dropped = 0;
  uint64_t bad_tags = 0;
};

// The counters every source keeps: written by the source's thread, read by
// Report() from any. A source's own Counters add what only it knows.
struct SourceCounters {
  std::atomic<uint64_t> changes{0};
  std::atomic<uint64_t> transactions{0};
  std::atomic<uint64_t> reconnects{0};
  std::atomic<uint64_t> snapshot_rows{0};

  // These four as a report; the source adds last_commit_us and the lag.
  SourceReport Read() const {
    SourceReport r;
    r.changes = changes.load();
    r.transactions = transactions.load();
    r.reconnects = reconnects.load();
    r.snapshot_rows = snapshot_rows.load();
    return r;
  }
};

class Source {
 public:
  virtual ~Source() = default;

  // The configured name, "scheduling".
  virtual const std::string& name() const = 0;
  // The configured type: "postgres", "mysql", "odbc".
  virtual std::string_view type() const = 0;

  // Runs until `stop` becomes true (then returns ok, with what it read
  // journaled and its position confirmed) or a fatal error that an operator
  // must act on (the message says how). Transient failures (a lost
  // connection, a restarting server) are retried inside, never returned.
  virtual Status Run(const std::atomic<bool>& stop) = 0;

  virtual SourceReport Report() const = 0;
};

}  // namespace deltabridge
