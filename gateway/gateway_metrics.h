// The gateway's Prometheus metrics (`gateway.metrics`, docs/metrics.md):
// rendered from the status the runner refreshes once a second, so a scrape
// never touches the network thread.
//
// Pure function; thread-safe.
#pragma once

#include <string>

#include "gateway/gateway_status_file.h"

namespace deltabridge {

std::string RenderGatewayMetrics(const GatewayStatus& status);

}  // namespace deltabridge
