// The Prometheus metrics of a running sink (`sink.metrics`), rendered from
// the runner's stats at each scrape. Names and meanings: docs/metrics.md.
#pragma once

#include <optional>
#include <string>

#include "sinks/sink_config.h"
#include "sinks/sink_runner.h"

namespace deltabridge {

// `conflicts_waiting`: the open conflicts in the target as last counted
// (nullopt: not known, e.g. a JSON-lines target or the count failed).
std::string RenderSinkMetrics(const SinkConfig& config, const SinkStats& stats,
                              std::optional<uint64_t> conflicts_waiting, int64_t now_us);

}  // namespace deltabridge
