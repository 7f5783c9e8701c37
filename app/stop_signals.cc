#include "app/stop_signals.h"

#include <pthread.h>

#include <csignal>

namespace deltabridge {

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int StopSignals::Wait(std::chrono::milliseconds timeout) const {
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>(timeout.count() % 1000) * 1000 * 1000};
  int sig = sigtimedwait(&set_, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

}  // namespace deltabridge
