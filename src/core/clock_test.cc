#include "core/clock.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace plumb {
namespace {

TEST(ClockTest, FormatsIsoTimeInUtc) {
  EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoTime(1'795'836'047'123), "2026-11-28T03:20:47.123Z");
}

// The C library's formatting of the same instant, as the reference.
std::string LibcIsoTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

TEST(ClockTest, FormatsIsoTimeLikeTheCLibrary) {
  // Every ~7.3 hours from 1900 to 2300, across leap days and century years,
  // and the edges of days and of the epoch.
  for (int64_t ms = -2'208'988'800'000; ms < 10'413'792'000'000; ms += 26'297'777'777) {
    ASSERT_EQ(FormatIsoTime(ms), LibcIsoTime(ms)) << ms;
  }
  for (int64_t ms :
       {int64_t{-1}, int64_t{-999}, int64_t{-1000}, int64_t{-86'400'001}, int64_t{951'782'400'000},
        int64_t{951'868'799'999}, int64_t{4'107'542'399'999}, int64_t{1'709'164'800'000}}) {
    EXPECT_EQ(FormatIsoTime(ms), LibcIsoTime(ms)) << ms;
  }
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMs(), 1000);
  clock.AdvanceMs(500);
  EXPECT_EQ(clock.NowMs(), 1500);
}

}  // namespace
}  // namespace plumb
