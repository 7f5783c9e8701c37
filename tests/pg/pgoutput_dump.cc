#include "tests/pg/pgoutput_dump.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cdc/core/utc_time.h"

namespace deltabridge::testing {

namespace {

// Values longer than this are dumped as their start and length.
constexpr size_t kMaxDumpedBytes = 48;

std::string Time(int64_t us) { return FormatUtcMicros(us); }

std::string Xid(const std::optional<uint32_t>& xid) {
  return xid.has_value() ? fmt::format(" xid={}", *xid) : std::string();
}

int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string GoldenDir() { return DELTABRIDGE_PG_GOLDEN_DIR; }

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  EXPECT_TRUE(out.good()) << "cannot write " << path;
}

void ExpectMatchesGolden(const std::string& path, const std::string& actual) {
  if (UpdateGolden()) {
    WriteFile(path, actual);
    GTEST_SKIP() << "rewrote " << path;
  }
  const std::string expected = ReadFileOrEmpty(path);
  ASSERT_FALSE(expected.empty()) << "missing " << path;
  std::istringstream a(actual), e(expected);
  std::string la, le;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_e = static_cast<bool>(std::getline(e, le));
    if (!more_a && !more_e) return;
    ASSERT_TRUE(more_a) << path << ":" << line << " missing: " << le;
    ASSERT_TRUE(more_e) << path << ":" << line << " extra line: " << la;
    ASSERT_EQ(la, le) << path << ":" << line;
  }
}

bool UpdateGolden() {
  const char* v = std::getenv("DELTABRIDGE_UPDATE_GOLDEN");
  return v != nullptr && std::string_view(v) == "1";
}

std::vector<std::string> ReadGoldenMessages(const std::string& name) {
  std::vector<std::string> messages;
  const std::string path = GoldenDir() + "/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing golden file " << path;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::string bytes;
    bytes.reserve(line.size() / 2);
    bool ok = line.size() % 2 == 0;
    for (size_t i = 0; ok && i < line.size(); i += 2) {
      int hi = Nibble(line[i]), lo = Nibble(line[i + 1]);
      ok = hi >= 0 && lo >= 0;
      bytes.push_back(static_cast<char>(hi << 4 | lo));
    }
    EXPECT_TRUE(ok) << path << ":" << line_no << ": not hex";
    if (ok) messages.push_back(std::move(bytes));
  }
  return messages;
}

std::string QuoteBytes(std::string_view bytes) {
  std::string out = "'";
  const std::string_view shown = bytes.substr(0, kMaxDumpedBytes);
  for (char ch : shown) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\'' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(ch);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  out.push_back('\'');
  if (shown.size() < bytes.size()) out += fmt::format("...({} bytes)", bytes.size());
  return out;
}

std::string DumpTupleValue(const pgoutput::TupleValue& v) {
  switch (v.kind) {
    case pgoutput::ValueKind::kNull:
      return "n";
    case pgoutput::ValueKind::kUnchangedToast:
      return "u";
    case pgoutput::ValueKind::kText:
      return "t:" + QuoteBytes(v.data);
    case pgoutput::ValueKind::kBinary: {
      std::string out = "b:0x";
      for (char c : v.data.substr(0, kMaxDumpedBytes)) {
        out += fmt::format("{:02x}", static_cast<unsigned char>(c));
      }
      if (v.data.size() > kMaxDumpedBytes) out += fmt::format("...({} bytes)", v.data.size());
      return out;
    }
  }
  return "?";
}

std::string DumpTuple(const pgoutput::Tuple& t) {
  std::string out = "[";
  for (size_t i = 0; i < t.size(); ++i) {
    if (i > 0) out += ", ";
    out += DumpTupleValue(t[i]);
  }
  return out + "]";
}

Status DumpHandler::Add(std::string line) {
  lines_.push_back(std::move(line));
  return Status::Ok();
}

Status DumpHandler::OnBegin(const pgoutput::Begin& m) {
  return Add(fmt::format("begin final_lsn={} commit_time={} xid={}", m.final_lsn.ToString(),
                         Time(m.commit_time_us), m.xid));
}

Status DumpHandler::OnMessage(const pgoutput::Message& m) {
  return Add(fmt::format("message{} transactional={} lsn={} prefix={} content={}", Xid(m.xid),
                         m.transactional ? 1 : 0, m.lsn.ToString(), QuoteBytes(m.prefix),
                         QuoteBytes(m.content)));
}

Status DumpHandler::OnCommit(const pgoutput::Commit& m) {
  return Add(fmt::format("commit flags={} commit_lsn={} end_lsn={} commit_time={}", m.flags,
                         m.commit_lsn.ToString(), m.end_lsn.ToString(), Time(m.commit_time_us)));
}

Status DumpHandler::OnOrigin(const pgoutput::Origin& m) {
  return Add(fmt::format("origin lsn={} name={}", m.lsn.ToString(), QuoteBytes(m.name)));
}

Status DumpHandler::OnRelation(const pgoutput::Relation& m) {
  std::string cols;
  for (const pgoutput::RelationColumn& c : m.columns) {
    if (!cols.empty()) cols += ", ";
    cols += fmt::format("{}{}:{}:{}", c.is_key() ? "key " : "", c.name, c.type_oid, c.type_mod);
    if (c.flags & ~pgoutput::RelationColumn::kKeyFlag) cols += fmt::format(":flags={}", c.flags);
  }
  return Add(fmt::format("relation{} oid={} schema={} name={} identity={} columns=[{}]", Xid(m.xid),
                         m.oid, QuoteBytes(m.schema), QuoteBytes(m.name),
                         static_cast<char>(m.replica_identity), cols));
}

Status DumpHandler::OnType(const pgoutput::Type& m) {
  return Add(fmt::format("type{} oid={} schema={} name={}", Xid(m.xid), m.oid, QuoteBytes(m.schema),
                         QuoteBytes(m.name)));
}

Status DumpHandler::OnInsert(const pgoutput::Insert& m) {
  return Add(
      fmt::format("insert{} rel={} new={}", Xid(m.xid), m.relation_oid, DumpTuple(m.new_tuple)));
}

Status DumpHandler::OnUpdate(const pgoutput::Update& m) {
  std::string old;
  if (m.old_kind != pgoutput::OldTupleKind::kNone) {
    old = fmt::format(" old={}{}", static_cast<char>(m.old_kind), DumpTuple(m.old_tuple));
  }
  return Add(fmt::format("update{} rel={}{} new={}", Xid(m.xid), m.relation_oid, old,
                         DumpTuple(m.new_tuple)));
}

Status DumpHandler::OnDelete(const pgoutput::Delete& m) {
  return Add(fmt::format("delete{} rel={} old={}{}", Xid(m.xid), m.relation_oid,
                         static_cast<char>(m.old_kind), DumpTuple(m.old_tuple)));
}

Status DumpHandler::OnTruncate(const pgoutput::Truncate& m) {
  std::string options;
  if (m.options & pgoutput::Truncate::kCascade) options += "cascade";
  if (m.options & pgoutput::Truncate::kRestartIdentity) {
    options += options.empty() ? "restart_identity" : "|restart_identity";
  }
  if (options.empty()) options = "none";
  return Add(fmt::format("truncate{} options={} rels=[{}]", Xid(m.xid), options,
                         fmt::join(m.relation_oids, ", ")));
}

Status DumpHandler::OnStreamStart(const pgoutput::StreamStart& m) {
  return Add(fmt::format("stream_start xid={} first_segment={}", m.xid, m.first_segment ? 1 : 0));
}

Status DumpHandler::OnStreamStop(const pgoutput::StreamStop&) { return Add("stream_stop"); }

Status DumpHandler::OnStreamCommit(const pgoutput::StreamCommit& m) {
  return Add(fmt::format("stream_commit xid={} flags={} commit_lsn={} end_lsn={} commit_time={}",
                         m.xid, m.flags, m.commit_lsn.ToString(), m.end_lsn.ToString(),
                         Time(m.commit_time_us)));
}

Status DumpHandler::OnStreamAbort(const pgoutput::StreamAbort& m) {
  return Add(fmt::format("stream_abort xid={} subxid={}", m.xid, m.subxid));
}

void DecodeAll(const std::vector<std::string>& messages, PgOutputHandler* handler) {
  PgOutputDecoder decoder;
  for (size_t i = 0; i < messages.size(); ++i) {
    Status s = decoder.Decode(messages[i], handler);
    ASSERT_TRUE(s.ok()) << "message " << i << ": " << s.ToString();
  }
  EXPECT_FALSE(decoder.in_stream()) << "capture ends inside a stream block";
}

}  // namespace deltabridge::testing
