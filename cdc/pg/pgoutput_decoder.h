// PgOutputDecoder: decodes one pgoutput logical replication message at a time
// (the payload of an XLogData message, or one row of
// pg_logical_slot_get_binary_changes) and hands it, as a plain struct of
// pgoutput_messages.h, to a PgOutputHandler. Shaped like leveldb's
// WriteBatch::Iterate: one switch on the tag byte, each case parses one struct.
//
// Bytes that do not decode (an overrun, a bad count, a string without its NUL,
// trailing bytes, an unknown tag) make Decode return Status::Corruption naming
// the message and offset; the decoder never asserts or reads out of bounds.
//
// The decoder is stateful: it tracks whether it is inside a stream block
// (StreamStart ... StreamStop, protocol version 2), because only there do data
// messages carry a leading xid. Feed it every message of one replication
// connection, in order; call Reset() when starting over on a new connection.
//
// Ownership: Decode borrows `message` and `handler` for the duration of the
// call only; the structs handed to the handler point into `message` and into
// scratch storage of the decoder, valid only during the handler call.
// Thread-compatible: one decoder per connection.
#pragma once

#include <string_view>

#include "cdc/core/status.h"
#include "cdc/pg/pgoutput_messages.h"

namespace deltabridge {

// Receives decoded messages. Each method's default ignores the message and
// returns ok; a non-ok Status stops decoding and is returned by Decode.
class PgOutputHandler {
 public:
  virtual ~PgOutputHandler() = default;

  virtual Status OnBegin(const pgoutput::Begin& m);
  virtual Status OnMessage(const pgoutput::Message& m);
  virtual Status OnCommit(const pgoutput::Commit& m);
  virtual Status OnOrigin(const pgoutput::Origin& m);
  virtual Status OnRelation(const pgoutput::Relation& m);
  virtual Status OnType(const pgoutput::Type& m);
  virtual Status OnInsert(const pgoutput::Insert& m);
  virtual Status OnUpdate(const pgoutput::Update& m);
  virtual Status OnDelete(const pgoutput::Delete& m);
  virtual Status OnTruncate(const pgoutput::Truncate& m);
  virtual Status OnStreamStart(const pgoutput::StreamStart& m);
  virtual Status OnStreamStop(const pgoutput::StreamStop& m);
  virtual Status OnStreamCommit(const pgoutput::StreamCommit& m);
  virtual Status OnStreamAbort(const pgoutput::StreamAbort& m);
};

class PgOutputDecoder {
 public:
  PgOutputDecoder() = default;
  PgOutputDecoder(const PgOutputDecoder&) = delete;
  PgOutputDecoder& operator=(const PgOutputDecoder&) = delete;
  PgOutputDecoder(PgOutputDecoder&&) = default;
  PgOutputDecoder& operator=(PgOutputDecoder&&) = default;

  // Decodes exactly one message (it must be consumed whole) and calls the
  // matching handler method once. Returns the handler's Status, or Corruption
  // when `message` does not decode (the handler is then not called).
  Status Decode(std::string_view message, PgOutputHandler* handler);

  // True between a StreamStart and its StreamStop.
  bool in_stream() const { return in_stream_; }
  // xid of the open stream block; meaningful only when in_stream().
  uint32_t stream_xid() const { return stream_xid_; }

  // Forgets the stream state (for a new replication connection).
  void Reset() {
    in_stream_ = false;
    stream_xid_ = 0;
  }

 private:
  // Invariant: in_stream_ is true exactly when the last StreamStart decoded
  // has not been followed by a StreamStop; Begin, Commit, StreamCommit and
  // StreamAbort are only valid while it is false.
  bool in_stream_ = false;
  uint32_t stream_xid_ = 0;

  // Scratch messages reused from call to call, so that once their vectors have
  // grown, decoding a row allocates nothing.
  pgoutput::Relation relation_;
  pgoutput::Insert insert_;
  pgoutput::Update update_;
  pgoutput::Delete delete_;
  pgoutput::Truncate truncate_;
};

}  // namespace deltabridge
