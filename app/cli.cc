#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"
#include "app/logging.h"
#include "cdc/config/config_kind.h"
#include "cdc/core/version.h"

namespace deltabridge {

int RunCli(int argc, char** argv) {
  CLI::App app{"deltabridge: change data capture bridge and sinks"};
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

  CLI::App* check = app.add_subcommand(
      "check", "validate a bridge, sink or gateway file, connect, check every prerequisite");
  check->add_option("FILE", file, "bridge, sink or gateway file")->required();

  CLI::App* sink = app.add_subcommand("sink", "run a sink in the foreground until SIGTERM/SIGINT");
  sink->add_option("SINK.yaml", file, "sink file")->required();
  CLI::App* gateway = app.add_subcommand(
      "gateway",
      "serve entities to applications over WebSocket and Server-Sent Events, and take their "
      "pushes, until SIGTERM/SIGINT (docs/gateway.md)");
  gateway->add_option("GATEWAY.yaml", file, "gateway file")->required();
  CLI::App* status = app.add_subcommand(
      "status",
      "positions, lag, journal range of a bridge; last applied seq and conflicts of a sink");
  status->add_option("FILE", file, "bridge, sink or gateway file")->required();
  CLI::App* conflicts =
      app.add_subcommand("conflicts", "list the conflicts a sink holds for review, or resolve one");
  conflicts->add_option("SINK.yaml", file, "sink file")->required();
  bool all_conflicts = false;
  CLI::App* conflicts_list = conflicts->add_subcommand("list", "the conflicts waiting (default)");
  conflicts_list->add_flag("--all", all_conflicts, "also the resolved ones");
  int64_t conflict_id = 0;
  std::string take;
  CLI::App* conflicts_resolve = conflicts->add_subcommand("resolve", "resolve one conflict");
  conflicts_resolve->add_option("ID", conflict_id, "the conflict's id (from list)")
      ->required()
      ->check(CLI::PositiveNumber);
  conflicts_resolve
      ->add_option("--take", take,
                   "incoming: apply the held change; current: keep "
                   "the target as it is")
      ->required()
      ->check(CLI::IsMember({"incoming", "current"}));
  TailArgs tail_args;
  CLI::App* tail = app.add_subcommand("tail", "print each delta as one JSON line on stdout");
  tail->add_option("ENDPOINT", tail_args.endpoint, "the bridge's publish endpoint")->required();
  tail->add_option("--topic", tail_args.topics, "topic prefix (repeatable)");
  tail->add_option("--replay", tail_args.replay, "the bridge's replay endpoint");
  tail->add_option("--from", tail_args.from, "first seq to replay")->check(CLI::PositiveNumber);
  tail->add_option("--count", tail_args.count, "exit after N deltas")->check(CLI::PositiveNumber);

  BinlogArgs binlog_args;
  CLI::App* binlog = app.add_subcommand(
      "binlog", "decode captured MySQL/MariaDB binlog files and print their deltas as JSON lines");
  binlog->add_option("FILE", binlog_args.files, "binlog files, in order")->required();
  binlog->add_option("--table", binlog_args.tables, "database.table pattern (repeatable)")
      ->allow_extra_args(false);  // --table A FILE: FILE is not a second pattern

  PushArgs push_args;
  CLI::App* push = app.add_subcommand(
      "push",
      "apply an application's changes, delta JSON lines on stdin, through a sink's mapping "
      "and rules; one result line per input line on stdout");
  push->footer(
      "Each input line: {\"op\":\"insert|update|delete\",\"key\":{...},\"changes\":{\"col\":"
      "{\"old\":v,\"new\":v}},\"ts\":\"...Z\",\"origin\":[...]} (ts and origin optional), "
      "columns named as in the mapping's source.\nEach result: {\"line\":N,\"result\":"
      "\"applied|conflict|rejected|suppressed\",...}.\nExit status: 0 when every line was "
      "applied, held as a conflict or suppressed; 1 when one was rejected; 2 for a usage or "
      "configuration error. See docs/push.md.");
  push->add_option("SINK.yaml", push_args.sink_file, "sink file")->required();
  push->add_option("--mapping", push_args.mapping,
                   "TARGET_TABLE: the `to` of the sink's mapping the changes go through")
      ->required();
  push->add_option("--from", push_args.from,
                   "the mapping's `from`, when several mappings write TARGET_TABLE");
  push->add_option("--node", push_args.node,
                   "the pushing node, for tagging and last-writer metadata (default "
                   "push.<sink name>)");

  TokenArgs token_args;
  CLI::App* token = app.add_subcommand(
      "token",
      "add a bearer token to a gateway's tokens file and print it once on stdout; or list "
      "or revoke tokens");
  token->footer(
      "The token is printed once, alone on stdout; the tokens file keeps only its SHA-256. A "
      "running gateway picks up a change within about 2 seconds. See docs/gateway.md, "
      "\"Access\".");
  token->add_option("GATEWAY.yaml", token_args.gateway_file, "gateway file")->required();
  token->add_option("NAME", token_args.name, "the new token's name, [A-Za-z0-9_.@-]+");
  token
      ->add_option("--read", token_args.read,
                   "an entity the token may read (repeatable; \"*\": every entity)")
      ->allow_extra_args(false);  // --read A NAME: NAME is not a second entity
  token
      ->add_option("--push", token_args.push,
                   "an entity the token may push to (repeatable; \"*\": every entity)")
      ->allow_extra_args(false);
  token->add_option("--filter", token_args.filter,
                    "rows the token may see and push, e.g. \"tenant_id = 7\"");
  token
      ->add_option("--max-connections", token_args.max_connections,
                   "the token's open streams at most (default limits.connections_per_token)")
      ->check(CLI::Range(1, 1'000'000));
  token
      ->add_option("--requests-per-minute", token_args.requests_per_minute,
                   "the token's requests a minute at most, 0 for no limit (default "
                   "limits.requests_per_minute)")
      ->check(CLI::Range(0, 1'000'000));
  token->add_flag("--list", token_args.list, "list the tokens (never their hashes)");
  token->add_option("--revoke", token_args.revoke, "remove the token NAME");

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
  if (binlog->parsed()) return BinlogCommand(binlog_args);
  if (sink->parsed()) return SinkCommand(file);
  if (push->parsed()) return PushCommand(push_args);
  if (token->parsed()) return TokenCommand(token_args);
  if (gateway->parsed()) return GatewayCommand(file);
  if (status->parsed()) {
    Result<ConfigKind> kind = DetectConfigKind(file);
    if (!kind.ok()) {
      std::fprintf(stderr, "%s\n", kind.status().message().c_str());
      return kExitUsage;
    }
    if (*kind == ConfigKind::kGateway) return GatewayStatusCommand(file);
    if (*kind != ConfigKind::kSink) return BridgeStatusCommand(file);
    return SinkStatusCommand(file);
  }
  if (conflicts->parsed()) {
    if (conflicts_resolve->parsed()) {
      return ConflictsCommand(file, "resolve", conflict_id, take, false);
    }
    return ConflictsCommand(file, "list", 0, "", all_conflicts);
  }
  std::fputs(app.help().c_str(), stderr);
  return kExitUsage;
}

}  // namespace deltabridge
