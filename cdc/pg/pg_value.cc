#include "cdc/pg/pg_value.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "cdc/core/civil_date.h"

namespace deltabridge {

namespace {

using Kind = Value::Kind;

// Builtin type OIDs (pg_type.dat; stable across PostgreSQL versions).
constexpr uint32_t kBoolOid = 16;
constexpr uint32_t kByteaOid = 17;
constexpr uint32_t kCharOid = 18;
constexpr uint32_t kNameOid = 19;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt2Oid = 21;
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kTextOid = 25;
constexpr uint32_t kOidOid = 26;
constexpr uint32_t kJsonOid = 114;
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat8Oid = 701;
constexpr uint32_t kBpcharOid = 1042;
constexpr uint32_t kVarcharOid = 1043;
constexpr uint32_t kDateOid = 1082;
constexpr uint32_t kTimeOid = 1083;
constexpr uint32_t kTimestampOid = 1114;
constexpr uint32_t kTimestampTzOid = 1184;
constexpr uint32_t kNumericOid = 1700;
constexpr uint32_t kJsonbOid = 3802;

struct BuiltinType {
  uint32_t oid;
  std::string_view name;
};

// The user-facing types of pg_catalog and their array types, sorted by OID.
// Generated from a PostgreSQL 15 catalog (pg_type, typtype b/r/m).
constexpr BuiltinType kBuiltinTypes[] = {{16, "bool"},
                                         {17, "bytea"},
                                         {18, "char"},
                                         {19, "name"},
                                         {20, "int8"},
                                         {21, "int2"},
                                         {23, "int4"},
                                         {24, "regproc"},
                                         {25, "text"},
                                         {26, "oid"},
                                         {27, "tid"},
                                         {28, "xid"},
                                         {29, "cid"},
                                         {114, "json"},
                                         {142, "xml"},
                                         {143, "_xml"},
                                         {199, "_json"},
                                         {600, "point"},
                                         {601, "lseg"},
                                         {602, "path"},
                                         {603, "box"},
                                         {604, "polygon"},
                                         {628, "line"},
                                         {629, "_line"},
                                         {650, "cidr"},
                                         {651, "_cidr"},
                                         {700, "float4"},
                                         {701, "float8"},
                                         {718, "circle"},
                                         {719, "_circle"},
                                         {774, "macaddr8"},
                                         {775, "_macaddr8"},
                                         {790, "money"},
                                         {791, "_money"},
                                         {829, "macaddr"},
                                         {869, "inet"},
                                         {1000, "_bool"},
                                         {1001, "_bytea"},
                                         {1002, "_char"},
                                         {1003, "_name"},
                                         {1005, "_int2"},
                                         {1007, "_int4"},
                                         {1008, "_regproc"},
                                         {1009, "_text"},
                                         {1010, "_tid"},
                                         {1011, "_xid"},
                                         {1012, "_cid"},
                                         {1014, "_bpchar"},
                                         {1015, "_varchar"},
                                         {1016, "_int8"},
                                         {1017, "_point"},
                                         {1018, "_lseg"},
                                         {1019, "_path"},
                                         {1020, "_box"},
                                         {1021, "_float4"},
                                         {1022, "_float8"},
                                         {1027, "_polygon"},
                                         {1028, "_oid"},
                                         {1033, "aclitem"},
                                         {1034, "_aclitem"},
                                         {1040, "_macaddr"},
                                         {1041, "_inet"},
                                         {1042, "bpchar"},
                                         {1043, "varchar"},
                                         {1082, "date"},
                                         {1083, "time"},
                                         {1114, "timestamp"},
                                         {1115, "_timestamp"},
                                         {1182, "_date"},
                                         {1183, "_time"},
                                         {1184, "timestamptz"},
                                         {1185, "_timestamptz"},
                                         {1186, "interval"},
                                         {1187, "_interval"},
                                         {1231, "_numeric"},
                                         {1266, "timetz"},
                                         {1270, "_timetz"},
                                         {1560, "bit"},
                                         {1561, "_bit"},
                                         {1562, "varbit"},
                                         {1563, "_varbit"},
                                         {1700, "numeric"},
                                         {2205, "regclass"},
                                         {2206, "regtype"},
                                         {2210, "_regclass"},
                                         {2211, "_regtype"},
                                         {2950, "uuid"},
                                         {2951, "_uuid"},
                                         {3220, "pg_lsn"},
                                         {3221, "_pg_lsn"},
                                         {3614, "tsvector"},
                                         {3615, "tsquery"},
                                         {3643, "_tsvector"},
                                         {3645, "_tsquery"},
                                         {3802, "jsonb"},
                                         {3807, "_jsonb"},
                                         {3904, "int4range"},
                                         {3905, "_int4range"},
                                         {3906, "numrange"},
                                         {3907, "_numrange"},
                                         {3908, "tsrange"},
                                         {3909, "_tsrange"},
                                         {3910, "tstzrange"},
                                         {3911, "_tstzrange"},
                                         {3912, "daterange"},
                                         {3913, "_daterange"},
                                         {3926, "int8range"},
                                         {3927, "_int8range"},
                                         {4072, "jsonpath"},
                                         {4073, "_jsonpath"},
                                         {4089, "regnamespace"},
                                         {4090, "_regnamespace"},
                                         {4451, "int4multirange"},
                                         {4532, "nummultirange"},
                                         {4533, "tsmultirange"},
                                         {4534, "tstzmultirange"},
                                         {4535, "datemultirange"},
                                         {4536, "int8multirange"},
                                         {6150, "_int4multirange"},
                                         {6151, "_nummultirange"},
                                         {6152, "_tsmultirange"},
                                         {6153, "_tstzmultirange"},
                                         {6155, "_datemultirange"},
                                         {6157, "_int8multirange"}};

static_assert(std::is_sorted(std::begin(kBuiltinTypes), std::end(kBuiltinTypes),
                             [](const BuiltinType& a, const BuiltinType& b) {
                               return a.oid < b.oid;
                             }),
              "kBuiltinTypes must be sorted by OID");

// The same table sorted by name, for BuiltinOidForName.
constexpr auto kBuiltinTypesByName = [] {
  std::array<BuiltinType, std::size(kBuiltinTypes)> a{};
  std::copy(std::begin(kBuiltinTypes), std::end(kBuiltinTypes), a.begin());
  std::sort(a.begin(), a.end(),
            [](const BuiltinType& x, const BuiltinType& y) { return x.name < y.name; });
  return a;
}();

// The OID of the builtin type called `name`, 0 when there is none.
uint32_t BuiltinOidForName(std::string_view name) {
  auto it = std::lower_bound(kBuiltinTypesByName.begin(), kBuiltinTypesByName.end(), name,
                             [](const BuiltinType& t, std::string_view n) { return t.name < n; });
  return it != kBuiltinTypesByName.end() && it->name == name ? it->oid : 0;
}

Value Other(std::string_view text, std::string_view type) {
  return Value::Textual(Kind::kOther, std::string(text), std::string(type));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at s[*pos]; false otherwise.
bool FixedDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (s.size() - *pos < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// A date and time of day as PostgreSQL prints them with DateStyle=ISO.
struct DateTime {
  int64_t year = 0;
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string_view fraction;  // the digits after '.', maybe empty
};

// Parses "YYYY-MM-DD HH:MM:SS[.f{1,6}]" (the year has 4 or more digits) at the
// start of `s`; returns the length parsed, 0 when it does not match.
size_t ParseDateTime(std::string_view s, DateTime* t) {
  size_t pos = 0;
  while (pos < s.size() && IsDigit(s[pos]) && pos < 9) {
    t->year = t->year * 10 + (s[pos] - '0');
    ++pos;
  }
  if (pos < 4) return 0;
  if (!Expect(s, &pos, '-') || !FixedDigits(s, &pos, 2, &t->month) || !Expect(s, &pos, '-') ||
      !FixedDigits(s, &pos, 2, &t->day) || !Expect(s, &pos, ' ') ||
      !FixedDigits(s, &pos, 2, &t->hour) || !Expect(s, &pos, ':') ||
      !FixedDigits(s, &pos, 2, &t->minute) || !Expect(s, &pos, ':') ||
      !FixedDigits(s, &pos, 2, &t->second)) {
    return 0;
  }
  if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > 31 || t->hour > 23 ||
      t->minute > 59 || t->second > 60) {
    return 0;
  }
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start || pos - start > 6) return 0;
    t->fraction = s.substr(start, pos - start);
  }
  return pos;
}

bool IsInfinity(std::string_view text) { return text == "infinity" || text == "-infinity"; }
bool IsBc(std::string_view text) {
  return text.size() > 3 && text.substr(text.size() - 3) == " BC";
}

void AppendPadded(std::string* out, int64_t v, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  for (int n = static_cast<int>(end - buf); n < width; ++n) out->push_back('0');
  out->append(buf, end);
}

// "YYYY-MM-DD HH:MM:SS[.f]+HH[:MM[:SS]]" -> "YYYY-MM-DDTHH:MM:SS[.f]Z".
Value TimestampTz(std::string_view text, std::string_view type) {
  if (IsInfinity(text) || IsBc(text)) {
    return Value::Textual(Kind::kTimestampTz, std::string(text), std::string(type));
  }
  DateTime t;
  size_t pos = ParseDateTime(text, &t);
  if (pos == 0 || pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) {
    return Other(text, type);
  }
  const int sign = text[pos++] == '-' ? -1 : 1;
  int off_h = 0, off_m = 0, off_s = 0;
  if (!FixedDigits(text, &pos, 2, &off_h)) return Other(text, type);
  if (pos < text.size() && !(Expect(text, &pos, ':') && FixedDigits(text, &pos, 2, &off_m))) {
    return Other(text, type);
  }
  if (pos < text.size() && !(Expect(text, &pos, ':') && FixedDigits(text, &pos, 2, &off_s))) {
    return Other(text, type);
  }
  if (pos != text.size() || off_m > 59 || off_s > 59) return Other(text, type);

  // Local time minus its offset is UTC.
  const int64_t offset = sign * (off_h * 3600 + off_m * 60 + off_s);
  const int64_t local =
      DaysFromCivil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
  const int64_t utc = local - offset;
  int64_t days = utc / 86400;
  int64_t secs = utc % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  int64_t year = 0;
  int month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  if (year < 1) return Other(text, type);  // crossed into BC: keep PostgreSQL's text

  std::string out;
  out.reserve(text.size());
  AppendPadded(&out, year, 4);
  out.push_back('-');
  AppendPadded(&out, month, 2);
  out.push_back('-');
  AppendPadded(&out, day, 2);
  out.push_back('T');
  AppendPadded(&out, secs / 3600, 2);
  out.push_back(':');
  AppendPadded(&out, secs / 60 % 60, 2);
  out.push_back(':');
  AppendPadded(&out, secs % 60, 2);
  if (!t.fraction.empty()) {
    out.push_back('.');
    out.append(t.fraction);
  }
  out.push_back('Z');
  return Value::Textual(Kind::kTimestampTz, std::move(out), std::string(type));
}

// "YYYY-MM-DD HH:MM:SS[.f]" -> "YYYY-MM-DDTHH:MM:SS[.f]".
Value Timestamp(std::string_view text, std::string_view type) {
  if (IsInfinity(text) || IsBc(text)) {
    return Value::Textual(Kind::kTimestamp, std::string(text), std::string(type));
  }
  DateTime t;
  if (ParseDateTime(text, &t) != text.size()) return Other(text, type);
  std::string out(text);
  out[out.find(' ')] = 'T';
  return Value::Textual(Kind::kTimestamp, std::move(out), std::string(type));
}

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// bytea_output=hex (\x0aff) or escape (a\\b\000, where \\ is a backslash and \ooo an octal
// byte); false when malformed.
bool DecodeBytea(std::string_view text, std::string* out) {
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    if (text.size() % 2 != 0) return false;
    out->reserve((text.size() - 2) / 2);
    for (size_t i = 2; i < text.size(); i += 2) {
      int hi = HexNibble(text[i]), lo = HexNibble(text[i + 1]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi << 4 | lo));
    }
    return true;
  }
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out->push_back(text[i]);
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      out->push_back('\\');
      ++i;
    } else if (i + 3 < text.size() && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) &&
               IsOctal(text[i + 3]) && text[i + 1] <= '3') {
      out->push_back(static_cast<char>((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 |
                                       (text[i + 3] - '0')));
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

Value Integer(std::string_view text, std::string_view type) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return Other(text, type);
  return Value::Int(v, std::string(type));
}

Value Float(std::string_view text, std::string_view type) {
  double v = 0;
  if (text == "NaN") {
    v = std::numeric_limits<double>::quiet_NaN();
  } else if (text == "Infinity") {
    v = std::numeric_limits<double>::infinity();
  } else if (text == "-Infinity") {
    v = -std::numeric_limits<double>::infinity();
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
      return Other(text, type);
    }
  }
  return Value::Float(v, std::string(type));
}

}  // namespace

std::string_view PgBuiltinTypeName(uint32_t oid) {
  auto it = std::lower_bound(std::begin(kBuiltinTypes), std::end(kBuiltinTypes), oid,
                             [](const BuiltinType& t, uint32_t o) { return t.oid < o; });
  if (it == std::end(kBuiltinTypes) || it->oid != oid) return {};
  return it->name;
}

Value PgTextToValue(uint32_t type_oid, std::string_view text, std::string_view type_name) {
  const std::string_view builtin_name = PgBuiltinTypeName(type_oid);
  const std::string_view type = type_name.empty() ? builtin_name : type_name;
  uint32_t oid = type_oid;
  if (builtin_name.empty() && !type_name.empty()) {
    // For a domain, pgoutput's Type message names its base type ("int4"):
    // convert as that type.
    if (uint32_t base = BuiltinOidForName(type_name)) oid = base;
  }
  switch (oid) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return Integer(text, type);
    case kNumericOid:
      return Value::Textual(Kind::kDecimal, std::string(text), std::string(type));
    case kFloat4Oid:
    case kFloat8Oid:
      return Float(text, type);
    case kBoolOid:
      if (text == "t") return Value::Bool(true, std::string(type));
      if (text == "f") return Value::Bool(false, std::string(type));
      return Other(text, type);
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kNameOid:
    case kCharOid:
      return Value::Textual(Kind::kText, std::string(text), std::string(type));
    case kByteaOid: {
      std::string bytes;
      if (!DecodeBytea(text, &bytes)) return Other(text, type);
      return Value::Textual(Kind::kBinary, std::move(bytes), std::string(type));
    }
    case kDateOid:
      return Value::Textual(Kind::kDate, std::string(text), std::string(type));
    case kTimeOid:
      return Value::Textual(Kind::kTime, std::string(text), std::string(type));
    case kTimestampOid:
      return Timestamp(text, type);
    case kTimestampTzOid:
      return TimestampTz(text, type);
    case kJsonOid:
    case kJsonbOid:
      return Value::Textual(Kind::kJson, std::string(text), std::string(type));
    default:
      // timetz, interval, uuid, inet, arrays, enums, domains, unknown OIDs.
      return Other(text, type);
  }
}

}  // namespace deltabridge
