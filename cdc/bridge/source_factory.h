// The source factory: turns one `sources:` entry of a bridge file into a
// running Source (cdc/source/source.h), and checks one for `deltabridge
// check`. The only place in the bridge that knows which kinds of database
// there are; Bridge itself runs every source through the Source interface.
//
// Functions are thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "cdc/config/bridge_config.h"
#include "cdc/core/check_report.h"
#include "cdc/core/status.h"
#include "cdc/source/change_sink.h"
#include "cdc/source/source.h"
#include "cdc/source/stream_spool.h"

namespace deltabridge {

// What a source writes into, borrowed by the source for its lifetime: its
// ChangeSink and the StreamSpool that drains into that sink.
struct SourceSinks {
  ChangeSink* sink = nullptr;
  StreamSpool* spool = nullptr;
};

// Makes the source `source` of `bridge`. InvalidArgument for a type this
// build cannot run.
Result<std::unique_ptr<Source>> MakeSource(const BridgeConfig& bridge, const SourceConfig& source,
                                           SourceSinks sinks);

// The factory Bridge uses; MakeSource unless a test gives another.
using SourceFactory = std::function<Result<std::unique_ptr<Source>>(
    const BridgeConfig& bridge, const SourceConfig& source, SourceSinks sinks)>;

// Adds one line per prerequisite of `source` to `report` (connects to it).
void CheckSource(const SourceConfig& source, CheckReport* report);

}  // namespace deltabridge
