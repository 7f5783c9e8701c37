#include "cdc/mysql/binlog_position.h"

#include <charconv>

namespace deltabridge::mysql {

std::string BinlogPosition::ToString() const {
  return (gtid.empty() ? "" : gtid + " ") + file + ":" + std::to_string(offset);
}

std::optional<BinlogPosition> BinlogPosition::Parse(const std::string& text) {
  BinlogPosition p;
  std::string rest = text;
  size_t space = text.rfind(' ');
  if (space != std::string::npos) {
    p.gtid = text.substr(0, space);
    rest = text.substr(space + 1);
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
  p.file = rest.substr(0, colon);
  const char* b = rest.data() + colon + 1;
  const char* e = rest.data() + rest.size();
  auto r = std::from_chars(b, e, p.offset);
  if (r.ec != std::errc() || r.ptr != e) return std::nullopt;
  return p;
}

}  // namespace deltabridge::mysql
