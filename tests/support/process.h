// Child processes for tests: run a command to completion, or keep one running.
//
// RunCommand() runs argv (no shell) to completion with a deadline, capturing
// stdout and stderr together. Child::Spawn() starts a background process that
// a test can signal (crash tests kill -9 `deltabridge run`), poll and wait for.
//
// Every process is started with fork/execve in a process group of its own,
// stdin from /dev/null, fds other than 0-2 closed at exec, signal mask and
// dispositions reset. When the caller is root, ProcessOptions::user drops the
// child to that system user (PostgreSQL refuses to run as root). By default
// the kernel kills the child if the spawning thread dies (PR_SET_PDEATHSIG),
// so a test binary killed by a ctest timeout leaves no server behind: spawn
// long-lived children from the thread that outlives them (the main thread).
//
// Ownership: a Child owns its process. Its destructor SIGKILLs the process
// group of a child not yet reaped and reaps it; it never throws. Child is
// movable, not copyable, and not thread-safe (use one from one thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge::test {

// How to start a process (RunCommand and Child::Spawn).
struct ProcessOptions {
  // Directory to run in; empty inherits the caller's.
  std::string working_dir;
  // System user to run as when the caller is root (its uid and primary gid,
  // with HOME, USER and LOGNAME set to match). Empty: the caller's user. A
  // non-root caller may name only itself.
  std::string user;
  // "NAME=value" entries added to, or replacing those in, the inherited
  // environment.
  std::vector<std::string> env;
  // Child::Spawn only: append stdout and stderr to this file (created when
  // missing). Empty: inherit the caller's, so output shows in the test log.
  // RunCommand always captures into RunResult::output instead.
  std::string output_path;
  // Signal the kernel sends the child when the thread that spawned it dies;
  // 0 for none.
  int parent_death_signal = SIGKILL;
};

// How a process ended.
struct ExitStatus {
  int exit_code = -1;   // the exit code when it exited normally, else -1
  int term_signal = 0;  // the signal that ended it, else 0

  bool Exited() const { return term_signal == 0; }
  bool Success() const { return exit_code == 0; }
  // "exit code 3" or "killed by signal 9 (Killed)".
  std::string ToString() const;
};

// What RunCommand saw.
struct RunResult {
  ExitStatus status;
  bool timed_out = false;  // the deadline passed and the process group was SIGKILLed
  std::string output;      // stdout and stderr, interleaved as written

  // Exited with code 0 in time.
  bool ok() const { return !timed_out && status.Success(); }
  // One line of status then the output's tail, for assertion messages.
  std::string Describe() const;
};

// Runs argv[0] (looked up in PATH when it has no '/') with argv and waits up to
// `timeout` for it to exit. On timeout, SIGKILLs its process group and sets
// timed_out. A non-ok Status means the process could not be started (no such
// program, bad user, fork failed); a failing command is a RunResult.
// Output left behind by daemons it started is not waited for: the result is
// complete once the process itself exits.
Result<RunResult> RunCommand(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout, const ProcessOptions& options = {});

// A running (or finished, not yet destroyed) background process.
class Child {
 public:
  // Starts argv in the background. Fails if the program cannot be executed.
  static Result<Child> Spawn(const std::vector<std::string>& argv,
                             const ProcessOptions& options = {});

  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  // Process id (also its process group id).
  pid_t pid() const { return pid_; }

  // Whether the process has not exited yet; reaps it if it has.
  bool IsRunning();

  // Sends `signal` to the process itself. FailedPrecondition once it has been
  // reaped (its pid may belong to someone else by then).
  Status Kill(int signal);

  // Sends `signal` to the whole process group (the process and whatever it
  // started that did not leave the group). FailedPrecondition once reaped.
  Status KillGroup(int signal);

  // Waits up to `timeout` for the process to exit and returns how it ended
  // (at once when it already has). Unavailable when it is still running.
  Result<ExitStatus> Wait(std::chrono::milliseconds timeout);

  // How it ended, once IsRunning() or Wait() has seen it end.
  const std::optional<ExitStatus>& exit_status() const { return exit_status_; }

 private:
  Child(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  // Reaps without blocking; true when the process has been reaped.
  bool TryReap();
  void KillAndReap() noexcept;

  pid_t pid_ = -1;  // > 0 from spawn until moved from; never reused by us
  bool reaped_ = false;
  std::optional<ExitStatus> exit_status_;  // set exactly when reaped_
  std::string name_;                       // argv[0], for messages
};

}  // namespace deltabridge::test
