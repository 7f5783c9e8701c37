#include "cdc/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cdc/cli/commands.h"
#include "cdc/cli/logging.h"
#include "cdc/core/version.h"

namespace deltabridge {

int RunCli(int argc, char** argv) {
  CLI::App app{"deltabridge: change data capture bridge (PostgreSQL to ZeroMQ)"};
  app.require_subcommand(0, 1);
  bool version = false;
  bool verbose = false;
  app.add_flag("--version", version, "print the version and exit");
  app.add_flag("-v,--verbose", verbose, "debug logging");

  std::string file;
  std::vector<std::string> resnapshot;
  CLI::App* run = app.add_subcommand("run", "run a bridge in the foreground until SIGTERM/SIGINT");
  run->add_option("BRIDGE.yaml", file, "bridge file")->required();
  run->add_option("--resnapshot", resnapshot,
                  "forget SOURCE's position and take a new initial snapshot (after a lost slot)");

  CLI::App* check =
      app.add_subcommand("check", "validate a bridge file, connect, check every prerequisite");
  check->add_option("FILE", file, "bridge file")->required();

  TailArgs tail_args;
  CLI::App* tail = app.add_subcommand("tail", "print each delta as one JSON line on stdout");
  tail->add_option("ENDPOINT", tail_args.endpoint, "the bridge's publish endpoint")->required();
  tail->add_option("--topic", tail_args.topics, "topic prefix (repeatable)");
  tail->add_option("--replay", tail_args.replay, "the bridge's replay endpoint");
  tail->add_option("--from", tail_args.from, "first seq to replay")->check(CLI::PositiveNumber);
  tail->add_option("--count", tail_args.count, "exit after N deltas")->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (version) {
    std::printf("deltabridge %s\n", DELTABRIDGE_VERSION);
    return kExitOk;
  }
  SetUpLogging(verbose);
  if (run->parsed()) return RunCommand(file, resnapshot);
  if (check->parsed()) return CheckCommand(file);
  if (tail->parsed()) return TailCommand(tail_args);
  std::fputs(app.help().c_str(), stderr);
  return kExitUsage;
}

}  // namespace deltabridge
