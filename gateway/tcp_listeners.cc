#include "gateway/tcp_listeners.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

namespace deltabridge {
namespace {

constexpr std::string_view kListenState = "0A";  // TCP_LISTEN in /proc/net/tcp
constexpr size_t kMaxCommand = 200;

// The inodes of the listening sockets on `port` in a /proc/net/tcp{,6} table:
//   sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
void ListeningInodes(const std::string& table, uint16_t port, std::set<std::string>* inodes) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode)) {
      continue;
    }
    const size_t colon = local.rfind(':');
    if (state != kListenState || colon == std::string::npos) continue;
    if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) != port) continue;
    if (inode != "0") inodes->insert(inode);
  }
}

std::string CommandLine(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\0') text.pop_back();
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  if (text.size() > kMaxCommand) text = text.substr(0, kMaxCommand - 3) + "...";
  return text;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::vector<TcpListener> FindTcpListeners(uint16_t port) {
  std::set<std::string> inodes;
  ListeningInodes("/proc/net/tcp", port, &inodes);
  ListeningInodes("/proc/net/tcp6", port, &inodes);
  std::vector<TcpListener> found;
  if (inodes.empty()) return found;

  std::set<std::string> matched;
  if (DIR* proc = ::opendir("/proc")) {
    while (const dirent* process = ::readdir(proc)) {
      const std::string pid = process->d_name;
      if (!AllDigits(pid)) continue;
      const std::string fd_dir = "/proc/" + pid + "/fd";
      DIR* fds = ::opendir(fd_dir.c_str());
      if (fds == nullptr) continue;  // another user's process, or gone
      bool holds = false;
      while (const dirent* fd = ::readdir(fds)) {
        if (!AllDigits(fd->d_name)) continue;
        char target[64];
        const std::string link = fd_dir + "/" + fd->d_name;
        const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        const std::string_view text(target, static_cast<size_t>(n));
        // "socket:[12345]"
        if (!text.starts_with("socket:[") || !text.ends_with("]")) continue;
        const std::string inode(text.substr(8, text.size() - 9));
        if (inodes.count(inode) != 0) {
          matched.insert(inode);
          holds = true;
        }
      }
      ::closedir(fds);
      if (holds) found.push_back({std::atoi(pid.c_str()), CommandLine(pid)});
    }
    ::closedir(proc);
  }
  if (matched.size() < inodes.size()) found.push_back({0, ""});
  return found;
}

}  // namespace deltabridge
