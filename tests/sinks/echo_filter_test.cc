// ClassifyPath: self, echo, forwarded copy or apply, by a delta's path.
#include "sinks/echo_filter.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace deltabridge {
namespace {

using Path = std::vector<std::string>;

// The nodes in `direct` are received directly; every question is recorded.
struct Direct {
  explicit Direct(std::set<std::string, std::less<>> nodes) : direct(std::move(nodes)) {}

  std::set<std::string, std::less<>> direct;
  std::vector<std::string> asked;

  std::function<bool(std::string_view)> Fn() {
    return [this](std::string_view node) {
      asked.emplace_back(node);
      return direct.find(node) != direct.end();
    };
  }
};

PathVerdict Verdict(const Path& path, std::string_view target, Direct* d) {
  return ClassifyPath(path, target, d->Fn()).verdict;
}

TEST(ClassifyPathTest, OrdinaryChangeFromElsewhereIsApplied) {
  Direct d({"a"});
  EXPECT_EQ(Verdict({"parks.scheduling"}, "legacy.main", &d), PathVerdict::kApply);
  EXPECT_EQ(Verdict({"parks.scheduling"}, "", &d), PathVerdict::kApply);
  // A path of one node is never a forwarded copy: is_direct is not asked.
  EXPECT_EQ(Verdict({"a"}, "", &d), PathVerdict::kApply);
  EXPECT_TRUE(d.asked.empty());
}

TEST(ClassifyPathTest, TheTargetsOwnNodeAloneIsSelf) {
  Direct d({"legacy.main"});
  EXPECT_EQ(Verdict({"legacy.main"}, "legacy.main", &d), PathVerdict::kSelf);
  EXPECT_TRUE(d.asked.empty());
  // Without a target node nothing is self.
  EXPECT_EQ(Verdict({"legacy.main"}, "", &d), PathVerdict::kApply);
}

TEST(ClassifyPathTest, TheTargetsNodeAnywhereOnALongerPathIsAnEcho) {
  Direct d({"a", "h"});
  PathCheck first = ClassifyPath(Path{"t", "h"}, "t", d.Fn());
  EXPECT_EQ(first.verdict, PathVerdict::kEcho);
  EXPECT_EQ(first.at, 0u);
  PathCheck middle = ClassifyPath(Path{"a", "t", "h"}, "t", d.Fn());
  EXPECT_EQ(middle.verdict, PathVerdict::kEcho);
  EXPECT_EQ(middle.at, 1u);
  PathCheck last = ClassifyPath(Path{"a", "t"}, "t", d.Fn());
  EXPECT_EQ(last.verdict, PathVerdict::kEcho);
  EXPECT_EQ(last.at, 1u);
  // An echo wins over a forwarded copy: is_direct is not asked.
  EXPECT_TRUE(d.asked.empty());
}

TEST(ClassifyPathTest, ANodeReceivedDirectlyBeforeTheLastMakesAForwardedCopy) {
  Direct d({"a"});
  PathCheck c = ClassifyPath(Path{"a", "h"}, "", d.Fn());
  EXPECT_EQ(c.verdict, PathVerdict::kForwarded);
  EXPECT_EQ(c.at, 0u);
  EXPECT_EQ(d.asked, (Path{"a"}));

  // The last node (the one that forwarded it, received directly too) does not count.
  d.asked.clear();
  d.direct = {"h"};
  EXPECT_EQ(Verdict({"a", "h"}, "", &d), PathVerdict::kApply);
  EXPECT_EQ(d.asked, (Path{"a"}));

  // Any node before the last, in path order.
  d.asked.clear();
  d.direct = {"b"};
  c = ClassifyPath(Path{"a", "b", "h"}, "t", d.Fn());
  EXPECT_EQ(c.verdict, PathVerdict::kForwarded);
  EXPECT_EQ(c.at, 1u);
  EXPECT_EQ(d.asked, (Path{"a", "b"}));

  d.asked.clear();
  d.direct = {};
  EXPECT_EQ(Verdict({"a", "b", "h"}, "t", &d), PathVerdict::kApply);
  EXPECT_EQ(d.asked, (Path{"a", "b"}));
}

TEST(ClassifyPathTest, VerdictsHaveNames) {
  EXPECT_EQ(PathVerdictName(PathVerdict::kApply), "apply");
  EXPECT_EQ(PathVerdictName(PathVerdict::kSelf), "self");
  EXPECT_EQ(PathVerdictName(PathVerdict::kEcho), "echo");
  EXPECT_EQ(PathVerdictName(PathVerdict::kForwarded), "forwarded");
}

}  // namespace
}  // namespace deltabridge
