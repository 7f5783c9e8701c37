// The binlog decoder over real MySQL binlog files (fixtures/, see its README).
//
// Each fixture's deltas are compared line by line with golden/<file>.jsonl.
// How the golden values were checked:
//  - every value that `mariadb-binlog --no-defaults -v --base64-output=DECODE-ROWS`
//    prints (all fixtures but json-opaque.binlog) was compared with its output;
//    where it prints a signed and an unsigned reading ("-1064764973
//    (3230202323)") the table map's SIGNEDNESS metadata decides;
//  - json-opaque.binlog's JSON values were derived by hand from the bytes of
//    each row (the test JsonOpaqueByHand repeats the derivation's results).
// The remaining tests check transactions, positions, truncated and corrupted
// input, and a MySQL transaction payload (zstd) built from a fixture's events.
#include <gtest/gtest.h>
#include <zstd.h>

#include <cstring>
#include <fstream>

#include "cdc/mysql/binlog_compression.h"
#include "cdc/mysql/binlog_event.h"
#include "tests/mysql/binlog_test_util.h"

namespace deltabridge::mysql::test {
namespace {

const char* const kFixtures[] = {
    "binlog-invisible-columns.000001",
    "binlog_transaction_with_GTID.000001",
    "json-opaque.binlog",
    "minimal_row_metadata.000001",
    "mysql-enum-string-set.000001",
    "mysql_type_bit.000001",
    "update-full-row.binlog",
    "write-full-row.binlog",
};

std::vector<std::string> GoldenLines(const std::string& fixture) {
  std::ifstream in(GoldenDir() + "/" + fixture + ".jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(BinlogFixtures, MatchGolden) {
  for (const char* f : kFixtures) {
    SCOPED_TRACE(f);
    Decoded d = DecodeFile(FixtureDir() + "/" + f);
    ASSERT_TRUE(d.status.ok()) << d.status.ToString();
    std::vector<std::string> golden = GoldenLines(f);
    ASSERT_EQ(d.lines.size(), golden.size());
    for (size_t i = 0; i < golden.size(); ++i) EXPECT_EQ(d.lines[i], golden[i]) << "line " << i + 1;
    // The in-memory reader gives the same.
    Decoded m = DecodeBytes(ReadFileBytes(FixtureDir() + "/" + f), f);
    ASSERT_TRUE(m.status.ok()) << m.status.ToString();
    EXPECT_EQ(m.lines, d.lines);
  }
}

const ColumnChange* Find(const Change& c, const std::string& name) {
  for (const ColumnChange& cc : c.changes) {
    if (cc.name == name) return &cc;
  }
  return nullptr;
}

std::vector<Change> AllChanges(const Decoded& d) {
  std::vector<Change> out;
  for (const BinlogTransaction& t : d.transactions) {
    out.insert(out.end(), t.changes.begin(), t.changes.end());
  }
  return out;
}

TEST(BinlogFixtures, InvisibleColumnsFullMetadata) {
  Decoded d = DecodeFile(FixtureDir() + "/binlog-invisible-columns.000001");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  std::vector<Change> c = AllChanges(d);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].table, "mysql.t1");
  EXPECT_EQ(c[0].op, Op::kInsert);
  // f1 INT UNSIGNED INVISIBLE, f3 INT, f5 BLOB, f6 BIGINT UNSIGNED INVISIBLE
  EXPECT_EQ(Find(c[0], "f1")->new_value->i, 1);
  EXPECT_EQ(Find(c[0], "f3")->new_value->i, -3);
  EXPECT_EQ(Find(c[0], "f4")->new_value->kind, Value::Kind::kText);
  EXPECT_EQ(Find(c[0], "f5")->new_value->kind, Value::Kind::kBinary);
  EXPECT_EQ(Find(c[0], "f5")->new_value->text, "\x05");
  EXPECT_EQ(Find(c[0], "f6")->new_value->kind, Value::Kind::kUInt);
  EXPECT_EQ(Find(c[0], "f6")->new_value->u, 6000000000u);
  EXPECT_TRUE(Find(c[1], "f6")->new_value->is_null());
  // Update with a full before image: f5 ('U') and f6 (NULL) did not change.
  EXPECT_EQ(c[2].op, Op::kUpdate);
  EXPECT_EQ(c[2].changes.size(), 4u);
  EXPECT_EQ(Find(c[2], "f5"), nullptr);
  EXPECT_EQ(Find(c[2], "f6"), nullptr);
  EXPECT_TRUE(Find(c[2], "f1")->old_value->is_null());
  EXPECT_EQ(Find(c[2], "f1")->new_value->i, 111);
  EXPECT_EQ(Find(c[2], "f3")->old_value->i, -33);
  EXPECT_EQ(Find(c[2], "f3")->new_value->i, -333);
  // Positions: the GTID set executed (PREVIOUS_GTIDS, empty here, plus
  // transactions 1 and 2, DDL) plus file:end of the XID event.
  EXPECT_EQ(d.transactions.back().position,
            "97c7af02-4c50-11ec-acd8-681842034964:1-5 binlog-invisible-columns.000001:1787");
  EXPECT_EQ(c[2].tx_id, "97c7af02-4c50-11ec-acd8-681842034964:5");
  EXPECT_TRUE(c[2].tx_last);
}

TEST(BinlogFixtures, EnumSetAndLongStrings) {
  Decoded d = DecodeFile(FixtureDir() + "/mysql-enum-string-set.000001");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  std::vector<Change> c = AllChanges(d);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(Find(c[0], "f3")->new_value->text, "var1");       // mariadb-binlog: @3=1
  EXPECT_EQ(Find(c[0], "f4")->new_value->text, "one,three");  // @4=b'00000101'
  EXPECT_EQ(Find(c[1], "f3")->new_value->text, "variant2");   // @3=2
  EXPECT_EQ(Find(c[1], "f4")->new_value->text, "two,four");   // @4=b'00001010'
  EXPECT_EQ(Find(c[1], "f1")->new_value->text, "field1");
  EXPECT_EQ(Find(c[0], "f2")->new_value->text.size(), 298u);  // VARCHAR(300): 2 length bytes
  EXPECT_EQ(Find(c[1], "f5")->new_value->text.size(), 298u);
  EXPECT_EQ(c[2].op, Op::kDelete);
  EXPECT_EQ(c[2].changes.size(), 5u);
  EXPECT_EQ(Find(c[2], "f2")->old_value->text, "field_2");
}

TEST(BinlogFixtures, Bits) {
  Decoded d = DecodeFile(FixtureDir() + "/mysql_type_bit.000001");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  std::vector<Change> c = AllChanges(d);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(Find(c[0], "a")->new_value->u, 4u);  // b'100'
  EXPECT_EQ(Find(c[0], "a")->new_value->sql_type, "bit(3)");
  EXPECT_EQ(Find(c[0], "b")->new_value->text, "foo");
  EXPECT_EQ(Find(c[0], "c")->new_value->u, 32u);  // b'00100000'
}

TEST(BinlogFixtures, MinimalImageLeavesColumnsOut) {
  Decoded d = DecodeFile(FixtureDir() + "/minimal_row_metadata.000001");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  std::vector<Change> c = AllChanges(d);
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(c[0].changes.size(), 3u);  // @2 and @4 absent, not null
  EXPECT_EQ(c[0].changes[0].name, "@1");
  EXPECT_EQ(c[0].changes[1].name, "@3");
  EXPECT_EQ(c[0].changes[2].name, "@5");
  EXPECT_EQ(c[0].changes[2].new_value->i, 3230202323);  // unsigned per SIGNEDNESS
  // Anonymous GTID: no GTID in the position, tx id is file:offset of BEGIN.
  EXPECT_EQ(c[0].pos, "minimal_row_metadata.000001:451");
  EXPECT_EQ(c[0].tx_id, "minimal_row_metadata.000001:236");
}

TEST(BinlogFixtures, JsonOpaqueByHand) {
  Decoded d = DecodeFile(FixtureDir() + "/json-opaque.binlog");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  std::vector<Change> c = AllChanges(d);
  const char* expected[] = {
      R"({"a": "base64:type15:VQ=="})",          // opaque VARCHAR 'U'
      R"({"b": "2012-03-18"})",                  // opaque DATE
      R"({"c": "2012-03-18 11:30:45.000000"})",  // opaque DATETIME
      R"({"c": "87:31:46.654321"})",             // opaque TIME
      R"({"d": 123.456})",                       // opaque DECIMAL(6,3)
      R"({"e": 9.00})",                          // opaque DECIMAL(11,2)
      R"({"e": [0, 1, true, false]})",
      R"({"e": null})",
  };
  ASSERT_EQ(c.size(), std::size(expected));
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_EQ(c[i].changes.size(), 1u);
    EXPECT_EQ(c[i].changes[0].new_value->kind, Value::Kind::kJson);
    EXPECT_EQ(c[i].changes[0].new_value->text, expected[i]);
  }
  EXPECT_TRUE(c.back().tx_last);
  EXPECT_FALSE(c.front().tx_last);
}

TEST(BinlogFixtures, OldRowEventsAndStatementEnd) {
  Decoded d = DecodeFile(FixtureDir() + "/update-full-row.binlog");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  ASSERT_EQ(d.transactions.size(), 1u);
  const BinlogTransaction& t = d.transactions[0];
  ASSERT_EQ(t.changes.size(), 7u);
  EXPECT_EQ(t.changes[1].table, "test.ba");
  EXPECT_EQ(t.changes[0].changes[1].new_value->i, 25769803786);
  const Change& upd = t.changes[5];
  EXPECT_EQ(upd.op, Op::kUpdate);
  ASSERT_EQ(upd.changes.size(), 1u);
  EXPECT_EQ(upd.changes[0].name, "@3");
  EXPECT_EQ(upd.changes[0].old_value->i, 4);
  EXPECT_EQ(upd.changes[0].new_value->i, 40);
  const Change& del = t.changes[6];
  EXPECT_EQ(del.op, Op::kDelete);
  ASSERT_EQ(del.changes.size(), 1u);  // only @1 in the before image
  EXPECT_EQ(t.position, "update-full-row.binlog:570");
  EXPECT_EQ(t.commit_time_us, int64_t{1253873520} * 1000000);
}

TEST(BinlogFixtures, GtidTransactionsWithoutRows) {
  Decoded d = DecodeFile(FixtureDir() + "/binlog_transaction_with_GTID.000001");
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  // CREATE TABLE, BEGIN ... INSERT (statement) ... COMMIT, DROP TABLE.
  ASSERT_EQ(d.transactions.size(), 3u);
  const std::string uuid = "006c2cf2-b1ea-11e4-9057-8c705a3d3e78";
  // Positions carry the GTID set executed so far: what COM_BINLOG_DUMP_GTID
  // resumes from.
  EXPECT_EQ(d.transactions[0].position, uuid + ":1 binlog_transaction_with_GTID.000001:297");
  EXPECT_EQ(d.transactions[1].position, uuid + ":1-2 binlog_transaction_with_GTID.000001:603");
  EXPECT_EQ(d.transactions[2].position, uuid + ":1-3 binlog_transaction_with_GTID.000001:766");
  EXPECT_EQ(d.transactions[1].tx_id, uuid + ":2");
  for (const BinlogTransaction& t : d.transactions) EXPECT_TRUE(t.changes.empty());
}

// Every prefix of every fixture ends cleanly or with an error; never a crash
// (run under -fsanitize=address,undefined to see it).
TEST(BinlogRobustness, EveryPrefixOfEveryFixture) {
  for (const char* f : kFixtures) {
    SCOPED_TRACE(f);
    std::string bytes = ReadFileBytes(FixtureDir() + "/" + f);
    ASSERT_GT(bytes.size(), 4u);
    Decoded whole = DecodeBytes(bytes, f);
    ASSERT_TRUE(whole.status.ok());
    for (size_t n = 0; n < bytes.size(); ++n) {
      Decoded d = DecodeBytes(std::string_view(bytes).substr(0, n), f);
      if (d.status.ok()) {
        // A clean end (the prefix ends between events): what came out is a
        // prefix of the whole file's deltas.
        ASSERT_LE(d.lines.size(), whole.lines.size());
        for (size_t i = 0; i < d.lines.size(); ++i) EXPECT_EQ(d.lines[i], whole.lines[i]);
      } else {
        EXPECT_TRUE(d.status.IsCorruption()) << d.status.ToString();
      }
    }
  }
}

TEST(BinlogRobustness, TruncatedFileNamesOffset) {
  std::string bytes = ReadFileBytes(FixtureDir() + "/mysql_type_bit.000001");
  std::string path = ::testing::TempDir() + "/truncated.000001";
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes.substr(0, 950);  // inside the Write_rows event at 927
  }
  Decoded d = DecodeFile(path);
  ASSERT_FALSE(d.status.ok());
  EXPECT_NE(d.status.message().find("truncated.000001: at byte 927: file ends inside a "
                                    "Write_rows event"),
            std::string::npos)
      << d.status.message();
  std::remove(path.c_str());
}

// Each byte flipped: with checksums, a CRC32 error (or a header error);
// without checksum verification the parsers meet garbage: errors, no crash.
TEST(BinlogRobustness, EveryByteFlipped) {
  for (const char* f : kFixtures) {
    SCOPED_TRACE(f);
    std::string bytes = ReadFileBytes(FixtureDir() + "/" + f);
    for (size_t i = 4; i < bytes.size(); ++i) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
        std::string b = bytes;
        b[i] = static_cast<char>(b[i] ^ mask);
        (void)DecodeBytes(b, f, true);
        (void)DecodeBytes(b, f, false);
      }
    }
  }
}

TEST(BinlogRobustness, CrcMismatchIsReported) {
  std::string bytes = ReadFileBytes(FixtureDir() + "/mysql_type_bit.000001");
  bytes[960] = static_cast<char>(bytes[960] ^ 0x10);  // inside the Write_rows event
  Decoded d = DecodeBytes(bytes, "bit");
  ASSERT_FALSE(d.status.ok());
  EXPECT_TRUE(d.status.IsCorruption());
  EXPECT_NE(d.status.message().find("bit: at byte 927: CRC32 mismatch in a Write_rows event"),
            std::string::npos)
      << d.status.message();
}

// Little-endian store helpers for building events.
void Put32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// A MySQL 8.0.20+ transaction payload: the BEGIN, TABLE_MAP, WRITE_ROWS and
// XID events of mysql_type_bit.000001 (checksums removed), zstd-compressed
// into one TRANSACTION_PAYLOAD_EVENT after the GTID event, decode to the same
// change as the plain file.
TEST(BinlogPayload, ZstdTransactionPayload) {
  std::string file = ReadFileBytes(FixtureDir() + "/mysql_type_bit.000001");
  // Event offsets from `mariadb-binlog`: FDE 4..125, GTID 702..781, BEGIN
  // 781..857, TABLE_MAP 857..927, WRITE_ROWS 927..970, XID 970..1001.
  auto event = [&](size_t from, size_t to) { return file.substr(from, to - from); };
  std::string inner;
  for (auto [from, to] :
       {std::pair<size_t, size_t>{781, 857}, {857, 927}, {927, 970}, {970, 1001}}) {
    std::string e = event(from, to);
    e.resize(e.size() - 4);  // no checksum inside a payload
    Put32(&e, 9, static_cast<uint32_t>(e.size()));
    inner += e;
  }
  std::string z(ZSTD_compressBound(inner.size()), '\0');
  size_t zn = ZSTD_compress(z.data(), z.size(), inner.data(), inner.size(), 3);
  ASSERT_FALSE(ZSTD_isError(zn));
  z.resize(zn);
  auto lenenc = [](uint64_t v) {
    std::string s;
    if (v < 251) {
      s.push_back(static_cast<char>(v));
    } else {
      s.push_back(static_cast<char>(0xfc));
      s.push_back(static_cast<char>(v & 0xFF));
      s.push_back(static_cast<char>(v >> 8));
    }
    return s;
  };
  std::string body;
  for (auto [type, value] :
       {std::pair<uint64_t, uint64_t>{2, 0}, {3, inner.size()}, {1, z.size()}}) {
    std::string v = lenenc(value);
    body += lenenc(type) + lenenc(v.size()) + v;
  }
  body += lenenc(0);
  body += z;
  std::string out =
      "\xfe"
      "bin" +
      event(4, 125) + event(702, 781);
  std::string header = event(781, 800);  // reuse BEGIN's header fields
  header[4] = static_cast<char>(kTransactionPayloadEvent);
  std::string payload = header + body + std::string(4, '\0');
  Put32(&payload, 9, static_cast<uint32_t>(payload.size()));
  Put32(&payload, 13, static_cast<uint32_t>(out.size() + payload.size()));
  Put32(&payload, payload.size() - 4,
        Crc32(std::string_view(payload).substr(0, payload.size() - 4)));
  out += payload;

  Decoded plain = DecodeFile(FixtureDir() + "/mysql_type_bit.000001");
  Decoded packed = DecodeBytes(out, "payload.000001");
  ASSERT_TRUE(packed.status.ok()) << packed.status.ToString();
  std::vector<Change> a = AllChanges(plain), b = AllChanges(packed);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b[0].changes.size(), a[0].changes.size());
  for (size_t i = 0; i < a[0].changes.size(); ++i) {
    EXPECT_EQ(b[0].changes[i].name, a[0].changes[i].name);
    EXPECT_TRUE(b[0].changes[i].new_value->SameValue(*a[0].changes[i].new_value));
  }
  EXPECT_EQ(b[0].tx_id, "fbda2ad0-7c46-11ec-ae30-4ef7efc81a2a:3");
  EXPECT_EQ(b[0].pos,
            "fbda2ad0-7c46-11ec-ae30-4ef7efc81a2a:3 payload.000001:" + std::to_string(out.size()));

  // Every prefix of the payload event's bytes fails cleanly.
  size_t payload_start = out.size() - payload.size();
  for (size_t n = payload_start + 1; n < out.size(); ++n) {
    EXPECT_FALSE(DecodeBytes(std::string_view(out).substr(0, n), "p").status.ok());
  }
  // A payload whose zstd bytes are damaged (CRC recomputed) is an error.
  std::string bad = out;
  bad[bad.size() - 10] = static_cast<char>(bad[bad.size() - 10] ^ 0x55);
  Put32(&bad, bad.size() - 4,
        Crc32(std::string_view(bad).substr(payload_start, payload.size() - 4)));
  EXPECT_FALSE(DecodeBytes(bad, "p").status.ok());
}

}  // namespace
}  // namespace deltabridge::mysql::test
