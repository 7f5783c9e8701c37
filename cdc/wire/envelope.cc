#include "cdc/wire/envelope.h"

#include <fmt/format.h>

#include <array>
#include <climits>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cdc/core/base64.h"
#include "cdc/core/utc_time.h"

namespace deltabridge {

namespace {

constexpr int64_t kMaxExactJsonInt = int64_t{1} << 53;

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Bytes a JSON string holds as they are: printable ASCII but '"' and '\\'.
constexpr auto kPlainJsonByte = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// Decimal text of an integer; fmt::format_int skips format-string parsing
// (this runs for every integer of every delta).
template <typename T>
void AppendInt(std::string* out, T v) {
  fmt::format_int f(v);
  out->append(f.data(), f.size());
}

void AppendKeyed(std::string* out, std::string_view key) {
  AppendJsonString(out, key);
  out->push_back(':');
}

void AppendDouble(std::string* out, double d) {
  if (std::isnan(d)) {
    out->append("\"NaN\"");
  } else if (std::isinf(d)) {
    out->append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    // Shortest text that reads back as the same double.
    fmt::format_to(std::back_inserter(*out), "{}", d);
  }
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    if (kPlainJsonByte[static_cast<unsigned char>(s[i])]) {
      // Fast path: copy a run of plain ASCII.
      size_t j = i + 1;
      while (j < s.size() && kPlainJsonByte[static_cast<unsigned char>(s[j])]) ++j;
      out->append(s.data() + i, j - i);
      i = j;
      continue;
    }
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        ++i;
        continue;
      case '\\':
        out->append("\\\\");
        ++i;
        continue;
      case '\n':
        out->append("\\n");
        ++i;
        continue;
      case '\r':
        out->append("\\r");
        ++i;
        continue;
      case '\t':
        out->append("\\t");
        ++i;
        continue;
      case '\b':
        out->append("\\b");
        ++i;
        continue;
      case '\f':
        out->append("\\f");
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out->append("\xEF\xBF\xBD");  // U+FFFD
      ++i;
    } else {
      out->append(s.data() + i, n);
      i += n;
    }
  }
  out->push_back('"');
}

void AppendFieldChange(std::string* out, const ColumnChange& change) {
  out->push_back('{');
  if (change.old_value) {
    out->append("\"old\":");
    AppendJsonValue(out, *change.old_value);
  }
  if (change.new_value) {
    if (change.old_value) out->push_back(',');
    out->append("\"new\":");
    AppendJsonValue(out, *change.new_value);
  }
  out->push_back('}');
}

void AppendJsonValue(std::string* out, const Value& v) {
  using K = Value::Kind;
  switch (v.kind) {
    case K::kNull:
      out->append("null");
      return;
    case K::kBool:
      out->append(v.b ? "true" : "false");
      return;
    case K::kInt:
      if (v.i <= kMaxExactJsonInt && v.i >= -kMaxExactJsonInt) {
        AppendInt(out, v.i);
      } else {
        out->push_back('"');
        AppendInt(out, v.i);
        out->push_back('"');
      }
      return;
    case K::kUInt:
      if (v.u <= static_cast<uint64_t>(kMaxExactJsonInt)) {
        AppendInt(out, v.u);
      } else {
        out->push_back('"');
        AppendInt(out, v.u);
        out->push_back('"');
      }
      return;
    case K::kFloat:
      AppendDouble(out, v.d);
      return;
    case K::kBinary:
      AppendJsonString(out, Base64Encode(v.text));
      return;
    default:
      AppendJsonString(out, v.text);
      return;
  }
}

namespace {

// The envelope in three parts: its shared head and tail (see envelope.h) and
// the part of its own in between.
void AppendHead(std::string* out, std::string_view bridge, std::string_view source,
                std::string_view table, std::string_view node) {
  out->append(",\"bridge\":");
  AppendJsonString(out, bridge);
  out->append(",\"source\":");
  AppendJsonString(out, source);
  if (!node.empty()) {
    out->append(",\"node\":");
    AppendJsonString(out, node);
  }
  out->append(",\"table\":");
  AppendJsonString(out, table);
}

void AppendOpKeyAndChanges(std::string* out, const Change& c) {
  out->append(",\"op\":\"").append(OpName(c.op)).append("\",\"key\":{");
  bool first = true;
  for (const auto& [name, value] : c.key) {
    if (!first) out->push_back(',');
    first = false;
    AppendKeyed(out, name);
    AppendJsonValue(out, value);
  }
  out->append("},\"changes\":{");
  first = true;
  for (const ColumnChange& cc : c.changes) {
    if (!first) out->push_back(',');
    first = false;
    AppendKeyed(out, cc.name);
    AppendFieldChange(out, cc);
  }
  out->push_back('}');
  if (!c.origin.empty()) {
    out->append(",\"origin\":[");
    for (size_t i = 0; i < c.origin.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(out, c.origin[i]);
    }
    out->push_back(']');
  }
  if (!c.ref.empty()) {
    out->append(",\"ref\":");
    AppendJsonString(out, c.ref);
  }
}

void AppendTail(std::string* out, int64_t commit_time_us, std::string_view pos,
                std::string_view tx_id) {
  out->append(",\"ts\":\"");
  AppendUtcMicros(out, commit_time_us);
  out->append("\",\"pos\":");
  AppendJsonString(out, pos);
  out->append(",\"tx\":{\"id\":");
  AppendJsonString(out, tx_id);
}

void AppendLast(std::string* out, bool last) {
  out->append(last ? std::string_view(",\"last\":true}}") : std::string_view(",\"last\":false}}"));
}

}  // namespace

void AppendEnvelope(std::string* out, uint64_t seq, std::string_view bridge, const Change& c) {
  out->append("{\"seq\":");
  AppendInt(out, seq);
  AppendHead(out, bridge, c.source, c.table, c.node);
  AppendOpKeyAndChanges(out, c);
  AppendTail(out, c.commit_time_us, c.pos, c.tx_id);
  AppendLast(out, c.tx_last);
}

std::string EnvelopeHead(std::string_view bridge, std::string_view source, std::string_view table,
                         std::string_view node) {
  std::string head;
  AppendHead(&head, bridge, source, table, node);
  return head;
}

std::string EnvelopeTail(int64_t commit_time_us, std::string_view pos, std::string_view tx_id) {
  std::string tail;
  AppendTail(&tail, commit_time_us, pos, tx_id);
  return tail;
}

void AppendEnvelopeWith(std::string* out, uint64_t seq, std::string_view head, const Change& c,
                        std::string_view tail) {
  out->append("{\"seq\":");
  AppendInt(out, seq);
  out->append(head);
  AppendOpKeyAndChanges(out, c);
  out->append(tail);
  AppendLast(out, c.tx_last);
}

std::string EncodeEnvelope(const Delta& delta) {
  std::string out;
  out.reserve(512);
  AppendEnvelope(&out, delta.seq, delta.bridge, delta.change);
  return out;
}

std::string EncodeHeartbeat(std::string_view bridge, uint64_t newest_seq, int64_t now_us,
                            const SourceNodes& nodes) {
  std::string out = fmt::format("{{\"seq\":{},\"bridge\":", newest_seq);
  AppendJsonString(&out, bridge);
  out.append(",\"ts\":\"");
  AppendUtcMicros(&out, now_us);
  out.push_back('"');
  if (!nodes.empty()) {
    out.append(",\"nodes\":{");
    bool first = true;
    for (const auto& [source, node] : nodes) {
      if (!first) out.push_back(',');
      first = false;
      AppendKeyed(&out, source);
      AppendJsonString(&out, node);
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

Result<Heartbeat> DecodeHeartbeat(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned()) {
    return Status::Corruption("heartbeat body has no seq");
  }
  Heartbeat h;
  h.newest_seq = j["seq"].get<uint64_t>();
  if (j.contains("nodes")) {
    const nlohmann::json& nodes = j["nodes"];
    if (!nodes.is_object()) return Status::Corruption("heartbeat nodes is not an object");
    for (const auto& [source, node] : nodes.items()) {
      if (!node.is_string())
        return Status::Corruption("heartbeat node of " + source + " is not a string");
      h.nodes[source] = node.get<std::string>();
    }
  }
  return h;
}

Result<uint64_t> DecodeHeartbeatSeq(std::string_view body) {
  DB_ASSIGN_OR_RETURN(Heartbeat h, DecodeHeartbeat(body));
  return h.newest_seq;
}

Value ValueFromJson(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::Null();
    case nlohmann::ordered_json::value_t::boolean:
      return Value::Bool(j.get<bool>(), "");
    case nlohmann::ordered_json::value_t::number_integer:
      return Value::Int(j.get<int64_t>(), "");
    case nlohmann::ordered_json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::Int(static_cast<int64_t>(u), "");
      return Value::UInt(u, "");
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value::Float(j.get<double>(), "");
    case nlohmann::ordered_json::value_t::string:
      return Value::Textual(Value::Kind::kText, j.get<std::string>(), "");
    default:
      return Value::Textual(Value::Kind::kOther, j.dump(), "");
  }
}

}  // namespace deltabridge
