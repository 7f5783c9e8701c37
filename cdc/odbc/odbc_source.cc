#include "cdc/odbc/odbc_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <thread>

#include "cdc/clients/odbc/odbc_connection_string.h"
#include "cdc/core/wall_clock.h"
#include "cdc/odbc/odbc_connection.h"
#include "cdc/odbc/odbc_poller.h"

namespace deltabridge::odbc {

namespace {

using Clock = std::chrono::steady_clock;

struct TableSlot {
  const OdbcTableConfig* config = nullptr;
  std::unique_ptr<TablePoller> poller;
  Clock::time_point due;
  std::chrono::milliseconds backoff{0};
  bool failing = false;
  bool polled_once = false;
};

// Whether the connection is still usable after a failure.
bool ConnectionAlive(OdbcConnection& conn) {
  SQLUINTEGER dead = SQL_CD_FALSE;
  SQLRETURN rc = SQLGetConnectAttr(conn.dbc(), SQL_ATTR_CONNECTION_DEAD, &dead, 0, nullptr);
  if (SQL_SUCCEEDED(rc) && dead == SQL_CD_TRUE) return false;
  // Drivers that do not track it: ask the server.
  return conn.Query("SELECT 1", 10).ok();
}

}  // namespace

OdbcSource::OdbcSource(Options options, ChangeSink* sink) : opt_(std::move(options)), sink_(sink) {}

SourceReport OdbcSource::Report() const {
  SourceReport r = counters_.Read();
  r.last_commit_us = counters_.last_poll_us.load();
  return r;
}

Status OdbcSource::Run(const std::atomic<bool>& stop) {
  const std::string dir = opt_.state_dir + "/odbc/" + opt_.name;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  const std::string where = RedactOdbcConnectionString(opt_.dsn);

  PollContext ctx;
  ctx.source = opt_.name;
  ctx.state_dir = dir;
  ctx.sink = sink_;
  ctx.lookback = opt_.lookback;
  ctx.query_timeout_seconds = opt_.query_timeout_seconds;
  ctx.stop = &stop;
  std::vector<TableSlot> tables;
  for (const OdbcTableConfig& t : opt_.tables) {
    TableSlot slot;
    slot.config = &t;
    PollContext table_ctx = ctx;
    if (t.lookback) table_ctx.lookback = *t.lookback;
    slot.poller =
        t.mode == PollMode::kDiff ? MakeDiffPoller(t, table_ctx) : MakeQueryPoller(t, table_ctx);
    slot.poller->Recover();
    slot.due = Clock::now();
    tables.push_back(std::move(slot));
  }
  spdlog::info("source {}: polling {} table(s) every {} ms over ODBC ({})", opt_.name,
               tables.size(), opt_.poll_interval.count() / 1000, where);

  std::unique_ptr<OdbcConnection> conn;
  std::chrono::milliseconds connect_backoff{0};
  Clock::time_point connect_due = Clock::now();
  bool announced = false;
  bool connected_before = false;
  while (!stop.load()) {
    // The table due first (ties: file order).
    TableSlot* next = &tables.front();
    for (TableSlot& t : tables) {
      if (t.due < next->due) next = &t;
    }
    Clock::time_point wake = std::max(next->due, conn ? next->due : connect_due);
    while (!stop.load() && Clock::now() < wake) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(wake - Clock::now(), std::chrono::milliseconds(50)));
    }
    if (stop.load()) break;

    if (!conn) {
      Result<std::unique_ptr<OdbcConnection>> c =
          OdbcConnection::Connect(opt_.dsn, 15, /*stream_results=*/true);
      if (!c.ok()) {
        counters_.errors++;
        connect_backoff = std::min(opt_.max_backoff,
                                   std::max(std::chrono::milliseconds(500), connect_backoff * 2));
        spdlog::warn("source {}: {}; retrying in {} ms", opt_.name, c.status().message(),
                     connect_backoff.count());
        connect_due = Clock::now() + connect_backoff;
        continue;
      }
      conn = std::move(c).value();
      if (connected_before) counters_.reconnects++;
      connected_before = true;
      spdlog::info("source {}: connected to {} {} through {}", opt_.name, conn->dbms_name(),
                   conn->dbms_version(), conn->driver_name());
      connect_backoff = std::chrono::milliseconds(0);
    }

    const Clock::time_point started = Clock::now();
    Result<PollResult> r = next->poller->Poll(*conn, WallClockMicros());
    counters_.polls++;
    counters_.last_poll_us = WallClockMicros();
    if (!r.ok()) {
      if (r.status().code() == Status::Code::kAborted && stop.load()) break;
      counters_.errors++;
      next->backoff =
          std::min(opt_.max_backoff, std::max(std::chrono::milliseconds(500), next->backoff * 2));
      next->failing = true;
      next->due = Clock::now() + next->backoff;
      spdlog::warn("source {}: table {} ({} mode): poll failed, retrying in {} ms: {}", opt_.name,
                   next->config->name, PollModeName(next->config->mode), next->backoff.count(),
                   r.status().message());
      if (!ConnectionAlive(*conn)) {
        spdlog::warn("source {}: the ODBC connection is lost; reconnecting", opt_.name);
        conn.reset();
        connect_due = Clock::now();
      }
      continue;
    }
    if (next->failing) {
      spdlog::info("source {}: table {} polls again", opt_.name, next->config->name);
      next->failing = false;
    }
    next->backoff = std::chrono::milliseconds(0);
    next->due = started + opt_.poll_interval;
    counters_.changes += r->changes;
    if (r->changes > 0 || r->snapshot) counters_.transactions++;
    if (r->snapshot) {
      counters_.snapshot_rows += r->changes;
      spdlog::info("source {}: table {} ({} mode): first poll, {} row(s) as snapshot", opt_.name,
                   next->config->name, PollModeName(next->config->mode), r->changes);
    }
    next->polled_once = true;
    if (!announced && std::all_of(tables.begin(), tables.end(),
                                  [](const TableSlot& t) { return t.polled_once; })) {
      spdlog::info("source {}: every table polled once; polling for changes", opt_.name);
      announced = true;
    }
  }
  return Status::Ok();
}

}  // namespace deltabridge::odbc
