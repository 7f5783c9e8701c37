// End-to-end tests of the application gateway (docs/gateway.md): a real
// PostgreSQL 15, a real bridge, a real `deltabridge gateway`, and real
// clients: Node.js with the ws library (tests/gateway/js/ws_subscriber.mjs,
// raw and running the shipped client.js), curl, and headless Chromium
// loading the gateway's own page (tests/gateway/js/cdp_page.mjs).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/bridge_harness.h"
#include "tests/integration/gateway_harness.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/sink_test_base.h"

namespace deltabridge::test {
namespace {

using nlohmann::json;

constexpr const char* kSlotsTable =
    "CREATE TABLE slots (id INT PRIMARY KEY, status TEXT, seats INT, tenant_id INT, notes TEXT);"
    "ALTER TABLE slots REPLICA IDENTITY FULL";

// The entity `slots`: the scheduling database's table, notes never shown;
// pushes go back into the same table, named by node so the bridge publishes them.
std::string SlotsEntity(const std::string& dsn, const std::string& rules = "last_writer_wins",
                        const std::string& extra = "") {
  return "  - name: slots\n    from: [parks.scheduling.public.slots]\n    exclude: [notes]\n" +
         extra + "    push:\n      target: {type: postgres, dsn: \"" + dsn +
         "\", node: parks.scheduling}\n      to: public.slots\n      key: [id]\n"
         "      rules: {default: " +
         rules + "}\n";
}

bool IsControl(const json& line, const std::string& control) {
  return line.value("control", "") == control;
}

// The rows a raw client holds after every line it printed.
ClientRows RowsOf(const NodeClient& client) {
  ClientRows rows;
  for (const json& line : client.Lines()) {
    if (line.contains("op") || line.contains("control")) rows.Apply(line);
  }
  return rows;
}

class GatewayTest : public SinkTestBase {
 protected:
  GatewayTest() : SinkTestBase("gw") {}

  // The bridge over the scheduling database (table slots), streaming.
  void StartBridge() {
    Sql(sched(), kSlotsTable);
    bridge_ = std::make_unique<BridgeUnderTest>("parks", OneSource("[public.slots]"));
    ASSERT_NO_FATAL_FAILURE(bridge_->StartStreaming());
  }
  void MakeGateway(const std::string& entities, const std::string& extra = "") {
    gateway_ = std::make_unique<GatewayUnderTest>("app", *bridge_, entities, extra);
  }
  // The rows of slots the entity shows, as a client holds them ("notes" excluded).
  std::string DbRows(const std::string& where = "true") {
    ClientRows rows;
    Result<std::vector<TestPostgres::Row>> r =
        pg_->Query("SELECT id, status, seats, tenant_id FROM slots WHERE " + where, sched());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "";
    for (const auto& row : *r) {
      json values = json::object();
      auto value = [](const std::optional<std::string>& v, bool number) -> json {
        if (!v) return nullptr;
        return number ? json(std::stoll(*v)) : json(*v);
      };
      values["id"] = value(row[0], true);
      values["status"] = value(row[1], false);
      values["seats"] = value(row[2], true);
      values["tenant_id"] = value(row[3], true);
      rows.rows["public.slots|" + json{{"id", values["id"]}}.dump()] = values;
    }
    return rows.Text();
  }
  std::unique_ptr<NodeClient> Raw(const std::string& query, const std::string& token,
                                  const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {gateway_->WsUrl("/sync/slots" + query)};
    if (!token.empty()) {
      args.push_back("--token");
      args.push_back(token);
    }
    args.push_back("--timeout-ms");
    args.push_back("300000");
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<NodeClient>(args);
  }

  std::unique_ptr<BridgeUnderTest> bridge_;
  std::unique_ptr<GatewayUnderTest> gateway_;
};

// The current rows, consistent with one seq, then each change live with only
// the fields that changed (old and new), renamed and excluded as the entity says.
TEST_F(GatewayTest, ANewClientGetsTheCurrentRowsThenEveryChange) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(),
      "INSERT INTO slots VALUES (1,'open',3,7,'n1'),(2,'open',5,7,'n2'),(3,'closed',0,8,'n3')");
  const int metrics_port = FreeLoopbackPort();
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())),
              "  metrics: 127.0.0.1:" + std::to_string(metrics_port) + "\n");
  const std::string token = gateway_->AddToken("app", {"--read", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());

  auto client = Raw("", token);
  ASSERT_TRUE(client->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));
  // The gateway may have received the rows after the client came: wait for all three.
  ASSERT_TRUE(WaitUntil([&] { return RowsOf(*client).rows.size() == 3; })) << client->output();
  EXPECT_EQ(RowsOf(*client).Text(), DbRows());

  Sql(sched(), "UPDATE slots SET status = 'booked', notes = 'x' WHERE id = 2");
  ASSERT_TRUE(client->WaitFor([](const json& l) { return l.value("op", "") == "update"; }));
  for (const json& line : client->Lines()) {
    if (line.value("op", "") != "update") continue;
    EXPECT_EQ(line["key"], json({{"id", 2}}));
    // notes is excluded: the change shows status alone, with its old value.
    EXPECT_EQ(line["changes"], json::parse(R"({"status":{"old":"open","new":"booked"}})"));
    EXPECT_EQ(line["table"], "public.slots");
    EXPECT_TRUE(line["seq"].is_number());
    EXPECT_TRUE(line["ts"].is_string());
  }
  EXPECT_EQ(RowsOf(*client).Text(), DbRows());
  // The metrics count the stream (refreshed once a second).
  ASSERT_TRUE(WaitUntil([&] {
    const HttpResult scrape =
        Http("GET", "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics");
    return MetricValue(scrape.body, "deltabridge_gateway_streams{gateway=\"app\"}") == 1 &&
           MetricValue(scrape.body,
                       "deltabridge_gateway_applied_seq{gateway=\"app\",bridge=\"parks\"}") >= 4;
  }));
  client->Kill();
  gateway_->Stop();
}

// A client that joins after the bridge's journal dropped the entity's early
// deltas still gets every current row: the gateway keeps them.
TEST_F(GatewayTest, AClientJoiningAfterTheJournalDroppedTheEarlyDeltasGetsEveryRow) {
  Sql(sched(), kSlotsTable);
  bridge_ = std::make_unique<BridgeUnderTest>("parks", OneSource("[public.slots]"),
                                              "  retention: {max_bytes: 4KiB}\n");
  ASSERT_NO_FATAL_FAILURE(bridge_->StartStreaming());
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())));
  const std::string token = gateway_->AddToken("app", {"--read", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  Sql(sched(),
      "INSERT INTO slots SELECT g, 'open', g, 7, repeat('p', 100) "
      "FROM generate_series(1, 50) g");
  // The gateway has applied them (its status says so) ...
  ASSERT_TRUE(WaitUntil([&] {
    const RunResult r = SinkUnderTest::Cli({"status", gateway_->config_path()});
    return r.output.find("applied through seq 50 ") != std::string::npos;
  })) << SinkUnderTest::Cli({"status", gateway_->config_path()}).output;
  // ... then the journal drops them (retention runs when the bridge starts).
  bridge_->Stop();
  bridge_->StartAndWaitForLog("journal retention: removed seq 1..");
  const RunResult gone = SinkUnderTest::Cli(
      {"tail", bridge_->publish(), "--replay", bridge_->replay(), "--from", "1"});
  ASSERT_NE(gone.output.find("gone, the bridge's journal now starts at seq"), std::string::npos)
      << gone.output;
  auto client = Raw("", token);
  ASSERT_TRUE(client->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));
  ASSERT_TRUE(WaitUntil([&] { return RowsOf(*client).Text() == DbRows(); }))
      << RowsOf(*client).Text() << "\nvs\n"
      << DbRows();
  EXPECT_EQ(RowsOf(*client).rows.size(), 50u);
  gateway_->Stop();
}

// A subset: rows entering and leaving `status = 'open' AND seats < 10` under
// concurrent updates arrive as inserts and deletes; the client ends holding
// exactly the rows of the subset.
TEST_F(GatewayTest, ASubsetFollowsRowsInAndOutUnderConcurrentUpdates) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(),
      "INSERT INTO slots SELECT g, CASE WHEN g % 2 = 0 THEN 'open' ELSE 'closed' END, "
      "g % 15, 7, 'n' FROM generate_series(1, 40) g");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())));
  const std::string token = gateway_->AddToken("app", {"--read", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  ASSERT_TRUE(WaitUntil([&] {
    return SinkUnderTest::Cli({"status", gateway_->config_path()})
               .output.find("applied through seq 40 ") != std::string::npos;
  }));
  auto subset = Raw("?where=status%20%3D%20'open'%20AND%20seats%20%3C%2010", token);
  auto all = Raw("?batch=1", token);
  ASSERT_TRUE(subset->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));
  ASSERT_TRUE(all->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));
  // Two writers flip rows in and out of the subset at once.
  std::atomic<bool> failed{false};
  auto writer = [&](int offset) {
    for (int i = 0; i < 60; ++i) {
      const int id = 1 + (i * 7 + offset) % 40;
      Status s = pg_->Exec(
          "UPDATE slots SET status = CASE WHEN status = 'open' THEN 'closed' ELSE 'open' END, "
          "seats = (seats + " +
              std::to_string(3 + offset) + ") % 15 WHERE id = " + std::to_string(id),
          sched());
      if (!s.ok()) failed = true;
    }
  };
  std::thread a(writer, 0), b(writer, 5);
  a.join();
  b.join();
  ASSERT_FALSE(failed);
  Sql(sched(), "INSERT INTO slots VALUES (100, 'open', 1, 7, 'last')");
  ASSERT_TRUE(WaitUntil([&] { return RowsOf(*subset).rows.count("public.slots|{\"id\":100}"); }))
      << subset->output();
  EXPECT_EQ(RowsOf(*subset).Text(), DbRows("status = 'open' AND seats < 10"));
  ASSERT_TRUE(WaitUntil([&] { return RowsOf(*all).Text() == DbRows(); }));
  // Some rows entered and some left: the subset saw inserts and deletes.
  size_t inserts = 0, deletes = 0;
  for (const json& l : subset->Lines()) {
    inserts += l.value("op", "") == "insert";
    deletes += l.value("op", "") == "delete";
  }
  EXPECT_GT(inserts, 1u);
  EXPECT_GT(deletes, 0u);
  gateway_->Stop();
}

// A token bound to `tenant_id = 7` sees only that tenant's rows, and may push
// only changes that keep a row of its own inside it.
TEST_F(GatewayTest, ARowFilteredTokenSeesAndPushesOnlyItsRows) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots VALUES (1,'open',3,7,'n'),(2,'open',5,8,'n'),(3,'open',1,7,'n')");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())));
  const std::string tenant = gateway_->AddToken(
      "tenant7", {"--read", "slots", "--push", "slots", "--filter", "tenant_id = 7"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  ASSERT_TRUE(WaitUntil([&] {
    return SinkUnderTest::Cli({"status", gateway_->config_path()})
               .output.find("applied through seq 3 ") != std::string::npos;
  }));
  auto client = Raw("", tenant);
  ASSERT_TRUE(client->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));
  EXPECT_EQ(RowsOf(*client).Text(), DbRows("tenant_id = 7"));

  const std::string url = gateway_->Url("/sync/slots");
  // Another tenant's row: refused.
  HttpResult other =
      Http("POST", url, tenant, R"({"key":{"id":2},"changes":{"seats":{"old":5,"new":6}}})");
  EXPECT_EQ(other.status, 403) << other.body;
  // Moving its own row to another tenant: refused.
  HttpResult away =
      Http("POST", url, tenant, R"({"key":{"id":1},"changes":{"tenant_id":{"old":7,"new":8}}})");
  EXPECT_EQ(away.status, 403) << away.body;
  // Its own row: applied, and it comes back.
  HttpResult own =
      Http("POST", url, tenant, R"({"key":{"id":3},"changes":{"seats":{"old":1,"new":2}}})");
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(Value(sched(), "SELECT seats FROM slots WHERE id = 3"), "2");
  EXPECT_EQ(Value(sched(), "SELECT seats FROM slots WHERE id = 2"), "5");
  EXPECT_EQ(Value(sched(), "SELECT tenant_id FROM slots WHERE id = 1"), "7");
  // Changes of the other tenant never reach it.
  Sql(sched(), "UPDATE slots SET seats = 9 WHERE id = 2");
  Sql(sched(), "UPDATE slots SET seats = 4 WHERE id = 1");
  ASSERT_TRUE(client->WaitFor(
      [](const json& l) { return l.value("op", "") == "update" && l["key"]["id"] == 1; }));
  for (const json& l : client->Lines()) {
    if (l.contains("key")) {
      EXPECT_NE(l["key"]["id"], 2) << l.dump();
    }
  }
  EXPECT_EQ(RowsOf(*client).Text(), DbRows("tenant_id = 7"));
  gateway_->Stop();
}

// Resume across a gateway restart and across a dropped client: from the seq
// it last processed, the client gets every change after it, none twice.
TEST_F(GatewayTest, ResumeAcrossAGatewayRestartAndADroppedClientHasNoGapNorDuplicate) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots SELECT g, 'open', 0, 7, 'n' FROM generate_series(1, 5) g");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())));
  const std::string token = gateway_->AddToken("app", {"--read", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  auto first = Raw("", token);
  ASSERT_TRUE(WaitUntil([&] { return RowsOf(*first).rows.size() == 5; }));
  Sql(sched(), "UPDATE slots SET seats = 1 WHERE id = 1");
  ASSERT_TRUE(first->WaitFor([](const json& l) { return l.value("op", "") == "update"; }));
  ClientRows held = RowsOf(*first);
  first->Kill();  // the client goes away

  // While it is away: changes, and a gateway restart in the middle.
  Sql(sched(), "UPDATE slots SET seats = 2 WHERE id = 2");
  gateway_->Stop();
  Sql(sched(), "UPDATE slots SET seats = 3 WHERE id = 3");
  Sql(sched(), "DELETE FROM slots WHERE id = 4");
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  Sql(sched(), "INSERT INTO slots VALUES (6, 'open', 6, 7, 'n')");

  const uint64_t resumed_from = held.seq;
  auto second = Raw("?from=" + std::to_string(resumed_from), token);
  ASSERT_TRUE(second->WaitFor([](const json& l) { return l.value("op", "") == "insert"; }));
  std::vector<uint64_t> seqs;
  for (const json& l : second->Lines()) {
    if (l.contains("op")) {
      seqs.push_back(l["seq"].get<uint64_t>());
      held.Apply(l);
    } else if (l.contains("control")) {
      EXPECT_NE(l["control"], "reset") << l.dump();
      held.Apply(l);
    }
  }
  // Each change once, in order, all after the seq resumed from.
  ASSERT_EQ(seqs.size(), 4u) << second->output();
  for (size_t i = 0; i < seqs.size(); ++i) {
    EXPECT_GT(seqs[i], i == 0 ? resumed_from : seqs[i - 1]);
  }
  EXPECT_EQ(held.Text(), DbRows());
  gateway_->Stop();
}

// A push through the gateway lands in PostgreSQL, comes back through the
// bridge to every subscriber with its ref and origin, and client.js marks it
// as the pusher's own.
TEST_F(GatewayTest, APushReachesEverySubscriberAndThePusherKnowsItsOwn) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots VALUES (1,'open',3,7,'n')");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())));
  const std::string token = gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  ASSERT_TRUE(WaitUntil([&] {
    return SinkUnderTest::Cli({"status", gateway_->config_path()})
               .output.find("applied through seq 1 ") != std::string::npos;
  }));
  auto watcher = Raw("", token);
  ASSERT_TRUE(watcher->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));
  auto pusher = std::make_unique<NodeClient>(std::vector<std::string>{
      "--client-js", gateway_->Url("/client.js"), "--entity", "slots", "--url", gateway_->Url(""),
      "--token", token, "--count", "2", "--timeout-ms", "120000", "--push",
      R"({"op":"update","key":{"id":1},"changes":{"status":{"old":"open","new":"booked"}}})"});
  ASSERT_TRUE(pusher->WaitFor([](const json& l) { return l.contains("pushed"); }));
  std::string ref;
  for (const json& l : pusher->Lines()) {
    if (l.contains("pushed")) ref = l["pushed"].value("ref", "");
  }
  ASSERT_FALSE(ref.empty()) << pusher->output();
  EXPECT_EQ(Value(sched(), "SELECT status FROM slots WHERE id = 1"), "booked");
  // The other subscriber sees it as a change with its ref and origin.
  ASSERT_TRUE(watcher->WaitFor([](const json& l) { return l.value("op", "") == "update"; }));
  for (const json& l : watcher->Lines()) {
    if (l.value("op", "") != "update") continue;
    EXPECT_EQ(l.value("ref", ""), ref);
    EXPECT_EQ(l["origin"], json({"app.slots", "parks.scheduling"}));
    EXPECT_EQ(l["changes"], json::parse(R"({"status":{"old":"open","new":"booked"}})"));
  }
  // The pusher's client.js marks it as its own.
  ASSERT_TRUE(pusher->WaitFor(
      [](const json& l) { return l.contains("delta") && l["delta"].value("op", "") == "update"; }));
  for (const json& l : pusher->Lines()) {
    if (l.contains("delta") && l["delta"].value("op", "") == "update") {
      EXPECT_EQ(l["delta"].value("own", false), true) << l.dump();
    }
  }
  EXPECT_EQ(pusher->WaitExit(), 0) << pusher->output();
  gateway_->Stop();
}

// A push the rules hold for review answers 409 with the conflict's id, which
// `deltabridge conflicts GATEWAY.yaml` lists.
TEST_F(GatewayTest, APushHeldForReviewIs409AndListedByConflicts) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots VALUES (1,'open',3,7,'n')");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched()), "manual"));
  const std::string token = gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  // The old value is not what the row holds: a conflict under `manual`.
  HttpResult held =
      Http("POST", gateway_->Url("/sync/slots"), token,
           R"({"key":{"id":1},"changes":{"status":{"old":"closed","new":"booked"}}})");
  ASSERT_EQ(held.status, 409) << held.body;
  const json answer = held.json();
  ASSERT_TRUE(answer.contains("conflict_id")) << held.body;
  EXPECT_EQ(answer["result"], "conflict");
  EXPECT_EQ(Value(sched(), "SELECT status FROM slots WHERE id = 1"), "open");
  const RunResult list = SinkUnderTest::Cli({"conflicts", gateway_->config_path()});
  EXPECT_EQ(list.status.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("#" + std::to_string(answer["conflict_id"].get<int64_t>())),
            std::string::npos)
      << list.output;
  EXPECT_NE(list.output.find("entity slots"), std::string::npos) << list.output;
  gateway_->Stop();
}

// Refusals and bad input are answered precisely, and the gateway stays up.
TEST_F(GatewayTest, RefusalsAndBadInputAreAnsweredPreciselyAndTheGatewayStaysUp) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots VALUES (1,'open',3,7,'n')");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())) +
                  "  - name: public-slots\n    from: [parks.scheduling.public.slots]\n"
                  "    public: true\n",
              "  limits: {client_queue_messages: 1000, client_queue_bytes: 1MiB, "
              "max_request_bytes: 4KiB}\n");
  const std::string reader = gateway_->AddToken("reader", {"--read", "slots"});
  const std::string pusher = gateway_->AddToken("pusher", {"--read", "slots", "--push", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  const std::string url = gateway_->Url("/sync/slots");
  const std::string change = R"({"key":{"id":1},"changes":{"seats":{"old":3,"new":4}}})";

  HttpResult r = Http("POST", url, "", change);
  EXPECT_EQ(r.status, 401) << r.body;
  r = Http("POST", url, "dbt_not-a-token", change);
  EXPECT_EQ(r.status, 401) << r.body;
  r = Http("POST", url, reader, change);
  EXPECT_EQ(r.status, 403) << r.body;
  r = Http("POST", gateway_->Url("/sync/nothing"), pusher, change);
  EXPECT_EQ(r.status, 404) << r.body;
  r = Http("POST", url, pusher, R"({"key":{"id":1},"changes":)");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.json().value("error", "").find("not JSON"), std::string::npos) << r.body;
  r = Http("POST", url, pusher, R"({"key":{"id":1},"changes":{"colour":{"new":"red"}}})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Http("POST", url, pusher, R"({"key":{"id":1},"changes":{},"origin":["x.y"]})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Http("POST", url, pusher, "{\"key\":{\"id\":1},\"pad\":\"" + std::string(8000, 'x') + "\"}");
  EXPECT_EQ(r.status, 413) << r.body;
  r = Http("POST", gateway_->Url("/sync/public-slots"), pusher, change);
  EXPECT_EQ(r.status, 405) << r.body;
  // Streams: no token, a bad where, a bad from; a public entity without a token.
  auto none = Raw("", "");
  ASSERT_TRUE(none->WaitFor([](const json& l) { return l.value("http_status", 0) == 401; }));
  auto bad_where = Raw("?where=status%20%3D%3D%20'x'", reader);
  ASSERT_TRUE(bad_where->WaitFor([](const json& l) { return l.value("http_status", 0) == 400; }));
  auto bad_from = Raw("?from=yesterday", reader);
  ASSERT_TRUE(bad_from->WaitFor([](const json& l) { return l.value("http_status", 0) == 400; }));
  auto open = std::make_unique<NodeClient>(
      std::vector<std::string>{gateway_->WsUrl("/sync/public-slots"), "--timeout-ms", "300000"});
  ASSERT_TRUE(open->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));

  // A client that never reads is closed with 4008 and its resume seq; the others go on.
  auto stuck = Raw("", reader, {"--no-read-after", "1"});
  ASSERT_TRUE(stuck->WaitFor([](const json& l) { return l.contains("paused"); }));
  auto good = Raw("", reader);
  ASSERT_TRUE(good->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));
  // More than the socket buffers hold (some MB on loopback) and the queue's
  // 1 MiB, one change at a time: a client that reads keeps up.
  Sql(sched(), "INSERT INTO slots VALUES (10, 'open', 0, 7, 'n')");
  for (int i = 0; i < 600; ++i) {
    Sql(sched(),
        "UPDATE slots SET status = repeat('p', 40000) || " + std::to_string(i) + " WHERE id = 10");
  }
  Sql(sched(), "UPDATE slots SET status = 'last' WHERE id = 1");
  ASSERT_TRUE(WaitUntil([&] {
    return SinkUnderTest::Cli({"status", gateway_->config_path()})
               .output.find("1 closed as slow") != std::string::npos;
  })) << SinkUnderTest::Cli({"status", gateway_->config_path()}).output;
  ASSERT_TRUE(good->WaitFor([&](const json& l) {
    return l.value("op", "") == "update" && l["changes"].contains("status") &&
           l["changes"]["status"]["new"] == "last";
  }));
  EXPECT_TRUE(gateway_->running());
  // Still serving.
  r = Http("POST", url, pusher, change);
  EXPECT_EQ(r.status, 200) << r.body;
  gateway_->Stop();
}

// The same stream as Server-Sent Events, resumed with Last-Event-ID.
TEST_F(GatewayTest, ServerSentEventsResumeWithLastEventId) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots VALUES (1,'open',3,7,'n')");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())));
  const std::string token = gateway_->AddToken("app", {"--read", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  auto first = std::make_unique<NodeClient>(std::vector<std::string>{
      gateway_->Url("/sync/slots"), "--sse", "--token", token, "--timeout-ms", "300000"});
  ASSERT_TRUE(WaitUntil([&] { return RowsOf(*first).rows.size() == 1; })) << first->output();
  const uint64_t seq = RowsOf(*first).seq;
  first->Kill();
  Sql(sched(), "UPDATE slots SET seats = 8 WHERE id = 1");
  auto second = std::make_unique<NodeClient>(
      std::vector<std::string>{gateway_->Url("/sync/slots"), "--sse", "--token", token,
                               "--last-event-id", std::to_string(seq), "--timeout-ms", "300000"});
  ASSERT_TRUE(second->WaitFor([](const json& l) { return l.value("op", "") == "update"; }));
  size_t updates = 0;
  for (const json& l : second->Lines()) {
    EXPECT_NE(l.value("op", ""), "snapshot") << l.dump();
    updates += l.value("op", "") == "update";
  }
  EXPECT_EQ(updates, 1u);
  gateway_->Stop();
}

// The shipped client.js resumes by itself after the gateway is killed (-9)
// and started again: every change made meanwhile arrives once.
TEST_F(GatewayTest, ClientJsResumesAfterTheGatewayIsKilledAndRestarted) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots VALUES (1,'open',0,7,'n'),(2,'open',0,7,'n')");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())));
  const std::string token = gateway_->AddToken("app", {"--read", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  auto client = std::make_unique<NodeClient>(std::vector<std::string>{
      "--client-js", gateway_->Url("/client.js"), "--entity", "slots", "--url", gateway_->Url(""),
      "--token", token, "--timeout-ms", "300000"});
  ASSERT_TRUE(client->WaitFor([](const json& l) { return l.contains("up_to_date"); }));
  gateway_->Kill9();
  for (int i = 1; i <= 5; ++i) {
    Sql(sched(), "UPDATE slots SET seats = " + std::to_string(i) +
                     " WHERE id = " + std::to_string(1 + i % 2));
  }
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  Sql(sched(), "UPDATE slots SET status = 'booked' WHERE id = 1");
  ASSERT_TRUE(client->WaitFor([](const json& l) {
    return l.contains("delta") && l["delta"].value("op", "") == "update" &&
           l["delta"]["changes"].contains("status");
  }));
  // Five seat changes and the booking, each once, in seq order; no reset.
  std::vector<uint64_t> seqs;
  for (const json& l : client->Lines()) {
    if (l.contains("reset")) ADD_FAILURE() << l.dump();
    if (!l.contains("delta") || l["delta"].value("op", "") != "update") continue;
    seqs.push_back(l["delta"]["seq"].get<uint64_t>());
  }
  ASSERT_EQ(seqs.size(), 6u) << client->output();
  for (size_t i = 1; i < seqs.size(); ++i) EXPECT_GT(seqs[i], seqs[i - 1]);
  gateway_->Stop();
}

// TLS on the listener (a WebSocket over wss, a push over https), and a
// token's connection limit answered 429.
TEST_F(GatewayTest, TlsListenerAndATokensConnectionLimit) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots VALUES (1,'open',0,7,'n')");
  TempDir certs = TempDir::CreateOrDie("dbtls-");
  Result<RunResult> made = RunCommand(
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
       "/CN=127.0.0.1", "-keyout", certs.Join("key.pem"), "-out", certs.Join("cert.pem")},
      std::chrono::seconds(60));
  ASSERT_TRUE(made.ok() && made->status.Success()) << (made.ok() ? made->output : "");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())), "  tls: {cert_file: " + certs.Join("cert.pem") +
                                                       ", key_file: " + certs.Join("key.pem") +
                                                       "}\n");
  const std::string token =
      gateway_->AddToken("one", {"--read", "slots", "--push", "slots", "--max-connections", "1"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  const std::string wss = "wss://127.0.0.1:" + std::to_string(gateway_->port()) + "/sync/slots";
  auto first = std::make_unique<NodeClient>(
      std::vector<std::string>{wss, "--token", token, "--insecure", "--timeout-ms", "300000"});
  ASSERT_TRUE(first->WaitFor([](const json& l) { return IsControl(l, "up-to-date"); }));
  auto second = std::make_unique<NodeClient>(
      std::vector<std::string>{wss, "--token", token, "--insecure", "--timeout-ms", "300000"});
  ASSERT_TRUE(second->WaitFor([](const json& l) { return l.value("http_status", 0) == 429; }));
  // Plain HTTP to a TLS listener gets nothing readable.
  HttpResult plain = Http("GET", gateway_->Url("/healthz"));
  EXPECT_NE(plain.status, 200);
  // A token's request limit: the third request of a minute is refused with Retry-After.
  const std::string metered =
      gateway_->AddToken("metered", {"--push", "slots", "--requests-per-minute", "2"});
  ASSERT_TRUE(WaitUntil([&] {  // the gateway re-reads the tokens file within 2 s
    return gateway_->log().find("tokens reloaded") != std::string::npos;
  })) << gateway_->log();
  const std::string https_slots =
      "https://127.0.0.1:" + std::to_string(gateway_->port()) + "/sync/slots";
  const std::string nothing = R"({"key":{"id":1},"changes":{"seats":{"old":0,"new":0}}})";
  for (int i = 0; i < 2; ++i) {
    HttpResult within = Http("POST", https_slots, metered, nothing, {}, /*insecure=*/true);
    EXPECT_NE(within.status, 429) << within.body;
  }
  HttpResult over = Http("POST", https_slots, metered, nothing, {}, /*insecure=*/true);
  EXPECT_EQ(over.status, 429) << over.body;
  EXPECT_NE(over.json().value("error", "").find("limit of 2 requests a minute"), std::string::npos)
      << over.body;
  HttpResult push =
      Http("POST", "https://127.0.0.1:" + std::to_string(gateway_->port()) + "/sync/slots", token,
           R"({"key":{"id":1},"changes":{"seats":{"old":0,"new":1}}})", {}, /*insecure=*/true);
  EXPECT_EQ(push.status, 200) << push.body;
  ASSERT_TRUE(first->WaitFor([](const json& l) { return l.value("op", "") == "update"; }));
  gateway_->Stop();
}

// Headless Chromium loads the gateway's own page and client.js, and a change
// committed in PostgreSQL appears on the page.
TEST_F(GatewayTest, AChangeCommittedInPostgresAppearsOnTheLivePage) {
  if (access("/usr/bin/chromium", X_OK) != 0) GTEST_SKIP() << "chromium is not installed";
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "INSERT INTO slots VALUES (1,'open',3,7,'n'),(2,'open',5,7,'n')");
  MakeGateway(SlotsEntity(pg_->Conninfo(sched())), "  page: true\n");
  const std::string token = gateway_->AddToken("dba", {"--read", "slots"});
  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  TempDir dir = TempDir::CreateOrDie("dbpage-");
  const std::string script = dir.Write(
      "commands",
      "{\"waitFor\": \"document.querySelectorAll('tr[data-key]').length === 2\", \"timeoutMs\": "
      "60000}\n"
      "{\"waitFor\": \"document.body.innerText.includes('booked')\", \"timeoutMs\": 60000}\n"
      "{\"quit\": true}\n");
  const std::string out = dir.Join("out");
  // The page waits for the first two commands' answers; the SQL runs when
  // the rows are on the page (the first answer is printed).
  ProcessOptions po;
  po.output_path = out;
  Result<Child> page =
      Child::Spawn({"/bin/sh", "-c", "node tests/gateway/js/cdp_page.mjs \"$1\" <\"$2\"", "sh",
                    gateway_->Url("/?entity=slots&token=" + token), script},
                   po);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  auto output = [&] {
    std::ifstream f(out);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  ASSERT_TRUE(WaitUntil([&] { return output().find("\"ok\":true") != std::string::npos; },
                        std::chrono::seconds(90)))
      << output();
  Sql(sched(), "UPDATE slots SET status = 'booked' WHERE id = 2");
  Result<ExitStatus> st = page->Wait(std::chrono::seconds(90));
  ASSERT_TRUE(st.ok()) << output();
  const std::string text = output();
  size_t oks = 0;
  for (size_t at = text.find("\"ok\":true"); at != std::string::npos;
       at = text.find("\"ok\":true", at + 1)) {
    ++oks;
  }
  EXPECT_EQ(oks, 2u) << text;
  EXPECT_EQ(text.find("\"ok\":false"), std::string::npos) << text;
  gateway_->Stop();
}

}  // namespace
}  // namespace deltabridge::test
