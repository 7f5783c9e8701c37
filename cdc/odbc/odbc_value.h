// Column descriptions and value conversion for the ODBC source: what the
// driver says a column is (SQLDescribeCol / SQLColAttribute) mapped to a
// Value kind of contract section 3, values fetched with SQLGetData, and the
// compact binary row encoding the diff state files hold.
//
// Fetching: integers as SQL_C_SBIGINT (SQL_C_UBIGINT when unsigned), floats
// as SQL_C_DOUBLE, BIT as SQL_C_BIT, dates/times/timestamps as their ODBC
// structs formatted exactly (YYYY-MM-DD, HH:MM:SS[.ffffff],
// YYYY-MM-DDTHH:MM:SS[.ffffff]), binary as SQL_C_BINARY, DECIMAL/NUMERIC as
// text with every digit kept, character data as SQL_C_WCHAR converted from
// UTF-16 to UTF-8 (or SQL_C_CHAR for drivers that hand out UTF-8, see
// OdbcFetchOptions). Anything else is fetched as text (kind kOther).
//
// Pure functions over a statement handle the caller owns; thread-compatible.
#pragma once

#include <sql.h>
#include <sqlext.h>

#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/core/value.h"

namespace deltabridge::odbc {

struct OdbcColumn {
  std::string name;
  SQLSMALLINT sql_type = SQL_UNKNOWN_TYPE;
  SQLULEN size = 0;
  SQLSMALLINT digits = 0;
  bool is_unsigned = false;
  std::string type_name;  // the driver's name for the type ("INTEGER", "int4", ...)
  Value::Kind kind = Value::Kind::kText;
};

// The kind a column of ODBC type `sql_type` becomes.
Value::Kind KindForSqlType(SQLSMALLINT sql_type, bool is_unsigned);

// Describes every result column of an executed statement.
Result<std::vector<OdbcColumn>> DescribeColumns(SQLHSTMT stmt);

struct OdbcFetchOptions {
  bool wide_text = true;  // SQL_C_WCHAR for character data (false: SQL_C_CHAR, UTF-8)
  // Numbers, booleans, dates and times read as SQL_C_CHAR and parsed here: for
  // SQLite, where a value need not match its column's declared type and the
  // driver turns one that does not convert into NULL. A value that does not
  // parse as its column's kind is kept as text (kDecimal when numeric).
  bool text_scalars = false;
};

// Fetches column `index` (1-based) of the current row into `out`. Failures
// carry the driver's diagnostics.
Status FetchValue(SQLHSTMT stmt, SQLUSMALLINT index, const OdbcColumn& column,
                  const OdbcFetchOptions& options, std::string* scratch, Value* out);

// UTF-16 (host order, as unixODBC's SQLWCHAR) to UTF-8; unpaired surrogates
// become U+FFFD.
std::string Utf16ToUtf8(const SQLWCHAR* data, size_t units);

// Timestamp helpers (microseconds since the epoch, UTC, no zone) for the
// timestamp modes' lookback: parses "YYYY-MM-DD[T ]HH:MM:SS[.f...]" or
// "YYYY-MM-DD"; false when malformed.
bool ParseTimestampMicros(std::string_view text, int64_t* micros);
// "YYYY-MM-DD HH:MM:SS.ffffff" (a space, which every driver accepts in a literal).
std::string FormatTimestampLiteral(int64_t micros);

// The row encoding of the diff state: each value as a kind byte and its
// payload (sql_type is not kept: it comes from the current description).
void EncodeRow(const std::vector<Value>& row, std::string* out);
// Decodes one encoded row of `columns` values; Corruption on a short or bad record.
Status DecodeRow(std::string_view data, size_t columns, std::vector<Value>* row);

// Orders two key values the way ORDER BY orders them for plain keys: NULL
// first, integers numerically, everything else by bytes. <0, 0, >0.
int CompareKeyValue(const Value& a, const Value& b);
// A key value as text, for dedup sets and messages.
std::string KeyText(const Value& v);

}  // namespace deltabridge::odbc
