#pragma once
// Metrics of single-choice labels: accuracy, per-class precision, recall and
// F1 with their averages, the confusion matrix, and the agreement of raters
// beyond chance (Cohen's kappa for two, Fleiss' kappa and Krippendorff's
// alpha for many, with missing data). The agreement coefficients also come
// as additive sums (FleissSums, CoincidenceMatrix) that a server can keep up
// to date label by label and turn into a coefficient later. Labels are
// indexes 0..K-1 into a control's labels. docs/quality.md gives every
// definition and the reference each one is pinned to. Pure functions and
// value types without shared state: thread-safe.

#include <cstdint>
#include <vector>

#include "quality/dawid_skene.h"

namespace plumb::quality {

// A K×K table of counts (or weights): table[a][b] is how often the first
// rater, or the reference, said a while the second, or the prediction, said
// b. Functions that read one take K from the number of rows; a row shorter
// than K reads as padded with zeros, cells past K are not read.
using CountTable = std::vector<std::vector<double>>;

// The confusion matrix of `predicted` against `truth` over labels
// 0..num_labels-1: table[t][p] counts the positions i where truth[i] == t
// and predicted[i] == p. Only the first min(|truth|, |predicted|) positions
// count, and a position with a label outside 0..num_labels-1 on either side
// is skipped. Empty when num_labels < 1.
CountTable ConfusionMatrix(int32_t num_labels, const std::vector<int32_t>& truth,
                           const std::vector<int32_t>& predicted);

// The share of the table's total on its diagonal; NaN for an empty table
// (like scikit-learn's accuracy_score on no samples).
double Accuracy(const CountTable& confusion);

// Precision, recall and F1 of one class or of an average, and its support:
// the reference count of the class (for averages, of all classes).
struct ClassScores {
  double precision = 0, recall = 0, f1 = 0;
  double support = 0;
};

struct ClassificationScores {
  double accuracy = 0;                 // as Accuracy()
  std::vector<ClassScores> per_class;  // one per label, also for labels never seen
  ClassScores macro;                   // unweighted mean of per_class (F1 too)
  ClassScores micro;                   // from true and false positives summed over classes
  ClassScores weighted;                // mean of per_class weighted by support
};

// The scores of a confusion matrix (rows: reference, columns: prediction),
// as scikit-learn's precision_recall_fscore_support with labels 0..K-1 and
// zero_division=0: a ratio whose denominator is 0 is 0 (precision of a class
// never predicted, recall of a class never in the reference, F1 when both
// are 0, and every average of an empty table).
ClassificationScores ScoreClassification(const CountTable& confusion);

// Precision, recall and F1 of a matching (detection boxes, text spans):
// true positives are matched pairs, false positives unmatched predictions,
// false negatives unmatched references; a ratio whose denominator is 0 is 0.
struct MatchScores {
  int64_t true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision = 0, recall = 0, f1 = 0;
};
MatchScores ScoresFromCounts(int64_t true_positives, int64_t false_positives,
                             int64_t false_negatives);

// Cohen's kappa of the contingency table of two raters over the same items
// (table[a][b]: items the first rated a and the second b):
// (p_o - p_e) / (1 - p_e), p_o the share of the diagonal, p_e the share
// expected from the two raters' marginals. NaN when it is undefined: an
// empty table, or p_e = 1 (both raters always gave the one same label), as
// scikit-learn's cohen_kappa_score.
double KappaFromConfusion(const CountTable& table);

// Cohen's kappa of two raters' labels of the same items, position by
// position: KappaFromConfusion(ConfusionMatrix(num_labels, a, b)).
double CohensKappa(int32_t num_labels, const std::vector<int32_t>& a,
                   const std::vector<int32_t>& b);

// The running sums behind Fleiss' kappa, item by item. Generalized to items
// with different numbers of ratings: each item with n_i >= 2 ratings, n_ij of
// them category j, has the agreement P_i = sum_j n_ij (n_ij - 1) /
// (n_i (n_i - 1)); P = the plain mean of P_i; p_j = category j's share of all
// ratings of those items; P_e = sum_j p_j^2; kappa = (P - P_e) / (1 - P_e).
// With the same number of ratings on every item this is Fleiss' (1971)
// kappa, as statsmodels' fleiss_kappa computes it. Items with fewer than two
// ratings say nothing about agreement and are left out.
struct FleissSums {
  int64_t items = 0;                     // items with at least two ratings
  double agreement_sum = 0;              // sum of their P_i
  std::vector<int64_t> category_totals;  // their ratings per category

  // Adds one item given its ratings per category (negative counts count as
  // 0); category_totals grows to counts.size().
  void Add(const std::vector<int64_t>& counts);
  // Adds the sums of `other`, as if its items had been added here.
  void Merge(const FleissSums& other);
  // The total number of ratings of the items added: the sum of
  // category_totals.
  int64_t Ratings() const;
  // Fleiss' kappa of the items added; NaN with no item, or when P_e = 1 (all
  // ratings in one category).
  double Kappa() const;
};

// One item's P_i as FleissSums::Add adds it, for a store that keeps the sums
// itself: sum_j n_ij (n_ij - 1) / (n_i (n_i - 1)) over its ratings per
// category (negative counts as 0); NaN when it has fewer than two ratings
// (and is then no item of the sums).
double FleissItemAgreement(const std::vector<int64_t>& counts);

// Fleiss' kappa of an items × categories table of rating counts (one row
// per item, row[j] = raters who chose category j), as FleissSums.
double FleissKappa(const CountTable& item_counts);

// Fleiss' kappa of votes (items may have different numbers of votes; a
// labeler's second vote on an item counts as another rating), as FleissSums.
// Votes with a label outside 0..num_labels-1 are ignored.
double FleissKappa(int32_t num_labels, const std::vector<ChoiceVote>& votes);

// Krippendorff's coincidence matrix for nominal alpha, unit by unit: a unit
// (item) with m >= 2 values adds, for every ordered pair of its values at
// different positions (c, k), 1 / (m - 1) to cell (c, k); a unit with fewer
// values is not pairable and adds nothing (missing data). Alpha is
// 1 - (n - 1) * (sum of off-diagonal cells) / (n^2 - sum_c n_c^2), where n_c
// is row c's sum and n the total: the same figure as NLTK's
// AnnotationTask.alpha with binary_distance on the same values.
class CoincidenceMatrix {
 public:
  // A zero matrix over labels 0..num_labels-1 (none when num_labels < 1).
  explicit CoincidenceMatrix(int32_t num_labels);

  int32_t num_labels() const { return num_labels_; }
  // Cell (c, k); both in 0..num_labels-1. Writable, so that a stored matrix
  // can be restored cell by cell.
  double& at(int32_t c, int32_t k) { return cells_[Index(c, k)]; }
  double at(int32_t c, int32_t k) const { return cells_[Index(c, k)]; }

  // Adds one unit given its values (labels outside 0..num_labels-1 are
  // skipped; the order does not matter).
  void Add(const std::vector<int32_t>& unit_values);
  // Adds every cell of `other`; a matrix with another number of labels adds
  // its cells that lie inside this one.
  void Merge(const CoincidenceMatrix& other);
  // The number of pairable values n (the matrix's total).
  double PairableValues() const;
  // Nominal alpha; NaN when it is undefined: no pairable values, or all of
  // them the same (no expected disagreement; NLTK returns 1 when the whole
  // data has one value, and fails otherwise).
  double Alpha() const;

 private:
  size_t Index(int32_t c, int32_t k) const {
    return static_cast<size_t>(c) * static_cast<size_t>(num_labels_) + static_cast<size_t>(k);
  }

  int32_t num_labels_;
  std::vector<double> cells_;  // row-major
};

// Krippendorff's nominal alpha of votes with missing data: every item is a
// unit and its votes are its values (which labeler gave them does not enter
// nominal alpha). Votes with a label outside 0..num_labels-1 are ignored.
// NaN when undefined, as CoincidenceMatrix::Alpha.
double KrippendorffAlpha(int32_t num_labels, const std::vector<ChoiceVote>& votes);

}  // namespace plumb::quality
