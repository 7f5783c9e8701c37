#include "cdc/core/lsn.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

TEST(LsnTest, FormatsAndParses) {
  EXPECT_EQ(Lsn(0).ToString(), "0/0");
  EXPECT_EQ(Lsn(0x16B3748).ToString(), "0/16B3748");
  EXPECT_EQ(Lsn(0x00000016B374D848ull).ToString(), "16/B374D848");
  EXPECT_EQ(Lsn::Parse("16/B374D848")->value, 0x00000016B374D848ull);
  EXPECT_EQ(Lsn::Parse("0/0")->value, 0u);
  EXPECT_EQ(Lsn::Parse("ffffffff/ffffffff")->value, ~0ull);
}

TEST(LsnTest, RejectsGarbage) {
  for (const char* bad : {"", "/", "1/", "/1", "1/2/3", "x/1", "1/x", "1 /2", "100000000/0"}) {
    EXPECT_FALSE(Lsn::Parse(bad).has_value()) << bad;
  }
}

TEST(LsnTest, Orders) {
  EXPECT_LT(Lsn(1), Lsn(2));
  EXPECT_EQ(Lsn(5), Lsn(5));
}

}  // namespace
}  // namespace deltabridge
