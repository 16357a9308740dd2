#include "core/status.h"

#include <gtest/gtest.h>

namespace plumb {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd", "x");
  return x / 2;
}

Result<int> Quarter(int x) {
  PLUMB_ASSIGN_OR_RETURN(int half, Half(x));
  PLUMB_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status CheckQuarter(int x) {
  PLUMB_RETURN_IF_ERROR(Quarter(x).status());
  return Status::Ok();
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Quarter(6).status().field(), "x");
  EXPECT_TRUE(CheckQuarter(4).ok());
  EXPECT_FALSE(CheckQuarter(2).ok());
}

TEST(StatusTest, WithLineNamesTheLine) {
  Status s = Status::InvalidArgument("bad").WithLine(7);
  EXPECT_EQ(s.line(), 7);
  EXPECT_EQ(s.message(), "line 7: bad");
  EXPECT_EQ(s.ToString(), "invalid_argument: line 7: bad");
}

}  // namespace
}  // namespace plumb
