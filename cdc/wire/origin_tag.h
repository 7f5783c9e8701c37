// The origin tag (docs/two-way.md): how a sink marks, inside a target
// database, the transactions it writes, and how a bridge capturing that
// database reads the mark back.
//
// A sink with a target node keeps one row per sink in the table
// deltabridge_origin and updates it at the start of every transaction (and
// again before a part whose path differs) with
//   {"n":N,"path":["parks.scheduling", ...]}
// where N changes with every write (MySQL logs no row event for an UPDATE
// that changes nothing) and path is the path of the deltas that follow
// (DeltaPath), with "publish" and "ref" for an application's push. The bridge strips the row and
// gives the rest of the transaction that origin. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

// The table's name (unqualified: it lives where the sink's other
// deltabridge_* state tables do).
inline constexpr std::string_view kOriginTagTable = "deltabridge_origin";
// Its columns, portable SQL for PostgreSQL, MySQL/MariaDB and SQLite:
// CREATE TABLE deltabridge_origin <kOriginTagColumnsSql>.
inline constexpr std::string_view kOriginTagColumnsSql =
    "(writer VARCHAR(200) NOT NULL PRIMARY KEY, tag VARCHAR(4000) NOT NULL)";
// What a sink needs on the table (its UPDATE reads the row it changes).
inline constexpr std::string_view kOriginTagPrivileges = "SELECT, INSERT, UPDATE";
// CREATE TABLE `table` with kOriginTagColumnsSql; `mysql`: with InnoDB and
// utf8mb4, whatever the server's defaults (a MyISAM tag would not be logged
// inside the transaction it describes). For sinks and for the SQL a DBA is
// told to run.
std::string OriginTagCreateSql(std::string_view table, bool mysql = false);
// GRANT kOriginTagPrivileges ON `table` TO `grantee`.
std::string OriginTagGrantSql(std::string_view table, std::string_view grantee);
inline constexpr std::string_view kOriginTagWriterColumn = "writer";
inline constexpr std::string_view kOriginTagColumn = "tag";

// The longest ref a tag carries.
inline constexpr size_t kMaxOriginRefBytes = 200;
// Whether `ref` can be a tag's ref: 1 to kMaxOriginRefBytes printable ASCII
// characters (space to tilde).
bool IsValidOriginRef(std::string_view ref);

// {"n":N,"path":[...]}, with ,"publish":true when `publish`: the change is
// an application's own (`deltabridge push`): the bridge publishes it, with
// its origin, whatever its source's `forward:` says (nobody can follow the
// application's node; the other nodes learn of the change only so). Then
// ,"ref":"..." when `ref` is not empty: the ref of the push that wrote the
// change (or that a forwarded change came with), which the bridge publishes
// with it; it must be IsValidOriginRef.
std::string EncodeOriginTag(uint64_t n, const std::vector<std::string>& path, bool publish = false,
                            std::string_view ref = {});

struct OriginTag {
  std::vector<std::string> path;
  bool publish = false;
  std::string ref;  // empty: none
};
// A tag's parts; Corruption when `tag` is not one (a path must hold at least
// one non-empty node name; publish, when present, is true or false; ref,
// when present, is IsValidOriginRef).
Result<OriginTag> ParseOriginTag(std::string_view tag);
// ParseOriginTag's path.
Result<std::vector<std::string>> DecodeOriginTag(std::string_view tag);

// Whether `table` (as a source names it: "schema.table", "database.table"
// or a bare name) is the tag table: its last dot-separated part is
// deltabridge_origin.
bool IsOriginTagTable(std::string_view table);
// Whether `table` is one of deltabridge's own (a last part starting with
// "deltabridge_"): state tables a bridge never publishes.
bool IsDeltabridgeTable(std::string_view table);

}  // namespace deltabridge
