// ServerProcess: the process half of a throwaway test server (TestPostgres,
// TestMariadb): the one server process, started in the background on a port
// of 127.0.0.1, polled until ready, and stopped by escalating signals.
//
// What differs per server stays with its owner and is passed in: the argv and
// ProcessOptions (whose output_path is the server log), the readiness probe,
// the log lines that mean "port taken", and the signals (ServerProcessSpec).
// Every failure that concerns the running server goes through the owner's
// `failure` function, which adds the owner's name and its server log's tail.
//
// Ownership: a ServerProcess owns its Child (see process.h: destroying it
// SIGKILLs the process group and reaps it). It borrows `failure`'s target,
// normally the owner itself, of which it is a member: the owner must outlive
// it. Not copyable or movable, and not thread-safe: use it from the thread
// that outlives the server (normally the main thread; see PR_SET_PDEATHSIG in
// process.h).
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cdc/core/status.h"
#include "tests/support/process.h"

namespace deltabridge::test {

// What a server's process management needs to know about the server.
struct ServerProcessSpec {
  std::string owner;    // the owning class, first word of messages ("TestPostgres")
  std::string program;  // the server program, for messages ("postgres")
  // The crash stop (StopImmediate), also used on a start that timed out.
  int immediate_signal = SIGKILL;
  // Sent in turn, after the signal a shutdown asked for, when it does not
  // finish in time (each one that differs from it). Ends with SIGKILL, which
  // goes to the whole process group.
  std::vector<int> escalation = {SIGKILL};
  // Server log text that, after an exit during start-up, means the port was taken.
  std::vector<std::string> port_conflict_messages;
};

class ServerProcess {
 public:
  // `failure` turns a message into the owner's error (its name and log tail).
  ServerProcess(ServerProcessSpec spec, std::function<Status(const std::string&)> failure);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The owner's Start() loop: calls attempt(&port_conflict), which starts the
  // server on *port, up to 8 times, until it succeeds or fails other than by a
  // port conflict. Unless keep_port, each attempt first draws a free port in
  // [min_port, max_port) into *port (a port lost to a race is drawn again);
  // with keep_port (restarts) *port stays and a conflict is waited out.
  Status StartOnFreePort(int min_port, int max_port, bool keep_port, int* port,
                         const std::function<Status(bool* port_conflict)>& attempt);

  // One start attempt: spawns argv with `options` (options.output_path is the
  // server log) and polls ready() until it returns true (Ok). When the server
  // exits first, a failure, with *port_conflict set when what it logged
  // meanwhile holds one of the spec's port_conflict_messages; after `timeout`,
  // an immediate shutdown and a failure. `port` is for messages.
  Status Launch(const std::vector<std::string>& argv, const ProcessOptions& options, int port,
                std::chrono::seconds timeout, const std::function<bool()>& ready,
                bool* port_conflict);

  // Sends `signal` and waits 90 s; then each signal of the spec's escalation
  // in turn, waiting 30 s each. Ok when the server stopped on `signal` or was
  // not running; a failure naming the signal when it took an escalation (the
  // server is stopped all the same), or when SIGKILL did not stop it. `how`
  // names the shutdown in messages ("fast").
  Status Shutdown(int signal, const char* how);
  // Shutdown with the spec's immediate_signal.
  Status StopImmediate() { return Shutdown(spec_.immediate_signal, "immediate"); }

  // Whether the server process is running; forgets it once it has exited.
  bool IsRunning();

 private:
  const ServerProcessSpec spec_;
  const std::function<Status(const std::string&)> failure_;
  std::unique_ptr<Child> child_;  // the server while it may be running, else null
};

}  // namespace deltabridge::test
