// TableMapEvent: a TABLE_MAP event, which describes the table that the row
// events after it (with the same table_id) change: database, table, each
// column's binlog type and type metadata, nullability, and the optional
// metadata that MySQL 8.0 / MariaDB 10.5+ add (binlog_row_metadata=MINIMAL
// gives signedness, charsets and geometry types; FULL adds column names,
// ENUM/SET labels, the primary key and column visibility).
//
// ParseTableMapBody decodes the event body (after the post-header) and
// resolves the per-column view (Column) so that row decoding needs nothing
// else. Plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge::mysql {

// MySQL column types as the binlog writes them (enum_field_types).
enum ColumnType : uint8_t {
  kTypeDecimal = 0,
  kTypeTiny = 1,
  kTypeShort = 2,
  kTypeLong = 3,
  kTypeFloat = 4,
  kTypeDouble = 5,
  kTypeNull = 6,
  kTypeTimestamp = 7,
  kTypeLongLong = 8,
  kTypeInt24 = 9,
  kTypeDate = 10,
  kTypeTime = 11,
  kTypeDatetime = 12,
  kTypeYear = 13,
  kTypeNewDate = 14,
  kTypeVarchar = 15,
  kTypeBit = 16,
  kTypeTimestamp2 = 17,
  kTypeDatetime2 = 18,
  kTypeTime2 = 19,
  kTypeTypedArray = 20,
  kTypeVector = 242,
  kTypeJson = 245,
  kTypeNewDecimal = 246,
  kTypeEnum = 247,
  kTypeSet = 248,
  kTypeTinyBlob = 249,
  kTypeMediumBlob = 250,
  kTypeLongBlob = 251,
  kTypeBlob = 252,
  kTypeVarString = 253,
  kTypeString = 254,
  kTypeGeometry = 255,
};

// Collation ids with a special meaning for values.
constexpr uint32_t kBinaryCollation = 63;

// One column, resolved from the event's type, metadata and optional metadata.
struct Column {
  uint8_t binlog_type = 0;  // as in the event (ENUM/SET appear as kTypeString)
  uint8_t type = 0;         // the real type: kTypeEnum/kTypeSet resolved from metadata
  uint16_t meta = 0;        // the type metadata (meaning depends on type)
  // Type-specific, from meta: max bytes (CHAR/VARCHAR), length-prefix bytes
  // (BLOB/JSON/GEOMETRY, ENUM/SET pack length), precision/scale (DECIMAL),
  // fsp (TIME2/DATETIME2/TIMESTAMP2), bits (BIT).
  uint32_t length = 0;
  uint8_t precision = 0;
  uint8_t scale = 0;
  bool nullable = true;
  std::optional<bool> is_unsigned;  // numeric columns, from SIGNEDNESS
  std::optional<uint32_t> charset;  // collation id, character and ENUM/SET columns
  std::string name;                 // from COLUMN_NAME, else empty
  std::vector<std::string> labels;  // ENUM / SET string values, in order
  std::optional<uint32_t> geometry_type;
  bool visible = true;  // COLUMN_VISIBILITY (MySQL invisible columns)
  bool is_numeric() const;
  bool is_character() const;  // CHAR/VARCHAR/TEXT/BLOB (not ENUM/SET/JSON/GEOMETRY)
};

struct TableMapEvent {
  uint64_t table_id = 0;
  uint16_t flags = 0;
  std::string database;
  std::string table;
  std::vector<Column> columns;
  // Column indexes (0-based) of the primary key, from SIMPLE_PRIMARY_KEY or
  // PRIMARY_KEY_WITH_PREFIX; empty when the metadata does not say.
  std::vector<uint32_t> primary_key;
  bool has_column_names = false;
  bool has_optional_metadata = false;

  // "database.table"
  std::string QualifiedName() const { return database + "." + table; }
  // The column's name from the metadata, else "@N" (1-based, as mariadb-binlog prints).
  std::string ColumnName(size_t index) const;
};

// Decodes a TABLE_MAP body: `table_id_size` bytes of table id (6, or 4 in
// binlogs from MySQL 5.1.0-5.1.15), flags, then the table description.
// `body` excludes header and checksum.
Status ParseTableMapBody(std::string_view body, size_t table_id_size, TableMapEvent* out);

}  // namespace deltabridge::mysql
