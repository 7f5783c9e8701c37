#include "tests/integration/sink_harness.h"

#include <fstream>
#include <sstream>

namespace deltabridge::test {

std::string SinkUnderTest::SubscribeEntry(const BridgeUnderTest& bridge,
                                          const std::string& bridge_name,
                                          const std::vector<std::string>& topics) {
  std::string topic_list;
  for (const std::string& t : topics) {
    topic_list += (topic_list.empty() ? "\"" : ", \"") + t + "\"";
  }
  return "  - bridge: " + bridge_name + "\n    publish: " + bridge.publish() +
         "\n    replay: " + bridge.replay() + "\n    topics: [" + topic_list + "]\n";
}

SinkUnderTest::SinkUnderTest(const std::string& name, const BridgeUnderTest& bridge,
                             const std::vector<std::string>& topics, const std::string& target_yaml,
                             const std::string& mappings_yaml, const std::string& bridge_name)
    : SinkUnderTest(name, SubscribeEntry(bridge, bridge_name, topics), target_yaml, mappings_yaml) {
}

SinkUnderTest::SinkUnderTest(const std::string& name, const std::string& subscribe_yaml,
                             const std::string& target_yaml, const std::string& mappings_yaml) {
  Result<TempDir> d = TempDir::Create("dbs-");
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  dir_ = std::make_unique<TempDir>(std::move(*d));
  config_path_ = dir_->Join("sink.yaml");
  log_path_ = dir_->Join("sink.log");
  std::ofstream f(config_path_);
  f << "sink:\n  name: " << name << "\n  state_dir: " << state_dir() << "\n"
    << "subscribe:\n"
    << subscribe_yaml << "target:\n"
    << target_yaml << "mappings:\n"
    << mappings_yaml;
}

SinkUnderTest::~SinkUnderTest() {
  if (child_ && child_->IsRunning()) {
    child_->Kill(SIGKILL).ok();
    child_->Wait(std::chrono::seconds(10)).ok();
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "---- sink log ----\n%s\n", log().c_str());
  }
}

std::string SinkUnderTest::log() const {
  std::ifstream f(log_path_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void SinkUnderTest::Start() {
  ProcessOptions po;
  po.output_path = dir_->Join("sink.log." + std::to_string(++starts_));
  Result<Child> c = Child::Spawn({DeltabridgeBin(), "sink", config_path_}, po);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  child_ = std::make_unique<Child>(std::move(*c));
  log_path_ = po.output_path;
}

void SinkUnderTest::Signal(int sig) {
  ASSERT_TRUE(child_);
  ASSERT_TRUE(child_->Kill(sig).ok());
}

void SinkUnderTest::Stop() {
  ASSERT_TRUE(child_);
  ASSERT_TRUE(child_->Kill(SIGTERM).ok());
  Result<ExitStatus> st = child_->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(st.ok()) << st.status().ToString() << "\n" << log();
  EXPECT_TRUE(st->Success()) << st->ToString() << "\n" << log();
}

void SinkUnderTest::Kill9() {
  ASSERT_TRUE(child_);
  child_->Kill(SIGKILL).ok();
  child_->Wait(std::chrono::seconds(30)).ok();
}

bool SinkUnderTest::running() { return child_ && child_->IsRunning(); }

int SinkUnderTest::WaitExit(std::chrono::milliseconds timeout) {
  Result<ExitStatus> st = child_->Wait(timeout);
  if (!st.ok()) return -1;
  return st->exit_code;
}

RunResult SinkUnderTest::Cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {DeltabridgeBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  Result<RunResult> r = RunCommand(argv, std::chrono::seconds(60));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : RunResult{};
}

bool WaitCaughtUp(const SinkUnderTest& sink, std::chrono::milliseconds timeout) {
  return WaitUntil(
      [&] {
        RunResult r = SinkUnderTest::Cli({"status", sink.config_path()});
        return r.output.find(" (0 behind)") != std::string::npos;
      },
      timeout);
}

}  // namespace deltabridge::test
