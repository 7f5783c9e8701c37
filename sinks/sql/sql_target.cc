#include "sinks/sql/sql_target.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "cdc/core/wall_clock.h"
#include "sinks/sql/chunk_writer.h"
#include "sinks/sql/column_values.h"
#include "sinks/sql/mapping_check.h"
#include "sinks/sql/prefetcher.h"
#include "sinks/sql/sql_statements.h"

namespace deltabridge {

SqlTarget::SqlTarget(const SinkConfig& config, SqlSessionFactory factory, SqlTargetOptions options)
    : config_(config),
      factory_(std::move(factory)),
      options_(std::move(options)),
      mapper_(&tables_),
      reconciler_(config_, [this] { return Now(); }),
      copier_(options_.copy_min_rows, &reconciler_),
      tagger_(config_.name, config_.target.node, options_.publish_tags) {
  if (options_.chunk_deltas == 0) options_.chunk_deltas = 1;
}

SqlTarget::~SqlTarget() = default;

int64_t SqlTarget::Now() const { return options_.now_us ? options_.now_us() : WallClockMicros(); }

std::string SqlTarget::Describe() const {
  if (session_)
    return std::string(TargetTypeName(config_.target.type)) + " " + session_->Describe();
  return std::string(TargetTypeName(config_.target.type)) + " (not connected)";
}

Result<Checkpoints> SqlTarget::Open() {
  session_.reset();
  in_transaction_ = false;
  mapper_.Reset();
  tables_.clear();
  DB_ASSIGN_OR_RETURN(session_, factory_());
  DB_RETURN_IF_ERROR(EnsureStateTables(*session_));
  if (tagger_.enabled()) DB_RETURN_IF_ERROR(tagger_.Prepare(*session_, Now()));

  DB_ASSIGN_OR_RETURN(tables_, DescribeMappedTables(*session_, config_));
  DB_ASSIGN_OR_RETURN(stored_, LoadCheckpoints(*session_, config_.name));
  return stored_;
}

Status SqlTarget::Begin() {
  if (!session_) return Status::FailedPrecondition("target not open");
  DB_RETURN_IF_ERROR(session_->Begin());
  in_transaction_ = true;
  pending_ = {};
  tagger_.BeginTransaction();
  kept_columns_.clear();
  applied_deltas_.clear();
  return Status::Ok();
}

Status SqlTarget::Commit(const Checkpoints& checkpoints) {
  Checkpoints before = stored_;
  Status s = SaveCheckpoints(*session_, config_.name, checkpoints, &stored_, Now());
  if (s.ok()) s = session_->Commit();
  if (!s.ok()) {
    stored_ = before;
    return s;
  }
  in_transaction_ = false;
  deltas_ += pending_.deltas;
  inserted_ += pending_.rows_inserted;
  bulk_ += pending_.rows_bulk;
  updated_ += pending_.rows_updated;
  deleted_ += pending_.rows_deleted;
  kept_ += pending_.fields_kept;
  conflicts_ += pending_.conflicts;
  rejected_ += pending_.rejected;
  own_recorded_ += pending_.own_recorded;
  own_written_back_ += pending_.own_written_back;
  own_unrestorable_ += pending_.own_unrestorable;
  transactions_ += 1;
  pending_ = {};
  return Status::Ok();
}

void SqlTarget::Abort() {
  if (session_ && in_transaction_) {
    Status s = session_->Rollback();
    if (!s.ok()) spdlog::debug("rollback: {}", s.ToString());
  }
  in_transaction_ = false;
  pending_ = {};
  // What was stored is what the database holds: re-read at the next Open.
}

Result<ApplyOutcome> SqlTarget::Outcome() {
  if (!in_transaction_) return Status::FailedPrecondition("Outcome outside Begin/Commit");
  ApplyOutcome out;
  out.kept = kept_columns_;
  for (const auto& [source, seq] : applied_deltas_) {
    DB_ASSIGN_OR_RETURN(std::vector<ConflictRecord> recorded,
                        ListConflictsOf(*session_, config_.name, source, seq));
    for (ConflictRecord& r : recorded) out.conflicts.push_back(std::move(r));
  }
  return out;
}

ApplyCounters SqlTarget::counters() const {
  ApplyCounters c;
  c.deltas = deltas_.load();
  c.rows_inserted = inserted_.load();
  c.rows_bulk = bulk_.load();
  c.rows_updated = updated_.load();
  c.rows_deleted = deleted_.load();
  c.fields_kept = kept_.load();
  c.conflicts = conflicts_.load();
  c.rejected = rejected_.load();
  c.transactions = transactions_.load();
  c.own_recorded = own_recorded_.load();
  c.own_written_back = own_written_back_.load();
  c.own_unrestorable = own_unrestorable_.load();
  return c;
}

namespace {
void AddCounters(ApplyCounters& to, const ApplyCounters& from) {
  to.deltas += from.deltas;
  to.rows_inserted += from.rows_inserted;
  to.rows_bulk += from.rows_bulk;
  to.rows_updated += from.rows_updated;
  to.rows_deleted += from.rows_deleted;
  to.fields_kept += from.fields_kept;
  to.conflicts += from.conflicts;
  to.rejected += from.rejected;
  to.own_recorded += from.own_recorded;
  to.own_written_back += from.own_written_back;
  to.own_unrestorable += from.own_unrestorable;
}
}  // namespace

Status SqlTarget::Apply(const std::vector<SinkDelta>& chunk) {
  if (!in_transaction_) return Status::FailedPrecondition("Apply outside Begin/Commit");
  if (options_.record_outcomes) {
    for (const SinkDelta& d : chunk) {
      applied_deltas_.emplace_back(QualifiedSource(d.delta.bridge, d.delta.change.source),
                                   d.delta.seq);
    }
  }
  std::vector<const SinkDelta*> part;
  part.reserve(std::min(chunk.size(), options_.chunk_deltas));
  for (size_t i = 0; i < chunk.size(); ++i) {
    part.push_back(&chunk[i]);
    if (part.size() == options_.chunk_deltas || i + 1 == chunk.size()) {
      DB_RETURN_IF_ERROR(ApplyChunk(part));
      part.clear();
    }
  }
  return Status::Ok();
}

Status SqlTarget::ApplyChunk(const std::vector<const SinkDelta*>& deltas) {
  // A rollback to a savepoint undoes the origin tags written after it.
  const OriginTagger::Mark chunk_tag = tagger_.mark();
  DB_RETURN_IF_ERROR(Savepoint(*session_, "deltabridge_chunk"));
  ChunkState state;
  state.record_kept = options_.record_outcomes;
  Status s = ProcessDeltas(deltas, state);
  if (s.ok()) {
    AddCounters(pending_, state.counters);
    kept_columns_.insert(kept_columns_.end(), state.kept.begin(), state.kept.end());
    return ReleaseSavepoint(*session_, "deltabridge_chunk");
  }
  if (!s.IsRejected()) return s;
  // Redo one delta at a time to find the one(s) the database refuses.
  DB_RETURN_IF_ERROR(RollbackToSavepoint(*session_, "deltabridge_chunk"));
  tagger_.Restore(chunk_tag);
  spdlog::debug("chunk of {} deltas refused ({}); applying them one by one", deltas.size(),
                s.message());
  for (const SinkDelta* d : deltas) {
    const OriginTagger::Mark delta_tag = tagger_.mark();
    DB_RETURN_IF_ERROR(Savepoint(*session_, "deltabridge_delta"));
    ChunkState one;
    one.record_kept = options_.record_outcomes;
    Status ds = ProcessDeltas({d}, one);
    if (ds.IsRejected()) {
      DB_RETURN_IF_ERROR(RollbackToSavepoint(*session_, "deltabridge_delta"));
      tagger_.Restore(delta_tag);
      ChunkState rejected;
      reconciler_.Reject(*d, nullptr, "the target refused it: " + ds.message(), rejected);
      DB_RETURN_IF_ERROR(InsertConflicts(*session_, rejected.conflicts));
      AddCounters(pending_, rejected.counters);
    } else if (!ds.ok()) {
      return ds;
    } else {
      AddCounters(pending_, one.counters);
      kept_columns_.insert(kept_columns_.end(), one.kept.begin(), one.kept.end());
    }
    DB_RETURN_IF_ERROR(ReleaseSavepoint(*session_, "deltabridge_delta"));
  }
  return ReleaseSavepoint(*session_, "deltabridge_chunk");
}

Status SqlTarget::ProcessDeltas(const std::vector<const SinkDelta*>& deltas, ChunkState& state) {
  std::vector<MappedDelta> mapped;
  mapped.reserve(deltas.size());
  for (const SinkDelta* d : deltas) {
    DB_ASSIGN_OR_RETURN(MappedDelta m, mapper_.Map(*d));
    mapped.push_back(std::move(m));
  }
  size_t begin = 0;
  auto is_barrier = [&](size_t i) {
    const Op op = deltas[i]->delta.change.op;
    return op == Op::kTruncate || (mapped[i].new_key.has_value() && mapped[i].reject.empty());
  };
  // With a node, a segment holds deltas of one path: its tag precedes its writes.
  const bool tagging = tagger_.enabled();
  auto path_changes = [&](size_t i) {
    return tagging && i > begin && !SamePath(deltas[i - 1]->delta, deltas[i]->delta);
  };
  for (size_t i = 0; i <= deltas.size(); ++i) {
    const bool barrier = i < deltas.size() && is_barrier(i);
    if (i < deltas.size() && !barrier && !path_changes(i)) continue;
    // deltas[begin, i) is a segment of ordinary deltas.
    if (i > begin) {
      std::vector<MappedDelta*> seg;
      for (size_t j = begin; j < i; ++j) {
        if (mapped[j].reject.empty()) seg.push_back(&mapped[j]);
      }
      const SinkDelta& first = *deltas[begin];
      DB_ASSIGN_OR_RETURN(bool bulk, copier_.TryCopySegment(*session_, deltas, mapped, begin, i,
                                                            state, [&] { return TagFor(first); }));
      if (!bulk) {
        DB_RETURN_IF_ERROR(Prefetch(*session_, seg, state, tagger_.enabled()));
        for (size_t j = begin; j < i; ++j) {
          DB_RETURN_IF_ERROR(reconciler_.Reconcile(*deltas[j], mapped[j], state));
        }
        if (tagging && WritesData(state)) DB_RETURN_IF_ERROR(TagFor(first));
        DB_RETURN_IF_ERROR(WriteChunk(*session_, state));
      }
    }
    if (barrier) {
      if (deltas[i]->delta.change.op == Op::kTruncate) {
        DB_RETURN_IF_ERROR(ApplyTruncate(*deltas[i], state));
      } else {
        DB_RETURN_IF_ERROR(ApplyKeyChange(*deltas[i], mapped[i], state));
      }
      if (tagging && WritesData(state)) DB_RETURN_IF_ERROR(TagFor(*deltas[i]));
      DB_RETURN_IF_ERROR(WriteChunk(*session_, state));
      begin = i + 1;
    } else {
      begin = i;
    }
  }
  return Status::Ok();
}

Status SqlTarget::TagFor(const SinkDelta& d) {
  if (!tagger_.enabled()) return Status::Ok();
  return tagger_.Tag(*session_, d.delta);
}

Status SqlTarget::ApplyTruncate(const SinkDelta& d, ChunkState& state) {
  SqlTableContext* t = tables_.at(d.mapping->to).get();
  state.counters.deltas++;
  if (d.self) {
    // The local truncate is done: on_delete does not apply to it.
    state.counters.own_recorded++;
    return Status::Ok();
  }
  if (d.mapping->on_delete == OnDelete::kIgnore) return Status::Ok();
  if (d.mapping->on_delete == OnDelete::kApply && t->mappings == 1) {
    DB_RETURN_IF_ERROR(TagFor(d));
    uint64_t n = 0;
    DB_RETURN_IF_ERROR(
        ExecSql(*session_, "DELETE FROM " + t->quoted, {}, "truncating " + t->info.name, &n));
    DB_RETURN_IF_ERROR(ExecSql(
        *session_,
        "DELETE FROM deltabridge_row_writers WHERE target_table = " + session_->Placeholder(1),
        {SqlParam::Text(t->info.name)}, "truncating " + t->info.name));
    state.counters.rows_deleted += n;
    return Status::Ok();
  }
  reconciler_.HoldConflict(
      d, ConflictKind::kTruncate, "[]",
      d.mapping->on_delete == OnDelete::kApply
          ? "the source table " + d.topic + " was truncated, and " + t->info.name +
                " is written by several mappings: held for review rather than emptied"
          : "the source table " + d.topic + " was truncated (on_delete: " +
                std::string(OnDeleteName(d.mapping->on_delete)) + ")",
      state);
  return Status::Ok();
}

Status SqlTarget::ApplyKeyChange(const SinkDelta& d, MappedDelta& m, ChunkState& state) {
  DB_RETURN_IF_ERROR(Prefetch(*session_, {&m}, state, tagger_.enabled()));
  TargetRow* old_row = state.Find(m.table, m.row_key);
  const std::string new_row_key = RowKeyText(*m.new_key);
  TargetRow* new_row = state.Find(m.table, new_row_key);
  if (d.self) {
    // The local update moved the row already; its last writers follow it
    // unless the new key has some of its own.
    if (old_row != nullptr && !old_row->exists && old_row->writers_existed &&
        (new_row == nullptr || !new_row->writers_existed)) {
      SqlSession& s = *session_;
      DB_RETURN_IF_ERROR(ExecSql(
          s,
          "UPDATE deltabridge_row_writers SET row_key = " + s.Placeholder(1) +
              " WHERE target_table = " + s.Placeholder(2) + " AND row_key = " + s.Placeholder(3),
          {SqlParam::Text(new_row_key), SqlParam::Text(m.table->info.name),
           SqlParam::Text(m.row_key)},
          "changing a key in deltabridge_row_writers"));
    }
  } else if (old_row != nullptr && old_row->exists) {
    if (new_row != nullptr && new_row->exists) {
      reconciler_.Reject(d, &m,
                         "the update changes the key from " + m.row_key + " to " + new_row_key +
                             ", and the target already has a row with that key",
                         state);
      return Status::Ok();
    }
    SqlSession& s = *session_;
    const SqlTableContext& t = *m.table;
    std::string sql = "UPDATE " + t.quoted + " SET ";
    int next = 1;
    std::vector<SqlParam> params;
    for (size_t k = 0; k < t.key_columns.size(); ++k) {
      if (k > 0) sql += ", ";
      sql += t.quoted_columns[t.key_columns[k]] + " = " + s.Placeholder(next++);
    }
    AppendKeyParams(s, t, *m.new_key, &params);
    sql += " WHERE ";
    for (size_t k = 0; k < t.key_columns.size(); ++k) {
      if (k > 0) sql += " AND ";
      sql += t.quoted_columns[t.key_columns[k]] + " = " + s.Placeholder(next++);
    }
    AppendKeyParams(s, t, m.key, &params);
    DB_RETURN_IF_ERROR(TagFor(d));
    DB_RETURN_IF_ERROR(ExecSql(s, sql, params, "changing a key in " + t.info.name));
    DB_RETURN_IF_ERROR(ExecSql(
        s,
        "UPDATE deltabridge_row_writers SET row_key = " + s.Placeholder(1) +
            " WHERE target_table = " + s.Placeholder(2) + " AND row_key = " + s.Placeholder(3),
        {SqlParam::Text(new_row_key), SqlParam::Text(t.info.name), SqlParam::Text(m.row_key)},
        "changing a key in deltabridge_row_writers"));
  }
  // The rest of the update applies to the row under its new key.
  state.ClearRows();
  m.key = *m.new_key;
  m.row_key = new_row_key;
  m.new_key.reset();
  DB_RETURN_IF_ERROR(Prefetch(*session_, {&m}, state, tagger_.enabled()));
  return reconciler_.Reconcile(d, m, state);
}

}  // namespace deltabridge
