// The running gateway's report, <state_dir>/status.json: each bridge's
// position, the streams open, and the counters, which `deltabridge gateway`
// rewrites once a second and `deltabridge status GATEWAY.yaml` reads without
// touching the gateway.
//
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "gateway/gateway_service.h"
#include "gateway/hub.h"
#include "gateway/push_worker.h"

namespace deltabridge {

struct GatewayStatus {
  std::string gateway;
  struct Bridge {
    std::string name;
    uint64_t applied = 0;  // the store holds the stream through this seq
    uint64_t gaps_repaired = 0;
    uint64_t reconnects = 0;
    uint64_t malformed = 0;
  };
  std::vector<Bridge> bridges;
  size_t streams = 0;
  HubCounters hub;
  CoreCounters core;
  PushCounters pushes;
  nlohmann::json server = nlohmann::json::object();  // the HTTP front's counters
};

// The file's JSON, written by process `pid` at `now_us`.
std::string EncodeGatewayStatus(const GatewayStatus& status, int pid, int64_t now_us);

class GatewayStatusFile {
 public:
  explicit GatewayStatusFile(std::string path) : path_(std::move(path)) {}
  // Replaces the file (atomically, without fsync: rewritten every second).
  Status Write(const GatewayStatus& status) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace deltabridge
