// Sink scenarios that PostgreSQL, MariaDB and SQLite/ODBC targets share: one
// copy of each scenario's logic, called from pg_sink_test.cc,
// mysql_sink_test.cc and odbc_sink_test.cc with that target's SinkTarget and
// the DDL and text forms only it can spell. Each function is a whole test
// body: it starts its own bridge "parks" over `parks` and sink "dash" into
// `target`, and stops both. Checks a target has beyond these stay in its file.
#pragma once

#include <functional>
#include <string>

#include "tests/integration/parks_sources.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/sink_target.h"

namespace deltabridge::test {

// Proves that kill -9 of the sink loses and repeats nothing: both sources
// increment 20 counters (transactions of 1 to 5 updates) under an additive
// rule while the sink is killed and restarted four times; once caught up,
// every target counter is exactly the sum of both sources' and there are no
// conflicts. `counters_ddl` creates the target's table counters (id key, n).
void Kill9DuringWriteLoadKeepsAnAdditiveCounterExact(const ParksSources& parks,
                                                     const SinkTarget& target,
                                                     const std::string& counters_ddl);

// A target's own checks at two points of a scenario; either may be empty.
// A fatal failure in one ends the scenario.
struct ScenarioHooks {
  // The sink file is written, the sink not started yet.
  std::function<void(SinkUnderTest& sink)> before_start;
  // The sink has applied everything and runs.
  std::function<void(SinkUnderTest& sink)> once_caught_up;
};

// What SinkStartedLateCatchesUpThroughReplay needs of the target: DDL and
// queries in its dialect.
struct LateSinkSql {
  std::string items_ddl;  // creates items (id key, v text, n bigint)
  std::string count_sum;  // items as "count/sum(n)"
  std::string all_rows;   // items as string_agg(id || v || n, ',' ORDER BY id)
};
// Proves that a sink started after the bridge published 4300 deltas (3000
// inserts, 1000 updates, 300 deletes) catches up through the replay to the
// source's exact rows, and that a restart applies nothing twice (the
// checkpoint holds).
void SinkStartedLateCatchesUpThroughReplay(const ParksSources& parks, const SinkTarget& target,
                                           const LateSinkSql& sql, const ScenarioHooks& hooks = {});

// What TypesRoundTrip needs of the target.
struct TypesRoundTripParts {
  // Creates the target's table types for the source's (kTypesSourceTable).
  std::string types_ddl;
  // Rows 2 and 4 of the source's types, as VALUES tuples: the extremes the
  // target can hold (date and timestamp ranges differ). Row 1 (a value of
  // every type) and row 3 (all NULL) are the same for every target.
  std::string row2;
  std::string row4;
  // "" when the target's rows equal the source's, value by value, else the
  // first difference.
  std::function<std::string()> diff;
  // What to print besides the difference when an update did not apply
  // (the target's conflicts).
  std::function<std::string()> conflicts_note;
};
// The source's table types: a column of every type the contract names.
extern const char* const kTypesSourceTable;
// Proves that every type the contract names round-trips exactly: the rows
// inserted, then every column of every row changed under the rule `manual`
// (which applies an update only when each incoming old value equals what the
// target holds, so the values must also read back as the target wrote
// them), then deleted, and the target equals the source after each step,
// with no conflicts.
void TypesRoundTrip(const ParksSources& parks, const SinkTarget& target,
                    const TypesRoundTripParts& parts, const ScenarioHooks& hooks = {});

// The end of a target's CheckAndRuntimeErrorsSayWhatToFix: `bridge` streams
// the scheduling source's table t (id, label, extra), the target's t has
// (id, label). Proves that check passes a mapping of t; that the sink stops
// (exit 1) at the first delta, naming the column extra the target lacks and
// the `exclude:` fix, having written nothing; and that a sink whose mapping
// excludes the column then applies that same delta (nothing was skipped
// meanwhile). Stops the bridge.
void MissingTargetColumnStopsTheSink(const ParksSources& parks, const SinkTarget& target,
                                     BridgeUnderTest& bridge);

// The reconciliation-rule scenario's common ground (each target's steps and
// expected rows differ and stay in its file):
// The columns of table slots in the sources, after `id int PRIMARY KEY`.
extern const char* const kSourceRuleColumns;
// Creates slots in both sources (REPLICA IDENTITY FULL).
void CreateRuleSources(const ParksSources& parks);
// The `mappings:` list: slots of both sources into `to_table`, key slot_id
// (the sources' id), with one rule of every kind, the same for both.
std::string RuleMappings(const std::string& to_table);
// The bridge over both sources, started, with both streaming.
void StartStreamingBoth(BridgeUnderTest& bridge);
// What ResolveHeldManualConflict saw, for a target's own checks.
struct HeldManualConflict {
  std::string id;    // the conflict's id in deltabridge_conflicts
  RunResult list;    // `conflicts list` before resolving it
  RunResult status;  // `status` after
};
// The end of the rule scenario, the sink caught up: proves that the field
// the manual rule held (slot 1's c_manual, current "a", incoming "L") is
// listed and is the one unresolved conflict; that resolving it with
// "incoming" writes L and makes legacy the field's last writer (as
// `writers_sql`, slot 1's writers record, shows); that it cannot be
// resolved twice; and that status then shows none waiting.
HeldManualConflict ResolveHeldManualConflict(const SinkTarget& target, const SinkUnderTest& sink,
                                             const std::string& writers_sql);

}  // namespace deltabridge::test
