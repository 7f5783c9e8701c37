#include "cdc/odbc/odbc_value.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "cdc/clients/odbc/odbc_handles.h"

namespace deltabridge::odbc {

namespace {

using K = Value::Kind;

Status Failed(SQLHSTMT stmt, const std::string& what) {
  return Status::Unavailable(what + ": " + OdbcDiagnostics(SQL_HANDLE_STMT, stmt));
}

void AppendFraction(char* buf, size_t size, SQLUINTEGER nanos, std::string* out) {
  if (nanos == 0) return;
  std::snprintf(buf, size, ".%06u", static_cast<unsigned>(nanos / 1000));
  std::string frac(buf);
  while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
  if (frac.size() > 1) *out += frac;
}

// Reads a column as bytes in chunks (character or binary data of any length).
// The first chunk is small: some drivers (sqliteodbc) pad the whole buffer.
Status GetChunks(SQLHSTMT stmt, SQLUSMALLINT index, SQLSMALLINT c_type, size_t terminator,
                 std::string* scratch, std::string* out, bool* is_null) {
  out->clear();
  *is_null = false;
  char first[256];
  char* buffer = first;
  size_t size = sizeof(first);
  while (true) {
    const size_t room = size - terminator;
    SQLLEN indicator = 0;
    SQLRETURN rc = SQLGetData(stmt, index, c_type, buffer, static_cast<SQLLEN>(size), &indicator);
    if (rc == SQL_NO_DATA) return Status::Ok();
    if (!SQL_SUCCEEDED(rc)) return Failed(stmt, "reading column " + std::to_string(index));
    if (indicator == SQL_NULL_DATA) {
      *is_null = true;
      return Status::Ok();
    }
    bool more = indicator == SQL_NO_TOTAL || static_cast<size_t>(indicator) > room;
    size_t got = more ? room : static_cast<size_t>(indicator);
    out->append(buffer, got);
    if (!more || rc == SQL_SUCCESS) return Status::Ok();
    if (scratch->size() < 65536) scratch->resize(65536);
    buffer = scratch->data();
    size = scratch->size();
  }
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view data, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= data.size()) return false;
    uint8_t b = static_cast<uint8_t>(data[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

bool IsTextKind(K k) {
  return k != K::kNull && k != K::kBool && k != K::kInt && k != K::kUInt && k != K::kFloat;
}

}  // namespace

Value::Kind KindForSqlType(SQLSMALLINT sql_type, bool is_unsigned) {
  switch (sql_type) {
    case SQL_BIT:
      return K::kBool;
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
      return K::kInt;
    case SQL_BIGINT:
      return is_unsigned ? K::kUInt : K::kInt;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
      return K::kFloat;
    case SQL_DECIMAL:
    case SQL_NUMERIC:
      return K::kDecimal;
    case SQL_CHAR:
    case SQL_VARCHAR:
    case SQL_LONGVARCHAR:
    case SQL_WCHAR:
    case SQL_WVARCHAR:
    case SQL_WLONGVARCHAR:
      return K::kText;
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY:
      return K::kBinary;
    case SQL_TYPE_DATE:
    case SQL_DATE:
      return K::kDate;
    case SQL_TYPE_TIME:
    case SQL_TIME:
      return K::kTime;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TIMESTAMP:
      return K::kTimestamp;
    default:
      return K::kOther;
  }
}

Result<std::vector<OdbcColumn>> DescribeColumns(SQLHSTMT stmt) {
  SQLSMALLINT count = 0;
  if (!SQL_SUCCEEDED(SQLNumResultCols(stmt, &count))) {
    return Failed(stmt, "describing the result");
  }
  std::vector<OdbcColumn> columns;
  for (SQLSMALLINT c = 1; c <= count; ++c) {
    OdbcColumn col;
    SQLCHAR name[512] = {};
    SQLSMALLINT name_len = 0, nullable = 0;
    SQLRETURN rc = SQLDescribeCol(stmt, static_cast<SQLUSMALLINT>(c), name, sizeof(name), &name_len,
                                  &col.sql_type, &col.size, &col.digits, &nullable);
    if (!SQL_SUCCEEDED(rc)) return Failed(stmt, "describing column " + std::to_string(c));
    col.name = reinterpret_cast<char*>(name);
    SQLLEN unsigned_attr = SQL_FALSE;
    if (SQL_SUCCEEDED(SQLColAttribute(stmt, static_cast<SQLUSMALLINT>(c), SQL_DESC_UNSIGNED,
                                      nullptr, 0, nullptr, &unsigned_attr))) {
      col.is_unsigned = unsigned_attr == SQL_TRUE;
    }
    SQLCHAR type_name[128] = {};
    SQLSMALLINT type_len = 0;
    if (SQL_SUCCEEDED(SQLColAttribute(stmt, static_cast<SQLUSMALLINT>(c), SQL_DESC_TYPE_NAME,
                                      type_name, sizeof(type_name), &type_len, nullptr))) {
      col.type_name = reinterpret_cast<char*>(type_name);
    }
    col.kind = KindForSqlType(col.sql_type, col.is_unsigned);
    // An unsigned 32-bit integer still fits an int64; only BIGINT UNSIGNED needs kUInt.
    columns.push_back(std::move(col));
  }
  return columns;
}

std::string Utf16ToUtf8(const SQLWCHAR* data, size_t units) {
  std::string out;
  out.reserve(units);
  for (size_t i = 0; i < units; ++i) {
    uint32_t c = data[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units && data[i + 1] >= 0xDC00 &&
        data[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (data[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

namespace {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "YYYY-MM-DD[ T]HH:MM:SS[.f+]" -> "YYYY-MM-DDTHH:MM:SS[.f]" (fraction without
// trailing zeros, at most 6 digits); false when `s` is not of that form.
bool NormaliseTimestampText(std::string* s) {
  std::string& t = *s;
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != ' ' && t[10] != 'T') ||
      t[13] != ':' || t[16] != ':') {
    return false;
  }
  if (!IsDigits(t.substr(0, 4)) || !IsDigits(t.substr(5, 2)) || !IsDigits(t.substr(8, 2)) ||
      !IsDigits(t.substr(11, 2)) || !IsDigits(t.substr(14, 2)) || !IsDigits(t.substr(17, 2))) {
    return false;
  }
  t[10] = 'T';
  if (t.size() == 19) return true;
  if (t[19] != '.' || !IsDigits(std::string_view(t).substr(20))) return false;
  if (t.size() > 26) t.resize(26);
  while (t.back() == '0') t.pop_back();
  if (t.back() == '.') t.pop_back();
  return true;
}

bool IsNumericText(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

// A scalar read as text (OdbcFetchOptions::text_scalars) to its kind.
Value ParseScalarText(const OdbcColumn& column, std::string text) {
  const std::string& type = column.type_name;
  const char* b = text.data();
  const char* e = text.data() + text.size();
  switch (column.kind) {
    case K::kBool:
      if (text == "0" || text == "1") return Value::Bool(text == "1", type);
      break;
    case K::kInt: {
      int64_t v = 0;
      auto r = std::from_chars(b, e, v);
      if (r.ec == std::errc() && r.ptr == e) return Value::Int(v, type);
      break;
    }
    case K::kUInt: {
      uint64_t v = 0;
      auto r = std::from_chars(b, e, v);
      if (r.ec == std::errc() && r.ptr == e) return Value::UInt(v, type);
      break;
    }
    case K::kFloat: {
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      if (!text.empty() && end == text.c_str() + text.size()) return Value::Float(d, type);
      break;
    }
    case K::kDate:
      if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
        return Value::Textual(K::kDate, std::move(text), type);
      }
      break;
    case K::kTime:
      if (text.size() >= 8 && text[2] == ':' && text[5] == ':') {
        return Value::Textual(K::kTime, std::move(text), type);
      }
      break;
    case K::kTimestamp:
      if (NormaliseTimestampText(&text))
        return Value::Textual(K::kTimestamp, std::move(text), type);
      break;
    default:
      break;
  }
  const K kind = IsNumericText(text) ? K::kDecimal : K::kText;
  return Value::Textual(kind, std::move(text), type);
}

}  // namespace

Status FetchValue(SQLHSTMT stmt, SQLUSMALLINT index, const OdbcColumn& column,
                  const OdbcFetchOptions& options, std::string* scratch, Value* out) {
  SQLLEN ind = 0;
  if (options.text_scalars && column.kind != K::kBinary && column.kind != K::kText &&
      column.kind != K::kDecimal && column.kind != K::kOther) {
    std::string text;
    bool is_null = false;
    DB_RETURN_IF_ERROR(GetChunks(stmt, index, SQL_C_CHAR, 1, scratch, &text, &is_null));
    *out = is_null ? Value::Null(column.type_name) : ParseScalarText(column, std::move(text));
    return Status::Ok();
  }
  SQLRETURN rc = SQL_SUCCESS;
  const std::string& type = column.type_name;
  char buf[64];
  switch (column.kind) {
    case K::kBool: {
      unsigned char v = 0;
      rc = SQLGetData(stmt, index, SQL_C_BIT, &v, sizeof(v), &ind);
      if (!SQL_SUCCEEDED(rc)) break;
      *out = ind == SQL_NULL_DATA ? Value::Null(type) : Value::Bool(v != 0, type);
      return Status::Ok();
    }
    case K::kInt: {
      SQLBIGINT v = 0;
      rc = SQLGetData(stmt, index, SQL_C_SBIGINT, &v, sizeof(v), &ind);
      if (!SQL_SUCCEEDED(rc)) break;
      *out = ind == SQL_NULL_DATA ? Value::Null(type) : Value::Int(v, type);
      return Status::Ok();
    }
    case K::kUInt: {
      SQLUBIGINT v = 0;
      rc = SQLGetData(stmt, index, SQL_C_UBIGINT, &v, sizeof(v), &ind);
      if (!SQL_SUCCEEDED(rc)) break;
      *out = ind == SQL_NULL_DATA ? Value::Null(type) : Value::UInt(v, type);
      return Status::Ok();
    }
    case K::kFloat: {
      double v = 0;
      rc = SQLGetData(stmt, index, SQL_C_DOUBLE, &v, sizeof(v), &ind);
      if (!SQL_SUCCEEDED(rc)) break;
      *out = ind == SQL_NULL_DATA ? Value::Null(type) : Value::Float(v, type);
      return Status::Ok();
    }
    case K::kDate: {
      SQL_DATE_STRUCT d{};
      rc = SQLGetData(stmt, index, SQL_C_TYPE_DATE, &d, sizeof(d), &ind);
      if (!SQL_SUCCEEDED(rc)) break;
      if (ind == SQL_NULL_DATA) {
        *out = Value::Null(type);
        return Status::Ok();
      }
      std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(d.year),
                    static_cast<unsigned>(d.month), static_cast<unsigned>(d.day));
      *out = Value::Textual(K::kDate, buf, type);
      return Status::Ok();
    }
    case K::kTime: {
      SQL_TIME_STRUCT t{};
      rc = SQLGetData(stmt, index, SQL_C_TYPE_TIME, &t, sizeof(t), &ind);
      if (!SQL_SUCCEEDED(rc)) break;
      if (ind == SQL_NULL_DATA) {
        *out = Value::Null(type);
        return Status::Ok();
      }
      std::snprintf(buf, sizeof(buf), "%02u:%02u:%02u", static_cast<unsigned>(t.hour),
                    static_cast<unsigned>(t.minute), static_cast<unsigned>(t.second));
      *out = Value::Textual(K::kTime, buf, type);
      return Status::Ok();
    }
    case K::kTimestamp: {
      SQL_TIMESTAMP_STRUCT t{};
      rc = SQLGetData(stmt, index, SQL_C_TYPE_TIMESTAMP, &t, sizeof(t), &ind);
      if (!SQL_SUCCEEDED(rc)) break;
      if (ind == SQL_NULL_DATA) {
        *out = Value::Null(type);
        return Status::Ok();
      }
      std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02u:%02u:%02u", static_cast<int>(t.year),
                    static_cast<unsigned>(t.month), static_cast<unsigned>(t.day),
                    static_cast<unsigned>(t.hour), static_cast<unsigned>(t.minute),
                    static_cast<unsigned>(t.second));
      std::string s(buf);
      AppendFraction(buf, sizeof(buf), t.fraction, &s);
      *out = Value::Textual(K::kTimestamp, std::move(s), type);
      return Status::Ok();
    }
    case K::kBinary: {
      std::string bytes;
      bool is_null = false;
      DB_RETURN_IF_ERROR(GetChunks(stmt, index, SQL_C_BINARY, 0, scratch, &bytes, &is_null));
      *out = is_null ? Value::Null(type) : Value::Textual(K::kBinary, std::move(bytes), type);
      return Status::Ok();
    }
    default: {
      std::string text;
      bool is_null = false;
      if (options.wide_text) {
        DB_RETURN_IF_ERROR(
            GetChunks(stmt, index, SQL_C_WCHAR, sizeof(SQLWCHAR), scratch, &text, &is_null));
        text = Utf16ToUtf8(reinterpret_cast<const SQLWCHAR*>(text.data()),
                           text.size() / sizeof(SQLWCHAR));
      } else {
        DB_RETURN_IF_ERROR(GetChunks(stmt, index, SQL_C_CHAR, 1, scratch, &text, &is_null));
      }
      if (is_null) {
        *out = Value::Null(type);
        return Status::Ok();
      }
      if (column.kind == K::kDecimal) {
        // Every digit kept; drivers may pad with blanks.
        size_t b = text.find_first_not_of(' ');
        size_t e = text.find_last_not_of(' ');
        text = b == std::string::npos ? std::string() : text.substr(b, e - b + 1);
      }
      *out = Value::Textual(column.kind, std::move(text), type);
      return Status::Ok();
    }
  }
  return Failed(stmt, "reading column " + column.name);
}

bool ParseTimestampMicros(std::string_view text, int64_t* micros) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 10) return false;
  std::string t(text);
  int n = std::sscanf(t.c_str(), "%4d-%2d-%2d", &y, &mo, &d);
  if (n != 3) return false;
  int64_t frac = 0;
  if (t.size() >= 19) {
    if (std::sscanf(t.c_str() + 11, "%2d:%2d:%2d", &h, &mi, &s) != 3) return false;
    if (t.size() > 20 && t[19] == '.') {
      int digits = 0;
      for (size_t i = 20; i < t.size() && digits < 6 && t[i] >= '0' && t[i] <= '9'; ++i) {
        frac = frac * 10 + (t[i] - '0');
        ++digits;
      }
      for (; digits < 6; ++digits) frac *= 10;
    }
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  *micros = static_cast<int64_t>(timegm(&tm)) * 1000000 + frac;
  return true;
}

std::string FormatTimestampLiteral(int64_t micros) {
  int64_t secs = micros / 1000000;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  time_t tt = static_cast<time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(frac));
  return buf;
}

void EncodeRow(const std::vector<Value>& row, std::string* out) {
  for (const Value& v : row) {
    out->push_back(static_cast<char>(v.kind));
    switch (v.kind) {
      case K::kNull:
        break;
      case K::kBool:
        out->push_back(v.b ? 1 : 0);
        break;
      case K::kInt:
        out->append(reinterpret_cast<const char*>(&v.i), sizeof(v.i));
        break;
      case K::kUInt:
        out->append(reinterpret_cast<const char*>(&v.u), sizeof(v.u));
        break;
      case K::kFloat:
        out->append(reinterpret_cast<const char*>(&v.d), sizeof(v.d));
        break;
      default:
        PutVarint(v.text.size(), out);
        out->append(v.text);
    }
  }
}

Status DecodeRow(std::string_view data, size_t columns, std::vector<Value>* row) {
  row->resize(columns);
  size_t pos = 0;
  auto bad = [] { return Status::Corruption("diff state record does not decode"); };
  for (size_t c = 0; c < columns; ++c) {
    if (pos >= data.size()) return bad();
    uint8_t kind = static_cast<uint8_t>(data[pos++]);
    if (kind > static_cast<uint8_t>(K::kOther)) return bad();
    Value& v = (*row)[c];
    v.kind = static_cast<K>(kind);
    v.text.clear();
    switch (v.kind) {
      case K::kNull:
        break;
      case K::kBool:
        if (pos + 1 > data.size()) return bad();
        v.b = data[pos++] != 0;
        break;
      case K::kInt:
        if (pos + 8 > data.size()) return bad();
        std::memcpy(&v.i, data.data() + pos, 8);
        pos += 8;
        break;
      case K::kUInt:
        if (pos + 8 > data.size()) return bad();
        std::memcpy(&v.u, data.data() + pos, 8);
        pos += 8;
        break;
      case K::kFloat:
        if (pos + 8 > data.size()) return bad();
        std::memcpy(&v.d, data.data() + pos, 8);
        pos += 8;
        break;
      default: {
        uint64_t len = 0;
        if (!GetVarint(data, &pos, &len) || pos + len > data.size()) return bad();
        v.text.assign(data.data() + pos, len);
        pos += len;
      }
    }
  }
  if (pos != data.size()) return bad();
  return Status::Ok();
}

int CompareKeyValue(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return (a.is_null() ? 0 : 1) - (b.is_null() ? 0 : 1);
  if (a.kind == K::kInt && b.kind == K::kInt) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (a.kind == K::kUInt && b.kind == K::kUInt) return a.u < b.u ? -1 : (a.u > b.u ? 1 : 0);
  if (a.kind == K::kFloat && b.kind == K::kFloat) return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
  if (IsTextKind(a.kind) && IsTextKind(b.kind)) {
    int c = a.text.compare(b.text);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  std::string x = KeyText(a), y = KeyText(b);
  int c = x.compare(y);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string KeyText(const Value& v) {
  switch (v.kind) {
    case K::kNull:
      return "null";
    case K::kBool:
      return v.b ? "true" : "false";
    case K::kInt:
      return std::to_string(v.i);
    case K::kUInt:
      return std::to_string(v.u);
    case K::kFloat: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", v.d);
      return buf;
    }
    default:
      return v.text;
  }
}

}  // namespace deltabridge::odbc
