#include "cdc/core/live_report.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>

namespace deltabridge {

bool ReportIsLive(const std::string& path, int pid) {
  struct stat st {};
  if (pid <= 0 || stat(path.c_str(), &st) != 0) return false;
  const bool fresh =
      std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(st.st_mtime) <
      std::chrono::seconds(5);
  return fresh && kill(pid, 0) == 0;
}

}  // namespace deltabridge
