// TablePoller: one configured table of an ODBC source, polled in its mode.
//
//  - DiffPoller (mode diff): SELECT * ... ORDER BY key, merged row by row
//    with the table's last row images (diff_state.h), both sides in key
//    order, so memory stays bounded whatever the table's size. Inserts,
//    updates (only the changed columns, old and new) and deletes.
//  - QueryPoller (modes timestamp, incrementing, timestamp+incrementing):
//    rows past a watermark kept in the journal's source state.
//
// The first poll of a table emits every row as op snapshot. Each poll that
// finds changes is one journal transaction (tx.id "<table>:<generation>" in
// diff mode, "<table>:<poll time>" otherwise), and the poller's state (diff
// generation or watermark) is staged with SetState in the same transaction,
// so the journal and the state move together: a restart neither repeats nor
// loses a change. A failed poll leaves nothing journaled and the same poll
// runs again.
//
// Borrows the sink and the connection for the duration of Poll(). Not
// thread-safe; the source polls its tables one at a time, so polls never
// overlap.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cdc/config/bridge_config.h"
#include "cdc/core/status.h"
#include "cdc/odbc/odbc_connection.h"
#include "cdc/source/change_sink.h"

namespace deltabridge::odbc {

struct PollContext {
  std::string source;     // the source's name, for changes and messages
  std::string state_dir;  // this source's directory for diff state files (exists)
  ChangeSink* sink = nullptr;
  std::chrono::microseconds lookback{std::chrono::seconds(30)};  // timestamp modes
  int query_timeout_seconds = 300;
  const std::atomic<bool>* stop = nullptr;  // checked between rows
};

struct PollResult {
  uint64_t rows_read = 0;
  uint64_t changes = 0;
  bool snapshot = false;  // this was the table's first poll
};

class TablePoller {
 public:
  virtual ~TablePoller() = default;
  // One poll; `now_us` is the poll time (the deltas' ts).
  virtual Result<PollResult> Poll(OdbcConnection& conn, int64_t now_us) = 0;
  // Called once before the first poll: removes leftovers of an interrupted poll.
  virtual void Recover() {}
};

std::unique_ptr<TablePoller> MakeDiffPoller(const OdbcTableConfig& table, const PollContext& ctx);
std::unique_ptr<TablePoller> MakeQueryPoller(const OdbcTableConfig& table, const PollContext& ctx);

// Shared by the pollers: the changes of one poll, handed to the sink as one
// transaction. The first kMaxBuffered changes are held here, so a poll that
// finds a few changes in a long scan takes the journal (which other sources
// wait for) only at Commit; past that the transaction opens and the rest
// streams into it. Aborts an open transaction when destroyed uncommitted.
class PollTransaction {
 public:
  PollTransaction(ChangeSink* sink, std::string source, std::string table, int64_t now_us,
                  std::string tx_id, std::string pos)
      : sink_(sink),
        source_(std::move(source)),
        table_(std::move(table)),
        now_us_(now_us),
        tx_id_(std::move(tx_id)),
        pos_(std::move(pos)) {}
  ~PollTransaction() {
    if (open_) sink_->AbortTx();
  }
  PollTransaction(const PollTransaction&) = delete;
  PollTransaction& operator=(const PollTransaction&) = delete;

  static constexpr size_t kMaxBuffered = 4096;

  Status Add(Op op, std::vector<std::pair<std::string, Value>> key,
             std::vector<ColumnChange> changes);
  // Stages `state` (key, value pairs), ends the transaction and flushes it.
  Status Commit(const std::vector<std::pair<std::string, std::string>>& state);
  uint64_t changes() const { return changes_; }

 private:
  ChangeSink* sink_;
  std::string source_, table_;
  int64_t now_us_;
  std::string tx_id_, pos_;
  Status Open();  // BeginTx and hand on the buffered changes

  bool open_ = false;
  uint64_t changes_ = 0;
  std::vector<Change> buffered_;  // before the transaction opens
};

// The index of `name` among `columns`, compared without case; -1 if absent.
int FindColumn(const std::vector<OdbcColumn>& columns, const std::string& name);

}  // namespace deltabridge::odbc
