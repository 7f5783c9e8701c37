#include "tests/integration/bridge_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace deltabridge::test {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

double MetricValue(const std::string& scrape, const std::string& sample) {
  size_t at = scrape.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stod(scrape.substr(at + sample.size() + 2));
}

std::string DeltabridgeBin() { return DELTABRIDGE_BIN; }

std::string TestDatabaseName() {
  std::string name =
      "t_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

void ReplaceInFile(const std::string& path, const std::string& from, const std::string& to) {
  Result<std::string> text = ReadFileToString(path);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const size_t at = text->find(from);
  ASSERT_NE(at, std::string::npos) << path << " lacks " << from;
  text->replace(at, from.size(), to);
  Status written = WriteStringToFile(path, *text);
  ASSERT_TRUE(written.ok()) << written.ToString();
}

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

BridgeUnderTest::BridgeUnderTest(const std::string& name, const std::string& sources_yaml,
                                 const std::string& bridge_extra) {
  Result<TempDir> d = TempDir::Create("dbt-");
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  dir_ = std::make_unique<TempDir>(std::move(*d));
  publish_ = "ipc://" + dir_->Join("pub");
  replay_ = "ipc://" + dir_->Join("replay");
  config_path_ = dir_->Join("bridge.yaml");
  log_path_ = dir_->Join("bridge.log");
  std::ofstream f(config_path_);
  f << "bridge:\n  name: " << name << "\n  state_dir: " << dir_->Join("state")
    << "\n  publish: " << publish_ << "\n  replay: " << replay_ << "\n"
    << bridge_extra << "sources:\n"
    << sources_yaml;
}

BridgeUnderTest::~BridgeUnderTest() {
  if (child_ && child_->IsRunning()) {
    child_->Kill(SIGKILL).ok();
    child_->Wait(std::chrono::seconds(10)).ok();
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "---- bridge log ----\n%s\n", log().c_str());
  }
}

std::string BridgeUnderTest::log() const {
  std::ifstream f(log_path_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void BridgeUnderTest::Start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {DeltabridgeBin(), "run", config_path_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  ProcessOptions po;
  po.output_path = log_path_;
  // Keep earlier runs' output: append by writing to a per-start file.
  po.output_path = log_path_ + "." + std::to_string(++starts_);
  Result<Child> c = Child::Spawn(argv, po);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  child_ = std::make_unique<Child>(std::move(*c));
  log_path_ = po.output_path;
}

void BridgeUnderTest::StartAndWaitForLog(const std::string& text,
                                         const std::vector<std::string>& extra_args) {
  Start(extra_args);
  ASSERT_TRUE(WaitUntil([&] { return log().find(text) != std::string::npos; })) << log();
}

void BridgeUnderTest::StartStreaming(const std::vector<std::string>& extra_args) {
  StartAndWaitForLog("streaming from slot", extra_args);
}

void BridgeUnderTest::Stop() {
  ASSERT_TRUE(child_);
  ASSERT_TRUE(child_->Kill(SIGTERM).ok());
  Result<ExitStatus> st = child_->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(st.ok()) << st.status().ToString() << "\n" << log();
  EXPECT_TRUE(st->Success()) << st->ToString() << "\n" << log();
}

void BridgeUnderTest::Signal(int sig) {
  ASSERT_TRUE(child_);
  ASSERT_TRUE(child_->Kill(sig).ok());
}

void BridgeUnderTest::Kill9() {
  ASSERT_TRUE(child_);
  child_->Kill(SIGKILL).ok();
  child_->Wait(std::chrono::seconds(30)).ok();
}

bool BridgeUnderTest::running() { return child_ && child_->IsRunning(); }

int BridgeUnderTest::WaitExit(std::chrono::milliseconds timeout) {
  Result<ExitStatus> st = child_->Wait(timeout);
  if (!st.ok()) return -1;
  return st->exit_code;
}

Collector::Collector(const std::string& publish, const std::string& replay, uint64_t from) {
  SubscriberOptions o;
  o.publish_endpoint = publish;
  o.replay_endpoint = replay;
  if (!replay.empty()) o.from_seq = from;
  o.heartbeat_timeout = std::chrono::milliseconds(5000);
  sub_ = std::make_unique<Subscriber>(o);
  thread_ = std::thread([this] {
    Status s = sub_->Run(
        [this](std::string_view, std::string_view body, uint64_t) -> Status {
          Json j = Json::parse(body, nullptr, false);
          if (j.is_discarded()) return Status::Corruption("bad JSON body");
          std::lock_guard<std::mutex> l(mu_);
          deltas_.push_back(std::move(j));
          cv_.notify_all();
          return Status::Ok();
        },
        stop_);
    std::lock_guard<std::mutex> l(mu_);
    status_ = s;
    cv_.notify_all();
  });
}

Collector::~Collector() {
  stop_ = true;
  thread_.join();
}

bool Collector::WaitCount(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, timeout, [&] { return deltas_.size() >= n; });
}

std::vector<Json> Collector::deltas() {
  std::lock_guard<std::mutex> l(mu_);
  return deltas_;
}

size_t Collector::size() {
  std::lock_guard<std::mutex> l(mu_);
  return deltas_.size();
}

Status Collector::status() {
  std::lock_guard<std::mutex> l(mu_);
  return status_;
}

void ExpectGapFree(const std::vector<Json>& deltas) {
  for (size_t i = 1; i < deltas.size(); ++i) {
    ASSERT_EQ(deltas[i]["seq"].get<uint64_t>(), deltas[i - 1]["seq"].get<uint64_t>() + 1)
        << "at index " << i;
  }
}

}  // namespace deltabridge::test
