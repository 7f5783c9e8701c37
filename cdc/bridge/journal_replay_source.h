// JournalReplaySource: serves the replay endpoint from the journal.
// Thread-safe as the journal's readers are; borrows the journal.
#pragma once

#include "cdc/journal/journal.h"
#include "cdc/publish/replay_source.h"

namespace deltabridge {

class JournalReplaySource final : public ReplaySource {
 public:
  explicit JournalReplaySource(const Journal* journal) : journal_(journal) {}

  uint64_t first_seq() const override { return journal_->first_seq(); }
  uint64_t committed_seq() const override { return journal_->committed_seq(); }

  Status Read(uint64_t from, const std::vector<std::string>& prefixes, size_t max_entries,
              size_t max_bytes, size_t max_scan, std::vector<ReplayEntry>* out,
              uint64_t* next_from) const override {
    ReadOptions ro;
    ro.max_entries = max_entries;
    ro.max_bytes = max_bytes;
    ro.topic_prefixes = prefixes;
    ro.max_scanned = max_scan;
    std::vector<JournalEntry> entries;
    Status s = journal_->Read(from, ro, &entries, next_from);
    if (!s.ok()) return s;
    out->reserve(out->size() + entries.size());
    for (auto& e : entries) out->push_back({e.seq, std::move(e.topic), std::move(e.body)});
    return Status::Ok();
  }

 private:
  const Journal* journal_;  // borrowed
};

}  // namespace deltabridge
