// OdbcSource: one ODBC source of a bridge (contract section 2, type odbc):
// polls each configured table in its mode (odbc_poller.h) and journals what
// changed.
//
// One thread, one connection: tables are polled one after another, so polls
// never overlap; each table is polled again poll_interval after its last poll
// began (at once when a poll took longer). A failure (a lost connection, a
// driver error, a query timeout) is logged with the driver's SQLSTATE and
// message, journals nothing, and is retried for that table with backoff
// (0.5 s doubling to max_backoff); the other tables go on. A connection that
// fails is dropped and made again before the next poll.
//
// State: the journal's source state holds each table's watermark or diff
// generation; <state_dir>/odbc/<source>/ holds the diff row images
// (diff_state.h states the invariant).
//
// Borrows the sink for its lifetime. Run() is called on the source's own
// thread; counters() may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cdc/config/bridge_config.h"
#include "cdc/core/status.h"
#include "cdc/source/change_sink.h"
#include "cdc/source/source.h"

namespace deltabridge::odbc {

class OdbcSource final : public Source {
 public:
  struct Options {
    std::string bridge;
    std::string name;
    std::string dsn;  // never logged as is: RedactOdbcConnectionString
    std::chrono::microseconds poll_interval = std::chrono::seconds(5);
    std::vector<OdbcTableConfig> tables;
    std::string state_dir;  // the bridge's state_dir
    std::chrono::microseconds lookback = std::chrono::seconds(30);
    int query_timeout_seconds = 300;
    std::chrono::milliseconds max_backoff{30000};
  };

  // `transactions` counts the polls that journaled something.
  struct Counters : SourceCounters {
    std::atomic<uint64_t> polls{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<int64_t> last_poll_us{0};
  };

  OdbcSource(Options options, ChangeSink* sink);

  const std::string& name() const override { return opt_.name; }
  std::string_view type() const override { return "odbc"; }
  // Runs until `stop` (returns ok) or a fatal error (the state dir cannot be made).
  Status Run(const std::atomic<bool>& stop) override;
  // last_commit_us is the newest poll's time; no position lag.
  SourceReport Report() const override;

  const Counters& counters() const { return counters_; }
  const Options& options() const { return opt_; }

 private:
  Options opt_;
  ChangeSink* sink_;  // borrowed
  Counters counters_;
};

}  // namespace deltabridge::odbc
