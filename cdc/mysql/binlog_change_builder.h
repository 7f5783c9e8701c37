// BinlogChangeBuilder: decoded binlog events to field-level Changes, grouped
// into transactions (contract section 3).
//
// Feed it every event of a binlog in order (OnEvent); it keeps the TABLE_MAP
// cache (by table id, replaced whenever a new TABLE_MAP arrives), decodes the
// row images against it, and hands each ended transaction to the callback.
//
// Transactions: MySQL writes [GTID] BEGIN ... XID|COMMIT; MariaDB writes a
// GTID event (which opens the transaction, no BEGIN follows) ... XID|COMMIT,
// or a standalone GTID before a single statement (DDL). A statement outside
// any transaction (DDL) is a transaction of its own without changes. Rows
// outside BEGIN (very old binlogs) form a transaction ending at the rows event
// that ends the statement. ROLLBACK drops the open transaction's changes.
//
// Per transaction: tx_id is the GTID (MariaDB "domain-server-seq", MySQL
// "uuid:n" or "uuid:tag:n") when there is one, else "file:offset" of the event
// that opened it; commit_time_us is MySQL 8's original_commit_timestamp when
// the GTID event has it, else the committing event's timestamp (seconds);
// position is "<gtids> <file>:<end>" (or "<file>:<end>" without GTIDs), where
// end is the end_log_pos of the committing event, i.e. where reading resumes,
// and <gtids> the GTID state after the transaction: MariaDB's last GTID per
// domain, or MySQL's GTID set (PREVIOUS_GTIDS at the start of each file,
// plus every GTID since: what COM_BINLOG_DUMP_GTID takes to resume).
//
// Per row: insert: every column of the after image as new; update: a column
// in both images only when its value changed, as {old, new}, and a column
// only in the after image as new only; so binlog_row_image=FULL gives the
// changed columns with old and new, MINIMAL (before image = the key, after
// image = the changed columns) every changed column as new only, NOBLOB the
// changed non-BLOB columns with old and new and a changed BLOB as new only;
// delete: every before-image column as old. Columns left out of an image are
// left out of the change, never reported as null. Column names come from the
// table map (binlog_row_metadata=FULL) else "@1", "@2", ...; the key from its
// primary key metadata (empty without it).
//
// Invariants: a transaction reaches the callback only once its committing
// event has been seen, with every change stamped with its final position,
// tx_id and commit time, and tx_last on the last change. The open
// transaction's changes are held in memory until then.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cdc/core/change.h"
#include "cdc/core/status.h"
#include "cdc/mysql/binlog_event.h"
#include "cdc/mysql/row_image_decoder.h"

namespace deltabridge::mysql {

struct BinlogTransaction {
  std::string tx_id;
  std::string gtid;  // empty without GTIDs
  // "<gtids> <file>:<end>" or "<file>:<end>". With MariaDB GTIDs, <gtids> is
  // the GTID state after the transaction: the last GTID of every replication
  // domain seen, "0-1-42,1-1-7" (what @slave_connect_state takes); with
  // MySQL GTIDs the GTID set executed up to and including it.
  std::string position;
  int64_t commit_time_us = 0;
  std::vector<Change> changes;  // empty for DDL and transactions of filtered tables
};

class BinlogChangeBuilder {
 public:
  struct Options {
    std::string source = "binlog";  // Change::source
    // Whether changes of "database.table" are kept; all when unset.
    std::function<bool(const std::string&)> include_table;
  };
  struct Stats {
    uint64_t transactions = 0;
    uint64_t changes = 0;
    uint64_t rollbacks = 0;
  };
  using TransactionCallback = std::function<Status(BinlogTransaction&&)>;

  BinlogChangeBuilder(Options options, TransactionCallback on_transaction)
      : opt_(std::move(options)), on_tx_(std::move(on_transaction)) {}

  // The name of the binlog file the next events come from (positions name it).
  void set_file_name(std::string name) { file_ = std::move(name); }
  const std::string& file_name() const { return file_; }
  // The GTID state the stream starts from: a MariaDB GTID list
  // ("0-1-42,1-1-7"), so that positions keep naming the domains no later
  // transaction touches, or a MySQL GTID set ("uuid:1-42"), so that they
  // name every transaction before the start. InvalidArgument when it is
  // neither.
  Status set_gtid_state(const std::string& list);
  // The state as positions write it ("" when no GTID was seen).
  std::string gtid_state() const;

  Status OnEvent(const BinlogEvent& event);

  // True while a transaction is open (its commit not yet seen).
  bool in_transaction() const { return tx_.has_value(); }
  const Stats& stats() const { return stats_; }

 private:
  struct OpenTx {
    std::string gtid;
    std::string start;      // file:offset of the opening event
    bool implicit = false;  // opened by a rows event outside BEGIN
    uint64_t original_commit_us = 0;
    std::optional<uint32_t> maria_domain;      // the domain of its MariaDB GTID
    std::optional<MysqlGtidEvent> mysql_gtid;  // its MySQL GTID
    std::vector<Change> changes;
  };

  // Adds a MySQL GTID (not an anonymous one) to mysql_gtids_.
  void AddMysqlGtid(const std::optional<MysqlGtidEvent>& g);

  void Begin(const BinlogEvent& ev, std::string gtid, bool implicit);
  Status Commit(const BinlogEvent& ev);
  Status OnRows(const BinlogEvent& ev, const RowsEvent& rows);
  // Adds one row's change to the open transaction; `name` is the table's
  // "database.table". Moves the row's values.
  void AddRow(const TableMapEvent& table, const std::string& name, RowsKind kind, RowPair&& row);

  Options opt_;
  TransactionCallback on_tx_;
  std::string file_;
  // Table maps by table id: the last TABLE_MAP seen for each id.
  std::unordered_map<uint64_t, TableMapEvent> tables_;
  // A MySQL GTID or a standalone MariaDB GTID waiting for the statement it names.
  std::string pending_gtid_;
  uint64_t pending_commit_us_ = 0;
  std::optional<uint32_t> pending_domain_;       // of a pending MariaDB GTID
  std::optional<MysqlGtidEvent> pending_mysql_;  // a pending MySQL GTID event
  std::optional<OpenTx> tx_;                     // the open transaction, if any
  // MariaDB: the last GTID of each domain ("d-s-n"), by domain id; ordered so
  // that positions list domains the same way each time.
  std::map<uint32_t, std::string> gtid_state_;
  // MySQL: every GTID before the current position.
  MysqlGtidSet mysql_gtids_;
  Stats stats_;
};

}  // namespace deltabridge::mysql
