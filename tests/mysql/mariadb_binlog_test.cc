// Binlogs written by a real MariaDB 10.11 (TestMariadb with row-based
// logging and binlog_row_metadata=FULL), decoded by the same code as
// `deltabridge binlog`, value by value: every value kind the decoder maps,
// update and delete with binlog_row_image FULL, MINIMAL and NOBLOB, and
// MariaDB's compressed events (log_bin_compress=ON).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "cdc/core/wall_clock.h"
#include "cdc/mysql/binlog_change_builder.h"
#include "cdc/mysql/binlog_event_decoder.h"
#include "cdc/mysql/binlog_reader.h"
#include "tests/support/test_mariadb.h"

namespace deltabridge::mysql {
namespace {

using deltabridge::test::TestMariadb;
using K = Value::Kind;

class MariadbBinlogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestMariadb::Options o;
    o.binlog = true;
    server_ = new TestMariadb(o);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(server_->CreateDatabase("bt").ok());
    start_us_ = WallClockMicros();
    Write();
    end_us_ = WallClockMicros();
    ASSERT_TRUE(server_->Exec("FLUSH BINARY LOGS").ok());
    Decode();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static void Exec(const std::string& sql) {
    Status s = server_->Exec(sql, "bt");
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << sql;
  }

  static void Write() {
    Exec(
        "CREATE TABLE t ("
        " id INT PRIMARY KEY,"
        " ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, mu MEDIUMINT UNSIGNED,"
        " i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,"
        " d DECIMAL(65,30), d2 DECIMAL(10,2), f FLOAT, db DOUBLE, b1 BIT(1), b64 BIT(64),"
        " dt DATE, tm TIME, tm6 TIME(6), dtm DATETIME, dtm6 DATETIME(6), ts TIMESTAMP(6) NULL,"
        " y YEAR, c CHAR(10) CHARACTER SET latin1, vc VARCHAR(100),"
        " vl VARCHAR(50) CHARACTER SET latin1, tx TEXT, bn BINARY(4), vb VARBINARY(20),"
        " bl BLOB, e ENUM('small','medium','large'), s SET('a','b','c','d'), j JSON,"
        " g GEOMETRY, gen INT AS (id * 10) STORED, inv INT INVISIBLE DEFAULT 7)");
    Exec(
        "INSERT INTO t (id, ti, tiu, si, mi, mu, i, iu, bi, bu, d, d2, f, db, b1, b64, dt, tm, "
        "tm6, dtm, dtm6, ts, y, c, vc, vl, tx, bn, vb, bl, e, s, j, g) VALUES ("
        "1, -128, 255, -32768, -8388608, 16777215, -2147483648, 4294967295,"
        " -9223372036854775808, 18446744073709551615,"
        " 99999999999999999999999999999999999.999999999999999999999999999999,"
        " -12345678.90, 3.14, 2.718281828459045, b'1', "
        "b'1111111111111111111111111111111111111111111111111111111111111111',"
        " '2024-02-29', '-838:59:59', '-12:34:56.789012', '9999-12-31 23:59:59',"
        " '2026-11-28 04:37:12.123456', '2038-01-19 03:14:07.999999', 2155,"
        " 'café', 'naïve 😀', 'Ünïcødé €', 'some text', x'00FF0010', x'DEADBEEF', x'000102',"
        " 'large', 'd,a', '{\"k\": [1, 2.5, \"x\"], \"n\": null}', ST_GeomFromText('POINT(1 2)'))");
    Exec(
        "INSERT INTO t (id, d, tm, tm6, dtm6, ts, y, e, s, b64, j) VALUES (2,"
        " -0.000000000000000000000000000001, '838:59:59', '-00:00:00.000001',"
        " '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', 1901, 'small', '', 0, '[]')");
    Exec("INSERT INTO t (id) VALUES (3)");
    // binlog_row_image=FULL (the server's setting)
    Exec("UPDATE t SET vc = 'changed', bu = 0 WHERE id = 1");
    Exec("DELETE FROM t WHERE id = 2");
    Exec(
        "SET SESSION binlog_row_image = MINIMAL; UPDATE t SET ti = 5 WHERE id = 1;"
        " DELETE FROM t WHERE id = 3");
    Exec(
        "SET SESSION binlog_row_image = NOBLOB; UPDATE t SET ti = 6, tx = 'new text' WHERE id = 1");
    // Two rows in one transaction.
    Exec("BEGIN; INSERT INTO t (id) VALUES (10); INSERT INTO t (id) VALUES (11); COMMIT");
    // MariaDB compressed events: rows and a statement above 10 bytes.
    ASSERT_TRUE(server_
                    ->Exec("SET GLOBAL log_bin_compress_min_len = 10;"
                           " SET GLOBAL log_bin_compress = ON")
                    .ok());
    Exec("CREATE TABLE z (id INT PRIMARY KEY, txt TEXT)");
    Exec("INSERT INTO z VALUES (1, REPEAT('abc', 1000))");
    Exec("UPDATE z SET txt = REPEAT('xyz', 1000) WHERE id = 1");
    ASSERT_TRUE(server_->Exec("SET GLOBAL log_bin_compress = OFF").ok());
  }

  static void Decode() {
    std::ifstream index(server_->data_dir() + "/mariadb-bin.index");
    BinlogChangeBuilder builder({}, [](BinlogTransaction&& tx) {
      transactions_.push_back(std::move(tx));
      return Status::Ok();
    });
    for (std::string line; std::getline(index, line);) {
      std::string name = line.substr(line.find_last_of('/') + 1);
      files_.push_back(name);
      builder.set_file_name(name);
      BinlogEventDecoder decoder;
      Status s = ForEachBinlogEvent(server_->data_dir() + "/" + name, &decoder,
                                    [&](const BinlogEvent& ev) {
                                      if (ev.header.type >= kQueryCompressedEvent &&
                                          ev.header.type <= kDeleteRowsCompressedEvent) {
                                        ++compressed_events_;
                                      }
                                      return builder.OnEvent(ev);
                                    });
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(decoder.stats().unknown_events, 0u);
    }
    for (const BinlogTransaction& t : transactions_) {
      for (const Change& c : t.changes) changes_.push_back(c);
    }
  }

  // The value of `column` in change `c` (new, or old when `old`).
  static const Value& V(const Change& c, const std::string& column, bool old = false) {
    static const Value kMissing = Value::Textual(K::kOther, "<missing>", "");
    for (const ColumnChange& cc : c.changes) {
      if (cc.name != column) continue;
      const std::optional<Value>& v = old ? cc.old_value : cc.new_value;
      return v ? *v : kMissing;
    }
    return kMissing;
  }
  static std::set<std::string> Names(const Change& c) {
    std::set<std::string> out;
    for (const ColumnChange& cc : c.changes) out.insert(cc.name);
    return out;
  }

  static std::vector<Change> Of(const std::string& table) {
    std::vector<Change> out;
    for (const Change& c : changes_) {
      if (c.table == table) out.push_back(c);
    }
    return out;
  }

  static TestMariadb* server_;
  static int64_t start_us_, end_us_;
  static std::vector<std::string> files_;
  static std::vector<BinlogTransaction> transactions_;
  static std::vector<Change> changes_;
  static int compressed_events_;
};

TestMariadb* MariadbBinlogTest::server_ = nullptr;
int64_t MariadbBinlogTest::start_us_ = 0;
int64_t MariadbBinlogTest::end_us_ = 0;
std::vector<std::string> MariadbBinlogTest::files_;
std::vector<BinlogTransaction> MariadbBinlogTest::transactions_;
std::vector<Change> MariadbBinlogTest::changes_;
int MariadbBinlogTest::compressed_events_ = 0;

TEST_F(MariadbBinlogTest, ChangeSequence) {
  std::vector<Change> t = Of("bt.t");
  ASSERT_EQ(t.size(), 10u);
  const Op ops[] = {Op::kInsert, Op::kInsert, Op::kInsert, Op::kUpdate, Op::kDelete,
                    Op::kUpdate, Op::kDelete, Op::kUpdate, Op::kInsert, Op::kInsert};
  for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].op, ops[i]) << i;
  for (const Change& c : t) {
    ASSERT_EQ(c.key.size(), 1u);
    EXPECT_EQ(c.key[0].first, "id");
  }
}

TEST_F(MariadbBinlogTest, IntegersAtTheirLimits) {
  std::vector<Change> all = Of("bt.t");
  ASSERT_GT(all.size(), 0u);
  const Change& c = all[0];
  EXPECT_EQ(c.changes.size(), 36u);  // every column, invisible and generated ones included
  EXPECT_EQ(V(c, "ti").i, -128);
  EXPECT_EQ(V(c, "tiu").i, 255);
  EXPECT_EQ(V(c, "si").i, -32768);
  EXPECT_EQ(V(c, "mi").i, -8388608);
  EXPECT_EQ(V(c, "mu").i, 16777215);
  EXPECT_EQ(V(c, "i").i, -2147483648LL);
  EXPECT_EQ(V(c, "iu").i, 4294967295LL);
  EXPECT_EQ(V(c, "bi").kind, K::kInt);
  EXPECT_EQ(V(c, "bi").i, INT64_MIN);
  EXPECT_EQ(V(c, "bu").kind, K::kUInt);
  EXPECT_EQ(V(c, "bu").u, UINT64_MAX);
  EXPECT_EQ(V(c, "y").i, 2155);
  EXPECT_EQ(V(c, "gen").i, 10);
  EXPECT_EQ(V(c, "inv").i, 7);
  EXPECT_EQ(V(c, "b1").u, 1u);
  EXPECT_EQ(V(c, "b64").u, UINT64_MAX);
  EXPECT_EQ(V(c, "id").i, 1);
}

TEST_F(MariadbBinlogTest, DecimalsAndFloats) {
  std::vector<Change> t = Of("bt.t");
  EXPECT_EQ(V(t[0], "d").kind, K::kDecimal);
  EXPECT_EQ(V(t[0], "d").text, std::string(35, '9') + "." + std::string(30, '9'));
  EXPECT_EQ(V(t[0], "d2").text, "-12345678.90");
  EXPECT_EQ(V(t[1], "d").text, "-0." + std::string(29, '0') + "1");
  EXPECT_EQ(V(t[0], "f").kind, K::kFloat);
  EXPECT_EQ(V(t[0], "f").d, 3.14);
  EXPECT_EQ(V(t[0], "db").d, 2.718281828459045);
}

TEST_F(MariadbBinlogTest, Temporals) {
  std::vector<Change> t = Of("bt.t");
  EXPECT_EQ(V(t[0], "dt").kind, K::kDate);
  EXPECT_EQ(V(t[0], "dt").text, "2024-02-29");
  EXPECT_EQ(V(t[0], "tm").kind, K::kTime);
  EXPECT_EQ(V(t[0], "tm").text, "-838:59:59");
  EXPECT_EQ(V(t[0], "tm6").text, "-12:34:56.789012");
  EXPECT_EQ(V(t[1], "tm").text, "838:59:59");
  EXPECT_EQ(V(t[1], "tm6").text, "-00:00:00.000001");
  EXPECT_EQ(V(t[0], "dtm").kind, K::kTimestamp);
  EXPECT_EQ(V(t[0], "dtm").text, "9999-12-31T23:59:59");
  EXPECT_EQ(V(t[0], "dtm6").text, "2026-11-28T04:37:12.123456");
  EXPECT_EQ(V(t[1], "dtm6").text, "1000-01-01T00:00:00.000000");
  EXPECT_EQ(V(t[0], "ts").kind, K::kTimestampTz);
  EXPECT_EQ(V(t[0], "ts").text, "2038-01-19T03:14:07.999999Z");
  EXPECT_EQ(V(t[1], "ts").text, "1970-01-01T00:00:01.000000Z");
  EXPECT_EQ(V(t[1], "y").i, 1901);
}

TEST_F(MariadbBinlogTest, TextBinaryEnumSetJsonGeometry) {
  std::vector<Change> t = Of("bt.t");
  const Change& c = t[0];
  EXPECT_EQ(V(c, "c").kind, K::kText);
  EXPECT_EQ(V(c, "c").text, "café");        // latin1 CHAR
  EXPECT_EQ(V(c, "vc").text, "naïve 😀");    // utf8mb4
  EXPECT_EQ(V(c, "vl").text, "Ünïcødé €");  // latin1 (cp1252 €) to UTF-8
  EXPECT_EQ(V(c, "tx").kind, K::kText);
  EXPECT_EQ(V(c, "tx").text, "some text");
  EXPECT_EQ(V(c, "bn").kind, K::kBinary);
  EXPECT_EQ(V(c, "bn").text, std::string("\x00\xff\x00\x10", 4));
  EXPECT_EQ(V(c, "vb").kind, K::kBinary);
  EXPECT_EQ(V(c, "vb").text, "\xde\xad\xbe\xef");
  EXPECT_EQ(V(c, "bl").kind, K::kBinary);
  EXPECT_EQ(V(c, "bl").text, std::string("\x00\x01\x02", 3));
  EXPECT_EQ(V(c, "e").text, "large");
  EXPECT_EQ(V(c, "s").text, "a,d");
  EXPECT_EQ(V(t[1], "e").text, "small");
  EXPECT_EQ(V(t[1], "s").text, "");
  EXPECT_EQ(V(t[1], "b64").u, 0u);
  // MariaDB's JSON is LONGTEXT: the text as written.
  EXPECT_EQ(V(c, "j").kind, K::kText);
  EXPECT_EQ(V(c, "j").text, R"({"k": [1, 2.5, "x"], "n": null})");
  EXPECT_EQ(V(t[1], "j").text, "[]");
  EXPECT_EQ(V(c, "g").kind, K::kBinary);
  // POINT(1 2) as WKB: byte order, type 1, x = 1.0, y = 2.0 (the SRID is dropped).
  const unsigned char wkb[] = {0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,   0,
                               0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40};
  EXPECT_EQ(V(c, "g").text, std::string(reinterpret_cast<const char*>(wkb), sizeof wkb));
}

TEST_F(MariadbBinlogTest, NullsAreNullsAndAllColumnsPresent) {
  std::vector<Change> all = Of("bt.t");
  ASSERT_GT(all.size(), 2u);
  const Change& c = all[2];  // INSERT (id) VALUES (3)
  EXPECT_EQ(c.changes.size(), 36u);
  EXPECT_TRUE(V(c, "ti").is_null());
  EXPECT_TRUE(V(c, "j").is_null());
  EXPECT_TRUE(V(c, "g").is_null());
  EXPECT_EQ(V(c, "gen").i, 30);
}

TEST_F(MariadbBinlogTest, FullImageUpdateCarriesOnlyChangedColumns) {
  std::vector<Change> all = Of("bt.t");
  ASSERT_GT(all.size(), 3u);
  const Change& c = all[3];
  EXPECT_EQ(Names(c), (std::set<std::string>{"vc", "bu"}));
  EXPECT_EQ(V(c, "vc", true).text, "naïve 😀");
  EXPECT_EQ(V(c, "vc").text, "changed");
  EXPECT_EQ(V(c, "bu", true).u, UINT64_MAX);
  EXPECT_EQ(V(c, "bu").kind, K::kUInt);
  EXPECT_EQ(V(c, "bu").u, 0u);
  EXPECT_EQ(c.key[0].second.i, 1);
}

TEST_F(MariadbBinlogTest, FullImageDeleteCarriesEveryColumn) {
  std::vector<Change> all = Of("bt.t");
  ASSERT_GT(all.size(), 4u);
  const Change& c = all[4];
  EXPECT_EQ(c.changes.size(), 36u);
  EXPECT_EQ(V(c, "tm", true).text, "838:59:59");
  EXPECT_FALSE(c.changes[0].new_value.has_value());
  EXPECT_EQ(c.key[0].second.i, 2);
}

TEST_F(MariadbBinlogTest, MinimalImage) {
  std::vector<Change> t = Of("bt.t");
  const Change& upd = t[5];
  // Before image: the key only; after image: the changed column and the
  // stored generated column MariaDB recomputes (both as new only).
  EXPECT_EQ(Names(upd), (std::set<std::string>{"ti", "gen"}));
  for (const ColumnChange& cc : upd.changes) EXPECT_FALSE(cc.old_value.has_value());
  EXPECT_EQ(V(upd, "ti").i, 5);
  EXPECT_EQ(V(upd, "gen").i, 10);
  EXPECT_EQ(upd.key[0].second.i, 1);
  const Change& del = t[6];
  EXPECT_EQ(Names(del), (std::set<std::string>{"id"}));
  EXPECT_EQ(V(del, "id", true).i, 3);
  EXPECT_EQ(del.key[0].second.i, 3);
}

TEST_F(MariadbBinlogTest, NoblobImage) {
  std::vector<Change> all = Of("bt.t");
  ASSERT_GT(all.size(), 7u);
  const Change& c = all[7];
  // The non-BLOB columns are in both images and compared; the changed TEXT
  // is only in the after image, so new only.
  EXPECT_EQ(Names(c), (std::set<std::string>{"ti", "tx"}));
  EXPECT_EQ(V(c, "ti", true).i, 5);
  EXPECT_EQ(V(c, "ti").i, 6);
  EXPECT_EQ(V(c, "tx").text, "new text");
}

TEST_F(MariadbBinlogTest, TransactionsAndPositions) {
  std::vector<Change> t = Of("bt.t");
  // The two-row transaction: one tx id, consecutive, last flag on the second.
  EXPECT_EQ(t[8].tx_id, t[9].tx_id);
  EXPECT_FALSE(t[8].tx_last);
  EXPECT_TRUE(t[9].tx_last);
  EXPECT_NE(t[7].tx_id, t[8].tx_id);
  // tx ids are MariaDB GTIDs domain-server-seq; positions add file:end.
  Result<std::vector<TestMariadb::Row>> events =
      server_->Query("SHOW BINLOG EVENTS IN '" + files_[0] + "'");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  std::set<std::string> xid_ends;
  for (const TestMariadb::Row& r : *events) {
    if (r[2] && (*r[2] == "Xid" || *r[2] == "Query")) xid_ends.insert(*r[4]);
  }
  for (const Change& c : changes_) {
    EXPECT_EQ(c.tx_id.rfind("0-1-", 0), 0u) << c.tx_id;
    EXPECT_EQ(c.pos.rfind(c.tx_id + " " + files_[0] + ":", 0), 0u) << c.pos;
    std::string end = c.pos.substr(c.pos.find(':') + 1);
    EXPECT_TRUE(xid_ends.count(end)) << c.pos;
    EXPECT_GE(c.commit_time_us, start_us_ / 1000000 * 1000000);
    EXPECT_LE(c.commit_time_us, end_us_);
  }
  // The GTID of the last transaction is the server's.
  Result<std::string> gtid = server_->QueryValue("SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(gtid.ok());
  EXPECT_EQ(transactions_.back().gtid, *gtid);
}

TEST_F(MariadbBinlogTest, CompressedEvents) {
  EXPECT_GE(compressed_events_, 3);  // CREATE TABLE, INSERT, UPDATE (at least)
  std::vector<Change> z = Of("bt.z");
  ASSERT_EQ(z.size(), 2u);
  std::string abc, xyz;
  for (int i = 0; i < 1000; ++i) {
    abc += "abc";
    xyz += "xyz";
  }
  EXPECT_EQ(V(z[0], "txt").text, abc);
  EXPECT_EQ(V(z[1], "txt", true).text, abc);
  EXPECT_EQ(V(z[1], "txt").text, xyz);
}

}  // namespace
}  // namespace deltabridge::mysql
