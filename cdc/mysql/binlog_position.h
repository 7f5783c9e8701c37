// BinlogPosition: where a MySQL/MariaDB binlog reader stands: the file and the
// offset where reading resumes, and the GTID state there (MariaDB: the last
// GTID of every domain; MySQL: the GTID set executed), which lets a reader
// resume on another server or after the file was purged. Text form, as
// BinlogChangeBuilder writes it into every delta's `pos` and as the journal
// keeps it: "<gtid> <file>:<offset>", or "<file>:<offset>" without GTIDs.
//
// Plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace deltabridge::mysql {

struct BinlogPosition {
  // The GTID state: MariaDB "0-1-42,1-7-3" or a MySQL GTID set "uuid:1-7"; may be empty.
  std::string gtid;
  std::string file;  // e.g. "mariadb-bin.000003"
  uint64_t offset = 0;

  std::string ToString() const;
  // Parses the text form; nullopt when it is not one.
  static std::optional<BinlogPosition> Parse(const std::string& text);

  // Orders positions of one server's binlog: by file name (the numbered
  // suffix sorts as text), then offset. GTIDs are not compared.
  bool operator<(const BinlogPosition& o) const {
    return file != o.file ? file < o.file : offset < o.offset;
  }
  bool operator==(const BinlogPosition& o) const {
    return file == o.file && offset == o.offset && gtid == o.gtid;
  }
};

}  // namespace deltabridge::mysql
