#pragma once
// Aggregating single-choice votes with each labeler's known accuracy (for
// example from golden tasks): the accuracy-weighted vote, beside
// MajorityVote and FitDawidSkene (dawid_skene.h). Pure functions,
// thread-safe.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "quality/dawid_skene.h"

namespace plumb::quality {

struct WeightedVoteOptions {
  // Accuracies are clamped to [clamp, 1 - clamp] before they become weights,
  // so that a labeler with a perfect record gets a large weight, not an
  // infinite one (0.01: at most log(99) + log(K - 1)).
  double clamp = 0.01;
  // The accuracy of a labeler missing from the map (as ItemPosterior's
  // default).
  double default_accuracy = 0.7;
};

// The weight of a vote by a labeler of accuracy `accuracy` among
// `num_labels` labels: log(K - 1) + log(a / (1 - a)), a the accuracy clamped
// to [clamp, 1 - clamp], and 0 when that is negative or K < 2. It is the
// log-likelihood ratio a vote adds for its label under the "one coin" model
// (right with probability a, else any wrong label alike), so the weighted
// vote below is that model's most probable label under a uniform prior. A
// labeler at or below chance (a <= 1/K) gets 0 rather than a negative
// weight: a noisy accuracy estimate cannot make a vote count against its
// label.
double AccuracyWeight(int32_t num_labels, double accuracy, double clamp = 0.01);

// Per item, the label with the largest sum of AccuracyWeight over its votes,
// `accuracy` giving each labeler's accuracy (labelers not in it:
// options.default_accuracy). Ties, also when every weight is 0, go to the
// label with more votes, then to the lowest label index. Votes with a label
// outside 0..num_labels-1 are ignored; every item with another vote gets a
// label.
std::unordered_map<int64_t, int32_t> AccuracyWeightedVote(
    int32_t num_labels, const std::vector<ChoiceVote>& votes,
    const std::unordered_map<int64_t, double>& accuracy, const WeightedVoteOptions& options = {});

}  // namespace plumb::quality
