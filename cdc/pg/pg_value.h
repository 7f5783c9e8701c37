// PgTextToValue: turns one column value as pgoutput sends it in TEXT format
// (the type's output function) into the core Value of contract section 3.
//
// Assumes the server session that runs the output plugin has
//   DateStyle = ISO, TimeZone = UTC, IntervalStyle = postgres,
//   extra_float_digits = 3, bytea_output = hex
// which the PostgreSQL source sets on its replication connection. Timestamps
// with time zone are nonetheless parsed with their "+HH[:MM[:SS]]" offset and
// converted to UTC, so they stay right under any TimeZone; bytea in the escape
// format is decoded too.
//
// Mapping (kind, from the type OID; sql_type is `type_name` when given, else
// PgBuiltinTypeName(type_oid), which is empty for an unknown OID):
//   int2 int4 int8 oid     -> kInt
//   numeric                -> kDecimal, every digit kept; NaN, Infinity, -Infinity as text
//   float4 float8          -> kFloat, NaN and +-Infinity included
//   bool                   -> kBool
//   text varchar bpchar name "char" -> kText
//   bytea                  -> kBinary, the raw bytes
//   date                   -> kDate (text as is; "2024-01-31", "0044-03-15 BC", "infinity")
//   time                   -> kTime
//   timestamp              -> kTimestamp, "YYYY-MM-DDTHH:MM:SS[.ffffff]"
//   timestamptz            -> kTimestampTz in UTC, "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"
//   json jsonb             -> kJson
//   anything else (timetz, interval, uuid, inet, cidr, macaddr, arrays, enums,
//   unknown OIDs) -> kOther with the text as PostgreSQL printed it.
// A non-builtin OID whose `type_name` is a builtin type's name converts as
// that type: for a domain, pgoutput's Type message carries the domain's OID
// with its base type's name (a domain over integer arrives as "int4"). Pass
// types outside pg_catalog qualified ("public.text") if their name could
// collide with a builtin one.
// Fractional seconds keep the digits PostgreSQL printed (it drops trailing
// zeros). Infinite and BC dates/timestamps keep PostgreSQL's text. Text that
// does not parse as its type (which PostgreSQL does not send) becomes kOther
// with the text unchanged, so nothing is lost.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "cdc/core/value.h"

namespace deltabridge {

// Converts the text of one value of type `type_oid`. `type_name` is the name
// from a pgoutput Type message or the catalog (e.g. "mood", "_mood"); may be
// empty for builtin types.
Value PgTextToValue(uint32_t type_oid, std::string_view text, std::string_view type_name = {});

// The pg_catalog name of a builtin type OID ("int4", "_text", "timestamptz"),
// or empty when the OID is not a builtin type this table knows.
std::string_view PgBuiltinTypeName(uint32_t oid);

}  // namespace deltabridge
