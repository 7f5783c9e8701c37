// Change and Delta: the vocabulary every source and sink shares.
//
// A Change is one row change as a source saw it, already reduced to the
// field-level form of contract section 3: for an update with a before-image
// only the columns whose value changed, for an insert every column as new.
// A Delta is a Change once the bridge has numbered it (`seq`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdc/core/value.h"

namespace deltabridge {

enum class Op : uint8_t { kInsert, kUpdate, kDelete, kSnapshot, kTruncate };

std::string_view OpName(Op op);
// Parses "insert", "update", ...; false when unknown.
bool ParseOp(std::string_view name, Op* op);

struct ColumnChange {
  std::string name;
  std::optional<Value> old_value;  // absent: no before-image for this column
  std::optional<Value> new_value;  // absent: column deleted / not in after-image
};

struct Change {
  std::string source;  // configured source name
  std::string table;   // schema.table (postgres), database.table (mysql), name (odbc)
  Op op = Op::kInsert;
  std::vector<std::pair<std::string, Value>> key;  // the old key on a key-changing update
  std::vector<ColumnChange> changes;
  int64_t commit_time_us = 0;  // source commit time, microseconds since the Unix epoch (UTC)
  std::string pos;             // source position, opaque to everything but the source
  std::string tx_id;           // groups the deltas of one source transaction
  bool tx_last = false;        // the last delta of its transaction
  // The node that captured the change, when it is not named <bridge>.<source>
  // (a source's `node:`); empty: the default name.
  std::string node;
  // For a change a sink wrote into the captured database: the nodes it passed
  // through, the one where it first happened first, the capturing node last
  // (docs/two-way.md). Empty for an ordinary change.
  std::vector<std::string> origin;
  // The ref of the application's push that wrote the change (docs/two-way.md,
  // "The application's push"): set from the origin tag with `origin`, kept
  // along the path when the change is forwarded; empty for any other change.
  std::string ref;
};

// The path of nodes a delta from `bridge` has passed through: its origin, or
// for an ordinary change the one node that captured it.
std::vector<std::string> DeltaPath(std::string_view bridge, const Change& change);
// The capturing node of a change from `bridge`: `change.node`, else <bridge>.<source>.
std::string CapturingNode(std::string_view bridge, const Change& change);

struct Delta {
  uint64_t seq = 0;
  std::string bridge;
  Change change;
};

}  // namespace deltabridge
