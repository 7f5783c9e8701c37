#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace deltabridge::test {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

bool KeepTempDirs() {
  const char* keep = std::getenv("DELTABRIDGE_KEEP_TEMP");
  return keep != nullptr && std::string(keep) == "1";
}

}  // namespace

Result<TempDir> TempDir::Create(const std::string& prefix) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = (tmpdir != nullptr && tmpdir[0] != '\0') ? tmpdir : "/tmp";
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string templ = base + "/" + prefix + "XXXXXX";
  std::vector<char> buffer(templ.begin(), templ.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return Status::IoError("mkdtemp(" + templ + "): " + ErrnoText(errno));
  }
  std::error_code ec;
  std::string path = std::filesystem::absolute(buffer.data(), ec).string();
  if (ec) path = buffer.data();
  return TempDir(std::move(path));
}

TempDir TempDir::CreateOrDie(const std::string& prefix) {
  Result<TempDir> dir = Create(prefix);
  if (!dir.ok()) {
    std::fprintf(stderr, "[deltabridge] %s\n", dir.status().ToString().c_str());
    std::abort();
  }
  return std::move(dir).value();
}

std::string TempDir::Write(const std::string& relative, const std::string& contents) const {
  const std::string path = Join(relative);
  Status written = WriteStringToFile(path, contents);
  EXPECT_TRUE(written.ok()) << written.ToString();
  return path;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() noexcept {
  if (path_.empty()) return;
  if (KeepTempDirs()) {
    std::fprintf(stderr, "[deltabridge] keeping temp dir %s (DELTABRIDGE_KEEP_TEMP=1)\n",
                 path_.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec) {
      std::fprintf(stderr, "[deltabridge] could not remove temp dir %s: %s\n", path_.c_str(),
                   ec.message().c_str());
    }
  }
  path_.clear();
}

Status TempDir::Chown(const std::string& user) const {
  errno = 0;
  struct passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    return Status::NotFound("no system user '" + user + "'" +
                            (errno != 0 ? ": " + ErrnoText(errno) : std::string()));
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  auto chown_one = [&](const std::string& p) -> Status {
    if (::lchown(p.c_str(), uid, gid) != 0) {
      return Status::IoError("chown " + user + " " + p + ": " + ErrnoText(errno));
    }
    return Status::Ok();
  };
  DB_RETURN_IF_ERROR(chown_one(path_));
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    DB_RETURN_IF_ERROR(chown_one(it->path().string()));
  }
  if (ec) return Status::IoError("walking " + path_ + ": " + ec.message());
  return Status::Ok();
}

Result<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError("open " + path + ": " + ErrnoText(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Status::IoError("read " + path);
  return out.str();
}

Status WriteStringToFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IoError("open " + path + " for writing: " + ErrnoText(errno));
  out << contents;
  out.close();
  if (!out) return Status::IoError("write " + path);
  return Status::Ok();
}

std::string TailLines(const std::string& text, size_t max_lines) {
  if (max_lines == 0) return std::string();
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;  // a final newline ends the last line
  size_t pos = end;
  size_t lines = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++lines == max_lines) break;
    --pos;
  }
  return text.substr(pos);
}

}  // namespace deltabridge::test
