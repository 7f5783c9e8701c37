// Values read through the text protocol (the initial snapshot) turned into
// the same Values the binlog decoder gives for the same column
// (row_image_decoder.h), so a snapshot row and a later insert of the same
// values have identical deltas (contract section 3).
//
// Some types are selected through an expression so that the text is exact
// (SnapshotSelectExpr): FLOAT as CAST(.. AS DOUBLE) (the server prints FLOAT
// with 6 digits), BIT as an integer, GEOMETRY as WKB, character columns as
// their raw bytes (converted here by charset exactly as the decoder does).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "cdc/core/status.h"
#include "cdc/core/value.h"
#include "cdc/mysql/mysql_schema.h"

namespace deltabridge::mysql {

// The SELECT expression that reads `column` for TextToValue.
std::string SnapshotSelectExpr(const MysqlColumnInfo& column);

// The value of `column` whose SnapshotSelectExpr gave `text` (not NULL).
Result<Value> TextToValue(const MysqlColumnInfo& column, std::string_view text);

}  // namespace deltabridge::mysql
