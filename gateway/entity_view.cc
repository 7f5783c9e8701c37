#include "gateway/entity_view.h"

#include <algorithm>

#include "cdc/core/glob.h"

namespace deltabridge {
namespace {

bool Excluded(const EntityConfig& config, std::string_view column) {
  return std::find(config.exclude.begin(), config.exclude.end(), column) != config.exclude.end();
}

bool Wanted(const ClientView& client, const std::vector<std::string>& key,
            std::string_view column) {
  if (!client.columns) return true;
  if (client.columns->count(column) != 0) return true;
  return std::find(key.begin(), key.end(), column) != key.end();
}

Row KeyObject(const Row& row, const std::vector<std::string>& key) {
  Row out = Row::object();
  for (const auto& column : key) {
    auto it = row.find(column);
    out[column] = it == row.end() ? Row() : *it;
  }
  return out;
}

const char* OpName(bool in_before, bool in_after) {
  if (in_before && in_after) return "update";
  return in_after ? "insert" : "delete";
}

}  // namespace

bool EntityView::Shows(const StoredTable& table) const {
  for (const auto& pattern : config_.from) {
    if (GlobMatch(pattern, table.topic)) return true;
  }
  return false;
}

std::string EntityView::Shown(std::string_view source_column) const {
  if (Excluded(config_, source_column)) return "";
  auto it = config_.columns.find(source_column);
  return it == config_.columns.end() ? std::string(source_column) : it->second;
}

std::string EntityView::SourceOf(std::string_view shown) const {
  for (const auto& [source, name] : config_.columns) {
    if (name == shown) return source;
  }
  if (config_.columns.count(shown) != 0) return "";  // renamed away: no longer shown as itself
  if (Excluded(config_, shown)) return "";
  return std::string(shown);
}

Row EntityView::Project(const Row& row) const {
  if (row.is_null()) return row;
  if (config_.columns.empty() && config_.exclude.empty()) return row;
  Row out = Row::object();
  for (auto it = row.begin(); it != row.end(); ++it) {
    std::string shown = Shown(it.key());
    if (!shown.empty()) out[shown] = *it;
  }
  return out;
}

std::vector<std::string> EntityView::ShownKey(const StoredTable& table) const {
  std::vector<std::string> key;
  for (const auto& column : table.key_columns) {
    // A key column is always shown: an excluded key keeps its own name so
    // that rows stay identifiable (the loader refuses excluding one).
    std::string shown = Shown(column);
    key.push_back(shown.empty() ? column : shown);
  }
  return key;
}

ShownChange Show(const EntityView& view, const RowChange& change) {
  ShownChange shown;
  shown.change = &change;
  shown.before = view.Project(change.before);
  shown.after = view.Project(change.after);
  shown.key = view.ShownKey(*change.table);
  return shown;
}

std::optional<std::string> EncodeDelta(const ShownChange& shown, const ClientView& client) {
  const RowChange& change = *shown.change;
  const bool truncate = change.kind == RowChange::Kind::kTruncate;
  // The filter first: most filtered clients see none of a change.
  const bool in_before =
      !truncate && !shown.before.is_null() && client.filter.Matches(shown.before);
  const bool in_after = !truncate && !shown.after.is_null() && client.filter.Matches(shown.after);
  if (!truncate && !in_before && !in_after) return std::nullopt;
  Row message = Row::object();
  message["seq"] = change.seq;
  if (truncate) {
    message["op"] = "truncate";
    message["table"] = change.table->table;
    message["ts"] = change.ts;
    return message.dump();
  }

  Row changes = Row::object();
  if (in_before && in_after) {
    for (auto it = shown.after.begin(); it != shown.after.end(); ++it) {
      if (!Wanted(client, shown.key, it.key())) continue;
      auto old = shown.before.find(it.key());
      const Row old_value = old == shown.before.end() ? Row() : *old;
      if (old != shown.before.end() && old_value == *it) continue;
      changes[it.key()] = Row{{"old", old_value}, {"new", *it}};
    }
    if (changes.empty()) return std::nullopt;
  } else {
    const Row& row = in_after ? shown.after : shown.before;
    const char* side = in_after ? "new" : "old";
    for (auto it = row.begin(); it != row.end(); ++it) {
      if (Wanted(client, shown.key, it.key())) changes[it.key()] = Row{{side, *it}};
    }
  }
  message["op"] = OpName(in_before, in_after);
  message["key"] = KeyObject(in_before ? shown.before : shown.after, shown.key);
  message["changes"] = std::move(changes);
  message["ts"] = change.ts;
  message["table"] = change.table->table;
  if (!change.origin.empty()) message["origin"] = change.origin;
  if (!change.ref.empty()) message["ref"] = change.ref;
  return message.dump();
}

std::optional<std::string> EncodeSnapshot(const StoredTable& table,
                                          const std::vector<std::string>& shown_key,
                                          const Row& shown_row, const ClientView& client) {
  if (!client.filter.Matches(shown_row)) return std::nullopt;
  Row changes = Row::object();
  for (auto it = shown_row.begin(); it != shown_row.end(); ++it) {
    if (Wanted(client, shown_key, it.key())) changes[it.key()] = Row{{"new", *it}};
  }
  Row message = Row::object();
  message["op"] = "snapshot";
  message["key"] = KeyObject(shown_row, shown_key);
  message["changes"] = std::move(changes);
  message["table"] = table.table;
  return message.dump();
}

std::string EncodeStart(std::string_view entity, std::string_view mode) {
  Row message = Row::object();
  message["control"] = "start";
  message["entity"] = entity;
  message["mode"] = mode;
  return message.dump();
}

std::string EncodeReset(uint64_t seq, std::string_view reason) {
  Row message = Row::object();
  message["control"] = "reset";
  message["seq"] = seq;
  message["reason"] = reason;
  return message.dump();
}

std::string EncodeUpToDate(uint64_t seq) {
  return "{\"control\":\"up-to-date\",\"seq\":" + std::to_string(seq) + "}";
}

std::string EncodeHeartbeat(uint64_t seq) {
  return "{\"control\":\"heartbeat\",\"seq\":" + std::to_string(seq) + "}";
}

}  // namespace deltabridge
