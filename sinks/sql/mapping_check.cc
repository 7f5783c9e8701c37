#include "sinks/sql/mapping_check.h"

#include <memory>
#include <utility>

namespace deltabridge {

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

Result<SqlTables> DescribeMappedTables(SqlSession& session, const SinkConfig& config) {
  SqlTables tables;
  std::vector<std::string> problems;
  for (size_t i = 0; i < config.mappings.size(); ++i) {
    const MappingConfig& m = config.mappings[i];
    auto it = tables.find(m.to);
    if (it == tables.end()) {
      Result<TargetTableInfo> info = session.DescribeTable(m.to);
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
      ctx->quoted = QuoteTableName(session, m.to);
      for (const TargetColumnInfo& c : ctx->info.columns) {
        ctx->quoted_columns.push_back(session.QuoteIdentifier(c.name));
      }
      for (const std::string& k : m.key) {
        for (size_t c = 0; c < ctx->info.columns.size(); ++c) {
          if (&ctx->info.columns[c] == ctx->info.Find(k)) ctx->key_columns.push_back(c);
        }
      }
      if (session.supports_copy() && !ctx->info.primary_key.empty() &&
          ctx->info.primary_key.size() == ctx->key_columns.size()) {
        ctx->copy_ok = true;
        for (const std::string& pk : ctx->info.primary_key) {
          bool in_key = false;
          for (size_t k : ctx->key_columns) in_key = in_key || ctx->info.columns[k].name == pk;
          ctx->copy_ok = ctx->copy_ok && in_key;
        }
      }
      it = tables.emplace(m.to, std::move(ctx)).first;
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
  return tables;
}

}  // namespace deltabridge
