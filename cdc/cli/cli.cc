#include "cdc/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cdc/core/version.h"

namespace deltabridge {

int RunCli(int argc, char** argv) {
  CLI::App app{"deltabridge: change data capture bridge"};
  bool version = false;
  app.add_flag("--version", version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (version) {
    std::printf("deltabridge %s\n", DELTABRIDGE_VERSION);
    return 0;
  }
  std::fputs(app.help().c_str(), stderr);
  return 2;
}

}  // namespace deltabridge
