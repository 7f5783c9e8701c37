// The gateway's fan-out alone (tests/bench/gateway_bench.sh prints the whole
// path): the CPU time of Hub::Publish, and of taking what it queued, for
// DELTAS single-row updates over ALL clients of every row and SUBSET
// clients each of its own key range (`id >= A AND id < B`), published
// BATCH changes at a time as the materializer does. No network: each
// stream's queue is emptied through Take after each batch, as the network
// thread's sessions do.
//
//   hub_fanout_bench [ALL] [SUBSET] [DELTAS] [BATCH] [ROWS]
//   (defaults 10 990 20000 10 10000)
//
// Prints the CPU microseconds per delta for Publish and for Publish + Take,
// and per delta and stream. The store lives in a temporary directory,
// removed at the end.
#include <time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gateway/hub.h"

namespace deltabridge {
namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string Insert(int id) {
  return R"({"source":"app","table":"public.items","op":"insert","key":{"id":)" +
         std::to_string(id) + R"(},"changes":{"id":{"new":)" + std::to_string(id) +
         R"(},"v":{"new":0},"note":{"new":"item )" + std::to_string(id) +
         R"("}},"ts":"2026-12-07T23:00:00.000000Z"})";
}

std::string Update(int id, int v) {
  return R"({"source":"app","table":"public.items","op":"update","key":{"id":)" +
         std::to_string(id) + R"(},"changes":{"v":{"old":)" + std::to_string(v - 1) + R"(,"new":)" +
         std::to_string(v) + R"(}},"ts":"2026-12-07T23:00:00.000000Z"})";
}

int Main(int argc, char** argv) {
  const int all = argc > 1 ? std::atoi(argv[1]) : 10;
  const int subset = argc > 2 ? std::atoi(argv[2]) : 990;
  const int deltas = argc > 3 ? std::atoi(argv[3]) : 20000;
  const int batch = argc > 4 ? std::atoi(argv[4]) : 10;
  const int rows = argc > 5 ? std::atoi(argv[5]) : 10000;
  if (all < 0 || subset < 0 || deltas <= 0 || batch <= 0 || rows < subset || rows <= 0) {
    std::fprintf(stderr, "usage: hub_fanout_bench [ALL] [SUBSET] [DELTAS] [BATCH] [ROWS]\n");
    return 64;
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("hub_fanout_bench_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto opened = EntityStore::Open(dir.string(), {"bench"});
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<EntityStore> store = std::move(opened).value();
  GatewayConfig config;
  config.name = "app";
  config.limits.client_queue_messages = 10'000'000;
  config.limits.client_queue_bytes = uint64_t{4} << 30;
  EntityConfig items;
  items.name = "items";
  items.bridge = "bench";
  items.from = {"bench.app.public.items"};
  config.entities.push_back(items);
  boost::asio::io_context io;
  Hub hub(io, config, store.get());

  // The rows; then the streams; then the updates, committed ahead (outside the timing).
  uint64_t seq = 0;
  auto apply = [&](const std::vector<std::string>& bodies) {
    auto b = store->Begin();
    std::vector<RowChange> changes;
    for (const auto& body : bodies) {
      auto change = store->Apply(&*b, "bench", Row::parse(body), ++seq);
      if (change.ok() && *change) changes.push_back(std::move(**change));
    }
    (void)store->SetApplied(&*b, "bench", seq);
    (void)store->Commit(std::move(b).value());
    return changes;
  };
  {
    std::vector<std::string> bodies;
    for (int id = 1; id <= rows; ++id) bodies.push_back(Insert(id));
    hub.Publish("bench", apply(bodies), seq);
  }
  std::vector<std::unique_ptr<ClientStream>> streams;
  for (int i = 0; i < all + subset; ++i) {
    ClientView client;
    if (i >= all) {
      const int k = i - all;
      const int lo = 1 + static_cast<int>(static_cast<int64_t>(k) * rows / subset);
      const int hi = 1 + static_cast<int>(static_cast<int64_t>(k + 1) * rows / subset);
      client.filter =
          *RowFilter::Parse("id >= " + std::to_string(lo) + " AND id < " + std::to_string(hi));
    }
    auto stream =
        hub.Open(*hub.View("items"), std::move(client), {StreamStart::Mode::kLive, 0}, true, "");
    if (!stream.ok()) {
      std::fprintf(stderr, "%s\n", stream.status().ToString().c_str());
      return 1;
    }
    streams.push_back(std::move(stream).value());
  }
  // The updates, committed ahead: the streams (live from the rows' seq) take them.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(1, rows);
  std::vector<std::pair<std::vector<RowChange>, uint64_t>> batches;
  for (int done = 0, v = 1; done < deltas; done += batch) {
    std::vector<std::string> bodies;
    for (int k = 0; k < batch && done + k < deltas; ++k) bodies.push_back(Update(pick(rng), v++));
    std::vector<RowChange> changes = apply(bodies);
    batches.emplace_back(std::move(changes), seq);
  }

  std::vector<OutMessage> taken;
  auto drain = [&] {
    size_t n = 0;
    for (auto& s : streams) {
      taken.clear();
      while (s->Take(&taken, 1000, size_t{1} << 20) > 0) {
      }
      n += taken.size();
    }
    return n;
  };
  drain();  // start, up-to-date

  double publish_s = 0, take_s = 0;
  size_t messages = 0;
  for (auto& [changes, through] : batches) {
    const double t0 = CpuSeconds();
    hub.Publish("bench", std::move(changes), through);
    const double t1 = CpuSeconds();
    messages += drain();
    const double t2 = CpuSeconds();
    publish_s += t1 - t0;
    take_s += t2 - t1;
  }
  const int n_streams = all + subset;
  std::printf(
      "hub fan-out: %d all-rows + %d subset streams, %d updates in batches of %d: %zu messages "
      "queued\n  Publish        : %.1f us CPU per delta (%.0f ns per delta and stream)\n"
      "  Publish + Take : %.1f us CPU per delta; at most %.0f deltas/s on one core\n",
      all, subset, deltas, batch, messages, publish_s * 1e6 / deltas,
      publish_s * 1e9 / deltas / n_streams, (publish_s + take_s) * 1e6 / deltas,
      deltas / (publish_s + take_s));
  streams.clear();
  store.reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace deltabridge

int main(int argc, char** argv) { return deltabridge::Main(argc, argv); }
