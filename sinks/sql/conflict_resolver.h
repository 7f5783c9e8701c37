// Resolving a conflict held in deltabridge_conflicts (`deltabridge conflicts
// SINK.yaml resolve ID --take incoming|current`).
//
//   --take current   leaves the target as it is and closes the conflict;
//   --take incoming  writes what the held change wanted, as `overwrite` would:
//                    field     the field's incoming value, and the change as
//                              the field's last writer (the row is inserted
//                              with its key when it is gone);
//                    delete    deletes the row;
//                    truncate  empties the table;
//                    rejected  writes the delta's fields (update, or insert
//                              when the row is missing); if the target refuses
//                              it again, nothing changes and the database's
//                              message says why.
// Either way, in one transaction with closing the conflict.
//
// Borrows the session and config for the call.
#pragma once

#include <cstdint>
#include <string_view>

#include "cdc/core/status.h"
#include "sinks/sink_config.h"
#include "sinks/sql/sql_session.h"

namespace deltabridge {

// NotFound for an unknown id (or one of another sink), FailedPrecondition when
// already resolved, Rejected when the target refuses the incoming values,
// InvalidArgument for a bad `take`.
Status ResolveConflict(SqlSession& session, const SinkConfig& config, int64_t id,
                       std::string_view take, int64_t now_us);

}  // namespace deltabridge
