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

TEST(OriginTagTest, CarriesAPushsRef) {
  std::string tag = EncodeOriginTag(4, {"app.web"}, /*publish=*/true, "app:17");
  EXPECT_EQ(tag, R"({"n":4,"path":["app.web"],"publish":true,"ref":"app:17"})");
  Result<OriginTag> parsed = ParseOriginTag(tag);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->ref, "app:17");
  EXPECT_TRUE(parsed->publish);
  // Also without publish (a sink forwarding a pushed change), escaped.
  tag = EncodeOriginTag(5, {"app.web", "parks.main"}, false, R"(a "b" \c)");
  EXPECT_EQ(tag, R"({"n":5,"path":["app.web","parks.main"],"ref":"a \"b\" \\c"})");
  parsed = ParseOriginTag(tag);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->ref, R"(a "b" \c)");
  EXPECT_FALSE(parsed->publish);
  // None: no member, and an empty ref.
  EXPECT_EQ(EncodeOriginTag(6, {"a"}, false, ""), R"({"n":6,"path":["a"]})");
  EXPECT_EQ(ParseOriginTag(R"({"n":6,"path":["a"]})")->ref, "");
  // 200 printable ASCII characters at most.
  std::string longest(kMaxOriginRefBytes, '~');
  EXPECT_EQ(ParseOriginTag(EncodeOriginTag(7, {"a"}, true, longest))->ref, longest);
  EXPECT_TRUE(IsValidOriginRef(" "));
  EXPECT_TRUE(IsValidOriginRef(longest));
  EXPECT_FALSE(IsValidOriginRef(""));
  EXPECT_FALSE(IsValidOriginRef(longest + "~"));
  EXPECT_FALSE(IsValidOriginRef("a\tb"));
  EXPECT_FALSE(IsValidOriginRef("\x7f"));
  EXPECT_FALSE(IsValidOriginRef("\xc3\xa9"));
  for (const std::string& bad : {std::string(R"({"n":1,"path":["a"],"ref":""})"),
                                 std::string(R"({"n":1,"path":["a"],"ref":17})"),
                                 std::string(R"({"n":1,"path":["a"],"ref":null})"),
                                 std::string(R"({"n":1,"path":["a"],"ref":"a\u0001"})"),
                                 std::string(R"({"n":1,"path":["a"],"ref":"\u00e9"})"),
                                 R"({"n":1,"path":["a"],"ref":")" + longest + "~\"}"}) {
    Result<OriginTag> r = ParseOriginTag(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption()) << bad;
  }
  EXPECT_EQ(ParseOriginTag(R"({"n":1,"path":["a"],"ref":17})").status().message(),
            "origin tag ref is 17, not 1 to 200 printable ASCII characters");
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
