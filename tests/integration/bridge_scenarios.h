// Bridge scenarios that the PostgreSQL and the MySQL/MariaDB source share:
// one copy of each scenario's logic, called from pg_bridge_test.cc and
// tests/mysql/mysql_bridge_test.cc with that source's BridgeSource. Each
// function is a whole test body: it creates its table in the test's
// database, starts its own bridge "b" over it, and stops it. Checks a source
// has beyond these stay in its file.
//
// Templates over the server class, TestPostgres or TestMariadb: both offer
// Exec(sql, database) (from any thread: each call opens its own connection),
// Start(), Restart(), StopImmediate() and LogTail(). A scenario runs on the
// test's thread (its bridge child dies with the thread that started it).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/bridge_harness.h"

namespace deltabridge::test {

// The source under test as the scenarios see it: a plain value a test builds
// from its fixture. Borrows `server`, which must outlive the scenario.
template <typename Server>
struct BridgeSource {
  Server* server = nullptr;
  // The test's own database on `server`.
  std::string database;
  // The text of a `sources:` list (indented by 2) with one source "src" that
  // captures table `table` of `database`.
  std::function<std::string(const std::string& table)> sources;
  // What the bridge logs once the source streams: changes made afterwards
  // are streamed rather than snapshotted or missed.
  std::string streaming_log;
  // How long the source may take to deliver what was written around a
  // restart of its server (its reconnect backoff included).
  std::chrono::milliseconds reconnect_timeout = std::chrono::seconds(90);
};

// Runs `sql` in the source's database; a failure fails the test.
template <typename Server>
void SourceSql(const BridgeSource<Server>& source, const std::string& sql) {
  Status s = source.server->Exec(sql, source.database);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

// Creates `table` (id int PRIMARY KEY) in the source, starts `bridge` (over
// it) until the source streams, streams row 1 and stops the bridge: a
// journaled delta and position to go on from.
template <typename Server>
void StreamRowOneThenStop(const BridgeSource<Server>& source, BridgeUnderTest& bridge,
                          const std::string& table) {
  SourceSql(source, "CREATE TABLE " + table + " (id int PRIMARY KEY)");
  bridge.StartAndWaitForLog(source.streaming_log);
  {
    Collector col(bridge.publish(), bridge.replay());
    SourceSql(source, "INSERT INTO " + table + " VALUES (1)");
    ASSERT_TRUE(col.WaitCount(1));
  }
  bridge.Stop();
}

// Proves that kill -9 of the bridge loses and repeats nothing: a writer
// commits transactions of 1 to 5 inserts and an update of the last of them,
// as fast as it can, while the bridge is killed and restarted four times at
// random moments; everything written then arrives exactly once, in commit
// order, gap-free from seq 1. *inserted (when not null): how many rows'
// inserts arrived, each once.
template <typename Server>
void Kill9DuringWriteLoadLosesAndRepeatsNothing(const BridgeSource<Server>& source,
                                                size_t* inserted = nullptr) {
  SourceSql(source, "CREATE TABLE k (id int PRIMARY KEY, v int)");
  BridgeUnderTest bridge("b", source.sources("k"));
  bridge.StartAndWaitForLog(source.streaming_log);
  // A writer commits transactions of 1..5 rows as fast as it can.
  std::atomic<bool> stop{false};
  std::atomic<int> next_id{1};
  std::atomic<int> transactions{0};
  std::thread writer([&] {
    std::mt19937 rng(42);
    while (!stop.load()) {
      int n = 1 + static_cast<int>(rng() % 5);
      std::string sql = "BEGIN;";
      for (int i = 0; i < n; ++i) {
        sql += "INSERT INTO k VALUES (" + std::to_string(next_id++) + ", 0);";
      }
      sql += "UPDATE k SET v = v + 1 WHERE id = " + std::to_string(next_id - 1) + "; COMMIT";
      if (!source.server->Exec(sql, source.database).ok()) break;
      ++transactions;
    }
  });
  std::mt19937 rng(7);
  for (int round = 0; round < 4; ++round) {
    int wait_ms = 300 + static_cast<int>(rng() % 700);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));  // a random moment
    bridge.Kill9();
    bridge.Start();
  }
  stop = true;
  writer.join();
  const int rows = next_id.load() - 1;
  // Each transaction: its inserts and one update of its last row.
  const size_t expected = static_cast<size_t>(rows + transactions.load());
  // Everything written must arrive exactly once, in commit order, gap-free.
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(expected, std::chrono::seconds(120)))
      << col.size() << " of " << expected;
  // Let anything extra show up before counting.
  SourceSql(source, "INSERT INTO k VALUES (-1, 0)");
  ASSERT_TRUE(WaitUntil([&] {
    auto d = col.deltas();
    return !d.empty() && d.back()["key"]["id"] == -1;
  }));
  auto all = col.deltas();
  ExpectGapFree(all);
  EXPECT_EQ(all[0]["seq"], 1);
  std::map<int, int> inserts, updates;
  for (const auto& d : all) {
    int id = d["key"]["id"].get<int>();
    if (d["op"] == "insert") ++inserts[id];
    if (d["op"] == "update") ++updates[id];
  }
  EXPECT_EQ(all.size(), expected + 1);
  EXPECT_EQ(inserts.size(), static_cast<size_t>(rows) + 1);
  EXPECT_EQ(updates.size(), static_cast<size_t>(transactions.load()));
  for (const auto& [id, n] : inserts) ASSERT_EQ(n, 1) << "insert of id " << id;
  for (const auto& [id, n] : updates) ASSERT_EQ(n, 1) << "update of id " << id;
  if (inserted != nullptr) *inserted = inserts.size();
  bridge.Stop();
}

// Proves that the bridge rides out a crash (an immediate stop) and a clean
// restart of its server: the rows written before, between and after arrive
// once each, in order, and the bridge runs on.
template <typename Server>
void ServerRestartUnderTheBridge(const BridgeSource<Server>& source) {
  SourceSql(source, "CREATE TABLE s (id int PRIMARY KEY)");
  BridgeUnderTest bridge("b", source.sources("s"));
  bridge.StartAndWaitForLog(source.streaming_log);
  Collector col(bridge.publish(), bridge.replay());
  SourceSql(source, "INSERT INTO s VALUES (1)");
  ASSERT_TRUE(col.WaitCount(1));
  ASSERT_TRUE(source.server->StopImmediate().ok());
  ASSERT_TRUE(source.server->Start().ok()) << source.server->LogTail();
  SourceSql(source, "INSERT INTO s VALUES (2)");
  ASSERT_TRUE(source.server->Restart().ok()) << source.server->LogTail();
  SourceSql(source, "INSERT INTO s VALUES (3)");
  ASSERT_TRUE(col.WaitCount(3, source.reconnect_timeout)) << col.size();
  // Give a repeat the time to show up behind the last delta.
  ASSERT_FALSE(col.WaitCount(4, std::chrono::milliseconds(1000)));
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 3u);
  ExpectGapFree(all);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(all[i]["key"]["id"], i + 1);
  EXPECT_TRUE(bridge.running());
  bridge.Stop();
}

// Proves that a bridge stopped cleanly resumes exactly where it stopped: a
// row streamed before the stop, two written while it was stopped (with
// `while_stopped`, when not empty, run between them) and one after the
// restart arrive once each, in order, gap-free from seq 1.
template <typename Server>
void RestartResumesExactly(const BridgeSource<Server>& source,
                           const std::string& while_stopped = "") {
  BridgeUnderTest bridge("b", source.sources("r"));
  ASSERT_NO_FATAL_FAILURE(StreamRowOneThenStop(source, bridge, "r"));
  SourceSql(source, "INSERT INTO r VALUES (2)");
  if (!while_stopped.empty()) SourceSql(source, while_stopped);
  SourceSql(source, "INSERT INTO r VALUES (3)");
  bridge.StartAndWaitForLog(source.streaming_log);
  Collector col(bridge.publish(), bridge.replay(), 1);
  SourceSql(source, "INSERT INTO r VALUES (4)");
  ASSERT_TRUE(col.WaitCount(4));
  ASSERT_FALSE(col.WaitCount(5, std::chrono::milliseconds(1000)));
  auto all = col.deltas();
  ASSERT_EQ(all.size(), 4u);
  ExpectGapFree(all);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(all[i]["key"]["id"], i + 1);
  bridge.Stop();
}

// Proves that a bridge whose position the server no longer has stops
// loudly, and that the recovery it names works: row 1 of table p (id int
// PRIMARY KEY) is streamed and the bridge stopped; `lose_position` then
// takes the position away (drops the slot, purges the binlog; it may write
// rows too, and a fatal failure in it ends the scenario). The next start
// exits 1 naming `--resnapshot src`; that start takes a new snapshot of the
// table's `rows` rows, numbered on after the delta journaled before.
template <typename Server>
void LostPositionStopsLoudly(const BridgeSource<Server>& source,
                             const std::function<void()>& lose_position, size_t rows) {
  BridgeUnderTest bridge("b", source.sources("p"));
  ASSERT_NO_FATAL_FAILURE(StreamRowOneThenStop(source, bridge, "p"));
  ASSERT_NO_FATAL_FAILURE(lose_position());
  bridge.Start();
  EXPECT_EQ(bridge.WaitExit(std::chrono::seconds(60)), 1) << bridge.log();
  EXPECT_NE(bridge.log().find("--resnapshot src"), std::string::npos) << bridge.log();
  // The explicit recovery takes a new snapshot and goes on numbering.
  bridge.Start({"--resnapshot", "src"});
  Collector col(bridge.publish(), bridge.replay(), 1);
  ASSERT_TRUE(col.WaitCount(1 + rows));
  auto all = col.deltas();
  ExpectGapFree(all);
  for (size_t i = 1; i <= rows; ++i) EXPECT_EQ(all[i]["op"], "snapshot") << i;
  bridge.Stop();
}

}  // namespace deltabridge::test
