// SinkTarget: a sink's target database as the shared sink scenarios
// (sink_scenarios.h) see it, so that one scenario runs against PostgreSQL,
// MariaDB and SQLite through ODBC alike. A plain value a test builds from its
// fixture: `exec` and `query` borrow the fixture's server (or file), which
// must outlive the scenario. Safe to call from one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "cdc/core/status.h"

namespace deltabridge::test {

struct SinkTarget {
  // The text of a sink file's `target:` section's body (indented by 2).
  std::string yaml;
  // What a mapping's `to:` puts before a table's name: "public." or "".
  std::string schema;
  // Runs `sql` in the target database.
  std::function<Status(const std::string& sql)> exec;
  // The first value of the first row `sql` returns, as the target's text.
  std::function<Result<std::string>(const std::string& sql)> query;
};

// Runs `sql` in the target; a failure fails the test.
void TargetSql(const SinkTarget& target, const std::string& sql);
// The value `sql` returns in the target, or "" (and a failed expectation).
std::string TargetValue(const SinkTarget& target, const std::string& sql);
// Waits until `sql` in the target returns `want`.
bool WaitTargetValue(const SinkTarget& target, const std::string& sql, const std::string& want,
                     std::chrono::milliseconds timeout = std::chrono::seconds(90));

}  // namespace deltabridge::test
