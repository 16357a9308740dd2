#include "quality/dawid_skene.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace plumb::quality {
namespace {

// Votes with dense item and labeler indexes, in order of first appearance.
struct DenseVotes {
  std::vector<int64_t> items, labelers;  // dense index -> id
  struct Vote {
    size_t item, labeler;
    int32_t label;
  };
  std::vector<Vote> votes;
};

DenseVotes Densify(int32_t num_labels, const std::vector<ChoiceVote>& votes) {
  DenseVotes out;
  std::unordered_map<int64_t, size_t> item_index, labeler_index;
  for (const ChoiceVote& v : votes) {
    if (v.label < 0 || v.label >= num_labels) continue;
    auto [item, new_item] = item_index.emplace(v.item, out.items.size());
    if (new_item) out.items.push_back(v.item);
    auto [labeler, new_labeler] = labeler_index.emplace(v.labeler, out.labelers.size());
    if (new_labeler) out.labelers.push_back(v.labeler);
    out.votes.push_back({item->second, labeler->second, v.label});
  }
  return out;
}

using Matrix = std::vector<std::vector<double>>;

// Scales `logs` to probabilities (softmax); uniform when every entry is -inf,
// which only happens with smoothing 0.
std::vector<double> Normalize(std::vector<double> logs) {
  double top = *std::max_element(logs.begin(), logs.end());
  if (!std::isfinite(top)) return std::vector<double>(logs.size(), 1.0 / logs.size());
  double sum = 0;
  for (double& v : logs) sum += v = std::exp(v - top);
  for (double& v : logs) v /= sum;
  return logs;
}

}  // namespace

size_t ArgMax(const std::vector<double>& values) {
  return std::max_element(values.begin(), values.end()) - values.begin();
}

DawidSkeneFit FitDawidSkene(int32_t num_labels, const std::vector<ChoiceVote>& votes,
                            const DawidSkeneOptions& options) {
  DawidSkeneFit fit;
  if (num_labels < 1) return fit;
  DenseVotes dense = Densify(num_labels, votes);
  if (dense.votes.empty()) return fit;
  const size_t k = static_cast<size_t>(num_labels);
  const size_t num_items = dense.items.size(), num_labelers = dense.labelers.size();
  const double s = options.smoothing;

  Matrix t(num_items, std::vector<double>(k, 0));  // posterior[item][label]
  for (const auto& v : dense.votes) t[v.item][v.label] += 1;
  for (auto& row : t) {
    double sum = 0;
    for (double x : row) sum += x;
    for (double& x : row) x /= sum;
  }

  std::vector<double> prior(k), log_prior(k);
  std::vector<Matrix> confusion(num_labelers, Matrix(k, std::vector<double>(k)));
  // The E-step's buffers, kept across iterations (at a million votes,
  // allocating a row per item and taking a logarithm per vote and class made
  // up most of an iteration's time). The values and the order of the sums
  // are the same as when every log was taken where it is used.
  std::vector<Matrix> log_confusion(num_labelers, Matrix(k, std::vector<double>(k)));
  Matrix logs(num_items, std::vector<double>(k));
  int32_t max_iterations = std::max(options.max_iterations, 1);
  for (int32_t iteration = 1; iteration <= max_iterations; ++iteration) {
    // M-step.
    std::fill(prior.begin(), prior.end(), s);
    for (const auto& row : t) {
      for (size_t c = 0; c < k; ++c) prior[c] += row[c];
    }
    for (double& p : prior) p /= num_items + k * s;
    for (Matrix& m : confusion) {
      for (auto& row : m) std::fill(row.begin(), row.end(), s);
    }
    for (const auto& v : dense.votes) {
      for (size_t c = 0; c < k; ++c) confusion[v.labeler][c][v.label] += t[v.item][c];
    }
    for (Matrix& m : confusion) {
      for (auto& row : m) {
        double sum = 0;
        for (double x : row) sum += x;
        // A true class no item of this labeler has (possible only with
        // smoothing 0): nothing is known, so the row is uniform.
        for (double& x : row) x = sum > 0 ? x / sum : 1.0 / k;
      }
    }
    // E-step.
    for (size_t c = 0; c < k; ++c) log_prior[c] = std::log(prior[c]);
    for (size_t l = 0; l < num_labelers; ++l) {
      for (size_t c = 0; c < k; ++c) {
        for (size_t j = 0; j < k; ++j) log_confusion[l][c][j] = std::log(confusion[l][c][j]);
      }
    }
    for (auto& row : logs) std::copy(log_prior.begin(), log_prior.end(), row.begin());
    for (const auto& v : dense.votes) {
      for (size_t c = 0; c < k; ++c) logs[v.item][c] += log_confusion[v.labeler][c][v.label];
    }
    double change = 0;
    for (size_t i = 0; i < num_items; ++i) {
      logs[i] = Normalize(std::move(logs[i]));
      for (size_t c = 0; c < k; ++c) change = std::max(change, std::abs(logs[i][c] - t[i][c]));
      std::swap(t[i], logs[i]);  // the old posterior's row becomes the next iteration's buffer
    }
    fit.iterations = iteration;
    if (change < options.tolerance) break;
  }

  fit.model.prior = std::move(prior);
  for (size_t l = 0; l < num_labelers; ++l) {
    fit.model.confusion.emplace(dense.labelers[l], std::move(confusion[l]));
  }
  for (size_t i = 0; i < num_items; ++i) fit.posterior.emplace(dense.items[i], std::move(t[i]));
  return fit;
}

std::vector<double> ItemPosterior(const ChoiceModel& model, const std::vector<ChoiceVote>& votes,
                                  double default_accuracy) {
  const size_t k = model.prior.size();
  if (k == 0) return {};
  std::vector<double> logs(k);
  for (size_t c = 0; c < k; ++c) logs[c] = std::log(model.prior[c]);
  for (const ChoiceVote& v : votes) {
    if (v.label < 0 || static_cast<size_t>(v.label) >= k) continue;
    auto it = model.confusion.find(v.labeler);
    bool known = it != model.confusion.end() && it->second.size() == k &&
                 std::all_of(it->second.begin(), it->second.end(),
                             [k](const auto& row) { return row.size() == k; });
    for (size_t c = 0; c < k; ++c) {
      double p = known    ? it->second[c][v.label]
                 : k == 1 ? 1.0
                 : c == static_cast<size_t>(v.label)
                     ? default_accuracy
                     : (1 - default_accuracy) / static_cast<double>(k - 1);
      logs[c] += std::log(p);
    }
  }
  return Normalize(std::move(logs));
}

std::vector<ChoiceVote> ChoiceVotes(const Control& control, int64_t item, int64_t labeler,
                                    std::string_view result_json) {
  if (control.type != ControlType::kChoice || control.multiple) return {};
  nlohmann::json result = nlohmann::json::parse(result_json, nullptr, false);
  if (!result.is_array()) return {};
  for (const auto& entry : result) {
    if (!entry.is_object()) continue;
    auto name = entry.find("control");
    if (name == entry.end() || *name != control.name) continue;
    auto values = entry.find("values");
    if (values == entry.end() || !values->is_array() || values->size() != 1 ||
        !(*values)[0].is_string()) {
      return {};
    }
    auto label =
        std::find(control.labels.begin(), control.labels.end(), (*values)[0].get<std::string>());
    if (label == control.labels.end()) return {};
    return {{item, labeler, static_cast<int32_t>(label - control.labels.begin())}};
  }
  return {};
}

std::unordered_map<int64_t, int32_t> MajorityVote(int32_t num_labels,
                                                  const std::vector<ChoiceVote>& votes) {
  std::unordered_map<int64_t, std::vector<double>> counts;
  for (const ChoiceVote& v : votes) {
    if (v.label < 0 || v.label >= num_labels) continue;
    auto [it, inserted] = counts.try_emplace(v.item, num_labels, 0.0);
    it->second[v.label] += 1;
  }
  std::unordered_map<int64_t, int32_t> out;
  for (const auto& [item, c] : counts) out.emplace(item, static_cast<int32_t>(ArgMax(c)));
  return out;
}

}  // namespace plumb::quality
