#include "cdc/mysql/mysql_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <thread>
#include <unordered_set>

#include "cdc/core/glob.h"
#include "cdc/core/group_commit.h"
#include "cdc/core/reconnect_loop.h"
#include "cdc/mysql/binlog_change_builder.h"
#include "cdc/mysql/binlog_event_decoder.h"
#include "cdc/mysql/binlog_position.h"
#include "cdc/mysql/binlog_status.h"
#include "cdc/mysql/binlog_stream.h"
#include "cdc/mysql/mysql_connection.h"
#include "cdc/mysql/mysql_gtid_set.h"
#include "cdc/mysql/mysql_schema.h"
#include "cdc/mysql/mysql_snapshot.h"
#include "cdc/wire/origin_tag.h"

namespace deltabridge::mysql {

namespace {

// The @@server_id of the server whose binlog the journaled position is in.
constexpr const char* kServerIdKey = "server_id";

std::string PositionGoneHelp(const MysqlSource::Options& o, const std::string& pos,
                             const std::string& server_message) {
  return "binlog position " + pos + " of source \"" + o.name +
         "\" is no longer available on the server (" + server_message +
         "): the changes made since that position cannot be read any more (typically the binlog "
         "file was purged: PURGE BINARY LOGS, expire_logs_days / binlog_expire_logs_seconds). "
         "The bridge never skips them on its own. To go on, either take a new initial snapshot "
         "of this source: `deltabridge run BRIDGE.yaml --resnapshot " +
         o.name +
         "` (the journal keeps its numbering; subscribers receive the source's tables again as "
         "op snapshot), or, accepting the loss, set `snapshot: never` for the source and run "
         "with `--resnapshot " +
         o.name + "` once, which starts from the server's current position.";
}

// The query's first words, upper-cased: whether it changes a table's columns.
bool IsTableDdl(const std::string& q) {
  std::string head;
  for (char c : q.substr(0, 64))
    head += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  size_t i = head.find_first_not_of(" \t\r\n");
  if (i == std::string::npos) return false;
  head = head.substr(i);
  for (const char* w : {"ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE"}) {
    if (head.rfind(w, 0) == 0) return true;
  }
  return false;
}

bool MatchesAny(const std::vector<std::string>& patterns, const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return GlobMatch(p, name); });
}

// "<database pattern>.deltabridge_origin" for each database part of the
// `tables` patterns: the origin tag tables of the databases the source
// captures.
std::vector<std::string> OriginTagPatterns(const std::vector<std::string>& tables) {
  std::vector<std::string> out;
  for (const std::string& p : tables) {
    out.push_back(p.substr(0, p.find('.')) + "." + std::string(kOriginTagTable));
  }
  return out;
}

}  // namespace

// One connected attempt: the two connections and everything tied to them.
class MysqlSource::Session {
 public:
  Session(MysqlSource* src, const std::atomic<bool>& stop)
      : src_(src), o_(src->opt_), stop_(stop), tag_patterns_(OriginTagPatterns(o_.tables)) {}

  Status Run() {
    MysqlConnParams p = Params();
    DB_ASSIGN_OR_RETURN(sql_, MysqlConn::Connect(p));
    schema_ = std::make_unique<MysqlSchema>(&sql_);
    for (const auto& c : o_.exclude_columns) excluded_.insert(c);
    {
      Result<std::optional<std::string>> v = sql_.QueryValue("SELECT VERSION()");
      mariadb_ = v.ok() && v->has_value() && (*v)->find("MariaDB") != std::string::npos;
      Result<std::optional<std::string>> id = sql_.QueryValue("SELECT @@server_id");
      server_id_ = id.ok() && id->has_value() ? **id : "";
      previous_server_id_ = src_->sink_->GetState(kServerIdKey).value_or("");
    }

    std::optional<std::string> position = src_->sink_->DurablePosition();
    if (position && position->empty()) position.reset();
    std::optional<std::string> done = src_->sink_->GetState(kSnapshotDoneState);
    bool snapshot_done = done.has_value() && !done->empty();

    BinlogPosition start;
    if (position) {
      std::optional<BinlogPosition> parsed = BinlogPosition::Parse(*position);
      if (!parsed) {
        return Status::Corruption("journal position of source " + o_.name + " (\"" + *position +
                                  "\") is not a binlog position");
      }
      start = *parsed;
    } else if (o_.initial_snapshot && !snapshot_done) {
      DB_ASSIGN_OR_RETURN(auto tables, schema_->ResolveTables(o_.tables));
      if (tables.empty()) {
        spdlog::warn("source {}: no table matches the configured tables patterns yet", o_.name);
      }
      MysqlSnapshot snap(&sql_, src_->sink_,
                         MysqlSnapshot::Options{o_.name, o_.exclude_columns, o_.progress_on_tty});
      DB_ASSIGN_OR_RETURN(BinlogPosition pos, snap.Run(tables, [this] { return stop_.load(); }));
      src_->counters_.snapshot_rows += snap.rows();
      start = pos;
    } else {
      // No snapshot wanted: start at the server's current end of binlog.
      DB_ASSIGN_OR_RETURN_CTX(start, ReadServerBinlogPosition(sql_), "source " + o_.name);
      DB_RETURN_IF_ERROR(src_->sink_->BeginTx());
      src_->sink_->SetState(kSnapshotDoneState, "skipped");
      DB_RETURN_IF_ERROR(src_->sink_->EndTx(start.ToString()));
      DB_RETURN_IF_ERROR(src_->sink_->Flush());
    }
    return Stream(start);
  }

 private:
  MysqlConnParams Params() const {
    MysqlConnParams p;
    p.host = o_.host;
    p.port = o_.port;
    p.user = o_.user;
    p.password = o_.password;
    return p;
  }

  // Whether the binlog's changes of "database.table" are captured: those of
  // the `tables` patterns, but never deltabridge's own tables, except the
  // origin tag table of a captured database, whose changes go to the bridge's
  // origin filter (two-way sync), which reads and strips them. The snapshot
  // never reads deltabridge's tables (MysqlSchema::ResolveTables).
  bool Captured(const std::string& name) const {
    if (IsOriginTagTable(name)) return MatchesAny(tag_patterns_, name);
    return !IsDeltabridgeTable(name) && MatchesAny(o_.tables, name);
  }

  // Names and key from information_schema for a TABLE_MAP without them.
  void FillColumns(TableMapEvent* t) {
    if (t->has_column_names && !t->primary_key.empty()) return;
    Result<const MysqlTableInfo*> info = schema_->Table(t->database, t->table);
    if (!info.ok()) {
      spdlog::warn("source {}: columns of {} not readable from information_schema: {}", o_.name,
                   t->QualifiedName(), info.status().message());
      return;
    }
    const MysqlTableInfo& ti = **info;
    if (ti.columns.size() != t->columns.size()) {
      // The table changed again since this event was written: names cannot be matched.
      spdlog::warn(
          "source {}: {} has {} columns in information_schema but {} in the binlog at {}; "
          "columns are named @1, @2, ... until its definition matches again",
          o_.name, t->QualifiedName(), ti.columns.size(), t->columns.size(), builder_pos_);
      return;
    }
    if (!t->has_column_names) {
      for (size_t i = 0; i < ti.columns.size(); ++i) t->columns[i].name = ti.columns[i].name;
      t->has_column_names = true;
    }
    if (t->primary_key.empty()) t->primary_key = ti.primary_key;
  }

  Status OnTransaction(BinlogTransaction&& t) {
    std::vector<Change>& changes = t.changes;
    if (!excluded_.empty()) {
      // An update of excluded columns only is no delta.
      size_t kept = 0;
      for (Change& c : changes) {
        const size_t before = c.changes.size();
        c.changes.erase(std::remove_if(c.changes.begin(), c.changes.end(),
                                       [&](const ColumnChange& cc) {
                                         return excluded_.count(c.table + "." + cc.name) > 0;
                                       }),
                        c.changes.end());
        if (c.op == Op::kUpdate && c.changes.empty() && before > 0) continue;
        if (&changes[kept] != &c) changes[kept] = std::move(c);
        ++kept;
      }
      changes.resize(kept);
    }
    DB_RETURN_IF_ERROR(src_->sink_->BeginTx());
    for (Change& c : changes) {
      Status s = src_->sink_->Add(std::move(c));
      if (!s.ok()) {
        src_->sink_->AbortTx();
        return s;
      }
    }
    DB_RETURN_IF_ERROR(src_->sink_->EndTx(t.position));
    src_->counters_.changes += changes.size();
    ++src_->counters_.transactions;
    if (t.commit_time_us != 0) src_->counters_.last_commit_time_us = t.commit_time_us;
    builder_pos_ = t.position;
    return Status::Ok();
  }

  // How many bytes of binlog the server holds beyond the journaled position:
  // the rest of its file plus every later file (SHOW BINARY LOGS). Unknown
  // (-1) when the query fails or the file is not listed; never fatal.
  void MeasureServerAhead() {
    std::optional<BinlogPosition> at = BinlogPosition::Parse(builder_pos_);
    Result<std::vector<MysqlConn::Row>> logs = sql_.Query("SHOW BINARY LOGS");
    int64_t ahead = -1;
    if (at && logs.ok()) {
      bool seen = false;
      int64_t sum = 0;
      for (const MysqlConn::Row& r : *logs) {
        if (r.size() < 2 || !r[0] || !r[1]) continue;
        const int64_t size = std::strtoll(r[1]->c_str(), nullptr, 10);
        if (*r[0] == at->file) {
          seen = true;
          sum += std::max<int64_t>(0, size - static_cast<int64_t>(at->offset));
        } else if (seen) {
          sum += size;
        }
      }
      if (seen) ahead = sum;
    }
    src_->counters_.server_ahead_bytes = ahead;
  }

  Status Stream(const BinlogPosition& start) {
    MysqlConnParams p = Params();
    p.read_timeout_s = 60;
    DB_ASSIGN_OR_RETURN(repl_, MysqlConn::Connect(p));
    BinlogStream stream(&repl_);
    BinlogStream::Options so;
    so.server_id = o_.server_id;
    so.heartbeat = o_.heartbeat;
    so.dead_after = std::max(std::chrono::milliseconds(30000), o_.heartbeat * 5);
    // GTIDs. Positions carry the GTID state: MariaDB's last GTID of every
    // domain (read from the server for the start position when it still has
    // that file), MySQL's executed GTID set. The stream resumes by
    // file:offset on the server that wrote the position while it has the
    // file (exact, and proven by the tests); by GTID when the file is gone
    // (purged after the bridge had read all of it) or the server is another
    // one (a failover: its file names and offsets mean other things):
    // MariaDB through @slave_connect_state, MySQL with COM_BINLOG_DUMP_GTID.
    // A state the server cannot continue from fails with error 1236, as a
    // lost file:offset does.
    std::string gtid_seed = start.gtid;
    bool by_gtid = false;
    std::optional<MysqlGtidSet> mysql_set;
    if (!mariadb_ && !start.gtid.empty()) {
      Result<MysqlGtidSet> set = MysqlGtidSet::Parse(start.gtid);
      if (set.ok()) mysql_set = std::move(set).value();
    }
    if (mariadb_ || mysql_set) {
      bool file_listed = false;
      Result<std::vector<MysqlConn::Row>> logs = sql_.Query("SHOW BINARY LOGS");
      if (logs.ok()) {
        for (const MysqlConn::Row& r : *logs)
          file_listed = file_listed || (!r.empty() && r[0] && *r[0] == start.file);
      }
      const bool other_server = !previous_server_id_.empty() && previous_server_id_ != server_id_;
      if (mariadb_ && file_listed && !other_server) {
        Result<std::optional<std::string>> g =
            sql_.QueryValue("SELECT BINLOG_GTID_POS(" + sql_.Quote(start.file) + ", " +
                            std::to_string(start.offset) + ")");
        if (g.ok() && g->has_value() && !(*g)->empty()) gtid_seed = **g;
      }
      by_gtid = !start.gtid.empty() && (!file_listed || other_server);
      if (other_server) {
        spdlog::warn(
            "source {}: the server is another one (server_id {}, was {}): resuming by "
            "GTID state {}",
            o_.name, server_id_, previous_server_id_, start.gtid);
      } else if (by_gtid) {
        spdlog::warn(
            "source {}: binlog file {} is no longer on the server: resuming by GTID "
            "state {}",
            o_.name, start.file, start.gtid);
      }
    }
    if (by_gtid && mysql_set) {
      DB_RETURN_IF_ERROR(stream.StartMysqlGtid(*mysql_set, so));
    } else if (by_gtid) {
      DB_RETURN_IF_ERROR(stream.StartGtid(start.gtid, so));
    } else {
      DB_RETURN_IF_ERROR(stream.Start(start.file, start.offset, so));
    }
    if (!server_id_.empty()) src_->sink_->SetState(kServerIdKey, server_id_);
    builder_pos_ = start.ToString();
    spdlog::info("source {}: streaming from binlog {}{} (server_id {})", o_.name, builder_pos_,
                 by_gtid ? " by GTID state" : "", o_.server_id);

    BinlogEventDecoder decoder;
    decoder.set_checksum(stream.checksum());
    BinlogChangeBuilder::Options bo;
    bo.source = o_.name;
    bo.include_table = [this](const std::string& name) { return Captured(name); };
    BinlogChangeBuilder builder(
        std::move(bo), [this](BinlogTransaction&& t) { return OnTransaction(std::move(t)); });
    builder.set_file_name(start.file);
    if (!gtid_seed.empty()) {
      Status seeded = builder.set_gtid_state(gtid_seed);
      if (!seeded.ok()) {
        // Not a GTID state we can read: positions name the GTIDs read from
        // here on (and the next file's PREVIOUS_GTIDS).
        spdlog::warn(
            "source {}: GTID state \"{}\" not understood ({}); positions name the "
            "GTIDs read from here on",
            o_.name, gtid_seed, seeded.message());
      }
    }

    GroupCommit group(o_.min_flush_gap, o_.flush_interval, o_.flush_max_changes);
    auto flush = [&]() -> Status {
      if (src_->sink_->unflushed() > 0) DB_RETURN_IF_ERROR(src_->sink_->Flush());
      group.Committed();
      return Status::Ok();
    };
    // On an error: commit the transactions already complete (the next
    // session resumes after them); an open one is dropped and read again.
    auto fail = [&](Status s) -> Status {
      if (src_->sink_->unflushed() > 0) {
        Status f = src_->sink_->Flush();
        if (!f.ok()) return f;
      }
      return s;
    };

    std::vector<BinlogEvent> events;
    auto last_ahead = std::chrono::steady_clock::now() - std::chrono::seconds(60);
    while (!stop_.load()) {
      if (std::chrono::steady_clock::now() - last_ahead >= std::chrono::seconds(5)) {
        last_ahead = std::chrono::steady_clock::now();
        MeasureServerAhead();
      }
      Result<BinlogStream::Packet> pk = stream.Read(group.ReadWait(src_->sink_->unflushed()));
      if (!pk.ok()) {
        Status s = pk.status();
        if (s.code() == Status::Code::kFailedPrecondition) {
          return fail(Status::FailedPrecondition(PositionGoneHelp(o_, builder_pos_, s.message())));
        }
        return fail(s.WithContext("source " + o_.name + " at " + builder_pos_));
      }
      if (pk->kind == BinlogStream::Packet::Kind::kEnd) {
        return fail(Status::Unavailable("source " + o_.name +
                                        ": the server ended the binlog "
                                        "stream at " +
                                        builder_pos_));
      }
      if (pk->kind == BinlogStream::Packet::Kind::kEvent) {
        EventHeader h;
        Status s = BinlogEventDecoder::DecodeHeader(pk->bytes, &h);
        uint64_t offset = h.log_pos >= h.event_size ? h.log_pos - h.event_size : 0;
        events.clear();
        if (s.ok()) s = decoder.Decode(pk->bytes, offset, &events);
        for (size_t i = 0; s.ok() && i < events.size(); ++i) {
          BinlogEvent& ev = events[i];
          if (auto* r = std::get_if<RotateEvent>(&ev.body)) {
            builder.set_file_name(r->next_file);
          } else if (auto* q = std::get_if<QueryEvent>(&ev.body)) {
            if (IsTableDdl(q->query)) schema_->InvalidateAll();
          } else if (auto* t = std::get_if<TableMapEvent>(&ev.body)) {
            if (Captured(t->QualifiedName())) FillColumns(t);
          }
          s = builder.OnEvent(ev);
        }
        if (!s.ok()) {
          if (s.IsUnavailable()) return fail(s.WithContext("source " + o_.name));
          return fail(s.WithContext("source " + o_.name + ": binlog event at " +
                                    builder.file_name() + ":" + std::to_string(offset) +
                                    " (after " + builder_pos_ + ")"));
        }
        if (!group.DueAfterData(src_->sink_->unflushed())) continue;
      } else if (!group.DueAfterPause(src_->sink_->unflushed())) {
        continue;
      }
      DB_RETURN_IF_ERROR(flush());
    }
    DB_RETURN_IF_ERROR(flush());
    spdlog::info("source {}: stopped at {}", o_.name, builder_pos_);
    return Status::Ok();
  }

  MysqlSource* src_;
  const Options& o_;
  const std::atomic<bool>& stop_;
  const std::vector<std::string> tag_patterns_;  // OriginTagPatterns(o_.tables)
  MysqlConn sql_;
  MysqlConn repl_;
  bool mariadb_ = false;
  std::string server_id_;           // @@server_id of the server this session reads
  std::string previous_server_id_;  // of the server the journaled position came from
  std::unique_ptr<MysqlSchema> schema_;
  std::unordered_set<std::string> excluded_;  // database.table.column
  std::string builder_pos_;  // the position of the last transaction handed to the sink
};

SourceReport MysqlSource::Report() const {
  SourceReport r = counters_.Read();
  r.last_commit_us = counters_.last_commit_time_us.load();
  const int64_t ahead = counters_.server_ahead_bytes.load();
  if (ahead >= 0) r.position_lag_bytes = static_cast<uint64_t>(ahead);
  return r;
}

MysqlSource::MysqlSource(Options options, ChangeSink* sink)
    : opt_(std::move(options)), sink_(sink) {}

Status MysqlSource::Run(const std::atomic<bool>& stop) {
  return RunReconnecting(opt_.name, stop, opt_.max_backoff, &counters_.reconnects, [&] {
    Session session(this, stop);
    return session.Run();
  });
}

}  // namespace deltabridge::mysql
