// Which processes listen on a TCP port, from /proc (Linux): for `deltabridge
// check GATEWAY.yaml` to say what holds the gateway's `listen` port.
//
// A socket is matched to its process through /proc/PID/fd, which the kernel
// shows only for processes of the caller's own user (all of them to root):
// a port held by another user's process is found in /proc/net/tcp but its
// process is not. Best effort, never an error: what cannot be read is left
// out. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deltabridge {

struct TcpListener {
  int pid = 0;          // 0: a listening socket whose process this user may not see
  std::string command;  // its command line, arguments joined by spaces (at most 200 bytes)
};

// The listening TCP sockets (IPv4 and IPv6) on `port`, any address, each
// with its process when visible. Empty when none, or /proc is not there.
std::vector<TcpListener> FindTcpListeners(uint16_t port);

}  // namespace deltabridge
