// The mapping check: whether a sink's mappings can be applied to the tables
// the target has, before anything is applied. deltabridge never creates or
// alters a target's own tables, so a missing table, key or column, or a rule
// that does not suit its column's type, is a problem for the DBA to fix, said
// up front with the file's key path ("mappings[2].rules.seats: ...").
//
// Functions borrow their arguments for the call; thread-safety is the
// session's.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cdc/core/status.h"
#include "sinks/sink_config.h"
#include "sinks/sql/sql_session.h"
#include "sinks/sql/sql_table.h"

namespace deltabridge {

// Checks a mapping against its table: the key and every ruled, renamed and
// soft-delete column exist; each rule suits its column's type (`additive`
// needs a number, max/min a comparable type, `by` a timestamp). One message
// per problem, "mappings[N].rules.COLUMN: ..." when `index` is known.
std::vector<std::string> CheckMappingAgainstTable(const MappingConfig& mapping, size_t index,
                                                  const TargetTableInfo& table);

// Describes the table of every mapping of `config` through `session` and
// checks each mapping against it (mappings sharing a table must share its
// key). FailedPrecondition listing every problem ("the target does not suit
// the sink file:" then one line each) when any; an error of the session as
// it came.
Result<SqlTables> DescribeMappedTables(SqlSession& session, const SinkConfig& config);

}  // namespace deltabridge
