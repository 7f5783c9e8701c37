#include "cdc/wire/origin_tag.h"

#include <nlohmann/json.hpp>

#include "cdc/wire/envelope.h"

namespace deltabridge {
namespace {

std::string_view LastPart(std::string_view table) {
  size_t dot = table.rfind('.');
  return dot == std::string_view::npos ? table : table.substr(dot + 1);
}

}  // namespace

bool IsValidOriginRef(std::string_view ref) {
  if (ref.empty() || ref.size() > kMaxOriginRefBytes) return false;
  for (char c : ref) {
    if (c < ' ' || c > '~') return false;
  }
  return true;
}

std::string EncodeOriginTag(uint64_t n, const std::vector<std::string>& path, bool publish,
                            std::string_view ref) {
  std::string out = "{\"n\":" + std::to_string(n) + ",\"path\":[";
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(&out, path[i]);
  }
  out.push_back(']');
  if (publish) out.append(",\"publish\":true");
  if (!ref.empty()) {
    out.append(",\"ref\":");
    AppendJsonString(&out, ref);
  }
  out.push_back('}');
  return out;
}

Result<OriginTag> ParseOriginTag(std::string_view tag) {
  nlohmann::json j = nlohmann::json::parse(tag, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("path") || !j["path"].is_array() ||
      j["path"].empty()) {
    return Status::Corruption("origin tag is not {\"n\":N,\"path\":[NODE, ...]}");
  }
  std::vector<std::string> path;
  for (const auto& node : j["path"]) {
    if (!node.is_string() || node.get<std::string>().empty()) {
      return Status::Corruption("origin tag path holds " + node.dump() + ", not a node name");
    }
    path.push_back(node.get<std::string>());
  }
  OriginTag parsed;
  parsed.path = std::move(path);
  if (j.contains("publish")) {
    if (!j["publish"].is_boolean())
      return Status::Corruption("origin tag publish is not a boolean");
    parsed.publish = j["publish"].get<bool>();
  }
  if (j.contains("ref")) {
    if (!j["ref"].is_string() || !IsValidOriginRef(j["ref"].get<std::string>())) {
      std::string shown = j["ref"].dump(-1, ' ', /*ensure_ascii=*/true);
      if (shown.size() > 80) shown = shown.substr(0, 80) + "...";
      return Status::Corruption("origin tag ref is " + shown + ", not 1 to " +
                                std::to_string(kMaxOriginRefBytes) + " printable ASCII characters");
    }
    parsed.ref = j["ref"].get<std::string>();
  }
  return parsed;
}

Result<std::vector<std::string>> DecodeOriginTag(std::string_view tag) {
  DB_ASSIGN_OR_RETURN(OriginTag parsed, ParseOriginTag(tag));
  return std::move(parsed.path);
}

std::string OriginTagCreateSql(std::string_view table, bool mysql) {
  std::string sql = "CREATE TABLE " + std::string(table) + " " + std::string(kOriginTagColumnsSql);
  if (mysql) sql += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
  return sql;
}

std::string OriginTagGrantSql(std::string_view table, std::string_view grantee) {
  return "GRANT " + std::string(kOriginTagPrivileges) + " ON " + std::string(table) + " TO " +
         std::string(grantee);
}

bool IsOriginTagTable(std::string_view table) { return LastPart(table) == kOriginTagTable; }

bool IsDeltabridgeTable(std::string_view table) {
  return LastPart(table).starts_with("deltabridge_");
}

}  // namespace deltabridge
