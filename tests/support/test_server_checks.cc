#include "tests/support/test_server_checks.h"

#include <csignal>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace deltabridge::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace

bool ProcessAlive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  auto stat = ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return false;
  const size_t paren = stat->rfind(')');
  return paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] != 'Z';
}

bool WaitUntilGone(pid_t pid, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (ProcessAlive(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

std::string ValueOf(const Result<std::string>& result) {
  return result.ok() ? *result : "error: " + result.status().ToString();
}

void ReadPidFile(const std::string& pid_file, pid_t* pid) {
  auto text = ReadFileToString(pid_file);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  *pid = std::stoi(*text);
  ASSERT_GT(*pid, 0) << pid_file;
}

void CheckKilledTestLeavesNoServer(const std::string& helper_test, const std::string& pid_file,
                                   const std::string& server_name) {
  auto out_dir = TempDir::Create();
  ASSERT_TRUE(out_dir.ok());
  ProcessOptions options;
  options.output_path = out_dir->Join("helper.out");
  auto helper = Child::Spawn(
      {"/proc/self/exe", "--gtest_also_run_disabled_tests", "--gtest_filter=" + helper_test},
      options);
  ASSERT_TRUE(helper.ok()) << helper.status().ToString();

  std::string dir;
  const auto deadline = Clock::now() + seconds(180);
  while (dir.empty() && helper->IsRunning() && Clock::now() < deadline) {
    auto out = ReadFileToString(options.output_path);
    const size_t at = out.ok() ? out->find("DIR=") : std::string::npos;
    if (at != std::string::npos && out->find('\n', at) != std::string::npos) {
      dir = out->substr(at + 4, out->find('\n', at) - at - 4);
    } else {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ASSERT_FALSE(dir.empty()) << ValueOf(ReadFileToString(options.output_path));
  pid_t server_pid = 0;
  ASSERT_NO_FATAL_FAILURE(ReadPidFile(dir + "/" + pid_file, &server_pid));
  ASSERT_TRUE(ProcessAlive(server_pid));

  ASSERT_TRUE(helper->Kill(SIGKILL).ok());  // no destructor runs in the helper
  ASSERT_TRUE(helper->Wait(seconds(30)).ok());
  EXPECT_TRUE(WaitUntilGone(server_pid, seconds(60))) << server_name << " outlived its test";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // the helper could not clean up
}

}  // namespace deltabridge::test
