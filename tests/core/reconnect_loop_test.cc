// RunReconnecting: which session endings are retried, counted, returned.
#include "cdc/core/reconnect_loop.h"

#include <gtest/gtest.h>

#include <thread>

namespace deltabridge {
namespace {

TEST(RunReconnecting, RetriesUnavailableAndCountsEachReconnect) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reconnects{0};
  int sessions = 0;
  const auto started = std::chrono::steady_clock::now();
  Status s = RunReconnecting("src", stop, std::chrono::milliseconds(500), &reconnects, [&] {
    return ++sessions < 3 ? Status::Unavailable("server went away") : Status::Ok();
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(sessions, 3);
  EXPECT_EQ(reconnects.load(), 2u);
  // Two backoffs of 0.5 s (capped at max_backoff).
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1000));
}

TEST(RunReconnecting, OtherErrorsEndTheLoop) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reconnects{0};
  int sessions = 0;
  Status s = RunReconnecting("src", stop, std::chrono::milliseconds(500), &reconnects, [&] {
    ++sessions;
    return Status::FailedPrecondition("slot is gone");
  });
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(sessions, 1);
  EXPECT_EQ(reconnects.load(), 0u);
}

TEST(RunReconnecting, AStopDuringASessionOrABackoffIsACleanEnd) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reconnects{0};
  // The session sees the stop and ends as a torn connection would.
  Status s = RunReconnecting("src", stop, std::chrono::milliseconds(500), &reconnects, [&] {
    stop = true;
    return Status::Aborted("stopping");
  });
  EXPECT_TRUE(s.ok());

  // A stop while waiting to reconnect ends the wait early.
  stop = false;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  const auto started = std::chrono::steady_clock::now();
  s = RunReconnecting("src", stop, std::chrono::seconds(30), &reconnects,
                      [&] { return Status::Unavailable("down"); });
  stopper.join();
  EXPECT_TRUE(s.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

}  // namespace
}  // namespace deltabridge
