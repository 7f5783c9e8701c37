#include "cdc/pg/pg_snapshot.h"

#include <spdlog/spdlog.h>

#include <unordered_set>

#include "cdc/core/progress.h"
#include "cdc/core/wall_clock.h"
#include "cdc/pg/pg_value.h"

namespace deltabridge {

Status PgSnapshot::Run(const std::string& snapshot_name, const std::vector<PgTableRef>& tables,
                       Lsn consistent_point, const std::function<bool()>& stopping) {
  spdlog::info("source {}: initial snapshot of {} table(s) at {}", opt_.source, tables.size(),
               consistent_point.ToString());
  DB_RETURN_IF_ERROR(conn_->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  Status s = conn_->Exec("SET TRANSACTION SNAPSHOT " + conn_->EscapeLiteral(snapshot_name));
  if (!s.ok()) {
    conn_->Exec("ROLLBACK").ok();
    return s.WithContext("importing the slot's snapshot");
  }
  s = sink_->BeginTx();
  if (!s.ok()) {
    conn_->Exec("ROLLBACK").ok();
    return s;
  }
  const int64_t snapshot_time = WallClockMicros();
  for (const PgTableRef& t : tables) {
    s = CopyTable(t, snapshot_time, consistent_point, stopping);
    if (!s.ok()) break;
  }
  if (s.ok() && stopping()) s = Status::Aborted("stopped during the initial snapshot");
  if (!s.ok()) {
    // Nothing of the snapshot becomes visible; the next start takes it again.
    sink_->AbortTx();
    conn_->Exec("ROLLBACK").ok();
    return s;
  }
  conn_->Exec("COMMIT").ok();
  sink_->SetState(kSnapshotDoneState, consistent_point.ToString());
  DB_RETURN_IF_ERROR(sink_->EndTx(consistent_point.ToString()));
  DB_RETURN_IF_ERROR(sink_->Flush());
  spdlog::info("source {}: initial snapshot complete, {} rows", opt_.source, rows_);
  return Status::Ok();
}

Status PgSnapshot::CopyTable(const PgTableRef& table, int64_t snapshot_time_us,
                             Lsn consistent_point, const std::function<bool()>& stopping) {
  PgCatalog catalog(conn_);
  DB_ASSIGN_OR_RETURN(std::vector<PgColumnInfo> cols, catalog.Columns(table.oid));
  DB_ASSIGN_OR_RETURN(std::vector<std::string> pk, catalog.PrimaryKey(table.oid));
  std::unordered_set<std::string> key(pk.begin(), pk.end());
  std::unordered_set<std::string> excluded;
  for (const auto& c : opt_.exclude_columns) {
    if (c.rfind(table.Qualified() + ".", 0) == 0)
      excluded.insert(c.substr(table.Qualified().size() + 1));
  }

  Result<PgRows> est =
      conn_->QueryParams("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = $1::oid",
                         {std::to_string(table.oid)});
  uint64_t expected = est.ok() && !est->rows.empty() ? std::stoull(est->rows[0][0]) : 0;

  std::string select = "SELECT ";
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) select += ", ";
    select += QuoteIdent(cols[i].name);
  }
  if (cols.empty()) select += "NULL";
  select += " FROM ONLY " + table.Quoted();
  DB_RETURN_IF_ERROR(conn_->Exec("DECLARE deltabridge_snap NO SCROLL CURSOR FOR " + select));

  Progress progress("source " + opt_.source + ": snapshot " + table.Qualified(), expected,
                    opt_.progress_on_tty);
  const std::string fetch =
      "FETCH FORWARD " + std::to_string(opt_.chunk_rows) + " FROM deltabridge_snap";
  const std::string pos = consistent_point.ToString();
  const std::string tx_id = "snapshot:" + opt_.slot;
  for (;;) {
    if (stopping()) return Status::Aborted("stopped during the initial snapshot");
    PgResultPtr r(PQexec(conn_->get(), fetch.c_str()));
    if (r == nullptr || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      std::string msg = r ? PQresultErrorMessage(r.get()) : conn_->LastError();
      return (PQstatus(conn_->get()) == CONNECTION_OK ? Status::InvalidArgument(msg)
                                                      : Status::Unavailable(msg))
          .WithContext("snapshot of " + table.Qualified());
    }
    int n = PQntuples(r.get());
    if (n == 0) break;
    for (int row = 0; row < n; ++row) {
      Change c;
      c.source = opt_.source;
      c.table = table.Qualified();
      c.op = Op::kSnapshot;
      c.commit_time_us = snapshot_time_us;
      c.pos = pos;
      c.tx_id = tx_id;
      c.changes.reserve(cols.size());
      for (size_t i = 0; i < cols.size(); ++i) {
        const PgColumnInfo& col = cols[i];
        int f = static_cast<int>(i);
        Value v = PQgetisnull(r.get(), row, f)
                      ? Value::Null(col.type_name)
                      : PgTextToValue(col.type_oid,
                                      std::string_view(PQgetvalue(r.get(), row, f),
                                                       PQgetlength(r.get(), row, f)),
                                      col.type_name);
        if (key.count(col.name)) c.key.emplace_back(col.name, v);
        if (!excluded.count(col.name)) c.changes.push_back({col.name, std::nullopt, std::move(v)});
      }
      DB_RETURN_IF_ERROR(sink_->Add(std::move(c)));
    }
    rows_ += n;
    progress.Advance(n);
  }
  progress.Finish();
  return conn_->Exec("CLOSE deltabridge_snap");
}

}  // namespace deltabridge
