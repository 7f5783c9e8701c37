#include "sinks/sql/sql_session.h"

#include <strings.h>

namespace deltabridge {

std::string_view SqlDialectName(SqlDialect dialect) {
  switch (dialect) {
    case SqlDialect::kPostgres:
      return "postgres";
    case SqlDialect::kMysql:
      return "mysql";
    case SqlDialect::kSqlite:
      return "sqlite";
    case SqlDialect::kGeneric:
      return "generic";
  }
  return "unknown";
}

std::string_view ColumnCategoryName(ColumnCategory category) {
  switch (category) {
    case ColumnCategory::kBool:
      return "bool";
    case ColumnCategory::kInteger:
      return "integer";
    case ColumnCategory::kDecimal:
      return "decimal";
    case ColumnCategory::kFloat:
      return "float";
    case ColumnCategory::kText:
      return "text";
    case ColumnCategory::kBinary:
      return "binary";
    case ColumnCategory::kDate:
      return "date";
    case ColumnCategory::kTime:
      return "time";
    case ColumnCategory::kTimestamp:
      return "timestamp";
    case ColumnCategory::kTimestampTz:
      return "timestamptz";
    case ColumnCategory::kJson:
      return "json";
    case ColumnCategory::kOther:
      return "other";
  }
  return "unknown";
}

const TargetColumnInfo* TargetTableInfo::Find(std::string_view column) const {
  for (const TargetColumnInfo& c : columns) {
    if (c.name == column) return &c;
  }
  for (const TargetColumnInfo& c : columns) {
    if (c.name.size() == column.size() &&
        strncasecmp(c.name.data(), column.data(), column.size()) == 0) {
      return &c;
    }
  }
  return nullptr;
}

Status SqlSession::CopyIn(std::string_view, const std::vector<std::string>&,
                          const std::vector<SqlParam>&) {
  return Status::FailedPrecondition("internal: COPY is not supported by " + Describe());
}

std::string QuoteTableName(const SqlSession& session, std::string_view table) {
  std::string out;
  size_t start = 0;
  while (true) {
    size_t dot = table.find('.', start);
    std::string_view part =
        table.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    out += session.QuoteIdentifier(part);
    if (dot == std::string_view::npos) break;
    out += '.';
    start = dot + 1;
  }
  return out;
}

}  // namespace deltabridge
