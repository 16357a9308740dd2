#include "automation/span_prelabeler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace plumb::automation {
namespace {

SpanPrelabeler Build(const std::string& json, const std::vector<std::string>& control = {}) {
  auto p = SpanPrelabeler::FromJson(json, control);
  EXPECT_TRUE(p.ok()) << p.status().ToString() << "\n" << json;
  return std::move(p).value();
}

std::vector<PrelabeledSpan> LabelOf(const SpanPrelabeler& p, std::string_view text) {
  auto spans = p.Label(text);
  EXPECT_TRUE(spans.ok()) << spans.status().ToString();
  return spans.ok() ? std::move(spans).value() : std::vector<PrelabeledSpan>{};
}

std::string Show(const std::vector<PrelabeledSpan>& spans) {
  std::string out;
  for (const PrelabeledSpan& s : spans) {
    out +=
        s.label + "[" + std::to_string(s.start) + "," + std::to_string(s.end) + ")=" + s.text + " ";
  }
  return out;
}

TEST(SpanPrelabelerTest, MatchesTermsAndPatterns) {
  SpanPrelabeler p = Build(R"({"labels": {
      "PER": {"terms": ["Ada Lovelace", "Alan Turing"]},
      "ORG": {"patterns": ["\\b[A-Z][a-z]+ Inc\\."], "case_sensitive": true}}})");
  const std::string text = "Ada Lovelace met Alan Turing at Acme Inc. yesterday.";
  EXPECT_EQ(LabelOf(p, text), (std::vector<PrelabeledSpan>{
                                  {0, 12, "Ada Lovelace", "PER"},
                                  {17, 28, "Alan Turing", "PER"},
                                  {32, 41, "Acme Inc.", "ORG"},
                              }))
      << Show(LabelOf(p, text));
  EXPECT_TRUE(LabelOf(p, "nothing here").empty());
  EXPECT_TRUE(LabelOf(p, "").empty());
}

TEST(SpanPrelabelerTest, CaseInsensitiveUnlessTold) {
  SpanPrelabeler p = Build(R"({"labels": {
      "PER": {"terms": ["zoë müller"]},
      "LOC": {"terms": ["Paris"], "case_sensitive": true},
      "ORG": {"patterns": ["acme"]}}})");
  EXPECT_EQ(LabelOf(p, "ZOË MÜLLER, paris, Paris, ACME"), (std::vector<PrelabeledSpan>{
                                                              {0, 10, "ZOË MÜLLER", "PER"},
                                                              {19, 24, "Paris", "LOC"},
                                                              {26, 30, "ACME", "ORG"},
                                                          }));
}

TEST(SpanPrelabelerTest, TermsMatchWholeWordsOnly) {
  SpanPrelabeler p = Build(R"({"labels": {"X": {"terms": ["cat", "C++", "New York"]}}})");
  struct Case {
    const char* text;
    std::vector<PrelabeledSpan> spans;
  };
  const Case kCases[] = {
      {"cat", {{0, 3, "cat", "X"}}},
      {"a cat.", {{2, 5, "cat", "X"}}},
      {"(cat)", {{1, 4, "cat", "X"}}},
      {"concatenate cats scat", {}},
      {"cat_food 9cat", {}},
      {"écat catà", {}},  // accented letters are word characters
      // "C++" ends in a non-word character, so a digit after it is no word cut.
      {"I like C++ and C++17", {{7, 10, "C++", "X"}, {15, 18, "C++", "X"}}},
      {"xC++", {}},
      {"New Yorker", {}},
      {"New York-based", {{0, 8, "New York", "X"}}},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(LabelOf(p, c.text), c.spans) << c.text << " → " << Show(LabelOf(p, c.text));
  }
}

TEST(SpanPrelabelerTest, OverlapsResolvedLongestFirst) {
  const std::string rules = R"("labels": {
      "LOC": {"terms": ["New York", "York"]},
      "ORG": {"terms": ["New York Times", "Times Square"]}})";
  SpanPrelabeler p = Build("{" + rules + "}");
  // "New York Times" (14) beats "New York" (8) and "Times Square" (12).
  EXPECT_EQ(LabelOf(p, "New York Times Square"),
            (std::vector<PrelabeledSpan>{{0, 14, "New York Times", "ORG"}}));
  EXPECT_EQ(LabelOf(p, "in York, New York"), (std::vector<PrelabeledSpan>{
                                                 {3, 7, "York", "LOC"},
                                                 {9, 17, "New York", "LOC"},
                                             }));
  // Same length: the leftmost wins, then the one to its right that still fits.
  SpanPrelabeler q = Build(R"({"labels": {"A": {"terms": ["a b", "b c", "c d"]}}})");
  EXPECT_EQ(LabelOf(q, "a b c d"),
            (std::vector<PrelabeledSpan>{{0, 3, "a b", "A"}, {4, 7, "c d", "A"}}));
  // The same span for two labels: the first label in the configuration.
  SpanPrelabeler r =
      Build(R"({"labels": {"B": {"terms": ["Jordan"]}, "A": {"terms": ["Jordan"]}}})");
  EXPECT_EQ(LabelOf(r, "Jordan"), (std::vector<PrelabeledSpan>{{0, 6, "Jordan", "B"}}));

  // allow_overlaps: every distinct match, by start then end.
  SpanPrelabeler all = Build("{" + rules + R"(, "allow_overlaps": true})");
  EXPECT_EQ(LabelOf(all, "New York Times Square"), (std::vector<PrelabeledSpan>{
                                                       {0, 8, "New York", "LOC"},
                                                       {0, 14, "New York Times", "ORG"},
                                                       {4, 8, "York", "LOC"},
                                                       {9, 21, "Times Square", "ORG"},
                                                   }));
}

TEST(SpanPrelabelerTest, TermAndPatternFindingTheSameSpanGiveOne) {
  SpanPrelabeler p = Build(R"({"labels": {"ORG": {"terms": ["Acme Inc."],
                                                   "patterns": ["[A-Z][a-z]+ Inc\\."]}}})");
  EXPECT_EQ(LabelOf(p, "Acme Inc. and Zeta Inc."), (std::vector<PrelabeledSpan>{
                                                       {0, 9, "Acme Inc.", "ORG"},
                                                       {14, 23, "Zeta Inc.", "ORG"},
                                                   }));
}

TEST(SpanPrelabelerTest, OffsetsAreCodePointsOnNonAsciiText) {
  SpanPrelabeler p = Build(R"({"labels": {
      "PER": {"terms": ["Zoë Müller", "Zoë"]},
      "LOC": {"terms": ["東京", "Köln"]},
      "ORG": {"patterns": ["[A-Z]{2,}"], "case_sensitive": true}}})");
  // Bytes: "Zoë" is 4, each CJK character 3, the emoji 4.
  const std::string text = "🙂 Zoë Müller (東京都) flew to Köln with ÅB IBM; Zoë.";
  std::vector<PrelabeledSpan> spans = LabelOf(p, text);
  EXPECT_EQ(spans, (std::vector<PrelabeledSpan>{
                       {2, 12, "Zoë Müller", "PER"},
                       {14, 16, "東京", "LOC"},  // Han has no spaces: 都 does not block it
                       {27, 31, "Köln", "LOC"},
                       {40, 43, "IBM", "ORG"},  // not "ÅB": [A-Z] is bytes, Å is not in it
                       {45, 48, "Zoë", "PER"},
                   }))
      << Show(spans);
}

TEST(SpanPrelabelerTest, PatternsRunLineByLine) {
  SpanPrelabeler p = Build(R"({"labels": {"X": {"patterns": ["^item \\d+$", "a.b"]}}})");
  EXPECT_EQ(LabelOf(p, "item 1\nitem 22\nnot item 3\na\nb"),
            (std::vector<PrelabeledSpan>{{0, 6, "item 1", "X"}, {7, 14, "item 22", "X"}}));
  // A pattern match that ends inside a code point is dropped: "." is one byte.
  SpanPrelabeler q = Build(R"({"labels": {"X": {"patterns": ["a."]}}})");
  EXPECT_TRUE(LabelOf(q, "aé").empty());
  EXPECT_EQ(LabelOf(q, "éab"), (std::vector<PrelabeledSpan>{{1, 3, "ab", "X"}}));
}

// Regression: std::regex recursed per character and crashed on a long line.
TEST(SpanPrelabelerTest, LongLinesDoNotExhaustTheStack) {
  SpanPrelabeler greedy = Build(R"({"labels": {"X": {"patterns": ["[a-z]+(-[a-z]+)*", ".*"]}}})");
  const std::string line(1 << 20, 'q');
  std::vector<PrelabeledSpan> spans = LabelOf(greedy, line);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].end, 1 << 20);
}

TEST(SpanPrelabelerTest, RunawayBacktrackingIsAnErrorNamingThePattern) {
  SpanPrelabeler p = Build(R"({"labels": {"X": {"patterns": ["(q+)+z"]}}})");
  auto spans = p.Label(std::string(40, 'q'));
  ASSERT_FALSE(spans.ok());
  EXPECT_EQ(spans.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spans.status().message().find("pattern \"(q+)+z\" of label \"X\""), std::string::npos)
      << spans.status().ToString();
}

TEST(SpanPrelabelerTest, ManyTermsInOnePass) {
  std::string terms;
  for (int i = 0; i < 5000; ++i)
    terms += (i ? ",\"" : "\"") + std::string("term") + std::to_string(i) + "\"";
  SpanPrelabeler p = Build(R"({"labels": {"T": {"terms": [)" + terms + "]}}}");
  std::vector<PrelabeledSpan> spans = LabelOf(p, "term42 and term4999 but not term5000 or term");
  EXPECT_EQ(spans, (std::vector<PrelabeledSpan>{{0, 6, "term42", "T"}, {11, 19, "term4999", "T"}}));
}

TEST(SpanPrelabelerTest, RejectsBadConfigurationsNamingThePlace) {
  struct Case {
    std::string json;
    const char* field;
    const char* message_part;
  };
  const std::string long_pattern(kMaxPrelabelPatternBytes + 1, 'a');
  const std::string long_term(kMaxPrelabelTermCodePoints + 1, 'a');
  std::string many_patterns;
  for (size_t i = 0; i <= kMaxPrelabelPatterns; ++i)
    many_patterns += std::string(i ? "," : "") + "\"a\"";
  const Case kCases[] = {
      {"not json", "", "not JSON"},
      {"[]", "", "must be an object"},
      {R"({"labels": []})", "labels", "must be an object"},
      {R"({"labels": {}, "extra": 1})", "extra", "unknown key"},
      {R"({"labels": {"PER": {"terms": "Ada"}}})", "labels.PER.terms", "list of strings"},
      {R"({"labels": {"PER": {"terms": ["Ada", 3]}}})", "labels.PER.terms[1]", "string"},
      {R"({"labels": {"PER": {"case_sensitive": "yes"}}})", "labels.PER.case_sensitive", "boolean"},
      {R"({"labels": {"PER": {"term": ["Ada"]}}})", "labels.PER.term", "unknown key"},
      {R"({"labels": {"PER": {"patterns": ["[A-Z"]}}})", "labels.PER.patterns[0]",
       "bad pattern \"[A-Z\" for label \"PER\": "},
      {R"({"labels": {"ORG": {"patterns": ["ok", "(unclosed"]}}})", "labels.ORG.patterns[1]",
       "label \"ORG\""},
      {R"({"labels": {"PER": {"patterns": [""]}}})", "labels.PER.patterns[0]", "empty pattern"},
      {R"({"labels": {"PER": {"patterns": [")" + long_pattern + R"("]}}})",
       "labels.PER.patterns[0]", "over"},
      {R"({"labels": {"PER": {"patterns": [)" + many_patterns + R"(]}}})", "labels.PER.patterns",
       "at most"},
      {R"({"labels": {"PER": {"terms": ["  "]}}})", "labels.PER.terms[0]", "empty term"},
      {R"({"labels": {"PER": {"terms": [")" + long_term + R"("]}}})", "labels.PER.terms[0]",
       "code points"},
      {R"({"labels": {"PER": {"terms": ["\u00ff"]}, "": {}}})", "labels", "non-empty"},
      {R"({"labels": {"GPE": {"terms": ["Oslo"]}}})", "labels.GPE", "not a label of the control"},
  };
  for (const Case& c : kCases) {
    auto p = SpanPrelabeler::FromJson(c.json, {"PER", "ORG", "LOC", ""});
    ASSERT_FALSE(p.ok()) << c.json;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(p.status().field(), c.field) << c.json << " → " << p.status().ToString();
    EXPECT_NE(p.status().message().find(c.message_part), std::string::npos)
        << c.json << " → " << p.status().ToString();
  }
  // Invalid UTF-8 in a term (nlohmann refuses it in JSON, so through the struct).
  SpanPrelabelerConfig bad;
  bad.labels.push_back({"PER", {"Ad\xC3"}, {}, false});
  EXPECT_EQ(SpanPrelabeler::Create(bad).status().field(), "labels.PER.terms[0]");
  SpanPrelabelerConfig huge;
  huge.labels.push_back({"PER", {}, {}, false});
  const size_t count = kMaxPrelabelTotalTermCodePoints / kMaxPrelabelTermCodePoints + 1;
  for (size_t i = 0; i < count; ++i) {
    huge.labels[0].terms.push_back(std::string(kMaxPrelabelTermCodePoints, 'a'));
  }
  auto refused = SpanPrelabeler::Create(huge);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("code points, over the"), std::string::npos)
      << refused.status().ToString();
  SpanPrelabelerConfig twice;
  twice.labels.push_back({"PER", {"a"}, {}, false});
  twice.labels.push_back({"PER", {"b"}, {}, false});
  EXPECT_EQ(SpanPrelabeler::Create(twice).status().field(), "labels.PER");
}

TEST(SpanPrelabelerTest, RejectsTextThatIsNotUtf8) {
  SpanPrelabeler p = Build(R"({"labels": {"X": {"terms": ["a"]}}})");
  auto spans = p.Label("a \xC3\x28");
  ASSERT_FALSE(spans.ok());
  EXPECT_EQ(spans.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spans.status().field(), "text");
}

}  // namespace
}  // namespace plumb::automation
