// ReplaySource: what the replay server reads journaled deltas through.
//
// The journal adapter implements it; the replay server (replay_server.h) is
// its only caller and holds it by reference, so the source must outlive the
// server. Implementations must be safe for concurrent reads from several
// threads while the bridge keeps appending and retention keeps trimming.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

// One journaled delta as it goes on the wire: its seq, topic and JSON body
// (the body is the envelope of contract section 3, whose "seq" equals `seq`).
struct ReplayEntry {
  uint64_t seq = 0;
  std::string topic;
  std::string body;
};

class ReplaySource {
 public:
  virtual ~ReplaySource() = default;

  // The oldest seq still kept; newest + 1 when the journal is empty.
  virtual uint64_t first_seq() const = 0;
  // The newest seq visible to readers (wholly journaled), 0 when none.
  virtual uint64_t committed_seq() const = 0;

  // Appends to `out` the entries with seq >= from (and <= committed_seq), in
  // seq order, at most `max_entries` entries and about `max_bytes` of topic +
  // body, keeping only topics that start with one of `prefixes` (empty: all).
  // Scans at most `max_scan` entries, matching or not, so a filter that
  // matches rarely still answers quickly. Sets *next_from to the seq after
  // the last entry scanned (== from when nothing was scanned).
  //
  // The first matching entry is returned even when it alone exceeds
  // max_bytes, so a large delta cannot stall a reader. When `from` is older
  // than first_seq() the caller has already answered "gone"; an
  // implementation may start at first_seq() in that case.
  virtual Status Read(uint64_t from, const std::vector<std::string>& prefixes, size_t max_entries,
                      size_t max_bytes, size_t max_scan, std::vector<ReplayEntry>* out,
                      uint64_t* next_from) const = 0;
};

}  // namespace deltabridge
