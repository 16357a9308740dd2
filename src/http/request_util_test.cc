#include "http/request_util.h"

#include <gtest/gtest.h>

namespace plumb::http {
namespace {

TEST(SplitTargetTest, DecodesPathAndQuery) {
  std::string path;
  std::multimap<std::string, std::string> query;
  SplitTarget("/api/v1/projects/3/tasks?state=done&cursor=a12&x=a%20b+c&bad=%zz&=v", path, query);
  EXPECT_EQ(path, "/api/v1/projects/3/tasks");
  EXPECT_EQ(query.find("state")->second, "done");
  EXPECT_EQ(query.find("cursor")->second, "a12");
  EXPECT_EQ(query.find("x")->second, "a b c");
  EXPECT_EQ(query.count("bad"), 0u);
  EXPECT_EQ(query.size(), 3u);
}

TEST(PercentDecodeTest, RejectsTruncatedEscapes) {
  EXPECT_EQ(PercentDecode("a%4", false), std::nullopt);
  EXPECT_EQ(PercentDecode("a%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%41%42", false), "AB");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

TEST(CookieValueTest, FindsTheNamedCookie) {
  EXPECT_EQ(CookieValue("a=1; plumb_session=xyz; b=2", "plumb_session"), "xyz");
  EXPECT_EQ(CookieValue("plumb_session=abc", "plumb_session"), "abc");
  EXPECT_EQ(CookieValue("xplumb_session=abc", "plumb_session"), "");
  EXPECT_EQ(CookieValue("", "plumb_session"), "");
}

}  // namespace
}  // namespace plumb::http
