// CheckPgSource: every prerequisite of a PostgreSQL source, for `deltabridge
// check`: reachable, wal_level, replication privilege, slots and wal senders,
// the tables (exist, have a key, readable), the publication and the slot.
// Each failure carries the exact statement or setting that fixes it.
#pragma once

#include "cdc/config/bridge_config.h"
#include "cdc/core/check_report.h"

namespace deltabridge {

void CheckPgSource(const SourceConfig& source, CheckReport* report);

}  // namespace deltabridge
