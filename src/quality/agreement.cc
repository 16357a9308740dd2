#include "quality/agreement.h"

#include <algorithm>
#include <cmath>

namespace plumb::quality {

double AccuracyWeight(int32_t num_labels, double accuracy, double clamp) {
  if (num_labels < 2 || std::isnan(accuracy)) return 0;
  // A clamp outside [0, 0.5) would leave no accuracy or an empty range.
  clamp = std::clamp(clamp, 1e-12, 0.49);
  double a = std::clamp(accuracy, clamp, 1 - clamp);
  double weight = std::log(static_cast<double>(num_labels - 1)) + std::log(a / (1 - a));
  return std::max(weight, 0.0);
}

std::unordered_map<int64_t, int32_t> AccuracyWeightedVote(
    int32_t num_labels, const std::vector<ChoiceVote>& votes,
    const std::unordered_map<int64_t, double>& accuracy, const WeightedVoteOptions& options) {
  struct Tally {
    std::vector<double> weight;
    std::vector<int64_t> count;
  };
  std::unordered_map<int64_t, Tally> tallies;
  std::unordered_map<int64_t, double> weight_of;  // per labeler, computed once
  for (const ChoiceVote& v : votes) {
    if (v.label < 0 || v.label >= num_labels) continue;
    auto [w, new_labeler] = weight_of.try_emplace(v.labeler, 0.0);
    if (new_labeler) {
      auto known = accuracy.find(v.labeler);
      w->second = AccuracyWeight(num_labels,
                                 known == accuracy.end() ? options.default_accuracy : known->second,
                                 options.clamp);
    }
    auto [t, new_item] = tallies.try_emplace(v.item);
    if (new_item) {
      t->second.weight.assign(num_labels, 0);
      t->second.count.assign(num_labels, 0);
    }
    t->second.weight[v.label] += w->second;
    t->second.count[v.label] += 1;
  }
  std::unordered_map<int64_t, int32_t> out;
  for (const auto& [item, tally] : tallies) {
    int32_t best = 0;
    for (int32_t c = 1; c < num_labels; ++c) {
      if (tally.weight[c] > tally.weight[best] ||
          (tally.weight[c] == tally.weight[best] && tally.count[c] > tally.count[best])) {
        best = c;
      }
    }
    out.emplace(item, best);
  }
  return out;
}

}  // namespace plumb::quality
