// `deltabridge push SINK.yaml --mapping TARGET_TABLE [--from TOPIC] [--node NODE]`:
// push lines from stdin (sinks/push_line.h) applied through the sink's
// mapping (sinks/push_applier.h), one result line per input line on stdout
// (docs/push.md).
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "app/commands.h"
#include "sinks/push_applier.h"
#include "sinks/sink_config.h"

namespace deltabridge {
namespace {

// Reads lines from a stream, keeping at most `limit` + 1 bytes of each: the
// rest of a longer line is read and dropped, so one huge line costs no
// memory and the line after it is read whole.
class LineReader {
 public:
  LineReader(std::FILE* in, size_t limit) : in_(in), limit_(limit) {}

  // The next line, without its '\n' (nor a '\r' before it); false at the end
  // of the input. A last line without '\n' is a line.
  bool Next(std::string* line) {
    line->clear();
    bool any = false;
    while (true) {
      if (pos_ == len_) {
        len_ = std::fread(buf_, 1, sizeof buf_, in_);
        pos_ = 0;
        if (len_ == 0) return any;
      }
      any = true;
      const char* start = buf_ + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      const size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : len_ - pos_;
      if (line->size() <= limit_) line->append(start, std::min(n, limit_ + 1 - line->size()));
      pos_ += n;
      if (nl) {
        ++pos_;
        break;
      }
    }
    if (!line->empty() && line->back() == '\r' && line->size() <= limit_) line->pop_back();
    return true;
  }

 private:
  std::FILE* in_;
  size_t limit_;
  char buf_[64 * 1024];
  size_t pos_ = 0, len_ = 0;
};

bool Blank(const std::string& line) {
  return line.find_first_not_of(" \t\r\f\v") == std::string::npos;
}

}  // namespace

int PushCommand(const PushArgs& args) {
  Result<SinkConfig> cfg = LoadSinkConfig(args.sink_file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return kExitUsage;
  }
  Result<const MappingConfig*> mapping = FindPushMapping(*cfg, args.mapping, args.from);
  if (!mapping.ok()) {
    std::fprintf(stderr, "%s: %s\n", args.sink_file.c_str(), mapping.status().message().c_str());
    return kExitUsage;
  }
  const std::string node = args.node.empty() ? DefaultPushNode(*cfg) : args.node;
  Result<std::unique_ptr<PushApplier>> applier = PushApplier::Open(*cfg, **mapping, node);
  if (!applier.ok()) {
    std::fprintf(stderr, "push: %s\n", applier.status().message().c_str());
    return applier.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  // A reader that went away ends the push at the next result (a failed
  // write), not by a signal in the middle of it.
  std::signal(SIGPIPE, SIG_IGN);

  uint64_t counts[4] = {0, 0, 0, 0};  // by PushResult
  uint64_t number = 0;
  std::string line;
  LineReader reader(stdin, kMaxPushLineBytes);
  int rc = kExitOk;
  while (reader.Next(&line)) {
    ++number;
    if (Blank(line)) continue;
    Result<PushOutcome> out = (*applier)->Push(line);
    PushOutcome failed;
    if (!out.ok()) {
      failed.result = PushResult::kRejected;
      failed.why = "the target failed: " + out.status().message();
    }
    const PushOutcome& o = out.ok() ? *out : failed;
    ++counts[static_cast<int>(o.result)];
    if (o.result == PushResult::kRejected) rc = kExitFailure;
    const std::string text = PushOutcomeJson(number, o) + "\n";
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
      spdlog::error("push: cannot write the result of line {} to stdout: {}", number,
                    std::strerror(errno));
      return kExitFailure;
    }
    if (!out.ok()) {
      spdlog::error("push: line {}: {} ({}); the lines after it were not read", number,
                    out.status().message(), (*applier)->Describe());
      return kExitFailure;
    }
  }
  if (std::ferror(stdin)) {
    spdlog::error("push: reading stdin after line {}: {}", number, std::strerror(errno));
    return kExitFailure;
  }
  spdlog::info("push: {} line(s) into {}: {} applied, {} conflict, {} rejected, {} suppressed",
               number, (*applier)->Describe(), counts[0], counts[1], counts[2], counts[3]);
  return rc;
}

}  // namespace deltabridge
