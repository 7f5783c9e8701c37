#include "cdc/mysql/mysql_gtid_set.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "cdc/core/ascii.h"
#include "cdc/mysql/byte_reader.h"

namespace deltabridge::mysql {

namespace {

// MySQL's largest transaction number (GNO_END - 1).
constexpr int64_t kMaxGno = INT64_MAX - 1;

bool ParseGno(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && *out >= 1 && *out <= kMaxGno;
}

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string DumpGtidCommand(uint32_t server_id, const MysqlGtidSet& executed) {
  constexpr uint16_t kThroughGtid = 0x04;  // BINLOG_THROUGH_GTID: use the set below
  const std::string set = executed.Encode();
  std::string cmd;
  PutLe(&cmd, kThroughGtid, 2);
  PutLe(&cmd, server_id, 4);
  PutLe(&cmd, 0, 4);  // file name length: none, the server finds the file
  PutLe(&cmd, 4, 8);  // position: the start of that file
  PutLe(&cmd, set.size(), 4);
  cmd += set;
  return cmd;
}

std::string UuidBytes(std::string_view text) {
  if (text.size() != 36) return {};
  std::string out;
  out.reserve(16);
  int hi = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return {};
      continue;
    }
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) return {};
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

std::string UuidText(std::string_view b) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    const uint8_t c = static_cast<uint8_t>(b[i]);
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

bool ValidGtidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 32) return false;
  for (size_t i = 0; i < tag.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(tag[i]);
    const bool ok = std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c));
    if (!ok || c > 127) return false;
  }
  return true;
}

bool MysqlGtidSet::tagged() const {
  for (const auto& [source, intervals] : sources_) {
    if (!source.second.empty()) return true;
  }
  return false;
}

void MysqlGtidSet::AddInterval(const Source& source, Interval iv) {
  std::vector<Interval>& v = sources_[source];
  // The common case: the next transaction of a source.
  if (!v.empty() && iv.first >= v.back().first) {
    if (iv.first <= v.back().last + 1) {
      v.back().last = std::max(v.back().last, iv.last);
      return;
    }
    v.push_back(iv);
    return;
  }
  // Otherwise: insert in order, then merge what overlaps or touches.
  auto at = std::lower_bound(v.begin(), v.end(), iv, [](const Interval& a, const Interval& b) {
    return a.first < b.first;
  });
  v.insert(at, iv);
  std::vector<Interval> merged;
  merged.reserve(v.size());
  for (const Interval& x : v) {
    if (!merged.empty() && x.first <= merged.back().last + 1) {
      merged.back().last = std::max(merged.back().last, x.last);
    } else {
      merged.push_back(x);
    }
  }
  v = std::move(merged);
}

Status MysqlGtidSet::Add(std::string_view uuid, std::string_view tag, int64_t gno) {
  if (gno < 1 || gno > kMaxGno) {
    return Status::InvalidArgument("GTID number " + std::to_string(gno) + " is out of range");
  }
  const std::string bytes = UuidBytes(uuid);
  if (bytes.empty()) return Status::InvalidArgument("\"" + std::string(uuid) + "\" is not a UUID");
  if (!tag.empty() && !ValidGtidTag(tag)) {
    return Status::InvalidArgument("\"" + std::string(tag) + "\" is not a GTID tag");
  }
  AddInterval({UuidText(bytes), AsciiLower(tag)}, {gno, gno});
  return Status::Ok();
}

void MysqlGtidSet::Add(const MysqlGtidSet& other) {
  for (const auto& [source, intervals] : other.sources_) {
    for (const Interval& iv : intervals) AddInterval(source, iv);
  }
}

bool MysqlGtidSet::Contains(std::string_view uuid, std::string_view tag, int64_t gno) const {
  const std::string bytes = UuidBytes(uuid);
  if (bytes.empty()) return false;
  auto it = sources_.find({UuidText(bytes), AsciiLower(tag)});
  if (it == sources_.end()) return false;
  for (const Interval& iv : it->second) {
    if (gno >= iv.first && gno <= iv.last) return true;
  }
  return false;
}

Result<MysqlGtidSet> MysqlGtidSet::Parse(std::string_view text) {
  MysqlGtidSet set;
  text = TrimAscii(text);
  if (text.empty()) return set;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view part = TrimAscii(text.substr(start, comma - start));
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("not a MySQL GTID set: \"" + std::string(part) + "\": " + why);
    };
    size_t colon = part.find(':');
    const std::string bytes = UuidBytes(part.substr(0, colon));
    if (bytes.empty()) return bad("expected a UUID (8-4-4-4-12 hex digits) first");
    if (colon == std::string_view::npos) return bad("expected ':' and transaction numbers");
    const std::string uuid = UuidText(bytes);
    std::string tag;
    bool any = false;  // an interval since the last tag
    size_t p = colon + 1;
    while (true) {
      size_t next = part.find(':', p);
      const std::string_view token = TrimAscii(
          part.substr(p, next == std::string_view::npos ? std::string_view::npos : next - p));
      if (token.empty()) return bad("empty element");
      const unsigned char c0 = static_cast<unsigned char>(token.front());
      if (std::isalpha(c0) || c0 == '_') {
        if (!ValidGtidTag(token)) return bad("\"" + std::string(token) + "\" is not a GTID tag");
        if (!tag.empty() && !any) return bad("tag " + tag + " has no transaction numbers");
        tag = AsciiLower(token);
        any = false;
      } else {
        const size_t dash = token.find('-');
        int64_t first = 0;
        int64_t last = 0;
        if (!ParseGno(token.substr(0, dash), &first) ||
            (dash != std::string_view::npos && !ParseGno(token.substr(dash + 1), &last))) {
          return bad("\"" + std::string(token) + "\" is not N or N-M with 1 <= N");
        }
        if (dash == std::string_view::npos) last = first;
        if (last < first) return bad("interval " + std::string(token) + " ends before it starts");
        set.AddInterval({uuid, tag}, {first, last});
        any = true;
      }
      if (next == std::string_view::npos) break;
      p = next + 1;
    }
    if (!any) return bad("no transaction numbers after the last tag");
    if (comma == text.size()) break;
    start = comma + 1;
  }
  return set;
}

std::string MysqlGtidSet::ToString() const {
  std::string out;
  const std::string* uuid = nullptr;
  for (const auto& [source, intervals] : sources_) {
    if (uuid == nullptr || *uuid != source.first) {
      if (!out.empty()) out += ',';
      out += source.first;
      uuid = &source.first;
    }
    if (!source.second.empty()) {
      out += ':';
      out += source.second;
    }
    for (const Interval& iv : intervals) {
      out += ':';
      out += std::to_string(iv.first);
      if (iv.last != iv.first) {
        out += '-';
        out += std::to_string(iv.last);
      }
    }
  }
  return out;
}

std::string MysqlGtidSet::Encode() const {
  std::string out;
  const bool with_tags = tagged();
  const uint64_t n = sources_.size();
  if (with_tags) {
    PutLe(&out, (uint64_t{1} << 56) | (n << 8) | 1, 8);
  } else {
    PutLe(&out, n, 8);
  }
  for (const auto& [source, intervals] : sources_) {
    out += UuidBytes(source.first);
    if (with_tags) {
      AppendVarlenUint(&out, source.second.size());
      out += source.second;
    }
    PutLe(&out, intervals.size(), 8);
    for (const Interval& iv : intervals) {
      PutLe(&out, static_cast<uint64_t>(iv.first), 8);
      PutLe(&out, static_cast<uint64_t>(iv.last) + 1, 8);  // exclusive end
    }
  }
  return out;
}

Result<MysqlGtidSet> MysqlGtidSet::Decode(std::string_view bytes) {
  ByteReader r(bytes);
  uint64_t head = 0;
  DB_RETURN_IF_ERROR(r.U64(&head, "GTID set size"));
  const uint8_t format = static_cast<uint8_t>(head >> 56);
  if (format > 1) {
    return Status::Corruption("unknown GTID set format " + std::to_string(format));
  }
  const bool with_tags = format == 1;
  const uint64_t n = with_tags ? (head >> 8) & ((uint64_t{1} << 48) - 1) : head;
  // Each source takes at least 24 bytes: no count can exceed what is there.
  if (n > r.remaining() / 24) {
    return Status::Corruption("GTID set claims " + std::to_string(n) + " sources in " +
                              std::to_string(r.remaining()) + " bytes");
  }
  MysqlGtidSet set;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view uuid;
    DB_RETURN_IF_ERROR(r.Bytes(16, &uuid, "GTID set UUID"));
    std::string tag;
    if (with_tags) {
      uint64_t len = 0;
      DB_RETURN_IF_ERROR(r.VarlenUint(&len, "GTID set tag length"));
      std::string_view t;
      if (len > 32) return Status::Corruption("GTID tag of " + std::to_string(len) + " bytes");
      DB_RETURN_IF_ERROR(r.Bytes(static_cast<size_t>(len), &t, "GTID set tag"));
      if (!t.empty() && !ValidGtidTag(t)) {
        return Status::Corruption("\"" + std::string(t) + "\" is not a GTID tag");
      }
      tag = AsciiLower(t);
    }
    uint64_t count = 0;
    DB_RETURN_IF_ERROR(r.U64(&count, "GTID set interval count"));
    if (count > r.remaining() / 16) {
      return Status::Corruption("GTID set claims " + std::to_string(count) + " intervals in " +
                                std::to_string(r.remaining()) + " bytes");
    }
    const Source source{UuidText(uuid), tag};
    for (uint64_t k = 0; k < count; ++k) {
      uint64_t start = 0;
      uint64_t end = 0;
      DB_RETURN_IF_ERROR(r.U64(&start, "GTID interval start"));
      DB_RETURN_IF_ERROR(r.U64(&end, "GTID interval end"));
      if (start < 1 || end <= start || end > static_cast<uint64_t>(kMaxGno) + 1) {
        return Status::Corruption("bad GTID interval [" + std::to_string(start) + ", " +
                                  std::to_string(end) + ")");
      }
      set.AddInterval(source, {static_cast<int64_t>(start), static_cast<int64_t>(end) - 1});
    }
  }
  if (!r.empty()) {
    return Status::Corruption(std::to_string(r.remaining()) + " bytes after the GTID set");
  }
  return set;
}

}  // namespace deltabridge::mysql
