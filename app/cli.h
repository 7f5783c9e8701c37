// The deltabridge command line (contract section 1).
#pragma once

namespace deltabridge {

// Parses argv, runs the subcommand, returns the process exit code:
// 0 success, 1 runtime failure, 2 usage or configuration error.
int RunCli(int argc, char** argv);

}  // namespace deltabridge
