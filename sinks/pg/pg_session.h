// PgSession: the SqlSession of a PostgreSQL target, over libpqxx 6.4.
//
// One pqxx::connection and one pqxx::nontransaction that lives as long as it:
// the engine's BEGIN/COMMIT/ROLLBACK and SAVEPOINTs travel as plain
// statements, so libpqxx never wraps them in transactions of its own. The
// session runs in UTC with ISO dates, hex bytea and full float precision, so
// values read back in the forms sinks/sql/column_values.h expects.
//
// libpqxx throws; every call catches pqxx's exceptions by type here and
// returns a Status (style.md: exceptions stop at the adapter).
//
// Ownership: owns the connection. Thread-safety: one thread at a time.
#pragma once

#include <memory>

#include "sinks/sink_config.h"
#include "sinks/sql/sql_session.h"

namespace deltabridge {

// Connects to the target of `config` (its dsn). Unavailable when the server
// cannot be reached, FailedPrecondition when it refuses (authentication,
// missing database); messages carry the redacted conninfo.
Result<std::unique_ptr<SqlSession>> ConnectPostgres(const PostgresTargetConfig& config);

// The category of a PostgreSQL type, from format_type()'s name and the
// type's pg_type.typcategory (a one-letter code; '\0' when unknown).
ColumnCategory PgCategoryOf(std::string_view format_type_name, char typcategory);

}  // namespace deltabridge
