#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "app/commands.h"
#include "sinks/subscriber.h"

namespace deltabridge {

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int TailCommand(const TailArgs& args) {
  if (args.from && args.replay.empty()) {
    std::fprintf(stderr, "tail: --from needs --replay ENDPOINT\n");
    return kExitUsage;
  }
  if (!args.replay.empty() && !args.from) {
    std::fprintf(stderr, "tail: --replay needs --from SEQ\n");
    return kExitUsage;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  SubscriberOptions o;
  o.publish_endpoint = args.endpoint;
  o.replay_endpoint = args.replay;
  o.from_seq = args.from;
  o.topic_prefixes = args.topics;
  Subscriber sub(o);
  // stdout is flushed by a timer rather than per line when it is not a
  // terminal: a pipe or file gets each line within 100 ms, at a fraction of
  // the system calls (a terminal stays line-buffered by stdio).
  std::atomic<bool> done{false};
  std::thread flusher([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::fflush(stdout);
    }
  });
  uint64_t printed = 0;
  Status s = sub.Run(
      [&](std::string_view, std::string_view body, uint64_t) -> Status {
        std::fwrite(body.data(), 1, body.size(), stdout);
        if (std::fputc('\n', stdout) == EOF) return Status::IoError("stdout closed");
        ++printed;
        if (args.count && printed >= *args.count) return Status::Aborted("count reached");
        return Status::Ok();
      },
      g_stop);
  done = true;
  flusher.join();
  if (std::fflush(stdout) != 0 && s.ok()) s = Status::IoError("stdout closed");
  if (s.ok() || s.code() == Status::Code::kAborted) return kExitOk;
  if (s.code() == Status::Code::kIoError && s.message() == "stdout closed") return kExitOk;
  std::fprintf(stderr, "tail: %s\n", s.message().c_str());
  return kExitFailure;
}

}  // namespace deltabridge
