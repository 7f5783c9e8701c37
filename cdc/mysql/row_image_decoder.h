// RowImageDecoder: the row images of a rows event decoded, against the
// TABLE_MAP of their table, into deltabridge Values (contract section 3).
//
// A row image holds only the columns its event's columns-present bitmap names
// (binlog_row_image=MINIMAL or NOBLOB leave columns out): a column left out is
// std::nullopt in the Row, never a SQL NULL. Each image starts with a NULL
// bitmap over its present columns, then the present non-NULL values.
//
// Value mapping (docs/mysql-binlog-decoding.md): integers kInt, BIGINT
// UNSIGNED kUInt (signedness from the table map's optional metadata, signed
// without it); DECIMAL kDecimal with every digit; FLOAT/DOUBLE kFloat (a
// FLOAT as the shortest decimal that round-trips through float); BIT kUInt;
// DATE kDate; TIME kTime; DATETIME kTimestamp; TIMESTAMP kTimestampTz (UTC);
// YEAR kInt; text columns kText (latin1 converted to UTF-8), binary-charset
// columns kBinary; ENUM/SET kText labels when the metadata has them, else
// kInt index / kUInt bitmask; JSON kJson (MySQL's binary JSON as text);
// GEOMETRY kBinary WKB (MySQL's 4-byte SRID prefix removed).
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/core/value.h"
#include "cdc/mysql/binlog_event.h"
#include "cdc/mysql/byte_reader.h"
#include "cdc/mysql/table_map.h"

namespace deltabridge::mysql {

// One row image: a value per table column, nullopt where the image left the column out.
using Row = std::vector<std::optional<Value>>;

// One row of a rows event: a write has only `after`, a delete only `before`,
// an update both.
struct RowPair {
  std::optional<Row> before;
  std::optional<Row> after;
};

// Decodes one column value (not NULL) of `column` at the reader.
Status DecodeColumnValue(const Column& column, ByteReader* r, Value* out);

// Decodes one row image whose columns-present bitmap is `present`.
Status DecodeRowImage(const TableMapEvent& table, const std::vector<bool>& present, ByteReader* r,
                      Row* out);

// Decodes every row of `rows` (a rows event for `table`).
Status DecodeRows(const TableMapEvent& table, const RowsEvent& rows, std::vector<RowPair>* out);

}  // namespace deltabridge::mysql
