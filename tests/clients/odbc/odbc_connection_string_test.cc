// The ODBC connection string parser and the redaction built on it
// (cdc/clients/odbc/odbc_connection_string.h).
#include "cdc/clients/odbc/odbc_connection_string.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

// key=value pairs of the parse, for comparing.
std::vector<std::pair<std::string, std::string>> Pairs(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const OdbcConnectionItem& item : ParseOdbcConnectionString(s)) {
    out.emplace_back(item.key, item.value);
  }
  return out;
}

using P = std::vector<std::pair<std::string, std::string>>;

TEST(ParseOdbcConnectionStringTest, PlainItems) {
  EXPECT_EQ(Pairs("Driver=SQLite3;Database=/srv/x.db;"),
            (P{{"Driver", "SQLite3"}, {"Database", "/srv/x.db"}}));
  EXPECT_EQ(Pairs("DSN=legacy"), (P{{"DSN", "legacy"}}));
  EXPECT_EQ(Pairs(""), P{});
  EXPECT_EQ(Pairs(";;"), P{});
}

TEST(ParseOdbcConnectionStringTest, SpacesAroundKeysAndValuesAreTrimmed) {
  EXPECT_EQ(Pairs(" Server = 127.0.0.1 ; Port= 5432;"),
            (P{{"Server", "127.0.0.1"}, {"Port", "5432"}}));
  EXPECT_EQ(Pairs("Key=a b"), (P{{"Key", "a b"}}));  // inner spaces stay
}

TEST(ParseOdbcConnectionStringTest, BracedValues) {
  EXPECT_EQ(Pairs("PWD={a;b}}c};X=1"), (P{{"PWD", "a;b}c"}, {"X", "1"}}));
  EXPECT_EQ(Pairs("Driver={PostgreSQL Unicode};Server=h"),
            (P{{"Driver", "PostgreSQL Unicode"}, {"Server", "h"}}));
  EXPECT_EQ(Pairs("PWD= { sp ace }"), (P{{"PWD", " sp ace "}}));       // inside braces, kept
  EXPECT_EQ(Pairs("PWD={a}junk;X=1"), (P{{"PWD", "a"}, {"X", "1"}}));  // after '}': ignored
  EXPECT_EQ(Pairs("PWD={never closed;X=1"), (P{{"PWD", "never closed;X=1"}}));
  EXPECT_EQ(Pairs("PWD={}"), (P{{"PWD", ""}}));
  EXPECT_EQ(Pairs("PWD={}}}"), (P{{"PWD", "}"}}));
}

TEST(ParseOdbcConnectionStringTest, MalformedSegmentsAreSkipped) {
  EXPECT_EQ(Pairs("junk;DSN=x;more junk"), (P{{"DSN", "x"}}));
  EXPECT_EQ(Pairs("=v;DSN=x"), (P{{"", "v"}, {"DSN", "x"}}));
  EXPECT_EQ(Pairs("A=1=2"), (P{{"A", "1=2"}}));
}

TEST(ParseOdbcConnectionStringTest, ValueOffsetsCoverTheValueAsWritten) {
  const std::string s = "UID=u; PWD = {a;b} ;X=1";
  std::vector<OdbcConnectionItem> items = ParseOdbcConnectionString(s);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(s.substr(items[0].value_begin, items[0].value_end - items[0].value_begin), "u");
  EXPECT_EQ(s.substr(items[1].value_begin, items[1].value_end - items[1].value_begin), " {a;b} ");
  EXPECT_EQ(s.substr(items[2].value_begin, items[2].value_end - items[2].value_begin), "1");
}

TEST(ParseOdbcConnectionStringTest, KeysCompareWithoutCase) {
  EXPECT_TRUE(OdbcKeyIs("StepAPI", "stepapi"));
  EXPECT_TRUE(OdbcKeyIs("PWD", "pwd"));
  EXPECT_FALSE(OdbcKeyIs("PWDX", "pwd"));
  EXPECT_TRUE(IsOdbcPasswordKey("Pwd"));
  EXPECT_TRUE(IsOdbcPasswordKey("PASSWORD"));
  EXPECT_FALSE(IsOdbcPasswordKey("UID"));

  std::vector<OdbcConnectionItem> items =
      ParseOdbcConnectionString("Database=/data/stepapi/x.db;stepapi=0;StepAPI=1");
  EXPECT_EQ(FindOdbcConnectionValue(items, "StepAPI"), "1");  // the last one
  EXPECT_EQ(FindOdbcConnectionValue(items, "Driver"), std::nullopt);
  // A key's name inside another item's value is not that key.
  EXPECT_EQ(
      FindOdbcConnectionValue(ParseOdbcConnectionString("Database=/data/stepapi/x.db"), "StepAPI"),
      std::nullopt);
}

// Moved here, assertions unchanged, with RedactOdbcConnectionString from
// cdc/config/conninfo.h.
TEST(RedactOdbcTest, PwdAndPassword) {
  EXPECT_EQ(RedactOdbcConnectionString("Driver=SQLite3;UID=u;PWD=secret;Database=x"),
            "Driver=SQLite3;UID=u;PWD=***;Database=x");
  EXPECT_EQ(RedactOdbcConnectionString("DSN=legacy;Password=secret"), "DSN=legacy;Password=***");
  EXPECT_EQ(RedactOdbcConnectionString("PWD={a;b}}c};X=1"), "PWD=***;X=1");
  EXPECT_EQ(RedactOdbcConnectionString("pwd=x"), "pwd=***");
  EXPECT_EQ(RedactOdbcConnectionString("Driver=SQLite3;Database=/srv/legacy/parks.db"),
            "Driver=SQLite3;Database=/srv/legacy/parks.db");
  EXPECT_EQ(RedactOdbcConnectionString("DSN=x;;"), "DSN=x;;");
}

TEST(RedactOdbcConnectionStringTest, ReplacesOnlyPasswordValues) {
  EXPECT_EQ(RedactOdbcConnectionString("UID=u; PWD = {a;b} ;X=1"), "UID=u; PWD =***;X=1");
  EXPECT_EQ(RedactOdbcConnectionString("PWD=a;Password=b;pwd={c}"), "PWD=***;Password=***;pwd=***");
  EXPECT_EQ(RedactOdbcConnectionString("junk;PWD=x;more"), "junk;PWD=***;more");
  EXPECT_EQ(RedactOdbcConnectionString("PWD={never closed;X=1"), "PWD=***");
  EXPECT_EQ(RedactOdbcConnectionString("PWD="), "PWD=***");
  EXPECT_EQ(RedactOdbcConnectionString(""), "");
}

}  // namespace
}  // namespace deltabridge
