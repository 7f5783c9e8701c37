// Scrubbing passwords out of driver diagnostics
// (cdc/clients/odbc/odbc_password_scrubber.h).
#include "cdc/clients/odbc/odbc_password_scrubber.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

TEST(OdbcPasswordScrubberTest, ReplacesEveryPasswordOfTheString) {
  OdbcPasswordScrubber scrubber("Driver=x;UID=u;PWD=hunter2;Password={se;cr}}et};");
  EXPECT_EQ(scrubber.Scrub("login failed for u with hunter2 (hunter2)"),
            "login failed for u with *** (***)");
  EXPECT_EQ(scrubber.Scrub("bad password se;cr}et"), "bad password ***");
  EXPECT_EQ(scrubber.Scrub("nothing secret here"), "nothing secret here");
}

TEST(OdbcPasswordScrubberTest, KeysInAnyCase) {
  EXPECT_EQ(OdbcPasswordScrubber("pwd=abc").Scrub("x abc y"), "x *** y");
  EXPECT_EQ(OdbcPasswordScrubber("PASSWORD=abc").Scrub("abcabc"), "******");
}

TEST(OdbcPasswordScrubberTest, NoPasswordNoChange) {
  EXPECT_EQ(OdbcPasswordScrubber("DSN=legacy;UID=u").Scrub("DSN=legacy;UID=u"), "DSN=legacy;UID=u");
  EXPECT_EQ(OdbcPasswordScrubber("PWD=;X=1").Scrub("PWD=;X=1"), "PWD=;X=1");  // empty: nothing
  EXPECT_EQ(OdbcPasswordScrubber().Scrub("text"), "text");
  // Only the value is a secret, not what merely looks like one elsewhere.
  EXPECT_EQ(OdbcPasswordScrubber("Database=/srv/pwd/x.db").Scrub("/srv/pwd/x.db"), "/srv/pwd/x.db");
}

TEST(OdbcPasswordScrubberTest, StatusKeepsItsCode) {
  OdbcPasswordScrubber scrubber("PWD=s3cret");
  Status unavailable = scrubber.Scrub(Status::Unavailable("cannot connect: s3cret refused"));
  EXPECT_EQ(unavailable.code(), Status::Code::kUnavailable);
  EXPECT_EQ(unavailable.message(), "cannot connect: *** refused");
  EXPECT_EQ(scrubber.Scrub(Status::Rejected("s3cret")).code(), Status::Code::kRejected);
  EXPECT_EQ(scrubber.Scrub(Status::FailedPrecondition("s3cret")).message(), "***");
  EXPECT_TRUE(scrubber.Scrub(Status::Ok()).ok());
}

}  // namespace
}  // namespace deltabridge
