// `deltabridge check GATEWAY.yaml`: every prerequisite of a gateway file, one
// report line each (ok, FAIL with the exact fix, or note), as `check` does
// for bridge and sink files (docs/gateway.md, "Checking a gateway file"):
// each subscribed bridge answers; the state directory can be written; the
// tokens file loads and its filters parse; the TLS certificate and key load
// and match; the listen (and metrics) address can be bound; and each entity
// that takes pushes reaches its target, whose table fits the push mapping
// and whose origin tag table can be written.
//
// It changes nothing: the target's tables are probed in transactions rolled
// back, an address is bound and closed at once. Run it as the user the
// gateway runs as: what may be read and bound depends on the user.
//
// Borrows its arguments for the call. Thread-safe.
#pragma once

#include <string>

#include "cdc/core/check_report.h"
#include "gateway/gateway_config.h"

namespace deltabridge {

// Appends the checks of `config`, loaded from `path` (for file:line:column
// and commands in messages), to `report`.
void CheckGateway(const GatewayConfig& config, const std::string& path, CheckReport* report);

}  // namespace deltabridge
