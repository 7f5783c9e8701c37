// EntityView and ClientView: how an entity shows the rows the store keeps
// (its tables, renames and excludes: the entity's part of the gateway file),
// and how one client narrows that (its `where`, its token's filter, its
// `columns`); and the messages of docs/gateway.md built from them.
//
// A change is shown once per entity (ShownChange: the row before and after
// in shown names) and then encoded per client; clients without a filter or
// columns share one encoding (the hub caches it).
//
// Plain values; const functions are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/entity_store.h"
#include "gateway/gateway_config.h"
#include "gateway/row_filter.h"

namespace deltabridge {

class EntityView {
 public:
  explicit EntityView(const EntityConfig& config) : config_(config) {}

  const EntityConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  // Whether the entity shows `table`'s rows (its topic matches a `from`).
  bool Shows(const StoredTable& table) const;
  // The shown name of a source column; "" when excluded.
  std::string Shown(std::string_view source_column) const;
  // The source column shown as `shown`; "" when none (it may still exist in
  // the rows: a column that is not renamed keeps its name).
  std::string SourceOf(std::string_view shown) const;
  // `row` in shown names, excluded columns left out; null stays null.
  Row Project(const Row& row) const;
  // The table's key columns, shown names.
  std::vector<std::string> ShownKey(const StoredTable& table) const;

 private:
  EntityConfig config_;  // a copy: views outlive reloads of nothing else
};

// A change as an entity shows it.
struct ShownChange {
  const RowChange* change = nullptr;  // borrowed
  Row before;                         // shown names; null when none
  Row after;
  std::vector<std::string> key;  // shown key columns
};
ShownChange Show(const EntityView& view, const RowChange& change);

// One client's narrowing of an entity.
struct ClientView {
  RowFilter filter;  // its `where` and its token's filter; empty: every row
  // `columns`: the shown columns it wants (key columns always come); nullopt: all.
  std::optional<std::set<std::string, std::less<>>> columns;

  bool plain() const { return filter.empty() && !columns; }
};

// The delta message for `client`, or nullopt when the client sees no change
// (the row stays outside its filter, or no column it sees changed). A row
// entering the filter is an insert, one leaving it a delete.
std::optional<std::string> EncodeDelta(const ShownChange& shown, const ClientView& client);
// The snapshot message of a current row (shown names), or nullopt when the
// client's filter leaves it out.
std::optional<std::string> EncodeSnapshot(const StoredTable& table,
                                          const std::vector<std::string>& shown_key,
                                          const Row& shown_row, const ClientView& client);

// Control messages.
std::string EncodeStart(std::string_view entity, std::string_view mode);
std::string EncodeReset(uint64_t seq, std::string_view reason);
std::string EncodeUpToDate(uint64_t seq);
std::string EncodeHeartbeat(uint64_t seq);

}  // namespace deltabridge
