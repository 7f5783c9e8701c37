#include "sinks/sql/delta_mapper.h"

#include <optional>
#include <utility>

#include "sinks/sql/column_values.h"

namespace deltabridge {

Result<MappedDelta> DeltaMapper::Map(const SinkDelta& d) {
  const MappingConfig& mapping = *d.mapping;
  ColumnCache& cache = cache_[&mapping];
  if (cache.table == nullptr) {
    auto it = tables_->find(mapping.to);
    if (it == tables_->end()) {
      return Status::FailedPrecondition("no target table context for " + mapping.to);
    }
    cache.table = it->second.get();
  }
  MappedDelta m;
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

}  // namespace deltabridge
