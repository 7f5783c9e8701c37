#include "cdc/mysql/binlog_event_decoder.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>

#include "cdc/mysql/binlog_compression.h"
#include "cdc/mysql/byte_reader.h"

namespace deltabridge::mysql {

namespace {

// Parses "X.Y.Z..." into a comparable number X*10000+Y*100+Z.
int VersionNumber(const std::string& v) {
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(v.c_str(), "%d.%d.%d", &major, &minor, &patch) < 2) return 0;
  return major * 10000 + minor * 100 + patch;
}

// Servers from MySQL 5.6.1 and MariaDB 5.3 end the FORMAT_DESCRIPTION event
// with the checksum algorithm byte and a 4-byte checksum.
bool ChecksumAware(const std::string& version, bool mariadb) {
  int n = VersionNumber(version);
  return mariadb ? n >= 50300 : n >= 50601;
}

std::vector<bool> ReadBitmap(std::string_view bits, size_t n) {
  std::vector<bool> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = (static_cast<uint8_t>(bits[i / 8]) >> (i % 8)) & 1;
  return v;
}

Status DecodeFormatDescription(std::string_view body, FormatDescriptionEvent* f) {
  ByteReader r(body);
  DB_RETURN_IF_ERROR(r.U16(&f->binlog_version, "binlog version"));
  std::string_view version;
  DB_RETURN_IF_ERROR(r.Bytes(50, &version, "server version"));
  f->server_version = std::string(version.substr(0, version.find('\0')));
  f->mariadb = f->server_version.find("MariaDB") != std::string::npos;
  DB_RETURN_IF_ERROR(r.U32(&f->create_timestamp, "create timestamp"));
  DB_RETURN_IF_ERROR(r.U8(&f->header_length, "header length"));
  if (f->binlog_version != 4 || f->header_length != kEventHeaderSize) {
    return Status::Corruption("unsupported binlog format: version " +
                              std::to_string(f->binlog_version) + ", header length " +
                              std::to_string(f->header_length) + " (only v4 is supported)");
  }
  std::string_view rest = r.rest();
  f->checksum = ChecksumAlg::kOff;
  if (ChecksumAware(f->server_version, f->mariadb)) {
    if (rest.size() < 1 + kChecksumSize) {
      return Status::Corruption("FORMAT_DESCRIPTION event too short for its checksum");
    }
    uint8_t alg = static_cast<uint8_t>(rest[rest.size() - 1 - kChecksumSize]);
    if (alg != 0 && alg != 1) {
      return Status::Corruption("unknown binlog checksum algorithm " + std::to_string(alg));
    }
    f->checksum = static_cast<ChecksumAlg>(alg);
    rest.remove_suffix(1 + kChecksumSize);
  }
  f->post_header_lengths.assign(rest.begin(), rest.end());
  return Status::Ok();
}

Status DecodeQuery(std::string_view body, size_t post_len, bool compressed, QueryEvent* q) {
  ByteReader r(body);
  uint8_t db_len = 0;
  uint16_t status_len = 0;
  DB_RETURN_IF_ERROR(r.U32(&q->thread_id, "query thread id"));
  DB_RETURN_IF_ERROR(r.U32(&q->exec_time, "query exec time"));
  DB_RETURN_IF_ERROR(r.U8(&db_len, "query database length"));
  DB_RETURN_IF_ERROR(r.U16(&q->error_code, "query error code"));
  if (post_len >= 13) {
    DB_RETURN_IF_ERROR(r.U16(&status_len, "query status length"));
    DB_RETURN_IF_ERROR(r.Skip(post_len - 13, "query post-header"));
  }
  DB_RETURN_IF_ERROR(r.Skip(status_len, "query status variables"));
  std::string_view db;
  DB_RETURN_IF_ERROR(r.Bytes(db_len, &db, "query database"));
  q->database = std::string(db);
  DB_RETURN_IF_ERROR(r.Skip(1, "query database terminator"));
  if (compressed) {
    DB_RETURN_IF_ERROR(MariadbUncompress(r.rest(), &q->query));
  } else {
    q->query = std::string(r.rest());
  }
  return Status::Ok();
}

Status DecodeMysqlGtid(std::string_view body, bool anonymous, MysqlGtidEvent* g) {
  ByteReader r(body);
  std::string_view sid;
  uint64_t gno = 0;
  g->anonymous = anonymous;
  DB_RETURN_IF_ERROR(r.U8(&g->flags, "gtid flags"));
  DB_RETURN_IF_ERROR(r.Bytes(16, &sid, "gtid uuid"));
  DB_RETURN_IF_ERROR(r.U64(&gno, "gtid number"));
  g->gno = static_cast<int64_t>(gno);
  if (!anonymous) g->uuid = UuidText(sid);
  uint8_t lt_type = 0;
  if (r.remaining() >= 17) {
    uint64_t v = 0;
    DB_RETURN_IF_ERROR(r.U8(&lt_type, "gtid logical timestamp type"));
    DB_RETURN_IF_ERROR(r.U64(&v, "gtid last committed"));
    g->last_committed = static_cast<int64_t>(v);
    DB_RETURN_IF_ERROR(r.U64(&v, "gtid sequence number"));
    g->sequence_number = static_cast<int64_t>(v);
  }
  if (r.remaining() >= 7) {
    uint64_t ts = 0;
    DB_RETURN_IF_ERROR(r.UintLe(7, &ts, "gtid commit timestamp"));
    constexpr uint64_t kHasOriginal = uint64_t{1} << 55;
    g->immediate_commit_us = ts & ~kHasOriginal;
    g->original_commit_us = g->immediate_commit_us;
    if ((ts & kHasOriginal) != 0) {
      DB_RETURN_IF_ERROR(r.UintLe(7, &ts, "gtid original commit timestamp"));
      g->original_commit_us = ts;
    }
  }
  return Status::Ok();
}

// GTID_TAGGED_LOG_EVENT (MySQL 8.3+), in the MySQL serialization library's
// format: a message of the format version (1), the message size (counting
// from its first byte), the last non-ignorable field id, then (field id,
// value) pairs, every integer a varlen of ByteReader::VarlenUint. Fields:
// 0 flags, 1 uuid (16 varlen bytes), 2 gno (signed), 3 tag (varlen length,
// bytes), 4 last_committed and 5 sequence_number (signed), 6 immediate and
// 7 original commit timestamp (microseconds; the original defaults to the
// immediate), 8 transaction length, 9/10 server versions, 11 commit ticket.
// A field may be left out when it holds its default. An unknown field at or
// below the last non-ignorable id is an error; above it, the fields that are
// left are skipped (their sizes are unknown, and they may be ignored).
Status DecodeMysqlTaggedGtid(std::string_view body, MysqlGtidEvent* g) {
  ByteReader r(body);
  uint64_t version = 0;
  uint64_t size = 0;
  uint64_t last_required = 0;
  DB_RETURN_IF_ERROR(r.VarlenUint(&version, "tagged gtid format version"));
  if (version != 1) {
    return Status::Corruption("tagged GTID event in serialization format version " +
                              std::to_string(version) + " (this deltabridge reads version 1)");
  }
  DB_RETURN_IF_ERROR(r.VarlenUint(&size, "tagged gtid message size"));
  if (size > body.size() || size < r.pos()) {
    return Status::Corruption("tagged GTID event of " + std::to_string(size) + " bytes in a " +
                              std::to_string(body.size()) + "-byte body");
  }
  DB_RETURN_IF_ERROR(r.VarlenUint(&last_required, "tagged gtid last non-ignorable field"));
  ByteReader fields(body.substr(0, static_cast<size_t>(size)));
  DB_RETURN_IF_ERROR(fields.Skip(r.pos(), "tagged gtid header"));
  bool have_original = false;
  bool have_uuid = false;
  bool have_gno = false;
  while (!fields.empty()) {
    uint64_t id = 0;
    uint64_t u = 0;
    DB_RETURN_IF_ERROR(fields.VarlenUint(&id, "tagged gtid field id"));
    switch (id) {
      case 0:
        DB_RETURN_IF_ERROR(fields.VarlenUint(&u, "tagged gtid flags"));
        g->flags = static_cast<uint8_t>(u);
        break;
      case 1: {
        std::string uuid;
        for (int k = 0; k < 16; ++k) {
          DB_RETURN_IF_ERROR(fields.VarlenUint(&u, "tagged gtid uuid"));
          if (u > 255) return Status::Corruption("tagged GTID uuid byte " + std::to_string(u));
          uuid.push_back(static_cast<char>(u));
        }
        g->uuid = UuidText(uuid);
        have_uuid = true;
        break;
      }
      case 2:
        DB_RETURN_IF_ERROR(fields.VarlenInt(&g->gno, "tagged gtid number"));
        if (g->gno < 1) return Status::Corruption("tagged GTID number " + std::to_string(g->gno));
        have_gno = true;
        break;
      case 3: {
        std::string_view tag;
        DB_RETURN_IF_ERROR(fields.VarlenUint(&u, "tagged gtid tag length"));
        if (u > 32) return Status::Corruption("GTID tag of " + std::to_string(u) + " bytes");
        DB_RETURN_IF_ERROR(fields.Bytes(static_cast<size_t>(u), &tag, "tagged gtid tag"));
        if (!tag.empty() && !ValidGtidTag(tag)) {
          return Status::Corruption("\"" + std::string(tag) + "\" is not a GTID tag");
        }
        g->tag.clear();
        for (char c : tag)
          g->tag.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        break;
      }
      case 4:
        DB_RETURN_IF_ERROR(fields.VarlenInt(&g->last_committed, "tagged gtid last committed"));
        break;
      case 5:
        DB_RETURN_IF_ERROR(fields.VarlenInt(&g->sequence_number, "tagged gtid sequence number"));
        break;
      case 6:
        DB_RETURN_IF_ERROR(fields.VarlenUint(&g->immediate_commit_us, "tagged gtid commit time"));
        break;
      case 7:
        DB_RETURN_IF_ERROR(fields.VarlenUint(&g->original_commit_us, "tagged gtid commit time"));
        have_original = true;
        break;
      case 8:
      case 9:
      case 10:
      case 11:
        DB_RETURN_IF_ERROR(fields.VarlenUint(&u, "tagged gtid field"));
        break;
      default:
        if (id <= last_required) {
          return Status::Corruption("tagged GTID event with unknown required field " +
                                    std::to_string(id));
        }
        DB_RETURN_IF_ERROR(fields.Skip(fields.remaining(), "tagged gtid ignorable fields"));
        break;
    }
  }
  if (!have_uuid || !have_gno) {
    return Status::Corruption("tagged GTID event without its uuid or number");
  }
  if (!have_original) g->original_commit_us = g->immediate_commit_us;
  return Status::Ok();
}

Status DecodeMariaGtid(std::string_view body, uint32_t server_id, MariaGtidEvent* g) {
  ByteReader r(body);
  DB_RETURN_IF_ERROR(r.U64(&g->seq_no, "gtid sequence"));
  DB_RETURN_IF_ERROR(r.U32(&g->domain_id, "gtid domain"));
  DB_RETURN_IF_ERROR(r.U8(&g->flags, "gtid flags"));
  g->server_id = server_id;
  if (g->flags & MariaGtidEvent::kGroupCommitId) {
    DB_RETURN_IF_ERROR(r.U64(&g->commit_id, "gtid commit id"));
  }
  return Status::Ok();
}

bool RowsKindOf(uint8_t type, RowsEvent* rows, bool* compressed) {
  *compressed = false;
  rows->partial_update = false;
  switch (type) {
    case kWriteRowsEventV1:
    case kWriteRowsCompressedEventV1:
      rows->kind = RowsKind::kWrite;
      rows->version = 1;
      break;
    case kUpdateRowsEventV1:
    case kUpdateRowsCompressedEventV1:
      rows->kind = RowsKind::kUpdate;
      rows->version = 1;
      break;
    case kDeleteRowsEventV1:
    case kDeleteRowsCompressedEventV1:
      rows->kind = RowsKind::kDelete;
      rows->version = 1;
      break;
    case kWriteRowsEventV2:
    case kWriteRowsCompressedEvent:
      rows->kind = RowsKind::kWrite;
      rows->version = 2;
      break;
    case kUpdateRowsEventV2:
    case kUpdateRowsCompressedEvent:
      rows->kind = RowsKind::kUpdate;
      rows->version = 2;
      break;
    case kPartialUpdateRowsEvent:
      rows->kind = RowsKind::kUpdate;
      rows->version = 2;
      rows->partial_update = true;
      break;
    case kDeleteRowsEventV2:
    case kDeleteRowsCompressedEvent:
      rows->kind = RowsKind::kDelete;
      rows->version = 2;
      break;
    default:
      return false;
  }
  *compressed = type >= kWriteRowsCompressedEventV1 && type <= kDeleteRowsCompressedEvent;
  return true;
}

Status DecodeRows(std::string_view body, size_t table_id_size, bool compressed, RowsEvent* rows) {
  ByteReader r(body);
  DB_RETURN_IF_ERROR(r.UintLe(table_id_size, &rows->table_id, "rows table id"));
  DB_RETURN_IF_ERROR(r.U16(&rows->flags, "rows flags"));
  if (rows->version == 2) {
    uint16_t extra = 0;
    DB_RETURN_IF_ERROR(r.U16(&extra, "rows extra data length"));
    if (extra < 2) return Status::Corruption("rows extra data length below 2");
    DB_RETURN_IF_ERROR(r.Skip(extra - 2, "rows extra data"));
  }
  uint64_t count = 0;
  DB_RETURN_IF_ERROR(r.LenEnc(&count, "rows column count"));
  if (count > 4096) {  // MySQL's and MariaDB's limit on columns per table
    return Status::Corruption("rows event with " + std::to_string(count) + " columns");
  }
  size_t n = static_cast<size_t>(count);
  rows->column_count = n;
  std::string_view bits;
  DB_RETURN_IF_ERROR(r.Bytes((n + 7) / 8, &bits, "rows column bitmap"));
  std::vector<bool> first = ReadBitmap(bits, n);
  if (rows->kind == RowsKind::kUpdate) {
    DB_RETURN_IF_ERROR(r.Bytes((n + 7) / 8, &bits, "rows after-image column bitmap"));
    rows->columns_before = std::move(first);
    rows->columns_after = ReadBitmap(bits, n);
  } else if (rows->kind == RowsKind::kWrite) {
    rows->columns_after = std::move(first);
  } else {
    rows->columns_before = std::move(first);
  }
  if (compressed) {
    DB_RETURN_IF_ERROR(MariadbUncompress(r.rest(), &rows->rows));
  } else {
    rows->rows = std::string(r.rest());
  }
  return Status::Ok();
}

}  // namespace

std::string EventTypeName(uint8_t type) {
  switch (type) {
    case kQueryEvent:
      return "Query";
    case kStopEvent:
      return "Stop";
    case kRotateEvent:
      return "Rotate";
    case kFormatDescriptionEvent:
      return "Format_desc";
    case kXidEvent:
      return "Xid";
    case kTableMapEvent:
      return "Table_map";
    case kWriteRowsEventV1:
      return "Write_rows_v1";
    case kUpdateRowsEventV1:
      return "Update_rows_v1";
    case kDeleteRowsEventV1:
      return "Delete_rows_v1";
    case kWriteRowsEventV2:
      return "Write_rows";
    case kUpdateRowsEventV2:
      return "Update_rows";
    case kDeleteRowsEventV2:
      return "Delete_rows";
    case kPartialUpdateRowsEvent:
      return "Update_rows_partial";
    case kGtidEvent:
      return "Gtid";
    case kAnonymousGtidEvent:
      return "Anonymous_Gtid";
    case kPreviousGtidsEvent:
      return "Previous_gtids";
    case kGtidTaggedEvent:
      return "Gtid_tagged";
    case kTransactionPayloadEvent:
      return "Transaction_payload";
    case kHeartbeatEvent:
      return "Heartbeat";
    case kHeartbeatEventV2:
      return "Heartbeat_v2";
    case kRowsQueryEvent:
      return "Rows_query";
    case kAnnotateRowsEvent:
      return "Annotate_rows";
    case kBinlogCheckpointEvent:
      return "Binlog_checkpoint";
    case kMariaGtidEvent:
      return "Gtid (MariaDB)";
    case kMariaGtidListEvent:
      return "Gtid_list";
    case kStartEncryptionEvent:
      return "Start_encryption";
    case kQueryCompressedEvent:
      return "Query_compressed";
    case kWriteRowsCompressedEventV1:
      return "Write_rows_compressed_v1";
    case kUpdateRowsCompressedEventV1:
      return "Update_rows_compressed_v1";
    case kDeleteRowsCompressedEventV1:
      return "Delete_rows_compressed_v1";
    case kWriteRowsCompressedEvent:
      return "Write_rows_compressed";
    case kUpdateRowsCompressedEvent:
      return "Update_rows_compressed";
    case kDeleteRowsCompressedEvent:
      return "Delete_rows_compressed";
    default:
      return "type " + std::to_string(type);
  }
}

Status BinlogEventDecoder::DecodeHeader(std::string_view bytes, EventHeader* h) {
  ByteReader r(bytes);
  DB_RETURN_IF_ERROR(r.U32(&h->timestamp, "event header"));
  DB_RETURN_IF_ERROR(r.U8(&h->type, "event header"));
  DB_RETURN_IF_ERROR(r.U32(&h->server_id, "event header"));
  DB_RETURN_IF_ERROR(r.U32(&h->event_size, "event header"));
  DB_RETURN_IF_ERROR(r.U32(&h->log_pos, "event header"));
  DB_RETURN_IF_ERROR(r.U16(&h->flags, "event header"));
  if (h->event_size < kEventHeaderSize) {
    return Status::Corruption("event size " + std::to_string(h->event_size) +
                              " is smaller than the event header");
  }
  return Status::Ok();
}

size_t BinlogEventDecoder::TableIdSize(uint8_t type) const {
  // A post-header of 6 bytes (4-byte table id + flags) is MySQL 5.1.0-5.1.15.
  return format_.PostHeaderLength(type, 8) == 6 ? 4 : 6;
}

Status BinlogEventDecoder::Decode(std::string_view bytes, uint64_t offset,
                                  std::vector<BinlogEvent>* out) {
  return DecodeOne(bytes, offset, false, out);
}

Status BinlogEventDecoder::DecodeOne(std::string_view bytes, uint64_t offset, bool in_payload,
                                     std::vector<BinlogEvent>* out) {
  BinlogEvent ev;
  ev.offset = offset;
  ev.in_payload = in_payload;
  DB_RETURN_IF_ERROR(DecodeHeader(bytes, &ev.header));
  const EventHeader& h = ev.header;
  if (h.event_size != bytes.size()) {
    return Status::Corruption("event size " + std::to_string(h.event_size) + " but " +
                              std::to_string(bytes.size()) + " bytes given");
  }
  std::string_view body = bytes.substr(kEventHeaderSize);
  ++stats_.events;

  if (h.type == kFormatDescriptionEvent) {
    if (in_payload) return Status::Corruption("FORMAT_DESCRIPTION inside a transaction payload");
    FormatDescriptionEvent f;
    DB_RETURN_IF_ERROR(DecodeFormatDescription(body, &f));
    if (f.checksum == ChecksumAlg::kCrc32 && verify_checksums_) {
      // The server clears LOG_EVENT_BINLOG_IN_USE_F (0x1) in place when it
      // closes the file, without updating the checksum, which was computed
      // with the flag clear: check it that way.
      std::string covered(bytes.substr(0, bytes.size() - kChecksumSize));
      covered[17] = static_cast<char>(covered[17] & ~0x01);
      ByteReader tail(bytes.substr(bytes.size() - kChecksumSize));
      uint32_t stored = 0;
      DB_RETURN_IF_ERROR(tail.U32(&stored, "checksum"));
      if (Crc32(covered) != stored) {
        return Status::Corruption("CRC32 mismatch in the FORMAT_DESCRIPTION event");
      }
    }
    format_ = f;
    has_format_ = true;
    ev.body = std::move(f);
    out->push_back(std::move(ev));
    return Status::Ok();
  }

  // Events inside a transaction payload carry no checksum of their own.
  if (!in_payload && format_.checksum == ChecksumAlg::kCrc32) {
    if (body.size() < kChecksumSize) return Status::Corruption("event too short for its checksum");
    if (verify_checksums_) {
      ByteReader tail(body.substr(body.size() - kChecksumSize));
      uint32_t stored = 0;
      DB_RETURN_IF_ERROR(tail.U32(&stored, "checksum"));
      uint32_t computed = Crc32(bytes.substr(0, bytes.size() - kChecksumSize));
      if (computed != stored) {
        char msg[128];
        std::snprintf(msg, sizeof msg, "CRC32 mismatch in a %s event: stored %08x, computed %08x",
                      EventTypeName(h.type).c_str(), stored, computed);
        return Status::Corruption(msg);
      }
    }
    body.remove_suffix(kChecksumSize);
  }

  if (h.type == kTransactionPayloadEvent) {
    if (in_payload) return Status::Corruption("transaction payload inside a transaction payload");
    return DecodePayload(h, body, offset, out);
  }
  Status s = DecodeBody(h, body, &ev);
  if (!s.ok()) return s.WithContext(EventTypeName(h.type) + " event");
  out->push_back(std::move(ev));
  return Status::Ok();
}

Status BinlogEventDecoder::DecodeBody(const EventHeader& h, std::string_view body,
                                      BinlogEvent* ev) {
  switch (h.type) {
    case kRotateEvent: {
      RotateEvent rot;
      ByteReader r(body);
      if (format_.PostHeaderLength(kRotateEvent, 8) >= 8) {
        DB_RETURN_IF_ERROR(r.U64(&rot.position, "rotate position"));
      }
      rot.next_file = std::string(r.rest());
      ev->body = std::move(rot);
      return Status::Ok();
    }
    case kQueryEvent:
    case kQueryCompressedEvent: {
      QueryEvent q;
      DB_RETURN_IF_ERROR(DecodeQuery(body, format_.PostHeaderLength(h.type, 13),
                                     h.type == kQueryCompressedEvent, &q));
      ev->body = std::move(q);
      return Status::Ok();
    }
    case kXidEvent: {
      XidEvent x;
      ByteReader r(body);
      DB_RETURN_IF_ERROR(r.U64(&x.xid, "xid"));
      ev->body = x;
      return Status::Ok();
    }
    case kGtidEvent:
    case kAnonymousGtidEvent: {
      MysqlGtidEvent g;
      DB_RETURN_IF_ERROR(DecodeMysqlGtid(body, h.type == kAnonymousGtidEvent, &g));
      ev->body = std::move(g);
      return Status::Ok();
    }
    case kGtidTaggedEvent: {
      MysqlGtidEvent g;
      DB_RETURN_IF_ERROR(DecodeMysqlTaggedGtid(body, &g));
      ev->body = std::move(g);
      return Status::Ok();
    }
    case kPreviousGtidsEvent: {
      Result<MysqlGtidSet> set = MysqlGtidSet::Decode(body);
      if (!set.ok()) return set.status().WithContext("PREVIOUS_GTIDS event");
      ev->body = PreviousGtidsEvent{std::move(set).value()};
      return Status::Ok();
    }
    case kMariaGtidEvent: {
      MariaGtidEvent g;
      DB_RETURN_IF_ERROR(DecodeMariaGtid(body, h.server_id, &g));
      ev->body = g;
      return Status::Ok();
    }
    case kTableMapEvent: {
      TableMapEvent t;
      DB_RETURN_IF_ERROR(ParseTableMapBody(body, TableIdSize(kTableMapEvent), &t));
      ev->body = std::move(t);
      return Status::Ok();
    }
    case kAnnotateRowsEvent:
      ev->body = AnnotateRowsEvent{std::string(body)};
      return Status::Ok();
    case kRowsQueryEvent: {
      // One length byte (truncated at 255, so ignored), then the whole statement.
      ByteReader r(body);
      DB_RETURN_IF_ERROR(r.Skip(1, "rows query length"));
      ev->body = AnnotateRowsEvent{std::string(r.rest())};
      return Status::Ok();
    }
    case kHeartbeatEvent:
      ++stats_.heartbeats;
      ev->body = HeartbeatEvent{std::string(body)};
      return Status::Ok();
    case kHeartbeatEventV2:
      ++stats_.heartbeats;
      ev->body = HeartbeatEvent{};
      return Status::Ok();
    case kStartEncryptionEvent:
      return Status::FailedPrecondition(
          "the binlog is encrypted (START_ENCRYPTION event); deltabridge cannot read encrypted "
          "binlog files, read them through the server instead");
    case kWriteRowsEventV0:
    case kUpdateRowsEventV0:
    case kDeleteRowsEventV0:
      return Status::FailedPrecondition("row events v0 (MySQL 5.1.0-5.1.15) are not supported");
    case kStopEvent:
    case kIntvarEvent:
    case kRandEvent:
    case kUserVarEvent:
    case kIncidentEvent:
    case kIgnorableEvent:
    case kTransactionContextEvent:
    case kViewChangeEvent:
    case kXaPrepareEvent:
    case kBinlogCheckpointEvent:
    case kMariaGtidListEvent:
    case kAppendBlockEvent:
    case kDeleteFileEvent:
    case kBeginLoadQueryEvent:
    case kExecuteLoadQueryEvent:
    case kStartEventV3:
    case kSlaveEvent:
      ev->body = IgnoredEvent{true};
      return Status::Ok();
    default: {
      RowsEvent rows;
      bool compressed = false;
      if (RowsKindOf(h.type, &rows, &compressed)) {
        DB_RETURN_IF_ERROR(DecodeRows(body, TableIdSize(h.type), compressed, &rows));
        ev->body = std::move(rows);
        return Status::Ok();
      }
      ++stats_.unknown_events;
      ev->body = IgnoredEvent{false};
      return Status::Ok();
    }
  }
}

Status BinlogEventDecoder::DecodePayload(const EventHeader& h, std::string_view body,
                                         uint64_t offset, std::vector<BinlogEvent>* out) {
  // Fields (type, length, value), each a length-encoded integer, until type 0.
  ByteReader r(body);
  uint64_t payload_size = 0, compression = 0, uncompressed_size = 0;
  bool have_size = false;
  for (;;) {
    uint64_t type = 0;
    DB_RETURN_IF_ERROR(r.LenEnc(&type, "transaction payload field type"));
    if (type == 0) break;
    std::string_view value;
    DB_RETURN_IF_ERROR(r.LenEncString(&value, "transaction payload field"));
    ByteReader v(value);
    switch (type) {
      case 1:
        DB_RETURN_IF_ERROR(v.LenEnc(&payload_size, "transaction payload size"));
        have_size = true;
        break;
      case 2:
        DB_RETURN_IF_ERROR(v.LenEnc(&compression, "transaction payload compression"));
        break;
      case 3:
        DB_RETURN_IF_ERROR(v.LenEnc(&uncompressed_size, "transaction payload uncompressed size"));
        break;
      default:
        break;  // newer field: skipped by its length
    }
  }
  std::string_view data = r.rest();
  if (have_size && payload_size != data.size()) {
    return Status::Corruption("transaction payload of " + std::to_string(data.size()) +
                              " bytes declares " + std::to_string(payload_size));
  }
  std::string plain;
  if (compression == 0) {
    DB_RETURN_IF_ERROR(ZstdUncompress(data, static_cast<size_t>(uncompressed_size), &plain));
  } else if (compression == 255) {
    plain = std::string(data);
  } else {
    return Status::Corruption("transaction payload with unknown compression " +
                              std::to_string(compression));
  }
  ++stats_.payloads;
  std::string_view rest = plain;
  while (!rest.empty()) {
    EventHeader inner;
    DB_RETURN_IF_ERROR(DecodeHeader(rest, &inner).WithContext("transaction payload"));
    if (inner.event_size > rest.size()) {
      return Status::Corruption("transaction payload: event of " +
                                std::to_string(inner.event_size) + " bytes exceeds the " +
                                std::to_string(rest.size()) + " bytes left");
    }
    DB_RETURN_IF_ERROR(DecodeOne(rest.substr(0, inner.event_size), offset, true, out)
                           .WithContext("transaction payload"));
    // Inner events have no position of their own: they end where the payload ends.
    out->back().header.log_pos = h.log_pos;
    rest.remove_prefix(inner.event_size);
  }
  return Status::Ok();
}

}  // namespace deltabridge::mysql
