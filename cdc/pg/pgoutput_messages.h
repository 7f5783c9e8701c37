// The messages of PostgreSQL's logical replication protocol (output plugin
// "pgoutput", protocol versions 1 and 2), as plain structs that
// PgOutputDecoder (pgoutput_decoder.h) fills and hands to a PgOutputHandler.
// The wire format of each is described in docs/pgoutput.md.
//
// Ownership: every std::string_view below points into the message buffer that
// was passed to PgOutputDecoder::Decode and is valid only for the duration of
// the handler call; a handler that keeps a name or a value (for instance the
// columns of a Relation) must copy it. The structs themselves are plain data,
// thread-compatible.
//
// Conventions: LSNs are the core Lsn type; timestamps are microseconds since
// the Unix epoch, UTC (the decoder converts from PostgreSQL's 2000-01-01
// epoch); `xid` fields of data messages are present only inside a stream
// block (protocol version 2 streaming of an in-progress transaction).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "cdc/core/lsn.h"

namespace deltabridge::pgoutput {

// Microseconds from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch), UTC.
inline constexpr int64_t kPgEpochOffsetUs = 946'684'800'000'000;

// How one column of a TupleData is sent.
enum class ValueKind : char {
  kNull = 'n',            // SQL NULL
  kUnchangedToast = 'u',  // an unchanged TOASTed value: not sent, the old value stands
  kText = 't',            // text output of the type (the default)
  kBinary = 'b',          // binary send format ("binary" option)
};

struct TupleValue {
  ValueKind kind = ValueKind::kNull;
  std::string_view data;  // the bytes for kText and kBinary; empty otherwise
};

// One value per column, in the order of the Relation's columns.
using Tuple = std::vector<TupleValue>;

// What the old tuple of an Update or Delete holds.
enum class OldTupleKind : char {
  kNone = 0,    // no old tuple sent (Update of a non-key column, identity DEFAULT/INDEX)
  kKey = 'K',   // the replica identity columns only; other columns are sent as null
  kFull = 'O',  // the whole old row (REPLICA IDENTITY FULL)
};

// pg_class.relreplident
enum class ReplicaIdentity : char {
  kDefault = 'd',  // primary key
  kNothing = 'n',
  kFull = 'f',
  kIndex = 'i',  // USING INDEX
};

// 'B'
struct Begin {
  Lsn final_lsn;               // LSN of the commit record
  int64_t commit_time_us = 0;  // Unix epoch
  uint32_t xid = 0;
};

// 'M' (sent when the "messages" option is on; pg_logical_emit_message)
struct Message {
  std::optional<uint32_t> xid;  // inside a stream block only
  bool transactional = false;   // flags bit 1
  Lsn lsn;
  std::string_view prefix;
  std::string_view content;  // arbitrary bytes
};

// 'C'
struct Commit {
  uint8_t flags = 0;  // unused by PostgreSQL so far (0)
  Lsn commit_lsn;
  Lsn end_lsn;  // end of the commit record: the position to confirm
  int64_t commit_time_us = 0;
};

// 'O': the transaction was replayed from another node (replication origin).
struct Origin {
  Lsn lsn;  // commit LSN on the origin server
  std::string_view name;
};

struct RelationColumn {
  static constexpr uint8_t kKeyFlag = 1;
  uint8_t flags = 0;  // kKeyFlag: part of the replica identity
  std::string_view name;
  uint32_t type_oid = 0;
  int32_t type_mod = -1;  // atttypmod, -1 when none

  bool is_key() const { return (flags & kKeyFlag) != 0; }
};

// 'R': the shape of a table, sent before its first change and after each
// change of its definition. Generated columns are not included.
struct Relation {
  std::optional<uint32_t> xid;
  uint32_t oid = 0;
  std::string_view schema;  // "namespace": empty for pg_catalog
  std::string_view name;
  ReplicaIdentity replica_identity = ReplicaIdentity::kDefault;
  std::vector<RelationColumn> columns;
};

// 'Y': a non-builtin type used by a relation (enum, domain, composite, ...),
// sent before the Relation that uses it.
struct Type {
  std::optional<uint32_t> xid;
  uint32_t oid = 0;
  std::string_view schema;  // empty for pg_catalog
  std::string_view name;
};

// 'I'
struct Insert {
  std::optional<uint32_t> xid;
  uint32_t relation_oid = 0;
  Tuple new_tuple;
};

// 'U'
struct Update {
  std::optional<uint32_t> xid;
  uint32_t relation_oid = 0;
  OldTupleKind old_kind = OldTupleKind::kNone;
  Tuple old_tuple;  // empty when old_kind is kNone
  Tuple new_tuple;
};

// 'D'
struct Delete {
  std::optional<uint32_t> xid;
  uint32_t relation_oid = 0;
  OldTupleKind old_kind = OldTupleKind::kKey;  // kKey or kFull
  Tuple old_tuple;
};

// 'T'
struct Truncate {
  static constexpr uint8_t kCascade = 1;
  static constexpr uint8_t kRestartIdentity = 2;
  std::optional<uint32_t> xid;
  uint8_t options = 0;  // kCascade | kRestartIdentity
  std::vector<uint32_t> relation_oids;
};

// 'S': the changes that follow, up to StreamStop, belong to the in-progress
// transaction `xid` (protocol version 2, streaming on).
struct StreamStart {
  uint32_t xid = 0;
  bool first_segment = false;  // the first block streamed for this xid
};

// 'E'
struct StreamStop {};

// 'c': the streamed transaction `xid` committed.
struct StreamCommit {
  uint32_t xid = 0;
  uint8_t flags = 0;  // unused so far (0)
  Lsn commit_lsn;
  Lsn end_lsn;
  int64_t commit_time_us = 0;
};

// 'A': the streamed (sub)transaction aborted: discard what was streamed for
// `subxid`; when subxid == xid the whole transaction aborted.
struct StreamAbort {
  uint32_t xid = 0;
  uint32_t subxid = 0;
};

}  // namespace deltabridge::pgoutput
