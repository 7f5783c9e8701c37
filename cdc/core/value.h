// Value: one SQL value as deltabridge carries it from a source to the wire.
//
// Sources normalise what they read into one of these kinds; the envelope
// encoder (envelope.h) turns each kind into the JSON form fixed by the
// contract (section 3). Text-like kinds hold their already-normalised text:
// a Date is "YYYY-MM-DD", a TimestampTz is UTC ending in "Z", and so on, so the
// encoder never has to know the source. `sql_type` is the source's type name
// (e.g. "int4", "numeric", "timestamptz"), kept for sinks and diagnostics.
#pragma once

#include <cstdint>
#include <string>

namespace deltabridge {

struct Value {
  enum class Kind : uint8_t {
    kNull,
    kBool,         // b
    kInt,          // i (signed 64-bit)
    kUInt,         // u (unsigned 64-bit, MySQL BIGINT UNSIGNED)
    kFloat,        // d (NaN and infinities allowed)
    kDecimal,      // text: exact decimal digits, e.g. "-12.3400"
    kText,         // text: UTF-8 string
    kBinary,       // text: raw bytes (encoded as base64 on the wire)
    kDate,         // text: YYYY-MM-DD (or the source's canonical text for BC/infinity)
    kTime,         // text: HH:MM:SS[.ffffff]
    kTimestamp,    // text: YYYY-MM-DDTHH:MM:SS[.ffffff]
    kTimestampTz,  // text: YYYY-MM-DDTHH:MM:SS[.ffffff]Z, always UTC
    kJson,         // text: the JSON document's text
    kOther,        // text: canonical text form (interval, uuid, inet, arrays, ...)
  };

  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string text;
  std::string sql_type;

  static Value Null(std::string type = {}) { return Make(Kind::kNull, std::move(type)); }
  static Value Bool(bool v, std::string type = "bool") {
    Value x = Make(Kind::kBool, std::move(type));
    x.b = v;
    return x;
  }
  static Value Int(int64_t v, std::string type = "int8") {
    Value x = Make(Kind::kInt, std::move(type));
    x.i = v;
    return x;
  }
  static Value UInt(uint64_t v, std::string type = "bigint unsigned") {
    Value x = Make(Kind::kUInt, std::move(type));
    x.u = v;
    return x;
  }
  static Value Float(double v, std::string type = "float8") {
    Value x = Make(Kind::kFloat, std::move(type));
    x.d = v;
    return x;
  }
  // For every text-carrying kind.
  static Value Textual(Kind kind, std::string text, std::string type) {
    Value x = Make(kind, std::move(type));
    x.text = std::move(text);
    return x;
  }

  bool is_null() const { return kind == Kind::kNull; }

  // Equality of the value itself (sql_type ignored): what "changed" means.
  bool SameValue(const Value& other) const;

 private:
  static Value Make(Kind kind, std::string type) {
    Value x;
    x.kind = kind;
    x.sql_type = std::move(type);
    return x;
  }
};

}  // namespace deltabridge
