// GroupCommit: when a streaming source commits what it journaled. A journal
// commit costs two fsyncs, so it is made when the stream pauses (nothing
// within 2 ms), but no sooner than `min_gap` after the previous one, and at
// the latest every `interval` or `max_changes` changes. Latency stays within
// a few tens of milliseconds and a busy stream is committed in large groups.
//
// The source reads with ReadWait(), then asks DueAfterData() (it got a
// message) or DueAfterPause() (the read timed out), and calls Committed()
// after each commit. Not thread-safe; one per streaming session.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace deltabridge {

class GroupCommit {
 public:
  using Clock = std::chrono::steady_clock;

  GroupCommit(std::chrono::milliseconds min_gap, std::chrono::milliseconds interval,
              size_t max_changes)
      : min_gap_(min_gap), interval_(interval), max_changes_(max_changes) {}

  // How long the next read may wait: 100 ms with nothing to commit; else
  // until min_gap has passed since the last commit (at least 1 ms), or 2 ms
  // once it has (a pause that long commits).
  std::chrono::milliseconds ReadWait(size_t unflushed) const {
    if (unflushed == 0) return std::chrono::milliseconds(100);
    const auto since = Clock::now() - last_;
    if (since >= min_gap_) return std::chrono::milliseconds(2);
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(min_gap_ - since));
  }
  // After a message: commit once max_changes wait or interval has passed.
  bool DueAfterData(size_t unflushed) const {
    return unflushed >= max_changes_ || Clock::now() - last_ >= interval_;
  }
  // After a pause: commit unless the previous commit is younger than min_gap
  // (with nothing unflushed, "commit" only marks the time).
  bool DueAfterPause(size_t unflushed) const {
    return unflushed == 0 || Clock::now() - last_ >= min_gap_;
  }
  void Committed() { last_ = Clock::now(); }

 private:
  const std::chrono::milliseconds min_gap_;
  const std::chrono::milliseconds interval_;
  const size_t max_changes_;
  Clock::time_point last_ = Clock::now();
};

}  // namespace deltabridge
