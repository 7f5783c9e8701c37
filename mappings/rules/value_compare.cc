#include "mappings/rules/value_compare.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <system_error>

#include "cdc/core/ascii.h"
#include "cdc/core/civil_date.h"

namespace deltabridge {

namespace {

using Kind = Value::Kind;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Lower-cased, "(...)" modifiers removed, spaces trimmed: "VARCHAR(20)" -> "varchar".
std::string BaseTypeName(std::string_view sql_type) {
  std::string lower = AsciiLower(sql_type);
  std::string out;
  int depth = 0;
  for (char c : lower) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      depth = std::max(0, depth - 1);
    } else if (depth == 0) {
      out.push_back(c);
    }
  }
  size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  size_t last = out.find_last_not_of(' ');
  return out.substr(first, last - first + 1);
}

// Kinds that carry their value in Value::text.
bool IsTextual(Kind k) {
  switch (k) {
    case Kind::kDecimal:
    case Kind::kText:
    case Kind::kBinary:
    case Kind::kDate:
    case Kind::kTime:
    case Kind::kTimestamp:
    case Kind::kTimestampTz:
    case Kind::kJson:
    case Kind::kOther:
      return true;
    default:
      return false;
  }
}

// Kinds that are numbers whatever their text: a mismatch against non-numeric text.
bool IsTypedNumber(Kind k) {
  return k == Kind::kInt || k == Kind::kUInt || k == Kind::kFloat || k == Kind::kDecimal;
}

bool IsCharacterValue(const Value& v) { return IsTextual(v.kind) && IsCharacterType(v.sql_type); }

std::optional<Number> SpecialNumber(std::string_view text) {
  Number n;
  n.is_float = true;
  if (text == "NaN") {
    n.kind = Number::Kind::kNaN;
  } else if (text == "Infinity" || text == "+Infinity") {
    n.kind = Number::Kind::kPosInfinity;
  } else if (text == "-Infinity") {
    n.kind = Number::Kind::kNegInfinity;
  } else {
    return std::nullopt;
  }
  return n;
}

std::string ShortestDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return "?";
  return std::string(buf, static_cast<size_t>(end - buf));
}

// The value as a character column would store it.
std::string TextForm(const Value& v) {
  switch (v.kind) {
    case Kind::kBool:
      return v.b ? "true" : "false";
    case Kind::kInt:
      return std::to_string(v.i);
    case Kind::kUInt:
      return std::to_string(v.u);
    case Kind::kFloat:
      return ShortestDouble(v.d);
    default:
      return v.text;
  }
}

std::optional<bool> ToBool(const Value& v) {
  switch (v.kind) {
    case Kind::kBool:
      return v.b;
    case Kind::kInt:
      if (v.i == 0 || v.i == 1) return v.i == 1;
      return std::nullopt;
    case Kind::kUInt:
      if (v.u <= 1) return v.u == 1;
      return std::nullopt;
    case Kind::kText: {
      std::string t = AsciiLower(v.text);
      if (t == "t" || t == "true" || t == "1") return true;
      if (t == "f" || t == "false" || t == "0") return false;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Instant> ToInstant(const Value& v) {
  switch (v.kind) {
    case Kind::kDate:
    case Kind::kTimestamp:
    case Kind::kTimestampTz:
    case Kind::kText:
    case Kind::kOther:
      return ParseInstant(v.text);
    default:
      return std::nullopt;
  }
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

}  // namespace

bool IsCharacterType(std::string_view sql_type) {
  static constexpr std::string_view kNames[] = {
      "text",     "varchar",    "char",     "character", "character varying",
      "bpchar",   "citext",     "name",     "nvarchar",  "nchar",
      "tinytext", "mediumtext", "longtext", "clob",      "string"};
  std::string base = BaseTypeName(sql_type);
  return std::find(std::begin(kNames), std::end(kNames), base) != std::end(kNames);
}

std::optional<IntegerType> IntegerTypeOf(std::string_view sql_type) {
  std::string base = BaseTypeName(sql_type);
  IntegerType t;
  constexpr std::string_view kUnsigned = " unsigned";
  if (base.size() > kUnsigned.size() &&
      base.compare(base.size() - kUnsigned.size(), kUnsigned.size(), kUnsigned) == 0) {
    t.is_unsigned = true;
    base = BaseTypeName(base.substr(0, base.size() - kUnsigned.size()));
  }
  if (base == "int2" || base == "smallint" || base == "smallserial") {
    t.bits = 16;
  } else if (base == "int4" || base == "int" || base == "integer" || base == "serial") {
    t.bits = 32;
  } else if (base == "int8" || base == "bigint" || base == "bigserial") {
    t.bits = 64;
  } else if (base == "tinyint") {
    t.bits = 8;
  } else if (base == "mediumint") {
    t.bits = 24;
  } else {
    return std::nullopt;
  }
  return t;
}

std::optional<Number> ToNumber(const Value& v) {
  Number n;
  switch (v.kind) {
    case Kind::kInt:
      n.exact = ExactDecimal::FromInt(v.i);
      return n;
    case Kind::kUInt:
      n.exact = ExactDecimal::FromUInt(v.u);
      return n;
    case Kind::kFloat:
      n.is_float = true;
      if (std::isnan(v.d)) {
        n.kind = Number::Kind::kNaN;
      } else if (std::isinf(v.d)) {
        n.kind = v.d > 0 ? Number::Kind::kPosInfinity : Number::Kind::kNegInfinity;
      } else {
        n.exact = *ExactDecimal::FromDouble(v.d);
      }
      return n;
    case Kind::kText:
      if (IsCharacterType(v.sql_type)) return std::nullopt;
      [[fallthrough]];
    case Kind::kDecimal: {
      if (auto special = SpecialNumber(v.text)) return special;
      std::optional<ExactDecimal> exact = ExactDecimal::Parse(v.text);
      if (!exact) return std::nullopt;
      n.exact = std::move(*exact);
      return n;
    }
    default:
      return std::nullopt;
  }
}

int CompareNumbers(const Number& a, const Number& b) {
  auto rank = [](Number::Kind k) {
    switch (k) {
      case Number::Kind::kNegInfinity:
        return 0;
      case Number::Kind::kFinite:
        return 1;
      case Number::Kind::kPosInfinity:
        return 2;
      case Number::Kind::kNaN:
        return 3;
    }
    return 3;
  };
  int ra = rank(a.kind), rb = rank(b.kind);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (a.kind != Number::Kind::kFinite) return 0;
  return ExactDecimal::Compare(a.exact, b.exact);
}

double NumberToDouble(const Number& n) {
  switch (n.kind) {
    case Number::Kind::kNaN:
      return std::nan("");
    case Number::Kind::kPosInfinity:
      return HUGE_VAL;
    case Number::Kind::kNegInfinity:
      return -HUGE_VAL;
    case Number::Kind::kFinite:
      break;
  }
  std::string text = n.exact.ToString();
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec == std::errc::result_out_of_range) return n.exact.is_negative() ? -HUGE_VAL : HUGE_VAL;
  return d;
}

std::optional<Instant> ParseInstant(std::string_view s) {
  size_t p = 0;
  auto digits = [&](size_t count, int* out) {
    if (p + count > s.size()) return false;
    int v = 0;
    for (size_t k = 0; k < count; ++k) {
      if (!IsDigit(s[p + k])) return false;
      v = v * 10 + (s[p + k] - '0');
    }
    p += count;
    *out = v;
    return true;
  };
  auto literal = [&](char c) {
    if (p < s.size() && s[p] == c) {
      ++p;
      return true;
    }
    return false;
  };
  int year = 0, month = 0, day = 0;
  if (!digits(4, &year) || !literal('-') || !digits(2, &month) || !literal('-') ||
      !digits(2, &day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  int32_t nanos = 0;
  if (literal('T') || literal(' ')) {
    if (!digits(2, &hour) || !literal(':') || !digits(2, &minute)) return std::nullopt;
    if (literal(':')) {
      if (!digits(2, &second)) return std::nullopt;
      if (literal('.')) {
        int count = 0;
        while (p < s.size() && IsDigit(s[p])) {
          if (count < 9) nanos = nanos * 10 + (s[p] - '0');
          ++count;
          ++p;
        }
        if (count == 0) return std::nullopt;
        for (int k = std::min(count, 9); k < 9; ++k) nanos *= 10;
      }
    }
    if (hour > 24 || minute > 59 || second > 60) return std::nullopt;
  }
  int64_t offset = 0;
  if (literal('Z')) {
    // UTC
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh = 0, om = 0, os = 0;
    if (!digits(2, &oh)) return std::nullopt;
    if (literal(':')) {
      if (!digits(2, &om)) return std::nullopt;
      if (literal(':') && !digits(2, &os)) return std::nullopt;
    } else if (p < s.size() && !digits(2, &om)) {
      return std::nullopt;
    }
    offset = sign * (int64_t{oh} * 3600 + om * 60 + os);
  }
  if (p != s.size()) return std::nullopt;
  Instant instant;
  instant.seconds = DaysFromCivil(year, month, day) * 86400 + int64_t{hour} * 3600 + minute * 60 +
                    second - offset;
  instant.nanos = nanos;
  return instant;
}

std::optional<int> SemanticCompare(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) {
    if (a.is_null() && b.is_null()) return 0;
    return a.is_null() ? -1 : 1;
  }
  // A character column holds text: compare as text, whatever it looks like.
  if (IsCharacterValue(a) || IsCharacterValue(b)) {
    return Sign(TextForm(a).compare(TextForm(b)));
  }
  if (a.kind == Kind::kBool || b.kind == Kind::kBool) {
    std::optional<bool> x = ToBool(a), y = ToBool(b);
    if (!x || !y) return std::nullopt;
    return *x == *y ? 0 : (*x ? 1 : -1);
  }
  std::optional<Number> na = ToNumber(a), nb = ToNumber(b);
  if (na && nb) return CompareNumbers(*na, *nb);
  if ((na && IsTypedNumber(a.kind)) || (nb && IsTypedNumber(b.kind))) return std::nullopt;
  if (!IsTextual(a.kind) || !IsTextual(b.kind)) return std::nullopt;
  std::optional<Instant> ia = ToInstant(a), ib = ToInstant(b);
  if (ia && ib) {
    if (ia->seconds != ib->seconds) return ia->seconds < ib->seconds ? -1 : 1;
    if (ia->nanos != ib->nanos) return ia->nanos < ib->nanos ? -1 : 1;
    return 0;
  }
  return Sign(a.text.compare(b.text));
}

bool SemanticEqual(const Value& a, const Value& b) {
  std::optional<int> c = SemanticCompare(a, b);
  return c.has_value() && *c == 0;
}

std::string DescribeValue(const Value& v) {
  constexpr size_t kMaxText = 64;
  switch (v.kind) {
    case Kind::kNull:
      return "NULL";
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kUInt:
    case Kind::kFloat:
      return TextForm(v);
    default:
      if (v.text.size() > kMaxText) return "'" + v.text.substr(0, kMaxText) + "...'";
      return "'" + v.text + "'";
  }
}

}  // namespace deltabridge
