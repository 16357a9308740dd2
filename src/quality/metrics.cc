#include "quality/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace plumb::quality {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Cell(const CountTable& table, size_t a, size_t b) {
  return b < table[a].size() ? table[a][b] : 0;
}

double Ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0;
}

double F1(double precision, double recall) {
  return Ratio(2 * precision * recall, precision + recall);
}

bool InRange(int32_t label, int32_t num_labels) { return label >= 0 && label < num_labels; }

// Per item, its votes' labels in vote order (items in order of first vote,
// so that sums run in the same order on every call).
std::vector<std::vector<int32_t>> LabelsByItem(int32_t num_labels,
                                               const std::vector<ChoiceVote>& votes) {
  std::vector<std::vector<int32_t>> out;
  std::unordered_map<int64_t, size_t> index;
  for (const ChoiceVote& v : votes) {
    if (!InRange(v.label, num_labels)) continue;
    auto [it, inserted] = index.emplace(v.item, out.size());
    if (inserted) out.emplace_back();
    out[it->second].push_back(v.label);
  }
  return out;
}

}  // namespace

CountTable ConfusionMatrix(int32_t num_labels, const std::vector<int32_t>& truth,
                           const std::vector<int32_t>& predicted) {
  if (num_labels < 1) return {};
  const size_t k = static_cast<size_t>(num_labels);
  CountTable table(k, std::vector<double>(k, 0));
  const size_t n = std::min(truth.size(), predicted.size());
  for (size_t i = 0; i < n; ++i) {
    if (InRange(truth[i], num_labels) && InRange(predicted[i], num_labels)) {
      table[truth[i]][predicted[i]] += 1;
    }
  }
  return table;
}

double Accuracy(const CountTable& confusion) {
  double diagonal = 0, total = 0;
  for (size_t a = 0; a < confusion.size(); ++a) {
    for (size_t b = 0; b < confusion.size(); ++b) total += Cell(confusion, a, b);
    diagonal += Cell(confusion, a, a);
  }
  return total > 0 ? diagonal / total : kNaN;
}

ClassificationScores ScoreClassification(const CountTable& confusion) {
  const size_t k = confusion.size();
  ClassificationScores out;
  out.accuracy = Accuracy(confusion);
  std::vector<double> predicted(k, 0);  // column sums
  for (size_t a = 0; a < k; ++a) {
    for (size_t b = 0; b < k; ++b) predicted[b] += Cell(confusion, a, b);
  }
  double tp_sum = 0, predicted_sum = 0, support_sum = 0;
  out.per_class.resize(k);
  for (size_t c = 0; c < k; ++c) {
    ClassScores& s = out.per_class[c];
    double tp = Cell(confusion, c, c);
    for (size_t b = 0; b < k; ++b) s.support += Cell(confusion, c, b);
    s.precision = Ratio(tp, predicted[c]);
    s.recall = Ratio(tp, s.support);
    s.f1 = F1(s.precision, s.recall);
    tp_sum += tp;
    predicted_sum += predicted[c];
    support_sum += s.support;
  }
  for (const ClassScores& s : out.per_class) {
    out.macro.precision += s.precision;
    out.macro.recall += s.recall;
    out.macro.f1 += s.f1;
    out.weighted.precision += s.precision * s.support;
    out.weighted.recall += s.recall * s.support;
    out.weighted.f1 += s.f1 * s.support;
  }
  if (k > 0) {
    out.macro.precision /= static_cast<double>(k);
    out.macro.recall /= static_cast<double>(k);
    out.macro.f1 /= static_cast<double>(k);
  }
  out.weighted.precision = Ratio(out.weighted.precision, support_sum);
  out.weighted.recall = Ratio(out.weighted.recall, support_sum);
  out.weighted.f1 = Ratio(out.weighted.f1, support_sum);
  out.micro.precision = Ratio(tp_sum, predicted_sum);
  out.micro.recall = Ratio(tp_sum, support_sum);
  out.micro.f1 = F1(out.micro.precision, out.micro.recall);
  out.macro.support = out.micro.support = out.weighted.support = support_sum;
  return out;
}

MatchScores ScoresFromCounts(int64_t true_positives, int64_t false_positives,
                             int64_t false_negatives) {
  MatchScores s;
  s.true_positives = true_positives;
  s.false_positives = false_positives;
  s.false_negatives = false_negatives;
  const double tp = static_cast<double>(true_positives);
  s.precision = Ratio(tp, tp + static_cast<double>(false_positives));
  s.recall = Ratio(tp, tp + static_cast<double>(false_negatives));
  s.f1 = F1(s.precision, s.recall);
  return s;
}

double KappaFromConfusion(const CountTable& table) {
  const size_t k = table.size();
  std::vector<double> rows(k, 0), columns(k, 0);
  double total = 0, diagonal = 0;
  for (size_t a = 0; a < k; ++a) {
    for (size_t b = 0; b < k; ++b) {
      double x = Cell(table, a, b);
      rows[a] += x;
      columns[b] += x;
      total += x;
    }
    diagonal += Cell(table, a, a);
  }
  if (total <= 0) return kNaN;
  double observed = diagonal / total, expected = 0;
  for (size_t c = 0; c < k; ++c) expected += (rows[c] / total) * (columns[c] / total);
  // p_e = 1 only when both raters put everything on one label; rounding can
  // leave it a hair below, which would turn 0/0 into a large number.
  if (expected >= 1 - 1e-12) return kNaN;
  return (observed - expected) / (1 - expected);
}

double CohensKappa(int32_t num_labels, const std::vector<int32_t>& a,
                   const std::vector<int32_t>& b) {
  return KappaFromConfusion(ConfusionMatrix(num_labels, a, b));
}

double FleissItemAgreement(const std::vector<int64_t>& counts) {
  int64_t n = 0, same = 0;
  for (int64_t c : counts) {
    c = std::max<int64_t>(c, 0);
    n += c;
    same += c * (c - 1);
  }
  if (n < 2) return kNaN;
  return static_cast<double>(same) / (static_cast<double>(n) * static_cast<double>(n - 1));
}

void FleissSums::Add(const std::vector<int64_t>& counts) {
  const double agreement = FleissItemAgreement(counts);
  if (std::isnan(agreement)) return;
  if (category_totals.size() < counts.size()) category_totals.resize(counts.size(), 0);
  for (size_t j = 0; j < counts.size(); ++j) category_totals[j] += std::max<int64_t>(counts[j], 0);
  ++items;
  agreement_sum += agreement;
}

void FleissSums::Merge(const FleissSums& other) {
  items += other.items;
  agreement_sum += other.agreement_sum;
  if (category_totals.size() < other.category_totals.size()) {
    category_totals.resize(other.category_totals.size(), 0);
  }
  for (size_t j = 0; j < other.category_totals.size(); ++j) {
    category_totals[j] += other.category_totals[j];
  }
}

int64_t FleissSums::Ratings() const {
  int64_t total = 0;
  for (int64_t c : category_totals) total += c;
  return total;
}

double FleissSums::Kappa() const {
  const int64_t ratings = Ratings();
  if (items <= 0 || ratings <= 0) return kNaN;
  double mean_agreement = agreement_sum / static_cast<double>(items), expected = 0;
  for (int64_t c : category_totals) {
    double p = static_cast<double>(c) / static_cast<double>(ratings);
    expected += p * p;
  }
  if (expected >= 1 - 1e-12) return kNaN;  // as in KappaFromConfusion
  return (mean_agreement - expected) / (1 - expected);
}

double FleissKappa(const CountTable& item_counts) {
  FleissSums sums;
  std::vector<int64_t> counts;
  for (const auto& row : item_counts) {
    counts.assign(row.size(), 0);
    // Counts of raters are whole numbers; llround keeps 2.9999999 from
    // becoming 2.
    for (size_t j = 0; j < row.size(); ++j) counts[j] = std::llround(row[j]);
    sums.Add(counts);
  }
  return sums.Kappa();
}

double FleissKappa(int32_t num_labels, const std::vector<ChoiceVote>& votes) {
  if (num_labels < 1) return kNaN;
  FleissSums sums;
  std::vector<int64_t> counts;
  for (const std::vector<int32_t>& labels : LabelsByItem(num_labels, votes)) {
    counts.assign(num_labels, 0);
    for (int32_t label : labels) ++counts[label];
    sums.Add(counts);
  }
  return sums.Kappa();
}

CoincidenceMatrix::CoincidenceMatrix(int32_t num_labels)
    : num_labels_(std::max(num_labels, 0)),
      cells_(static_cast<size_t>(num_labels_) * static_cast<size_t>(num_labels_), 0) {}

void CoincidenceMatrix::Add(const std::vector<int32_t>& unit_values) {
  // Counts per value: a unit's pairs are m(m-1), its distinct values few.
  std::map<int32_t, int64_t> counts;
  int64_t m = 0;
  for (int32_t v : unit_values) {
    if (!InRange(v, num_labels_)) continue;
    ++counts[v];
    ++m;
  }
  if (m < 2) return;
  const double scale = 1.0 / static_cast<double>(m - 1);
  for (const auto& [c, nc] : counts) {
    for (const auto& [k, nk] : counts) {
      double pairs = static_cast<double>(nc) * static_cast<double>(c == k ? nk - 1 : nk);
      cells_[Index(c, k)] += pairs * scale;
    }
  }
}

void CoincidenceMatrix::Merge(const CoincidenceMatrix& other) {
  const int32_t k = std::min(num_labels_, other.num_labels_);
  for (int32_t c = 0; c < k; ++c) {
    for (int32_t d = 0; d < k; ++d) cells_[Index(c, d)] += other.at(c, d);
  }
}

double CoincidenceMatrix::PairableValues() const {
  double n = 0;
  for (double x : cells_) n += x;
  return n;
}

double CoincidenceMatrix::Alpha() const {
  double n = 0, off_diagonal = 0, squares = 0;
  for (int32_t c = 0; c < num_labels_; ++c) {
    double row = 0;
    for (int32_t k = 0; k < num_labels_; ++k) {
      row += at(c, k);
      if (c != k) off_diagonal += at(c, k);
    }
    n += row;
    squares += row * row;
  }
  const double expected = n * n - squares;  // sum over c != k of n_c n_k
  // Relative to n^2: a matrix built from fractions may leave a rounding
  // remainder where the exact expected disagreement is 0.
  if (n <= 0 || expected <= 1e-12 * n * n) return kNaN;
  return 1 - (n - 1) * off_diagonal / expected;
}

double KrippendorffAlpha(int32_t num_labels, const std::vector<ChoiceVote>& votes) {
  CoincidenceMatrix matrix(num_labels);
  for (const std::vector<int32_t>& labels : LabelsByItem(num_labels, votes)) matrix.Add(labels);
  return matrix.Alpha();
}

}  // namespace plumb::quality
