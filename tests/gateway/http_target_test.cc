// The front's pure parts: request targets, routes, CORS origins.
#include "gateway/http_target.h"

#include <gtest/gtest.h>

#include "gateway/cors_policy.h"
#include "gateway/http_router.h"

namespace deltabridge {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndPlusOnlyWhereAsked) {
  EXPECT_EQ(*PercentDecode("seats+%3C+10", true), "seats < 10");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(*PercentDecode("%2B%2b", true), "++");
  EXPECT_EQ(*PercentDecode("caf%C3%A9", false), "caf\xC3\xA9");
  EXPECT_FALSE(PercentDecode("%4", true).ok());
  EXPECT_FALSE(PercentDecode("%zz", true).ok());
  EXPECT_FALSE(PercentDecode("a%00b", true).ok());
}

TEST(ParseRequestTargetTest, SplitsPathBeforeDecoding) {
  auto target = ParseRequestTarget("/sync/sched%2Fule%20x?from=12&where=status+%3D+%27open%27");
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  ASSERT_EQ(target->segments.size(), 2u);
  EXPECT_EQ(target->segments[0], "sync");
  EXPECT_EQ(target->segments[1], "sched/ule x");
  EXPECT_EQ(target->query.at("from"), "12");
  EXPECT_EQ(target->query.at("where"), "status = 'open'");
}

TEST(ParseRequestTargetTest, EmptyPartsAndValues) {
  auto root = ParseRequestTarget("/");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->segments.empty());
  auto trailing = ParseRequestTarget("/sync/?batch&&from=");
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->segments, (std::vector<std::string>{"sync", ""}));
  EXPECT_EQ(trailing->query.at("batch"), "");
  EXPECT_EQ(trailing->query.at("from"), "");
}

TEST(ParseRequestTargetTest, RefusesRepeatsBadEscapesAndNonPaths) {
  auto repeated = ParseRequestTarget("/sync/a?from=1&from=2");
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.status().message().find("'from' is given more than once"), std::string::npos);
  // The same name spelled two ways is still the same parameter.
  EXPECT_FALSE(ParseRequestTarget("/sync/a?from=1&fr%6Fm=2").ok());
  auto bad = ParseRequestTarget("/sync/a?token=%zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("%zz"), std::string::npos) << "never quote a query value";
  EXPECT_FALSE(ParseRequestTarget("/sync/a%g1").ok());
  EXPECT_FALSE(ParseRequestTarget("http://host/sync/a").ok());
  EXPECT_FALSE(ParseRequestTarget("*").ok());
  EXPECT_FALSE(ParseRequestTarget("").ok());
}

Route RouteOf(std::string_view method, std::string_view target, bool page = false) {
  auto parsed = ParseRequestTarget(target);
  EXPECT_TRUE(parsed.ok());
  return RouteRequest(method, *parsed, page);
}

TEST(RouteRequestTest, Endpoints) {
  EXPECT_EQ(RouteOf("GET", "/sync/scheduling?from=1").kind, RouteKind::kSyncStream);
  EXPECT_EQ(RouteOf("GET", "/sync/scheduling").entity, "scheduling");
  EXPECT_EQ(RouteOf("POST", "/sync/scheduling").kind, RouteKind::kSyncPush);
  EXPECT_EQ(RouteOf("OPTIONS", "/sync/scheduling").kind, RouteKind::kPreflight);
  EXPECT_EQ(RouteOf("OPTIONS", "/sync/scheduling").allow, "GET, POST, OPTIONS");
  Route put = RouteOf("PUT", "/sync/scheduling");
  EXPECT_EQ(put.kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(put.allow, "GET, POST, OPTIONS");
  EXPECT_EQ(RouteOf("GET", "/client.js").kind, RouteKind::kClientJs);
  EXPECT_EQ(RouteOf("HEAD", "/client.js").kind, RouteKind::kClientJs);
  EXPECT_EQ(RouteOf("POST", "/client.js").kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(RouteOf("GET", "/healthz").kind, RouteKind::kHealth);
  EXPECT_EQ(RouteOf("GET", "/", true).kind, RouteKind::kPage);
  EXPECT_EQ(RouteOf("GET", "/", false).kind, RouteKind::kNotFound);
  EXPECT_EQ(RouteOf("GET", "/sync/").kind, RouteKind::kNotFound);
  EXPECT_EQ(RouteOf("GET", "/sync/a/b").kind, RouteKind::kNotFound);
  EXPECT_EQ(RouteOf("GET", "/sync").kind, RouteKind::kNotFound);
  EXPECT_EQ(RouteOf("GET", "/other").kind, RouteKind::kNotFound);
  EXPECT_EQ(RouteOf("get", "/sync/a").kind, RouteKind::kMethodNotAllowed);
}

TEST(CorsPolicyTest, ListedOriginsAfterNormalization) {
  CorsPolicy cors({"https://App.Example.com/", "http://localhost:3000"});
  EXPECT_TRUE(cors.Allows("https://app.example.com"));
  EXPECT_TRUE(cors.Allows("https://app.example.com:443"));
  EXPECT_TRUE(cors.Allows("http://localhost:3000"));
  EXPECT_FALSE(cors.Allows("http://app.example.com"));
  EXPECT_FALSE(cors.Allows("https://evil.example.com"));
  EXPECT_FALSE(cors.Allows("http://localhost:3001"));
  EXPECT_FALSE(cors.Allows("null"));
  EXPECT_FALSE(CorsPolicy({}).Allows("https://app.example.com"));
  EXPECT_TRUE(CorsPolicy({"*"}).Allows("https://anything.example"));
}

TEST(CorsPolicyTest, SameOriginNamesTheHostAndScheme) {
  EXPECT_TRUE(CorsPolicy::IsSameOrigin("http://127.0.0.1:8080", "127.0.0.1:8080", false));
  EXPECT_TRUE(CorsPolicy::IsSameOrigin("https://gw.example.com", "GW.example.com:443", true));
  EXPECT_TRUE(CorsPolicy::IsSameOrigin("http://gw.example.com", "gw.example.com", false));
  EXPECT_FALSE(CorsPolicy::IsSameOrigin("http://gw.example.com", "gw.example.com", true));
  EXPECT_FALSE(CorsPolicy::IsSameOrigin("http://127.0.0.1:8081", "127.0.0.1:8080", false));
  EXPECT_FALSE(CorsPolicy::IsSameOrigin("http://127.0.0.1:8080", "", false));
}

}  // namespace
}  // namespace deltabridge
