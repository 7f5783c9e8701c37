#include "cdc/mysql/binlog_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace deltabridge::mysql {

namespace {

Status AtOffset(const std::string& name, uint64_t offset, const Status& s) {
  return s.WithContext(name + ": at byte " + std::to_string(offset));
}

Status DecodeAndDispatch(std::string_view event, uint64_t offset, BinlogEventDecoder* decoder,
                         const BinlogEventCallback& on_event) {
  std::vector<BinlogEvent> events;
  DB_RETURN_IF_ERROR(decoder->Decode(event, offset, &events));
  for (const BinlogEvent& ev : events) DB_RETURN_IF_ERROR(on_event(ev));
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<BinlogFileReader>> BinlogFileReader::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(path + ": " + std::strerror(errno));
  std::unique_ptr<BinlogFileReader> reader(new BinlogFileReader(path, f));
  struct stat st {};
  if (fstat(fileno(f), &st) != 0) return Status::IoError(path + ": " + std::strerror(errno));
  reader->file_size_ = static_cast<uint64_t>(st.st_size);
  char magic[4];
  if (std::fread(magic, 1, 4, f) != 4 || std::memcmp(magic, kBinlogMagic, 4) != 0) {
    return Status::Corruption(path + ": not a binlog file (no \\xfebin magic at byte 0)");
  }
  return reader;
}

BinlogFileReader::~BinlogFileReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Status BinlogFileReader::Next(std::string* event, uint64_t* offset, bool* eof) {
  *eof = false;
  *offset = offset_;
  char header[kEventHeaderSize];
  size_t got = std::fread(header, 1, kEventHeaderSize, file_);
  if (got == 0 && std::feof(file_)) {
    *eof = true;
    return Status::Ok();
  }
  if (std::ferror(file_)) {
    return Status::IoError(path_ + ": at byte " + std::to_string(offset_) + ": read failed");
  }
  if (got < kEventHeaderSize) {
    return Status::Corruption(path_ + ": at byte " + std::to_string(offset_) +
                              ": file ends inside an event header (" + std::to_string(got) +
                              " of 19 bytes)");
  }
  EventHeader h;
  Status s = BinlogEventDecoder::DecodeHeader(std::string_view(header, kEventHeaderSize), &h);
  if (!s.ok()) return AtOffset(path_, offset_, s);
  if (h.event_size > (uint32_t{1} << 30)) {
    return AtOffset(path_, offset_,
                    Status::Corruption("event size " + std::to_string(h.event_size) +
                                       " is beyond the 1 GiB limit"));
  }
  if (h.event_size - kEventHeaderSize >
      file_size_ - std::min(file_size_, offset_ + kEventHeaderSize)) {
    return AtOffset(path_, offset_,
                    Status::Corruption("file ends inside a " + EventTypeName(h.type) +
                                       " event of " + std::to_string(h.event_size) + " bytes"));
  }
  event->assign(header, kEventHeaderSize);
  event->resize(h.event_size);
  size_t body = h.event_size - kEventHeaderSize;
  got = body == 0 ? 0 : std::fread(event->data() + kEventHeaderSize, 1, body, file_);
  if (got < body) {
    return AtOffset(path_, offset_,
                    Status::Corruption("file ends inside a " + EventTypeName(h.type) +
                                       " event of " + std::to_string(h.event_size) + " bytes (" +
                                       std::to_string(kEventHeaderSize + got) + " present)"));
  }
  offset_ += h.event_size;
  return Status::Ok();
}

Status ForEachBinlogEvent(const std::string& path, BinlogEventDecoder* decoder,
                          const BinlogEventCallback& on_event) {
  Result<std::unique_ptr<BinlogFileReader>> reader = BinlogFileReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::string event;
  for (;;) {
    uint64_t offset = 0;
    bool eof = false;
    DB_RETURN_IF_ERROR((*reader)->Next(&event, &offset, &eof));
    if (eof) return Status::Ok();
    Status s = DecodeAndDispatch(event, offset, decoder, on_event);
    if (!s.ok()) return AtOffset(path, offset, s);
  }
}

Status ForEachBinlogEventInBuffer(std::string_view bytes, const std::string& name,
                                  BinlogEventDecoder* decoder,
                                  const BinlogEventCallback& on_event) {
  if (bytes.size() < 4 || bytes.substr(0, 4) != std::string_view(kBinlogMagic, 4)) {
    return Status::Corruption(name + ": not a binlog file (no \\xfebin magic at byte 0)");
  }
  uint64_t offset = 4;
  while (offset < bytes.size()) {
    std::string_view rest = bytes.substr(offset);
    EventHeader h;
    Status s = BinlogEventDecoder::DecodeHeader(rest, &h);
    if (!s.ok()) return AtOffset(name, offset, s);
    if (h.event_size > rest.size()) {
      return AtOffset(name, offset,
                      Status::Corruption("file ends inside a " + EventTypeName(h.type) +
                                         " event of " + std::to_string(h.event_size) + " bytes"));
    }
    s = DecodeAndDispatch(rest.substr(0, h.event_size), offset, decoder, on_event);
    if (!s.ok()) return AtOffset(name, offset, s);
    offset += h.event_size;
  }
  return Status::Ok();
}

}  // namespace deltabridge::mysql
