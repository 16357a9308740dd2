#pragma once
// Dawid–Skene (1979) estimation of labeler confusion matrices and of each
// item's true label from single-choice votes, by expectation–maximization,
// and the majority vote it is compared with. Pure functions, thread-safe.

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/schema.h"

namespace plumb::quality {

// A Dawid–Skene model of one single-choice control: the class prior and one
// confusion matrix per labeler, confusion[labeler][true label][given label]
// with rows that sum to 1. Label indexes are the control's label order.
struct ChoiceModel {
  std::vector<double> prior;
  std::unordered_map<int64_t, std::vector<std::vector<double>>> confusion;
};

// One labeler's answer on one item: the index of the chosen label.
struct ChoiceVote {
  int64_t item = 0;
  int64_t labeler = 0;
  int32_t label = 0;
};

struct DawidSkeneOptions {
  int32_t max_iterations = 100;  // EM iterations at most; below 1 counts as 1
  double tolerance = 1e-6;       // stop when no posterior moves by more than this
  // Pseudo-count added to every cell of the confusion counts and to the class
  // counts, so that a labeler seen on few items keeps non-zero probabilities.
  double smoothing = 0.01;
};

struct DawidSkeneFit {
  ChoiceModel model;  // the M-step estimate behind `posterior`
  // Per item: the probability of each label.
  std::unordered_map<int64_t, std::vector<double>> posterior;
  int32_t iterations = 0;  // EM iterations run
};

// Fits the model to `votes` over labels 0..num_labels-1 (votes with another
// label are ignored; a labeler may vote on an item more than once, each vote
// counts). Starts from the per-item vote shares (soft majority vote), then
// alternates M-step and E-step until `tolerance` or `max_iterations`. Every
// labeler with a vote gets a confusion matrix, every item with a vote a
// posterior. An empty fit when num_labels < 1 or there are no usable votes.
DawidSkeneFit FitDawidSkene(int32_t num_labels, const std::vector<ChoiceVote>& votes,
                            const DawidSkeneOptions& options = {});

// The vote of a single-choice `control` in one normalized result (JSON list
// text) for `item` by `labeler`: none when the result does not answer the
// control, cannot be parsed, or the control is not a single choice.
std::vector<ChoiceVote> ChoiceVotes(const Control& control, int64_t item, int64_t labeler,
                                    std::string_view result_json);

// Per item, the label with the most votes; ties go to the lowest label index.
// Votes with a label outside 0..num_labels-1 are ignored.
std::unordered_map<int64_t, int32_t> MajorityVote(int32_t num_labels,
                                                  const std::vector<ChoiceVote>& votes);

// The probability of each label of one item under `model`, given the item's
// votes (their `item` is not looked at). A labeler the model does not know,
// or whose matrix does not have the prior's size, is taken to answer right
// with probability `default_accuracy` and to spread its errors evenly.
// Empty when the model has no prior.
std::vector<double> ItemPosterior(const ChoiceModel& model, const std::vector<ChoiceVote>& votes,
                                  double default_accuracy = 0.7);

// The index of the largest element of `values`, the first of equal ones.
size_t ArgMax(const std::vector<double>& values);

}  // namespace plumb::quality
