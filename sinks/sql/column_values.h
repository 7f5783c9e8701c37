// Column values: converting between the three forms a value takes in a sink.
//
//   wire    a Value decoded from a delta's JSON (contract section 3): loosely
//           typed (a NUMERIC is text, a big integer a digit string, binary
//           base64 text, a timestamp ISO text);
//   typed   a Value of the kind the target column's category calls for, with
//           the column's sql_type: what the reconciler compares and adds;
//   SQL     the text (or raw bytes) a target binds as a parameter and returns
//           in a result (sinks/sql/sql_session.h).
//
// Timestamps with a time zone are carried as UTC "YYYY-MM-DDTHH:MM:SS[.f]Z"
// throughout; MySQL gets "YYYY-MM-DD HH:MM:SS[.f]" (its sessions run in UTC).
// A row's key is named by RowKeyText, the same for a key read from the wire
// and one read back from the target, so the two meet.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/core/value.h"
#include "sinks/sql/sql_session.h"

namespace deltabridge {

// A wire value as `column` holds it. InvalidArgument, naming the column and
// the value, when it cannot be ("abc" for an integer column, bad base64).
Result<Value> WireToTyped(const TargetColumnInfo& column, const Value& wire);

// A value read back from the target (nullopt: SQL NULL) as `column` holds it.
Result<Value> SqlToTyped(const TargetColumnInfo& column, const std::optional<std::string>& sql,
                         SqlDialect dialect);

// A typed value as a parameter for `column`.
SqlParam TypedToSql(const TargetColumnInfo& column, const Value& typed, SqlDialect dialect);

// The canonical text of a row key: a JSON array of its typed values in key
// order, e.g. [42] or ["A-7",3]. What deltabridge_row_writers.row_key and
// deltabridge_conflicts.row_key hold.
std::string RowKeyText(const std::vector<Value>& key_values);

// A typed value as JSON text (the wire encoding): for conflicts.
std::string ValueJson(const Value& typed);

}  // namespace deltabridge
