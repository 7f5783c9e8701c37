// GroupCommit: when a streaming source commits its journal.
#include "cdc/core/group_commit.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(GroupCommit, IdleReadsWaitLong) {
  GroupCommit g(milliseconds(5), milliseconds(10), 20000);
  EXPECT_EQ(g.ReadWait(0), milliseconds(100));
  EXPECT_TRUE(g.DueAfterPause(0));  // nothing to commit: only marks the time
}

TEST(GroupCommit, ARecentCommitHoldsBackTheNext) {
  // Limits far beyond any scheduling delay, so "not yet" cannot turn true.
  GroupCommit g(seconds(10), seconds(10), 3);
  g.Committed();
  EXPECT_GT(g.ReadWait(1), milliseconds(9000));  // until min_gap has passed
  EXPECT_FALSE(g.DueAfterPause(1));
  EXPECT_FALSE(g.DueAfterData(2));
  EXPECT_TRUE(g.DueAfterData(3));  // max_changes commits at once
}

TEST(GroupCommit, OnceTheGapHasPassedAPauseCommits) {
  GroupCommit g(milliseconds(0), milliseconds(0), 20000);
  g.Committed();
  EXPECT_EQ(g.ReadWait(1), milliseconds(2));
  EXPECT_TRUE(g.DueAfterPause(1));
  EXPECT_TRUE(g.DueAfterData(1));  // interval passed
}

}  // namespace
}  // namespace deltabridge
