#include "gateway/gateway_status_file.h"

#include <unistd.h>

#include "cdc/core/atomic_file.h"
#include "cdc/core/utc_time.h"
#include "cdc/core/wall_clock.h"

namespace deltabridge {

std::string EncodeGatewayStatus(const GatewayStatus& status, int pid, int64_t now_us) {
  nlohmann::ordered_json j;
  j["gateway"] = status.gateway;
  j["pid"] = pid;
  j["updated"] = FormatUtcMicros(now_us);
  j["updated_us"] = now_us;
  nlohmann::ordered_json bridges = nlohmann::ordered_json::object();
  for (const auto& b : status.bridges) {
    bridges[b.name] = {{"applied", b.applied},
                       {"gaps_repaired", b.gaps_repaired},
                       {"reconnects", b.reconnects},
                       {"malformed", b.malformed}};
  }
  j["bridges"] = std::move(bridges);
  j["streams"] = status.streams;
  j["streams_opened"] = status.hub.streams_opened;
  j["overflow_closes"] = status.hub.overflow_closes;
  j["resets"] = status.hub.resets;
  j["messages_queued"] = status.hub.messages_queued;
  j["refused"] = {{"401", status.core.refused_401},
                  {"403", status.core.refused_403},
                  {"429", status.core.refused_429},
                  {"400", status.core.bad_requests}};
  j["pushes"] = {{"received", status.core.pushes},
                 {"applied", status.pushes.applied},
                 {"conflicts", status.pushes.conflicts},
                 {"rejected", status.pushes.rejected},
                 {"failed", status.pushes.failed}};
  j["server"] = status.server;
  return j.dump(2) + "\n";
}

Status GatewayStatusFile::Write(const GatewayStatus& status) const {
  AtomicFileOptions options;
  options.sync = false;
  options.mode = 0640;
  return WriteFileAtomically(path_, EncodeGatewayStatus(status, ::getpid(), WallClockMicros()),
                             options);
}

}  // namespace deltabridge
