#include "automation/active_learner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace plumb::automation {
namespace {

// A toy sentiment corpus: the classes share no content word, so a linear
// model separates them.
struct Example {
  const char* text;
  int32_t label;  // 0 = pos, 1 = neg, 2 = neutral
};
const Example kToyCorpus[] = {
    {"great movie, wonderful acting", 0},   {"wonderful plot and great music", 0},
    {"i loved it, brilliant and great", 0}, {"brilliant film, loved the acting", 0},
    {"terrible movie, awful acting", 1},    {"awful plot and terrible music", 1},
    {"i hated it, boring and awful", 1},    {"boring film, hated the acting", 1},
    {"the movie runs two hours", 2},        {"the film was released in may", 2},
    {"it runs on tuesday at nine", 2},      {"released in cinemas on tuesday", 2},
};

TextClassifier NewModel(LearnerOptions options = {}) {
  auto model = TextClassifier::Create({"pos", "neg", "neutral"}, options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return std::move(model).value();
}

size_t ArgMax(const std::vector<double>& p) {
  return static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
}

TEST(TextClassifierTest, StartsUniform) {
  TextClassifier model = NewModel();
  std::vector<double> p = model.Predict("anything at all");
  ASSERT_EQ(p.size(), 3u);
  for (double v : p) EXPECT_DOUBLE_EQ(v, 1.0 / 3);
  EXPECT_EQ(model.updates(), 0);
}

TEST(TextClassifierTest, UpdateMovesTheLabelsProbabilityUp) {
  TextClassifier model = NewModel();
  const std::string text = "great movie, wonderful acting";
  std::vector<double> before = model.Predict(text);
  ASSERT_TRUE(model.Update(text, 0).ok());
  std::vector<double> after = model.Predict(text);
  EXPECT_GT(after[0], before[0]);
  EXPECT_LT(after[1], before[1]);
  EXPECT_LT(after[2], before[2]);
  EXPECT_NEAR(std::accumulate(after.begin(), after.end(), 0.0), 1.0, 1e-12);
  EXPECT_EQ(model.updates(), 1);
  // A second text sharing words with the first moves the same way; one
  // sharing nothing only through the bias.
  std::vector<double> related = model.Predict("wonderful acting");
  std::vector<double> unrelated = model.Predict("xyzzy");
  EXPECT_GT(related[0], unrelated[0]);
  EXPECT_GT(unrelated[0], 1.0 / 3);  // the bias learned that pos is common
}

TEST(TextClassifierTest, RepeatedUpdatesKeepMovingTowardsTheLabel) {
  TextClassifier model = NewModel();
  const std::string text = "boring film";
  double last = model.Predict(text)[1];
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(model.Update(text, 1).ok());
    double now = model.Predict(text)[1];
    EXPECT_GT(now, last) << "update " << i;
    last = now;
  }
  EXPECT_GT(last, 0.9);
}

TEST(TextClassifierTest, LearnsASeparableToyCorpus) {
  for (CharNgramScope scope : {CharNgramScope::kWords, CharNgramScope::kWholeText}) {
    for (FeatureScaling scaling : {FeatureScaling::kCount, FeatureScaling::kLogCount}) {
      LearnerOptions options;
      options.char_scope = scope;
      options.scaling = scaling;
      TextClassifier model = NewModel(options);
      std::vector<size_t> order(std::size(kToyCorpus));
      std::iota(order.begin(), order.end(), size_t{0});
      std::mt19937 rng(7);
      for (int epoch = 0; epoch < 5; ++epoch) {
        std::shuffle(order.begin(), order.end(), rng);
        for (size_t i : order)
          ASSERT_TRUE(model.Update(kToyCorpus[i].text, kToyCorpus[i].label).ok());
      }
      for (const Example& e : kToyCorpus) {
        std::vector<double> p = model.Predict(e.text);
        EXPECT_EQ(ArgMax(p), static_cast<size_t>(e.label)) << e.text;
        EXPECT_GT(p[e.label], 0.8) << e.text;
      }
      // Unseen texts made of the classes' words.
      EXPECT_EQ(ArgMax(model.Predict("great acting, loved it")), 0u);
      EXPECT_EQ(ArgMax(model.Predict("awful and boring")), 1u);
      EXPECT_EQ(ArgMax(model.Predict("released on tuesday")), 2u);
    }
  }
}

TEST(TextClassifierTest, CaseAndAccentsOfCapitalsFold) {
  TextClassifier model = NewModel();
  ASSERT_TRUE(model.Update("ÉCOLE ZOË MÜLLER", 2).ok());
  // Lowercasing maps É→é, Ë→ë, Ü→ü, so the same features fire.
  EXPECT_EQ(model.Predict("école zoë müller"), model.Predict("ÉCOLE ZOË MÜLLER"));
  EXPECT_NE(model.Predict("ecole zoe muller"), model.Predict("école zoë müller"));
}

TEST(TextClassifierTest, LearnsCjkThroughCharacterNgrams) {
  auto created = TextClassifier::Create({"food", "weather"});
  ASSERT_TRUE(created.ok());
  TextClassifier model = std::move(created).value();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(model.Update("我喜欢吃拉面和饺子", 0).ok());
    ASSERT_TRUE(model.Update("今天下雨，明天天气晴朗", 1).ok());
  }
  EXPECT_GT(model.Predict("我喜欢吃饺子")[0], 0.5);
  EXPECT_GT(model.Predict("明天天气")[1], 0.5);
}

TEST(TextClassifierTest, AcceptsInvalidUtf8Text) {
  TextClassifier model = NewModel();
  const std::string bad = "caf\xC3 \xFF\xFE great";
  ASSERT_TRUE(model.Update(bad, 0).ok());
  EXPECT_GT(model.Predict(bad)[0], 1.0 / 3);
  EXPECT_TRUE(model.Update("", 1).ok());  // no features: only the bias moves
}

TEST(TextClassifierTest, RejectsBadLabelsInUpdatesAndLeavesTheModel) {
  TextClassifier model = NewModel();
  const std::string blob = model.Serialize();
  EXPECT_EQ(model.Update("x", 3).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.Update("x", -1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.Update("x", std::vector<int32_t>{0, 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.Update("x", std::vector<int32_t>{}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.updates(), 0);
  EXPECT_EQ(model.Serialize(), blob);
}

TEST(TextClassifierTest, MultiLabelLearnsEachLabelOnItsOwn) {
  LearnerOptions options;
  options.multi_label = true;
  auto created = TextClassifier::Create({"sports", "politics", "money"}, options);
  ASSERT_TRUE(created.ok());
  TextClassifier model = std::move(created).value();
  for (double p : model.Predict("x")) EXPECT_DOUBLE_EQ(p, 0.5);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(model.Update("football club wins the cup", std::vector<int32_t>{0}).ok());
    ASSERT_TRUE(model.Update("minister announces the budget tax", std::vector<int32_t>{1, 2}).ok());
    ASSERT_TRUE(model.Update("stock market shares fall", std::vector<int32_t>{2}).ok());
    ASSERT_TRUE(model.Update("weather is mild today", std::vector<int32_t>{}).ok());
  }
  std::vector<double> budget = model.Predict("minister announces the budget tax");
  EXPECT_GT(budget[1], 0.8);
  EXPECT_GT(budget[2], 0.8);
  EXPECT_LT(budget[0], 0.2);
  std::vector<double> cup = model.Predict("football club wins the cup");
  EXPECT_GT(cup[0], 0.8);
  EXPECT_LT(cup[1], 0.2);
  for (double p : model.Predict("weather is mild today")) EXPECT_LT(p, 0.3);
  // The int overload is the set {label}.
  EXPECT_TRUE(model.Update("shares", 2).ok());
  EXPECT_EQ(model.Update("shares", 3).code(), StatusCode::kInvalidArgument);
}

TEST(TextClassifierTest, CreateRejectsBadLabelsAndOptions) {
  struct Case {
    std::vector<std::string> labels;
    LearnerOptions options;
    const char* field;
  };
  LearnerOptions multi;
  multi.multi_label = true;
  auto with = [](auto change) {
    LearnerOptions o;
    change(o);
    return o;
  };
  const Case kCases[] = {
      {{}, {}, "labels"},
      {{"only"}, {}, "labels"},  // a softmax over one label says nothing
      {{"a", "a"}, {}, "labels"},
      {{"a", ""}, {}, "labels"},
      {{"a", "b\xFF"}, {}, "labels"},
      {{"a", "b"}, with([](LearnerOptions& o) { o.hash_bits = 7; }), "hash_bits"},
      {{"a", "b"}, with([](LearnerOptions& o) { o.hash_bits = 25; }), "hash_bits"},
      {{"a", "b"}, with([](LearnerOptions& o) { o.learning_rate = 0; }), "learning_rate"},
      {{"a", "b"}, with([](LearnerOptions& o) { o.learning_rate = NAN; }), "learning_rate"},
      {{"a", "b"}, with([](LearnerOptions& o) { o.l2 = -1; }), "l2"},
      {{"a", "b"}, with([](LearnerOptions& o) { o.min_word_ngram = 3; }), "min_word_ngram"},
      {{"a", "b"}, with([](LearnerOptions& o) { o.max_char_ngram = 9; }), "min_char_ngram"},
      {{"a", "b"},
       with([](LearnerOptions& o) {
         o.max_char_ngram = 0;
         o.max_word_ngram = 0;
       }),
       "max_word_ngram"},
      {std::vector<std::string>(3, "x"), {}, "labels"},
      // 4 labels × 2^24 buckets is over kMaxLearnerCells.
      {{"a", "b", "c", "d"}, with([](LearnerOptions& o) { o.hash_bits = 24; }), "hash_bits"},
  };
  for (const Case& c : kCases) {
    auto model = TextClassifier::Create(c.labels, c.options);
    ASSERT_FALSE(model.ok()) << c.field;
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(model.status().field(), c.field) << model.status().ToString();
  }
  EXPECT_TRUE(TextClassifier::Create({"only"}, multi).ok());
}

TextClassifier TrainedModel(LearnerOptions options = {}) {
  TextClassifier model = NewModel(options);
  for (const Example& e : kToyCorpus) EXPECT_TRUE(model.Update(e.text, e.label).ok());
  return model;
}

TEST(TextClassifierTest, SerializationRoundTripsToIdenticalPredictions) {
  LearnerOptions small;
  small.hash_bits = 10;  // collisions and all
  small.char_scope = CharNgramScope::kWholeText;
  small.scaling = FeatureScaling::kLogCount;
  small.l2 = 1e-3;
  for (const LearnerOptions& options : {LearnerOptions{}, small}) {
    TextClassifier model = TrainedModel(options);
    const std::string blob = model.Serialize();
    auto loaded = TextClassifier::Deserialize(blob);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(loaded->labels(), model.labels());
    EXPECT_EQ(loaded->updates(), model.updates());
    EXPECT_EQ(loaded->options().hash_bits, options.hash_bits);
    EXPECT_EQ(loaded->options().char_scope, options.char_scope);
    EXPECT_EQ(loaded->options().scaling, options.scaling);
    EXPECT_EQ(loaded->options().l2, options.l2);
    for (const char* text : {"great acting", "awful", "on tuesday", "", "zoë 東京"}) {
      EXPECT_EQ(loaded->Predict(text), model.Predict(text)) << text;  // bit for bit
    }
    EXPECT_EQ(loaded->Serialize(), blob);
    // Training goes on identically after a load (the AdaGrad sums came along).
    ASSERT_TRUE(model.Update("loved the music", 0).ok());
    ASSERT_TRUE(loaded->Update("loved the music", 0).ok());
    EXPECT_EQ(loaded->Predict("music"), model.Predict("music"));
  }
  // Sparse: 12 short texts touch a few hundred of the 2^18 buckets.
  EXPECT_LT(TrainedModel().Serialize().size(), 40000u);
}

TEST(TextClassifierTest, DeserializeRejectsGarbageAndTruncatedBlobs) {
  const std::string blob = TrainedModel().Serialize();
  EXPECT_FALSE(TextClassifier::Deserialize("").ok());
  EXPECT_FALSE(TextClassifier::Deserialize("garbage garbage garbage").ok());
  EXPECT_FALSE(TextClassifier::Deserialize(std::string(1000, '\0')).ok());
  for (size_t size : {size_t{4}, size_t{15}, size_t{16}, size_t{40}, blob.size() / 2,
                      blob.size() - 9, blob.size() - 1}) {
    auto loaded = TextClassifier::Deserialize(std::string_view(blob).substr(0, size));
    ASSERT_FALSE(loaded.ok()) << size;
    EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument) << size;
  }
  EXPECT_FALSE(TextClassifier::Deserialize(blob + "x").ok());
  // Every single flipped byte is caught (the magic, the version or the checksum).
  for (size_t i = 0; i < blob.size(); i += 7) {
    std::string corrupt = blob;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x20);
    EXPECT_FALSE(TextClassifier::Deserialize(corrupt).ok()) << "byte " << i;
  }
  std::string newer = blob;
  newer[4] = 2;  // format version 2
  auto loaded = TextClassifier::Deserialize(newer);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("format version 2"), std::string::npos)
      << loaded.status().ToString();
}

TEST(TextClassifierTest, DeserializeRejectsAnotherLabelSet) {
  const std::string blob = TrainedModel().Serialize();
  EXPECT_TRUE(TextClassifier::Deserialize(blob, {"pos", "neg", "neutral"}).ok());
  for (const std::vector<std::string>& labels :
       {std::vector<std::string>{"pos", "neg"}, std::vector<std::string>{"neg", "pos", "neutral"},
        std::vector<std::string>{"pos", "neg", "neutral", "mixed"}}) {
    auto loaded = TextClassifier::Deserialize(blob, labels);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), StatusCode::kConflict);
    EXPECT_NE(loaded.status().message().find("[\"pos\", \"neg\", \"neutral\"]"), std::string::npos)
        << loaded.status().message();
  }
}

TEST(UncertaintyTest, HandComputedValues) {
  struct Case {
    std::vector<double> p;
    double margin;
    double entropy;
  };
  const double ln3 = std::log(3.0);
  const Case kCases[] = {
      {{1.0, 0.0}, 0.0, 0.0},
      {{0.5, 0.5}, 1.0, 1.0},
      {{0.9, 0.1}, 0.2, -(0.9 * std::log(0.9) + 0.1 * std::log(0.1)) / std::log(2.0)},
      {{0.7, 0.2, 0.1},
       0.5,
       -(0.7 * std::log(0.7) + 0.2 * std::log(0.2) + 0.1 * std::log(0.1)) / ln3},
      {{0.2, 0.5, 0.3},
       0.8,
       -(0.2 * std::log(0.2) + 0.5 * std::log(0.5) + 0.3 * std::log(0.3)) / ln3},
      {{1.0 / 3, 1.0 / 3, 1.0 / 3}, 1.0, 1.0},
      {{0.6}, 0.4, 0.0},
      {{}, 1.0, 1.0},
  };
  for (const Case& c : kCases) {
    EXPECT_NEAR(Uncertainty(c.p, UncertaintyMeasure::kMargin), c.margin, 1e-12)
        << ::testing::PrintToString(c.p);
    EXPECT_NEAR(Uncertainty(c.p, UncertaintyMeasure::kEntropy), c.entropy, 1e-12)
        << ::testing::PrintToString(c.p);
  }
  // 0.9·log2(0.9) + 0.1·log2(0.1) = −0.468996; the mean with an even 0.5 (1 bit).
  EXPECT_NEAR(Uncertainty({0.9, 0.5}, UncertaintyMeasure::kMeanBinaryEntropy),
              (0.4689955935892812 + 1.0) / 2, 1e-12);
  EXPECT_EQ(Uncertainty({0.0, 1.0}, UncertaintyMeasure::kMeanBinaryEntropy), 0.0);
}

TEST(UncertaintyTest, RankingPutsTheLeastCertainFirst) {
  const std::vector<std::vector<double>> p = {
      {0.9, 0.1}, {0.5, 0.5}, {0.99, 0.01}, {0.6, 0.4}, {0.5, 0.5},
  };
  EXPECT_EQ(RankByUncertainty(p, UncertaintyMeasure::kMargin),
            (std::vector<size_t>{1, 4, 3, 0, 2}));  // ties (1, 4) in index order
  EXPECT_EQ(RankByUncertainty(p, UncertaintyMeasure::kEntropy),
            (std::vector<size_t>{1, 4, 3, 0, 2}));
  // Margin and entropy disagree on three classes: {0.45, 0.45, 0.1} has the
  // smaller margin, {0.4, 0.3, 0.3} the higher entropy.
  const std::vector<std::vector<double>> q = {{0.45, 0.45, 0.1}, {0.4, 0.3, 0.3}};
  EXPECT_EQ(RankByUncertainty(q, UncertaintyMeasure::kMargin), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(RankByUncertainty(q, UncertaintyMeasure::kEntropy), (std::vector<size_t>{1, 0}));
}

TEST(UncertaintyTest, RanksTextsTheModelHasNotLearnedFirst) {
  TextClassifier model = TrainedModel();
  for (int i = 0; i < 3; ++i) {
    for (const Example& e : kToyCorpus) ASSERT_TRUE(model.Update(e.text, e.label).ok());
  }
  const std::vector<std::string> texts = {
      "great movie, wonderful acting",  // learned
      "quantum chromodynamics",         // nothing known
      "awful plot and terrible music",  // learned
  };
  std::vector<size_t> order = RankByUncertainty(model, texts, UncertaintyMeasure::kEntropy);
  EXPECT_EQ(order.front(), 1u);
  order = RankByUncertainty(model, texts, UncertaintyMeasure::kMargin);
  EXPECT_EQ(order.front(), 1u);
}

}  // namespace
}  // namespace plumb::automation
