#include "cdc/core/glob.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

TEST(GlobMatchTest, Literal) {
  EXPECT_TRUE(GlobMatch("public.tour_slots", "public.tour_slots"));
  EXPECT_FALSE(GlobMatch("public.tour_slots", "public.tour_slot"));
  EXPECT_FALSE(GlobMatch("public.tour_slots", "public.Tour_slots"));  // case matters
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_FALSE(GlobMatch("a", ""));
}

TEST(GlobMatchTest, StarStaysWithinOnePart) {
  EXPECT_TRUE(GlobMatch("public.*", "public.tour_slots"));
  EXPECT_FALSE(GlobMatch("public.*", "public.a.b"));
  EXPECT_FALSE(GlobMatch("public.*", "public"));
  EXPECT_TRUE(GlobMatch("public.*", "public."));  // '*' matches an empty part
  EXPECT_FALSE(GlobMatch("*", "public.tour_slots"));
  EXPECT_TRUE(GlobMatch("*.*", "a.b"));
  EXPECT_FALSE(GlobMatch("*.*", "a"));
  EXPECT_FALSE(GlobMatch("*.*", "a.b.c"));
  EXPECT_TRUE(GlobMatch("habitat.*", "habitat.enclosures"));
  EXPECT_FALSE(GlobMatch("habitat.*", "habitats.enclosures"));
}

TEST(GlobMatchTest, StarWithinPart) {
  EXPECT_TRUE(GlobMatch("public.ranger_*", "public.ranger_shifts"));
  EXPECT_TRUE(GlobMatch("public.ranger_*", "public.ranger_"));
  EXPECT_FALSE(GlobMatch("public.ranger_*", "public.rangers"));
  EXPECT_TRUE(GlobMatch("public.*_log", "public.audit_log"));
  EXPECT_FALSE(GlobMatch("public.*_log", "public.audit_logs"));
  EXPECT_TRUE(GlobMatch("p*c.t*s", "public.tour_slots"));
  EXPECT_TRUE(GlobMatch("a*b*c", "abc"));
  EXPECT_TRUE(GlobMatch("*a*b", "xaybzb"));  // needs the star to backtrack
  EXPECT_FALSE(GlobMatch("*a*b", "xaybzbc"));
  EXPECT_TRUE(GlobMatch("**", "anything"));
  EXPECT_TRUE(GlobMatch("a*", "a*"));  // no escapes: a literal '*' in a name is just a char
}

TEST(GlobMatchTest, QuestionMark) {
  EXPECT_TRUE(GlobMatch("pub?ic.x", "public.x"));
  EXPECT_FALSE(GlobMatch("pub?ic.x", "pubic.x"));
  EXPECT_FALSE(GlobMatch("a?b", "a.b"));  // not across '.'
  EXPECT_TRUE(GlobMatch("t?", "t1"));
  EXPECT_FALSE(GlobMatch("t?", "t"));
  EXPECT_FALSE(GlobMatch("t?", "t12"));
}

TEST(GlobMatchTest, Topics) {
  EXPECT_TRUE(
      GlobMatch("parks.scheduling.public.tour_slots", "parks.scheduling.public.tour_slots"));
  EXPECT_TRUE(GlobMatch("parks.*.public.tour_slots", "parks.legacy.public.tour_slots"));
  EXPECT_TRUE(GlobMatch("parks.legacy.*", "parks.legacy.BOOKINGS"));
  EXPECT_FALSE(GlobMatch("parks.legacy.*", "parks.scheduling.public.tour_slots"));
  EXPECT_TRUE(GlobMatch("parks.*.*.*", "parks.scheduling.public.tour_slots"));
}

TEST(GlobMatchTest, HasGlobChars) {
  EXPECT_TRUE(HasGlobChars("public.*"));
  EXPECT_TRUE(HasGlobChars("t?"));
  EXPECT_FALSE(HasGlobChars("public.tour_slots"));
}

}  // namespace
}  // namespace deltabridge
