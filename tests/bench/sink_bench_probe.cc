// sink_bench_probe: when each delta leaves the bridge, for tests/bench/sink_bench.sh.
//
//   sink_bench_probe PUBLISH_ENDPOINT TOPIC_PREFIX OUT_FILE
//
// Subscribes to the bridge's live stream (no replay: a lost delta is simply
// not measured) and writes one line per delta of TOPIC_PREFIX to OUT_FILE:
// the delta's "key" object, its "ts" (source commit time) and the wall-clock
// time it arrived here in microseconds since the epoch, separated by tabs.
// The bench loads the file into the target and joins it with the rows: the
// bridge's share of the end-to-end latency (source commit -> published) and
// the sink's (published -> target commit). Stops on SIGTERM or SIGINT,
// flushing the file.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

#include "cdc/core/wall_clock.h"
#include "sinks/subscriber.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// The text of a delta body's field `name` from its opening character up to
// the first `close` ("" when absent): "key" is a flat object, "ts" a string.
// The envelope's "key" comes before "changes" (whose columns may bear any
// name) and its "ts" after them: `last` picks the last occurrence.
std::string_view Field(std::string_view body, std::string_view name, char close, bool last) {
  const std::string key = "\"" + std::string(name) + "\":";
  size_t at = last ? body.rfind(key) : body.find(key);
  if (at == std::string_view::npos) return {};
  at += key.size();
  size_t end = body.find(close, at + 1);
  if (end == std::string_view::npos) return {};
  return body.substr(at, end + 1 - at);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: sink_bench_probe PUBLISH_ENDPOINT TOPIC_PREFIX OUT_FILE\n");
    return 2;
  }
  std::FILE* out = std::fopen(argv[3], "w");
  if (out == nullptr) {
    std::perror(argv[3]);
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  deltabridge::SubscriberOptions o;
  o.publish_endpoint = argv[1];
  o.topic_prefixes = {argv[2]};
  deltabridge::Subscriber sub(o);
  deltabridge::Status s = sub.Run(
      [&](std::string_view, std::string_view body, uint64_t) -> deltabridge::Status {
        const int64_t now_us = deltabridge::WallClockMicros();
        std::string_view key = Field(body, "key", '}', false);
        std::string_view ts = Field(body, "ts", '"', true);
        if (!key.empty() && ts.size() > 2) {
          ts = ts.substr(1, ts.size() - 2);
          std::fprintf(out, "%.*s\t%.*s\t%lld\n", static_cast<int>(key.size()), key.data(),
                       static_cast<int>(ts.size()), ts.data(), static_cast<long long>(now_us));
        }
        return deltabridge::Status::Ok();
      },
      g_stop);
  std::fclose(out);
  if (!s.ok()) {
    std::fprintf(stderr, "sink_bench_probe: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
