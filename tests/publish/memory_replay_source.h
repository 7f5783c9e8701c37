// MemoryReplaySource: a ReplaySource over a deque, standing in for the
// journal in tests. Thread-safe: appends, trims and reads take one mutex.
#pragma once

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "cdc/publish/replay_source.h"

namespace deltabridge::testing {

class MemoryReplaySource : public ReplaySource {
 public:
  // Appends the entry after the newest; its seq must be committed_seq() + 1.
  void Append(ReplayEntry entry) {
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(entry));
    committed_ = entries_.back().seq;
  }

  // Drops the entries older than `seq` (retention).
  void TrimBefore(uint64_t seq) {
    std::lock_guard lock(mu_);
    while (!entries_.empty() && entries_.front().seq < seq) entries_.pop_front();
    first_ = std::max(first_, seq);
  }

  // Makes Read fail (a journal I/O error).
  void set_fail_reads(bool fail) { fail_reads_ = fail; }

  uint64_t first_seq() const override {
    std::lock_guard lock(mu_);
    return entries_.empty() ? std::max(first_, committed_ + 1) : entries_.front().seq;
  }

  uint64_t committed_seq() const override {
    std::lock_guard lock(mu_);
    return committed_;
  }

  Status Read(uint64_t from, const std::vector<std::string>& prefixes, size_t max_entries,
              size_t max_bytes, size_t max_scan, std::vector<ReplayEntry>* out,
              uint64_t* next_from) const override {
    if (fail_reads_) return Status::IoError("injected read failure");
    std::lock_guard lock(mu_);
    *next_from = from;
    if (entries_.empty()) return Status::Ok();
    uint64_t first = entries_.front().seq;
    uint64_t seq = std::max(from, first);
    size_t taken = 0, bytes = 0, scanned = 0;
    for (; seq <= committed_ && scanned < max_scan; ++seq, ++scanned) {
      const ReplayEntry& e = entries_[seq - first];
      bool match = prefixes.empty();
      for (const std::string& p : prefixes) match = match || e.topic.starts_with(p);
      if (!match) continue;
      size_t size = e.topic.size() + e.body.size();
      if (taken == max_entries || (taken > 0 && bytes + size > max_bytes)) break;
      out->push_back(e);
      ++taken;
      bytes += size;
    }
    *next_from = seq;
    return Status::Ok();
  }

 private:
  mutable std::mutex mu_;
  std::deque<ReplayEntry> entries_;
  uint64_t first_ = 1;      // oldest seq kept once trimmed
  uint64_t committed_ = 0;  // newest appended
  std::atomic<bool> fail_reads_{false};
};

}  // namespace deltabridge::testing
