// CheckOdbcSource: every prerequisite of an ODBC source, for `deltabridge
// check`: the driver loads and connects, each table exists and is readable,
// its key columns exist, and the timestamp and incrementing columns have
// usable types. Each failure carries the fix.
#pragma once

#include "cdc/config/bridge_config.h"
#include "cdc/core/check_report.h"

namespace deltabridge::odbc {

void CheckOdbcSource(const SourceConfig& source, CheckReport* report);

}  // namespace deltabridge::odbc
