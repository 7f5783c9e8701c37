// The origin tag a sink writes and a bridge reads back (docs/two-way.md).
#include "cdc/wire/origin_tag.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

TEST(OriginTagTest, RoundTrips) {
  std::string tag = EncodeOriginTag(17, {"parks.scheduling", "hub.main"});
  EXPECT_EQ(tag, R"({"n":17,"path":["parks.scheduling","hub.main"]})");
  Result<std::vector<std::string>> path = DecodeOriginTag(tag);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, (std::vector<std::string>{"parks.scheduling", "hub.main"}));
}

TEST(OriginTagTest, APushAsksToBePublished) {
  std::string tag = EncodeOriginTag(3, {"app.web"}, /*publish=*/true);
  EXPECT_EQ(tag, R"({"n":3,"path":["app.web"],"publish":true})");
  Result<OriginTag> parsed = ParseOriginTag(tag);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->publish);
  EXPECT_EQ(parsed->path, std::vector<std::string>{"app.web"});
  EXPECT_FALSE(ParseOriginTag(EncodeOriginTag(3, {"a"}))->publish);
  EXPECT_FALSE(ParseOriginTag(R"({"n":1,"path":["a"],"publish":1})").ok());
}

TEST(OriginTagTest, RejectsWhatIsNotATag) {
  for (const char* bad : {"", "x", "[]", R"({"n":1})", R"({"path":[]})", R"({"path":"a"})",
                          R"({"path":[1]})", R"({"path":[""]})"}) {
    EXPECT_FALSE(DecodeOriginTag(bad).ok()) << bad;
  }
}

TEST(OriginTagTest, RecognisesTheTablesInAnySchema) {
  EXPECT_TRUE(IsOriginTagTable("deltabridge_origin"));
  EXPECT_TRUE(IsOriginTagTable("public.deltabridge_origin"));
  EXPECT_TRUE(IsOriginTagTable("legacy.deltabridge_origin"));
  EXPECT_FALSE(IsOriginTagTable("public.deltabridge_origins"));
  EXPECT_FALSE(IsOriginTagTable("deltabridge_origin.t"));
  EXPECT_TRUE(IsDeltabridgeTable("public.deltabridge_checkpoints"));
  EXPECT_TRUE(IsDeltabridgeTable("deltabridge_row_writers"));
  EXPECT_FALSE(IsDeltabridgeTable("deltabridge.t"));
  EXPECT_FALSE(IsDeltabridgeTable("public.tour_slots"));
}

}  // namespace
}  // namespace deltabridge
