#include "core/clock.h"

#include <gtest/gtest.h>

namespace plumb {
namespace {

TEST(ClockTest, FormatsIsoTimeInUtc) {
  EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoTime(1'795'836'047'123), "2026-11-28T03:20:47.123Z");
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMs(), 1000);
  clock.AdvanceMs(500);
  EXPECT_EQ(clock.NowMs(), 1500);
}

}  // namespace
}  // namespace plumb
