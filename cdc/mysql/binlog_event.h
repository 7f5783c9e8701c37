// Binlog events: the v4 event header, the event types deltabridge knows, and
// one plain struct per decoded event body.
//
// A binlog (file after its 4-byte magic "\xfebin", or a COM_BINLOG_DUMP
// stream after each packet's OK byte) is a sequence of events, each a 19-byte
// header, a body, and, when the FORMAT_DESCRIPTION event says so, a 4-byte
// CRC32 of header and body. BinlogEventDecoder (binlog_event_decoder.h) turns
// the bytes of one event into a BinlogEvent; row images stay raw bytes here and
// are decoded against their TABLE_MAP by RowImageDecoder.
//
// Layouts follow MySQL's "Binlog Event" internals documentation
// (libbinlogevents) and MariaDB's knowledge base (Gtid_event, Annotate_rows,
// compressed events). Plain value types; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "cdc/mysql/mysql_gtid_set.h"
#include "cdc/mysql/table_map.h"

namespace deltabridge::mysql {

constexpr size_t kEventHeaderSize = 19;
constexpr size_t kChecksumSize = 4;
constexpr char kBinlogMagic[] =
    "\xfe"
    "bin";

// Event type codes (the header's type byte).
enum EventType : uint8_t {
  kUnknownEvent = 0,
  kStartEventV3 = 1,
  kQueryEvent = 2,
  kStopEvent = 3,
  kRotateEvent = 4,
  kIntvarEvent = 5,
  kSlaveEvent = 7,
  kAppendBlockEvent = 9,
  kDeleteFileEvent = 11,
  kRandEvent = 13,
  kUserVarEvent = 14,
  kFormatDescriptionEvent = 15,
  kXidEvent = 16,
  kBeginLoadQueryEvent = 17,
  kExecuteLoadQueryEvent = 18,
  kTableMapEvent = 19,
  kWriteRowsEventV0 = 20,
  kUpdateRowsEventV0 = 21,
  kDeleteRowsEventV0 = 22,
  kWriteRowsEventV1 = 23,
  kUpdateRowsEventV1 = 24,
  kDeleteRowsEventV1 = 25,
  kIncidentEvent = 26,
  kHeartbeatEvent = 27,
  kIgnorableEvent = 28,
  kRowsQueryEvent = 29,
  kWriteRowsEventV2 = 30,
  kUpdateRowsEventV2 = 31,
  kDeleteRowsEventV2 = 32,
  kGtidEvent = 33,
  kAnonymousGtidEvent = 34,
  kPreviousGtidsEvent = 35,
  kTransactionContextEvent = 36,
  kViewChangeEvent = 37,
  kXaPrepareEvent = 38,
  kPartialUpdateRowsEvent = 39,
  kTransactionPayloadEvent = 40,
  kHeartbeatEventV2 = 41,
  kGtidTaggedEvent = 42,
  // MariaDB
  kAnnotateRowsEvent = 160,
  kBinlogCheckpointEvent = 161,
  kMariaGtidEvent = 162,
  kMariaGtidListEvent = 163,
  kStartEncryptionEvent = 164,
  kQueryCompressedEvent = 165,
  kWriteRowsCompressedEventV1 = 166,
  kUpdateRowsCompressedEventV1 = 167,
  kDeleteRowsCompressedEventV1 = 168,
  kWriteRowsCompressedEvent = 169,
  kUpdateRowsCompressedEvent = 170,
  kDeleteRowsCompressedEvent = 171,
};

// "Query", "Write_rows_v1", ... or "type N".
std::string EventTypeName(uint8_t type);

struct EventHeader {
  uint32_t timestamp = 0;  // seconds since the epoch, UTC
  uint8_t type = 0;
  uint32_t server_id = 0;
  uint32_t event_size = 0;  // header + body + checksum
  uint32_t log_pos = 0;     // offset of the next event (end of this one); 0 for artificial events
  uint16_t flags = 0;
};

enum class ChecksumAlg : uint8_t { kOff = 0, kCrc32 = 1, kUndefined = 255 };

struct FormatDescriptionEvent {
  uint16_t binlog_version = 0;
  std::string server_version;  // "8.0.28", "10.11.6-MariaDB-log"
  uint32_t create_timestamp = 0;
  uint8_t header_length = 0;
  std::vector<uint8_t> post_header_lengths;  // index type-1
  ChecksumAlg checksum = ChecksumAlg::kOff;
  bool mariadb = false;

  // The post-header length of `type`, or `fallback` when the FDE has none.
  uint8_t PostHeaderLength(uint8_t type, uint8_t fallback) const {
    if (type == 0 || type > post_header_lengths.size()) return fallback;
    return post_header_lengths[type - 1];
  }
};

struct RotateEvent {
  uint64_t position = 0;  // where the next file's events start (4)
  std::string next_file;
};

struct QueryEvent {
  uint32_t thread_id = 0;
  uint32_t exec_time = 0;
  uint16_t error_code = 0;
  std::string database;  // the default database (`USE`), may be empty
  std::string query;     // BEGIN, COMMIT, ROLLBACK, XA ..., DDL text (decompressed)
};

struct XidEvent {
  uint64_t xid = 0;
};

// MySQL GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT, and GTID_TAGGED_LOG_EVENT
// (MySQL 8.3+: the same fields in the MySQL serialization library's format,
// plus the tag).
struct MysqlGtidEvent {
  bool anonymous = false;
  uint8_t flags = 0;  // bit 0: may commit in parallel ("commit flag")
  std::string uuid;   // lowercase 8-4-4-4-12; empty when anonymous
  std::string tag;    // lowercase; empty when untagged
  int64_t gno = 0;    // transaction number within uuid (and tag)
  int64_t last_committed = 0;
  int64_t sequence_number = 0;
  // Microseconds since the epoch; 0 when the event predates 8.0.1.
  uint64_t immediate_commit_us = 0;
  uint64_t original_commit_us = 0;

  // "uuid:n", or "uuid:tag:n" when tagged.
  std::string Text() const {
    return uuid + ":" + (tag.empty() ? "" : tag + ":") + std::to_string(gno);
  }
};

// MySQL PREVIOUS_GTIDS_LOG_EVENT: the GTIDs of every transaction before this
// binlog file (the server's gtid_executed when the file was opened).
struct PreviousGtidsEvent {
  MysqlGtidSet set;
};

// MariaDB GTID_EVENT: domain-server-seq; it opens a transaction (no BEGIN
// query follows) unless the event is standalone (a DDL or other statement
// that is a transaction on its own).
struct MariaGtidEvent {
  static constexpr uint8_t kStandalone = 0x01;
  static constexpr uint8_t kGroupCommitId = 0x02;
  static constexpr uint8_t kTransactional = 0x04;
  static constexpr uint8_t kAllowParallel = 0x08;
  static constexpr uint8_t kWaited = 0x10;
  static constexpr uint8_t kDdl = 0x20;
  static constexpr uint8_t kPreparedXa = 0x40;
  static constexpr uint8_t kCompletedXa = 0x80;

  uint64_t seq_no = 0;
  uint32_t domain_id = 0;
  uint32_t server_id = 0;  // from the event header
  uint8_t flags = 0;
  uint64_t commit_id = 0;  // when flags & kGroupCommitId

  bool standalone() const { return (flags & kStandalone) != 0; }
  std::string Text() const {
    return std::to_string(domain_id) + "-" + std::to_string(server_id) + "-" +
           std::to_string(seq_no);
  }
};

// ANNOTATE_ROWS (MariaDB) and ROWS_QUERY (MySQL): the statement behind the
// following row events.
struct AnnotateRowsEvent {
  std::string query;
};

enum class RowsKind : uint8_t { kWrite, kUpdate, kDelete };

// WRITE/UPDATE/DELETE_ROWS v1 and v2, PARTIAL_UPDATE_ROWS, and MariaDB's
// compressed variants (the rows bytes are already decompressed here).
struct RowsEvent {
  static constexpr uint16_t kStmtEndFlag = 0x0001;

  RowsKind kind = RowsKind::kWrite;
  uint8_t version = 1;          // 1 or 2 (v2 carries extra data)
  bool partial_update = false;  // PARTIAL_UPDATE_ROWS_EVENT (JSON diffs possible)
  uint64_t table_id = 0;
  uint16_t flags = 0;
  uint64_t column_count = 0;
  std::vector<bool> columns_before;  // columns present in the before image (update, delete)
  std::vector<bool> columns_after;   // columns present in the after image (write, update)
  std::string rows;                  // the row images, decoded by RowImageDecoder

  bool statement_end() const { return (flags & kStmtEndFlag) != 0; }
};

struct HeartbeatEvent {
  std::string log_file;  // may be empty (v2)
};

// An event deltabridge knows and has no use for (STOP, GTID_LIST, INTVAR,
// ...), or one it does not know at all.
struct IgnoredEvent {
  bool known = true;
};

struct BinlogEvent {
  EventHeader header;
  // Offset of the event's first byte in its file (or, for an event inside a
  // TRANSACTION_PAYLOAD, the payload event's offset).
  uint64_t offset = 0;
  // True for the events unpacked from a TRANSACTION_PAYLOAD_EVENT.
  bool in_payload = false;
  std::variant<IgnoredEvent, FormatDescriptionEvent, RotateEvent, QueryEvent, XidEvent,
               MysqlGtidEvent, MariaGtidEvent, TableMapEvent, RowsEvent, AnnotateRowsEvent,
               HeartbeatEvent, PreviousGtidsEvent>
      body;
};

}  // namespace deltabridge::mysql
