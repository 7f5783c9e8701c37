#include "cdc/pg/pg_source.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <unordered_set>

#include "cdc/core/glob.h"
#include "cdc/core/group_commit.h"
#include "cdc/core/lsn.h"
#include "cdc/core/reconnect_loop.h"
#include "cdc/pg/pg_catalog.h"
#include "cdc/pg/pg_change_builder.h"
#include "cdc/pg/pg_connection.h"
#include "cdc/pg/pg_replication_stream.h"
#include "cdc/pg/pg_snapshot.h"
#include "cdc/pg/pgoutput_decoder.h"
#include "cdc/wire/origin_tag.h"

namespace deltabridge {

namespace {

std::string SlotGoneHelp(const PgSource::Options& o) {
  return "replication slot \"" + o.slot + "\" of source \"" + o.name +
         "\" no longer exists on the server, but the journal holds a position for it: the "
         "changes made since that position cannot be streamed any more. The bridge never skips "
         "them or re-snapshots on its own. To go on, take a new initial snapshot of this source "
         "explicitly: `deltabridge run BRIDGE.yaml --resnapshot " +
         o.name +
         "` (the journal keeps its numbering; subscribers receive the source's tables again as "
         "op snapshot).";
}

std::string PublicationGoneHelp(const PgSource::Options& o) {
  return "publication \"" + o.publication + "\" of source \"" + o.name +
         "\" no longer exists on the server, but the journal holds a position for it: changes "
         "made while it was missing were not published and cannot be streamed again. The bridge "
         "does not recreate it on its own. To go on, take a new initial snapshot of this source "
         "explicitly: `deltabridge run BRIDGE.yaml --resnapshot " +
         o.name + "` (it recreates the publication and the slot).";
}

}  // namespace

// One connected attempt: the two connections and everything tied to them.
class PgSource::Session {
 public:
  Session(PgSource* src, const std::atomic<bool>& stop) : src_(src), o_(src->opt_), stop_(stop) {}

  Status Run() {
    DB_ASSIGN_OR_RETURN(sql_, PgConn::Connect(o_.dsn, false, "deltabridge " + o_.name));
    catalog_ = std::make_unique<PgCatalog>(&sql_);

    DB_ASSIGN_OR_RETURN(std::vector<PgTableRef> tables, catalog_->ResolveTables(o_.tables));
    if (tables.empty()) {
      return Status::FailedPrecondition("source \"" + o_.name +
                                        "\": no table matches the configured tables patterns");
    }
    // An empty position or state means none (Bridge --resnapshot clears them so).
    std::optional<std::string> position = src_->sink_->DurablePosition();
    if (position && position->empty()) position.reset();

    // Once streaming has begun, a missing publication is not recreated: the
    // changes made while it was gone were decoded without it and are lost.
    DB_ASSIGN_OR_RETURN(bool pub_exists, catalog_->PublicationExists(o_.publication));
    if (position.has_value() && !pub_exists)
      return Status::FailedPrecondition(PublicationGoneHelp(o_));
    DB_RETURN_IF_ERROR(catalog_->EnsurePublication(o_.publication, tables));
    DB_RETURN_IF_ERROR(PublishOriginTagTables());

    DB_ASSIGN_OR_RETURN(PgSlotInfo slot, catalog_->GetSlot(o_.slot));

    std::optional<std::string> done = src_->sink_->GetState(kSnapshotDoneState);
    bool snapshot_done = done.has_value() && !done->empty();

    DB_ASSIGN_OR_RETURN(repl_, PgConn::Connect(o_.dsn, true, "deltabridge " + o_.name));

    Lsn start;
    if (position.has_value()) {
      std::optional<Lsn> p = Lsn::Parse(*position);
      if (!p) return Status::Corruption("journal position of source " + o_.name + " is not an LSN");
      if (!slot.exists) return Status::FailedPrecondition(SlotGoneHelp(o_));
      start = *p;
    } else {
      // Nothing journaled yet for this source.
      if (slot.exists && o_.initial_snapshot && !snapshot_done) {
        // Either an earlier run stopped during the snapshot, or --resnapshot.
        spdlog::warn(
            "source {}: slot \"{}\" exists but no initial snapshot was completed (an earlier run "
            "stopped during it); dropping the slot and taking the snapshot again",
            o_.name, o_.slot);
        DB_RETURN_IF_ERROR(catalog_->DropSlot(o_.slot));
        slot.exists = false;
      }
      if (!slot.exists) {
        DB_ASSIGN_OR_RETURN(PgCreatedSlot created, CreateSlot(repl_, o_.slot, o_.initial_snapshot));
        spdlog::info("source {}: created replication slot \"{}\" at {}", o_.name, o_.slot,
                     created.consistent_point.ToString());
        start = created.consistent_point;
        if (o_.initial_snapshot) {
          PgSnapshot snap(&sql_, src_->sink_,
                          PgSnapshot::Options{o_.name, o_.slot, o_.snapshot_chunk_rows,
                                              o_.exclude_columns, o_.progress_on_tty});
          Status s = snap.Run(created.snapshot_name, tables, created.consistent_point,
                              [this] { return stop_.load(); });
          if (!s.ok()) return s;
          src_->counters_.snapshot_rows += snap.rows();
        } else {
          DB_RETURN_IF_ERROR(src_->sink_->BeginTx());
          src_->sink_->SetState(kSnapshotDoneState, "skipped");
          DB_RETURN_IF_ERROR(src_->sink_->EndTx(start.ToString()));
          DB_RETURN_IF_ERROR(src_->sink_->Flush());
        }
      } else {
        // Slot exists, no snapshot wanted (or done): stream from the slot's own position.
        start = slot.confirmed_flush;
      }
    }
    return Stream(start);
  }

 private:
  Status Stream(Lsn start) {
    DB_RETURN_IF_ERROR(src_->spool_->Clear());
    PgChangeBuilder::Options bo;
    bo.source = o_.name;
    bo.include_table = [this](const std::string& schema, const std::string& table) {
      const std::string name = schema + "." + table;
      // The tag table's changes go to the bridge's origin filter, which reads
      // and strips them; deltabridge's other tables are never captured.
      if (IsOriginTagTable(name)) return true;
      return !IsDeltabridgeTable(name) && MatchesAny(o_.tables, name);
    };
    for (const auto& c : o_.exclude_columns) bo.exclude_columns.insert(c);
    bo.primary_key = [this](uint32_t oid) { return catalog_->PrimaryKey(oid); };
    PgChangeBuilder builder(std::move(bo), src_->sink_, src_->spool_);
    builder.set_resume_after(start);

    PgReplicationStream stream(&repl_);
    DB_RETURN_IF_ERROR(stream.Start(o_.slot, start, o_.publication, 2, /*streaming=*/true));
    spdlog::info("source {}: streaming from slot \"{}\" at {}", o_.name, o_.slot, start.ToString());
    src_->counters_.confirmed_lsn = start.value;

    PgOutputDecoder decoder;
    Lsn durable = start;
    GroupCommit group(o_.min_flush_gap, o_.flush_interval, o_.flush_max_changes);
    uint64_t last_changes = 0;
    uint64_t last_transactions = 0;  // the builder's counts start at 0 each session

    auto flush = [&]() -> Status {
      if (src_->sink_->unflushed() > 0) DB_RETURN_IF_ERROR(src_->sink_->Flush());
      group.Committed();
      if (builder.last_end_lsn() > durable) durable = builder.last_end_lsn();
      // Idle: nothing open, nothing unflushed: let the slot follow the WAL end.
      if (!builder.in_transaction() && src_->sink_->unflushed() == 0 &&
          stream.server_wal_end() > durable) {
        durable = stream.server_wal_end();
      }
      stream.SetFlushed(durable);
      src_->counters_.confirmed_lsn = stream.flushed().value;
      src_->counters_.server_wal_end = stream.server_wal_end().value;
      return Status::Ok();
    };

    // Group commit (cdc/core/group_commit.h).
    while (!stop_.load()) {
      Result<PgReplicationStream::Message> m =
          stream.Read(group.ReadWait(src_->sink_->unflushed()));
      if (!m.ok()) {
        if (builder.in_transaction()) src_->sink_->AbortTx();
        // Commit the transactions already complete before reconnecting: the
        // next session resumes from the journal's durable position, and the
        // server resends everything after it. Left pending, they would be
        // journaled twice (once now, once resent).
        if (src_->sink_->unflushed() > 0) DB_RETURN_IF_ERROR(src_->sink_->Flush());
        return m.status().WithContext("source " + o_.name + " at " + durable.ToString());
      }
      if (m->kind == PgReplicationStream::Message::Kind::kData) {
        Status s = decoder.Decode(m->data, &builder);
        if (!s.ok()) {
          if (builder.in_transaction()) src_->sink_->AbortTx();
          if (src_->sink_->unflushed() > 0) DB_RETURN_IF_ERROR(src_->sink_->Flush());
          return s.WithContext("source " + o_.name + ": pgoutput message at " +
                               m->wal_start.ToString());
        }
        auto& st = builder.stats();
        src_->counters_.changes += st.changes - last_changes;
        last_changes = st.changes;
        src_->counters_.transactions += st.transactions - last_transactions;
        last_transactions = st.transactions;
        if (st.last_commit_time_us != 0) {
          src_->counters_.last_commit_time_us = st.last_commit_time_us;
        }
        if (!group.DueAfterData(src_->sink_->unflushed())) continue;
      } else if (!group.DueAfterPause(src_->sink_->unflushed())) {
        continue;  // paused, but the previous commit is too recent
      }
      // The stream paused, or enough to commit a group.
      DB_RETURN_IF_ERROR(flush());
      DB_RETURN_IF_ERROR(stream.MaybeSendFeedback(o_.feedback_interval));
    }
    // Stop requested: a transaction still open is re-read on the next start.
    if (builder.in_transaction()) src_->sink_->AbortTx();
    DB_RETURN_IF_ERROR(flush());
    Status s = stream.Finish();
    spdlog::info("source {}: stopped at {}", o_.name, stream.flushed().ToString());
    return s;
  }

  // Two-way sync (docs/two-way.md): the origin tag tables, in which sinks
  // writing into this database mark their transactions, are in the
  // publication, so that the bridge can tell those transactions from others.
  // With none in the database, one is created in the default schema. A table
  // that cannot be created or published is a warning, not an error: a
  // database no sink writes needs none.
  Status PublishOriginTagTables() {
    DB_ASSIGN_OR_RETURN(std::vector<PgTableRef> tags, catalog_->OriginTagTables());
    if (tags.empty()) {
      Status created = catalog_->CreateOriginTagTable();
      if (!created.ok()) {
        spdlog::warn(
            "source {}: the database has no {} table and the bridge could not create one ({}). "
            "A sink writing into this database (two-way sync) needs it, or the bridge publishes "
            "what the sink wrote as ordinary changes; a DBA can run: {}; {}; then restart the "
            "bridge",
            o_.name, kOriginTagTable, created.message(), OriginTagCreateSql(kOriginTagTable),
            OriginTagGrantSql(kOriginTagTable, "<the sink's role>"));
        return Status::Ok();
      }
      DB_ASSIGN_OR_RETURN(tags, catalog_->OriginTagTables());
      for (const PgTableRef& t : tags) {
        spdlog::info(
            "source {}: created table {} for the origin tags of sinks writing into this database "
            "(a sink of another role needs GRANT SELECT, INSERT, UPDATE on it)",
            o_.name, t.Qualified());
      }
    }
    for (const PgTableRef& t : tags) {
      DB_ASSIGN_OR_RETURN(bool published, catalog_->InPublication(o_.publication, t));
      if (published) continue;
      Status added = catalog_->EnsurePublication(o_.publication, {t});
      if (!added.ok()) {
        spdlog::warn(
            "source {}: {}; until it is in the publication, what sinks write into this database "
            "is published as ordinary changes. A DBA can run: ALTER PUBLICATION {} ADD TABLE {}; "
            "then restart the bridge",
            o_.name, added.message(), QuoteIdent(o_.publication), t.Quoted());
      }
    }
    return Status::Ok();
  }

  static bool MatchesAny(const std::vector<std::string>& patterns, const std::string& name) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return GlobMatch(p, name); });
  }

  PgSource* src_;
  const Options& o_;
  const std::atomic<bool>& stop_;
  PgConn sql_;
  PgConn repl_;
  std::unique_ptr<PgCatalog> catalog_;
};

PgSource::PgSource(Options options, ChangeSink* sink, StreamSpool* spool)
    : opt_(std::move(options)), sink_(sink), spool_(spool) {}

SourceReport PgSource::Report() const {
  SourceReport r = counters_.Read();
  r.last_commit_us = counters_.last_commit_time_us.load();
  const uint64_t end = counters_.server_wal_end.load(), confirmed = counters_.confirmed_lsn.load();
  if (end != 0) r.position_lag_bytes = end > confirmed ? end - confirmed : 0;
  return r;
}

Status PgSource::Run(const std::atomic<bool>& stop) {
  return RunReconnecting(opt_.name, stop, opt_.max_backoff, &counters_.reconnects, [&] {
    Session session(this, stop);
    return session.Run();
  });
}

}  // namespace deltabridge
