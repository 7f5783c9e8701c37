// SinkTestBase: the fixture the sink end-to-end tests share (pg_sink_test.cc,
// mysql_sink_test.cc, odbc_sink_test.cc). One TestPostgres for the suite
// (pg_, started in SetUpTestSuite) holds each test's two source databases of
// the bridge "parks", "<name>_sched" and "<name>_legacy" (ParksSources),
// made in SetUp; TearDown drops the test's idle replication slots so that
// they hold no WAL for the next tests. A derived fixture adds its target: its
// own SetUpTestSuite, TearDownTestSuite and SetUp call these first.
//
// gtest runs one test of a suite at a time; Sql() and Value() may be called
// from several threads at once (ParksSources).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/integration/parks_sources.h"
#include "tests/support/test_postgres.h"

namespace deltabridge::test {

class SinkTestBase : public ::testing::Test {
 protected:
  // Every test's name is `prefix` and its number in the suite ("sink3").
  explicit SinkTestBase(std::string prefix) : prefix_(std::move(prefix)) {}

  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  std::string sched() const { return name_ + "_sched"; }
  std::string legacy() const { return name_ + "_legacy"; }

  // SQL in a source database.
  void Sql(const std::string& db, const std::string& sql) { parks().Sql(db, sql); }
  std::string Value(const std::string& db, const std::string& sql) {
    return parks().Value(db, sql);
  }

  // The two sources of the bridge "parks": scheduling and legacy.
  ParksSources parks() const { return {pg_, sched(), legacy()}; }
  std::string Sources(const std::string& sched_tables = "[public.*]",
                      const std::string& legacy_tables = "[public.*]") const {
    return parks().Both(sched_tables, legacy_tables);
  }
  // Only the scheduling source.
  std::string OneSource(const std::string& tables = "[public.*]") const {
    return parks().One(tables);
  }

  static TestPostgres* pg_;
  // This test's name, short: slot names ("<name>_sched_slot") have at most
  // 63 characters.
  std::string name_;

 private:
  std::string prefix_;
};

}  // namespace deltabridge::test
