#include "tests/support/server_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

#include "tests/support/temp_dir.h"

namespace deltabridge::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kStartAttempts = 8;

// Whether 127.0.0.1:port can be bound now (the way the servers bind it).
bool PortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// A port in [min_port, max_port) that is free now, drawn at random.
Result<int> PickPort(int min_port, int max_port) {
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> dist(min_port, max_port - 1);
  for (int i = 0; i < 200; ++i) {
    int port = dist(rng);
    if (PortFree(port)) return port;
  }
  return Status::Unavailable("no free TCP port on 127.0.0.1 in [" + std::to_string(min_port) +
                             ", " + std::to_string(max_port) + ")");
}

}  // namespace

ServerProcess::ServerProcess(ServerProcessSpec spec,
                             std::function<Status(const std::string&)> failure)
    : spec_(std::move(spec)), failure_(std::move(failure)) {}

Status ServerProcess::StartOnFreePort(int min_port, int max_port, bool keep_port, int* port,
                                      const std::function<Status(bool* port_conflict)>& attempt) {
  Status last;
  for (int i = 1; i <= kStartAttempts; ++i) {
    if (!keep_port) {
      DB_ASSIGN_OR_RETURN_CTX(*port, PickPort(min_port, max_port), spec_.owner);
    }
    bool port_conflict = false;
    last = attempt(&port_conflict);
    if (last.ok() || !port_conflict) return last;
    // First start: another process won the race for the port; draw another.
    // Restart: the port must stay; give its holder a moment.
    std::this_thread::sleep_for(milliseconds(keep_port ? 500 : 20 * i));
  }
  return last;
}

Status ServerProcess::Launch(const std::vector<std::string>& argv, const ProcessOptions& options,
                             int port, std::chrono::seconds timeout,
                             const std::function<bool()>& ready, bool* port_conflict) {
  const size_t log_offset = [&] {
    auto log = ReadFileToString(options.output_path);
    return log.ok() ? log->size() : 0;
  }();
  DB_ASSIGN_OR_RETURN_CTX(Child child, Child::Spawn(argv, options),
                          spec_.owner + ": starting " + spec_.program);
  child_ = std::make_unique<Child>(std::move(child));

  const std::string where = spec_.program + " on port " + std::to_string(port);
  const auto deadline = Clock::now() + timeout;
  auto pause = milliseconds(10);
  while (true) {
    if (!child_->IsRunning()) {
      const std::string status = child_->exit_status()->ToString();
      child_.reset();
      auto log = ReadFileToString(options.output_path);
      const std::string news = log.ok() && log->size() >= log_offset ? log->substr(log_offset) : "";
      *port_conflict = std::any_of(
          spec_.port_conflict_messages.begin(), spec_.port_conflict_messages.end(),
          [&](const std::string& text) { return news.find(text) != std::string::npos; });
      return failure_(where + " exited during start-up (" + status + ")");
    }
    if (ready()) return Status::Ok();
    if (Clock::now() >= deadline) {
      Status stopped = StopImmediate();
      (void)stopped;
      return failure_(where + " not ready after " + std::to_string(timeout.count()) + " s");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(100));
  }
}

Status ServerProcess::Shutdown(int signal, const char* how) {
  if (!child_) return Status::Ok();
  // Generous waits: a clean shutdown flushes (WAL to its senders' clients,
  // InnoDB) on a busy machine.
  struct Step {
    int signal;
    milliseconds wait;
  };
  std::vector<Step> steps = {{signal, seconds(90)}};
  for (int next : spec_.escalation) {
    if (next != signal) steps.push_back({next, seconds(30)});
  }
  Status result;
  for (const Step& step : steps) {
    if (child_->IsRunning()) {
      if (step.signal != signal) {
        result = failure_(std::string(how) + " shutdown did not finish in time; sent signal " +
                          std::to_string(step.signal));
      }
      // It may exit just before the signal; Wait() tells either way.
      Status sent =
          step.signal == SIGKILL ? child_->KillGroup(step.signal) : child_->Kill(step.signal);
      (void)sent;
    }
    if (child_->Wait(step.wait).ok()) {
      child_.reset();
      return result;
    }
  }
  return failure_(std::string(how) + " shutdown: " + spec_.program +
                  " still running after SIGKILL");
}

bool ServerProcess::IsRunning() {
  if (child_ && !child_->IsRunning()) child_.reset();
  return child_ != nullptr;
}

}  // namespace deltabridge::test
