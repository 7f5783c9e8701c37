// libpq connection strings in deltabridge's YAML files: a syntax check, and
// redaction of passwords before a string reaches a log line or an error
// message (contract section 1: passwords never appear there). ODBC
// connection strings have theirs in the ODBC client layer
// (cdc/clients/odbc/odbc_connection_string.h).
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deltabridge {

// `conninfo` with every password replaced by ***:
//   keyword/value form: password=secret, password = 'se cret', password='it\'s'
//     each become password=*** (the rest of the string is kept byte for byte;
//     an unterminated quoted password is redacted to the end of the string);
//   URI form: postgresql://user:secret@host/db becomes postgresql://user:***@host/db
//     and a ?password=secret parameter becomes password=***.
// Keywords are compared case-insensitively, so a misspelt case is redacted too.
std::string RedactConninfo(std::string_view conninfo);

// nullopt when `conninfo` is a well-formed libpq conninfo ("host=h dbname=d",
// values optionally single-quoted with \' and \\ escapes) or starts with
// postgresql:// or postgres://; else what is wrong, naming keywords but never
// values ("missing \"=\" after keyword \"host\"").
std::optional<std::string> CheckConninfoSyntax(std::string_view conninfo);

}  // namespace deltabridge
