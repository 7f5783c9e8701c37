// Semantic comparison of loosely typed values, for the reconciler.
//
// Values reach a sink loosely typed: from the wire a NUMERIC is text
// ("12.50"), a small integer a JSON number, a big one a digit string; the
// target's current values come back typed or as text, depending on the target.
// These functions compare what the values mean, not how they travel:
//
//   * numbers: two values that both read as numbers compare exactly as
//     numbers, so int 12, text "12", text "12.00" and float 12.0 are all equal.
//     A float counts as its shortest round-trip decimal (0.1 is "0.1"). NaN
//     equals NaN and sorts above every number (as in PostgreSQL); -Infinity
//     and Infinity sort below and above every finite number;
//   * text of a character column (sql_type text, varchar, char, ...) is never
//     read as a number: "12.50" and "12.5" differ there;
//   * booleans: kBool against kBool, an integer 0/1, or text t/f/true/false/1/0;
//   * date/time: two values that both read as ISO dates or timestamps
//     (YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|+-HH[:MM]]) compare as
//     instants, so "...10:00:00Z" equals "... 10:00:00+00" and sorts before
//     "...10:00:00.5Z"; a time zone offset is applied, a value without one is
//     taken as UTC;
//   * everything else text-like compares bytewise (UTF-8 text sorts by code
//     point); sql_type is otherwise ignored.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cdc/core/value.h"
#include "mappings/rules/exact_decimal.h"

namespace deltabridge {

// A value read as a number.
struct Number {
  enum class Kind { kFinite, kNegInfinity, kPosInfinity, kNaN };
  Kind kind = Kind::kFinite;
  ExactDecimal exact;     // kFinite only
  bool is_float = false;  // came from a kFloat (or a NaN/Infinity text)
};

// kInt, kUInt, kFloat, kDecimal, and kText that parses as a decimal number
// (or is "NaN", "Infinity", "-Infinity") unless its sql_type is a character
// type. nullopt for anything else, NULL included.
std::optional<Number> ToNumber(const Value& v);
// -1, 0, +1 (NaN == NaN, NaN above everything).
int CompareNumbers(const Number& a, const Number& b);
// The nearest double (NaN and infinities kept).
double NumberToDouble(const Number& n);

// True for sql_type names of character columns: text, varchar, char,
// character varying, bpchar, citext, name, nvarchar, ... (case-insensitive;
// a length suffix like "(20)" is ignored). Empty is not a character type.
bool IsCharacterType(std::string_view sql_type);

// Bit width and signedness of an integer sql_type: int2/smallint 16,
// int4/int/integer/serial 32, int8/bigint/bigserial 64, tinyint 8,
// mediumint 24, each with an optional " unsigned". nullopt otherwise.
struct IntegerType {
  int bits = 64;
  bool is_unsigned = false;
};
std::optional<IntegerType> IntegerTypeOf(std::string_view sql_type);

// An ISO date or timestamp read as an instant (UTC when it has no offset).
struct Instant {
  int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  int32_t nanos = 0;    // 0..999999999
};
std::optional<Instant> ParseInstant(std::string_view text);

// Equality as described above. NULL equals NULL only.
bool SemanticEqual(const Value& a, const Value& b);

// Order as described above: -1, 0, +1; NULL sorts below every value. nullopt
// when the two cannot be ordered (a number against non-numeric text, a bool
// against a date, ...).
std::optional<int> SemanticCompare(const Value& a, const Value& b);

// A short rendering for reasons and logs: NULL, true, 12, 1.5, 'text' (quoted,
// cut at 64 bytes).
std::string DescribeValue(const Value& v);

}  // namespace deltabridge
