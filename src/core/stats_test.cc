#include "core/stats.h"

#include <gtest/gtest.h>

namespace plumb::stats {
namespace {

// Regression: a model name holding '@' split at its own '@' in the
// automation figures, moving the rest of the name into the version.
TEST(ModelKeyTest, NamesAndVersionsWithAtSignsSplitBackExactly) {
  struct Case {
    const char* name;
    const char* version;
  };
  const Case cases[] = {
      {"ner", "v1"},         {"team@ner", "v1"},    {"ner", "spans@1a2b"},
      {"a@b@c", "x@y"},      {"100%@model", "2"},   {"%40", "%25"},
      {"plain", ""},         {"", "v"},
  };
  for (const Case& c : cases) {
    const std::string key = ModelKey(c.name, c.version);
    auto [name, version] = SplitModelKey(key);
    EXPECT_EQ(name, c.name) << key;
    EXPECT_EQ(version, c.version) << key;
  }
  EXPECT_EQ(ModelKey("ner", "v1"), "ner@v1") << "plain names keep their old keys";
}

}  // namespace
}  // namespace plumb::stats
