#include "cdc/core/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace deltabridge {

namespace {

// Appended bytes wait in a buffer of this size; a larger Append is written at once.
constexpr size_t kBufferBytes = 1 << 20;

// The directory holding `path` ("." for a bare file name).
std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes all of [data, data + size) to `fd`; 0 or an errno.
int WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

int FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

AtomicFileWriter::~AtomicFileWriter() { Discard(); }

std::string AtomicFileWriter::TempPathFor(const std::string& path) { return path + ".tmp"; }

Status AtomicFileWriter::Open(const std::string& path, const AtomicFileOptions& options) {
  Discard();
  path_ = path;
  tmp_path_ = TempPathFor(path);
  options_ = options;
  renamed_ = false;
  buffer_.clear();
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, options_.mode);
  if (fd_ < 0) {
    int err = errno;
    tmp_path_.clear();  // not created: nothing to remove
    return Fail("cannot create", TempPathFor(path), err);
  }
  return Status::Ok();
}

Status AtomicFileWriter::Append(std::string_view bytes) {
  if (!is_open()) return Status::FailedPrecondition("atomic file " + path_ + ": not open");
  if (buffer_.size() + bytes.size() <= kBufferBytes) {
    buffer_.append(bytes);
    return Status::Ok();
  }
  if (int err = Flush(); err != 0) return Fail("cannot write", tmp_path_, err);
  if (bytes.size() < kBufferBytes) {
    buffer_.append(bytes);
    return Status::Ok();
  }
  if (int err = WriteAll(fd_, bytes.data(), bytes.size()); err != 0) {
    return Fail("cannot write", tmp_path_, err);
  }
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (!is_open()) return Status::FailedPrecondition("atomic file " + path_ + ": not open");
  if (int err = Flush(); err != 0) return Fail("cannot write", tmp_path_, err);
  if (options_.sync && ::fsync(fd_) != 0) return Fail("cannot fsync", tmp_path_, errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Fail("cannot close", tmp_path_, errno);
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    return Fail("cannot rename", tmp_path_ + " to " + path_, errno);
  }
  renamed_ = true;
  tmp_path_.clear();
  if (options_.sync) {
    const std::string dir = ParentDir(path_);
    if (int err = FsyncDirectory(dir); err != 0) return Fail("cannot fsync directory", dir, err);
  }
  return Status::Ok();
}

void AtomicFileWriter::Discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!tmp_path_.empty()) {
    ::unlink(tmp_path_.c_str());
    tmp_path_.clear();
  }
  buffer_.clear();
}

int AtomicFileWriter::Flush() {
  int err = WriteAll(fd_, buffer_.data(), buffer_.size());
  buffer_.clear();
  return err;
}

Status AtomicFileWriter::Fail(std::string_view what, const std::string& which, int err) {
  Discard();
  return Status::IoError(std::string(what) + " " + which + ": " + std::strerror(err));
}

Status WriteFileAtomically(const std::string& path, std::string_view contents,
                           const AtomicFileOptions& options) {
  AtomicFileWriter writer;
  DB_RETURN_IF_ERROR(writer.Open(path, options));
  DB_RETURN_IF_ERROR(writer.Append(contents));
  return writer.Commit();
}

}  // namespace deltabridge
