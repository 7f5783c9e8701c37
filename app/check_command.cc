#include <cstdio>

#include "app/commands.h"
#include "cdc/bridge/source_factory.h"
#include "cdc/config/bridge_config.h"
#include "cdc/config/config_kind.h"
#include "cdc/core/check_report.h"
#include "gateway/gateway_check.h"
#include "gateway/gateway_config.h"
#include "sinks/sink_check.h"
#include "sinks/sink_config.h"

namespace deltabridge {

namespace {

void Print(const CheckReport& report) {
  for (const CheckLine& l : report.lines()) {
    switch (l.level) {
      case CheckLine::Level::kOk:
        std::printf("ok    %s\n", l.what.c_str());
        break;
      case CheckLine::Level::kFail:
        std::printf("FAIL  %s\n      fix: %s\n", l.what.c_str(), l.fix.c_str());
        break;
      case CheckLine::Level::kNote:
        std::printf("note  %s\n      %s\n", l.what.c_str(), l.fix.c_str());
        break;
    }
  }
}

}  // namespace

int CheckCommand(const std::string& file) {
  Result<ConfigKind> kind = DetectConfigKind(file);
  if (!kind.ok()) {
    std::fprintf(stderr, "%s\n", kind.status().message().c_str());
    return kExitUsage;
  }
  if (*kind == ConfigKind::kGateway) {
    Result<GatewayConfig> gateway = LoadGatewayConfig(file);
    if (!gateway.ok()) {
      std::printf("FAIL  %s\n", gateway.status().message().c_str());
      return kExitUsage;
    }
    CheckReport report;
    CheckGateway(*gateway, file, &report);
    Print(report);
    std::fflush(stdout);
    return report.passed() ? kExitOk : kExitFailure;
  }
  if (*kind == ConfigKind::kSink) {
    Result<SinkConfig> sink = LoadSinkConfig(file);
    if (!sink.ok()) {
      std::printf("FAIL  %s\n", sink.status().message().c_str());
      return kExitUsage;
    }
    CheckReport report;
    CheckSink(*sink, file, &report);
    Print(report);
    std::fflush(stdout);
    return report.passed() ? kExitOk : kExitFailure;
  }
  Result<BridgeConfig> cfg = LoadBridgeConfig(file);
  if (!cfg.ok()) {
    std::printf("FAIL  %s\n", cfg.status().message().c_str());
    return kExitUsage;
  }
  CheckReport report;
  report.Ok(file + ": configuration valid (" + std::to_string(cfg->sources.size()) + " source(s))");
  for (const SourceConfig& s : cfg->sources) CheckSource(s, &report);
  Print(report);
  std::fflush(stdout);
  return report.passed() ? kExitOk : kExitFailure;
}

}  // namespace deltabridge
