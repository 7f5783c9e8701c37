// BinlogEventDecoder: the bytes of one binlog event to a BinlogEvent.
//
// It holds the format the current FORMAT_DESCRIPTION event set (post-header
// lengths, checksum algorithm), verifies each event's CRC32 when checksums are
// on, and unpacks the compressed forms: MariaDB's QUERY_COMPRESSED and
// *_ROWS_COMPRESSED events come out as ordinary Query and Rows events, and a
// MySQL TRANSACTION_PAYLOAD_EVENT comes out as the events it holds.
//
// The bytes may come from a binlog file (BinlogFileReader) or from a
// COM_BINLOG_DUMP stream alike. Every read is bounds-checked: truncated or
// garbage bytes give a Corruption status, never a crash. Unknown event types
// are returned as IgnoredEvent{known=false} and counted, so a newer server's
// events do not stop decoding.
//
// Not thread-safe (one per stream); keeps no reference to the bytes it is given.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/mysql/binlog_event.h"

namespace deltabridge::mysql {

class BinlogEventDecoder {
 public:
  struct Stats {
    uint64_t events = 0;          // events decoded (payload contents included)
    uint64_t unknown_events = 0;  // events of a type this decoder does not know
    uint64_t heartbeats = 0;
    uint64_t payloads = 0;  // TRANSACTION_PAYLOAD_EVENTs unpacked
  };

  // Decodes the event in `bytes` (header, body and checksum; exactly
  // event_size bytes) found at `offset` of its file or stream, and appends it
  // to *out; a TRANSACTION_PAYLOAD_EVENT appends each event it holds instead.
  // A FORMAT_DESCRIPTION event also changes how later events are decoded.
  Status Decode(std::string_view bytes, uint64_t offset, std::vector<BinlogEvent>* out);

  // Reads just the 19-byte header (for a reader that must learn event_size).
  static Status DecodeHeader(std::string_view bytes, EventHeader* out);

  // The checksum algorithm assumed before a FORMAT_DESCRIPTION event arrives
  // (a live stream's first, artificial ROTATE); default off.
  void set_checksum(ChecksumAlg alg) { format_.checksum = alg; }
  // Whether events are checked against a CRC32 (default true).
  void set_verify_checksums(bool verify) { verify_checksums_ = verify; }
  const FormatDescriptionEvent& format() const { return format_; }
  bool has_format() const { return has_format_; }
  const Stats& stats() const { return stats_; }

 private:
  Status DecodeOne(std::string_view bytes, uint64_t offset, bool in_payload,
                   std::vector<BinlogEvent>* out);
  Status DecodeBody(const EventHeader& h, std::string_view body, BinlogEvent* ev);
  Status DecodePayload(const EventHeader& h, std::string_view body, uint64_t offset,
                       std::vector<BinlogEvent>* out);
  size_t TableIdSize(uint8_t type) const;

  FormatDescriptionEvent format_;  // the current format; defaults until the first FDE
  bool has_format_ = false;
  bool verify_checksums_ = true;
  Stats stats_;
};

}  // namespace deltabridge::mysql
