#include "sinks/sql/sql_target.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <unordered_map>
#include <unordered_set>

#include "cdc/core/utc_time.h"
#include "cdc/wire/envelope.h"
#include "sinks/sql/column_values.h"

namespace deltabridge {

// A target row as the current segment of a chunk sees it.
struct SqlTarget::Row {
  SqlTableContext* table = nullptr;
  std::vector<Value> key;  // typed, in key order
  std::string row_key;     // RowKeyText(key)
  bool existed = false;    // in the database when the segment began
  bool exists = false;     // after the deltas reconciled so far
  bool recreated = false;  // existed, deleted and inserted again in this segment
  // Invariant: when `exists`, one value per column of the table; `assigned`
  // marks the columns a delta wrote in this segment (for a new row, the ones
  // to insert; for an existing row, the ones to update).
  std::vector<Value> values;
  std::vector<bool> assigned;
  RowWriters writers;
  bool writers_existed = false;  // a deltabridge_row_writers row exists in the database
  bool writers_dirty = false;
};

// A delta mapped onto its target table, values typed.
struct SqlTarget::Mapped {
  SqlTableContext* table = nullptr;
  std::vector<Value> key;
  std::string row_key;
  std::optional<std::vector<Value>> new_key;  // a key-changing update
  std::vector<IncomingField> fields;          // non-key columns, target names
  std::vector<size_t> field_index;            // parallel to fields: index in table->info.columns
  std::string reject;                         // why it cannot be applied (conversion)
};

struct SqlTarget::ChunkState {
  std::unordered_map<std::string, std::unique_ptr<Row>> rows;  // table + '\n' + row_key
  std::vector<Row*> order;                                     // first-touch order
  std::vector<ConflictRecord> conflicts;
  ApplyCounters counters;

  Row* Find(const SqlTableContext* t, const std::string& row_key) {
    auto it = rows.find(t->info.name + '\n' + row_key);
    return it == rows.end() ? nullptr : it->second.get();
  }
  void ClearRows() {
    rows.clear();
    order.clear();
  }
};

namespace {

bool IsNumericCategory(ColumnCategory c) {
  return c == ColumnCategory::kInteger || c == ColumnCategory::kDecimal ||
         c == ColumnCategory::kFloat;
}

bool IsComparableCategory(ColumnCategory c) {
  return c != ColumnCategory::kBinary && c != ColumnCategory::kJson;
}

std::string TypeOf(const TargetTableInfo& t, const TargetColumnInfo& c) {
  return t.name + "." + c.name + " is " + c.sql_type + " (" +
         std::string(ColumnCategoryName(c.category)) + ")";
}

// Checks one rule against its column; "" when it suits.
std::string CheckRule(const Rule& rule, const TargetColumnInfo& column,
                      const TargetTableInfo& table) {
  switch (rule.kind) {
    case RuleKind::kAdditive:
      if (!IsNumericCategory(column.category)) {
        return "additive needs a numeric column, but " + TypeOf(table, column);
      }
      break;
    case RuleKind::kMax:
    case RuleKind::kMin:
      if (!IsComparableCategory(column.category)) {
        return std::string(RuleKindName(rule.kind)) + " needs an ordered type, but " +
               TypeOf(table, column);
      }
      break;
    case RuleKind::kLastWriterWins:
      if (!rule.by_column.empty()) {
        const TargetColumnInfo* by = table.Find(rule.by_column);
        if (by == nullptr) {
          return "last_writer_wins by: " + rule.by_column + ": " + table.name +
                 " has no such column";
        }
        if (by->category != ColumnCategory::kTimestamp &&
            by->category != ColumnCategory::kTimestampTz && by->category != ColumnCategory::kDate &&
            by->category != ColumnCategory::kInteger) {
          return "last_writer_wins by: " + rule.by_column +
                 " needs a timestamp, date or integer column, but " + TypeOf(table, *by);
        }
      }
      break;
    default:
      break;
  }
  return "";
}

std::string Prefix(size_t index) { return "mappings[" + std::to_string(index) + "]"; }

}  // namespace

std::vector<std::string> CheckMappingAgainstTable(const MappingConfig& mapping, size_t index,
                                                  const TargetTableInfo& table) {
  std::vector<std::string> problems;
  const std::string p = Prefix(index);
  std::vector<const TargetColumnInfo*> keys;
  for (const std::string& k : mapping.key) {
    const TargetColumnInfo* c = table.Find(k);
    if (c == nullptr) {
      problems.push_back(p + ".key: " + table.name + " has no column " + k);
    } else {
      keys.push_back(c);
    }
  }
  for (const auto& [source, target] : mapping.columns) {
    if (table.Find(target) == nullptr) {
      problems.push_back(p + ".columns." + source + ": " + table.name + " has no column " + target);
    }
  }
  auto is_key = [&](const TargetColumnInfo* c) {
    for (const TargetColumnInfo* k : keys) {
      if (k == c) return true;
    }
    return false;
  };
  for (const auto& [column, rule] : mapping.rules) {
    const TargetColumnInfo* c = table.Find(column);
    if (c == nullptr) {
      problems.push_back(p + ".rules." + column + ": " + table.name + " has no column " + column);
      continue;
    }
    std::string why = CheckRule(rule, *c, table);
    if (!why.empty()) problems.push_back(p + ".rules." + column + ": " + why);
  }
  // The default rule covers every other non-key column.
  for (const TargetColumnInfo& c : table.columns) {
    if (is_key(&c) || mapping.rules.count(c.name) > 0) continue;
    std::string why = CheckRule(mapping.default_rule, c, table);
    if (!why.empty()) {
      problems.push_back(p + ".rules.default: " + why + " (give " + c.name + " a rule of its own)");
    }
  }
  if (mapping.on_delete == OnDelete::kSoft) {
    const TargetColumnInfo* c = table.Find(mapping.soft_delete_column);
    if (c == nullptr) {
      problems.push_back(p + ".on_delete.soft: " + table.name + " has no column " +
                         mapping.soft_delete_column);
    } else if (c->category != ColumnCategory::kTimestamp &&
               c->category != ColumnCategory::kTimestampTz &&
               c->category != ColumnCategory::kText) {
      problems.push_back(p + ".on_delete.soft: the delete time needs a timestamp column, but " +
                         TypeOf(table, *c));
    }
  }
  return problems;
}

SqlTarget::SqlTarget(const SinkConfig& config, SqlSessionFactory factory, SqlTargetOptions options)
    : config_(config), factory_(std::move(factory)), options_(std::move(options)) {
  if (options_.chunk_deltas == 0) options_.chunk_deltas = 1;
  for (const MappingConfig& m : config_.mappings) {
    RuleSet rules(m.default_rule);
    for (const auto& [column, rule] : m.rules) rules.Set(column, rule);
    rules_.emplace(&m, std::move(rules));
  }
}

SqlTarget::~SqlTarget() = default;

int64_t SqlTarget::Now() const {
  if (options_.now_us) return options_.now_us();
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string SqlTarget::Describe() const {
  if (session_)
    return std::string(TargetTypeName(config_.target.type)) + " " + session_->Describe();
  return std::string(TargetTypeName(config_.target.type)) + " (not connected)";
}

const SqlTableContext* SqlTarget::table(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second.get();
}

Result<Checkpoints> SqlTarget::Open() {
  session_.reset();
  in_transaction_ = false;
  column_cache_.clear();
  tables_.clear();
  Result<std::unique_ptr<SqlSession>> session = factory_();
  if (!session.ok()) return session.status();
  session_ = std::move(session).value();
  DB_RETURN_IF_ERROR(EnsureStateTables(*session_));

  std::vector<std::string> problems;
  for (size_t i = 0; i < config_.mappings.size(); ++i) {
    const MappingConfig& m = config_.mappings[i];
    auto it = tables_.find(m.to);
    if (it == tables_.end()) {
      Result<TargetTableInfo> info = session_->DescribeTable(m.to);
      if (!info.ok()) {
        if (info.status().code() == Status::Code::kNotFound) {
          problems.push_back(Prefix(i) + ".to: the target has no table " + m.to +
                             " (deltabridge does not create target tables: create it, with a "
                             "primary key or unique index on the mapping's key)");
          continue;
        }
        return info.status();
      }
      auto ctx = std::make_unique<SqlTableContext>();
      ctx->info = std::move(info).value();
      ctx->info.name = m.to;
      ctx->quoted = QuoteTableName(*session_, m.to);
      for (const TargetColumnInfo& c : ctx->info.columns) {
        ctx->quoted_columns.push_back(session_->QuoteIdentifier(c.name));
      }
      for (const std::string& k : m.key) {
        for (size_t c = 0; c < ctx->info.columns.size(); ++c) {
          if (&ctx->info.columns[c] == ctx->info.Find(k)) ctx->key_columns.push_back(c);
        }
      }
      if (session_->supports_copy() && !ctx->info.primary_key.empty() &&
          ctx->info.primary_key.size() == ctx->key_columns.size()) {
        ctx->copy_ok = true;
        for (const std::string& pk : ctx->info.primary_key) {
          bool in_key = false;
          for (size_t k : ctx->key_columns) in_key = in_key || ctx->info.columns[k].name == pk;
          ctx->copy_ok = ctx->copy_ok && in_key;
        }
      }
      it = tables_.emplace(m.to, std::move(ctx)).first;
    } else {
      // Mappings sharing a table must agree on the key.
      const SqlTableContext& ctx = *it->second;
      bool same = m.key.size() == ctx.key_columns.size();
      for (size_t k = 0; same && k < m.key.size(); ++k) {
        same = ctx.info.Find(m.key[k]) == &ctx.info.columns[ctx.key_columns[k]];
      }
      if (!same) {
        problems.push_back(Prefix(i) + ".key: every mapping to " + m.to +
                           " must use the same key, in the same order");
      }
    }
    it->second->mappings++;
    for (std::string& p : CheckMappingAgainstTable(m, i, it->second->info)) {
      problems.push_back(std::move(p));
    }
  }
  if (!problems.empty()) {
    std::string msg = "the target does not suit the sink file:";
    for (const std::string& p : problems) msg += "\n  " + p;
    return Status::FailedPrecondition(msg);
  }
  Result<Checkpoints> checkpoints = LoadCheckpoints(*session_, config_.name);
  if (!checkpoints.ok()) return checkpoints.status();
  stored_ = *checkpoints;
  return checkpoints;
}

Status SqlTarget::Begin() {
  if (!session_) return Status::FailedPrecondition("target not open");
  DB_RETURN_IF_ERROR(session_->Begin());
  in_transaction_ = true;
  pending_ = {};
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
  return c;
}

Status SqlTarget::Savepoint(const char* name) {
  Result<uint64_t> r = session_->Execute(std::string("SAVEPOINT ") + name, {});
  return r.ok() ? Status::Ok() : r.status();
}
Status SqlTarget::RollbackTo(const char* name) {
  Result<uint64_t> r = session_->Execute(std::string("ROLLBACK TO SAVEPOINT ") + name, {});
  return r.ok() ? Status::Ok() : r.status();
}
Status SqlTarget::Release(const char* name) {
  Result<uint64_t> r = session_->Execute(std::string("RELEASE SAVEPOINT ") + name, {});
  return r.ok() ? Status::Ok() : r.status();
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
}
}  // namespace

Status SqlTarget::Apply(const std::vector<SinkDelta>& chunk) {
  if (!in_transaction_) return Status::FailedPrecondition("Apply outside Begin/Commit");
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
  DB_RETURN_IF_ERROR(Savepoint("deltabridge_chunk"));
  ChunkState state;
  Status s = ProcessDeltas(deltas, state);
  if (s.ok()) {
    AddCounters(pending_, state.counters);
    return Release("deltabridge_chunk");
  }
  if (!s.IsRejected()) return s;
  // Redo one delta at a time to find the one(s) the database refuses.
  DB_RETURN_IF_ERROR(RollbackTo("deltabridge_chunk"));
  spdlog::debug("chunk of {} deltas refused ({}); applying them one by one", deltas.size(),
                s.message());
  for (const SinkDelta* d : deltas) {
    DB_RETURN_IF_ERROR(Savepoint("deltabridge_delta"));
    ChunkState one;
    Status ds = ProcessDeltas({d}, one);
    if (ds.IsRejected()) {
      DB_RETURN_IF_ERROR(RollbackTo("deltabridge_delta"));
      ChunkState rejected;
      Reject(*d, nullptr, "the target refused it: " + ds.message(), rejected);
      DB_RETURN_IF_ERROR(InsertConflicts(*session_, rejected.conflicts));
      AddCounters(pending_, rejected.counters);
    } else if (!ds.ok()) {
      return ds;
    } else {
      AddCounters(pending_, one.counters);
    }
    DB_RETURN_IF_ERROR(Release("deltabridge_delta"));
  }
  return Release("deltabridge_chunk");
}

ConflictRecord& SqlTarget::HoldConflict(const SinkDelta& d, ConflictKind kind, std::string row_key,
                                        std::string reason, ChunkState& state) {
  ConflictRecord r;
  r.sink = config_.name;
  r.target_table = d.mapping->to;
  r.row_key = std::move(row_key);
  r.kind = kind;
  r.source = QualifiedSource(d.delta.bridge, d.delta.change.source);
  r.seq = d.delta.seq;
  r.committed_at_us = d.delta.change.commit_time_us;
  r.reason = std::move(reason);
  r.detected_at_us = Now();
  state.conflicts.push_back(std::move(r));
  state.counters.conflicts++;
  return state.conflicts.back();
}

void SqlTarget::Reject(const SinkDelta& d, const Mapped* m, const std::string& reason,
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

Result<SqlTarget::Mapped> SqlTarget::MapDelta(const SinkDelta& d) {
  const MappingConfig& mapping = *d.mapping;
  ColumnCache& cache = column_cache_[&mapping];
  if (cache.table == nullptr) {
    auto it = tables_.find(mapping.to);
    if (it == tables_.end()) {
      return Status::FailedPrecondition("no target table context for " + mapping.to);
    }
    cache.table = it->second.get();
  }
  Mapped m;
  m.table = cache.table;
  const TargetTableInfo& info = m.table->info;
  const Change& c = d.delta.change;
  auto resolve = [&](const std::string& source_name, int64_t* index) -> Status {
    *index = -1;
    std::string target = TargetColumn(mapping, source_name);
    if (target.empty()) return Status::Ok();
    const TargetColumnInfo* col = info.Find(target);
    if (col == nullptr) {
      return Status::FailedPrecondition(
          "delta seq " + std::to_string(d.delta.seq) + " of " + d.topic + " has column " +
          source_name + ", written to " + info.name + "." + target +
          ", which the table lacks: add the column to the target table, map it elsewhere with "
          "`columns:`, or list it in `exclude:` (mapping from " +
          mapping.from + ")");
    }
    *index = col - info.columns.data();
    return Status::Ok();
  };
  // The column of the name at `position` of a delta's key or changes.
  auto column_index = [&](std::vector<std::string>& names, std::vector<int64_t>& indexes,
                          size_t position, const std::string& source_name,
                          int64_t* index) -> Status {
    if (position < names.size() && names[position] == source_name) {
      *index = indexes[position];
      return Status::Ok();
    }
    DB_RETURN_IF_ERROR(resolve(source_name, index));
    if (position >= names.size()) {
      names.resize(position + 1);
      indexes.resize(position + 1, -1);
    }
    names[position] = source_name;
    indexes[position] = *index;
    return Status::Ok();
  };

  // The key: from the delta's key, else from its changes (old value first).
  std::vector<std::optional<Value>> key_wire(m.table->key_columns.size());
  auto key_slot = [&](int64_t index) -> int {
    for (size_t k = 0; k < m.table->key_columns.size(); ++k) {
      if (static_cast<int64_t>(m.table->key_columns[k]) == index) return static_cast<int>(k);
    }
    return -1;
  };
  for (size_t i = 0; i < c.key.size(); ++i) {
    const auto& [name, value] = c.key[i];
    int64_t index = -1;
    DB_RETURN_IF_ERROR(column_index(cache.key_names, cache.key_index, i, name, &index));
    int slot = key_slot(index);
    if (slot >= 0) key_wire[slot] = value;
  }
  std::vector<std::optional<Value>> new_key_wire(key_wire.size());
  for (size_t i = 0; i < c.changes.size(); ++i) {
    const ColumnChange& cc = c.changes[i];
    int64_t index = -1;
    DB_RETURN_IF_ERROR(column_index(cache.change_names, cache.change_index, i, cc.name, &index));
    if (index < 0) continue;
    int slot = key_slot(index);
    const TargetColumnInfo& col = info.columns[index];
    if (slot >= 0) {
      if (!key_wire[slot]) key_wire[slot] = cc.old_value ? cc.old_value : cc.new_value;
      if (cc.new_value) new_key_wire[slot] = cc.new_value;
      continue;
    }
    IncomingField f;
    f.column = col.name;
    if (cc.old_value) {
      Result<Value> v = WireToTyped(col, *cc.old_value);
      if (!v.ok()) {
        m.reject = v.status().message();
      } else {
        f.old_value = std::move(v).value();
      }
    }
    if (cc.new_value) {
      Result<Value> v = WireToTyped(col, *cc.new_value);
      if (!v.ok()) {
        m.reject = v.status().message();
      } else {
        f.new_value = std::move(v).value();
      }
    }
    m.fields.push_back(std::move(f));
    m.field_index.push_back(static_cast<size_t>(index));
  }
  bool key_changes = false;
  for (size_t k = 0; k < key_wire.size(); ++k) {
    const TargetColumnInfo& col = info.columns[m.table->key_columns[k]];
    if (!key_wire[k]) {
      if (m.reject.empty()) {
        m.reject = "the delta does not carry the key column " + col.name + " of " + info.name;
      }
      m.key.push_back(Value::Null(col.sql_type));
      continue;
    }
    Result<Value> v = WireToTyped(col, *key_wire[k]);
    if (!v.ok()) {
      m.reject = v.status().message();
      m.key.push_back(Value::Null(col.sql_type));
      continue;
    }
    if (v->is_null() && m.reject.empty()) m.reject = "key column " + col.name + " is NULL";
    m.key.push_back(std::move(v).value());
    if (new_key_wire[k] && !new_key_wire[k]->SameValue(*key_wire[k])) key_changes = true;
  }
  m.row_key = RowKeyText(m.key);
  if (key_changes && c.op == Op::kUpdate && m.reject.empty()) {
    std::vector<Value> nk = m.key;
    for (size_t k = 0; k < key_wire.size(); ++k) {
      if (!new_key_wire[k]) continue;
      Result<Value> v = WireToTyped(info.columns[m.table->key_columns[k]], *new_key_wire[k]);
      if (!v.ok()) {
        m.reject = v.status().message();
        break;
      }
      nk[k] = std::move(v).value();
    }
    if (RowKeyText(nk) != m.row_key) m.new_key = std::move(nk);
  }
  return m;
}

Status SqlTarget::ProcessDeltas(const std::vector<const SinkDelta*>& deltas, ChunkState& state) {
  std::vector<Mapped> mapped;
  mapped.reserve(deltas.size());
  for (const SinkDelta* d : deltas) {
    Result<Mapped> m = MapDelta(*d);
    if (!m.ok()) return m.status();
    mapped.push_back(std::move(m).value());
  }
  size_t begin = 0;
  auto is_barrier = [&](size_t i) {
    const Op op = deltas[i]->delta.change.op;
    return op == Op::kTruncate || (mapped[i].new_key.has_value() && mapped[i].reject.empty());
  };
  for (size_t i = 0; i <= deltas.size(); ++i) {
    if (i < deltas.size() && !is_barrier(i)) continue;
    // deltas[begin, i) is a segment of ordinary deltas.
    if (i > begin) {
      std::vector<Mapped*> seg;
      for (size_t j = begin; j < i; ++j) {
        if (mapped[j].reject.empty()) seg.push_back(&mapped[j]);
      }
      Result<bool> bulk = TryCopySegment(deltas, mapped, begin, i, state);
      if (!bulk.ok()) return bulk.status();
      if (!*bulk) {
        DB_RETURN_IF_ERROR(Prefetch(seg, state));
        for (size_t j = begin; j < i; ++j) {
          DB_RETURN_IF_ERROR(ReconcileOne(*deltas[j], mapped[j], state));
        }
        DB_RETURN_IF_ERROR(WriteOut(state));
      }
    }
    if (i < deltas.size()) {
      if (deltas[i]->delta.change.op == Op::kTruncate) {
        DB_RETURN_IF_ERROR(ApplyTruncate(*deltas[i], state));
      } else {
        DB_RETURN_IF_ERROR(ApplyKeyChange(*deltas[i], mapped[i], state));
      }
      DB_RETURN_IF_ERROR(WriteOut(state));
    }
    begin = i + 1;
  }
  return Status::Ok();
}

// The bulk path. A segment of inserts (or snapshot rows) of distinct keys is
// reconciled as if none of its rows existed in the target, without reading
// them, and written with COPY. That assumption is checked by the database
// itself: each bulk table's primary key is the mapping's key
// (SqlTableContext::copy_ok) and deltabridge_row_writers is keyed by
// (target_table, row_key), so if any row or writers record already exists
// the COPY fails with a unique violation. Then the savepoint undoes the
// segment's writes, the state is put back as it was, and the caller applies
// the segment the ordinary way (read, reconcile, write), exactly as if the
// bulk path had not been tried. Any other refusal (a bad value) takes the
// same way back, and the ordinary path then isolates the refused row.
// Returns true when the segment was written here.
Result<bool> SqlTarget::TryCopySegment(const std::vector<const SinkDelta*>& deltas,
                                       std::vector<Mapped>& mapped, size_t begin, size_t end,
                                       ChunkState& state) {
  if (options_.copy_min_rows == 0 || end - begin < options_.copy_min_rows) return false;
  std::vector<SqlTableContext*> tables;
  bool eligible = state.rows.empty();
  for (size_t j = begin; j < end && eligible; ++j) {
    const Op op = deltas[j]->delta.change.op;
    const Mapped& m = mapped[j];
    eligible = (op == Op::kInsert || op == Op::kSnapshot) && m.reject.empty() &&
               !m.new_key.has_value() && m.table->copy_ok;
    if (eligible && std::find(tables.begin(), tables.end(), m.table) == tables.end()) {
      tables.push_back(m.table);
    }
  }
  if (!eligible) return false;
  bool skipping = false;
  for (SqlTableContext* t : tables) {
    if (t->copy_skip > 0) {
      t->copy_skip--;
      skipping = true;
    }
  }
  if (skipping) return false;
  // Distinct keys only: a second delta for a key would have to see the first.
  {
    std::map<const SqlTableContext*, std::unordered_set<std::string_view>> keys;
    for (size_t j = begin; j < end; ++j) {
      if (!keys[mapped[j].table].insert(mapped[j].row_key).second) return false;
    }
  }
  // New-only values (what inserts carry): every rule applies every field
  // to a row the target does not have (reconciler.cc: no old value, no last
  // writer, no current value), so the rows go straight to COPY.
  bool new_only = true;
  for (size_t j = begin; j < end && new_only; ++j) {
    for (const IncomingField& f : mapped[j].fields) {
      new_only = new_only && f.new_value.has_value() && !f.old_value.has_value();
    }
  }
  const ApplyCounters before = state.counters;
  DB_RETURN_IF_ERROR(Savepoint("deltabridge_bulk"));
  Status s = Status::Ok();
  if (new_only) {
    s = CopyNewRows(deltas, mapped, begin, end, state);
  } else {
    for (size_t j = begin; j < end; ++j) {
      Mapped& m = mapped[j];
      auto row = std::make_unique<Row>();
      row->table = m.table;
      row->key = m.key;
      row->row_key = m.row_key;
      state.order.push_back(row.get());
      state.rows.emplace(m.table->info.name + '\n' + m.row_key, std::move(row));
    }
    for (size_t j = begin; j < end && s.ok(); ++j) s = ReconcileOne(*deltas[j], mapped[j], state);
    if (s.ok()) s = WriteOut(state, /*bulk=*/true);
  }
  if (s.ok()) {
    for (SqlTableContext* t : tables) t->copy_backoff = 0;
    state.counters.rows_bulk += end - begin;
    DB_RETURN_IF_ERROR(Release("deltabridge_bulk"));
    return true;
  }
  if (!s.IsRejected()) return s;
  spdlog::debug("bulk insert of {} rows refused ({}); applying them the ordinary way", end - begin,
                s.message());
  DB_RETURN_IF_ERROR(RollbackTo("deltabridge_bulk"));
  DB_RETURN_IF_ERROR(Release("deltabridge_bulk"));
  state.ClearRows();
  state.conflicts.clear();
  state.counters = before;
  for (SqlTableContext* t : tables) {
    t->copy_backoff = std::min(64, std::max(1, t->copy_backoff * 2));
    t->copy_skip = t->copy_backoff;
  }
  return false;
}

// The bulk path's rows when every field carries only a new value: the same
// rows and writers records ReconcileOne and WriteOut would write for rows
// the target lacks, built without the general machinery (no Row, no
// reconciliation, no writers map): this is the sink's hot path for inserts.
// Rows with the same set of columns share one COPY; each row's writers
// record is its one writer over its non-key columns, as EncodeRowWriters
// writes it (columns in name order).
Status SqlTarget::CopyNewRows(const std::vector<const SinkDelta*>& deltas,
                              std::vector<Mapped>& mapped, size_t begin, size_t end,
                              ChunkState& state) {
  SqlSession& s = *session_;
  const SqlDialect dialect = s.dialect();
  struct Group {
    SqlTableContext* table;
    std::string set;              // '1' per column written
    std::vector<size_t> columns;  // written columns, in table order
    std::string writers_columns;  // ,"columns":[...]}] for the writers records
    std::vector<const Value*> slots;
    std::vector<SqlParam> values;  // row after row
  };
  std::vector<Group> groups;
  std::map<SqlTableContext*, std::vector<SqlParam>> writers;
  std::string set;
  std::string at_text;
  int64_t at_us = INT64_MIN;
  for (size_t j = begin; j < end; ++j) {
    const SinkDelta& d = *deltas[j];
    Mapped& m = mapped[j];
    SqlTableContext& t = *m.table;
    const size_t ncols = t.info.columns.size();
    set.assign(ncols, '0');
    for (size_t k : t.key_columns) set[k] = '1';
    for (size_t i : m.field_index) {
      if (set[i] == '1') return Status::FailedPrecondition("internal: a column written twice");
      set[i] = '1';
    }
    Group* g = nullptr;
    for (Group& candidate : groups) {
      if (candidate.table == &t && candidate.set == set) g = &candidate;
    }
    if (g == nullptr) {
      Group fresh;
      fresh.table = &t;
      fresh.set = set;
      for (size_t c = 0; c < ncols; ++c) {
        if (set[c] == '1') fresh.columns.push_back(c);
      }
      std::vector<std::string_view> names;
      for (size_t i : m.field_index) names.push_back(t.info.columns[i].name);
      std::sort(names.begin(), names.end());
      fresh.writers_columns = ",\"columns\":[";
      for (size_t n = 0; n < names.size(); ++n) {
        if (n > 0) fresh.writers_columns += ',';
        AppendJsonString(&fresh.writers_columns, names[n]);
      }
      fresh.writers_columns += "]}]";
      fresh.slots.assign(ncols, nullptr);
      groups.push_back(std::move(fresh));
      g = &groups.back();
    }
    for (size_t k = 0; k < t.key_columns.size(); ++k) g->slots[t.key_columns[k]] = &m.key[k];
    for (size_t f = 0; f < m.fields.size(); ++f)
      g->slots[m.field_index[f]] = &*m.fields[f].new_value;
    for (size_t c : g->columns)
      g->values.push_back(TypedToSql(t.info.columns[c], *g->slots[c], dialect));
    if (!m.fields.empty()) {
      const Change& c = d.delta.change;
      if (c.commit_time_us != at_us) {
        at_us = c.commit_time_us;
        at_text = FormatUtcMicros(at_us);
      }
      std::string w = "[{\"source\":";
      AppendJsonString(&w, QualifiedSource(d.delta.bridge, c.source));
      w += ",\"at\":\"";
      w += at_text;
      w += "\",\"seq\":";
      w += std::to_string(d.delta.seq);
      w += g->writers_columns;
      std::vector<SqlParam>& rows = writers[&t];
      rows.push_back(SqlParam::Text(t.info.name));
      rows.push_back(SqlParam::Text(m.row_key));
      rows.push_back(SqlParam::Text(std::move(w)));
    }
    state.counters.deltas++;
    state.counters.rows_inserted++;
  }
  for (const Group& g : groups) {
    std::vector<std::string> names;
    for (size_t c : g.columns) names.push_back(g.table->quoted_columns[c]);
    Status cs = s.CopyIn(g.table->quoted, names, g.values);
    if (!cs.ok()) return cs.WithContext("copying into " + g.table->info.name);
  }
  static const std::vector<std::string> kWriterColumns = {"target_table", "row_key", "writers"};
  for (const auto& [t, rows] : writers) {
    Status cs = s.CopyIn("deltabridge_row_writers", kWriterColumns, rows);
    if (!cs.ok()) return cs.WithContext("copying into deltabridge_row_writers");
  }
  state.ClearRows();
  return Status::Ok();
}

namespace {

// "k IN (?, ?)" / "(a, b) IN ((?, ?), (?, ?))" / "(a = ? AND b = ?) OR ..." over
// `count` keys, numbering placeholders from *next.
std::string KeyPredicate(const SqlSession& session, const SqlTableContext& t, size_t count,
                         int* next, std::string_view alias = {}) {
  auto col = [&](size_t k) {
    std::string q = t.quoted_columns[t.key_columns[k]];
    return alias.empty() ? q : std::string(alias) + "." + q;
  };
  const size_t width = t.key_columns.size();
  std::string out;
  if (width == 1) {
    out = col(0) + " IN (";
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) out += ", ";
      out += session.Placeholder((*next)++);
    }
    return out + ")";
  }
  if (session.dialect() == SqlDialect::kGeneric) {
    out = "(";
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) out += " OR ";
      out += "(";
      for (size_t k = 0; k < width; ++k) {
        if (k > 0) out += " AND ";
        out += col(k) + " = " + session.Placeholder((*next)++);
      }
      out += ")";
    }
    return out + ")";
  }
  out = "(";
  for (size_t k = 0; k < width; ++k) {
    if (k > 0) out += ", ";
    out += col(k);
  }
  out += ") IN (";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += "(";
    for (size_t k = 0; k < width; ++k) {
      if (k > 0) out += ", ";
      out += session.Placeholder((*next)++);
    }
    out += ")";
  }
  return out + ")";
}

void AppendKeyParams(const SqlSession& session, const SqlTableContext& t,
                     const std::vector<Value>& key, std::vector<SqlParam>* params) {
  for (size_t k = 0; k < key.size(); ++k) {
    params->push_back(TypedToSql(t.info.columns[t.key_columns[k]], key[k], session.dialect()));
  }
}

std::string SelectList(const SqlTableContext& t, SqlDialect dialect) {
  std::string out;
  for (size_t c = 0; c < t.quoted_columns.size(); ++c) {
    if (c > 0) out += ", ";
    const std::string& q = t.quoted_columns[c];
    if (dialect == SqlDialect::kSqlite && t.info.columns[c].category == ColumnCategory::kFloat) {
      // sqliteodbc gives a REAL as SQLite's 15-digit text (also for
      // SQL_C_DOUBLE), which does not read back as the stored double
      // (0.30000000000000004 reads "0.3"): quote() writes as many digits as
      // the double needs. Other storage classes (a NULL, an integer, text
      // that did not convert) are read as they are.
      out += "CASE WHEN typeof(" + q + ") = 'real' THEN quote(" + q + ") ELSE " + q + " END";
    } else {
      out += q;
    }
  }
  return out;
}

size_t BatchRows(const SqlSession& session, size_t params_per_row) {
  return std::max<size_t>(
      1, static_cast<size_t>(session.max_params()) / std::max<size_t>(1, params_per_row));
}

}  // namespace

Status SqlTarget::Prefetch(const std::vector<Mapped*>& mapped, ChunkState& state) {
  // Rows not yet known, per table, in first-touch order.
  std::map<SqlTableContext*, std::vector<Row*>> wanted;
  for (Mapped* m : mapped) {
    for (int pass = 0; pass < 2; ++pass) {
      const std::vector<Value>* key = pass == 0 ? &m->key : (m->new_key ? &*m->new_key : nullptr);
      if (key == nullptr) continue;
      std::string row_key = pass == 0 ? m->row_key : RowKeyText(*key);
      std::string id = m->table->info.name + '\n' + row_key;
      if (state.rows.count(id) > 0) continue;
      auto row = std::make_unique<Row>();
      row->table = m->table;
      row->key = *key;
      row->row_key = row_key;
      wanted[m->table].push_back(row.get());
      state.order.push_back(row.get());
      state.rows.emplace(std::move(id), std::move(row));
    }
  }
  SqlSession& s = *session_;
  for (auto& [t, rows] : wanted) {
    const size_t width = t->key_columns.size();
    const size_t per = BatchRows(s, width);
    std::unordered_map<std::string, Row*> by_key;
    for (Row* r : rows) by_key.emplace(r->row_key, r);
    for (size_t start = 0; start < rows.size(); start += per) {
      size_t end = std::min(rows.size(), start + per);
      int next = 1;
      std::string sql = "SELECT " + SelectList(*t, s.dialect()) + " FROM " + t->quoted + " WHERE " +
                        KeyPredicate(s, *t, end - start, &next);
      std::vector<SqlParam> params;
      for (size_t i = start; i < end; ++i) AppendKeyParams(s, *t, rows[i]->key, &params);
      Result<std::vector<SqlRow>> result = s.Query(sql, params);
      if (!result.ok()) return result.status().WithContext("reading " + t->info.name);
      for (SqlRow& db_row : *result) {
        std::vector<Value> values;
        values.reserve(t->info.columns.size());
        for (size_t c = 0; c < t->info.columns.size() && c < db_row.size(); ++c) {
          Result<Value> v = SqlToTyped(t->info.columns[c], db_row[c], s.dialect());
          if (!v.ok()) return Status::FailedPrecondition(v.status().message());
          values.push_back(std::move(v).value());
        }
        std::vector<Value> key;
        for (size_t k = 0; k < width; ++k) key.push_back(values[t->key_columns[k]]);
        auto it = by_key.find(RowKeyText(key));
        if (it == by_key.end()) continue;  // a key that reads back differently: treated as new
        Row* r = it->second;
        r->existed = r->exists = true;
        r->values = std::move(values);
        r->assigned.assign(t->info.columns.size(), false);
      }
    }
    // Their last writers. PostgreSQL: one text[] parameter joined laterally,
    // so that each key is an index probe whatever the table's statistics
    // (an IN list of 2000 keys on a growing, not yet analysed table was
    // planned as a scan of every row of the table).
    const bool pg = s.dialect() == SqlDialect::kPostgres;
    const size_t per_w = pg ? rows.size() : BatchRows(s, 1) - 1;
    for (size_t start = 0; start < rows.size(); start += per_w) {
      size_t end = std::min(rows.size(), start + per_w);
      std::string sql;
      std::vector<SqlParam> params = {SqlParam::Text(t->info.name)};
      if (pg) {
        std::string array = "{";
        for (size_t i = start; i < end; ++i) {
          if (i > start) array += ',';
          array += '"';
          for (char c : rows[i]->row_key) {
            if (c == '"' || c == '\\') array += '\\';
            array += c;
          }
          array += '"';
        }
        array += '}';
        params.push_back(SqlParam::Text(std::move(array)));
        sql =
            "SELECT k.row_key, w.writers FROM unnest($2::text[]) AS k(row_key) CROSS JOIN "
            "LATERAL (SELECT writers FROM deltabridge_row_writers w WHERE w.target_table = $1 "
            "AND w.row_key = k.row_key) w";
      } else {
        sql = "SELECT row_key, writers FROM deltabridge_row_writers WHERE target_table = " +
              s.Placeholder(1) + " AND row_key IN (";
        for (size_t i = start; i < end; ++i) {
          if (i > start) sql += ", ";
          sql += s.Placeholder(static_cast<int>(params.size()) + 1);
          params.push_back(SqlParam::Text(rows[i]->row_key));
        }
        sql += ")";
      }
      Result<std::vector<SqlRow>> result = s.Query(sql, params);
      if (!result.ok()) return result.status().WithContext("reading deltabridge_row_writers");
      for (const SqlRow& w : *result) {
        if (w.size() < 2 || !w[0] || !w[1]) continue;
        auto it = by_key.find(*w[0]);
        if (it == by_key.end()) continue;
        Result<RowWriters> writers = DecodeRowWriters(*w[1]);
        if (!writers.ok()) {
          return writers.status().WithContext(t->info.name + " row " + *w[0]);
        }
        it->second->writers = std::move(writers).value();
        it->second->writers_existed = true;
      }
    }
  }
  return Status::Ok();
}

Status SqlTarget::ReconcileOne(const SinkDelta& d, Mapped& m, ChunkState& state) {
  if (!m.reject.empty()) {
    Reject(d, &m, m.reject, state);
    return Status::Ok();
  }
  Row* row = state.Find(m.table, m.row_key);
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
  auto assign = [&](size_t index, Value v) {
    row->values[index] = std::move(v);
    row->assigned[index] = true;
    row->writers[info.columns[index].name] = mark;
    row->writers_dirty = true;
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
      Result<RowDecision> decision = Reconcile(in, current, rules_.at(d.mapping));
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
            updated = true;
            break;
          case FieldAction::kKeep:
            state.counters.fields_kept++;
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
      return Status::Ok();
    }
    case Op::kDelete:
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

namespace {

std::string Placeholders(const SqlSession& s, int* next, size_t count) {
  std::string out = "(";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += s.Placeholder((*next)++);
  }
  return out + ")";
}

Status Exec(SqlSession& s, const std::string& sql, const std::vector<SqlParam>& params,
            const std::string& what, uint64_t* affected = nullptr) {
  Result<uint64_t> r = s.Execute(sql, params);
  if (!r.ok()) return r.status().WithContext(what);
  if (affected != nullptr) *affected = *r;
  return Status::Ok();
}

// A PostgreSQL type name without its modifier: "character varying(3)" ->
// "character varying", "timestamp(3) with time zone" -> "timestamp with time zone".
std::string BaseTypeName(std::string_view type) {
  std::string out;
  int depth = 0;
  for (char c : type) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  // "timestamp with time zone" keeps single spaces where "(3)" was cut.
  std::string squeezed;
  for (char c : out) {
    if (c == ' ' && !squeezed.empty() && squeezed.back() == ' ') continue;
    squeezed += c;
  }
  while (!squeezed.empty() && squeezed.back() == ' ') squeezed.pop_back();
  return squeezed;
}

// The columns of a row marked assigned, as a bitmask string (grouping key).
std::string AssignedSet(const std::vector<bool>& assigned) {
  std::string out(assigned.size(), '0');
  for (size_t i = 0; i < assigned.size(); ++i) {
    if (assigned[i]) out[i] = '1';
  }
  return out;
}

}  // namespace

Status SqlTarget::WriteOut(ChunkState& state, bool bulk) {
  SqlSession& s = *session_;
  const SqlDialect dialect = s.dialect();
  // Per table, in first-touch order.
  std::map<SqlTableContext*, std::vector<Row*>> by_table;
  std::vector<SqlTableContext*> table_order;
  for (Row* r : state.order) {
    auto [it, fresh] = by_table.try_emplace(r->table);
    if (fresh) table_order.push_back(r->table);
    it->second.push_back(r);
  }
  for (SqlTableContext* t : table_order) {
    const std::vector<Row*>& rows = by_table[t];
    const size_t ncols = t->info.columns.size();
    // 1. Deletes: rows that existed and are gone or recreated.
    std::vector<Row*> deletes;
    for (Row* r : rows) {
      if (r->existed && (!r->exists || r->recreated)) deletes.push_back(r);
    }
    const size_t per_key = BatchRows(s, t->key_columns.size());
    for (size_t start = 0; start < deletes.size(); start += per_key) {
      size_t end = std::min(deletes.size(), start + per_key);
      int next = 1;
      std::string sql =
          "DELETE FROM " + t->quoted + " WHERE " + KeyPredicate(s, *t, end - start, &next);
      std::vector<SqlParam> params;
      for (size_t i = start; i < end; ++i) AppendKeyParams(s, *t, deletes[i]->key, &params);
      DB_RETURN_IF_ERROR(Exec(s, sql, params, "deleting from " + t->info.name));
    }
    // 2. Inserts, grouped by the set of columns they carry.
    std::map<std::string, std::vector<Row*>> inserts;
    for (Row* r : rows) {
      if (r->exists && (!r->existed || r->recreated)) {
        inserts[AssignedSet(r->assigned)].push_back(r);
      }
    }
    for (auto& [set, group] : inserts) {
      std::vector<size_t> cols;
      for (size_t c = 0; c < ncols; ++c) {
        if (set[c] == '1') cols.push_back(c);
      }
      if (bulk) {
        std::vector<std::string> names;
        for (size_t c : cols) names.push_back(t->quoted_columns[c]);
        std::vector<SqlParam> values;
        values.reserve(group.size() * cols.size());
        for (Row* r : group) {
          for (size_t c : cols) {
            values.push_back(TypedToSql(t->info.columns[c], r->values[c], dialect));
          }
        }
        Status cs = s.CopyIn(t->quoted, names, values);
        if (!cs.ok()) return cs.WithContext("copying into " + t->info.name);
        continue;
      }
      std::string head = "INSERT INTO " + t->quoted + " (";
      for (size_t i = 0; i < cols.size(); ++i) {
        if (i > 0) head += ", ";
        head += t->quoted_columns[cols[i]];
      }
      head += ") VALUES ";
      const size_t per = BatchRows(s, cols.size());
      for (size_t start = 0; start < group.size(); start += per) {
        size_t end = std::min(group.size(), start + per);
        std::string sql = head;
        std::vector<SqlParam> params;
        params.reserve((end - start) * cols.size());
        int next = 1;
        for (size_t i = start; i < end; ++i) {
          if (i > start) sql += ", ";
          sql += Placeholders(s, &next, cols.size());
          for (size_t c : cols) {
            params.push_back(TypedToSql(t->info.columns[c], group[i]->values[c], dialect));
          }
        }
        DB_RETURN_IF_ERROR(Exec(s, sql, params, "inserting into " + t->info.name));
      }
    }
    // 3. Updates of rows that stayed, grouped by the columns they change.
    std::map<std::string, std::vector<Row*>> updates;
    for (Row* r : rows) {
      if (!(r->existed && r->exists && !r->recreated)) continue;
      bool any = false;
      for (size_t c = 0; c < ncols && !any; ++c) any = r->assigned[c];
      if (any) updates[AssignedSet(r->assigned)].push_back(r);
    }
    for (auto& [set, group] : updates) {
      std::vector<size_t> cols;
      for (size_t c = 0; c < ncols; ++c) {
        if (set[c] == '1') cols.push_back(c);
      }
      DB_RETURN_IF_ERROR(UpdateRows(*t, cols, group));
    }
    // 4. The rows' last writers.
    std::vector<Row*> w_delete, w_insert, w_update;
    for (Row* r : rows) {
      bool want = r->exists && !r->writers.empty();
      if (!want) {
        if (r->writers_existed) w_delete.push_back(r);
      } else if (r->writers_dirty) {
        (r->writers_existed ? w_update : w_insert).push_back(r);
      }
    }
    const size_t per_one = BatchRows(s, 1) - 1;
    for (size_t start = 0; start < w_delete.size(); start += per_one) {
      size_t end = std::min(w_delete.size(), start + per_one);
      std::string sql =
          "DELETE FROM deltabridge_row_writers WHERE target_table = " + s.Placeholder(1) +
          " AND row_key IN ";
      int next = 2;
      sql += Placeholders(s, &next, end - start);
      std::vector<SqlParam> params = {SqlParam::Text(t->info.name)};
      for (size_t i = start; i < end; ++i) params.push_back(SqlParam::Text(w_delete[i]->row_key));
      DB_RETURN_IF_ERROR(Exec(s, sql, params, "deleting from deltabridge_row_writers"));
    }
    if (bulk && !w_insert.empty()) {
      static const std::vector<std::string> kWriterColumns = {"target_table", "row_key", "writers"};
      std::vector<SqlParam> values;
      values.reserve(w_insert.size() * 3);
      for (Row* r : w_insert) {
        values.push_back(SqlParam::Text(t->info.name));
        values.push_back(SqlParam::Text(r->row_key));
        values.push_back(SqlParam::Text(EncodeRowWriters(r->writers)));
      }
      Status cs = s.CopyIn("deltabridge_row_writers", kWriterColumns, values);
      if (!cs.ok()) return cs.WithContext("copying into deltabridge_row_writers");
      w_insert.clear();
    }
    const size_t per_three = BatchRows(s, 3);
    for (size_t start = 0; start < w_insert.size(); start += per_three) {
      size_t end = std::min(w_insert.size(), start + per_three);
      std::string sql =
          "INSERT INTO deltabridge_row_writers (target_table, row_key, writers) VALUES ";
      std::vector<SqlParam> params;
      int next = 1;
      for (size_t i = start; i < end; ++i) {
        if (i > start) sql += ", ";
        sql += Placeholders(s, &next, 3);
        params.push_back(SqlParam::Text(t->info.name));
        params.push_back(SqlParam::Text(w_insert[i]->row_key));
        params.push_back(SqlParam::Text(EncodeRowWriters(w_insert[i]->writers)));
      }
      DB_RETURN_IF_ERROR(Exec(s, sql, params, "writing deltabridge_row_writers"));
    }
    DB_RETURN_IF_ERROR(UpdateWriters(*t, w_update));
  }
  DB_RETURN_IF_ERROR(InsertConflicts(s, state.conflicts));
  state.conflicts.clear();
  state.ClearRows();
  return Status::Ok();
}

Status SqlTarget::UpdateRows(const SqlTableContext& t, const std::vector<size_t>& cols,
                             const std::vector<Row*>& rows) {
  SqlSession& s = *session_;
  const SqlDialect dialect = s.dialect();
  const size_t width = t.key_columns.size();
  if (dialect == SqlDialect::kPostgres && rows.size() > 1) {
    // One statement for many rows: UPDATE ... FROM (VALUES ...). Each
    // parameter is cast to its column's type without the type modifier
    // (varchar, not varchar(3)): the assignment then checks lengths and
    // ranges as a plain UPDATE would, instead of an explicit cast truncating.
    std::vector<size_t> all = t.key_columns;
    all.insert(all.end(), cols.begin(), cols.end());
    std::vector<std::string> casts;
    std::string alias_names;
    for (size_t i = 0; i < all.size(); ++i) {
      if (i > 0) alias_names += ", ";
      alias_names += "c" + std::to_string(i);
      casts.push_back("::" + BaseTypeName(t.info.columns[all[i]].sql_type));
    }
    std::string set;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) set += ", ";
      set += t.quoted_columns[cols[i]] + " = v.c" + std::to_string(width + i);
    }
    std::string where;
    for (size_t k = 0; k < width; ++k) {
      if (k > 0) where += " AND ";
      where += "t." + t.quoted_columns[t.key_columns[k]] + " = v.c" + std::to_string(k);
    }
    const size_t per = BatchRows(s, all.size());
    for (size_t start = 0; start < rows.size(); start += per) {
      size_t end = std::min(rows.size(), start + per);
      std::string sql = "UPDATE " + t.quoted + " AS t SET " + set + " FROM (VALUES ";
      std::vector<SqlParam> params;
      int next = 1;
      for (size_t i = start; i < end; ++i) {
        sql += i > start ? ", (" : "(";
        for (size_t c = 0; c < all.size(); ++c) {
          if (c > 0) sql += ", ";
          sql += s.Placeholder(next++) + casts[c];
          params.push_back(TypedToSql(t.info.columns[all[c]], rows[i]->values[all[c]], dialect));
        }
        sql += ")";
      }
      sql += ") AS v(" + alias_names + ") WHERE " + where;
      DB_RETURN_IF_ERROR(Exec(s, sql, params, "updating " + t.info.name));
    }
    return Status::Ok();
  }
  std::string sql = "UPDATE " + t.quoted + " SET ";
  int next = 1;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += t.quoted_columns[cols[i]] + " = " + s.Placeholder(next++);
  }
  sql += " WHERE ";
  for (size_t k = 0; k < width; ++k) {
    if (k > 0) sql += " AND ";
    sql += t.quoted_columns[t.key_columns[k]] + " = " + s.Placeholder(next++);
  }
  for (Row* r : rows) {
    std::vector<SqlParam> params;
    for (size_t c : cols) params.push_back(TypedToSql(t.info.columns[c], r->values[c], dialect));
    AppendKeyParams(s, t, r->key, &params);
    DB_RETURN_IF_ERROR(Exec(s, sql, params, "updating " + t.info.name));
  }
  return Status::Ok();
}

Status SqlTarget::UpdateWriters(const SqlTableContext& t, const std::vector<Row*>& rows) {
  SqlSession& s = *session_;
  if (rows.empty()) return Status::Ok();
  if (s.dialect() == SqlDialect::kPostgres && rows.size() > 1) {
    const size_t per = BatchRows(s, 2) - 1;
    for (size_t start = 0; start < rows.size(); start += per) {
      size_t end = std::min(rows.size(), start + per);
      std::string sql = "UPDATE deltabridge_row_writers AS w SET writers = v.writers FROM (VALUES ";
      std::vector<SqlParam> params = {SqlParam::Text(t.info.name)};
      int next = 2;
      for (size_t i = start; i < end; ++i) {
        if (i > start) sql += ", ";
        sql += "(" + s.Placeholder(next) + "::text, " + s.Placeholder(next + 1) + "::json)";
        next += 2;
        params.push_back(SqlParam::Text(rows[i]->row_key));
        params.push_back(SqlParam::Text(EncodeRowWriters(rows[i]->writers)));
      }
      sql += ") AS v(row_key, writers) WHERE w.target_table = $1 AND w.row_key = v.row_key";
      DB_RETURN_IF_ERROR(Exec(s, sql, params, "writing deltabridge_row_writers"));
    }
    return Status::Ok();
  }
  const std::string sql = "UPDATE deltabridge_row_writers SET writers = " + s.Placeholder(1) +
                          " WHERE target_table = " + s.Placeholder(2) +
                          " AND row_key = " + s.Placeholder(3);
  for (Row* r : rows) {
    DB_RETURN_IF_ERROR(Exec(s, sql,
                            {SqlParam::Text(EncodeRowWriters(r->writers)),
                             SqlParam::Text(t.info.name), SqlParam::Text(r->row_key)},
                            "writing deltabridge_row_writers"));
  }
  return Status::Ok();
}

Status SqlTarget::ApplyTruncate(const SinkDelta& d, ChunkState& state) {
  SqlTableContext* t = tables_.at(d.mapping->to).get();
  state.counters.deltas++;
  if (d.mapping->on_delete == OnDelete::kIgnore) return Status::Ok();
  if (d.mapping->on_delete == OnDelete::kApply && t->mappings == 1) {
    uint64_t n = 0;
    DB_RETURN_IF_ERROR(
        Exec(*session_, "DELETE FROM " + t->quoted, {}, "truncating " + t->info.name, &n));
    DB_RETURN_IF_ERROR(
        Exec(*session_,
             "DELETE FROM deltabridge_row_writers WHERE target_table = " + session_->Placeholder(1),
             {SqlParam::Text(t->info.name)}, "truncating " + t->info.name));
    state.counters.rows_deleted += n;
    return Status::Ok();
  }
  HoldConflict(d, ConflictKind::kTruncate, "[]",
               d.mapping->on_delete == OnDelete::kApply
                   ? "the source table " + d.topic + " was truncated, and " + t->info.name +
                         " is written by several mappings: held for review rather than emptied"
                   : "the source table " + d.topic + " was truncated (on_delete: " +
                         std::string(OnDeleteName(d.mapping->on_delete)) + ")",
               state);
  return Status::Ok();
}

Status SqlTarget::ApplyKeyChange(const SinkDelta& d, Mapped& m, ChunkState& state) {
  DB_RETURN_IF_ERROR(Prefetch({&m}, state));
  Row* old_row = state.Find(m.table, m.row_key);
  const std::string new_row_key = RowKeyText(*m.new_key);
  Row* new_row = state.Find(m.table, new_row_key);
  if (old_row != nullptr && old_row->exists) {
    if (new_row != nullptr && new_row->exists) {
      Reject(d, &m,
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
    DB_RETURN_IF_ERROR(Exec(s, sql, params, "changing a key in " + t.info.name));
    DB_RETURN_IF_ERROR(
        Exec(s,
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
  DB_RETURN_IF_ERROR(Prefetch({&m}, state));
  return ReconcileOne(d, m, state);
}

}  // namespace deltabridge
