#include "cdc/mysql/row_image_decoder.h"

#include <charconv>
#include <cstring>
#include <string>

#include "cdc/mysql/json_binary.h"
#include "cdc/mysql/mysql_value.h"

namespace deltabridge::mysql {

namespace {

using K = Value::Kind;

// Type names are the same for every value of a column: built once, copied
// (short strings: no allocation) into each Value.
const std::string& IntTypeName(uint8_t type, bool is_unsigned) {
  static const std::string kNames[5][2] = {{"tinyint", "tinyint unsigned"},
                                           {"smallint", "smallint unsigned"},
                                           {"mediumint", "mediumint unsigned"},
                                           {"int", "int unsigned"},
                                           {"bigint", "bigint unsigned"}};
  size_t k;
  switch (type) {
    case kTypeTiny:
      k = 0;
      break;
    case kTypeShort:
      k = 1;
      break;
    case kTypeInt24:
      k = 2;
      break;
    case kTypeLong:
      k = 3;
      break;
    default:
      k = 4;
      break;
  }
  return kNames[k][is_unsigned ? 1 : 0];
}

// "name" for fsp 0, else "name(fsp)".
class FspTypeNames {
 public:
  explicit FspTypeNames(const char* name) : name_(name) {
    for (uint32_t fsp = 0; fsp < kCached; ++fsp) names_[fsp] = Build(fsp);
  }
  std::string Get(uint32_t fsp) const { return fsp < kCached ? names_[fsp] : Build(fsp); }

 private:
  static constexpr uint32_t kCached = 7;  // fsp 0..6, all MySQL allows
  std::string Build(uint32_t fsp) const {
    return fsp == 0 ? name_ : name_ + "(" + std::to_string(fsp) + ")";
  }
  const std::string name_;
  std::string names_[kCached];
};

const FspTypeNames kTimeNames("time");
const FspTypeNames kDatetimeNames("datetime");
const FspTypeNames kTimestampNames("timestamp");

// Makes *out what `Value::Textual(kind, "", type)` (or Int/UInt with 0) is,
// reusing its strings: the decoders then set the one field that holds the
// value, without a temporary Value per column.
void ResetValue(Value* out, K kind, const std::string& type) {
  out->kind = kind;
  out->b = false;
  out->i = 0;
  out->u = 0;
  out->d = 0;
  out->text.clear();
  out->sql_type.assign(type);
}

Status ReadInt(const Column& c, ByteReader* r, size_t bytes, Value* out) {
  uint64_t v = 0;
  DB_RETURN_IF_ERROR(r->UintLe(bytes, &v, "integer"));
  bool is_unsigned = c.is_unsigned.value_or(false);
  const std::string& type = IntTypeName(c.type, is_unsigned);
  if (is_unsigned) {
    if (bytes == 8) {
      ResetValue(out, K::kUInt, type);
      out->u = v;
    } else {
      ResetValue(out, K::kInt, type);
      out->i = static_cast<int64_t>(v);
    }
    return Status::Ok();
  }
  int64_t s = static_cast<int64_t>(v);
  if (bytes < 8) {
    uint64_t sign = uint64_t{1} << (8 * bytes - 1);
    if (v & sign) s = static_cast<int64_t>(v | ~((sign << 1) - 1));
  }
  ResetValue(out, K::kInt, type);
  out->i = s;
  return Status::Ok();
}

// Text-like bytes by the column's charset: text (latin1 converted), or binary.
void TextValue(const Column& c, std::string_view bytes, const std::string& type_name,
               bool blob_family, Value* out) {
  if (c.charset) {
    switch (CharsetOf(*c.charset)) {
      case CharsetFamily::kBinary:
        ResetValue(out, K::kBinary, type_name);
        out->text.assign(bytes);
        return;
      case CharsetFamily::kLatin1:
        ResetValue(out, K::kText, type_name);
        out->text = Latin1ToUtf8(bytes);
        return;
      case CharsetFamily::kUtf8:
        ResetValue(out, K::kText, type_name);
        out->text.assign(bytes);
        return;
    }
  }
  // No charset metadata: TEXT and BLOB look alike; bytes that are not UTF-8
  // can only be binary.
  ResetValue(out, blob_family && !IsValidUtf8(bytes) ? K::kBinary : K::kText, type_name);
  out->text.assign(bytes);
}

const std::string& BlobTypeName(const Column& c) {
  static const std::string kNames[4][2] = {{"tinytext", "tinyblob"},
                                           {"text", "blob"},
                                           {"mediumtext", "mediumblob"},
                                           {"longtext", "longblob"}};
  bool binary = c.charset && CharsetOf(*c.charset) == CharsetFamily::kBinary;
  size_t size;
  switch (c.length) {
    case 1:
      size = 0;
      break;
    case 3:
      size = 2;
      break;
    case 4:
      size = 3;
      break;
    default:
      size = 1;
      break;
  }
  return kNames[size][binary || !c.charset ? 1 : 0];
}

// Type names of the length-prefixed string types.
const std::string kVarbinary = "varbinary";
const std::string kVarchar = "varchar";
const std::string kBinaryName = "binary";
const std::string kChar = "char";

Status ReadLengthPrefixed(ByteReader* r, size_t prefix_bytes, std::string_view* out,
                          const char* what) {
  if (prefix_bytes < 1 || prefix_bytes > 4) {
    return Status::Corruption(std::string("bad length-prefix size for ") + what);
  }
  uint64_t len = 0;
  DB_RETURN_IF_ERROR(r->UintLe(prefix_bytes, &len, what));
  return r->Bytes(static_cast<size_t>(len), out, what);
}

}  // namespace

Status DecodeColumnValue(const Column& c, ByteReader* r, Value* out) {
  switch (c.type) {
    case kTypeTiny:
      return ReadInt(c, r, 1, out);
    case kTypeShort:
      return ReadInt(c, r, 2, out);
    case kTypeInt24:
      return ReadInt(c, r, 3, out);
    case kTypeLong:
      return ReadInt(c, r, 4, out);
    case kTypeLongLong:
      return ReadInt(c, r, 8, out);
    case kTypeFloat: {
      uint64_t bits = 0;
      DB_RETURN_IF_ERROR(r->UintLe(4, &bits, "float"));
      uint32_t b32 = static_cast<uint32_t>(bits);
      float f = 0;
      std::memcpy(&f, &b32, sizeof f);
      // The shortest decimal that reads back as this float (1.1f is 1.1, not
      // 1.100000023841858), as MySQL shows it.
      double d = f;
      char buf[48];
      auto res = std::to_chars(buf, buf + sizeof buf, f);
      if (res.ec == std::errc()) {
        double parsed = 0;
        auto back = std::from_chars(buf, res.ptr, parsed);
        if (back.ec == std::errc()) d = parsed;
      }
      *out = Value::Float(d, "float");
      return Status::Ok();
    }
    case kTypeDouble: {
      uint64_t bits = 0;
      DB_RETURN_IF_ERROR(r->UintLe(8, &bits, "double"));
      double d = 0;
      std::memcpy(&d, &bits, sizeof d);
      *out = Value::Float(d, "double");
      return Status::Ok();
    }
    case kTypeNewDecimal: {
      std::string text;
      DB_RETURN_IF_ERROR(ReadPackedDecimal(r, c.precision, c.scale, &text));
      std::string type =
          "decimal(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
      if (c.is_unsigned.value_or(false)) type += " unsigned";
      *out = Value::Textual(K::kDecimal, std::move(text), std::move(type));
      return Status::Ok();
    }
    case kTypeYear: {
      uint8_t y = 0;
      DB_RETURN_IF_ERROR(r->U8(&y, "year"));
      *out = Value::Int(y == 0 ? 0 : 1900 + y, "year");
      return Status::Ok();
    }
    case kTypeBit: {
      size_t bytes = (c.length + 7) / 8;
      if (bytes == 0 || bytes > 8) return Status::Corruption("bad BIT width");
      uint64_t v = 0;
      DB_RETURN_IF_ERROR(r->UintBe(bytes, &v, "bit"));
      *out = Value::UInt(v, "bit(" + std::to_string(c.length) + ")");
      return Status::Ok();
    }
    case kTypeDate:
    case kTypeNewDate: {
      std::string text;
      DB_RETURN_IF_ERROR(ReadDate(r, &text));
      *out = Value::Textual(K::kDate, std::move(text), "date");
      return Status::Ok();
    }
    case kTypeTime2: {
      std::string text;
      DB_RETURN_IF_ERROR(ReadTime2(r, static_cast<int>(c.length), &text));
      *out = Value::Textual(K::kTime, std::move(text), kTimeNames.Get(c.length));
      return Status::Ok();
    }
    case kTypeTime: {
      std::string text;
      DB_RETURN_IF_ERROR(ReadOldTime(r, &text));
      *out = Value::Textual(K::kTime, std::move(text), "time");
      return Status::Ok();
    }
    case kTypeDatetime2: {
      std::string text;
      DB_RETURN_IF_ERROR(ReadDatetime2(r, static_cast<int>(c.length), &text));
      *out = Value::Textual(K::kTimestamp, std::move(text), kDatetimeNames.Get(c.length));
      return Status::Ok();
    }
    case kTypeDatetime: {
      std::string text;
      DB_RETURN_IF_ERROR(ReadOldDatetime(r, &text));
      *out = Value::Textual(K::kTimestamp, std::move(text), "datetime");
      return Status::Ok();
    }
    case kTypeTimestamp2: {
      std::string text;
      DB_RETURN_IF_ERROR(ReadTimestamp2(r, static_cast<int>(c.length), &text));
      *out = Value::Textual(K::kTimestampTz, std::move(text), kTimestampNames.Get(c.length));
      return Status::Ok();
    }
    case kTypeTimestamp: {
      std::string text;
      DB_RETURN_IF_ERROR(ReadOldTimestamp(r, &text));
      *out = Value::Textual(K::kTimestampTz, std::move(text), "timestamp");
      return Status::Ok();
    }
    case kTypeVarchar:
    case kTypeVarString: {
      std::string_view bytes;
      DB_RETURN_IF_ERROR(ReadLengthPrefixed(r, c.length < 256 ? 1 : 2, &bytes, "varchar"));
      bool binary = c.charset && CharsetOf(*c.charset) == CharsetFamily::kBinary;
      TextValue(c, bytes, binary ? kVarbinary : kVarchar, false, out);
      return Status::Ok();
    }
    case kTypeString: {
      std::string_view bytes;
      DB_RETURN_IF_ERROR(ReadLengthPrefixed(r, c.length < 256 ? 1 : 2, &bytes, "char"));
      bool binary = c.charset && CharsetOf(*c.charset) == CharsetFamily::kBinary;
      TextValue(c, bytes, binary ? kBinaryName : kChar, false, out);
      return Status::Ok();
    }
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeBlob: {
      std::string_view bytes;
      DB_RETURN_IF_ERROR(ReadLengthPrefixed(r, c.length, &bytes, "blob"));
      TextValue(c, bytes, BlobTypeName(c), true, out);
      return Status::Ok();
    }
    case kTypeEnum: {
      uint64_t index = 0;
      if (c.length != 1 && c.length != 2) return Status::Corruption("bad ENUM pack length");
      DB_RETURN_IF_ERROR(r->UintLe(c.length, &index, "enum"));
      if (c.labels.empty()) {
        *out = Value::Int(static_cast<int64_t>(index), "enum");
        return Status::Ok();
      }
      std::string text;
      DB_RETURN_IF_ERROR(EnumText(index, c.labels, &text));
      *out = Value::Textual(K::kText, std::move(text), "enum");
      return Status::Ok();
    }
    case kTypeSet: {
      uint64_t bits = 0;
      if (c.length < 1 || c.length > 8) return Status::Corruption("bad SET pack length");
      DB_RETURN_IF_ERROR(r->UintLe(c.length, &bits, "set"));
      if (c.labels.empty()) {
        *out = Value::UInt(bits, "set");
        return Status::Ok();
      }
      std::string text;
      DB_RETURN_IF_ERROR(SetText(bits, c.labels, &text));
      *out = Value::Textual(K::kText, std::move(text), "set");
      return Status::Ok();
    }
    case kTypeJson: {
      std::string_view bytes;
      DB_RETURN_IF_ERROR(ReadLengthPrefixed(r, c.length, &bytes, "json"));
      std::string text;
      DB_RETURN_IF_ERROR(DecodeJsonBinary(bytes, &text));
      *out = Value::Textual(K::kJson, std::move(text), "json");
      return Status::Ok();
    }
    case kTypeGeometry: {
      std::string_view bytes;
      DB_RETURN_IF_ERROR(ReadLengthPrefixed(r, c.length, &bytes, "geometry"));
      if (bytes.size() >= 4) bytes.remove_prefix(4);  // SRID; the rest is WKB
      *out = Value::Textual(K::kBinary, std::string(bytes), "geometry");
      return Status::Ok();
    }
    case kTypeVector: {
      std::string_view bytes;
      DB_RETURN_IF_ERROR(ReadLengthPrefixed(r, c.length, &bytes, "vector"));
      *out = Value::Textual(K::kBinary, std::string(bytes), "vector");
      return Status::Ok();
    }
    case kTypeNull:
      *out = Value::Null();
      return Status::Ok();
    default:
      return Status::FailedPrecondition("column type " + std::to_string(c.type) +
                                        " cannot be decoded");
  }
}

Status DecodeRowImage(const TableMapEvent& table, const std::vector<bool>& present, ByteReader* r,
                      Row* out) {
  size_t n = table.columns.size();
  if (present.size() != n) {
    return Status::Corruption("rows event has " + std::to_string(present.size()) +
                              " columns, its table map " + std::to_string(n));
  }
  size_t count = 0;
  for (bool p : present) count += p ? 1 : 0;
  std::string_view nulls;
  DB_RETURN_IF_ERROR(r->Bytes((count + 7) / 8, &nulls, "row null bitmap"));
  out->assign(n, std::nullopt);
  size_t k = 0;  // index among present columns
  for (size_t i = 0; i < n; ++i) {
    if (!present[i]) continue;
    bool is_null = (static_cast<uint8_t>(nulls[k / 8]) >> (k % 8)) & 1;
    ++k;
    if (is_null) {
      (*out)[i] = Value::Null();
      continue;
    }
    Status s = DecodeColumnValue(table.columns[i], r, &(*out)[i].emplace());
    if (!s.ok()) {
      (*out)[i].reset();
      return s.WithContext("column " + table.ColumnName(i));
    }
  }
  return Status::Ok();
}

Status DecodeRows(const TableMapEvent& table, const RowsEvent& rows, std::vector<RowPair>* out) {
  ByteReader r(rows.rows);
  size_t json_after = 0;
  for (size_t i = 0; i < table.columns.size() && i < rows.columns_after.size(); ++i) {
    if (rows.columns_after[i] && table.columns[i].type == kTypeJson) ++json_after;
  }
  while (!r.empty()) {
    size_t start = r.pos();
    RowPair pair;
    if (rows.kind != RowsKind::kWrite) {
      pair.before.emplace();
      DB_RETURN_IF_ERROR(DecodeRowImage(table, rows.columns_before, &r, &*pair.before)
                             .WithContext("before image"));
    }
    if (rows.kind != RowsKind::kDelete) {
      if (rows.partial_update) {
        // value_options, then (with PARTIAL_JSON_UPDATES) a bit per JSON column.
        uint64_t options = 0;
        DB_RETURN_IF_ERROR(r.LenEnc(&options, "partial update value options"));
        if (options & 1) {
          std::string_view bits;
          DB_RETURN_IF_ERROR(r.Bytes((json_after + 7) / 8, &bits, "partial JSON bitmap"));
          for (char b : bits) {
            if (b != 0) {
              return Status::FailedPrecondition(
                  "a partial JSON update (binlog_row_value_options=PARTIAL_JSON) cannot be "
                  "decoded to whole values; set binlog_row_value_options='' on the server");
            }
          }
        }
      }
      pair.after.emplace();
      DB_RETURN_IF_ERROR(
          DecodeRowImage(table, rows.columns_after, &r, &*pair.after).WithContext("after image"));
    }
    if (r.pos() == start) {
      // Images of no column take no bytes: bytes left over cannot be rows.
      return Status::Corruption("rows event with " + std::to_string(r.remaining()) +
                                " bytes after its last row");
    }
    out->push_back(std::move(pair));
  }
  return Status::Ok();
}

}  // namespace deltabridge::mysql
