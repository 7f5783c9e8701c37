#include "cdc/mysql/json_binary.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "cdc/core/base64.h"
#include "cdc/mysql/byte_reader.h"
#include "cdc/mysql/mysql_value.h"
#include "cdc/mysql/table_map.h"

namespace deltabridge::mysql {

namespace {

enum JsonType : uint8_t {
  kSmallObject = 0x00,
  kLargeObject = 0x01,
  kSmallArray = 0x02,
  kLargeArray = 0x03,
  kLiteral = 0x04,
  kInt16 = 0x05,
  kUint16 = 0x06,
  kInt32 = 0x07,
  kUint32 = 0x08,
  kInt64 = 0x09,
  kUint64 = 0x0a,
  kDouble = 0x0b,
  kString = 0x0c,
  kOpaque = 0x0f,
};

constexpr int kMaxDepth = 100;

uint64_t Le(std::string_view b, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(b[pos + i])} << (8 * i);
  return v;
}

// The variable-length length of strings and opaque values: 7 bits per byte,
// low bits first, high bit set on all but the last byte; at most 5 bytes.
Status ReadVarLen(std::string_view b, size_t* pos, size_t* out) {
  uint64_t len = 0;
  for (int i = 0; i < 5; ++i) {
    if (*pos >= b.size()) return Status::Corruption("JSON: truncated length");
    uint8_t c = static_cast<uint8_t>(b[(*pos)++]);
    len |= uint64_t{c & 0x7Fu} << (7 * i);
    if ((c & 0x80) == 0) {
      if (len > b.size() - *pos) return Status::Corruption("JSON: length past the value's end");
      *out = static_cast<size_t>(len);
      return Status::Ok();
    }
  }
  return Status::Corruption("JSON: length longer than 5 bytes");
}

void AppendQuoted(std::string* out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    uint8_t c = static_cast<uint8_t>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendDouble(std::string* out, double d) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  size_t e = s.find('e');
  if (e != std::string::npos) {
    // "1e+300" -> "1e300", "1e-07" -> "1e-7", as MySQL prints exponents.
    std::string mant = s.substr(0, e), exp = s.substr(e + 1);
    bool neg = !exp.empty() && exp[0] == '-';
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) exp.erase(0, 1);
    size_t nz = exp.find_first_not_of('0');
    exp = nz == std::string::npos ? "0" : exp.substr(nz);
    s = mant + "e" + (neg ? "-" : "") + exp;
  } else if (s.find('.') == std::string::npos && s.find_first_of("in") == std::string::npos) {
    s += ".0";
  }
  *out += s;
}

Status AppendOpaque(std::string* out, uint8_t field_type, std::string_view data) {
  switch (field_type) {
    case kTypeNewDecimal: {
      if (data.size() < 2) return Status::Corruption("JSON: truncated opaque DECIMAL");
      ByteReader r(data.substr(2));
      std::string text;
      DB_RETURN_IF_ERROR(ReadPackedDecimal(&r, static_cast<uint8_t>(data[0]),
                                           static_cast<uint8_t>(data[1]), &text));
      *out += text;
      return Status::Ok();
    }
    case kTypeDate:
    case kTypeNewDate:
    case kTypeTime:
    case kTypeTime2:
    case kTypeDatetime:
    case kTypeDatetime2:
    case kTypeTimestamp:
    case kTypeTimestamp2: {
      if (data.size() < 8) return Status::Corruption("JSON: truncated opaque temporal value");
      int64_t packed = static_cast<int64_t>(Le(data, 0, 8));
      std::string text;
      if (field_type == kTypeDate || field_type == kTypeNewDate) {
        text = FormatPackedDate(packed);
      } else if (field_type == kTypeTime || field_type == kTypeTime2) {
        text = FormatPackedTime(packed);
      } else {
        text = FormatPackedDatetime(packed);
      }
      AppendQuoted(out, text);
      return Status::Ok();
    }
    default:
      AppendQuoted(out, "base64:type" + std::to_string(field_type) + ":" + Base64Encode(data));
      return Status::Ok();
  }
}

Status AppendValue(std::string* out, uint8_t type, std::string_view b, size_t pos, int depth);

// An object or array whose data (starting with its element count) is at b[pos..].
Status AppendContainer(std::string* out, uint8_t type, std::string_view b, size_t pos, int depth) {
  if (depth > kMaxDepth) return Status::Corruption("JSON: nesting deeper than 100");
  bool large = type == kLargeObject || type == kLargeArray;
  bool object = type == kSmallObject || type == kLargeObject;
  size_t off = large ? 4 : 2;
  if (pos > b.size() || b.size() - pos < 2 * off) {
    return Status::Corruption("JSON: truncated container header");
  }
  uint64_t count = Le(b, pos, off);
  uint64_t size = Le(b, pos + off, off);
  if (size > b.size() - pos || size < 2 * off) {
    return Status::Corruption("JSON: container size past the value's end");
  }
  std::string_view c = b.substr(pos, static_cast<size_t>(size));  // offsets are relative to c
  size_t key_entry = off + 2;
  size_t value_entry = 1 + off;
  uint64_t header = 2 * off + count * ((object ? key_entry : 0) + value_entry);
  if (count > size || header > size)
    return Status::Corruption("JSON: container entries past its end");
  out->push_back(object ? '{' : '[');
  for (uint64_t i = 0; i < count; ++i) {
    if (i > 0) *out += ", ";
    if (object) {
      size_t k = 2 * off + static_cast<size_t>(i) * key_entry;
      uint64_t key_off = Le(c, k, off);
      uint64_t key_len = Le(c, k + off, 2);
      if (key_off > c.size() || key_len > c.size() - key_off) {
        return Status::Corruption("JSON: key past the object's end");
      }
      AppendQuoted(out, c.substr(static_cast<size_t>(key_off), static_cast<size_t>(key_len)));
      *out += ": ";
    }
    size_t v = 2 * off + static_cast<size_t>(count) * (object ? key_entry : 0) +
               static_cast<size_t>(i) * value_entry;
    uint8_t vtype = static_cast<uint8_t>(c[v]);
    bool inlined = vtype == kLiteral || vtype == kInt16 || vtype == kUint16 ||
                   (large && (vtype == kInt32 || vtype == kUint32));
    if (inlined) {
      // The value sits in the entry itself.
      DB_RETURN_IF_ERROR(AppendValue(out, vtype, c.substr(v + 1, off), 0, depth + 1));
    } else {
      uint64_t value_off = Le(c, v + 1, off);
      if (value_off >= c.size()) return Status::Corruption("JSON: value past the container's end");
      DB_RETURN_IF_ERROR(AppendValue(out, vtype, c, static_cast<size_t>(value_off), depth + 1));
    }
  }
  out->push_back(object ? '}' : ']');
  return Status::Ok();
}

// A scalar or container of `type` whose data is at b[pos..].
Status AppendValue(std::string* out, uint8_t type, std::string_view b, size_t pos, int depth) {
  auto need = [&](size_t n) {
    return pos <= b.size() && b.size() - pos >= n
               ? Status::Ok()
               : Status::Corruption("JSON: truncated scalar of type " + std::to_string(type));
  };
  switch (type) {
    case kSmallObject:
    case kLargeObject:
    case kSmallArray:
    case kLargeArray:
      return AppendContainer(out, type, b, pos, depth);
    case kLiteral:
      DB_RETURN_IF_ERROR(need(1));
      switch (static_cast<uint8_t>(b[pos])) {
        case 0:
          *out += "null";
          return Status::Ok();
        case 1:
          *out += "true";
          return Status::Ok();
        case 2:
          *out += "false";
          return Status::Ok();
        default:
          return Status::Corruption("JSON: bad literal");
      }
    case kInt16:
      DB_RETURN_IF_ERROR(need(2));
      *out += std::to_string(static_cast<int16_t>(Le(b, pos, 2)));
      return Status::Ok();
    case kUint16:
      DB_RETURN_IF_ERROR(need(2));
      *out += std::to_string(Le(b, pos, 2));
      return Status::Ok();
    case kInt32:
      DB_RETURN_IF_ERROR(need(4));
      *out += std::to_string(static_cast<int32_t>(Le(b, pos, 4)));
      return Status::Ok();
    case kUint32:
      DB_RETURN_IF_ERROR(need(4));
      *out += std::to_string(Le(b, pos, 4));
      return Status::Ok();
    case kInt64:
      DB_RETURN_IF_ERROR(need(8));
      *out += std::to_string(static_cast<int64_t>(Le(b, pos, 8)));
      return Status::Ok();
    case kUint64:
      DB_RETURN_IF_ERROR(need(8));
      *out += std::to_string(Le(b, pos, 8));
      return Status::Ok();
    case kDouble: {
      DB_RETURN_IF_ERROR(need(8));
      uint64_t bits = Le(b, pos, 8);
      double d = 0;
      std::memcpy(&d, &bits, sizeof d);
      AppendDouble(out, d);
      return Status::Ok();
    }
    case kString: {
      size_t p = pos, len = 0;
      DB_RETURN_IF_ERROR(ReadVarLen(b, &p, &len));
      AppendQuoted(out, b.substr(p, len));
      return Status::Ok();
    }
    case kOpaque: {
      DB_RETURN_IF_ERROR(need(1));
      uint8_t field_type = static_cast<uint8_t>(b[pos]);
      size_t p = pos + 1, len = 0;
      DB_RETURN_IF_ERROR(ReadVarLen(b, &p, &len));
      return AppendOpaque(out, field_type, b.substr(p, len));
    }
    default:
      return Status::Corruption("JSON: unknown value type " + std::to_string(type));
  }
}

}  // namespace

Status DecodeJsonBinary(std::string_view bytes, std::string* out) {
  out->clear();
  if (bytes.empty()) {
    *out = "null";
    return Status::Ok();
  }
  uint8_t type = static_cast<uint8_t>(bytes[0]);
  return AppendValue(out, type, bytes, 1, 0);
}

}  // namespace deltabridge::mysql
