// The journal's on-disk key and value layouts (written up in docs/journal.md).
//
// All integers are big-endian, so LMDB's default memcmp key order is numeric
// order: entries sort by seq, spool records by (xid, append counter).
//
//   entries    key: seq u64                value: write_time_us i64, topic_len u32,
//                                                 topic bytes, body bytes
//   positions  key: source name            value: position (opaque)
//   meta       key: caller's key           value: caller's value (opaque)
//   state      key: name (kState*)         value: u64
// and in the spool environment's main database:
//   (spool)    key: xid u32, counter u64   value: subxid u32, record bytes
//
// Pure functions over bytes; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge::journal_format {

// Version of these layouts, stored under kStateFormat; Open refuses others.
inline constexpr uint64_t kFormatVersion = 1;

inline constexpr size_t kSeqKeySize = 8;
inline constexpr size_t kEntryHeaderSize = 12;  // write_time_us + topic_len
inline constexpr size_t kSpoolKeySize = 12;     // xid + counter
inline constexpr size_t kSpoolHeaderSize = 4;   // subxid

// Names of the LMDB databases (mdb_dbi_open) inside the environment.
inline constexpr const char* kEntriesDb = "entries";
inline constexpr const char* kPositionsDb = "positions";
inline constexpr const char* kMetaDb = "meta";
inline constexpr const char* kStateDb = "state";
// The spool environment's subdirectory of the journal directory.
inline constexpr const char* kSpoolDir = "spool";

// Keys of the state database; each value is a u64.
inline constexpr std::string_view kStateFormat = "format";
// The newest seq made visible by Commit. Written only by Commit.
inline constexpr std::string_view kStateCommittedSeq = "committed_seq";
// The newest seq deleted by retention (0: none); first_seq = this + 1.
inline constexpr std::string_view kStateDeletedThrough = "deleted_through";
// Sum of EntrySize() over the entries in (deleted_through, committed_seq].
inline constexpr std::string_view kStateCommittedBytes = "committed_bytes";

void PutU32(uint32_t v, char* out);
void PutU64(uint64_t v, char* out);
uint32_t GetU32(const char* in);
uint64_t GetU64(const char* in);

// An entry's size for accounting (size_bytes(), retention): key + value.
inline size_t EntrySize(size_t topic_size, size_t body_size) {
  return kSeqKeySize + kEntryHeaderSize + topic_size + body_size;
}

// Appends the value layout of one entry to *out.
void AppendEntryValue(int64_t write_time_us, std::string_view topic, std::string_view body,
                      std::string* out);

// An entry value decoded in place; the views borrow the value's bytes.
struct EntryView {
  int64_t write_time_us = 0;
  std::string_view topic;
  std::string_view body;
};

// Corruption when the value is shorter than its header says.
Status DecodeEntryValue(std::string_view value, EntryView* out);

// Reads only the write time; Corruption when the value is too short.
Status DecodeEntryTime(std::string_view value, int64_t* write_time_us);

}  // namespace deltabridge::journal_format
