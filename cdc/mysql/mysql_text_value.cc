#include "cdc/mysql/mysql_text_value.h"

#include <charconv>
#include <cstdlib>

#include "cdc/mysql/mysql_value.h"

namespace deltabridge::mysql {

namespace {

using K = Value::Kind;

bool Is(const std::string& t, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (t == n) return true;
  }
  return false;
}

bool IsInteger(const std::string& t) {
  return Is(t, {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"});
}
bool IsGeometry(const std::string& t) {
  return Is(t, {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
                "multipolygon", "geometrycollection", "geomcollection"});
}
bool IsCharacter(const std::string& t) {
  return Is(t, {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "binary",
                "varbinary", "tinyblob", "blob", "mediumblob", "longblob"});
}
bool IsUnsigned(const MysqlColumnInfo& c) {
  return c.column_type.find("unsigned") != std::string::npos;
}

// "datetime(6)" -> "datetime(6)"; the binlog decoder names types the same way.
std::string TypeName(const MysqlColumnInfo& c) {
  std::string t = c.column_type;
  size_t z = t.find(" zerofill");
  if (z != std::string::npos) t.erase(z);
  return t;
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

std::string SnapshotSelectExpr(const MysqlColumnInfo& c) {
  const std::string q = QuoteIdent(c.name);
  if (c.data_type == "float") return "CAST(" + q + " AS DOUBLE)";
  if (c.data_type == "bit") return q + " + 0";
  if (IsGeometry(c.data_type)) return "ST_AsBinary(" + q + ")";
  if (IsCharacter(c.data_type)) return "CAST(" + q + " AS BINARY)";
  return q;
}

Result<Value> TextToValue(const MysqlColumnInfo& c, std::string_view text) {
  const std::string& t = c.data_type;
  const std::string type = TypeName(c);
  auto bad = [&]() -> Status {
    return Status::Corruption("column " + c.name + " (" + c.column_type + "): unexpected text \"" +
                              std::string(text.substr(0, 64)) + "\"");
  };
  if (IsInteger(t)) {
    if (t == "bigint" && IsUnsigned(c)) {
      uint64_t u = 0;
      if (!ParseNumber(text, &u)) return bad();
      return Value::UInt(u, type);
    }
    int64_t i = 0;
    if (!ParseNumber(text, &i)) return bad();
    return Value::Int(i, type);
  }
  if (t == "decimal" || t == "numeric") return Value::Textual(K::kDecimal, std::string(text), type);
  if (t == "float") {
    // As the decoder: the shortest decimal that reads back as the float.
    double d = std::strtod(std::string(text).c_str(), nullptr);
    float f = static_cast<float>(d);
    double out = f;
    char buf[48];
    auto res = std::to_chars(buf, buf + sizeof buf, f);
    if (res.ec == std::errc()) {
      double parsed = 0;
      auto back = std::from_chars(buf, res.ptr, parsed);
      if (back.ec == std::errc()) out = parsed;
    }
    return Value::Float(out, "float");
  }
  if (t == "double" || t == "real") {
    double d = std::strtod(std::string(text).c_str(), nullptr);
    return Value::Float(d, "double");
  }
  if (t == "bit") {
    uint64_t u = 0;
    if (!ParseNumber(text, &u)) return bad();
    return Value::UInt(u, type);
  }
  if (t == "year") {
    int64_t y = 0;
    if (!ParseNumber(text, &y)) return bad();
    return Value::Int(y, "year");
  }
  if (t == "date") return Value::Textual(K::kDate, std::string(text), "date");
  if (t == "time") return Value::Textual(K::kTime, std::string(text), type);
  if (t == "datetime" || t == "timestamp") {
    std::string s(text);
    size_t sp = s.find(' ');
    if (sp != std::string::npos) s[sp] = 'T';
    if (t == "datetime") return Value::Textual(K::kTimestamp, std::move(s), type);
    return Value::Textual(K::kTimestampTz, s + "Z", type);
  }
  if (t == "enum" || t == "set") return Value::Textual(K::kText, std::string(text), t);
  if (t == "json") return Value::Textual(K::kJson, std::string(text), "json");
  if (IsGeometry(t)) return Value::Textual(K::kBinary, std::string(text), "geometry");
  if (IsCharacter(t)) {
    if (!c.charset || *c.charset == "binary") {
      return Value::Textual(K::kBinary, std::string(text), type);
    }
    if (*c.charset == "latin1") return Value::Textual(K::kText, Latin1ToUtf8(text), type);
    return Value::Textual(K::kText, std::string(text), type);
  }
  return Value::Textual(K::kText, std::string(text), type);
}

}  // namespace deltabridge::mysql
