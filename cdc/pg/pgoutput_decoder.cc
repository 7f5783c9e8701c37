#include "cdc/pg/pgoutput_decoder.h"

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <type_traits>

namespace deltabridge {

namespace {

using pgoutput::OldTupleKind;
using pgoutput::ReplicaIdentity;
using pgoutput::Tuple;
using pgoutput::ValueKind;

// Smallest encoding of one Relation column: flags, "" name, type oid, typmod.
constexpr size_t kMinRelationColumnBytes = 1 + 1 + 4 + 4;

// Bounds-checked big-endian reader over one message. Each read returns false
// on failure and remembers the first failure (offset and reason) for
// status(); nothing is read past the end.
class Reader {
 public:
  Reader(std::string_view data, const char* what) : data_(data), what_(what) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  bool U8(const char* field, uint8_t* out) { return BigEndian(field, out); }
  bool I16(const char* field, int16_t* out) { return BigEndian(field, out); }
  bool U32(const char* field, uint32_t* out) { return BigEndian(field, out); }
  bool I32(const char* field, int32_t* out) { return BigEndian(field, out); }

  bool ReadLsn(const char* field, Lsn* out) { return BigEndian(field, &out->value); }

  // A TimestampTz (microseconds since 2000-01-01) as Unix-epoch microseconds.
  bool Timestamp(const char* field, int64_t* out) {
    size_t start = pos_;
    int64_t pg_us = 0;
    if (!BigEndian(field, &pg_us)) return false;
    if (__builtin_add_overflow(pg_us, pgoutput::kPgEpochOffsetUs, out)) {
      return FailAt(start, fmt::format("{} {} is out of range", field, pg_us));
    }
    return true;
  }

  // A NUL-terminated string; the view excludes the NUL.
  bool CString(const char* field, std::string_view* out) {
    const char* begin = data_.data() + pos_;
    const void* nul = std::memchr(begin, '\0', remaining());
    if (nul == nullptr) {
      return Fail(fmt::format("{} is not NUL-terminated ({} bytes left)", field, remaining()));
    }
    size_t len = static_cast<const char*>(nul) - begin;
    *out = std::string_view(begin, len);
    pos_ += len + 1;
    return true;
  }

  bool Bytes(const char* field, size_t n, std::string_view* out) {
    if (!Need(field, n)) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  // A TupleData: Int16 count, then per column a kind byte and, for 't' and
  // 'b', an Int32 length and the bytes. `tuple` keeps its capacity.
  bool ReadTuple(const char* which, Tuple* tuple) {
    tuple->clear();
    int16_t count = 0;
    if (!I16("tuple column count", &count)) return false;
    if (count < 0)
      return FailAt(pos_ - 2, fmt::format("negative {} column count {}", which, count));
    // Each column takes at least its kind byte.
    if (static_cast<size_t>(count) > remaining()) {
      return FailAt(pos_ - 2, fmt::format("{} column count {} exceeds the {} bytes left", which,
                                          count, remaining()));
    }
    tuple->resize(static_cast<size_t>(count));
    for (pgoutput::TupleValue& value : *tuple) {
      uint8_t kind = 0;
      if (!U8("tuple value kind", &kind)) return false;
      switch (kind) {
        case 'n':
          value.kind = ValueKind::kNull;
          break;
        case 'u':
          value.kind = ValueKind::kUnchangedToast;
          break;
        case 't':
        case 'b': {
          value.kind = static_cast<ValueKind>(kind);
          int32_t len = 0;
          if (!I32("tuple value length", &len)) return false;
          if (len < 0) return FailAt(pos_ - 4, fmt::format("negative tuple value length {}", len));
          if (!Bytes("tuple value", static_cast<size_t>(len), &value.data)) return false;
          break;
        }
        default:
          return FailAt(pos_ - 1, fmt::format("unknown tuple value kind {} in {} column {}",
                                              Printable(kind), which, &value - tuple->data()));
      }
    }
    return true;
  }

  // True when the whole message was consumed.
  bool AtEnd() {
    if (pos_ == data_.size()) return true;
    return Fail(fmt::format("{} trailing bytes", remaining()));
  }

  bool Fail(std::string reason) { return FailAt(pos_, std::move(reason)); }
  bool FailAt(size_t offset, std::string reason) {
    if (error_.empty()) {
      error_offset_ = offset;
      error_ = std::move(reason);
    }
    return false;
  }

  // The Corruption for the first failure.
  Status status() const {
    return Status::Corruption(
        fmt::format("pgoutput {} message at offset {}: {}", what_, error_offset_, error_));
  }

  // 'x' (0x78) for printable bytes, 0x05 otherwise.
  static std::string Printable(uint8_t c) {
    if (c >= 0x20 && c < 0x7f) return fmt::format("'{}' (0x{:02x})", static_cast<char>(c), c);
    return fmt::format("0x{:02x}", c);
  }

 private:
  bool Need(const char* field, size_t n) {
    if (remaining() >= n) return true;
    return Fail(fmt::format("truncated {} (needs {} bytes, {} left)", field, n, remaining()));
  }

  template <typename T>
  bool BigEndian(const char* field, T* out) {
    if (!Need(field, sizeof(T))) return false;
    std::make_unsigned_t<T> v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v = static_cast<std::make_unsigned_t<T>>(v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    }
    pos_ += sizeof(T);
    *out = static_cast<T>(v);  // two's complement (C++20)
    return true;
  }

  std::string_view data_;
  size_t pos_ = 1;  // past the tag byte
  const char* what_;
  size_t error_offset_ = 0;
  std::string error_;
};

bool ValidReplicaIdentity(uint8_t c) { return c == 'd' || c == 'n' || c == 'f' || c == 'i'; }

}  // namespace

Status PgOutputHandler::OnBegin(const pgoutput::Begin&) { return Status::Ok(); }
Status PgOutputHandler::OnMessage(const pgoutput::Message&) { return Status::Ok(); }
Status PgOutputHandler::OnCommit(const pgoutput::Commit&) { return Status::Ok(); }
Status PgOutputHandler::OnOrigin(const pgoutput::Origin&) { return Status::Ok(); }
Status PgOutputHandler::OnRelation(const pgoutput::Relation&) { return Status::Ok(); }
Status PgOutputHandler::OnType(const pgoutput::Type&) { return Status::Ok(); }
Status PgOutputHandler::OnInsert(const pgoutput::Insert&) { return Status::Ok(); }
Status PgOutputHandler::OnUpdate(const pgoutput::Update&) { return Status::Ok(); }
Status PgOutputHandler::OnDelete(const pgoutput::Delete&) { return Status::Ok(); }
Status PgOutputHandler::OnTruncate(const pgoutput::Truncate&) { return Status::Ok(); }
Status PgOutputHandler::OnStreamStart(const pgoutput::StreamStart&) { return Status::Ok(); }
Status PgOutputHandler::OnStreamStop(const pgoutput::StreamStop&) { return Status::Ok(); }
Status PgOutputHandler::OnStreamCommit(const pgoutput::StreamCommit&) { return Status::Ok(); }
Status PgOutputHandler::OnStreamAbort(const pgoutput::StreamAbort&) { return Status::Ok(); }

Status PgOutputDecoder::Decode(std::string_view message, PgOutputHandler* handler) {
  if (message.empty()) return Status::Corruption("pgoutput: empty message");
  const auto tag = static_cast<uint8_t>(message[0]);

  // Data messages carry the xid of their (sub)transaction inside a stream block.
  auto read_stream_xid = [this](Reader& r, std::optional<uint32_t>* xid) {
    if (!in_stream_) {
      xid->reset();
      return true;
    }
    uint32_t v = 0;
    if (!r.U32("xid", &v)) return false;
    *xid = v;
    return true;
  };
  // Transaction boundaries are never sent inside a stream block.
  auto outside_stream = [this](Reader& r) {
    if (!in_stream_) return true;
    return r.FailAt(0, fmt::format("not allowed inside the stream block of xid {}", stream_xid_));
  };

  switch (tag) {
    case 'B': {
      Reader r(message, "Begin");
      pgoutput::Begin m;
      if (!outside_stream(r) || !r.ReadLsn("final LSN", &m.final_lsn) ||
          !r.Timestamp("commit timestamp", &m.commit_time_us) || !r.U32("xid", &m.xid) ||
          !r.AtEnd()) {
        return r.status();
      }
      return handler->OnBegin(m);
    }

    case 'M': {
      Reader r(message, "Message");
      pgoutput::Message m;
      uint8_t flags = 0;
      int32_t len = 0;
      if (!read_stream_xid(r, &m.xid) || !r.U8("flags", &flags)) return r.status();
      if (flags > 1) {
        r.FailAt(r.pos() - 1, fmt::format("unknown flags 0x{:02x}", flags));
        return r.status();
      }
      m.transactional = flags == 1;
      if (!r.ReadLsn("LSN", &m.lsn) || !r.CString("prefix", &m.prefix) ||
          !r.I32("content length", &len)) {
        return r.status();
      }
      if (len < 0) {
        r.FailAt(r.pos() - 4, fmt::format("negative content length {}", len));
        return r.status();
      }
      if (!r.Bytes("content", static_cast<size_t>(len), &m.content) || !r.AtEnd()) {
        return r.status();
      }
      return handler->OnMessage(m);
    }

    case 'C': {
      Reader r(message, "Commit");
      pgoutput::Commit m;
      if (!outside_stream(r) || !r.U8("flags", &m.flags) ||
          !r.ReadLsn("commit LSN", &m.commit_lsn) || !r.ReadLsn("end LSN", &m.end_lsn) ||
          !r.Timestamp("commit timestamp", &m.commit_time_us) || !r.AtEnd()) {
        return r.status();
      }
      return handler->OnCommit(m);
    }

    case 'O': {
      Reader r(message, "Origin");
      pgoutput::Origin m;
      if (!r.ReadLsn("origin LSN", &m.lsn) || !r.CString("origin name", &m.name) || !r.AtEnd()) {
        return r.status();
      }
      return handler->OnOrigin(m);
    }

    case 'R': {
      Reader r(message, "Relation");
      pgoutput::Relation& m = relation_;
      m.columns.clear();
      uint8_t identity = 0;
      int16_t count = 0;
      if (!read_stream_xid(r, &m.xid) || !r.U32("relation oid", &m.oid) ||
          !r.CString("namespace", &m.schema) || !r.CString("relation name", &m.name) ||
          !r.U8("replica identity", &identity)) {
        return r.status();
      }
      if (!ValidReplicaIdentity(identity)) {
        r.FailAt(r.pos() - 1,
                 fmt::format("unknown replica identity {}", Reader::Printable(identity)));
        return r.status();
      }
      m.replica_identity = static_cast<ReplicaIdentity>(identity);
      if (!r.I16("column count", &count)) return r.status();
      if (count < 0 || static_cast<size_t>(count) > r.remaining() / kMinRelationColumnBytes) {
        r.FailAt(r.pos() - 2, fmt::format("column count {} does not fit the {} bytes left", count,
                                          r.remaining()));
        return r.status();
      }
      m.columns.resize(static_cast<size_t>(count));
      for (pgoutput::RelationColumn& c : m.columns) {
        if (!r.U8("column flags", &c.flags) || !r.CString("column name", &c.name) ||
            !r.U32("column type oid", &c.type_oid) || !r.I32("column type modifier", &c.type_mod)) {
          return r.status();
        }
      }
      if (!r.AtEnd()) return r.status();
      return handler->OnRelation(m);
    }

    case 'Y': {
      Reader r(message, "Type");
      pgoutput::Type m;
      if (!read_stream_xid(r, &m.xid) || !r.U32("type oid", &m.oid) ||
          !r.CString("namespace", &m.schema) || !r.CString("type name", &m.name) || !r.AtEnd()) {
        return r.status();
      }
      return handler->OnType(m);
    }

    case 'I': {
      Reader r(message, "Insert");
      pgoutput::Insert& m = insert_;
      uint8_t marker = 0;
      if (!read_stream_xid(r, &m.xid) || !r.U32("relation oid", &m.relation_oid) ||
          !r.U8("new tuple marker", &marker)) {
        return r.status();
      }
      if (marker != 'N') {
        r.FailAt(r.pos() - 1,
                 fmt::format("expected new tuple marker 'N', got {}", Reader::Printable(marker)));
        return r.status();
      }
      if (!r.ReadTuple("new tuple", &m.new_tuple) || !r.AtEnd()) return r.status();
      return handler->OnInsert(m);
    }

    case 'U': {
      Reader r(message, "Update");
      pgoutput::Update& m = update_;
      uint8_t marker = 0;
      if (!read_stream_xid(r, &m.xid) || !r.U32("relation oid", &m.relation_oid) ||
          !r.U8("tuple marker", &marker)) {
        return r.status();
      }
      if (marker == 'K' || marker == 'O') {
        m.old_kind = static_cast<OldTupleKind>(marker);
        if (!r.ReadTuple("old tuple", &m.old_tuple) || !r.U8("new tuple marker", &marker)) {
          return r.status();
        }
      } else {
        m.old_kind = OldTupleKind::kNone;
        m.old_tuple.clear();
      }
      if (marker != 'N') {
        r.FailAt(r.pos() - 1, fmt::format("expected tuple marker 'K', 'O' or 'N', got {}",
                                          Reader::Printable(marker)));
        return r.status();
      }
      if (!r.ReadTuple("new tuple", &m.new_tuple) || !r.AtEnd()) return r.status();
      return handler->OnUpdate(m);
    }

    case 'D': {
      Reader r(message, "Delete");
      pgoutput::Delete& m = delete_;
      uint8_t marker = 0;
      if (!read_stream_xid(r, &m.xid) || !r.U32("relation oid", &m.relation_oid) ||
          !r.U8("old tuple marker", &marker)) {
        return r.status();
      }
      if (marker != 'K' && marker != 'O') {
        r.FailAt(r.pos() - 1, fmt::format("expected old tuple marker 'K' or 'O', got {}",
                                          Reader::Printable(marker)));
        return r.status();
      }
      m.old_kind = static_cast<OldTupleKind>(marker);
      if (!r.ReadTuple("old tuple", &m.old_tuple) || !r.AtEnd()) return r.status();
      return handler->OnDelete(m);
    }

    case 'T': {
      Reader r(message, "Truncate");
      pgoutput::Truncate& m = truncate_;
      m.relation_oids.clear();
      int32_t count = 0;
      if (!read_stream_xid(r, &m.xid) || !r.I32("relation count", &count) ||
          !r.U8("options", &m.options)) {
        return r.status();
      }
      if (m.options & ~(pgoutput::Truncate::kCascade | pgoutput::Truncate::kRestartIdentity)) {
        r.FailAt(r.pos() - 1, fmt::format("unknown options 0x{:02x}", m.options));
        return r.status();
      }
      if (count < 0 || static_cast<size_t>(count) > r.remaining() / 4) {
        r.FailAt(r.pos() - 5, fmt::format("relation count {} does not fit the {} bytes left", count,
                                          r.remaining()));
        return r.status();
      }
      m.relation_oids.resize(static_cast<size_t>(count));
      for (uint32_t& oid : m.relation_oids) {
        if (!r.U32("relation oid", &oid)) return r.status();
      }
      if (!r.AtEnd()) return r.status();
      return handler->OnTruncate(m);
    }

    case 'S': {
      Reader r(message, "Stream Start");
      pgoutput::StreamStart m;
      uint8_t first = 0;
      if (!outside_stream(r) || !r.U32("xid", &m.xid) || !r.U8("first segment", &first)) {
        return r.status();
      }
      if (first > 1) {
        r.FailAt(r.pos() - 1, fmt::format("first segment flag {} is neither 0 nor 1", first));
        return r.status();
      }
      if (!r.AtEnd()) return r.status();
      m.first_segment = first == 1;
      in_stream_ = true;
      stream_xid_ = m.xid;
      return handler->OnStreamStart(m);
    }

    case 'E': {
      Reader r(message, "Stream Stop");
      if (!in_stream_) {
        r.FailAt(0, "no stream block is open");
        return r.status();
      }
      if (!r.AtEnd()) return r.status();
      in_stream_ = false;
      return handler->OnStreamStop(pgoutput::StreamStop{});
    }

    case 'c': {
      Reader r(message, "Stream Commit");
      pgoutput::StreamCommit m;
      if (!outside_stream(r) || !r.U32("xid", &m.xid) || !r.U8("flags", &m.flags) ||
          !r.ReadLsn("commit LSN", &m.commit_lsn) || !r.ReadLsn("end LSN", &m.end_lsn) ||
          !r.Timestamp("commit timestamp", &m.commit_time_us) || !r.AtEnd()) {
        return r.status();
      }
      return handler->OnStreamCommit(m);
    }

    case 'A': {
      Reader r(message, "Stream Abort");
      pgoutput::StreamAbort m;
      if (!outside_stream(r) || !r.U32("xid", &m.xid) || !r.U32("subtransaction xid", &m.subxid) ||
          !r.AtEnd()) {
        return r.status();
      }
      return handler->OnStreamAbort(m);
    }

    case 'b':
    case 'P':
    case 'K':
    case 'r':
    case 'p':
      return Status::Corruption(fmt::format(
          "pgoutput message at offset 0: two-phase commit message {} is not supported (the slot "
          "must be created without two_phase)",
          Reader::Printable(tag)));

    default:
      return Status::Corruption(fmt::format("pgoutput message at offset 0: unknown message tag {}",
                                            Reader::Printable(tag)));
  }
}

}  // namespace deltabridge
