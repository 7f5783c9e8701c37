// ReportIsLive: whether a running process's report file (a bridge's
// bridge-status.json, a sink's sink-status.json, each rewritten at least once
// a second while the process runs) comes from a process that runs now.
#pragma once

#include <string>

namespace deltabridge {

// True when process `pid` exists and the file at `path` was modified within
// the last 5 seconds. A file left by a process that stopped, or by one whose
// pid was reused since, is not live (the mtime tells the second case).
bool ReportIsLive(const std::string& path, int pid);

}  // namespace deltabridge
