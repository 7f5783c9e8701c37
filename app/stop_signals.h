// StopSignals: how the long-running commands (run, sink) take their signals.
// SIGINT and SIGTERM ask for a clean stop and SIGHUP for a reload; a watcher
// thread waits for them, and every other thread has them blocked, so that no
// signal interrupts a thread that writes the journal or a target.
#pragma once

#include <signal.h>

#include <chrono>

namespace deltabridge {

class StopSignals {
 public:
  // Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, and so in every
  // thread it starts afterwards, and ignores SIGPIPE (a peer that goes away
  // is an error to handle, not a reason to die). Make it before any thread.
  StopSignals();

  // Waits up to `timeout` for one of the three; the signal, or 0 when none came.
  // Call it from the watcher thread only.
  int Wait(std::chrono::milliseconds timeout) const;

 private:
  sigset_t set_;
};

}  // namespace deltabridge
