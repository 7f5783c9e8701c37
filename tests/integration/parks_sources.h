// ParksSources: the PostgreSQL sources of the bridge "parks" that every sink
// test streams from, "scheduling" (database `sched`) and "legacy" (database
// `legacy`), both on one TestPostgres. Borrows `pg`, which must outlive it.
// Sql() and Value() may be called from several threads at once (each opens
// its own connection).
#pragma once

#include <string>

#include "tests/support/test_postgres.h"

namespace deltabridge::test {

struct ParksSources {
  TestPostgres* pg = nullptr;
  std::string sched;
  std::string legacy;

  // The text of a `sources:` list (indented by 2) with both sources, each
  // with its own slot ("<db>_slot") and `tables:` list.
  std::string Both(const std::string& sched_tables = "[public.*]",
                   const std::string& legacy_tables = "[public.*]") const;
  // Only the scheduling source.
  std::string One(const std::string& tables = "[public.*]") const;

  // Runs `sql` in source database `db`; a failure fails the test.
  void Sql(const std::string& db, const std::string& sql) const;
  // The value `sql` returns in `db`, or "" (and a failed expectation).
  std::string Value(const std::string& db, const std::string& sql) const;
};

}  // namespace deltabridge::test
