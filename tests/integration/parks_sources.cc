#include "tests/integration/parks_sources.h"

#include <gtest/gtest.h>

namespace deltabridge::test {

std::string ParksSources::Both(const std::string& sched_tables,
                               const std::string& legacy_tables) const {
  return One(sched_tables) + "  - name: legacy\n    type: postgres\n    dsn: \"" +
         pg->Conninfo(legacy) + "\"\n    slot: " + legacy + "_slot\n    tables: " + legacy_tables +
         "\n";
}

std::string ParksSources::One(const std::string& tables) const {
  return "  - name: scheduling\n    type: postgres\n    dsn: \"" + pg->Conninfo(sched) +
         "\"\n    slot: " + sched + "_slot\n    tables: " + tables + "\n";
}

void ParksSources::Sql(const std::string& db, const std::string& sql) const {
  Status s = pg->Exec(sql, db);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << sql;
}

std::string ParksSources::Value(const std::string& db, const std::string& sql) const {
  Result<std::string> r = pg->QueryValue(sql, db);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << sql;
  return r.ok() ? *r : "";
}

}  // namespace deltabridge::test
