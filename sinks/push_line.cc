#include "sinks/push_line.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "cdc/config/common_keys.h"
#include "cdc/core/utc_time.h"
#include "cdc/wire/envelope.h"
#include "cdc/wire/origin_tag.h"

namespace deltabridge {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kShape =
    R"(a JSON object like {"op":"update","key":{"id":42},"changes":{"status":{"old":"open","new":"booked"}}})";

// A name from the line for a message: JSON-quoted, cut to 64 bytes.
std::string Quote(std::string_view name) {
  std::string out;
  if (name.size() > 64) {
    AppendJsonString(&out, std::string(name.substr(0, 64)) + "...");
  } else {
    AppendJsonString(&out, name);
  }
  return out;
}

// `prefix`.`name` for a message: the name as it is when it is a plain
// identifier, else quoted.
std::string Member(std::string_view prefix, std::string_view name) {
  const bool plain =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '_' || ch == '-';
      });
  return std::string(prefix) + "." + (plain ? std::string(name) : Quote(name));
}

Status Bad(std::string why) { return Status::InvalidArgument(std::move(why)); }

// "a string", "an array", ...: what a JSON value is, for messages.
std::string KindOf(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::binary:
      return "binary";
    case Json::value_t::discarded:
      return "nothing";
    default:
      return "a number";
  }
}

// The value of a column: a JSON scalar, as the wire decoder reads it.
Result<Value> ScalarValue(const Json& j, const std::string& where) {
  if (j.is_array() || j.is_object()) {
    return Bad(where + " is " + KindOf(j) +
               ": expected null, true, false, a number or a string (a JSON column as its text "
               "in a string)");
  }
  return ValueFromJson(j);
}

// The mapping's source name of target column `target` (the inverse of its
// `columns:` renames).
std::string SourceName(const MappingConfig& mapping, std::string_view target) {
  for (const auto& [source, renamed] : mapping.columns) {
    if (renamed == target) return source;
  }
  return std::string(target);
}

// Whether target column names `a` and `b` are one column of `table` (exact,
// else as the table finds them).
bool SameColumn(const TargetTableInfo* table, std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (table == nullptr) return false;
  const TargetColumnInfo* ca = table->Find(a);
  return ca != nullptr && ca == table->Find(b);
}

// The mapping's key in source names: "[id]".
std::string KeyList(const MappingConfig& mapping) {
  std::string out = "[";
  for (size_t i = 0; i < mapping.key.size(); ++i) {
    if (i > 0) out += ", ";
    out += SourceName(mapping, mapping.key[i]);
  }
  return out + "]";
}

// Checks that source column `name` lands in a column of the route's table.
Status CheckColumn(const PushRoute& route, const std::string& name, std::string_view where) {
  const MappingConfig& mapping = *route.mapping;
  const std::string target = TargetColumn(mapping, name);
  if (target.empty() || route.table == nullptr) return Status::Ok();  // excluded, or not checked
  if (route.table->Find(target) != nullptr) return Status::Ok();
  std::string known;
  size_t listed = 0;
  for (const TargetColumnInfo& c : route.table->columns) {
    std::string source = SourceName(mapping, c.name);
    if (std::find(mapping.exclude.begin(), mapping.exclude.end(), source) !=
        mapping.exclude.end()) {
      continue;
    }
    if (listed == 30) {
      known += ", ...";
      break;
    }
    known += (listed++ == 0 ? "" : ", ") + source;
  }
  return Bad("unknown column " + Quote(name) + " in " + std::string(where) + ": " +
             route.table->name + " has no column " + Quote(target) + " (mapping from " +
             mapping.from + "); expected one of " + known);
}

Result<Op> ReadOp(const Json& j) {
  auto it = j.find("op");
  if (it == j.end()) return Bad("op is missing: expected \"insert\", \"update\" or \"delete\"");
  if (!it->is_string()) {
    return Bad("op is " + KindOf(*it) + ": expected \"insert\", \"update\" or \"delete\"");
  }
  const std::string& name = it->get_ref<const std::string&>();
  Op op = Op::kInsert;
  if (!ParseOp(name, &op)) {
    return Bad("unknown op " + Quote(name) + ": expected \"insert\", \"update\" or \"delete\"");
  }
  if (op == Op::kSnapshot || op == Op::kTruncate) {
    return Bad("op " + Quote(name) +
               " is not pushed (only a bridge sends it): expected \"insert\", \"update\" or "
               "\"delete\"");
  }
  return op;
}

Status ReadKey(const Json& j, const PushRoute& route, Change& c) {
  const MappingConfig& mapping = *route.mapping;
  const std::string expected = "expected an object of the mapping's key " + KeyList(mapping) +
                               ", like {\"" + SourceName(mapping, mapping.key.front()) + "\": 42}";
  auto it = j.find("key");
  if (it == j.end()) return Bad("key is missing: " + expected);
  if (!it->is_object() || it->empty()) {
    return Bad("key is " + (it->is_object() ? std::string("empty") : KindOf(*it)) + ": " +
               expected);
  }
  for (const auto& [name, v] : it->items()) {
    const std::string where = Member("key", name);
    DB_RETURN_IF_ERROR(CheckColumn(route, name, "key"));
    const std::string target = TargetColumn(mapping, name);
    bool is_key = false;
    for (const std::string& k : mapping.key) is_key = is_key || SameColumn(route.table, target, k);
    if (!is_key) return Bad(where + " is not a key column: " + expected);
    DB_ASSIGN_OR_RETURN(Value value, ScalarValue(v, where));
    if (value.is_null()) return Bad(where + " is null: a key column needs a value");
    c.key.emplace_back(name, std::move(value));
  }
  for (const std::string& k : mapping.key) {
    bool found = false;
    for (const auto& [name, value] : c.key) {
      found = found || SameColumn(route.table, TargetColumn(mapping, name), k);
    }
    if (!found) return Bad("key lacks " + Quote(SourceName(mapping, k)) + ": " + expected);
  }
  return Status::Ok();
}

Status ReadChanges(const Json& j, const PushRoute& route, Change& c) {
  std::string_view form;
  switch (c.op) {
    case Op::kInsert:
      form = R"({"new": v})";
      break;
    case Op::kUpdate:
      form = R"({"old": v, "new": v} or {"new": v})";
      break;
    default:
      form = R"({"old": v})";
      break;
  }
  const std::string expected = "expected an object holding " + std::string(form) + " per column" +
                               (c.op == Op::kDelete ? " ({} for none)" : "");
  auto it = j.find("changes");
  if (it == j.end()) return Bad("changes is missing: " + expected);
  if (!it->is_object()) return Bad("changes is " + KindOf(*it) + ": " + expected);
  if (c.op == Op::kUpdate && it->empty()) {
    return Bad("changes is empty: an update changes at least one column; " + expected);
  }
  for (const auto& [name, v] : it->items()) {
    const std::string where = Member("changes", name);
    const std::string this_form = where + " of " + (c.op == Op::kDelete ? "a " : "an ") +
                                  std::string(OpName(c.op)) + " is expected as " +
                                  std::string(form);
    if (!v.is_object()) return Bad(where + " is " + KindOf(v) + ": " + this_form);
    ColumnChange cc;
    cc.name = name;
    for (const auto& [part, value] : v.items()) {
      if (part != "old" && part != "new") {
        return Bad(where + " holds " + Quote(part) + ": " + this_form);
      }
      DB_ASSIGN_OR_RETURN(Value typed, ScalarValue(value, where + "." + part));
      (part == "old" ? cc.old_value : cc.new_value) = std::move(typed);
    }
    const bool ok = c.op == Op::kInsert   ? (cc.new_value && !cc.old_value)
                    : c.op == Op::kUpdate ? cc.new_value.has_value()
                                          : (cc.old_value && !cc.new_value);
    if (!ok) return Bad(this_form);
    DB_RETURN_IF_ERROR(CheckColumn(route, name, "changes"));
    c.changes.push_back(std::move(cc));
  }
  return Status::Ok();
}

Status ReadOrigin(const Json& j, Change& c) {
  auto it = j.find("origin");
  if (it == j.end()) return Status::Ok();
  const std::string expected = "expected a non-empty array of node names (" +
                               std::string(kNodeNameRule) + "), the first where it happened";
  if (!it->is_array() || it->empty()) {
    return Bad("origin is " + (it->is_array() ? std::string("empty") : KindOf(*it)) + ": " +
               expected);
  }
  for (const Json& n : *it) {
    if (!n.is_string() || !IsValidNodeName(n.get_ref<const std::string&>())) {
      return Bad("origin holds " +
                 (n.is_string() ? Quote(n.get_ref<const std::string&>()) : KindOf(n)) + ": " +
                 expected);
    }
    c.origin.push_back(n.get<std::string>());
  }
  return Status::Ok();
}

Status ReadRef(const Json& j, Change& c) {
  auto it = j.find("ref");
  if (it == j.end()) return Status::Ok();
  if (!it->is_string() || !IsValidOriginRef(it->get_ref<const std::string&>())) {
    return Bad("ref is " +
               (it->is_string() ? Quote(it->get_ref<const std::string&>()) : KindOf(*it)) +
               ": expected a string of 1 to " + std::to_string(kMaxOriginRefBytes) +
               " printable ASCII characters, like \"app:17\"");
  }
  c.ref = it->get<std::string>();
  return Status::Ok();
}

}  // namespace

std::optional<std::pair<std::string, std::string>> PushNodeParts(std::string_view node) {
  const size_t dot = node.find('.');
  if (dot == std::string_view::npos || !IsValidNodeName(node)) return std::nullopt;
  return std::make_pair(std::string(node.substr(0, dot)), std::string(node.substr(dot + 1)));
}

Result<SinkDelta> ParsePushLine(std::string_view line, const PushRoute& route, uint64_t seq,
                                int64_t now_us) {
  if (route.mapping == nullptr || route.mapping->key.empty()) {
    return Status::FailedPrecondition("push: no mapping to push through");
  }
  std::optional<std::pair<std::string, std::string>> parts = PushNodeParts(route.node);
  if (!parts) return Status::FailedPrecondition("push: node " + route.node + " is not a node name");
  if (line.size() > kMaxPushLineBytes) {
    return Bad("the line is longer than " + std::to_string(kMaxPushLineBytes) +
               " bytes (1 MiB): expected one change per line, at most that long");
  }
  Json j;
  try {
    j = Json::parse(line);
  } catch (const Json::parse_error& e) {
    return Bad("not JSON (at byte " + std::to_string(e.byte) + "): expected " +
               std::string(kShape));
  } catch (const Json::exception&) {
    // out_of_range: a number beyond a double's range.
    return Bad(
        "a number out of range: expected numbers a double can hold (a value that must stay "
        "exact, like a large integer or a decimal, as a string of digits)");
  }
  if (!j.is_object()) return Bad("the line is " + KindOf(j) + ": expected " + std::string(kShape));
  for (const auto& [member, v] : j.items()) {
    if (member != "op" && member != "key" && member != "changes" && member != "ts" &&
        member != "origin" && member != "ref") {
      return Bad("unknown member " + Quote(member) +
                 ": a push line holds op, key, changes and optionally ts, origin and ref");
    }
  }

  SinkDelta d;
  d.mapping = route.mapping;
  d.topic = route.node + "." + route.mapping->to;
  d.delta.seq = seq;
  d.delta.bridge = parts->first;
  Change& c = d.delta.change;
  c.source = parts->second;
  c.node = route.node;
  c.table = route.mapping->to;
  c.tx_id = std::to_string(seq);
  c.tx_last = true;
  c.commit_time_us = now_us;

  DB_ASSIGN_OR_RETURN(c.op, ReadOp(j));
  DB_RETURN_IF_ERROR(ReadKey(j, route, c));
  DB_RETURN_IF_ERROR(ReadChanges(j, route, c));
  if (auto ts = j.find("ts"); ts != j.end()) {
    if (!ts->is_string() || !ParseUtcMicros(ts->get_ref<const std::string&>(), &c.commit_time_us)) {
      return Bad("ts is " +
                 (ts->is_string() ? Quote(ts->get_ref<const std::string&>()) : KindOf(*ts)) +
                 ": expected the commit time in UTC, like \"2026-11-27T10:00:00.123456Z\"");
    }
  }
  DB_RETURN_IF_ERROR(ReadOrigin(j, c));
  DB_RETURN_IF_ERROR(ReadRef(j, c));
  return d;
}

}  // namespace deltabridge
