#include "tests/integration/gateway_harness.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace deltabridge::test {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string RowId(const std::string& table, const nlohmann::json& key) {
  return table + "|" + key.dump();
}

}  // namespace

GatewayUnderTest::GatewayUnderTest(const std::string& name, const BridgeUnderTest& bridge,
                                   const std::string& entities_yaml,
                                   const std::string& gateway_extra,
                                   const std::string& bridge_name) {
  dir_ = std::make_unique<TempDir>(TempDir::CreateOrDie("dbgw-"));
  config_path_ = dir_->Join("gateway.yaml");
  log_path_ = dir_->Join("gateway.log");
  port_ = FreeLoopbackPort();
  std::ofstream f(config_path_);
  f << "gateway:\n  name: " << name << "\n  listen: 127.0.0.1:" << port_
    << "\n  state_dir: " << state_dir() << "\n  tokens_file: " << tokens_file() << "\n"
    << gateway_extra << "subscribe:\n  - bridge: " << bridge_name
    << "\n    publish: " << bridge.publish() << "\n    replay: " << bridge.replay() << "\n"
    << "entities:\n"
    << entities_yaml;
}

GatewayUnderTest::~GatewayUnderTest() {
  if (child_ && child_->IsRunning()) {
    child_->Kill(SIGKILL).ok();
    child_->Wait(std::chrono::seconds(10)).ok();
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "---- gateway log ----\n%s\n", log().c_str());
  }
}

std::string GatewayUnderTest::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string GatewayUnderTest::WsUrl(const std::string& path) const {
  return "ws://127.0.0.1:" + std::to_string(port_) + path;
}

std::string GatewayUnderTest::log() const { return ReadAll(log_path_); }

std::string GatewayUnderTest::AddToken(const std::string& name,
                                       const std::vector<std::string>& args) {
  std::vector<std::string> argv = {DeltabridgeBin(), "token", config_path_, name};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions po;
  po.output_path = dir_->Join("token.err");
  // stdout alone holds the token: stderr goes to a file of its own.
  std::vector<std::string> sh = {"/bin/sh", "-c", "err=$1; shift; exec \"$@\" 2>\"$err\"", "sh",
                                 dir_->Join("token.err")};
  sh.insert(sh.end(), argv.begin(), argv.end());
  Result<RunResult> r = RunCommand(sh, std::chrono::seconds(60));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return "";
  EXPECT_TRUE(r->status.Success()) << r->output << ReadAll(dir_->Join("token.err"));
  std::string token = r->output;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  EXPECT_TRUE(token.starts_with("dbt_")) << token;
  return token;
}

void GatewayUnderTest::Start() {
  ProcessOptions po;
  po.output_path = dir_->Join("gateway.log." + std::to_string(++starts_));
  log_path_ = po.output_path;
  Result<Child> c = Child::Spawn({DeltabridgeBin(), "gateway", config_path_}, po);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  child_ = std::make_unique<Child>(std::move(*c));
  ASSERT_TRUE(WaitUntil([&] {
    return log().find("listening on") != std::string::npos || !child_->IsRunning();
  })) << log();
  ASSERT_TRUE(child_->IsRunning()) << log();
}

void GatewayUnderTest::Stop() {
  ASSERT_TRUE(child_);
  ASSERT_TRUE(child_->Kill(SIGTERM).ok());
  Result<ExitStatus> st = child_->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(st.ok()) << st.status().ToString() << "\n" << log();
  EXPECT_TRUE(st->Success()) << st->ToString() << "\n" << log();
}

void GatewayUnderTest::Kill9() {
  ASSERT_TRUE(child_);
  ASSERT_TRUE(child_->Kill(SIGKILL).ok());
  child_->Wait(std::chrono::seconds(30)).ok();
}

bool GatewayUnderTest::running() { return child_ && child_->IsRunning(); }

NodeClient::NodeClient(const std::vector<std::string>& args) {
  dir_ = std::make_unique<TempDir>(TempDir::CreateOrDie("dbnode-"));
  out_path_ = dir_->Join("out");
  std::vector<std::string> argv = {"/bin/sh",
                                   "-c",
                                   "out=$1; shift; exec node \"$@\" >\"$out\" 2>\"$out.err\" "
                                   "</dev/null",
                                   "sh",
                                   out_path_,
                                   "tests/gateway/js/ws_subscriber.mjs"};
  argv.insert(argv.end(), args.begin(), args.end());
  Result<Child> c = Child::Spawn(argv, {});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (c.ok()) child_ = std::make_unique<Child>(std::move(*c));
}

NodeClient::~NodeClient() {
  if (::testing::Test::HasFailure()) {
    std::string out = output();
    if (out.size() > 8000) out = "...\n" + out.substr(out.size() - 8000);
    std::fprintf(stderr, "---- client output (its end) ----\n%s\n", out.c_str());
  }
  Kill();
}

std::string NodeClient::output() const { return ReadAll(out_path_) + ReadAll(out_path_ + ".err"); }

std::vector<nlohmann::json> NodeClient::Lines() const {
  std::vector<nlohmann::json> lines;
  std::istringstream in(ReadAll(out_path_));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof() && !line.empty()) break;  // a line still being written
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) lines.push_back(std::move(j));
  }
  return lines;
}

bool NodeClient::WaitFor(const std::function<bool(const nlohmann::json&)>& pred,
                         std::chrono::milliseconds timeout) const {
  bool found = WaitUntil(
      [&] {
        for (const auto& line : Lines()) {
          if (pred(line)) return true;
        }
        return false;
      },
      timeout);
  std::string out = output();
  if (out.size() > 8000) out = "...\n" + out.substr(out.size() - 8000);
  EXPECT_TRUE(found) << "the client never printed the line waited for:\n" << out;
  return found;
}

int NodeClient::WaitExit(std::chrono::milliseconds timeout) {
  if (!child_) return -1;
  Result<ExitStatus> st = child_->Wait(timeout);
  if (!st.ok()) return -1;
  return st->exit_code;
}

void NodeClient::Kill() {
  if (child_ && child_->IsRunning()) {
    child_->KillGroup(SIGKILL).ok();
    child_->Wait(std::chrono::seconds(10)).ok();
  }
}

nlohmann::json HttpResult::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

HttpResult Http(const std::string& method, const std::string& url, const std::string& token,
                const std::string& body, const std::vector<std::string>& headers, bool insecure) {
  TempDir dir = TempDir::CreateOrDie("dbcurl-");
  const std::string out = dir.Join("body");
  std::vector<std::string> argv = {"curl", "-sS", "-o", out, "-w", "%{http_code}", "-X", method};
  if (insecure) argv.push_back("-k");
  if (!token.empty()) {
    argv.push_back("-H");
    argv.push_back("Authorization: Bearer " + token);
  }
  if (!body.empty()) {
    argv.push_back("-H");
    argv.push_back("Content-Type: application/json");
    argv.push_back("--data-binary");
    argv.push_back("@" + dir.Write("request", body));
  }
  for (const auto& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  argv.push_back(url);
  Result<RunResult> r = RunCommand(argv, std::chrono::seconds(60));
  HttpResult result;
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return result;
  result.status = std::atoi(r->output.c_str());
  result.body = ReadAll(out);
  return result;
}

bool ClientRows::Apply(const nlohmann::json& m) {
  if (m.contains("control")) {
    const std::string control = m["control"];
    if (control == "reset") rows.clear();
    if (m.contains("seq")) seq = std::max<uint64_t>(seq, m["seq"].get<uint64_t>());
    return true;
  }
  if (!m.contains("op")) {
    ADD_FAILURE() << "not a message: " << m.dump();
    return false;
  }
  const std::string op = m["op"];
  const std::string table = m.value("table", "");
  if (m.contains("seq")) seq = std::max<uint64_t>(seq, m["seq"].get<uint64_t>());
  if (op == "truncate") {
    std::erase_if(rows, [&](const auto& r) { return r.first.starts_with(table + "|"); });
    return true;
  }
  const std::string id = RowId(table, m["key"]);
  if (op == "snapshot" || op == "insert") {
    if (op == "insert" && rows.count(id) != 0) {
      ADD_FAILURE() << "insert of a row the client holds: " << m.dump();
      return false;
    }
    nlohmann::json row = nlohmann::json::object();
    for (auto& [column, change] : m["changes"].items()) row[column] = change["new"];
    rows[id] = row;
    return true;
  }
  auto it = rows.find(id);
  if (it == rows.end()) {
    ADD_FAILURE() << op << " of a row the client does not hold: " << m.dump();
    return false;
  }
  if (op == "delete") {
    rows.erase(it);
    return true;
  }
  nlohmann::json row = it->second;
  for (auto& [column, change] : m["changes"].items()) {
    if (change.contains("old") && row.contains(column) && row[column] != change["old"]) {
      ADD_FAILURE() << "old value of " << column << " is not what the client holds: " << m.dump();
    }
    row[column] = change["new"];
  }
  // A key change: the row moves.
  nlohmann::json key = nlohmann::json::object();
  for (auto& [column, value] : m["key"].items()) key[column] = row.value(column, value);
  rows.erase(it);
  rows[RowId(table, key)] = row;
  return true;
}

std::string ClientRows::Text() const {
  std::vector<std::string> lines;
  for (const auto& [id, row] : rows) lines.push_back(id + "=" + row.dump());
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace deltabridge::test
