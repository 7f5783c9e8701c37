#include "cdc/odbc/diff_state.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

namespace deltabridge::odbc {

namespace {

constexpr char kMagic[] = "DBODBCS1";
constexpr size_t kBufferBytes = 1 << 20;

std::string FilePrefix(const std::string& table) {
  std::string safe;
  for (char c : table) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.';
    safe += ok ? c : '_';
  }
  char hash[32];
  std::snprintf(hash, sizeof(hash), "%016zx", std::hash<std::string>()(table));
  return safe.substr(0, 64) + "-" + hash;
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarint(FILE* f, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    int c = std::fgetc(f);
    if (c == EOF) return false;
    *v |= static_cast<uint64_t>(c & 0x7f) << shift;
    if ((c & 0x80) == 0) return true;
  }
  return false;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string DiffStatePath(const std::string& dir, const std::string& table, uint64_t generation) {
  return dir + "/" + FilePrefix(table) + "." + std::to_string(generation) + ".rows";
}

void RemoveOtherGenerations(const std::string& dir, const std::string& table, uint64_t keep) {
  const std::string prefix = FilePrefix(table) + ".";
  const std::string kept = DiffStatePath(dir, table, keep);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    if (entry.path().string() == kept) continue;
    std::filesystem::remove(entry.path(), ec);
  }
}

Status DiffStateWriter::Open(const std::string& path, const std::vector<std::string>& columns) {
  DB_RETURN_IF_ERROR(file_.Open(path));
  std::string header(kMagic, 8);
  PutVarint(columns.size(), &header);
  for (const std::string& c : columns) {
    PutVarint(c.size(), &header);
    header += c;
  }
  return file_.Append(header);
}

Status DiffStateWriter::Append(const std::string& record) {
  char len[4];
  const uint32_t n = static_cast<uint32_t>(record.size());
  for (int i = 0; i < 4; ++i) len[i] = static_cast<char>(n >> (8 * i));
  DB_RETURN_IF_ERROR(file_.Append(std::string_view(len, 4)));
  return file_.Append(record);
}

Status DiffStateWriter::CopyRecords(const std::string& path, uint64_t offset, uint64_t size) {
  FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) return Errno("cannot open", path);
  std::vector<char> buf(1 << 20);
  Status s;
  if (std::fseek(in, static_cast<long>(offset), SEEK_SET) != 0) s = Errno("cannot seek", path);
  while (s.ok() && size > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(size, buf.size()));
    if (std::fread(buf.data(), 1, want, in) != want) {
      s = Status::Corruption("diff state " + path + " is shorter than expected");
    } else {
      s = file_.Append(std::string_view(buf.data(), want));
    }
    size -= want;
  }
  std::fclose(in);
  return s;
}

Status DiffStateWriter::Finish() { return file_.Commit(); }

void DiffStateWriter::Discard() { file_.Discard(); }

DiffStateReader::~DiffStateReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Status DiffStateReader::Open(const std::string& path) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) return Errno("cannot open the diff state", path);
  std::setvbuf(file_, nullptr, _IOFBF, kBufferBytes);
  char magic[8];
  uint64_t count = 0;
  if (std::fread(magic, 1, 8, file_) != 8 || std::memcmp(magic, kMagic, 8) != 0 ||
      !ReadVarint(file_, &count) || count > 100000) {
    return Status::Corruption("diff state " + path + " has no valid header");
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t len = 0;
    if (!ReadVarint(file_, &len) || len > 65536) {
      return Status::Corruption("diff state " + path + " has no valid header");
    }
    std::string name(len, '\0');
    if (std::fread(name.data(), 1, len, file_) != len) {
      return Status::Corruption("diff state " + path + " has no valid header");
    }
    columns_.push_back(std::move(name));
  }
  long at = std::ftell(file_);
  if (at < 0) return Errno("cannot read", path);
  data_offset_ = record_offset_ = next_offset_ = static_cast<uint64_t>(at);
  return Status::Ok();
}

Result<bool> DiffStateReader::Next(std::string* record) {
  uint8_t len[4];
  record_offset_ = next_offset_;
  size_t got = std::fread(len, 1, 4, file_);
  if (got == 0 && std::feof(file_)) return false;
  if (got != 4) return Status::Corruption("diff state " + path_ + " ends inside a record");
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(len[i]) << (8 * i);
  record->resize(n);
  if (std::fread(record->data(), 1, n, file_) != n) {
    return Status::Corruption("diff state " + path_ + " ends inside a record");
  }
  next_offset_ += 4 + n;
  return true;
}

}  // namespace deltabridge::odbc
