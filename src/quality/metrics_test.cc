// Tests of the metrics (metrics.h, agreement.h, detection.h, spans.h,
// error_rates.h, bootstrap.h). The *Reference tests hold every figure to the
// one scikit-learn, statsmodels, NLTK, scipy or numpy computed on the same
// test vectors (reference/metrics_reference.py; rerun it after changing the
// vectors or a definition, and commit both JSON files).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "quality/quality.h"

namespace plumb::quality {
namespace {

using json = nlohmann::json;

constexpr double kEps = 1e-9;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

json ReadJson(const std::string& name) {
  std::ifstream in(std::string(PLUMB_QUALITY_REFERENCE_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << "cannot read " << PLUMB_QUALITY_REFERENCE_DIR << "/" << name;
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// The vectors and the expected figures, read once.
const json& Vectors() {
  static const json vectors = ReadJson("metrics_vectors.json");
  return vectors;
}
const json& Expected() {
  static const json expected = ReadJson("metrics_expected.json");
  return expected;
}

// `actual` against an expected figure, null meaning undefined (NaN).
void ExpectFigure(double actual, const json& expected, const std::string& what) {
  if (expected.is_null()) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": " << actual << ", expected undefined (NaN)";
  } else {
    EXPECT_NEAR(actual, expected.get<double>(), kEps) << what;
  }
}

// Each section's vectors and expected figures, pairwise, in the same order.
std::vector<std::pair<const json*, const json*>> Cases(const char* section) {
  const json& v = Vectors().at(section);
  const json& e = Expected().at(section);
  EXPECT_EQ(v.size(), e.size()) << section << ": rerun reference/metrics_reference.py";
  std::vector<std::pair<const json*, const json*>> out;
  for (size_t i = 0; i < std::min(v.size(), e.size()); ++i) out.emplace_back(&v[i], &e[i]);
  return out;
}

std::string NameOf(const json& c) { return c.value("name", c.dump()); }

// ------------------------------------------------------- classification

TEST(ClassificationReferenceTest, MatchesScikitLearn) {
  for (const auto& [vector, expected] : Cases("classification")) {
    SCOPED_TRACE(NameOf(*vector));
    const int32_t k = vector->at("num_labels");
    const auto truth = vector->at("truth").get<std::vector<int32_t>>();
    const auto predicted = vector->at("predicted").get<std::vector<int32_t>>();
    CountTable confusion = ConfusionMatrix(k, truth, predicted);
    ASSERT_EQ(confusion.size(), static_cast<size_t>(k));
    for (int32_t a = 0; a < k; ++a) {
      for (int32_t b = 0; b < k; ++b) {
        EXPECT_EQ(confusion[a][b], expected->at("confusion")[a][b].get<double>())
            << "confusion " << a << "," << b;
      }
    }
    ClassificationScores scores = ScoreClassification(confusion);
    ExpectFigure(Accuracy(confusion), expected->at("accuracy"), "accuracy");
    ExpectFigure(scores.accuracy, expected->at("accuracy"), "scores.accuracy");
    ASSERT_EQ(scores.per_class.size(), static_cast<size_t>(k));
    for (int32_t c = 0; c < k; ++c) {
      const std::string label = " of class " + std::to_string(c);
      ExpectFigure(scores.per_class[c].precision, expected->at("precision")[c],
                   "precision" + label);
      ExpectFigure(scores.per_class[c].recall, expected->at("recall")[c], "recall" + label);
      ExpectFigure(scores.per_class[c].f1, expected->at("f1")[c], "f1" + label);
      ExpectFigure(scores.per_class[c].support, expected->at("support")[c], "support" + label);
    }
    const std::pair<const char*, const ClassScores*> kAverages[] = {
        {"macro", &scores.macro}, {"micro", &scores.micro}, {"weighted", &scores.weighted}};
    for (const auto& [name, average] : kAverages) {
      ExpectFigure(average->precision, expected->at(name)[0], std::string(name) + " precision");
      ExpectFigure(average->recall, expected->at(name)[1], std::string(name) + " recall");
      ExpectFigure(average->f1, expected->at(name)[2], std::string(name) + " f1");
    }
    ExpectFigure(CohensKappa(k, truth, predicted), expected->at("kappa"), "kappa");
    ExpectFigure(KappaFromConfusion(confusion), expected->at("kappa"), "kappa from confusion");
  }
}

TEST(ConfusionMatrixTest, SkipsLabelsOutOfRangeAndUnpairedPositions) {
  CountTable table = ConfusionMatrix(2, {0, 1, 5, -1, 1, 0}, {0, 1, 1, 0, 7});
  EXPECT_EQ(table, (CountTable{{1, 0}, {0, 1}})) << "(5,1), (-1,0), (1,7) and the unpaired 0";
  EXPECT_TRUE(ConfusionMatrix(0, {0}, {0}).empty());
  EXPECT_TRUE(std::isnan(Accuracy({})));
  EXPECT_TRUE(std::isnan(Accuracy({{0, 0}, {0, 0}})));
}

TEST(ConfusionMatrixTest, RaggedTablesReadAsZeroPadded) {
  // Row 1 is short, row 0 has a cell past K = 2 (not read).
  const CountTable ragged = {{3, 1, 100}, {2}};
  EXPECT_NEAR(Accuracy(ragged), 3.0 / 6, kEps);
  EXPECT_NEAR(KappaFromConfusion(ragged), KappaFromConfusion({{3, 1}, {2, 0}}), kEps);
  ClassificationScores s = ScoreClassification(ragged);
  EXPECT_NEAR(s.per_class[0].precision, 3.0 / 5, kEps);
  EXPECT_EQ(s.per_class[1].precision, 0) << "never predicted right: 0/1";
}

TEST(KappaTest, WeightedTablesAndUndefinedCases) {
  // Cohen's kappa of a textbook 2×2 table: p_o = 0.7, p_e = 0.5.
  EXPECT_NEAR(KappaFromConfusion({{20, 5}, {10, 15}}), 0.4, kEps);
  // The same proportions with fractional weights.
  EXPECT_NEAR(KappaFromConfusion({{2, 0.5}, {1, 1.5}}), 0.4, kEps);
  EXPECT_TRUE(std::isnan(KappaFromConfusion({{0, 0}, {0, 0}})));
  EXPECT_TRUE(std::isnan(KappaFromConfusion({{5, 0}, {0, 0}}))) << "p_e = 1";
  EXPECT_TRUE(std::isnan(CohensKappa(3, {}, {})));
}

TEST(ScoresFromCountsTest, ZeroDivisionIsZero) {
  MatchScores s = ScoresFromCounts(0, 0, 0);
  EXPECT_EQ(s.precision, 0);
  EXPECT_EQ(s.recall, 0);
  EXPECT_EQ(s.f1, 0);
  s = ScoresFromCounts(3, 1, 2);
  EXPECT_NEAR(s.precision, 0.75, kEps);
  EXPECT_NEAR(s.recall, 0.6, kEps);
  EXPECT_NEAR(s.f1, 2 * 0.75 * 0.6 / 1.35, kEps);
}

// ----------------------------------------------------------- Fleiss' kappa

std::vector<int64_t> Row(const json& row) { return row.get<std::vector<int64_t>>(); }

TEST(FleissReferenceTest, MatchesStatsmodelsAndTheGeneralization) {
  for (const auto& [vector, expected] : Cases("fleiss")) {
    SCOPED_TRACE(NameOf(*vector) + " (" + expected->value("source", "") + ")");
    const json& table = vector->at("table");
    CountTable counts;
    for (const json& row : table) counts.push_back(row.get<std::vector<double>>());
    ExpectFigure(FleissKappa(counts), expected->at("kappa"), "FleissKappa(table)");

    // The same items as running sums, in two halves merged, and as votes.
    FleissSums first, second;
    std::vector<ChoiceVote> votes;
    int32_t k = 0;
    for (size_t i = 0; i < table.size(); ++i) {
      std::vector<int64_t> row = Row(table[i]);
      (i < table.size() / 2 ? first : second).Add(row);
      k = std::max(k, static_cast<int32_t>(row.size()));
      for (size_t j = 0; j < row.size(); ++j) {
        for (int64_t n = 0; n < row[j]; ++n) {
          votes.push_back({static_cast<int64_t>(i), n, static_cast<int32_t>(j)});
        }
      }
    }
    first.Merge(second);
    ExpectFigure(first.Kappa(), expected->at("kappa"), "FleissSums::Merge");
    ExpectFigure(FleissKappa(k, votes), expected->at("kappa"), "FleissKappa(votes)");
  }
}

TEST(FleissSumsTest, SumsOfTheItemsAdded) {
  FleissSums sums;
  sums.Add({2, 1});     // P_i = (2 + 0) / 6
  sums.Add({1});        // one rating: left out
  sums.Add({0, 0, 3});  // P_i = 1; category_totals grows to 3
  sums.Add({-4, 2});    // negative as 0: P_i = 1
  EXPECT_EQ(sums.items, 3);
  EXPECT_NEAR(sums.agreement_sum, 1.0 / 3 + 2, kEps);
  EXPECT_EQ(sums.category_totals, (std::vector<int64_t>{2, 3, 3}));
  EXPECT_EQ(sums.Ratings(), 8);
  // P = 7/9, P_e = (4 + 9 + 9) / 64.
  double pe = 22.0 / 64;
  EXPECT_NEAR(sums.Kappa(), (7.0 / 9 - pe) / (1 - pe), kEps);
  EXPECT_TRUE(std::isnan(FleissSums{}.Kappa()));
  EXPECT_NEAR(FleissItemAgreement({2, 1}), 1.0 / 3, kEps);
  EXPECT_TRUE(std::isnan(FleissItemAgreement({0, 1})));
  EXPECT_TRUE(std::isnan(FleissItemAgreement({})));
  EXPECT_TRUE(std::isnan(FleissKappa(0, {{1, 1, 0}, {1, 2, 0}})));
}

// ------------------------------------------------------ Krippendorff's alpha

TEST(AlphaReferenceTest, MatchesNltk) {
  for (const auto& [vector, expected] : Cases("alpha")) {
    SCOPED_TRACE(NameOf(*vector) + (expected->contains("note")
                                        ? " (" + expected->at("note").get<std::string>() + ")"
                                        : std::string()));
    const int32_t k = vector->at("num_labels");
    std::vector<ChoiceVote> votes;
    for (const json& v : vector->at("votes")) {
      votes.push_back({v[1].get<int64_t>(), v[0].get<int64_t>(), v[2].get<int32_t>()});
    }
    ExpectFigure(KrippendorffAlpha(k, votes), expected->at("alpha"), "KrippendorffAlpha");

    // Unit by unit into two matrices, merged; then restored cell by cell.
    std::map<int64_t, std::vector<int32_t>> units;
    for (const ChoiceVote& v : votes) units[v.item].push_back(v.label);
    CoincidenceMatrix even(k), odd(k);
    for (const auto& [item, values] : units) (item % 2 ? odd : even).Add(values);
    even.Merge(odd);
    ExpectFigure(even.Alpha(), expected->at("alpha"), "CoincidenceMatrix::Merge");
    CoincidenceMatrix restored(k);
    for (int32_t c = 0; c < k; ++c) {
      for (int32_t d = 0; d < k; ++d) restored.at(c, d) = even.at(c, d);
    }
    ExpectFigure(restored.Alpha(), expected->at("alpha"), "restored");
  }
}

TEST(CoincidenceMatrixTest, PairableValuesOnly) {
  CoincidenceMatrix m(3);
  m.Add({0});         // one value: not pairable
  m.Add({});          // none
  m.Add({0, 9, -1});  // out of range skipped: one value left
  EXPECT_EQ(m.PairableValues(), 0);
  EXPECT_TRUE(std::isnan(m.Alpha()));
  m.Add({0, 1, 1});  // m = 3: pairs (0,1) x2, (1,0) x2, (1,1) x2, each / 2
  EXPECT_NEAR(m.at(0, 1), 1, kEps);
  EXPECT_NEAR(m.at(1, 0), 1, kEps);
  EXPECT_NEAR(m.at(1, 1), 1, kEps);
  EXPECT_NEAR(m.PairableValues(), 3, kEps);
  // n = 3, n_0 = 1, n_1 = 2: 1 - 2 * 2 / (9 - 5) = 0.
  EXPECT_NEAR(m.Alpha(), 0, kEps);
  m.Add({2, 2});
  EXPECT_NEAR(m.Alpha(), 1 - 4.0 * 2 / (25 - 1 - 4 - 4), kEps);
  EXPECT_TRUE(std::isnan(CoincidenceMatrix(2).Alpha()));
  EXPECT_EQ(CoincidenceMatrix(-3).num_labels(), 0);
}

// ----------------------------------------------------- weighted vote

TEST(AccuracyWeightTest, LogOddsClampedAndFloored) {
  EXPECT_NEAR(AccuracyWeight(2, 0.8), std::log(4.0), kEps);
  EXPECT_NEAR(AccuracyWeight(4, 0.8), std::log(3.0) + std::log(4.0), kEps);
  EXPECT_NEAR(AccuracyWeight(2, 1.0), std::log(99.0), kEps) << "clamped to 0.99";
  EXPECT_NEAR(AccuracyWeight(2, 1.0, 0.001), std::log(999.0), 1e-6);
  EXPECT_EQ(AccuracyWeight(2, 0.5), 0) << "chance";
  EXPECT_EQ(AccuracyWeight(4, 0.1), 0) << "below chance: floored, not negative";
  EXPECT_EQ(AccuracyWeight(1, 0.9), 0);
  EXPECT_EQ(AccuracyWeight(3, kNaN), 0);
}

TEST(AccuracyWeightedVoteTest, TrustedLabelerOutvotesTwoNoisyOnes) {
  // Item 1: expert (0.95) says 2; two labelers of 0.5 among 3 labels say 0.
  // Item 2: the two noisy labelers say 0, the expert 1. Item 3: weights 0
  // (below chance), one vote each for 1 and 2: the lowest label wins.
  const std::unordered_map<int64_t, double> accuracy = {
      {10, 0.95}, {11, 0.5}, {12, 0.5}, {13, 0.3}, {14, 0.2}};
  std::vector<ChoiceVote> votes = {
      {1, 10, 2}, {1, 11, 0}, {1, 12, 0}, {2, 11, 0}, {2, 12, 0},
      {2, 10, 1}, {3, 13, 2}, {3, 14, 1}, {4, 99, 1}, {5, 10, 7},
  };
  auto out = AccuracyWeightedVote(3, votes, accuracy);
  EXPECT_EQ(out.at(1), 2);
  // log(2) + log(1) each for 0 (two of them), log(2) + log(19) for 1.
  EXPECT_EQ(out.at(2), 1);
  EXPECT_EQ(out.at(3), 1);
  EXPECT_EQ(out.at(4), 1) << "unknown labeler: default accuracy";
  EXPECT_FALSE(out.contains(5)) << "a vote out of range is ignored";
  // Majority would have said 0 for item 1.
  EXPECT_EQ(MajorityVote(3, votes).at(1), 0);
}

TEST(AccuracyWeightedVoteTest, EqualAccuraciesAreMajorityVote) {
  std::mt19937 random(7);
  std::vector<ChoiceVote> votes;
  std::unordered_map<int64_t, double> accuracy;
  for (int64_t labeler = 0; labeler < 5; ++labeler) accuracy[labeler] = 0.8;
  for (int64_t item = 0; item < 200; ++item) {
    for (int64_t labeler = 0; labeler < 5; ++labeler) {
      if (random() % 3) votes.push_back({item, labeler, static_cast<int32_t>(random() % 4)});
    }
  }
  auto weighted = AccuracyWeightedVote(4, votes, accuracy);
  auto majority = MajorityVote(4, votes);
  ASSERT_EQ(weighted.size(), majority.size());
  for (const auto& [item, label] : majority) EXPECT_EQ(weighted.at(item), label) << item;
}

// ------------------------------------------------------------- detection

Detection ToDetection(const json& d) {
  Detection out;
  out.image = d.at("image");
  out.label = d.at("label");
  const json& b = d.at("box");
  out.box = {b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>(), 0};
  out.score = d.value("score", 1.0);
  return out;
}

std::vector<Detection> ToDetections(const json& list) {
  std::vector<Detection> out;
  for (const json& d : list) out.push_back(ToDetection(d));
  return out;
}

TEST(DetectionReferenceTest, MatchesCocoEvalAndLinearSumAssignment) {
  for (const auto& [vector, expected] : Cases("detection")) {
    SCOPED_TRACE(NameOf(*vector));
    const std::vector<Detection> truth = ToDetections(vector->at("truth"));
    const std::vector<Detection> predicted = ToDetections(vector->at("predicted"));
    MapOptions options;
    if (!vector->at("max_detections").is_null()) {
      options.max_detections = vector->at("max_detections").get<size_t>();
    }
    MeanAveragePrecision map = CocoMeanAveragePrecision(truth, predicted, options);
    ExpectFigure(map.map, expected->at("map"), "mAP");
    ASSERT_EQ(map.map_at_threshold.size(), expected->at("map_at_threshold").size());
    for (size_t t = 0; t < map.map_at_threshold.size(); ++t) {
      ExpectFigure(map.map_at_threshold[t], expected->at("map_at_threshold")[t],
                   "mAP at threshold " + std::to_string(map.iou_thresholds[t]));
    }
    ASSERT_EQ(map.ap_per_label.size(), expected->at("ap_per_label").size());
    for (const auto& [label, ap] : map.ap_per_label) {
      ExpectFigure(ap, expected->at("ap_per_label").at(std::to_string(label)),
                   "AP of label " + std::to_string(label));
    }

    const double threshold = vector->at("iou_threshold");
    std::vector<DetectionMatch> matches = MatchDetections(truth, predicted, threshold);
    EXPECT_EQ(matches.size(), expected->at("matched").get<size_t>());
    double total = 0;
    for (const DetectionMatch& m : matches) {
      EXPECT_EQ(truth[m.truth].image, predicted[m.predicted].image);
      EXPECT_EQ(truth[m.truth].label, predicted[m.predicted].label);
      EXPECT_GE(m.iou, threshold);
      total += m.iou;
    }
    EXPECT_NEAR(total, expected->at("matched_iou_sum").get<double>(), kEps) << "total IoU";
    MatchScores scores = ScoreDetections(truth, predicted, threshold);
    ExpectFigure(scores.precision, expected->at("precision"), "precision");
    ExpectFigure(scores.recall, expected->at("recall"), "recall");
    ExpectFigure(scores.f1, expected->at("f1"), "f1");
  }
}

// The largest total weight of a one-to-one matching, by trying every one.
double BruteForceBest(const std::vector<std::vector<double>>& w, double min_weight, size_t row,
                      std::vector<char>& used) {
  if (row == w.size()) return 0;
  double best = BruteForceBest(w, min_weight, row + 1, used);  // row unmatched
  for (size_t c = 0; c < w[row].size(); ++c) {
    if (used[c] || w[row][c] <= 0 || w[row][c] < min_weight) continue;
    used[c] = 1;
    best = std::max(best, w[row][c] + BruteForceBest(w, min_weight, row + 1, used));
    used[c] = 0;
  }
  return best;
}

TEST(MaxWeightMatchingTest, OptimalOnRandomMatrices) {
  std::mt19937 random(11);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (int trial = 0; trial < 300; ++trial) {
    size_t rows = random() % 7, columns = random() % 7;
    std::vector<std::vector<double>> w(rows, std::vector<double>(columns));
    for (auto& row : w) {
      for (double& x : row) x = random() % 3 == 0 ? 0 : uniform(random);
    }
    double min_weight = trial % 2 ? 0.4 : 0;
    std::vector<std::pair<size_t, size_t>> m = MaxWeightMatching(w, min_weight);
    double total = 0;
    std::vector<char> row_used(rows), column_used(columns);
    for (const auto& [r, c] : m) {
      ASSERT_LT(r, rows);
      ASSERT_LT(c, columns);
      EXPECT_FALSE(row_used[r] || column_used[c]) << "one-to-one";
      row_used[r] = column_used[c] = 1;
      EXPECT_GT(w[r][c], 0);
      EXPECT_GE(w[r][c], min_weight);
      total += w[r][c];
    }
    std::vector<char> used(columns);
    EXPECT_NEAR(total, BruteForceBest(w, min_weight, 0, used), 1e-12)
        << "trial " << trial << ", " << rows << "x" << columns;
    EXPECT_TRUE(std::is_sorted(m.begin(), m.end()));
  }
  EXPECT_TRUE(MaxWeightMatching({}, 0).empty());
  EXPECT_TRUE(MaxWeightMatching({{}, {}}, 0).empty());
  // Ragged rows read as zero-padded.
  EXPECT_EQ(MaxWeightMatching({{0.5}, {0.2, 0.9}}, 0),
            (std::vector<std::pair<size_t, size_t>>{{0, 0}, {1, 1}}));
}

TEST(DetectionTest, PolygonsAndRotatedBoxes) {
  // A polygon equal to a box matches it; a rotated box is matched by its
  // rotated area.
  Detection box{1, 0, {0, 0, 10, 10, 0}, {}, 1};
  Detection square{1, 0, {}, {{0, 0}, {10, 0}, {10, 10}, {0, 10}}, 0.9};
  Detection half{1, 0, {}, {{0, 0}, {10, 0}, {10, 5}, {0, 5}}, 0.8};
  Detection line{1, 0, {}, {{0, 0}, {10, 10}}, 0.8};
  EXPECT_NEAR(DetectionIoU(box, square), 1, kEps);
  EXPECT_NEAR(DetectionIoU(square, half), 0.5, kEps);
  EXPECT_EQ(DetectionIoU(box, line), 0) << "two points: no area";
  Detection rotated{1, 0, {10, 0, 10, 10, 90}, {}, 1};  // covers x 0..10, y 0..10
  EXPECT_NEAR(DetectionIoU(box, rotated), 1, 1e-9);

  MeanAveragePrecision map = CocoMeanAveragePrecision({box}, {half, square});
  // At every threshold the square (0.9, IoU 1) is the first and a hit: AP 1.
  EXPECT_NEAR(map.map, 1, kEps);
  map = CocoMeanAveragePrecision({box}, {square, half}, {{0.5}, 1});
  EXPECT_NEAR(map.map, 1, kEps);
  ASSERT_EQ(map.iou_thresholds, std::vector<double>{0.5});
  // Only the half-box at IoU 0.5 as the one prediction, thresholds above it
  // miss: 1 at 0.5, then 0.
  map = CocoMeanAveragePrecision({box}, {half});
  EXPECT_NEAR(map.map_at_threshold[0], 1, kEps);
  EXPECT_NEAR(map.map_at_threshold[1], 0, kEps);
  EXPECT_NEAR(map.map, 0.1, kEps);

  MatchScores s = ScoreDetections({box}, {half, square}, 0.5);
  EXPECT_EQ(s.true_positives, 1);
  EXPECT_EQ(s.false_positives, 1);
  EXPECT_EQ(s.false_negatives, 0);
}

TEST(DetectionTest, OtherImagesAndLabelsNeverMatch) {
  Detection a{1, 0, {0, 0, 10, 10, 0}, {}, 1};
  Detection other_image = a, other_label = a;
  other_image.image = 2;
  other_label.label = 1;
  EXPECT_TRUE(MatchDetections({a}, {other_image, other_label}, 0.5).empty());
  MeanAveragePrecision map = CocoMeanAveragePrecision({}, {a});
  EXPECT_TRUE(std::isnan(map.map)) << "no label has a reference";
  EXPECT_TRUE(map.ap_per_label.empty());
}

// ------------------------------------------------------------------ spans

std::vector<Span> ToSpans(const json& list) {
  std::vector<Span> out;
  for (const json& s : list) {
    out.push_back(
        {s[0].get<int64_t>(), s[1].get<int64_t>(), s[2].get<int64_t>(), s[3].get<int32_t>()});
  }
  return out;
}

void ExpectScores(const MatchScores& s, int64_t matched, const json& expected,
                  const std::string& what) {
  EXPECT_EQ(s.true_positives, matched) << what;
  ExpectFigure(s.precision, expected.at("precision"), what + " precision");
  ExpectFigure(s.recall, expected.at("recall"), what + " recall");
  ExpectFigure(s.f1, expected.at("f1"), what + " f1");
}

TEST(SpansReferenceTest, MatchesPythonAndLinearSumAssignment) {
  for (const auto& [vector, expected] : Cases("spans")) {
    SCOPED_TRACE(NameOf(*vector));
    const std::vector<Span> truth = ToSpans(vector->at("truth"));
    const std::vector<Span> predicted = ToSpans(vector->at("predicted"));
    MatchScores exact = ExactSpanScores(truth, predicted);
    ExpectScores(exact, expected->at("exact_matched"), expected->at("exact"), "exact");
    EXPECT_EQ(exact.false_positives, static_cast<int64_t>(predicted.size()) - exact.true_positives);
    EXPECT_EQ(exact.false_negatives, static_cast<int64_t>(truth.size()) - exact.true_positives);
    ExpectScores(OverlapSpanScores(truth, predicted), expected->at("overlap_matched"),
                 expected->at("overlap"), "overlap");
  }
}

TEST(SpansTest, OverlapIsOneToOneAndMaximal) {
  // Greedy would give reference [0,10) to prediction [5,12) and leave
  // [0,4) without one; the maximum matching pairs both.
  std::vector<Span> truth = {{0, 0, 10, 1}, {0, 9, 20, 1}};
  std::vector<Span> predicted = {{0, 5, 12, 1}, {0, 0, 4, 1}};
  EXPECT_EQ(OverlapSpanScores(truth, predicted).true_positives, 2);
  EXPECT_EQ(ExactSpanScores(truth, predicted).true_positives, 0);
  predicted.push_back({0, 3, 3, 1});  // empty: overlaps nothing
  EXPECT_EQ(OverlapSpanScores(truth, predicted).false_positives, 1);
}

// ------------------------------------------------------------ error rates

std::u32string Utf32(const std::string& utf8) {
  std::optional<std::u32string> text = DecodeUtf8(utf8);
  EXPECT_TRUE(text.has_value()) << utf8;
  return text.value_or(U"");
}

TEST(ErrorRatesReferenceTest, MatchesNltkEditDistance) {
  for (const auto& [vector, expected] : Cases("text")) {
    SCOPED_TRACE(NameOf(*vector));
    const json& pairs = vector->at("pairs");
    const json& figures = expected->at("pairs");
    ASSERT_EQ(pairs.size(), figures.size());
    std::vector<std::pair<std::u32string, std::u32string>> corpus;
    int64_t char_edits = 0, chars = 0, word_edits = 0, words = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
      const std::u32string reference = Utf32(pairs[i][0]), hypothesis = Utf32(pairs[i][1]);
      const json& f = figures[i];
      ErrorRate cer = CharacterErrorRate(reference, hypothesis);
      ErrorRate wer = WordErrorRate(reference, hypothesis);
      EXPECT_EQ(cer.edits, f.at("char_edits").get<int64_t>()) << pairs[i].dump();
      EXPECT_EQ(cer.reference_length, f.at("chars").get<int64_t>()) << pairs[i].dump();
      EXPECT_EQ(wer.edits, f.at("word_edits").get<int64_t>()) << pairs[i].dump();
      EXPECT_EQ(wer.reference_length, f.at("words").get<int64_t>()) << pairs[i].dump();
      char_edits += f.at("char_edits").get<int64_t>();
      chars += f.at("chars").get<int64_t>();
      word_edits += f.at("word_edits").get<int64_t>();
      words += f.at("words").get<int64_t>();
      corpus.emplace_back(reference, hypothesis);
    }
    ErrorRate cer = CorpusCharacterErrorRate(corpus), wer = CorpusWordErrorRate(corpus);
    EXPECT_EQ(cer.edits, char_edits);
    EXPECT_EQ(cer.reference_length, chars);
    EXPECT_EQ(wer.edits, word_edits);
    EXPECT_EQ(wer.reference_length, words);
    EXPECT_NEAR(cer.Rate(), static_cast<double>(char_edits) / chars, kEps);
    EXPECT_NEAR(wer.Rate(), static_cast<double>(word_edits) / words, kEps);
  }
}

TEST(ErrorRatesTest, Conventions) {
  EXPECT_NEAR(WordErrorRate(U"the cat sat on the mat", U"the cat sit on mat").Rate(), 2.0 / 6,
              kEps);
  EXPECT_NEAR(CharacterErrorRate(U"kitten", U"sitting").Rate(), 0.5, kEps);
  EXPECT_EQ(CharacterErrorRate(U"", U"").Rate(), 0);
  EXPECT_EQ(CharacterErrorRate(U"", U"abc").Rate(), 1) << "empty reference, edits: 1";
  EXPECT_NEAR(CharacterErrorRate(U"ab", U"xyzw").Rate(), 2, kEps) << "may exceed 1";
  ErrorRate sum = CharacterErrorRate(U"ab", U"a");
  sum += CharacterErrorRate(U"abcd", U"abcd");
  EXPECT_EQ(sum.edits, 1);
  EXPECT_EQ(sum.reference_length, 6);
  std::vector<std::u32string_view> words = SplitWords(
      U"\u3000 a\u00a0bc\t\x1f"
      U"d\u200b ");
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0], U"a");
  EXPECT_EQ(words[1], U"bc");
  EXPECT_EQ(words[2], U"d\u200b") << "U+200B is not whitespace for str.split()";
  EXPECT_TRUE(SplitWords(U" \t\n").empty());
}

// -------------------------------------------------------------- intervals

TEST(WilsonReferenceTest, MatchesStatsmodels) {
  for (const auto& [vector, expected] : Cases("wilson")) {
    SCOPED_TRACE(vector->dump());
    Interval interval =
        WilsonInterval(vector->at("successes"), vector->at("trials"), vector->at("level"));
    ExpectFigure(interval.low, expected->at("low"), "low");
    ExpectFigure(interval.high, expected->at("high"), "high");
    EXPECT_NEAR(interval.estimate,
                vector->at("successes").get<double>() / vector->at("trials").get<double>(), kEps);
  }
}

TEST(WilsonTest, InvalidInputIsNaN) {
  const Interval kCases[] = {WilsonInterval(0, 0),      WilsonInterval(3, 2),
                             WilsonInterval(-1, 5),     WilsonInterval(1, 2, 1.0),
                             WilsonInterval(1, 2, 0.0), WilsonInterval(1, 2, kNaN)};
  for (const Interval& i : kCases) {
    EXPECT_TRUE(std::isnan(i.estimate) && std::isnan(i.low) && std::isnan(i.high));
  }
}

TEST(NormalQuantileTest, KnownValues) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-14);
  EXPECT_NEAR(NormalQuantile(0.5), 0, 1e-15);
  EXPECT_NEAR(NormalQuantile(0.025), -1.959963984540054, 1e-14);
  EXPECT_NEAR(NormalQuantile(0.995), 2.5758293035489004, 1e-14);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-12);
  EXPECT_NEAR(NormalQuantile(1 - 1e-10), 6.361340889697422, 1e-10) << "scipy's norm.ppf";
  EXPECT_EQ(NormalQuantile(0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(NormalQuantile(1), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(NormalQuantile(1.5)));
  EXPECT_TRUE(std::isnan(NormalQuantile(kNaN)));
}

TEST(BootstrapTest, MeanIsCloseToTheNormalTheoryInterval) {
  std::mt19937_64 random(3);
  std::normal_distribution<double> normal(10, 2);
  std::vector<double> data(400);
  for (double& x : data) x = normal(random);
  auto mean = [&](const std::vector<size_t>& sample) {
    double sum = 0;
    for (size_t i : sample) sum += data[i];
    return sample.empty() ? kNaN : sum / static_cast<double>(sample.size());
  };
  double m = mean([&] {
    std::vector<size_t> all(data.size());
    std::iota(all.begin(), all.end(), 0);
    return all;
  }());
  double variance = 0;
  for (double x : data) variance += (x - m) * (x - m);
  variance /= static_cast<double>(data.size() - 1);
  const double half = 1.959963984540054 * std::sqrt(variance / static_cast<double>(data.size()));

  Interval interval = BootstrapInterval(data.size(), mean, 4000, 0.95, 42);
  EXPECT_NEAR(interval.estimate, m, 1e-12);
  // The bootstrap's own noise at 4000 resamples is a few percent of the
  // half-width.
  EXPECT_NEAR(interval.low, m - half, 0.1 * half);
  EXPECT_NEAR(interval.high, m + half, 0.1 * half);
  EXPECT_LT(interval.low, m);
  EXPECT_GT(interval.high, m);

  Interval again = BootstrapInterval(data.size(), mean, 4000, 0.95, 42);
  EXPECT_EQ(again.low, interval.low) << "deterministic for a seed";
  EXPECT_EQ(again.high, interval.high);
  Interval other = BootstrapInterval(data.size(), mean, 4000, 0.95, 43);
  EXPECT_NE(other.low, interval.low);
}

TEST(BootstrapTest, EdgeCases) {
  int calls = 0;
  auto count = [&](const std::vector<size_t>& sample) {
    ++calls;
    return static_cast<double>(sample.size());
  };
  Interval i = BootstrapInterval(5, count, 10, 0.9, 1);
  EXPECT_EQ(calls, 11) << "the estimate, then each resample";
  EXPECT_EQ(i.estimate, 5);
  EXPECT_EQ(i.low, 5);
  EXPECT_EQ(i.high, 5);
  i = BootstrapInterval(5, count, 0, 0.9, 1);
  EXPECT_EQ(i.estimate, 5);
  EXPECT_TRUE(std::isnan(i.low) && std::isnan(i.high));
  i = BootstrapInterval(5, count, 10, 1.5, 1);
  EXPECT_TRUE(std::isnan(i.low));
  auto undefined = [](const std::vector<size_t>&) { return kNaN; };
  i = BootstrapInterval(0, undefined, 10, 0.9, 1);
  EXPECT_TRUE(std::isnan(i.estimate) && std::isnan(i.low) && std::isnan(i.high));
  // Indexes stay in range.
  BootstrapInterval(
      3,
      [](const std::vector<size_t>& sample) {
        for (size_t index : sample) EXPECT_LT(index, 3u);
        return 0.0;
      },
      50, 0.9, 9);
}

}  // namespace
}  // namespace plumb::quality
