#include "cdc/core/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace deltabridge {

Progress::Progress(std::string what, uint64_t expected, bool allow_tty)
    : what_(std::move(what)),
      expected_(expected),
      tty_(allow_tty && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_report_(start_) {}

Progress::~Progress() {
  if (!finished_ && tty_) std::fputs("\n", stderr);
}

std::string Progress::Line() const {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? static_cast<double>(done_) / secs : 0;
  std::string line = fmt::format("{}: {} rows", what_, done_);
  if (expected_ > 0) {
    double pct = 100.0 * static_cast<double>(done_) / static_cast<double>(expected_);
    if (pct > 100) pct = 100;
    line += fmt::format(" of ~{} ({:.0f}%)", expected_, pct);
  }
  line += fmt::format(", {:.0f} rows/s", rate);
  if (expected_ > done_ && rate > 0) {
    line += fmt::format(", ~{:.0f} s left", static_cast<double>(expected_ - done_) / rate);
  }
  return line;
}

void Progress::MaybeReport() {
  auto now = std::chrono::steady_clock::now();
  auto every = tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000);
  if (now - last_report_ < every) return;
  last_report_ = now;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", Line().c_str());
    std::fflush(stderr);
  } else {
    spdlog::info("{}", Line());
  }
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  expected_ = 0;
  if (tty_) std::fputs("\r\033[K", stderr);
  spdlog::info("{} done", Line());
}

}  // namespace deltabridge
