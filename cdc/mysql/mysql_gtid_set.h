// MysqlGtidSet: a MySQL GTID set, what @@gtid_executed holds: for each
// transaction source (a server UUID and, from MySQL 8.3/8.4, an optional tag)
// the numbers of the transactions executed, as merged intervals.
//
// Three forms:
//  - text, as MySQL prints it and as deltabridge keeps it in positions:
//    "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11,3e11...:1-5:tag_a:1-3";
//    sources sorted by UUID then tag (untagged first), intervals ascending;
//    UUIDs and tags lowercase. Parse also takes MySQL's own printing (upper
//    case, ", " or ",\n" between sources, one source per tag);
//  - binary, Gtid_set::encode's form, which PREVIOUS_GTIDS_LOG_EVENT carries
//    and COM_BINLOG_DUMP_GTID sends: 8 bytes n_sids, then per source the
//    16 UUID bytes, n_intervals (8 bytes) and [start, end) pairs (8 + 8
//    bytes, end exclusive). With any tag the tagged format is used: the
//    first 8 bytes are format 1 in the top and bottom byte and n_sids in
//    between, and every UUID is followed by its tag (a varlen length of the
//    MySQL serialization library, then the bytes; length 0 when untagged).
//
// Invariants: intervals of one source are sorted, non-empty, and neither
// overlap nor touch (1-3 and 4-5 are kept as 1-5); every number is >= 1.
//
// Plain value type.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge::mysql {

class MysqlGtidSet {
 public:
  struct Interval {
    int64_t first = 0;  // inclusive
    int64_t last = 0;   // inclusive
    bool operator==(const Interval& o) const { return first == o.first && last == o.last; }
  };
  // (uuid, tag): uuid lowercase 8-4-4-4-12, tag lowercase or "" when untagged.
  using Source = std::pair<std::string, std::string>;

  // The text form; "" is the empty set. InvalidArgument naming the part
  // that is wrong.
  static Result<MysqlGtidSet> Parse(std::string_view text);
  // The binary form (untagged or tagged format); Corruption when malformed.
  static Result<MysqlGtidSet> Decode(std::string_view bytes);

  std::string ToString() const;
  std::string Encode() const;

  bool empty() const { return sources_.empty(); }
  bool tagged() const;
  // Adds one transaction. InvalidArgument for gno < 1, a UUID that is not
  // 8-4-4-4-12 hex or a tag MySQL would not take.
  Status Add(std::string_view uuid, std::string_view tag, int64_t gno);
  // Adds every transaction of `other`.
  void Add(const MysqlGtidSet& other);
  bool Contains(std::string_view uuid, std::string_view tag, int64_t gno) const;

  const std::map<Source, std::vector<Interval>>& sources() const { return sources_; }
  bool operator==(const MysqlGtidSet& o) const { return sources_ == o.sources_; }

 private:
  void AddInterval(const Source& source, Interval iv);

  std::map<Source, std::vector<Interval>> sources_;
};

// The body of COM_BINLOG_DUMP_GTID (after the command byte): flags
// (BINLOG_THROUGH_GTID), the replica's server_id, an empty file name,
// position 4, and the executed set in Gtid_set::encode's form. The server
// sends every transaction not in `executed`, from the oldest file that has one.
std::string DumpGtidCommand(uint32_t server_id, const MysqlGtidSet& executed);

// A UUID as 16 bytes, from its 8-4-4-4-12 text (either case); empty on error.
std::string UuidBytes(std::string_view text);
// 16 bytes as lowercase 8-4-4-4-12 text.
std::string UuidText(std::string_view bytes);
// Whether MySQL takes `tag` as a GTID tag: [a-z_][a-z0-9_]{0,31}, either case.
bool ValidGtidTag(std::string_view tag);

}  // namespace deltabridge::mysql
