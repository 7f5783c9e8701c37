// End-to-end tests of two-way sync (docs/two-way.md): databases that are
// both captured by a bridge and written by a sink, on a real PostgreSQL 15
// (one server, a database per node) and a real MariaDB 10.11, with real
// `deltabridge run` and `deltabridge sink` processes. Every topology must end
// with identical rows on every node and a bounded, exactly counted number of
// deltas: nothing echoes.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "cdc/odbc/odbc_connection.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/sink_scenarios.h"
#include "tests/integration/sink_test_base.h"
#include "tests/sinks/odbc/odbc_test_drivers.h"
#include "tests/support/test_mariadb.h"

namespace deltabridge::test {
namespace {

// REPLICA IDENTITY FULL: updates carry their before-image, which additive
// needs to compute an increment.
constexpr char kSlotsDdl[] =
    "CREATE TABLE slots (id int PRIMARY KEY, status text, seats int NOT NULL DEFAULT 0, "
    "note text); ALTER TABLE slots REPLICA IDENTITY FULL";
// What a node holds, to compare nodes: every row, ordered.
constexpr char kSlotsRows[] =
    "SELECT coalesce(string_agg(concat_ws(':', id, status, seats, note), ',' ORDER BY id), '') "
    "FROM slots";

// A mapping of slots from `topic` into public.slots: seats add up, the rest
// last writer wins by commit time.
std::string SlotsMapping(const std::string& topic, const std::string& to = "public.slots") {
  return "  - from: " + topic + "\n    to: " + to +
         "\n    key: [id]\n    rules: {default: last_writer_wins, seats: additive}\n";
}

// Deltas of `deltas` on topics starting with `prefix`; with `with_origin`,
// only those with (true) or without (false) an origin.
size_t CountDeltas(const std::vector<Json>& deltas, const std::string& prefix,
                   std::optional<bool> with_origin = std::nullopt) {
  size_t n = 0;
  for (const Json& d : deltas) {
    const std::string topic =
        d.value("bridge", "") + "." + d.value("source", "") + "." + d.value("table", "");
    if (!topic.starts_with(prefix)) continue;
    if (with_origin && d.contains("origin") != *with_origin) continue;
    ++n;
  }
  return n;
}

class TwoWayTest : public SinkTestBase {
 protected:
  TwoWayTest() : SinkTestBase("tw") {}

  // A PostgreSQL source of database `db` named `name`, with more keys `extra`
  // (indented by 4: "    forward: true\n").
  std::string PgSource(const std::string& name, const std::string& db,
                       const std::string& extra = "") {
    return "  - name: " + name + "\n    type: postgres\n    dsn: \"" + pg_->Conninfo(db) +
           "\"\n    slot: " + db + "_slot\n    tables: [public.slots]\n" + extra;
  }
  std::string PgTarget(const std::string& db, const std::string& node) {
    return "  type: postgres\n  dsn: \"" + pg_->Conninfo(db) + "\"\n  node: " + node + "\n";
  }
  // The scheduling and legacy databases both ways: the bridge "parks" over
  // `sources` (both databases), streaming, and a sink into each database
  // (its node set) following the other's changes and its own node's.
  struct Pair {
    std::unique_ptr<BridgeUnderTest> bridge;
    std::unique_ptr<SinkUnderTest> to_legacy, to_sched;
  };
  void StartPair(const std::string& sources, Pair* pair) {
    pair->bridge = std::make_unique<BridgeUnderTest>("parks", sources);
    ASSERT_NO_FATAL_FAILURE(StartStreamingBoth(*pair->bridge));
    const std::vector<std::string> topics = {"parks.scheduling.", "parks.legacy."};
    pair->to_legacy = std::make_unique<SinkUnderTest>(
        "to-legacy", *pair->bridge, topics, PgTarget(legacy(), "parks.legacy"),
        SlotsMapping("parks.scheduling.public.slots") + SlotsMapping("parks.legacy.public.slots"));
    pair->to_sched = std::make_unique<SinkUnderTest>(
        "to-sched", *pair->bridge, topics, PgTarget(sched(), "parks.scheduling"),
        SlotsMapping("parks.legacy.public.slots") + SlotsMapping("parks.scheduling.public.slots"));
    pair->to_legacy->Start();
    pair->to_sched->Start();
  }
  // Waits until every database in `dbs` holds the same rows as the first, and
  // that is `want` when given. Returns the rows.
  std::string WaitConverged(const std::vector<std::string>& dbs, const std::string& want = "",
                            std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    std::string first;
    bool same = WaitUntil(
        [&] {
          first = Value(dbs[0], kSlotsRows);
          if (!want.empty() && first != want) return false;
          for (size_t i = 1; i < dbs.size(); ++i) {
            if (Value(dbs[i], kSlotsRows) != first) return false;
          }
          return true;
        },
        timeout);
    if (!same) {
      std::string all;
      for (const std::string& db : dbs) all += db + ": " + Value(db, kSlotsRows) + "\n";
      ADD_FAILURE() << "nodes did not converge" << (want.empty() ? "" : " on " + want) << ":\n"
                    << all;
    }
    return first;
  }
  // The output of `deltabridge status SINK.yaml`.
  static std::string SinkStatus(const SinkUnderTest& sink) {
    return SinkUnderTest::Cli({"status", sink.config_path()}).output;
  }
};

// A pair of PostgreSQL databases, each writable, each a node; each side's
// sink also follows its own node (so last_writer_wins by commit time knows
// local writes). With forward: false (the default) what a sink writes is
// dropped by the bridge: every delta published is a local change, once.
TEST_F(TwoWayTest, PostgresPairConvergesAndPublishesEachChangeOnce) {
  Sql(sched(), kSlotsDdl);
  Sql(legacy(), kSlotsDdl);
  Pair pair;
  ASSERT_NO_FATAL_FAILURE(StartPair(Sources("[public.slots]", "[public.slots]"), &pair));
  BridgeUnderTest& bridge = *pair.bridge;
  SinkUnderTest& to_legacy = *pair.to_legacy;
  SinkUnderTest& to_sched = *pair.to_sched;
  Collector all(bridge.publish(), bridge.replay());

  // A booking on each side reaches the other.
  Sql(sched(), "INSERT INTO slots VALUES (1, 'open', 0, 'from scheduling')");
  Sql(legacy(), "INSERT INTO slots VALUES (2, 'open', 0, 'from legacy')");
  WaitConverged({sched(), legacy()}, "1:open:0:from scheduling,2:open:0:from legacy");
  // Updates on each side, of each other's rows.
  Sql(legacy(), "UPDATE slots SET status = 'booked' WHERE id = 1");
  Sql(sched(), "UPDATE slots SET note = 'moved' WHERE id = 2");
  WaitConverged({sched(), legacy()}, "1:booked:0:from scheduling,2:open:0:moved");
  // Increments on both sides of one counter count once each, on both sides.
  Sql(sched(), "UPDATE slots SET seats = seats + 3 WHERE id = 1");
  Sql(legacy(), "UPDATE slots SET seats = seats + 4 WHERE id = 1");
  WaitConverged({sched(), legacy()}, "1:booked:7:from scheduling,2:open:0:moved");
  // A delete on one side.
  Sql(legacy(), "DELETE FROM slots WHERE id = 2");
  WaitConverged({sched(), legacy()}, "1:booked:7:from scheduling");

  // Seven local changes, seven deltas: none published twice, none with an
  // origin (forward: false drops what the sinks wrote), and no more come.
  ASSERT_TRUE(WaitCaughtUp(to_legacy));
  ASSERT_TRUE(WaitCaughtUp(to_sched));
  ASSERT_TRUE(all.WaitCount(7));
  std::vector<Json> deltas = all.deltas();
  EXPECT_EQ(CountDeltas(deltas, "parks.scheduling.public.slots", false), 3u);
  EXPECT_EQ(CountDeltas(deltas, "parks.legacy.public.slots", false), 4u);
  EXPECT_EQ(CountDeltas(deltas, "parks.", true), 0u);
  EXPECT_EQ(CountDeltas(deltas, "parks.scheduling.public.deltabridge"), 0u);
  EXPECT_EQ(CountDeltas(deltas, "parks.legacy.public.deltabridge"), 0u);
  // Another local change after all that: it is the eighth delta.
  Sql(sched(), "UPDATE slots SET note = 'last' WHERE id = 1");
  WaitConverged({sched(), legacy()}, "1:booked:7:last");
  ASSERT_TRUE(all.WaitCount(8));
  ASSERT_TRUE(WaitCaughtUp(to_legacy));
  EXPECT_EQ(all.size(), 8u);

  // An application pushes a booking into scheduling through to-sched: the
  // bridge publishes it with its origin (a push asks to be published), and
  // it reaches legacy; to-sched suppresses the copy (its node is on the path).
  // A second booking is pushed with a ref: it comes back with it.
  Result<TempDir> dir = TempDir::Create("dbtw-");
  ASSERT_TRUE(dir.ok());
  const std::string in = dir->Write(
      "push.in",
      R"({"op":"insert","key":{"id":5},"changes":{"status":{"new":"app"},"seats":{"new":1},)"
      R"("note":{"new":"pushed"}}})"
      "\n"
      R"({"op":"insert","key":{"id":6},"changes":{"status":{"new":"app"},"seats":{"new":2},)"
      R"("note":{"new":"with ref"}},"ref":"app:17"})"
      "\n");
  Result<RunResult> push = RunCommand(
      {"/bin/sh", "-c", "exec \"$@\" <\"$0\"", in, DeltabridgeBin(), "push", to_sched.config_path(),
       "--mapping", "public.slots", "--from", "parks.legacy.public.slots", "--node", "app.web"},
      std::chrono::seconds(60));
  ASSERT_TRUE(push.ok()) << push.status().ToString();
  EXPECT_EQ(push->status.exit_code, 0) << push->output;
  EXPECT_NE(push->output.find(R"({"line":1,"result":"applied"})"), std::string::npos)
      << push->output;
  EXPECT_NE(push->output.find(R"({"line":2,"result":"applied"})"), std::string::npos)
      << push->output;
  WaitConverged({sched(), legacy()}, "1:booked:7:last,5:app:1:pushed,6:app:2:with ref");
  ASSERT_TRUE(all.WaitCount(10));
  ASSERT_TRUE(WaitCaughtUp(to_legacy));
  ASSERT_TRUE(WaitCaughtUp(to_sched));
  deltas = all.deltas();
  ASSERT_EQ(deltas.size(), 10u);
  const Json& pushed = deltas[8];
  const Json& pushed_with_ref = deltas[9];
  EXPECT_EQ(pushed["key"]["id"], 5) << pushed.dump();
  EXPECT_EQ(pushed["origin"], Json::parse(R"(["app.web","parks.scheduling"])")) << pushed.dump();
  EXPECT_FALSE(pushed.contains("ref")) << pushed.dump();
  EXPECT_EQ(pushed_with_ref["key"]["id"], 6) << pushed_with_ref.dump();
  EXPECT_EQ(pushed_with_ref["origin"], Json::parse(R"(["app.web","parks.scheduling"])"))
      << pushed_with_ref.dump();
  EXPECT_EQ(pushed_with_ref["ref"], "app:17") << pushed_with_ref.dump();
  // to-legacy wrote it into legacy with the ref it came with, in its tag.
  EXPECT_EQ(Value(legacy(),
                  "SELECT tag::json->>'ref' FROM deltabridge_origin WHERE writer = "
                  "'to-legacy'"),
            "app:17");
  to_legacy.Stop();
  to_sched.Stop();
  bridge.Stop();
}

// The same pair with forward: true on both sources, the way a tool without
// tags would behave: every change a sink writes is published again, with an
// origin, and each sink suppresses the copy of its own node's change.
TEST_F(TwoWayTest, ForwardedEchoesAreSuppressedBySinksAndCounted) {
  Sql(sched(), kSlotsDdl);
  Sql(legacy(), kSlotsDdl);
  const std::string sources = PgSource("scheduling", sched(), "    forward: true\n") +
                              PgSource("legacy", legacy(), "    forward: true\n");
  Pair pair;
  ASSERT_NO_FATAL_FAILURE(StartPair(sources, &pair));
  BridgeUnderTest& bridge = *pair.bridge;
  SinkUnderTest& to_legacy = *pair.to_legacy;
  SinkUnderTest& to_sched = *pair.to_sched;
  Collector all(bridge.publish(), bridge.replay());

  Sql(sched(), "INSERT INTO slots VALUES (1, 'open', 5, 'a')");
  WaitConverged({sched(), legacy()}, "1:open:5:a");
  Sql(legacy(), "UPDATE slots SET seats = seats + 2 WHERE id = 1");
  WaitConverged({sched(), legacy()}, "1:open:7:a");
  ASSERT_TRUE(WaitCaughtUp(to_legacy));
  ASSERT_TRUE(WaitCaughtUp(to_sched));
  // Two local changes, each published once more by the node it was applied
  // into, with the path it took; and nothing after that (the counter would
  // grow with every round of an echo).
  ASSERT_TRUE(all.WaitCount(4));
  std::vector<Json> deltas = all.deltas();
  EXPECT_EQ(CountDeltas(deltas, "parks.", false), 2u);
  ASSERT_EQ(CountDeltas(deltas, "parks.", true), 2u);
  for (const Json& d : deltas) {
    if (!d.contains("origin")) continue;
    if (d["source"] == "legacy") {
      EXPECT_EQ(d["origin"], Json::parse(R"(["parks.scheduling","parks.legacy"])")) << d.dump();
    } else {
      EXPECT_EQ(d["origin"], Json::parse(R"(["parks.legacy","parks.scheduling"])")) << d.dump();
    }
  }
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(Value(sched(), kSlotsRows), "1:open:7:a");
  // Each sink suppressed the copy of one change of its own node.
  EXPECT_NE(SinkStatus(to_sched).find("suppressed"), std::string::npos) << SinkStatus(to_sched);
  to_legacy.Stop();
  to_sched.Stop();
  bridge.Stop();
}

// A -> H <- C, H a hub that forwards: A's change reaches C exactly once
// (through H), never returns to A, and is not applied into H again; a
// dashboard following all three nodes counts every increment once.
TEST_F(TwoWayTest, HubForwardsBetweenItsNeighboursExactlyOnce) {
  const std::string c = name_ + "_c";
  ASSERT_TRUE(pg_->CreateDatabase(c).ok());
  const std::string dash = name_ + "_dash";
  ASSERT_TRUE(pg_->CreateDatabase(dash).ok());
  for (const std::string& db : {sched(), legacy(), c, dash}) Sql(db, kSlotsDdl);
  // a = scheduling, h = legacy (forwarding), c.
  const std::string sources =
      PgSource("a", sched()) + PgSource("h", legacy(), "    forward: true\n") + PgSource("c", c);
  BridgeUnderTest bridge("parks", sources);
  bridge.StartStreaming();
  ASSERT_TRUE(WaitUntil([&] {
    return bridge.log().find("source a: streaming") != std::string::npos &&
           bridge.log().find("source h: streaming") != std::string::npos &&
           bridge.log().find("source c: streaming") != std::string::npos;
  })) << bridge.log();
  SinkUnderTest into_h("into-h", bridge, {"parks.a.", "parks.c.", "parks.h."},
                       PgTarget(legacy(), "parks.h"),
                       SlotsMapping("parks.a.public.slots") + SlotsMapping("parks.c.public.slots") +
                           SlotsMapping("parks.h.public.slots"));
  SinkUnderTest into_a("into-a", bridge, {"parks.h.", "parks.a."}, PgTarget(sched(), "parks.a"),
                       SlotsMapping("parks.h.public.slots") + SlotsMapping("parks.a.public.slots"));
  SinkUnderTest into_c("into-c", bridge, {"parks.h.", "parks.c."}, PgTarget(c, "parks.c"),
                       SlotsMapping("parks.h.public.slots") + SlotsMapping("parks.c.public.slots"));
  // The dashboard follows every node directly: the hub's forwarded copies of
  // a's and c's changes are skipped.
  SinkUnderTest dashboard("dashboard", bridge, {"parks."},
                          "  type: postgres\n  dsn: \"" + pg_->Conninfo(dash) + "\"\n",
                          SlotsMapping("parks.*.public.slots"));
  for (SinkUnderTest* s : {&into_h, &into_a, &into_c, &dashboard}) s->Start();
  Collector all(bridge.publish(), bridge.replay());

  Sql(sched(), "INSERT INTO slots VALUES (1, 'open', 1, 'from a')");
  WaitConverged({sched(), legacy(), c, dash}, "1:open:1:from a");
  Sql(c, "UPDATE slots SET seats = seats + 10, status = 'booked' WHERE id = 1");
  WaitConverged({sched(), legacy(), c, dash}, "1:booked:11:from a");
  Sql(legacy(), "UPDATE slots SET seats = seats + 100 WHERE id = 1");
  WaitConverged({sched(), legacy(), c, dash}, "1:booked:111:from a");
  for (SinkUnderTest* s : {&into_h, &into_a, &into_c, &dashboard}) ASSERT_TRUE(WaitCaughtUp(*s));

  // Published: three local changes, and the hub's forwarded copies of a's and
  // c's (with their paths). Nothing from a or c with an origin (they do not
  // forward), nothing more.
  ASSERT_TRUE(all.WaitCount(5));
  std::vector<Json> deltas = all.deltas();
  EXPECT_EQ(CountDeltas(deltas, "parks.", false), 3u);
  EXPECT_EQ(CountDeltas(deltas, "parks.a.", true), 0u);
  EXPECT_EQ(CountDeltas(deltas, "parks.c.", true), 0u);
  std::vector<Json> forwarded;
  for (const Json& d : deltas) {
    if (d.contains("origin")) forwarded.push_back(d["origin"]);
  }
  ASSERT_EQ(forwarded.size(), 2u);
  EXPECT_EQ(forwarded[0], Json::parse(R"(["parks.a","parks.h"])"));
  EXPECT_EQ(forwarded[1], Json::parse(R"(["parks.c","parks.h"])"));
  EXPECT_EQ(all.size(), 5u);
  EXPECT_NE(SinkStatus(dashboard).find("suppressed"), std::string::npos) << SinkStatus(dashboard);
  for (SinkUnderTest* s : {&into_h, &into_a, &into_c, &dashboard}) s->Stop();
  bridge.Stop();
}

// Randomized writers on both sides of a pair, on a few shared rows, while a
// sink and the bridge are killed with SIGKILL and restarted: both sides end
// identical, every increment counted once on each, and the bridge published
// exactly one delta per local change.
TEST_F(TwoWayTest, RandomConcurrentWritersWithKillsConverge) {
  Sql(sched(), kSlotsDdl);
  Sql(legacy(), kSlotsDdl);
  Sql(sched(), "INSERT INTO slots SELECT g, 'open', 0, '' FROM generate_series(1, 20) g");
  Sql(legacy(), "INSERT INTO slots SELECT g, 'open', 0, '' FROM generate_series(1, 20) g");
  Pair pair;
  ASSERT_NO_FATAL_FAILURE(StartPair(Sources("[public.slots]", "[public.slots]"), &pair));
  BridgeUnderTest& bridge = *pair.bridge;
  SinkUnderTest& to_legacy = *pair.to_legacy;
  SinkUnderTest& to_sched = *pair.to_sched;

  // Each writer: one-row UPDATEs, each its own transaction: an increment, a
  // status or a note, on a random one of 20 rows.
  constexpr int kChangesPerSide = 1500;
  std::atomic<int> increments{0};
  auto writer = [&](const std::string& db, unsigned seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < kChangesPerSide; ++i) {
      const int id = 1 + static_cast<int>(rng() % 20);
      switch (rng() % 3) {
        case 0:
          Sql(db, "UPDATE slots SET seats = seats + 1 WHERE id = " + std::to_string(id));
          increments++;
          break;
        case 1:
          Sql(db, "UPDATE slots SET status = '" + db.substr(db.size() - 3) + std::to_string(i) +
                      "' WHERE id = " + std::to_string(id));
          break;
        default:
          // (A value unique to this side and step: an UPDATE that changes
          // nothing gives no delta.)
          Sql(db, "UPDATE slots SET note = 'n" + db.substr(db.size() - 3) + std::to_string(i) +
                      "' WHERE id = " + std::to_string(id));
          break;
      }
    }
  };
  std::thread a(writer, sched(), 1);
  std::thread b(writer, legacy(), 2);
  // Kill -9 a sink and the bridge while the writers run.
  ASSERT_TRUE(WaitUntil([&] { return increments.load() > 200; }));
  to_legacy.Kill9();
  to_legacy.Start();
  ASSERT_TRUE(WaitUntil([&] { return increments.load() > 500; }));
  bridge.Kill9();
  bridge.Start();
  a.join();
  b.join();

  const std::string converged = WaitConverged({sched(), legacy()}, "", std::chrono::seconds(300));
  EXPECT_EQ(Value(sched(), "SELECT sum(seats) FROM slots"), std::to_string(increments.load()));
  EXPECT_EQ(Value(legacy(), "SELECT sum(seats) FROM slots"), std::to_string(increments.load()));
  ASSERT_TRUE(WaitCaughtUp(to_legacy));
  ASSERT_TRUE(WaitCaughtUp(to_sched));
  // Exactly one delta per local change (2 x 1500, after each side's
  // snapshot of its 20 rows), none with an origin.
  Collector all(bridge.publish(), bridge.replay());
  EXPECT_TRUE(all.WaitCount(2 * (kChangesPerSide + 20))) << all.size() << " deltas";
  std::vector<Json> deltas = all.deltas();
  std::map<std::string, int> by_kind;
  for (const Json& d : deltas) {
    by_kind[d.value("source", "") + " " + d.value("op", "") +
            (d.contains("origin") ? " origin" : "")]++;
  }
  if (HasFailure()) {
    for (const auto& [kind, n] : by_kind)
      std::fprintf(stderr, "published: %s %d\n", kind.c_str(), n);
  }
  EXPECT_EQ(CountDeltas(deltas, "parks.scheduling.public.slots", false),
            static_cast<size_t>(kChangesPerSide + 20));
  EXPECT_EQ(CountDeltas(deltas, "parks.legacy.public.slots", false),
            static_cast<size_t>(kChangesPerSide + 20));
  EXPECT_EQ(CountDeltas(deltas, "parks.", true), 0u);
  ExpectGapFree(deltas);
  to_legacy.Stop();
  to_sched.Stop();
  bridge.Stop();
}

// PostgreSQL <-> MariaDB: the scheduling database and a legacy MariaDB
// database, each captured by its own bridge (pgoutput; the binlog) and
// written by the other's sink. The tag goes through the binlog.
class TwoWayMariadbTest : public TwoWayTest {
 protected:
  static void SetUpTestSuite() {
    TwoWayTest::SetUpTestSuite();
    if (HasFatalFailure()) return;
    TestMariadb::Options o;
    o.binlog = true;
    my_ = new TestMariadb(o);
    Status s = my_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << my_->LogTail();
  }
  static void TearDownTestSuite() {
    delete my_;
    my_ = nullptr;
    TwoWayTest::TearDownTestSuite();
  }
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(TwoWayTest::SetUp());
    ASSERT_NE(my_, nullptr);
    ASSERT_TRUE(my_->CreateDatabase(my_db()).ok());
  }
  std::string my_db() const { return name_ + "_my"; }
  void MySql(const std::string& sql) {
    Status s = my_->Exec(sql, my_db());
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << sql;
  }
  std::string MyRows() {
    Result<std::string> r = my_->QueryValue(
        "SELECT coalesce(group_concat(concat_ws(':', id, status, seats, note) ORDER BY id "
        "SEPARATOR ','), '') FROM slots",
        my_db());
    return r.ok() ? *r : "error: " + r.status().ToString();
  }
  // host, port, user and password keys, each line but the first indented by `indent`.
  std::string MysqlLogin(const std::string& indent) {
    return "host: 127.0.0.1\n" + indent + "port: " + std::to_string(my_->port()) + "\n" + indent +
           "user: " + my_->user() + "\n" + indent + "password: \"" + my_->password() + "\"\n";
  }
  // Waits until the MariaDB node and the scheduling node hold `want`.
  void WaitBoth(const std::string& want) {
    bool same = WaitUntil([&] { return MyRows() == want && Value(sched(), kSlotsRows) == want; },
                          std::chrono::seconds(120));
    EXPECT_TRUE(same) << "want " << want << "\nmariadb: " << MyRows()
                      << "\nscheduling: " << Value(sched(), kSlotsRows);
  }

  static TestMariadb* my_;
};

TestMariadb* TwoWayMariadbTest::my_ = nullptr;

TEST_F(TwoWayMariadbTest, PostgresAndMariadbConvergeWithoutEcho) {
  Sql(sched(), kSlotsDdl);
  MySql(
      "CREATE TABLE slots (id int PRIMARY KEY, status varchar(50), seats int NOT NULL DEFAULT 0, "
      "note varchar(200))");
  BridgeUnderTest parks("parks", OneSource("[public.slots]"));
  parks.StartStreaming();
  BridgeUnderTest legacy("legacy", "  - name: main\n    type: mysql\n    " + MysqlLogin("    ") +
                                       "    server_id: 77\n    tables: [\"" + my_db() +
                                       ".slots\"]\n");
  legacy.StartAndWaitForLog("streaming from binlog");
  const std::string subscribe =
      SinkUnderTest::SubscribeEntry(parks, "parks", {"parks.scheduling."}) +
      SinkUnderTest::SubscribeEntry(legacy, "legacy", {"legacy.main."});
  const std::string my_topic = "legacy.main." + my_db() + ".slots";
  SinkUnderTest to_legacy(
      "to-legacy", subscribe,
      "  type: mysql\n  " + MysqlLogin("  ") + "  database: " + my_db() + "\n  node: legacy.main\n",
      SlotsMapping("parks.scheduling.public.slots", "slots") + SlotsMapping(my_topic, "slots"));
  SinkUnderTest to_sched("to-sched", subscribe, PgTarget(sched(), "parks.scheduling"),
                         SlotsMapping(my_topic) + SlotsMapping("parks.scheduling.public.slots"));
  to_legacy.Start();
  to_sched.Start();
  Collector from_legacy(legacy.publish(), legacy.replay());
  Collector from_parks(parks.publish(), parks.replay());

  Sql(sched(), "INSERT INTO slots VALUES (1, 'open', 0, 'from scheduling')");
  MySql("INSERT INTO slots VALUES (2, 'open', 0, 'from legacy')");
  WaitBoth("1:open:0:from scheduling,2:open:0:from legacy");
  // (MariaDB's binlog gives commit times in whole seconds: fields that both
  // sides write within one second are decided by that second, so each side
  // here changes other fields of a row, and both count into the additive one.)
  MySql("UPDATE slots SET status = 'booked', seats = seats + 2 WHERE id = 2");
  Sql(sched(), "UPDATE slots SET seats = seats + 5 WHERE id = 2");
  Sql(sched(), "UPDATE slots SET note = 'moved' WHERE id = 2");
  MySql("UPDATE slots SET seats = seats + 1 WHERE id = 1");
  WaitBoth("1:open:1:from scheduling,2:booked:7:moved");
  // A transaction with several rows on the MariaDB side.
  MySql(
      "BEGIN; INSERT INTO slots VALUES (3, 'open', 1, 'x'); "
      "UPDATE slots SET seats = seats + 1 WHERE id = 2; COMMIT");
  WaitBoth("1:open:1:from scheduling,2:booked:8:moved,3:open:1:x");
  ASSERT_TRUE(WaitCaughtUp(to_legacy));
  ASSERT_TRUE(WaitCaughtUp(to_sched));
  // Each bridge published its own node's changes once, and nothing else.
  ASSERT_TRUE(from_parks.WaitCount(3));
  ASSERT_TRUE(from_legacy.WaitCount(5));
  EXPECT_EQ(from_parks.size(), 3u);
  EXPECT_EQ(from_legacy.size(), 5u);
  EXPECT_EQ(CountDeltas(from_legacy.deltas(), "legacy.", true), 0u);
  EXPECT_EQ(CountDeltas(from_parks.deltas(), "parks.", true), 0u);
  to_legacy.Stop();
  to_sched.Stop();
  legacy.Stop();
  parks.Stop();
}

// PostgreSQL <-> SQLite through ODBC. An ODBC source has no transactions to
// read a tag from: a row the sink wrote into SQLite is polled back and
// published once as the ODBC node's own change. The scheduling side's sink
// finds it agrees with what it holds, and what it writes is tagged and
// dropped by the PostgreSQL bridge: one extra delta per change that crossed
// into the ODBC node, and then nothing (docs/two-way.md, "ODBC sources").
TEST_F(TwoWayTest, PostgresAndAnOdbcNodeConvergeWithABoundedEcho) {
  Result<std::string> driver = SqliteOdbcDriver();
  ASSERT_TRUE(driver.ok()) << driver.status().ToString();
  Result<TempDir> dir = TempDir::Create("dbtw-");
  ASSERT_TRUE(dir.ok());
  const std::string dsn = SqliteConnectionString(*driver, dir->Join("legacy.db"));
  Result<std::unique_ptr<odbc::OdbcConnection>> conn = odbc::OdbcConnection::Connect(dsn);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto lite = [&](const std::string& sql) {
    Status st = (*conn)->Exec(sql);
    ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << sql;
  };
  auto lite_rows = [&]() -> std::string {
    Result<std::unique_ptr<odbc::OdbcCursor>> c = (*conn)->Query(
        "SELECT coalesce(group_concat(r, ','), '') FROM (SELECT id || ':' || status || ':' || "
        "seats || ':' || note AS r FROM slots ORDER BY id)");
    if (!c.ok()) return "error: " + c.status().ToString();
    std::vector<deltabridge::Value> row;
    Result<bool> more = (*c)->Next(&row);
    if (!more.ok() || !*more || row.empty()) return "error: no row";
    return row[0].text;
  };
  lite("PRAGMA journal_mode = WAL");
  lite(
      "CREATE TABLE slots (id INTEGER PRIMARY KEY, status TEXT, seats INTEGER NOT NULL, "
      "note TEXT)");
  Sql(sched(), kSlotsDdl);
  BridgeUnderTest parks("parks", OneSource("[public.slots]"));
  parks.StartStreaming();
  BridgeUnderTest legacy("legacy", "  - name: main\n    type: odbc\n    dsn: \"" + dsn +
                                       "\"\n    poll_interval: 200ms\n    tables:\n"
                                       "      - {name: slots, key: [id], mode: diff}\n");
  legacy.StartAndWaitForLog("every table polled once");
  const std::string subscribe =
      SinkUnderTest::SubscribeEntry(parks, "parks", {"parks.scheduling."}) +
      SinkUnderTest::SubscribeEntry(legacy, "legacy", {"legacy.main."});
  const std::string lww = "\n    key: [id]\n    rules: {default: last_writer_wins}\n";
  SinkUnderTest to_legacy("to-legacy", subscribe,
                          "  type: odbc\n  dsn: \"" + dsn + "\"\n  node: legacy.main\n",
                          "  - from: parks.scheduling.public.slots\n    to: slots" + lww);
  SinkUnderTest to_sched("to-sched", subscribe, PgTarget(sched(), "parks.scheduling"),
                         "  - from: legacy.main.slots\n    to: public.slots" + lww +
                             "  - from: parks.scheduling.public.slots\n    to: public.slots" + lww);
  to_legacy.Start();
  to_sched.Start();
  Collector from_legacy(legacy.publish(), legacy.replay());
  Collector from_parks(parks.publish(), parks.replay());
  auto wait_both = [&](const std::string& want) {
    bool same = WaitUntil([&] { return lite_rows() == want && Value(sched(), kSlotsRows) == want; },
                          std::chrono::seconds(120));
    EXPECT_TRUE(same) << "want " << want << "\nsqlite: " << lite_rows()
                      << "\nscheduling: " << Value(sched(), kSlotsRows);
  };

  Sql(sched(), "INSERT INTO slots VALUES (1, 'open', 2, 'from scheduling')");
  lite("INSERT INTO slots VALUES (2, 'open', 3, 'from legacy')");
  wait_both("1:open:2:from scheduling,2:open:3:from legacy");
  // (Each step waits for the poll that sees it: one poll seeing two steps of
  // one row would publish them as one delta.)
  ASSERT_TRUE(from_legacy.WaitCount(2));
  Sql(sched(), "UPDATE slots SET status = 'booked' WHERE id = 2");
  lite("UPDATE slots SET note = 'moved' WHERE id = 1");
  wait_both("1:open:2:moved,2:booked:3:from legacy");
  ASSERT_TRUE(from_legacy.WaitCount(4));
  ASSERT_TRUE(WaitCaughtUp(to_legacy));
  ASSERT_TRUE(WaitCaughtUp(to_sched));
  // Markers, one made on each side after everything above: the stream of
  // each bridge is in order, so once both markers (and the ODBC node's copy
  // of scheduling's) have arrived, any echo of the changes before them would
  // have arrived too.
  Sql(sched(), "INSERT INTO slots VALUES (98, 'marker', 0, 's')");
  lite("INSERT INTO slots VALUES (99, 'marker', 0, 'l')");
  ASSERT_TRUE(WaitUntil([&] {
    return Value(sched(), "SELECT count(*) FROM slots WHERE id IN (98, 99)") == "2" &&
           CountDeltas(from_legacy.deltas(), "legacy.main.slots") >= 6;
  }));
  ASSERT_TRUE(WaitCaughtUp(to_legacy));
  ASSERT_TRUE(WaitCaughtUp(to_sched));
  // scheduling published its three changes; the ODBC node its three and one
  // copy of each of scheduling's: a bounded echo, once per change.
  std::vector<Json> parks_deltas = from_parks.deltas();
  std::vector<Json> legacy_deltas = from_legacy.deltas();
  EXPECT_EQ(parks_deltas.size(), 3u);
  EXPECT_EQ(legacy_deltas.size(), 6u);
  EXPECT_EQ(CountDeltas(parks_deltas, "parks.", true), 0u);
  wait_both("1:open:2:moved,2:booked:3:from legacy,98:marker:0:s,99:marker:0:l");
  to_legacy.Stop();
  to_sched.Stop();
  legacy.Stop();
  parks.Stop();
}

}  // namespace
}  // namespace deltabridge::test
