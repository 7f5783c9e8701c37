#include "cdc/config/duration.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

using std::chrono::microseconds;

microseconds Duration(std::string_view text) {
  Result<microseconds> d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : microseconds(-1);
}

std::string DurationError(std::string_view text) {
  Result<microseconds> d = ParseDuration(text);
  EXPECT_FALSE(d.ok()) << text;
  EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
  return d.status().message();
}

uint64_t Size(std::string_view text) {
  Result<uint64_t> s = ParseSize(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status().ToString();
  return s.ok() ? *s : 0;
}

std::string SizeError(std::string_view text) {
  Result<uint64_t> s = ParseSize(text);
  EXPECT_FALSE(s.ok()) << text;
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
  return s.status().message();
}

TEST(ParseDurationTest, EveryUnit) {
  EXPECT_EQ(Duration("500ms"), microseconds(500'000));
  EXPECT_EQ(Duration("2s"), microseconds(2'000'000));
  EXPECT_EQ(Duration("5m"), microseconds(300'000'000));
  EXPECT_EQ(Duration("1h"), microseconds(3'600'000'000));
  EXPECT_EQ(Duration("7d"), microseconds(604'800'000'000));
  EXPECT_EQ(Duration("0s"), microseconds(0));
  EXPECT_EQ(Duration("007s"), microseconds(7'000'000));
}

TEST(ParseDurationTest, RejectsEverythingElse) {
  for (std::string_view bad : {"", "s", "ms", "2", "2 s", " 2s", "2s ", "-2s", "+2s", "2.5s",
                               "2sec", "2S", "2H", "1w", "2us", "0x10s", "2s2", "2ms5"}) {
    EXPECT_EQ(DurationError(bad), "expected a duration such as 500ms, 2s, 5m, 1h or 7d, got \"" +
                                      std::string(bad) + "\"");
  }
}

TEST(ParseDurationTest, Overflow) {
  // int64 microseconds hold 9223372036854775807us.
  EXPECT_EQ(Duration("9223372036854775ms"), microseconds(9'223'372'036'854'775'000));
  EXPECT_EQ(DurationError("9223372036854776ms"),
            "expected a duration of at most 9223372036854775ms, got \"9223372036854776ms\"");
  EXPECT_EQ(Duration("106751991d"), microseconds(106'751'991LL * 86'400'000'000LL));
  EXPECT_EQ(DurationError("106751992d"),
            "expected a duration of at most 106751991d, got \"106751992d\"");
  EXPECT_EQ(DurationError("99999999999999999999999s"),
            "expected a duration of at most 9223372036854s, got \"99999999999999999999999s\"");
}

TEST(ParseSizeTest, UnitsAndBytes) {
  EXPECT_EQ(Size("512KiB"), 512u * 1024);
  EXPECT_EQ(Size("64MiB"), 64u * 1024 * 1024);
  EXPECT_EQ(Size("10GiB"), 10ull * 1024 * 1024 * 1024);
  EXPECT_EQ(Size("4096"), 4096u);
  EXPECT_EQ(Size("0"), 0u);
  EXPECT_EQ(Size("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(Size("17179869183GiB"), 17179869183ull << 30);
}

TEST(ParseSizeTest, RejectsEverythingElse) {
  for (std::string_view bad :
       {"", "GiB", "10 GiB", "-1", "+1", "1.5GiB", "10TiB", "10B", "10GiBs", "1e6"}) {
    EXPECT_EQ(SizeError(bad),
              "expected a size such as 512KiB, 64MiB, 10GiB or a byte count, got \"" +
                  std::string(bad) + "\"");
  }
}

TEST(ParseSizeTest, SuggestsBinaryUnits) {
  EXPECT_EQ(SizeError("10GB"),
            "expected a size such as 512KiB, 64MiB, 10GiB or a byte count, got \"10GB\"; did you "
            "mean \"10GiB\"?");
  EXPECT_EQ(SizeError("512k"),
            "expected a size such as 512KiB, 64MiB, 10GiB or a byte count, got \"512k\"; did you "
            "mean \"512KiB\"?");
  EXPECT_EQ(SizeError("64mib"),
            "expected a size such as 512KiB, 64MiB, 10GiB or a byte count, got \"64mib\"; did "
            "you mean \"64MiB\"?");
}

TEST(ParseSizeTest, Overflow) {
  EXPECT_EQ(SizeError("17179869184GiB"),
            "expected a size of at most 17179869183GiB, got \"17179869184GiB\"");
  EXPECT_EQ(SizeError("18446744073709551616"),
            "expected a size of at most 18446744073709551615, got \"18446744073709551616\"");
  EXPECT_EQ(SizeError("99999999999999999999KiB"),
            "expected a size of at most 18014398509481983KiB, got \"99999999999999999999KiB\"");
}

TEST(FormatTest, LargestExactUnit) {
  EXPECT_EQ(FormatDuration(std::chrono::hours(24 * 7)), "7d");
  EXPECT_EQ(FormatDuration(std::chrono::minutes(90)), "90m");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(microseconds(250)), "250us");
  EXPECT_EQ(FormatDuration(microseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(-2)), "-2s");
  EXPECT_EQ(FormatDuration(microseconds(INT64_MIN)), "-9223372036854775808us");
  EXPECT_EQ(FormatSize(10ull << 30), "10GiB");
  EXPECT_EQ(FormatSize(1536ull << 10), "1536KiB");
  EXPECT_EQ(FormatSize(1000), "1000");
  EXPECT_EQ(FormatSize(0), "0");
}

TEST(FormatTest, RoundTrips) {
  for (std::string_view text : {"500ms", "2s", "5m", "1h", "7d"}) {
    EXPECT_EQ(FormatDuration(Duration(text)), text);
  }
  for (std::string_view text : {"512KiB", "64MiB", "10GiB", "1000"}) {
    EXPECT_EQ(FormatSize(Size(text)), text);
  }
}

}  // namespace
}  // namespace deltabridge
