#include "http/request_util.h"

#include <gtest/gtest.h>

#include "core/clock.h"

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

TEST(ParseIsoTimeTest, TakesUtcTimesWithOffsets) {
  static const struct {
    const char* text;
    std::optional<int64_t> ms;
  } kCases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-12-01T18:00:00Z", 1796148000000},
      {"2026-12-01T18:00:00.5Z", 1796148000500},
      {"2026-12-01T18:00:00.123456789Z", 1796148000123},
      {"2026-12-01T20:30:00+02:30", 1796148000000},
      {"2026-12-01T17:00:00-01:00", 1796148000000},
      {"2024-02-29T00:00:00Z", 1709164800000},
      {"2023-02-29T00:00:00Z", std::nullopt},
      {"2026-04-31T00:00:00Z", std::nullopt},
      {"2026-12-01T18:00:00", std::nullopt},
      {"2026-12-01 18:00:00Z", std::nullopt},
      {"2026-12-01T24:00:00Z", std::nullopt},
      {"2026-13-01T00:00:00Z", std::nullopt},
      {"2026-12-01T18:00:00.Z", std::nullopt},
      {"2026-12-01T18:00:00Zjunk", std::nullopt},
      {"1969-12-31T23:59:59Z", std::nullopt},
      {"1970-01-01T00:30:00+01:00", std::nullopt},
      {"2026-12-01", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(ParseIsoTime(c.text), c.ms) << c.text;
  }
  EXPECT_EQ(ParseIsoTime(FormatIsoTime(1796148000123)), 1796148000123);
}

}  // namespace
}  // namespace plumb::http
