#include "cdc/mysql/mysql_snapshot.h"

#include <spdlog/spdlog.h>

#include <unordered_set>

#include "cdc/core/progress.h"
#include "cdc/core/wall_clock.h"
#include "cdc/mysql/binlog_status.h"
#include "cdc/mysql/mysql_schema.h"
#include "cdc/mysql/mysql_text_value.h"

namespace deltabridge::mysql {

Result<BinlogPosition> MysqlSnapshot::Begin() {
  DB_RETURN_IF_ERROR(conn_->Exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  BinlogPosition pos;
  if (conn_->is_mariadb()) {
    DB_RETURN_IF_ERROR(conn_->Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT"));
    DB_ASSIGN_OR_RETURN(std::vector<MysqlConn::Row> st,
                        conn_->Query("SHOW STATUS LIKE 'binlog_snapshot_%'"));
    for (const auto& r : st) {
      if (!r[0] || !r[1]) continue;
      if (*r[0] == "Binlog_snapshot_file") pos.file = *r[1];
      if (*r[0] == "Binlog_snapshot_position") pos.offset = std::stoull(*r[1]);
    }
  } else {
    // MySQL: the position is only consistent with the transaction while
    // writes are blocked.
    Status lock = conn_->Exec("FLUSH TABLES WITH READ LOCK");
    if (!lock.ok()) {
      return Status::FailedPrecondition(
          "the initial snapshot of a MySQL server takes FLUSH TABLES WITH READ LOCK for a moment, "
          "which needs the RELOAD privilege (GRANT RELOAD ON *.* TO ...), or set `snapshot: "
          "never`: " +
          lock.message());
    }
    // The position comes with the executed GTID set, so that the stream can
    // later resume by GTID (after a failover, or once the file is purged).
    Status s = conn_->Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT");
    Result<BinlogPosition> at = ReadServerBinlogPosition(*conn_);
    conn_->Exec("UNLOCK TABLES").ok();
    if (!s.ok()) return s;
    if (!at.ok()) {
      conn_->Exec("ROLLBACK").ok();
      return at.status();
    }
    pos = *at;
  }
  if (pos.file.empty() || pos.offset == 0) {
    conn_->Exec("ROLLBACK").ok();
    return Status::FailedPrecondition(
        "the server reports no binlog position (is log_bin on? `deltabridge check` tells)");
  }
  return pos;
}

Result<BinlogPosition> MysqlSnapshot::Run(
    const std::vector<std::pair<std::string, std::string>>& tables,
    const std::function<bool()>& stopping) {
  DB_ASSIGN_OR_RETURN(BinlogPosition pos, Begin());
  spdlog::info("source {}: initial snapshot of {} table(s) at {}", opt_.source, tables.size(),
               pos.ToString());
  Status s = sink_->BeginTx();
  if (!s.ok()) {
    conn_->Exec("ROLLBACK").ok();
    return s;
  }
  const int64_t now = WallClockMicros();
  const std::string text = pos.ToString();
  for (const auto& [db, table] : tables) {
    s = CopyTable(db, table, now, text, stopping);
    if (!s.ok()) break;
  }
  if (s.ok() && stopping()) s = Status::Aborted("stopped during the initial snapshot");
  if (!s.ok()) {
    sink_->AbortTx();
    conn_->Exec("ROLLBACK").ok();
    return s;
  }
  conn_->Exec("COMMIT").ok();
  sink_->SetState(kSnapshotDoneState, text);
  DB_RETURN_IF_ERROR(sink_->EndTx(text));
  DB_RETURN_IF_ERROR(sink_->Flush());
  spdlog::info("source {}: initial snapshot complete, {} rows", opt_.source, rows_);
  return pos;
}

Status MysqlSnapshot::CopyTable(const std::string& database, const std::string& table,
                                int64_t time_us, const std::string& pos,
                                const std::function<bool()>& stopping) {
  MysqlSchema schema(conn_);
  DB_ASSIGN_OR_RETURN(MysqlTableInfo info, schema.Read(database, table));
  const std::string qualified = database + "." + table;
  std::unordered_set<std::string> excluded;
  for (const auto& c : opt_.exclude_columns) {
    if (c.rfind(qualified + ".", 0) == 0) excluded.insert(c.substr(qualified.size() + 1));
  }
  Result<std::optional<std::string>> est =
      conn_->QueryValue("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                        conn_->Quote(database) + " AND TABLE_NAME = " + conn_->Quote(table));
  uint64_t expected = est.ok() && *est ? std::strtoull((*est)->c_str(), nullptr, 10) : 0;

  std::string select = "SELECT ";
  for (size_t i = 0; i < info.columns.size(); ++i) {
    if (i) select += ", ";
    select += SnapshotSelectExpr(info.columns[i]);
  }
  if (info.columns.empty()) return Status::Ok();
  select += " FROM " + QuoteIdent(database) + "." + QuoteIdent(table);

  MYSQL* m = conn_->get();
  if (mysql_real_query(m, select.data(), select.size()) != 0) {
    return conn_->LastError("snapshot of " + qualified);
  }
  MYSQL_RES* res = mysql_use_result(m);
  if (res == nullptr) return conn_->LastError("snapshot of " + qualified);
  Progress progress("source " + opt_.source + ": snapshot " + qualified, expected,
                    opt_.progress_on_tty);
  const std::string tx_id = "snapshot:" + pos;
  Status s;
  const size_t n = info.columns.size();
  std::vector<Value> key_values(n);  // the key's values, by column index
  while (MYSQL_ROW r = mysql_fetch_row(res)) {
    unsigned long* len = mysql_fetch_lengths(res);
    Change c;
    c.source = opt_.source;
    c.table = qualified;
    c.op = Op::kSnapshot;
    c.commit_time_us = time_us;
    c.pos = pos;
    c.tx_id = tx_id;
    c.changes.reserve(n);
    for (size_t i = 0; i < n && s.ok(); ++i) {
      const MysqlColumnInfo& col = info.columns[i];
      Value v = Value::Null();
      if (r[i] != nullptr) {
        Result<Value> tv = TextToValue(col, std::string_view(r[i], len[i]));
        if (!tv.ok()) {
          s = tv.status().WithContext("snapshot of " + qualified);
          break;
        }
        v = std::move(*tv);
      }
      if (col.in_key) key_values[i] = v;
      if (!excluded.count(col.name)) c.changes.push_back({col.name, std::nullopt, std::move(v)});
    }
    for (uint32_t k : info.primary_key) c.key.emplace_back(info.columns[k].name, key_values[k]);
    if (s.ok()) s = sink_->Add(std::move(c));
    if (!s.ok()) break;
    ++rows_;
    progress.Advance();
    if ((rows_ & 1023) == 0 && stopping()) {
      s = Status::Aborted("stopped during the initial snapshot");
      break;
    }
  }
  if (s.ok() && mysql_errno(m) != 0) s = conn_->LastError("snapshot of " + qualified);
  mysql_free_result(res);  // reads and discards any rows left
  if (s.ok()) progress.Finish();
  return s;
}

}  // namespace deltabridge::mysql
