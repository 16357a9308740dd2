#include "quality/detection.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace plumb::quality {
namespace {

// The references and predictions of one image and label, as indexes.
struct Group {
  std::vector<size_t> truth, predicted;
};

// Groups by (image, label), in ascending order of both.
std::map<std::pair<int64_t, int32_t>, Group> GroupByImageAndLabel(
    const std::vector<Detection>& truth, const std::vector<Detection>& predicted) {
  std::map<std::pair<int64_t, int32_t>, Group> groups;
  for (size_t i = 0; i < truth.size(); ++i) {
    groups[{truth[i].image, truth[i].label}].truth.push_back(i);
  }
  for (size_t i = 0; i < predicted.size(); ++i) {
    groups[{predicted[i].image, predicted[i].label}].predicted.push_back(i);
  }
  return groups;
}

// The IoU thresholds as numpy.linspace(0.5, 0.95, 10) gives them (i * step
// + start, the last one exactly the end), so that a pair whose IoU is
// exactly a threshold is judged as COCOeval judges it.
std::vector<double> CocoThresholds() {
  constexpr int kCount = 10;
  const double start = 0.5, stop = 0.95, step = (stop - start) / (kCount - 1);
  std::vector<double> out(kCount);
  for (int i = 0; i < kCount; ++i) out[i] = static_cast<double>(i) * step + start;
  out.back() = stop;
  return out;
}

// COCOeval's 101 recall points, numpy.linspace(0, 1, 101).
std::vector<double> RecallPoints() {
  constexpr int kCount = 101;
  const double step = 1.0 / (kCount - 1);
  std::vector<double> out(kCount);
  for (int i = 0; i < kCount; ++i) out[i] = static_cast<double>(i) * step;
  out.back() = 1;
  return out;
}

// Average precision of one label at one threshold from its predictions in
// ranking order (matched or not) and its number of references (> 0), as
// COCOeval's accumulate: the precision envelope sampled at `recall_points`.
double AveragePrecision(const std::vector<char>& matched, size_t num_truth,
                        const std::vector<double>& recall_points) {
  // numpy.spacing(1): COCOeval adds it to the denominator of precision.
  constexpr double kSpacing = 2.220446049250313e-16;
  const size_t n = matched.size();
  std::vector<double> recall(n), precision(n);
  double tp = 0, fp = 0;
  for (size_t i = 0; i < n; ++i) {
    (matched[i] ? tp : fp) += 1;
    recall[i] = tp / static_cast<double>(num_truth);
    precision[i] = tp / (fp + tp + kSpacing);
  }
  for (size_t i = n; i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
  double sum = 0;
  for (double r : recall_points) {
    size_t at = std::lower_bound(recall.begin(), recall.end(), r) - recall.begin();
    if (at >= n) break;  // the points past the largest recall stay 0
    sum += precision[at];
  }
  return sum / static_cast<double>(recall_points.size());
}

}  // namespace

double DetectionIoU(const Detection& a, const Detection& b) {
  if (a.polygon.empty() && b.polygon.empty()) return BoxIoU(a.box, b.box);
  return PolygonIoU(a.polygon.empty() ? BoxCorners(a.box) : a.polygon,
                    b.polygon.empty() ? BoxCorners(b.box) : b.polygon);
}

std::vector<std::pair<size_t, size_t>> MaxWeightMatching(
    const std::vector<std::vector<double>>& weight, double min_weight) {
  const size_t rows = weight.size();
  size_t columns = 0;
  for (const auto& row : weight) columns = std::max(columns, row.size());
  if (rows == 0 || columns == 0) return {};
  auto allowed = [&](size_t r, size_t c) {
    double w = c < weight[r].size() ? weight[r][c] : 0;
    return w > 0 && w >= min_weight ? w : 0.0;
  };
  // The method below assigns every one of n rows to one of m >= n columns,
  // minimizing cost; a pair that may not match costs 0 like a free slot, so
  // the minimum of -weight is the maximum-weight matching once those pairs
  // are dropped.
  const bool transpose = rows > columns;
  const size_t n = transpose ? columns : rows, m = transpose ? rows : columns;
  auto cost = [&](size_t i, size_t j) {  // 1-based, as the potentials below
    return transpose ? -allowed(j - 1, i - 1) : -allowed(i - 1, j - 1);
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(m + 1, 0), min_slack(m + 1);
  std::vector<size_t> row_of(m + 1, 0), way(m + 1, 0);  // column -> row (0: free)
  std::vector<char> used(m + 1);
  for (size_t i = 1; i <= n; ++i) {
    // Grow a shortest augmenting path from row i (Dijkstra on reduced costs).
    row_of[0] = i;
    size_t j0 = 0;
    std::fill(min_slack.begin(), min_slack.end(), kInf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      size_t i0 = row_of[j0], j1 = 0;
      double delta = kInf;
      for (size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        double slack = cost(i0, j) - u[i0] - v[j];
        if (slack < min_slack[j]) {
          min_slack[j] = slack;
          way[j] = j0;
        }
        if (min_slack[j] < delta) {
          delta = min_slack[j];
          j1 = j;
        }
      }
      for (size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[row_of[j]] += delta;
          v[j] -= delta;
        } else {
          min_slack[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[j0] != 0);
    do {  // flip the path
      size_t j1 = way[j0];
      row_of[j0] = row_of[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t j = 1; j <= m; ++j) {
    if (row_of[j] == 0) continue;
    size_t r = transpose ? j - 1 : row_of[j] - 1, c = transpose ? row_of[j] - 1 : j - 1;
    if (allowed(r, c) > 0) out.emplace_back(r, c);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<DetectionMatch> MatchDetections(const std::vector<Detection>& truth,
                                            const std::vector<Detection>& predicted,
                                            double iou_threshold) {
  std::vector<DetectionMatch> out;
  for (const auto& [key, group] : GroupByImageAndLabel(truth, predicted)) {
    if (group.truth.empty() || group.predicted.empty()) continue;
    std::vector<std::vector<double>> iou(group.truth.size(),
                                         std::vector<double>(group.predicted.size()));
    for (size_t t = 0; t < group.truth.size(); ++t) {
      for (size_t p = 0; p < group.predicted.size(); ++p) {
        iou[t][p] = DetectionIoU(truth[group.truth[t]], predicted[group.predicted[p]]);
      }
    }
    for (const auto& [t, p] : MaxWeightMatching(iou, iou_threshold)) {
      out.push_back({group.truth[t], group.predicted[p], iou[t][p]});
    }
  }
  std::sort(out.begin(), out.end(), [](const DetectionMatch& a, const DetectionMatch& b) {
    return std::tie(a.truth, a.predicted) < std::tie(b.truth, b.predicted);
  });
  return out;
}

MatchScores ScoreDetections(const std::vector<Detection>& truth,
                            const std::vector<Detection>& predicted, double iou_threshold) {
  const auto matched =
      static_cast<int64_t>(MatchDetections(truth, predicted, iou_threshold).size());
  return ScoresFromCounts(matched, static_cast<int64_t>(predicted.size()) - matched,
                          static_cast<int64_t>(truth.size()) - matched);
}

MeanAveragePrecision CocoMeanAveragePrecision(const std::vector<Detection>& truth,
                                              const std::vector<Detection>& predicted,
                                              const MapOptions& options) {
  MeanAveragePrecision out;
  out.iou_thresholds = options.iou_thresholds.empty() ? CocoThresholds() : options.iou_thresholds;
  const std::vector<double> recall_points = RecallPoints();
  const size_t num_thresholds = out.iou_thresholds.size();

  // Per label: its predictions over all images (images ascending, each
  // image's in its ranking order) with their score and, per threshold,
  // whether they matched; and its number of references.
  struct Ranked {
    std::vector<double> score;
    std::vector<std::vector<char>> matched;  // [threshold][prediction]
    size_t num_truth = 0;
  };
  std::map<int32_t, Ranked> by_label;
  for (const Detection& d : truth) by_label[d.label].num_truth += 1;
  for (auto& [label, ranked] : by_label) ranked.matched.resize(num_thresholds);

  for (const auto& [key, group] : GroupByImageAndLabel(truth, predicted)) {
    auto found = by_label.find(key.second);
    if (found == by_label.end()) continue;  // a label without references is not scored
    Ranked& ranked = found->second;
    std::vector<size_t> order = group.predicted;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return predicted[a].score > predicted[b].score; });
    if (order.size() > options.max_detections) order.resize(options.max_detections);
    std::vector<std::vector<double>> iou(order.size(), std::vector<double>(group.truth.size()));
    for (size_t d = 0; d < order.size(); ++d) {
      for (size_t g = 0; g < group.truth.size(); ++g) {
        iou[d][g] = DetectionIoU(predicted[order[d]], truth[group.truth[g]]);
      }
    }
    for (size_t d = 0; d < order.size(); ++d) ranked.score.push_back(predicted[order[d]].score);
    std::vector<char> taken(group.truth.size());
    for (size_t t = 0; t < num_thresholds; ++t) {
      std::fill(taken.begin(), taken.end(), 0);
      for (size_t d = 0; d < order.size(); ++d) {
        // COCOeval keeps an IoU of exactly 1 matchable at threshold 1.
        double best = std::min(out.iou_thresholds[t], 1 - 1e-10);
        size_t match = group.truth.size();
        for (size_t g = 0; g < group.truth.size(); ++g) {
          if (taken[g] || iou[d][g] < best) continue;
          best = iou[d][g];
          match = g;
        }
        bool hit = match < group.truth.size();
        if (hit) taken[match] = 1;
        ranked.matched[t].push_back(hit);
      }
    }
  }

  out.map_at_threshold.assign(num_thresholds, 0);
  double total = 0;
  for (const auto& [label, ranked] : by_label) {
    std::vector<size_t> order(ranked.score.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return ranked.score[a] > ranked.score[b]; });
    double label_sum = 0;
    std::vector<char> matched(order.size());
    for (size_t t = 0; t < num_thresholds; ++t) {
      for (size_t i = 0; i < order.size(); ++i) matched[i] = ranked.matched[t][order[i]];
      double ap = AveragePrecision(matched, ranked.num_truth, recall_points);
      out.map_at_threshold[t] += ap;
      label_sum += ap;
    }
    out.ap_per_label[label] = num_thresholds > 0 ? label_sum / num_thresholds : 0;
    total += label_sum;
  }
  const size_t num_labels = by_label.size();
  if (num_labels == 0 || num_thresholds == 0) {
    out.map_at_threshold.assign(num_thresholds, std::numeric_limits<double>::quiet_NaN());
    return out;
  }
  for (double& m : out.map_at_threshold) m /= static_cast<double>(num_labels);
  out.map = total / static_cast<double>(num_labels * num_thresholds);
  return out;
}

}  // namespace plumb::quality
