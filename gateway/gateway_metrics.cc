#include "gateway/gateway_metrics.h"

#include "cdc/metrics/prometheus_text.h"

namespace deltabridge {

std::string RenderGatewayMetrics(const GatewayStatus& s) {
  PrometheusText out;
  const MetricLabels gateway = {{"gateway", s.gateway}};
  auto with = [&](std::string_view key, std::string value) {
    MetricLabels labels = gateway;
    labels.emplace_back(key, std::move(value));
    return labels;
  };

  out.Family("deltabridge_gateway_applied_seq", "gauge",
             "The seq of each bridge through which the gateway's store holds the stream.");
  for (const auto& b : s.bridges) {
    out.Sample("deltabridge_gateway_applied_seq", with("bridge", b.name),
               static_cast<double>(b.applied));
  }
  out.Family("deltabridge_gateway_gaps_repaired_total", "counter",
             "Holes in a bridge's live stream filled through its replay.");
  for (const auto& b : s.bridges) {
    out.Sample("deltabridge_gateway_gaps_repaired_total", with("bridge", b.name),
               static_cast<double>(b.gaps_repaired));
  }
  out.Family("deltabridge_gateway_reconnects_total", "counter",
             "Reconnections to a bridge after a missing heartbeat.");
  for (const auto& b : s.bridges) {
    out.Sample("deltabridge_gateway_reconnects_total", with("bridge", b.name),
               static_cast<double>(b.reconnects));
  }
  out.Family("deltabridge_gateway_malformed_total", "counter",
             "Messages from a bridge that did not decode (skipped and logged).");
  for (const auto& b : s.bridges) {
    out.Sample("deltabridge_gateway_malformed_total", with("bridge", b.name),
               static_cast<double>(b.malformed));
  }

  out.Family("deltabridge_gateway_streams", "gauge", "Client streams open.");
  out.Sample("deltabridge_gateway_streams", gateway, static_cast<double>(s.streams));
  out.Family("deltabridge_gateway_streams_opened_total", "counter", "Client streams started.");
  out.Sample("deltabridge_gateway_streams_opened_total", gateway,
             static_cast<double>(s.hub.streams_opened));
  out.Family("deltabridge_gateway_slow_client_closes_total", "counter",
             "Streams closed because the client did not read (4008).");
  out.Sample("deltabridge_gateway_slow_client_closes_total", gateway,
             static_cast<double>(s.hub.overflow_closes));
  out.Family("deltabridge_gateway_resets_total", "counter",
             "Resumes from a seq older than the gateway's log, answered with the current rows.");
  out.Sample("deltabridge_gateway_resets_total", gateway, static_cast<double>(s.hub.resets));
  out.Family("deltabridge_gateway_deltas_queued_total", "counter",
             "Delta messages handed to client streams.");
  out.Sample("deltabridge_gateway_deltas_queued_total", gateway,
             static_cast<double>(s.hub.messages_queued));

  out.Family("deltabridge_gateway_refused_total", "counter",
             "Requests refused before a stream or push: 400, 401, 403, 429.");
  out.Sample("deltabridge_gateway_refused_total", with("status", "400"),
             static_cast<double>(s.core.bad_requests));
  out.Sample("deltabridge_gateway_refused_total", with("status", "401"),
             static_cast<double>(s.core.refused_401));
  out.Sample("deltabridge_gateway_refused_total", with("status", "403"),
             static_cast<double>(s.core.refused_403));
  out.Sample("deltabridge_gateway_refused_total", with("status", "429"),
             static_cast<double>(s.core.refused_429));

  out.Family("deltabridge_gateway_pushes_total", "counter",
             "Pushes answered, by result: applied (200), conflict (409), refused (400, 403), "
             "failed (503).");
  out.Sample("deltabridge_gateway_pushes_total", with("result", "applied"),
             static_cast<double>(s.pushes.applied));
  out.Sample("deltabridge_gateway_pushes_total", with("result", "conflict"),
             static_cast<double>(s.pushes.conflicts));
  out.Sample("deltabridge_gateway_pushes_total", with("result", "refused"),
             static_cast<double>(s.pushes.rejected));
  out.Sample("deltabridge_gateway_pushes_total", with("result", "failed"),
             static_cast<double>(s.pushes.failed));

  if (s.server.contains("open") && s.server["open"].is_object()) {
    out.Family("deltabridge_gateway_connections", "gauge", "Connections open, by transport.");
    for (const auto& [transport, n] : s.server["open"].items()) {
      out.Sample("deltabridge_gateway_connections", with("transport", transport), n.get<double>());
    }
  }
  out.Family("deltabridge_gateway_messages_sent_total", "counter",
             "Stream messages written to clients.");
  out.Sample("deltabridge_gateway_messages_sent_total", gateway,
             s.server.value("messages_sent", 0.0));
  out.Family("deltabridge_gateway_bytes_sent_total", "counter", "Stream bytes written to clients.");
  out.Sample("deltabridge_gateway_bytes_sent_total", gateway, s.server.value("bytes_sent", 0.0));
  if (s.server.contains("closes") && s.server["closes"].is_object()) {
    out.Family("deltabridge_gateway_closes_total", "counter", "Connections ended, by cause.");
    for (const auto& [cause, n] : s.server["closes"].items()) {
      out.Sample("deltabridge_gateway_closes_total", with("cause", cause), n.get<double>());
    }
  }
  return out.text();
}

}  // namespace deltabridge
