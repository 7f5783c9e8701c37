// AtomicFileWriter and WriteFileAtomically: how deltabridge replaces a file
// so that a reader, and a restart after a crash, sees either the old contents
// or the new, never a part (leveldb's SetCurrentFile in db/filename.cc).
//
// The steps: create `<path>.tmp` (truncating a leftover of a crash), write
// everything, fsync it, close it (checked), rename it over `<path>`
// (checked), fsync the directory (checked). Any failure before the rename
// removes the temp file and returns IoError naming the file and the errno
// text. The temp file's name is fixed, so a caller that owns the directory
// can remove a leftover at start-up (TempPathFor).
//
// Durability: with `sync` (the default) the new contents are durable once
// Commit() returns ok. Without it, the file and the rename may be lost in a
// crash of the machine (the old contents, or on some filesystems an empty
// file, are then what a restart finds), but no reader ever sees a half-written
// file while the machine runs. Only reports that are rewritten all the time
// go without: bridge-status.json (4 times a second) and sink-status.json
// (once a second and after each commit). On this project's build machine
// (ext4 on a virtual disk) the two fsyncs took a replacement of a 1.5 KB file
// from about 1 ms to about 10 ms (p50 12 ms), each adding device flushes that
// the journal's and the targets' own fsyncs wait behind; losing the last
// report in a crash is harmless, as the restarted process writes a new one
// within a second.
//
// Not thread-safe: one thread uses a writer at a time. Two writers must not
// replace the same path at the same time (they would share the temp file).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge {

struct AtomicFileOptions {
  // fsync the file before the rename and the directory after it.
  bool sync = true;
  // Permission bits of a new file (the umask applies).
  mode_t mode = 0666;
};

// Streams a file's new contents into its temp file, then renames it into
// place. Discards (removes the temp file) on destruction unless committed.
class AtomicFileWriter {
 public:
  AtomicFileWriter() = default;
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // "<path>.tmp": where the new contents of `path` are written.
  static std::string TempPathFor(const std::string& path);

  // Creates the temp file of `path`, discarding whatever this writer had open.
  Status Open(const std::string& path, const AtomicFileOptions& options = {});
  // Adds `bytes` to the new contents (buffered: a failure may show only in a
  // later Append or in Commit). After a failure the writer is discarded.
  Status Append(std::string_view bytes);
  // Writes what is buffered, fsyncs, closes and renames the temp file over
  // the path, and fsyncs the directory. The writer is closed after it,
  // whatever the result; see renamed().
  Status Commit();
  // Closes and removes the temp file; nothing when not open.
  void Discard();

  bool is_open() const { return fd_ >= 0; }
  // Whether the last Commit() renamed the new contents into place. True also
  // when Commit() failed after the rename (at the directory's fsync): the new
  // contents may then be what a restart reads.
  bool renamed() const { return renamed_; }

 private:
  // Writes buffer_ to the file; 0 or an errno.
  int Flush();
  // Discards and returns IoError "<what> <which>: <errno text>".
  Status Fail(std::string_view what, const std::string& which, int err);

  int fd_ = -1;
  std::string path_;
  std::string tmp_path_;
  std::string buffer_;  // appended bytes not yet written to fd_
  AtomicFileOptions options_;
  bool renamed_ = false;
};

// fsyncs the directory `dir`, making the names created or renamed in it
// durable (after a new file, or a rename into it); 0 or an errno.
int FsyncDirectory(const std::string& dir);

// Replaces the file at `path` with `contents` (AtomicFileWriter's steps).
Status WriteFileAtomically(const std::string& path, std::string_view contents,
                           const AtomicFileOptions& options = {});

}  // namespace deltabridge
