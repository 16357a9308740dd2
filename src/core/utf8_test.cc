#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace plumb {
namespace {

struct Utf8Case {
  std::string text;
  std::vector<size_t> offsets;  // empty when the text is invalid
};

TEST(Utf8Test, CodePointOffsets) {
  const Utf8Case cases[] = {
      {"", {0}},
      {"ab", {0, 1, 2}},
      {"Zo\xC3\xAB", {0, 1, 2, 4}},             // ë: 2 bytes
      {"\xE6\x9D\xB1\xE4\xBA\xAC", {0, 3, 6}},  // 東京: 3 bytes each
      {"\xF0\x9F\x8E\x89!", {0, 4, 5}},         // 🎉: 4 bytes, 2 UTF-16 units
      {"\xF4\x8F\xBF\xBF", {0, 4}},             // U+10FFFF
      {"\x80", {}},                             // lone continuation byte
      {"\xC3", {}},                             // truncated
      {"\xC0\xAF", {}},                         // overlong '/'
      {"\xE0\x80\xAF", {}},                     // overlong, 3 bytes
      {"\xED\xA0\x80", {}},                     // surrogate U+D800
      {"\xF4\x90\x80\x80", {}},                 // above U+10FFFF
      {"\xF0\x9F\x8E", {}},                     // truncated emoji
      {"a\xFF", {}},
  };
  for (const auto& c : cases) {
    auto offsets = Utf8CodePointOffsets(c.text);
    auto length = Utf8Length(c.text);
    if (c.offsets.empty()) {
      EXPECT_FALSE(offsets.has_value()) << c.text;
      EXPECT_FALSE(length.has_value()) << c.text;
    } else {
      ASSERT_TRUE(offsets.has_value()) << c.text;
      EXPECT_EQ(*offsets, c.offsets) << c.text;
      EXPECT_EQ(length, c.offsets.size() - 1) << c.text;
    }
  }
}

TEST(Utf8Test, DecodeLenient) {
  struct Case {
    std::string text;
    std::u32string code_points;
  };
  const Case cases[] = {
      {"", U""},
      {"Zo\xC3\xAB \xE6\x9D\xB1\xF0\x9F\x8E\x89", U"Zoë 東🎉"},
      {"a\xFF"
       "b",
       U"a\uFFFDb"},
      {"\xC3", U"\uFFFD"},                        // truncated
      {"\xC0\xAF", U"\uFFFD\uFFFD"},              // overlong: each byte replaced
      {"\xED\xA0\x80!", U"\uFFFD\uFFFD\uFFFD!"},  // surrogate
      {"\xF0\x9F\x8E", U"\uFFFD\uFFFD\uFFFD"},    // truncated emoji
  };
  for (const Case& c : cases) {
    std::vector<char32_t> got = Utf8DecodeLenient(c.text);
    EXPECT_EQ(std::u32string(got.begin(), got.end()), c.code_points) << c.text;
  }
}

}  // namespace
}  // namespace plumb
