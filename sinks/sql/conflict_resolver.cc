#include "sinks/sql/conflict_resolver.h"

#include <map>
#include <nlohmann/json.hpp>

#include "cdc/wire/envelope.h"
#include "sinks/sql/column_values.h"
#include "sinks/sql/state_tables.h"

namespace deltabridge {
namespace {

Result<nlohmann::ordered_json> ParseJson(const std::optional<std::string>& text,
                                         std::string_view what) {
  if (!text) return Status::Corruption(std::string(what) + " is NULL");
  nlohmann::ordered_json j =
      nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption(std::string(what) + " is not JSON: " + *text);
  return j;
}

struct TableKey {
  TargetTableInfo info;
  std::vector<const TargetColumnInfo*> key;  // in mapping key order
};

Result<TableKey> LoadTable(SqlSession& s, const SinkConfig& config, const std::string& table) {
  const MappingConfig* mapping = nullptr;
  for (const MappingConfig& m : config.mappings) {
    if (m.to == table) {
      mapping = &m;
      break;
    }
  }
  if (mapping == nullptr) {
    return Status::FailedPrecondition("no mapping of the sink file writes " + table +
                                      " any more; resolve it by hand in the database");
  }
  TableKey t;
  DB_ASSIGN_OR_RETURN(t.info, s.DescribeTable(table));
  for (const std::string& k : mapping->key) {
    const TargetColumnInfo* c = t.info.Find(k);
    if (c == nullptr) return Status::FailedPrecondition(table + " has no key column " + k);
    t.key.push_back(c);
  }
  return t;
}

std::string Where(SqlSession& s, const TableKey& t, int* next) {
  std::string out;
  for (size_t k = 0; k < t.key.size(); ++k) {
    if (k > 0) out += " AND ";
    out += s.QuoteIdentifier(t.key[k]->name) + " = " + s.Placeholder((*next)++);
  }
  return out;
}

Status Exec(SqlSession& s, const std::string& sql, const std::vector<SqlParam>& params,
            uint64_t* affected = nullptr) {
  DB_ASSIGN_OR_RETURN(uint64_t n, s.Execute(sql, params));
  if (affected) *affected = n;
  return Status::Ok();
}

// Writes `values` (column -> typed) to the row: UPDATE, or INSERT with the key when missing.
Status WriteRow(SqlSession& s, const TableKey& t, const std::string& table,
                const std::vector<Value>& key,
                const std::vector<std::pair<const TargetColumnInfo*, Value>>& values) {
  const std::string quoted = QuoteTableName(s, table);
  uint64_t n = 0;
  if (!values.empty()) {
    std::string sql = "UPDATE " + quoted + " SET ";
    std::vector<SqlParam> params;
    int next = 1;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += s.QuoteIdentifier(values[i].first->name) + " = " + s.Placeholder(next++);
      params.push_back(TypedToSql(*values[i].first, values[i].second, s.dialect()));
    }
    sql += " WHERE " + Where(s, t, &next);
    for (size_t k = 0; k < key.size(); ++k) {
      params.push_back(TypedToSql(*t.key[k], key[k], s.dialect()));
    }
    DB_RETURN_IF_ERROR(Exec(s, sql, params, &n));
  } else {
    // Nothing to set: does the row exist?
    int next = 1;
    std::vector<SqlParam> params;
    for (size_t k = 0; k < key.size(); ++k) {
      params.push_back(TypedToSql(*t.key[k], key[k], s.dialect()));
    }
    DB_ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        s.Query("SELECT 1 FROM " + quoted + " WHERE " + Where(s, t, &next), params));
    n = rows.size();
  }
  if (n > 0) return Status::Ok();
  std::string cols, marks;
  std::vector<SqlParam> params;
  int next = 1;
  auto add = [&](const TargetColumnInfo& c, const Value& v) {
    if (!cols.empty()) {
      cols += ", ";
      marks += ", ";
    }
    cols += s.QuoteIdentifier(c.name);
    marks += s.Placeholder(next++);
    params.push_back(TypedToSql(c, v, s.dialect()));
  };
  for (size_t k = 0; k < key.size(); ++k) add(*t.key[k], key[k]);
  for (const auto& [c, v] : values) add(*c, v);
  return Exec(s, "INSERT INTO " + quoted + " (" + cols + ") VALUES (" + marks + ")", params);
}

// `values` (targets with a node, docs/two-way.md): the value written into
// each column, stored with its writer so that an own-node delta can restore
// it; nullptr: none stored.
Status SetWriters(SqlSession& s, const std::string& table, const std::string& row_key,
                  const std::vector<std::string>& columns, const WriterMark& mark,
                  const std::map<std::string, Value>* values = nullptr) {
  DB_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      s.Query("SELECT writers FROM deltabridge_row_writers WHERE target_table = " +
                                  s.Placeholder(1) + " AND row_key = " + s.Placeholder(2),
                              {SqlParam::Text(table), SqlParam::Text(row_key)}));
  RowWriters writers;
  bool existed = !rows.empty() && !rows.front().empty() && rows.front()[0];
  if (existed) {
    Result<RowWriters> w = DecodeRowWriters(*rows.front()[0]);
    if (w.ok()) writers = std::move(w).value();
  }
  for (const std::string& c : columns) {
    writers[c] = mark;
    if (values != nullptr) {
      if (auto v = values->find(c); v != values->end()) writers[c].value = v->second;
    }
  }
  std::string json = EncodeRowWriters(writers);
  if (existed) {
    return Exec(s,
                "UPDATE deltabridge_row_writers SET writers = " + s.Placeholder(1) +
                    " WHERE target_table = " + s.Placeholder(2) +
                    " AND row_key = " + s.Placeholder(3),
                {SqlParam::Text(json), SqlParam::Text(table), SqlParam::Text(row_key)});
  }
  return Exec(s,
              "INSERT INTO deltabridge_row_writers (target_table, row_key, writers) VALUES (" +
                  s.Placeholder(1) + ", " + s.Placeholder(2) + ", " + s.Placeholder(3) + ")",
              {SqlParam::Text(table), SqlParam::Text(row_key), SqlParam::Text(json)});
}

Status DeleteRow(SqlSession& s, const TableKey& t, const std::string& table,
                 const std::vector<Value>& key, const std::string& row_key) {
  int next = 1;
  std::vector<SqlParam> params;
  for (size_t k = 0; k < key.size(); ++k)
    params.push_back(TypedToSql(*t.key[k], key[k], s.dialect()));
  DB_RETURN_IF_ERROR(
      Exec(s, "DELETE FROM " + QuoteTableName(s, table) + " WHERE " + Where(s, t, &next), params));
  return Exec(s,
              "DELETE FROM deltabridge_row_writers WHERE target_table = " + s.Placeholder(1) +
                  " AND row_key = " + s.Placeholder(2),
              {SqlParam::Text(table), SqlParam::Text(row_key)});
}

Result<std::vector<Value>> KeyFromRowKey(const TableKey& t, const std::string& row_key) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(row_key, nullptr, false);
  if (!j.is_array() || j.size() != t.key.size()) {
    return Status::Corruption("row_key " + row_key + " does not match the table's key");
  }
  std::vector<Value> key;
  for (size_t k = 0; k < t.key.size(); ++k) {
    DB_ASSIGN_OR_RETURN(Value v, WireToTyped(*t.key[k], ValueFromJson(j[k])));
    key.push_back(std::move(v));
  }
  return key;
}

Status ApplyIncoming(SqlSession& s, const SinkConfig& config, const ConflictRecord& c) {
  switch (c.kind) {
    case ConflictKind::kTruncate: {
      DB_RETURN_IF_ERROR(Exec(s, "DELETE FROM " + QuoteTableName(s, c.target_table), {}));
      return Exec(s, "DELETE FROM deltabridge_row_writers WHERE target_table = " + s.Placeholder(1),
                  {SqlParam::Text(c.target_table)});
    }
    case ConflictKind::kDelete: {
      DB_ASSIGN_OR_RETURN(TableKey t, LoadTable(s, config, c.target_table));
      DB_ASSIGN_OR_RETURN(std::vector<Value> key, KeyFromRowKey(t, c.row_key));
      return DeleteRow(s, t, c.target_table, key, c.row_key);
    }
    case ConflictKind::kField: {
      DB_ASSIGN_OR_RETURN(TableKey t, LoadTable(s, config, c.target_table));
      DB_ASSIGN_OR_RETURN(std::vector<Value> key, KeyFromRowKey(t, c.row_key));
      const TargetColumnInfo* col = t.info.Find(c.column_name);
      if (col == nullptr) {
        return Status::FailedPrecondition(c.target_table + " has no column " + c.column_name);
      }
      DB_ASSIGN_OR_RETURN(nlohmann::ordered_json j, ParseJson(c.incoming_value, "incoming_value"));
      DB_ASSIGN_OR_RETURN(Value v, WireToTyped(*col, ValueFromJson(j)));
      const std::map<std::string, Value> stored = {{col->name, v}};
      DB_RETURN_IF_ERROR(WriteRow(s, t, c.target_table, key, {{col, std::move(v)}}));
      return SetWriters(s, c.target_table, c.row_key, {col->name},
                        WriterMark{c.source, c.committed_at_us, c.seq},
                        config.target.node.empty() ? nullptr : &stored);
    }
    case ConflictKind::kRejected: {
      DB_ASSIGN_OR_RETURN(nlohmann::ordered_json j, ParseJson(c.incoming_value, "incoming_value"));
      if (!j.is_object() || !j.contains("topic") || !j["topic"].is_string()) {
        return Status::Corruption("incoming_value carries no topic");
      }
      const MappingConfig* mapping = FindMapping(config, j["topic"].get<std::string>());
      if (mapping == nullptr) {
        return Status::FailedPrecondition("no mapping takes " + j["topic"].get<std::string>() +
                                          " any more");
      }
      DB_ASSIGN_OR_RETURN(TableKey t, LoadTable(s, config, mapping->to));
      std::vector<std::optional<Value>> key(t.key.size());
      std::vector<std::pair<const TargetColumnInfo*, Value>> values;
      auto slot = [&](const TargetColumnInfo* c) -> int {
        for (size_t k = 0; k < t.key.size(); ++k) {
          if (t.key[k] == c) return static_cast<int>(k);
        }
        return -1;
      };
      if (j.contains("key") && j["key"].is_object()) {
        for (const auto& [name, value] : j["key"].items()) {
          const TargetColumnInfo* c = t.info.Find(TargetColumn(*mapping, name));
          if (c == nullptr || slot(c) < 0) continue;
          DB_ASSIGN_OR_RETURN(key[slot(c)], WireToTyped(*c, ValueFromJson(value)));
        }
      }
      if (j.contains("fields") && j["fields"].is_object()) {
        for (const auto& [name, value] : j["fields"].items()) {
          const TargetColumnInfo* c = t.info.Find(name);
          if (c == nullptr)
            return Status::FailedPrecondition(mapping->to + " has no column " + name);
          DB_ASSIGN_OR_RETURN(Value v, WireToTyped(*c, ValueFromJson(value)));
          int k = slot(c);
          if (k >= 0) {
            if (!key[k]) key[k] = std::move(v);
          } else {
            values.emplace_back(c, std::move(v));
          }
        }
      }
      std::vector<Value> full_key;
      for (size_t k = 0; k < key.size(); ++k) {
        if (!key[k])
          return Status::FailedPrecondition("the held change has no key " + t.key[k]->name);
        full_key.push_back(*key[k]);
      }
      std::string op = j.value("op", "");
      std::string row_key = RowKeyText(full_key);
      if (op == "delete") return DeleteRow(s, t, mapping->to, full_key, row_key);
      DB_RETURN_IF_ERROR(WriteRow(s, t, mapping->to, full_key, values));
      std::vector<std::string> columns;
      std::map<std::string, Value> stored;
      for (const auto& [c, v] : values) {
        columns.push_back(c->name);
        stored.emplace(c->name, v);
      }
      return SetWriters(s, mapping->to, row_key, columns,
                        WriterMark{c.source, c.committed_at_us, c.seq},
                        config.target.node.empty() ? nullptr : &stored);
    }
  }
  return Status::Ok();
}

}  // namespace

Status ResolveConflict(SqlSession& session, const SinkConfig& config, int64_t id,
                       std::string_view take, int64_t now_us) {
  if (take != "incoming" && take != "current") {
    return Status::InvalidArgument("--take must be incoming or current, got " + std::string(take));
  }
  DB_ASSIGN_OR_RETURN(ConflictRecord c, LoadConflict(session, id));
  if (c.sink != config.name) {
    return Status::NotFound("conflict " + std::to_string(id) + " belongs to sink " + c.sink +
                            ", not " + config.name);
  }
  if (c.resolved_at) {
    return Status::FailedPrecondition("conflict " + std::to_string(id) + " was resolved at " +
                                      *c.resolved_at + " (took " + c.resolution.value_or("?") +
                                      ")");
  }
  DB_RETURN_IF_ERROR(session.Begin());
  Status s = Status::Ok();
  if (take == "incoming") s = ApplyIncoming(session, config, c);
  if (s.ok()) s = MarkConflictResolved(session, id, take, now_us);
  if (s.ok()) s = session.Commit();
  if (!s.ok()) {
    Status r = session.Rollback();
    (void)r;
    return s;
  }
  return Status::Ok();
}

}  // namespace deltabridge
