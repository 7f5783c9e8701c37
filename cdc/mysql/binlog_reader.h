// Reading captured binlog files: the 4-byte magic "\xfebin", then events,
// each framed by its header's event_size.
//
// BinlogFileReader streams a file one event at a time (memory bounded by the
// largest event, not the file). ForEachBinlogEvent runs the events of a file
// or an in-memory buffer through a BinlogEventDecoder. Errors name the file
// and the byte offset of the event at fault ("binlog.000001: at byte 1234:
// ..."). A file that ends exactly after an event ends cleanly; a file cut
// inside an event (a binlog still being written, a partial copy) is an error.
//
// Not thread-safe; a reader owns its FILE handle.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cdc/core/status.h"
#include "cdc/mysql/binlog_event.h"
#include "cdc/mysql/binlog_event_decoder.h"

namespace deltabridge::mysql {

class BinlogFileReader {
 public:
  // Opens `path` and checks the magic.
  static Result<std::unique_ptr<BinlogFileReader>> Open(const std::string& path);
  ~BinlogFileReader();
  BinlogFileReader(const BinlogFileReader&) = delete;
  BinlogFileReader& operator=(const BinlogFileReader&) = delete;

  // Reads the next whole event into *event and its file offset into *offset;
  // *eof set (and Ok) at a clean end of the file.
  Status Next(std::string* event, uint64_t* offset, bool* eof);

  const std::string& path() const { return path_; }

 private:
  BinlogFileReader(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}

  std::string path_;
  std::FILE* file_;         // owned
  uint64_t offset_ = 4;     // file offset of the next event
  uint64_t file_size_ = 0;  // at Open; an event claiming more bytes is corrupt
};

using BinlogEventCallback = std::function<Status(const BinlogEvent&)>;

// Decodes every event of the file at `path` and calls `on_event` for each
// (a transaction payload's events one by one). Errors are prefixed with the
// file name and the event's byte offset.
Status ForEachBinlogEvent(const std::string& path, BinlogEventDecoder* decoder,
                          const BinlogEventCallback& on_event);

// The same over the bytes of a whole binlog file held in memory; `name`
// prefixes errors.
Status ForEachBinlogEventInBuffer(std::string_view bytes, const std::string& name,
                                  BinlogEventDecoder* decoder, const BinlogEventCallback& on_event);

}  // namespace deltabridge::mysql
