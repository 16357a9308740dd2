#pragma once
// The built-in active learner (docs/ARCHITECTURE.md, "automation"): an online
// linear text classifier for one choice control, updated once per accepted
// label, whose predictions pre-fill tasks and whose uncertainty orders the
// queue (least certain first). Pure library: the server owns the model,
// persists Serialize()'s blob and guards the model with a mutex.
//
// Model: multinomial logistic regression (softmax) for a single-choice
// control, or one sigmoid per label (one-vs-rest) for a multi-choice one,
// over hashed features of the text: word 1-2-grams and character 3-5-grams
// of the lowercased text, hashed with a signed hash into 2^hash_bits
// buckets, counts L2-normalized (optionally log-scaled first). Training is
// AdaGrad on the log loss with L2 regularization of the weights an update
// touches.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace plumb::automation {

// Where character n-grams are taken from.
enum class CharNgramScope : int8_t {
  kWords = 0,      // inside each word, padded with one space each side: " zoë " → " zo", ...
  kWholeText = 1,  // over the whole lowercased text, whitespace runs read as one space
};

// How a bucket's count becomes a feature value; either way the vector is
// then scaled to unit L2 norm, so long texts do not take bigger steps.
enum class FeatureScaling : int8_t {
  kCount = 0,     // the (signed) count
  kLogCount = 1,  // sign(c) · ln(1 + |c|): repeated words count less
};

struct LearnerOptions {
  int32_t hash_bits = 18;      // 2^hash_bits buckets; kMinHashBits..kMaxHashBits
  double learning_rate = 0.5;  // AdaGrad's base step, in (0, 100]
  double l2 = 1e-6;            // L2 penalty per update, in [0, 1)
  bool multi_label = false;    // one-vs-rest sigmoids instead of one softmax
  int32_t min_word_ngram = 1;  // word n-grams min..max, max <= 3; max 0: none
  int32_t max_word_ngram = 2;
  int32_t min_char_ngram = 3;  // character n-grams min..max, max <= 8; max 0: none
  int32_t max_char_ngram = 5;
  CharNgramScope char_scope = CharNgramScope::kWords;
  FeatureScaling scaling = FeatureScaling::kCount;
};

inline constexpr int32_t kMinHashBits = 8;
inline constexpr int32_t kMaxHashBits = 24;
inline constexpr size_t kMaxLearnerLabels = 1000;
inline constexpr size_t kMaxLearnerLabelBytes = 1000;
// labels × 2^hash_bits at most: two floats each (weight and AdaGrad sum), so
// a model holds at most 256 MiB.
inline constexpr int64_t kMaxLearnerCells = int64_t{1} << 25;

// OK, or kInvalidArgument naming the first bad field ("hash_bits", ...).
Status ValidateLearnerOptions(const LearnerOptions& options);

// Not internally synchronized: const methods (Predict, Serialize, the
// accessors) may run at the same time as each other, Update needs the model
// to itself. Copyable and movable; a copy is an independent model.
class TextClassifier {
 public:
  // The labels (the choice control's, in schema order: probabilities come in
  // this order) and options checked: kInvalidArgument when options fail
  // ValidateLearnerOptions, labels are empty, fewer than 2 for single-label
  // mode, duplicated, longer than kMaxLearnerLabelBytes or more than
  // kMaxLearnerLabels, or labels × 2^hash_bits exceeds kMaxLearnerCells.
  static Result<TextClassifier> Create(std::vector<std::string> labels,
                                       LearnerOptions options = {});

  // The same without the checks: `labels` and `options` must be ones Create
  // accepts (a bug otherwise). Starts with all weights zero: uniform
  // predictions (0.5 each in multi-label mode).
  explicit TextClassifier(std::vector<std::string> labels, LearnerOptions options = {});

  // One AdaGrad step on (text, label): single-label mode moves the
  // probability of `label` up; multi-label mode treats it as the set {label}.
  // kInvalidArgument when label is not in 0..labels().size()-1; the model is
  // then unchanged. Any bytes are accepted as text (invalid UTF-8 reads as
  // U+FFFD).
  Status Update(std::string_view text, int32_t label);

  // Multi-label mode: the labels present (any order, repeats ignored, empty
  // for "none of them"); every other label is a negative. Single-label mode
  // takes exactly one label. kInvalidArgument for an index out of range or a
  // set single-label mode cannot take; the model is then unchanged.
  Status Update(std::string_view text, const std::vector<int32_t>& labels);

  // One probability per label in labels() order: a distribution (sums to 1)
  // in single-label mode, independent per-label probabilities in multi-label
  // mode.
  std::vector<double> Predict(std::string_view text) const;

  // The number of successful Updates since the model was created.
  int64_t updates() const { return updates_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const LearnerOptions& options() const { return options_; }

  // A compact binary blob (little-endian, versioned, checksummed): the
  // options, labels, update count and every bucket an update touched.
  // Deserialize(Serialize()) predicts exactly what this model predicts.
  std::string Serialize() const;

  // kInvalidArgument when `blob` is not a blob Serialize wrote: wrong magic
  // or format version, truncated, trailing bytes, checksum mismatch, or
  // values out of range.
  static Result<TextClassifier> Deserialize(std::string_view blob);

  // The same, and kConflict when the model's labels are not exactly
  // `expected_labels` in that order (the control's labels changed since the
  // model was saved: start a new model). The message lists both.
  static Result<TextClassifier> Deserialize(std::string_view blob,
                                            const std::vector<std::string>& expected_labels);

 private:
  struct Feature {
    uint32_t bucket;
    double value;
  };
  // The text's features, by bucket, merged, scaled to unit norm.
  std::vector<Feature> Featurize(std::string_view text) const;
  std::vector<double> Scores(const std::vector<Feature>& features) const;
  std::vector<double> Probabilities(std::vector<double> scores) const;
  void Step(const std::vector<Feature>& features, const std::vector<double>& target);

  std::vector<std::string> labels_;
  LearnerOptions options_;
  int64_t updates_ = 0;
  // Bucket-major: weights_[bucket * labels + k], so an update touches
  // adjacent cells. sums_ holds AdaGrad's sums of squared gradients; a
  // bucket with all sums 0 was never touched and is not serialized.
  std::vector<float> weights_;
  std::vector<float> sums_;
  std::vector<double> bias_;
  std::vector<double> bias_sums_;
};

enum class UncertaintyMeasure : int8_t {
  kMargin = 0,             // 1 − (p1 − p2), the two largest probabilities
  kEntropy = 1,            // −Σ p ln p / ln n: 0 certain, 1 uniform
  kMeanBinaryEntropy = 2,  // multi-label: the mean over labels of p's binary entropy in bits
};

// How unsure `probabilities` (one Predict result) are, in [0, 1], higher is
// less certain. kMargin and kEntropy read it as a distribution (single-label
// mode); with one probability the margin is 1 − p and the entropy 0; an empty
// vector is 1 (nothing known). Values are clamped to [0, 1] first.
double Uncertainty(const std::vector<double>& probabilities, UncertaintyMeasure measure);

// Indices of `probabilities` ordered least certain first; ties keep index
// order.
std::vector<size_t> RankByUncertainty(const std::vector<std::vector<double>>& probabilities,
                                      UncertaintyMeasure measure);

// Predicts each text and ranks them as above: the order in which to ask
// annotators. `model` is only read.
std::vector<size_t> RankByUncertainty(const TextClassifier& model,
                                      std::span<const std::string> texts,
                                      UncertaintyMeasure measure);

}  // namespace plumb::automation
