// MySQL's binary JSON (the storage and binlog form of a JSON column, see
// sql-common/json_binary.h in the MySQL sources) decoded to the JSON text
// MySQL itself prints for the value (`SELECT col`): objects as
// {"key": value, ...} with ", " and ": " separators, keys in stored order
// (MySQL sorts them by length, then bytes), doubles in shortest round-trip
// form with ".0" added to whole numbers, and opaque values as MySQL prints
// them: DECIMAL as a number, DATE/TIME/DATETIME/TIMESTAMP as quoted strings
// (times with 6 fraction digits), any other type as "base64:typeN:...".
//
// An empty value (0 bytes) is JSON null, as MySQL reads it. Nesting is
// limited to 100 levels (MySQL's own limit). Every offset is checked against
// the value's bytes: garbage gives Corruption, never a crash.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge::mysql {

Status DecodeJsonBinary(std::string_view bytes, std::string* out);

}  // namespace deltabridge::mysql
