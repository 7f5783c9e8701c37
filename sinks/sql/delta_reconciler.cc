#include "sinks/sql/delta_reconciler.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "cdc/core/utc_time.h"
#include "cdc/wire/envelope.h"
#include "sinks/sql/column_values.h"

namespace deltabridge {

DeltaReconciler::DeltaReconciler(const SinkConfig& config, std::function<int64_t()> now)
    : config_(config), now_(std::move(now)), store_values_(!config.target.node.empty()) {
  for (const MappingConfig& m : config_.mappings) {
    RuleSet rules(m.default_rule);
    for (const auto& [column, rule] : m.rules) rules.Set(column, rule);
    rules_.emplace(&m, std::move(rules));
  }
}

ConflictRecord& DeltaReconciler::HoldConflict(const SinkDelta& d, ConflictKind kind,
                                              std::string row_key, std::string reason,
                                              ChunkState& state) {
  ConflictRecord r;
  r.sink = config_.name;
  r.target_table = d.mapping->to;
  r.row_key = std::move(row_key);
  r.kind = kind;
  r.source = QualifiedSource(d.delta.bridge, d.delta.change.source);
  r.seq = d.delta.seq;
  r.committed_at_us = d.delta.change.commit_time_us;
  r.reason = std::move(reason);
  r.detected_at_us = now_();
  state.conflicts.push_back(std::move(r));
  state.counters.conflicts++;
  return state.conflicts.back();
}

void DeltaReconciler::Reject(const SinkDelta& d, const MappedDelta* m, const std::string& reason,
                             ChunkState& state) {
  const Change& c = d.delta.change;
  std::string row_key = m != nullptr ? m->row_key : "";
  if (row_key.empty()) {
    // The key as it came (source names), for the record.
    row_key = "[";
    for (size_t i = 0; i < c.key.size(); ++i) {
      if (i > 0) row_key += ',';
      AppendJsonValue(&row_key, c.key[i].second);
    }
    row_key += "]";
  }
  std::string incoming = "{\"topic\":";
  AppendJsonString(&incoming, d.topic);
  incoming += ",\"op\":\"" + std::string(OpName(c.op)) + "\",\"key\":{";
  for (size_t i = 0; i < c.key.size(); ++i) {
    if (i > 0) incoming += ',';
    AppendJsonString(&incoming, c.key[i].first);
    incoming += ':';
    AppendJsonValue(&incoming, c.key[i].second);
  }
  incoming += "},\"fields\":{";
  bool first = true;
  for (const ColumnChange& cc : c.changes) {
    std::string target = TargetColumn(*d.mapping, cc.name);
    if (target.empty() || !cc.new_value) continue;
    if (!first) incoming += ',';
    first = false;
    AppendJsonString(&incoming, target);
    incoming += ':';
    AppendJsonValue(&incoming, *cc.new_value);
  }
  incoming += "}}";
  HoldConflict(d, ConflictKind::kRejected, std::move(row_key), reason, state).incoming_value =
      std::move(incoming);
  state.counters.rejected++;
  state.counters.deltas++;
}

Status DeltaReconciler::Reconcile(const SinkDelta& d, MappedDelta& m, ChunkState& state) {
  if (!m.reject.empty()) {
    Reject(d, &m, m.reject, state);
    return Status::Ok();
  }
  TargetRow* row = state.Find(m.table, m.row_key);
  if (row == nullptr) return Status::FailedPrecondition("internal: row not prefetched");
  const Change& c = d.delta.change;
  const TargetTableInfo& info = m.table->info;
  const std::string source = QualifiedSource(d.delta.bridge, c.source);
  WriterMark mark{source, c.commit_time_us, d.delta.seq};
  state.counters.deltas++;

  auto index_of = [&](std::string_view column) -> size_t {
    return static_cast<size_t>(info.Find(column) - info.columns.data());
  };
  auto make_row = [&] {
    if (row->existed && !row->exists) row->recreated = true;
    row->exists = true;
    row->values.assign(info.columns.size(), Value());
    for (size_t i = 0; i < info.columns.size(); ++i) {
      row->values[i] = Value::Null(info.columns[i].sql_type);
    }
    row->assigned.assign(info.columns.size(), false);
    for (size_t k = 0; k < m.table->key_columns.size(); ++k) {
      row->values[m.table->key_columns[k]] = row->key[k];
      row->assigned[m.table->key_columns[k]] = true;
    }
    row->writers.clear();
    row->writers_dirty = true;
    state.counters.rows_inserted++;
  };
  // `writer` (the delta's mark) becomes the field's last writer, with the
  // value where the target stores values.
  auto set_writer = [&](size_t index, const WriterMark& writer) {
    WriterMark& stored = row->writers[info.columns[index].name] = writer;
    if (store_values_) {
      stored.value = row->values[index];
    } else {
      stored.value.reset();
    }
    row->writers_dirty = true;
  };
  auto assign = [&](size_t index, Value v) {
    row->values[index] = std::move(v);
    row->assigned[index] = true;
    set_writer(index, mark);
  };

  switch (c.op) {
    case Op::kInsert:
    case Op::kSnapshot:
    case Op::kUpdate: {
      IncomingRow in;
      in.op = c.op;
      in.source = source;
      in.commit_time_us = c.commit_time_us;
      in.seq = d.delta.seq;
      in.fields = m.fields;
      CurrentRow current;
      current.exists = row->exists;
      if (row->exists) {
        auto add = [&](std::string_view column) {
          size_t i = index_of(column);
          CurrentField cf;
          cf.value = row->values[i];
          auto w = row->writers.find(info.columns[i].name);
          if (w != row->writers.end()) cf.last_writer = w->second;
          current.fields.emplace(info.columns[i].name, std::move(cf));
        };
        for (const IncomingField& f : m.fields) add(f.column);
        for (const auto& [column, rule] : d.mapping->rules) {
          if (!rule.by_column.empty() && info.Find(rule.by_column)) add(rule.by_column);
        }
        if (!d.mapping->default_rule.by_column.empty() &&
            info.Find(d.mapping->default_rule.by_column)) {
          add(d.mapping->default_rule.by_column);
        }
      }
      const RuleSet& rules = rules_.at(d.mapping);
      Result<RowDecision> decision = d.self ? deltabridge::ReconcileOwn(in, current, rules)
                                            : deltabridge::Reconcile(in, current, rules);
      if (!decision.ok()) {
        state.counters.deltas--;
        Reject(d, &m, decision.status().message(), state);
        return Status::Ok();
      }
      if (decision->action == RowAction::kInsert && !row->exists) make_row();
      bool updated = false;
      for (const FieldDecision& f : decision->fields) {
        size_t i = index_of(f.column);
        switch (f.action) {
          case FieldAction::kApply:
            assign(i, f.value);
            // A restored winner (ReconcileOwn) stays the field's last writer.
            if (f.writer) set_writer(i, *f.writer);
            updated = true;
            break;
          case FieldAction::kRecord:
            set_writer(i, mark);
            break;
          case FieldAction::kKeep:
            if (f.cannot_restore) {
              state.counters.own_unrestorable++;
              uint64_t suppressed = 0;
              if (unrestorable_log_.Allow(&suppressed)) {
                spdlog::warn(
                    "sink {}: {} row {} column {}: own-node delta seq {} of {}: {}; "
                    "this node keeps its local value, which other nodes may not hold "
                    "({} similar not logged)",
                    config_.name, d.mapping->to, m.row_key, f.column, d.delta.seq, source, f.reason,
                    suppressed);
              }
            }
            if (!d.self) state.counters.fields_kept++;
            if (state.record_kept) state.kept.push_back(f.column);
            break;
          case FieldAction::kConflict: {
            ConflictRecord& r = HoldConflict(d, ConflictKind::kField, m.row_key, f.reason, state);
            r.column_name = f.column;
            if (row->exists) r.current_value = ValueJson(row->values[i]);
            r.incoming_value = ValueJson(f.value);
            break;
          }
        }
      }
      if (updated && decision->action == RowAction::kUpdate) state.counters.rows_updated++;
      if (d.self) (updated ? state.counters.own_written_back : state.counters.own_recorded)++;
      return Status::Ok();
    }
    case Op::kDelete:
      if (d.self) {
        // The local delete is done: on_delete does not apply to it.
        state.counters.own_recorded++;
        return Status::Ok();
      }
      if (!row->exists) return Status::Ok();
      switch (d.mapping->on_delete) {
        case OnDelete::kApply:
          row->exists = false;
          row->recreated = false;
          row->writers.clear();
          row->writers_dirty = true;
          state.counters.rows_deleted++;
          return Status::Ok();
        case OnDelete::kIgnore:
          return Status::Ok();
        case OnDelete::kManual: {
          HoldConflict(d, ConflictKind::kDelete, m.row_key,
                       "the source deleted the row; on_delete: manual holds the delete for review",
                       state);
          return Status::Ok();
        }
        case OnDelete::kSoft: {
          const TargetColumnInfo* col = info.Find(d.mapping->soft_delete_column);
          if (col == nullptr) return Status::FailedPrecondition("soft delete column missing");
          Result<Value> v =
              WireToTyped(*col, Value::Textual(Value::Kind::kTimestampTz,
                                               FormatUtcMicros(c.commit_time_us), "timestamptz"));
          if (!v.ok()) {
            Reject(d, &m, v.status().message(), state);
            return Status::Ok();
          }
          assign(static_cast<size_t>(col - info.columns.data()), std::move(v).value());
          state.counters.rows_updated++;
          return Status::Ok();
        }
      }
      return Status::Ok();
    case Op::kTruncate:
      return Status::FailedPrecondition("internal: truncate in a segment");
  }
  return Status::Ok();
}

}  // namespace deltabridge
