// TempDir: a uniquely named scratch directory that lives as long as its owner.
//
// TempDir::Create() makes a fresh directory with mkdtemp(3) under $TMPDIR (or
// /tmp when unset) and the destructor removes it recursively, whatever is in
// it. Set DELTABRIDGE_KEEP_TEMP=1 to keep every directory for a post-mortem;
// its path is then printed to stderr at destruction.
//
// Ownership: the TempDir owns the directory; it is movable, not copyable.
// Not thread-safe; distinct TempDirs may be used from distinct threads.
// Also here: small whole-file helpers tests use to read logs and write
// configuration files.
#pragma once

#include <string>

#include "cdc/core/status.h"

namespace deltabridge::test {

class TempDir {
 public:
  // Creates `$TMPDIR/<prefix>XXXXXX` (mode 0700).
  static Result<TempDir> Create(const std::string& prefix = "deltabridge-");
  // Create(), for a test that cannot go on without its directory: when it
  // fails, prints why to stderr and aborts the test program.
  static TempDir CreateOrDie(const std::string& prefix = "deltabridge-");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();  // removes the directory recursively; never throws

  // Absolute path, without a trailing slash; empty once moved from.
  const std::string& path() const { return path_; }

  // Joins `relative` under path().
  std::string Join(const std::string& relative) const { return path_ + "/" + relative; }

  // Writes `contents` to the file `relative` under path() (WriteStringToFile)
  // and returns the file's path. A failure to write fails the running test
  // (non-fatally: the caller goes on with the path).
  std::string Write(const std::string& relative, const std::string& contents) const;

  // Gives the directory and everything below it to system user `user` (and
  // that user's primary group). Needs root unless `user` is the caller.
  Status Chown(const std::string& user) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove() noexcept;

  std::string path_;
};

// Reads a whole file. NotFound when it does not exist.
Result<std::string> ReadFileToString(const std::string& path);

// Replaces `path` with `contents` (not atomically: for test fixtures only).
Status WriteStringToFile(const std::string& path, const std::string& contents);

// The last `max_lines` lines of `text` (all of it when shorter).
std::string TailLines(const std::string& text, size_t max_lines);

}  // namespace deltabridge::test
