#include "tests/support/process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "tests/support/temp_dir.h"

extern char** environ;

namespace deltabridge::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string ErrnoText(int err) { return std::strerror(err); }

// Closes a file descriptor on scope exit.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Everything the forked child needs, prepared before fork() so that the child
// calls only async-signal-safe functions.
struct ExecPlan {
  std::string path;  // resolved program
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Finds `program` in $PATH unless it has a '/'.
Result<std::string> ResolveProgram(const std::string& program) {
  if (program.empty()) return Status::InvalidArgument("empty program name");
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) != 0) {
      return Status::NotFound("cannot execute " + program + ": " + ErrnoText(errno));
    }
    return program;
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return Status::NotFound("program '" + program + "' not found in PATH");
}

void SetEnv(std::vector<std::string>& env, const std::string& entry) {
  const std::string name = entry.substr(0, entry.find('=') + 1);  // "NAME="
  for (std::string& existing : env) {
    if (existing.compare(0, name.size(), name) == 0) {
      existing = entry;
      return;
    }
  }
  env.push_back(entry);
}

Result<ExecPlan> MakePlan(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) return Status::InvalidArgument("empty argv");
  ExecPlan plan;
  DB_ASSIGN_OR_RETURN(plan.path, ResolveProgram(argv[0]));
  plan.argv_storage = argv;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) plan.env_storage.emplace_back(*e);

  if (!options.user.empty()) {
    errno = 0;
    struct passwd* pw = ::getpwnam(options.user.c_str());
    if (pw == nullptr) return Status::NotFound("no system user '" + options.user + "'");
    if (::geteuid() == 0) {
      plan.switch_user = pw->pw_uid != 0;
      plan.uid = pw->pw_uid;
      plan.gid = pw->pw_gid;
      SetEnv(plan.env_storage, std::string("HOME=") + pw->pw_dir);
      SetEnv(plan.env_storage, "USER=" + options.user);
      SetEnv(plan.env_storage, "LOGNAME=" + options.user);
    } else if (pw->pw_uid != ::geteuid()) {
      return Status::FailedPrecondition("cannot run as user '" + options.user +
                                        "' without being root");
    }
  }
  for (const std::string& entry : options.env) {
    if (entry.find('=') == std::string::npos) {
      return Status::InvalidArgument("environment entry without '=': " + entry);
    }
    SetEnv(plan.env_storage, entry);
  }
  for (std::string& s : plan.argv_storage) plan.argv.push_back(s.data());
  plan.argv.push_back(nullptr);
  for (std::string& s : plan.env_storage) plan.envp.push_back(s.data());
  plan.envp.push_back(nullptr);
  return plan;
}

// Why the child failed before execve, sent through a close-on-exec pipe.
struct ExecFailure {
  int stage;  // index into kStageNames
  int err;    // errno
};
constexpr const char* kStageNames[] = {"setgroups", "setgid", "setuid", "prctl",
                                       "dup2",      "chdir",  "execve"};

[[noreturn]] void ChildFail(int report_fd, int stage) {
  ExecFailure failure{stage, errno};
  ssize_t ignored = ::write(report_fd, &failure, sizeof(failure));
  (void)ignored;
  ::_exit(127);
}

// Runs in the forked child: only async-signal-safe calls from here on.
[[noreturn]] void ExecChild(const ExecPlan& plan, const ProcessOptions& options, pid_t parent,
                            int stdin_fd, int out_fd, int report_fd) {
  ::setpgid(0, 0);
  if (plan.switch_user) {
    if (::setgroups(1, &plan.gid) != 0) ChildFail(report_fd, 0);
    if (::setgid(plan.gid) != 0) ChildFail(report_fd, 1);
    if (::setuid(plan.uid) != 0) ChildFail(report_fd, 2);
  }
  // After the credential change, which would clear it.
  if (options.parent_death_signal != 0) {
    if (::prctl(PR_SET_PDEATHSIG, options.parent_death_signal) != 0) ChildFail(report_fd, 3);
    if (::getppid() != parent) ::_exit(127);  // the parent is already gone
  }
  if (::dup2(stdin_fd, STDIN_FILENO) < 0) ChildFail(report_fd, 4);
  if (out_fd >= 0) {
    if (::dup2(out_fd, STDOUT_FILENO) < 0) ChildFail(report_fd, 4);
    if (::dup2(out_fd, STDERR_FILENO) < 0) ChildFail(report_fd, 4);
  }
  if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0) {
    ChildFail(report_fd, 5);
  }
  // Nothing else the test holds (sockets, files) leaks into the program.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) {
    ::signal(sig, SIG_DFL);
  }
  ::execve(plan.path.c_str(), plan.argv.data(), plan.envp.data());
  ChildFail(report_fd, 6);
}

// Forks and execs; returns the pid once execve has succeeded.
Result<pid_t> StartProcess(const std::vector<std::string>& argv, const ProcessOptions& options,
                           int out_fd) {
  DB_ASSIGN_OR_RETURN(ExecPlan plan, MakePlan(argv, options));
  ScopedFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (dev_null.get() < 0) return Status::IoError("open /dev/null: " + ErrnoText(errno));
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Status::IoError("pipe2: " + ErrnoText(errno));
  ScopedFd report_read(report[0]);
  ScopedFd report_write(report[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Status::IoError("fork: " + ErrnoText(errno));
  if (pid == 0) ExecChild(plan, options, parent, dev_null.get(), out_fd, report_write.get());

  ::setpgid(pid, pid);  // also here, so the group exists before we return; EACCES after exec
  report_write.Reset();
  ExecFailure failure{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return pid;  // the pipe closed on a successful execve

  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof(failure))) {
    return Status::IoError("starting " + argv[0] + ": lost the child's exec report");
  }
  return Status::IoError("starting " + plan.path + ": " + kStageNames[failure.stage] + ": " +
                         ErrnoText(failure.err));
}

ExitStatus FromWaitStatus(int wstatus) {
  ExitStatus status;
  if (WIFEXITED(wstatus)) {
    status.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    status.term_signal = WTERMSIG(wstatus);
  }
  return status;
}

// Non-blocking reap; nullopt while running.
std::optional<ExitStatus> TryWait(pid_t pid) {
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &wstatus, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid) return FromWaitStatus(wstatus);
  if (r < 0) return ExitStatus{};  // ECHILD: someone else reaped it; unknown status
  return std::nullopt;
}

ExitStatus BlockingWait(pid_t pid) {
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &wstatus, 0);
  } while (r < 0 && errno == EINTR);
  return r == pid ? FromWaitStatus(wstatus) : ExitStatus{};
}

void ReadAvailable(int fd, std::string& out, bool& eof) {
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      eof = true;
      return;
    } else if (errno != EINTR) {
      if (errno != EAGAIN) eof = true;
      return;
    }
  }
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (term_signal != 0) {
    return "killed by signal " + std::to_string(term_signal) + " (" + ::strsignal(term_signal) +
           ")";
  }
  if (exit_code < 0) return "unknown exit status";
  return "exit code " + std::to_string(exit_code);
}

std::string RunResult::Describe() const {
  std::string head = timed_out ? "timed out (killed)" : status.ToString();
  return head + "; output:\n" + TailLines(output, 40);
}

Result<RunResult> RunCommand(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout, const ProcessOptions& options) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::IoError("pipe2: " + ErrnoText(errno));
  ScopedFd out_read(out[0]);
  ScopedFd out_write(out[1]);
  if (::fcntl(out_read.get(), F_SETFL, O_NONBLOCK) != 0) {
    return Status::IoError("fcntl O_NONBLOCK: " + ErrnoText(errno));
  }
  DB_ASSIGN_OR_RETURN(pid_t pid, StartProcess(argv, options, out_write.get()));
  out_write.Reset();

  RunResult result;
  const auto deadline = Clock::now() + timeout;
  bool eof = false;
  std::optional<ExitStatus> exited;
  while (true) {
    if (!eof) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      // Short slices so a process that exits while a daemon it started keeps
      // the pipe open is still noticed promptly.
      int slice = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 20));
      pollfd pfd{out_read.get(), POLLIN, 0};
      if (::poll(&pfd, 1, slice) > 0) ReadAvailable(out_read.get(), result.output, eof);
    } else if (!exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!exited) exited = TryWait(pid);
    if (exited) {
      ReadAvailable(out_read.get(), result.output, eof);  // what is left, without waiting
      result.status = *exited;
      return result;
    }
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      result.status = BlockingWait(pid);
      result.timed_out = true;
      ReadAvailable(out_read.get(), result.output, eof);
      return result;
    }
  }
}

Result<Child> Child::Spawn(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ScopedFd out;
  if (!options.output_path.empty()) {
    out.Reset(::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (out.get() < 0) {
      return Status::IoError("open " + options.output_path + ": " + ErrnoText(errno));
    }
  }
  DB_ASSIGN_OR_RETURN(pid_t pid, StartProcess(argv, options, out.get()));
  return Child(pid, argv[0]);
}

Child::Child(Child&& other) noexcept
    : pid_(other.pid_),
      reaped_(other.reaped_),
      exit_status_(std::move(other.exit_status_)),
      name_(std::move(other.name_)) {
  other.pid_ = -1;
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = other.pid_;
    reaped_ = other.reaped_;
    exit_status_ = std::move(other.exit_status_);
    name_ = std::move(other.name_);
    other.pid_ = -1;
  }
  return *this;
}

Child::~Child() { KillAndReap(); }

void Child::KillAndReap() noexcept {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);  // unreaped, so the group id cannot have been reused
    ::kill(pid_, SIGKILL);   // in case it left its group
    exit_status_ = BlockingWait(pid_);
    reaped_ = true;
  }
}

bool Child::TryReap() {
  if (pid_ <= 0) return true;
  if (reaped_) return true;
  auto status = TryWait(pid_);
  if (!status) return false;
  exit_status_ = status;
  reaped_ = true;
  return true;
}

bool Child::IsRunning() { return !TryReap(); }

Status Child::Kill(int signal) {
  if (pid_ <= 0 || reaped_) {
    return Status::FailedPrecondition(name_ + " already ended (" +
                                      (exit_status_ ? exit_status_->ToString() : "moved") + ")");
  }
  if (::kill(pid_, signal) != 0) {
    return Status::IoError("kill " + name_ + " [" + std::to_string(pid_) +
                           "]: " + ErrnoText(errno));
  }
  return Status::Ok();
}

Status Child::KillGroup(int signal) {
  if (pid_ <= 0 || reaped_) {
    return Status::FailedPrecondition(name_ + " already ended (" +
                                      (exit_status_ ? exit_status_->ToString() : "moved") + ")");
  }
  if (::kill(-pid_, signal) != 0) {
    return Status::IoError("kill group of " + name_ + " [" + std::to_string(pid_) +
                           "]: " + ErrnoText(errno));
  }
  return Status::Ok();
}

Result<ExitStatus> Child::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (!TryReap()) {
    const auto now = Clock::now();
    if (now >= deadline) {
      return Status::Unavailable(name_ + " [" + std::to_string(pid_) + "] still running after " +
                                 std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  if (!exit_status_) return Status::FailedPrecondition(name_ + " was moved from");
  return *exit_status_;
}

}  // namespace deltabridge::test
