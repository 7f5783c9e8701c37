// DiffStateWriter and DiffStateReader: the row images a diff-mode table was
// last seen with, one file per generation, sorted by key (the order the
// source's ORDER BY returned them in).
//
// Layout (state_dir/odbc/<source>/<table-file>.<generation>.rows):
//   "DBODBCS1" magic, varint column count, each column name (varint length +
//   bytes), then records: u32 little-endian length + EncodeRow() bytes.
// A file is written by an AtomicFileWriter (under a ".tmp" name, fsynced,
// renamed), so a generation file that exists is complete.
//
// The invariant that makes a restart emit nothing twice and a crash lose
// nothing: the generation named by the source's journal state
// ("odbc.diff.<table>") is the one whose rows match what the journal holds.
// A new generation is renamed into place before the journal transaction that
// names it is flushed, and the old one is deleted only after; a crash in
// between leaves an unnamed file that the next poll rewrites or removes.
//
// Not thread-safe: one poller uses a reader and a writer at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cdc/core/atomic_file.h"
#include "cdc/core/status.h"

namespace deltabridge::odbc {

// "<dir>/<sanitised table>-<hash>.<generation>.rows"
std::string DiffStatePath(const std::string& dir, const std::string& table, uint64_t generation);
// Deletes the table's generation files other than `keep` (and leftover .tmp files).
void RemoveOtherGenerations(const std::string& dir, const std::string& table, uint64_t keep);

// Writes one generation file; the unfinished file is removed on destruction.
class DiffStateWriter {
 public:
  DiffStateWriter() = default;

  Status Open(const std::string& path, const std::vector<std::string>& columns);
  Status Append(const std::string& record);
  // Appends `size` bytes of records taken verbatim from the file at `path`,
  // starting at byte `offset` (a prefix of the previous generation).
  Status CopyRecords(const std::string& path, uint64_t offset, uint64_t size);
  // Flushes, fsyncs and renames the file into place (AtomicFileWriter::Commit).
  Status Finish();
  // Removes the unfinished file.
  void Discard();

 private:
  AtomicFileWriter file_;
};

class DiffStateReader {
 public:
  DiffStateReader() = default;
  ~DiffStateReader();
  DiffStateReader(const DiffStateReader&) = delete;
  DiffStateReader& operator=(const DiffStateReader&) = delete;

  Status Open(const std::string& path);
  const std::vector<std::string>& columns() const { return columns_; }
  // The next record into `record`; false at the end.
  Result<bool> Next(std::string* record);
  // The byte offset of the first record, and of the record the last Next()
  // returned (or the end, after Next() returned false).
  uint64_t data_offset() const { return data_offset_; }
  uint64_t record_offset() const { return record_offset_; }

 private:
  FILE* file_ = nullptr;
  std::string path_;
  std::vector<std::string> columns_;
  uint64_t data_offset_ = 0, record_offset_ = 0, next_offset_ = 0;
};

}  // namespace deltabridge::odbc
