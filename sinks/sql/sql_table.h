// SqlTableContext: one target table as the apply engine uses it: what the
// database said of it (columns, types, primary key), its quoted names, the
// mapping key's columns, and whether the bulk path may write it.
//
// Made by DescribeMappedTables (mapping_check.h) when a SqlTarget opens, and
// valid until the next Open(). Plain data; the engine's one thread reads it
// and updates the bulk path's backoff.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sinks/sql/sql_session.h"

namespace deltabridge {

struct SqlTableContext {
  TargetTableInfo info;
  std::string quoted;                       // quoted table name
  std::vector<size_t> key_columns;          // indexes into info.columns, in mapping key order
  std::vector<std::string> quoted_columns;  // parallel to info.columns
  int mappings = 0;                         // how many mappings write this table
  // The bulk path may write this table: the session supports COPY and the
  // table's primary key is exactly the mapping's key, so COPY of a key the
  // table already has fails with a unique violation instead of adding a
  // second row.
  bool copy_ok = false;
  // After the bulk path met a row the table already had: segments to skip
  // it for (copy_skip), doubling on each failure up to 64 (copy_backoff).
  int copy_skip = 0;
  int copy_backoff = 0;
};

// The tables of a sink's mappings, by the mappings' `to` name.
using SqlTables = std::map<std::string, std::unique_ptr<SqlTableContext>, std::less<>>;

}  // namespace deltabridge
