// Progress: reports the advance of a long job (an initial snapshot) to the
// operator. On a terminal it redraws one line on stderr at most 4 times a
// second; otherwise (journald, a file) it logs a line every 10 seconds.
// Never once per row: callers may call Advance() per row, it is cheap.
//
// Not thread-safe; one job, one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace deltabridge {

class Progress {
 public:
  // `what` names the job ("source scheduling: snapshot public.tour_slots");
  // `expected` is an estimate of the total (0 when unknown).
  Progress(std::string what, uint64_t expected, bool allow_tty);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Advance(uint64_t n = 1) {
    done_ += n;
    if ((done_ & 1023) == 0 || n > 1) MaybeReport();
  }
  // Final line: total and rate.
  void Finish();
  uint64_t done() const { return done_; }

 private:
  void MaybeReport();
  std::string Line() const;

  std::string what_;
  uint64_t expected_;
  uint64_t done_ = 0;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_report_;
};

}  // namespace deltabridge
