#include "sinks/sql/column_values.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cdc/core/base64.h"
#include "cdc/core/utc_time.h"
#include "cdc/wire/envelope.h"
#include "mappings/rules/value_compare.h"

namespace deltabridge {
namespace {

using K = Value::Kind;

Status Mismatch(const TargetColumnInfo& column, const Value& wire, std::string_view expected) {
  return Status::InvalidArgument("column " + column.name + " (" + column.sql_type + "): expected " +
                                 std::string(expected) + ", got " + DescribeValue(wire));
}

// The JSON text of a wire value, for a text column that receives a number or a bool.
std::string WireText(const Value& v) {
  switch (v.kind) {
    case K::kBool:
      return v.b ? "true" : "false";
    case K::kInt:
      return std::to_string(v.i);
    case K::kUInt:
      return std::to_string(v.u);
    case K::kFloat: {
      std::string out;
      AppendJsonValue(&out, v);
      if (out.size() >= 2 && out.front() == '"') out = out.substr(1, out.size() - 2);
      return out;
    }
    default:
      return v.text;
  }
}

bool ParseInt64(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}
bool ParseUInt64(std::string_view s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s == "NaN" || s == "nan") return std::nan("");
  if (s == "Infinity" || s == "inf" || s == "Inf") return HUGE_VAL;
  if (s == "-Infinity" || s == "-inf" || s == "-Inf") return -HUGE_VAL;
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) return std::nullopt;
  return d;
}

bool LooksDecimal(std::string_view s) {
  if (s == "NaN" || s == "Infinity" || s == "-Infinity") return true;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      digits = true;
    } else if (s[i] == '.' && !dot) {
      dot = true;
    } else if ((s[i] == 'e' || s[i] == 'E') && digits) {
      return ParseDouble(s).has_value();
    } else {
      return false;
    }
  }
  return digits;
}

std::optional<bool> ParseBool(std::string_view s) {
  if (s == "t" || s == "true" || s == "1" || s == "TRUE" || s == "True" || s == "y" || s == "yes" ||
      s == "on") {
    return true;
  }
  if (s == "f" || s == "false" || s == "0" || s == "FALSE" || s == "False" || s == "n" ||
      s == "no" || s == "off") {
    return false;
  }
  return std::nullopt;
}

Result<Value> IntegerFromText(const TargetColumnInfo& column, std::string_view text,
                              const Value& wire) {
  int64_t i = 0;
  if (ParseInt64(text, &i)) return Value::Int(i, column.sql_type);
  uint64_t u = 0;
  if (ParseUInt64(text, &u)) return Value::UInt(u, column.sql_type);
  return Mismatch(column, wire, "an integer");
}

// "2026-11-27 10:00:00+00", "2026-11-27T10:00:00+00:00", "... 10:00:00" (a
// UTC session) -> "2026-11-27T10:00:00Z". Text that is not a timestamp of
// this shape (infinity, BC dates) is kept as it is.
std::string NormalizeTimestampTz(std::string text) {
  if (text.size() >= 19 && text[10] == ' ') text[10] = 'T';
  if (text.size() < 19 || text[10] != 'T') return text;
  if (!text.empty() && text.back() == 'Z') return text;
  // The offset follows the seconds (index 19) or their fraction.
  for (std::string_view suffix : {"+00:00", "+00", "-00:00", "-00"}) {
    if (text.size() >= suffix.size() + 19 &&
        text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return text.substr(0, text.size() - suffix.size()) + "Z";
    }
  }
  // Another offset: convert through the instant.
  size_t tail = text.find_last_of("+-");
  if (tail != std::string::npos && tail >= 19) {
    std::optional<Instant> at = ParseInstant(text);
    if (at) {
      int64_t us = at->seconds * 1'000'000 + at->nanos / 1000;
      return FormatUtcMicros(us);
    }
  }
  return text + "Z";
}

std::string NormalizeTimestamp(std::string text) {
  if (text.size() >= 19 && text[10] == ' ') text[10] = 'T';
  return text;
}

// A timestamp with a zone ("...Z", "...+02:00") as the UTC wall time a
// column without a zone holds ("2026-11-27T10:00:00Z" -> "2026-11-27T10:00:00"),
// as the target reads it back: a key must be the same text both ways.
std::string UtcWallTime(std::string text) {
  if (text.size() <= 19 || text[10] != 'T') return text;
  if (text.back() != 'Z' && text.find_first_of("+-", 19) == std::string::npos) return text;
  text = NormalizeTimestampTz(std::move(text));
  if (!text.empty() && text.back() == 'Z') text.pop_back();
  return text;
}

// Drops the fraction's trailing zeros and a bare ".": "10:00:00.500000" ->
// "10:00:00.5". The wire never carries zeros there; MySQL's DATETIME(6) and
// TIME(6) do. A date or time has no other '.', so the first one starts the
// fraction (at 8 in a TIME, 19 in a DATETIME).
std::string TrimFraction(std::string text) {
  size_t dot = text.find('.');
  if (dot == std::string::npos) return text;
  size_t end = dot + 1;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  size_t last = end;
  while (last > dot + 1 && text[last - 1] == '0') --last;
  if (last == dot + 1) last = dot;
  return text.substr(0, last) + text.substr(end);
}

}  // namespace

Result<Value> WireToTyped(const TargetColumnInfo& column, const Value& wire) {
  const std::string& type = column.sql_type;
  if (wire.is_null()) return Value::Null(type);
  switch (column.category) {
    case ColumnCategory::kBool:
      if (wire.kind == K::kBool) return Value::Bool(wire.b, type);
      if (wire.kind == K::kInt && (wire.i == 0 || wire.i == 1)) return Value::Bool(wire.i, type);
      if (wire.kind == K::kText) {
        if (std::optional<bool> b = ParseBool(wire.text)) return Value::Bool(*b, type);
      }
      return Mismatch(column, wire, "a boolean");
    case ColumnCategory::kInteger:
      if (wire.kind == K::kInt) return Value::Int(wire.i, type);
      if (wire.kind == K::kUInt) return Value::UInt(wire.u, type);
      if (wire.kind == K::kBool) return Value::Int(wire.b ? 1 : 0, type);
      if (wire.kind == K::kFloat && std::isfinite(wire.d) && wire.d == std::trunc(wire.d) &&
          std::fabs(wire.d) < 9.0e15) {
        return Value::Int(static_cast<int64_t>(wire.d), type);
      }
      if (wire.kind == K::kText || wire.kind == K::kDecimal) {
        return IntegerFromText(column, wire.text, wire);
      }
      return Mismatch(column, wire, "an integer");
    case ColumnCategory::kDecimal:
      if (wire.kind == K::kInt || wire.kind == K::kUInt || wire.kind == K::kFloat) {
        if (wire.kind == K::kFloat && std::isnan(wire.d)) {
          return Value::Textual(K::kDecimal, "NaN", type);
        }
        return Value::Textual(K::kDecimal, WireText(wire), type);
      }
      if ((wire.kind == K::kText || wire.kind == K::kDecimal) && LooksDecimal(wire.text)) {
        return Value::Textual(K::kDecimal, wire.text, type);
      }
      return Mismatch(column, wire, "a decimal number");
    case ColumnCategory::kFloat:
      if (wire.kind == K::kFloat) return Value::Float(wire.d, type);
      if (wire.kind == K::kInt) return Value::Float(static_cast<double>(wire.i), type);
      if (wire.kind == K::kUInt) return Value::Float(static_cast<double>(wire.u), type);
      if (wire.kind == K::kText || wire.kind == K::kDecimal) {
        if (std::optional<double> d = ParseDouble(wire.text)) return Value::Float(*d, type);
      }
      return Mismatch(column, wire, "a floating-point number");
    case ColumnCategory::kText:
      return Value::Textual(K::kText, WireText(wire), type);
    case ColumnCategory::kBinary:
      if (wire.kind == K::kBinary) return Value::Textual(K::kBinary, wire.text, type);
      if (wire.kind == K::kText) {
        std::optional<std::string> bytes = Base64Decode(wire.text);
        if (bytes) return Value::Textual(K::kBinary, std::move(*bytes), type);
        return Mismatch(column, wire, "base64 text (binary values travel as base64)");
      }
      return Mismatch(column, wire, "base64 text");
    case ColumnCategory::kDate:
      if (wire.kind == K::kText || wire.kind == K::kDate) {
        return Value::Textual(K::kDate, wire.text, type);
      }
      return Mismatch(column, wire, "a date YYYY-MM-DD");
    case ColumnCategory::kTime:
      if (wire.kind == K::kText || wire.kind == K::kTime) {
        return Value::Textual(K::kTime, wire.text, type);
      }
      return Mismatch(column, wire, "a time HH:MM:SS");
    case ColumnCategory::kTimestamp:
      if (wire.kind == K::kText || wire.kind == K::kTimestamp || wire.kind == K::kTimestampTz) {
        return Value::Textual(K::kTimestamp, UtcWallTime(NormalizeTimestamp(wire.text)), type);
      }
      return Mismatch(column, wire, "a timestamp");
    case ColumnCategory::kTimestampTz:
      if (wire.kind == K::kText || wire.kind == K::kTimestamp || wire.kind == K::kTimestampTz) {
        return Value::Textual(K::kTimestampTz, NormalizeTimestampTz(wire.text), type);
      }
      return Mismatch(column, wire, "a timestamp");
    case ColumnCategory::kJson:
      if (wire.kind == K::kText || wire.kind == K::kJson) {
        return Value::Textual(K::kJson, wire.text, type);
      }
      // An object or array that arrived as JSON rather than as JSON text.
      return Value::Textual(K::kJson, wire.kind == K::kOther ? wire.text : WireText(wire), type);
    case ColumnCategory::kOther:
      return Value::Textual(K::kOther, WireText(wire), type);
  }
  return Mismatch(column, wire, "a value");
}

Result<Value> SqlToTyped(const TargetColumnInfo& column, const std::optional<std::string>& sql,
                         SqlDialect dialect) {
  const std::string& type = column.sql_type;
  if (!sql) return Value::Null(type);
  const std::string& s = *sql;
  auto bad = [&](std::string_view expected) {
    return Status::InvalidArgument("column " + column.name + " (" + type + ") holds " +
                                   DescribeValue(Value::Textual(K::kText, s, "")) +
                                   ", which does not read as " + std::string(expected));
  };
  switch (column.category) {
    case ColumnCategory::kBool:
      if (std::optional<bool> b = ParseBool(s)) return Value::Bool(*b, type);
      return bad("a boolean");
    case ColumnCategory::kInteger: {
      int64_t i = 0;
      if (ParseInt64(s, &i)) return Value::Int(i, type);
      uint64_t u = 0;
      if (ParseUInt64(s, &u)) return Value::UInt(u, type);
      // SQLite may hold anything in any column: keep it as text.
      if (dialect == SqlDialect::kSqlite) return Value::Textual(K::kText, s, type);
      return bad("an integer");
    }
    case ColumnCategory::kDecimal:
      return Value::Textual(K::kDecimal, s, type);
    case ColumnCategory::kFloat:
      if (std::optional<double> d = ParseDouble(s)) return Value::Float(*d, type);
      if (dialect == SqlDialect::kSqlite) return Value::Textual(K::kText, s, type);
      return bad("a number");
    case ColumnCategory::kText:
      return Value::Textual(K::kText, s, type);
    case ColumnCategory::kBinary:
      return Value::Textual(K::kBinary, s, type);
    case ColumnCategory::kDate:
      return Value::Textual(K::kDate, s, type);
    case ColumnCategory::kTime:
      return Value::Textual(K::kTime, dialect == SqlDialect::kMysql ? TrimFraction(s) : s, type);
    case ColumnCategory::kTimestamp: {
      std::string t = NormalizeTimestamp(s);
      if (dialect == SqlDialect::kMysql) t = TrimFraction(std::move(t));
      return Value::Textual(K::kTimestamp, std::move(t), type);
    }
    case ColumnCategory::kTimestampTz: {
      std::string t = NormalizeTimestampTz(s);
      if (dialect == SqlDialect::kMysql) t = TrimFraction(std::move(t));
      return Value::Textual(K::kTimestampTz, std::move(t), type);
    }
    case ColumnCategory::kJson:
      return Value::Textual(K::kJson, s, type);
    case ColumnCategory::kOther:
      return Value::Textual(K::kOther, s, type);
  }
  return Value::Textual(K::kText, s, type);
}

SqlParam TypedToSql(const TargetColumnInfo& column, const Value& v, SqlDialect dialect) {
  (void)column;
  switch (v.kind) {
    case K::kNull:
      return SqlParam::Null();
    case K::kBool:
      if (dialect == SqlDialect::kPostgres) return SqlParam::Text(v.b ? "t" : "f");
      return SqlParam::Text(v.b ? "1" : "0");
    case K::kInt:
      return SqlParam::Text(std::to_string(v.i));
    case K::kUInt:
      return SqlParam::Text(std::to_string(v.u));
    case K::kFloat: {
      if (std::isnan(v.d)) return SqlParam::Text("NaN");
      if (std::isinf(v.d)) return SqlParam::Text(v.d > 0 ? "Infinity" : "-Infinity");
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v.d);
      return SqlParam::Text(buf);
    }
    case K::kBinary:
      return SqlParam::Binary(v.text);
    case K::kTimestamp:
    case K::kTimestampTz:
      if (dialect == SqlDialect::kMysql) {
        std::string t = v.text;
        if (t.size() >= 19 && t[10] == 'T') t[10] = ' ';
        if (!t.empty() && t.back() == 'Z') t.pop_back();
        return SqlParam::Text(std::move(t));
      }
      return SqlParam::Text(v.text);
    default:
      return SqlParam::Text(v.text);
  }
}

// A decimal's text without the zeros its scale adds: "1.50" and "1.5" (a
// source numeric(10,2) and a target numeric(10,1)) name one key; "-0.0" is "0".
static std::string CanonicalDecimal(const std::string& text) {
  size_t dot = text.find('.');
  if (dot == std::string::npos || text.find_first_of("eE") != std::string::npos) return text;
  size_t end = text.size();
  while (end > dot + 1 && text[end - 1] == '0') --end;
  if (end == dot + 1) end = dot;
  std::string out = text.substr(0, end);
  if (out == "-0") out = "0";
  return out;
}

std::string RowKeyText(const std::vector<Value>& key_values) {
  std::string out = "[";
  for (size_t i = 0; i < key_values.size(); ++i) {
    if (i > 0) out += ',';
    if (key_values[i].kind == K::kDecimal) {
      AppendJsonValue(&out, Value::Textual(K::kDecimal, CanonicalDecimal(key_values[i].text),
                                           key_values[i].sql_type));
    } else {
      AppendJsonValue(&out, key_values[i]);
    }
  }
  out += ']';
  return out;
}

std::string ValueJson(const Value& typed) {
  std::string out;
  AppendJsonValue(&out, typed);
  return out;
}

}  // namespace deltabridge
