// Checks shared by the self-tests of the throwaway servers: support_test.cc
// (TestPostgres) and mariadb_support_test.cc (TestMariadb). The server class is
// a template parameter; what differs per server (where its pid file is, what
// its process is called) is passed in.
//
// The check functions use GoogleTest assertions: a fatal one returns from the
// check, so call each as the last statement of a TEST (or wrap it in
// ASSERT_NO_FATAL_FAILURE). Run them on the main thread, which outlives the
// servers they start (see process.h).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "cdc/core/status.h"

namespace deltabridge::test {

// Whether `pid` names a live process (not a zombie).
bool ProcessAlive(pid_t pid);

// Waits up to `timeout` for `pid` to be gone; false when it is still alive.
bool WaitUntilGone(pid_t pid, std::chrono::milliseconds timeout);

// The value of a one-value query, or "error: ..." so that a failure is a mismatch.
std::string ValueOf(const Result<std::string>& result);

// Reads the pid on the first line of `pid_file` (postmaster.pid,
// mariadbd.pid) into *pid; fails the test unless it is a positive number.
void ReadPidFile(const std::string& pid_file, pid_t* pid);

// A restart while someone else listens on the server's port fails, naming
// "Address already in use", and leaves the server down; once the port is free
// again, Start() brings the server back on the same port.
template <typename Server>
void CheckRestartOnATakenPortFailsWithTheReasonThenRecovers() {
  Server server;
  ASSERT_TRUE(server.Start().ok());
  const int port = server.port();
  ASSERT_TRUE(server.Stop().ok());
  {
    // Someone else listens on the port while the server is down.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    Status blocked = server.Start();
    ::close(fd);
    ASSERT_FALSE(blocked.ok());
    EXPECT_NE(blocked.message().find("Address already in use"), std::string::npos)
        << blocked.ToString();
    EXPECT_FALSE(server.IsRunning());
  }
  Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(ValueOf(server.QueryValue("SELECT 1")), "1");
}

// The destructor stops the server process (whose pid is in `pid_file`,
// relative to dir()) and removes the directory.
template <typename Server>
void CheckDestructorStopsTheServerAndRemovesTheDir(const std::string& pid_file) {
  std::string dir;
  pid_t server_pid = 0;
  {
    Server server;
    ASSERT_TRUE(server.Start().ok());
    dir = server.dir();
    ASSERT_NO_FATAL_FAILURE(ReadPidFile(dir + "/" + pid_file, &server_pid));
    EXPECT_TRUE(ProcessAlive(server_pid));
  }
  EXPECT_FALSE(ProcessAlive(server_pid));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// The body of the DISABLED_Helper test that CheckKilledTestLeavesNoServer runs
// in a child process: starts a server, prints "DIR=<dir()>", and waits to be
// killed.
template <typename Server>
void StartAndAwaitKill() {
  Server server;
  Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  std::printf("DIR=%s\n", server.dir().c_str());
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(300));
}

// Runs this test binary's `helper_test` (a StartAndAwaitKill) in a child
// process, SIGKILLs it once its server runs, and expects the server process
// (`server_name`, whose pid is in `pid_file`, relative to the server's dir())
// to be gone within a minute: no server outlives a killed test.
void CheckKilledTestLeavesNoServer(const std::string& helper_test, const std::string& pid_file,
                                   const std::string& server_name);

}  // namespace deltabridge::test
