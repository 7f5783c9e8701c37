#include "tests/integration/sink_target.h"

#include <gtest/gtest.h>

#include "tests/integration/bridge_harness.h"

namespace deltabridge::test {

void TargetSql(const SinkTarget& target, const std::string& sql) {
  Status s = target.exec(sql);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << sql;
}

std::string TargetValue(const SinkTarget& target, const std::string& sql) {
  Result<std::string> r = target.query(sql);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << sql;
  return r.ok() ? *r : "";
}

bool WaitTargetValue(const SinkTarget& target, const std::string& sql, const std::string& want,
                     std::chrono::milliseconds timeout) {
  return WaitUntil(
      [&] {
        Result<std::string> r = target.query(sql);
        return r.ok() && *r == want;
      },
      timeout);
}

}  // namespace deltabridge::test
