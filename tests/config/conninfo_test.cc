#include "cdc/config/conninfo.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

TEST(RedactConninfoTest, KeywordValueForm) {
  EXPECT_EQ(RedactConninfo("host=a password=secret user=b"), "host=a password=*** user=b");
  EXPECT_EQ(RedactConninfo("password=secret"), "password=***");
  EXPECT_EQ(RedactConninfo("password='se cret' host=a"), "password=*** host=a");
  EXPECT_EQ(RedactConninfo(R"(password = 'it\'s' dbname=x)"), "password=*** dbname=x");
  EXPECT_EQ(RedactConninfo(R"(password=a\ b host=a)"), "password=*** host=a");
  EXPECT_EQ(RedactConninfo("host=a  password=x\tport=5432"), "host=a  password=***\tport=5432");
  EXPECT_EQ(RedactConninfo("host=a PASSWORD=x"), "host=a password=***");
  EXPECT_EQ(RedactConninfo("password=one password=two"), "password=*** password=***");
  EXPECT_EQ(RedactConninfo("password="), "password=***");
}

TEST(RedactConninfoTest, MalformedInputStillRedacted) {
  EXPECT_EQ(RedactConninfo("host=a password='unterminated and more"), "host=a password=***");
  EXPECT_EQ(RedactConninfo("password secret host=a"), "password=*** host=a");
}

TEST(RedactConninfoTest, LeavesOtherKeywordsAlone) {
  EXPECT_EQ(RedactConninfo("host=127.0.0.1 port=5432 dbname=parks user=deltabridge"),
            "host=127.0.0.1 port=5432 dbname=parks user=deltabridge");
  EXPECT_EQ(RedactConninfo("passfile=/x/.pgpass"), "passfile=/x/.pgpass");
  EXPECT_EQ(RedactConninfo("application_name='password=x'"), "application_name='password=x'");
  EXPECT_EQ(RedactConninfo(""), "");
}

TEST(RedactConninfoTest, UriForm) {
  EXPECT_EQ(RedactConninfo("postgresql://user:secret@host:5432/db"),
            "postgresql://user:***@host:5432/db");
  EXPECT_EQ(RedactConninfo("postgres://user:secret@host/db?sslmode=require"),
            "postgres://user:***@host/db?sslmode=require");
  EXPECT_EQ(RedactConninfo("postgresql://user@host/db?password=secret&sslmode=require"),
            "postgresql://user@host/db?password=***&sslmode=require");
  EXPECT_EQ(RedactConninfo("postgresql://u:p@ss/w@host/db"), "postgresql://u:***@host/db");
  EXPECT_EQ(RedactConninfo("postgresql://host/db"), "postgresql://host/db");
  EXPECT_EQ(RedactConninfo("postgresql://user@host"), "postgresql://user@host");
  EXPECT_EQ(RedactConninfo("postgresql://"), "postgresql://");
  EXPECT_EQ(RedactConninfo("PostgreSQL://u:secret@h"), "PostgreSQL://u:***@h");
}

TEST(CheckConninfoSyntaxTest, Accepts) {
  EXPECT_EQ(CheckConninfoSyntax("host=127.0.0.1 port=5432 dbname=parks user=deltabridge"),
            std::nullopt);
  EXPECT_EQ(CheckConninfoSyntax("host = a  dbname='my db'"), std::nullopt);
  EXPECT_EQ(CheckConninfoSyntax(R"(password='it\'s')"), std::nullopt);
  EXPECT_EQ(CheckConninfoSyntax("postgresql://u@h/db"), std::nullopt);
}

TEST(CheckConninfoSyntaxTest, RejectsWithoutEchoingValues) {
  EXPECT_EQ(CheckConninfoSyntax(""), "empty connection string");
  EXPECT_EQ(CheckConninfoSyntax("host"), "missing \"=\" after keyword \"host\"");
  EXPECT_EQ(CheckConninfoSyntax("=x"), "missing keyword before \"=\"");
  EXPECT_EQ(CheckConninfoSyntax("host=a password='secret"),
            "unterminated quoted value for keyword \"password\"");
  EXPECT_EQ(CheckConninfoSyntax("Host=a"),
            "expected keyword=value pairs such as host=... dbname=...");
  // A stray word is not echoed: it may be a password typed in the wrong place.
  EXPECT_EQ(CheckConninfoSyntax("password secret"), "missing \"=\" after keyword \"password\"");
  for (std::string_view conninfo : {"host=a Secret123", "host=a secret"}) {
    EXPECT_EQ(CheckConninfoSyntax(conninfo),
              "expected keyword=value pairs such as host=... dbname=...")
        << conninfo;
  }
}

}  // namespace
}  // namespace deltabridge
