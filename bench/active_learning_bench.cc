// Active learning with the built-in text classifier: how many labels a
// simulated annotator must give before the model reaches a held-out
// accuracy, when the tasks come in uncertainty order (pool-based: each round
// the model scores every unlabeled text and the annotator labels the K least
// certain) versus in random order; and the model's update and predict
// throughput. Prints a table, then one key=value line (bench/run.sh builds
// its rows from it).
//
// The corpus is a file of "label<TAB>text" lines (bench/run.sh writes one
// from Debian's package index: short descriptions labeled by section), or a
// generated one (--generated N) where no such file is at hand. Identical
// texts are kept once; a text seen under two labels is dropped.
//
// Usage: plumb_bench_active_learning (--corpus FILE | --generated N)
//          [--batch K] [--runs R] [--test-share F] [--target-share F]
//          [--budget N] [--seed S] [--learning-rate F]

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "automation/active_learner.h"

namespace {

using plumb::automation::RankByUncertainty;
using plumb::automation::TextClassifier;
using plumb::automation::UncertaintyMeasure;

struct Options {
  std::string corpus;
  int64_t generated = 0;
  int32_t batch = 25;
  int32_t runs = 5;
  double test_share = 0.2;
  double target_share = 0.9;
  int32_t budget = 500;
  uint64_t seed = 1;
  double learning_rate = plumb::automation::LearnerOptions{}.learning_rate;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "plumb_bench_active_learning: %s\nusage: plumb_bench_active_learning "
               "(--corpus FILE | --generated N) [--batch K] [--runs R] [--test-share F] "
               "[--target-share F] [--budget N] [--seed S] [--learning-rate F]\n",
               why.c_str());
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage("missing value for " + flag);
    std::string value = argv[++i];
    if (flag == "--corpus") {
      o.corpus = value;
    } else if (flag == "--generated") {
      o.generated = std::atoll(value.c_str());
    } else if (flag == "--batch") {
      o.batch = std::atoi(value.c_str());
    } else if (flag == "--runs") {
      o.runs = std::atoi(value.c_str());
    } else if (flag == "--test-share") {
      o.test_share = std::atof(value.c_str());
    } else if (flag == "--target-share") {
      o.target_share = std::atof(value.c_str());
    } else if (flag == "--budget") {
      o.budget = std::atoi(value.c_str());
    } else if (flag == "--learning-rate") {
      o.learning_rate = std::atof(value.c_str());
    } else if (flag == "--seed") {
      o.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (o.corpus.empty() == (o.generated <= 0)) Usage("give one of --corpus FILE, --generated N");
  if (o.batch < 1 || o.runs < 1 || o.budget < 1 || !(o.test_share > 0 && o.test_share < 1) ||
      !(o.target_share > 0 && o.target_share <= 1) ||
      !(o.learning_rate > 0 && o.learning_rate <= 100)) {
    Usage("bad --batch, --runs, --budget, --test-share, --target-share or --learning-rate");
  }
  return o;
}

struct Corpus {
  std::vector<std::string> labels;
  std::vector<std::string> texts;
  std::vector<int32_t> truth;
};

Corpus Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) Usage("cannot read " + path);
  std::map<std::string, std::string> label_of;  // text → label, "" when seen under two
  std::vector<std::string> order;
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size()) continue;
    std::string label = line.substr(0, tab);
    std::string text = line.substr(tab + 1);
    auto [it, inserted] = label_of.emplace(text, label);
    if (inserted) {
      order.push_back(text);
    } else if (it->second != label) {
      it->second.clear();
    }
  }
  Corpus c;
  std::map<std::string, int32_t> index;
  for (const std::string& text : order) {
    const std::string& label = label_of[text];
    if (label.empty()) continue;
    auto [it, inserted] = index.emplace(label, static_cast<int32_t>(index.size()));
    if (inserted) c.labels.push_back(label);
    c.texts.push_back(text);
    c.truth.push_back(it->second);
  }
  return c;
}

// Four topics, each with its own words, in texts that are mostly shared
// filler, so that a few labels do not settle it.
Corpus Generate(int64_t n, uint64_t seed) {
  const std::vector<std::vector<std::string>> topics = {
      {"goal", "match", "league", "coach", "striker", "season", "transfer", "stadium"},
      {"vote", "minister", "election", "senate", "policy", "party", "campaign", "budget"},
      {"shares", "market", "profit", "investor", "bank", "stock", "earnings", "trade"},
      {"planet", "telescope", "orbit", "galaxy", "rocket", "mission", "crater", "comet"}};
  const std::vector<std::string> filler = {
      "the",  "a",   "of",    "new",   "said", "on",   "report", "today", "after",  "year",
      "week", "big", "local", "first", "team", "plan", "record", "news",  "people", "city"};
  Corpus c;
  c.labels = {"sport", "politics", "business", "space"};
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    int32_t label = static_cast<int32_t>(rng() % topics.size());
    std::string text;
    int words = 6 + static_cast<int>(rng() % 8);
    for (int w = 0; w < words; ++w) {
      if (!text.empty()) text += ' ';
      // 15 % topic words, and a tenth of those from another topic.
      if (rng() % 100 < 15) {
        size_t t = rng() % 10 == 0 ? rng() % topics.size() : static_cast<size_t>(label);
        text += topics[t][rng() % topics[t].size()];
      } else {
        text += filler[rng() % filler.size()];
      }
    }
    c.texts.push_back(text);
    c.truth.push_back(label);
  }
  return c;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double Accuracy(const TextClassifier& model, const Corpus& c, const std::vector<size_t>& test) {
  size_t right = 0;
  for (size_t i : test) {
    std::vector<double> p = model.Predict(c.texts[i]);
    if (std::max_element(p.begin(), p.end()) - p.begin() == c.truth[i]) ++right;
  }
  return static_cast<double>(right) / static_cast<double>(test.size());
}

TextClassifier NewModel(const Corpus& c, const Options& o) {
  plumb::automation::LearnerOptions options;
  options.learning_rate = o.learning_rate;
  return TextClassifier(c.labels, options);
}

void MustUpdate(TextClassifier& model, const Corpus& c, size_t i) {
  plumb::Status s = model.Update(c.texts[i], c.truth[i]);
  if (!s.ok()) {
    std::fprintf(stderr, "plumb_bench_active_learning: %s\n", s.ToString().c_str());
    std::exit(1);
  }
}

struct Outcome {
  int64_t labels_to_target = -1;  // -1: the pool ran out first
  double accuracy_at_budget = 0;
  double final_accuracy = 0;
};

enum class Strategy { kRandom, kMargin, kEntropy };
const char* Name(Strategy s) {
  switch (s) {
    case Strategy::kRandom:
      return "random order";
    case Strategy::kMargin:
      return "uncertainty: margin";
    case Strategy::kEntropy:
      return "uncertainty: entropy";
  }
  return "?";
}

// Labels the pool batch by batch in the strategy's order until the target
// accuracy is reached and the budget spent (or the pool is empty), checking
// the held-out accuracy after each batch.
Outcome Simulate(Strategy strategy, const Corpus& c, const std::vector<size_t>& pool,
                 const std::vector<size_t>& test, double target, const Options& o) {
  TextClassifier model = NewModel(c, o);
  std::vector<size_t> unlabeled = pool;  // random order already
  Outcome out;
  int64_t labeled = 0;
  double accuracy = Accuracy(model, c, test);
  while (!unlabeled.empty() && (out.labels_to_target < 0 || labeled < o.budget)) {
    const size_t take = std::min(unlabeled.size(), static_cast<size_t>(o.batch));
    std::vector<size_t> chosen;
    if (strategy == Strategy::kRandom) {
      chosen.assign(unlabeled.begin(), unlabeled.begin() + static_cast<ptrdiff_t>(take));
      unlabeled.erase(unlabeled.begin(), unlabeled.begin() + static_cast<ptrdiff_t>(take));
    } else {
      std::vector<std::string> texts;
      texts.reserve(unlabeled.size());
      for (size_t i : unlabeled) texts.push_back(c.texts[i]);
      std::vector<size_t> order =
          RankByUncertainty(model, texts,
                            strategy == Strategy::kMargin ? UncertaintyMeasure::kMargin
                                                          : UncertaintyMeasure::kEntropy);
      std::vector<bool> picked(unlabeled.size(), false);
      for (size_t r = 0; r < take; ++r) {
        chosen.push_back(unlabeled[order[r]]);
        picked[order[r]] = true;
      }
      std::vector<size_t> rest;
      for (size_t j = 0; j < unlabeled.size(); ++j) {
        if (!picked[j]) rest.push_back(unlabeled[j]);
      }
      unlabeled = std::move(rest);
    }
    for (size_t i : chosen) {
      MustUpdate(model, c, i);
      ++labeled;
      if (labeled == o.budget) out.accuracy_at_budget = Accuracy(model, c, test);
    }
    accuracy = Accuracy(model, c, test);
    if (out.labels_to_target < 0 && accuracy >= target) out.labels_to_target = labeled;
  }
  if (labeled < o.budget) out.accuracy_at_budget = accuracy;
  out.final_accuracy = accuracy;
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  const Corpus c = o.corpus.empty() ? Generate(o.generated, o.seed) : Load(o.corpus);
  if (c.labels.size() < 2 || c.texts.size() < 100) {
    Usage("the corpus needs at least 2 labels and 100 distinct texts, has " +
          std::to_string(c.labels.size()) + " and " + std::to_string(c.texts.size()));
  }
  std::vector<int64_t> per_label(c.labels.size(), 0);
  for (int32_t t : c.truth) ++per_label[t];

  const Strategy kStrategies[] = {Strategy::kRandom, Strategy::kMargin, Strategy::kEntropy};
  std::map<Strategy, std::vector<Outcome>> outcomes;
  std::vector<double> full_accuracies, targets, update_rates, predict_rates;
  size_t blob_bytes = 0, pool_size = 0, test_size = 0;
  for (int32_t run = 0; run < o.runs; ++run) {
    std::vector<size_t> all(c.texts.size());
    std::iota(all.begin(), all.end(), size_t{0});
    std::mt19937_64 rng(o.seed + static_cast<uint64_t>(run));
    std::shuffle(all.begin(), all.end(), rng);
    test_size = static_cast<size_t>(static_cast<double>(all.size()) * o.test_share);
    const std::vector<size_t> test(all.begin(), all.begin() + static_cast<ptrdiff_t>(test_size));
    const std::vector<size_t> pool(all.begin() + static_cast<ptrdiff_t>(test_size), all.end());
    pool_size = pool.size();

    // The whole pool, once, in random order: what the server's model is once
    // every task has its label. Its accuracy sets the target.
    TextClassifier full = NewModel(c, o);
    auto start = std::chrono::steady_clock::now();
    for (size_t i : pool) MustUpdate(full, c, i);
    update_rates.push_back(static_cast<double>(pool.size()) / Seconds(start));
    start = std::chrono::steady_clock::now();
    size_t sink = 0;
    for (size_t i : pool) sink += full.Predict(c.texts[i]).size();
    predict_rates.push_back(static_cast<double>(sink / c.labels.size()) / Seconds(start));
    blob_bytes = full.Serialize().size();
    const double full_accuracy = Accuracy(full, c, test);
    const double target = o.target_share * full_accuracy;
    full_accuracies.push_back(full_accuracy);
    targets.push_back(target);
    for (Strategy s : kStrategies) outcomes[s].push_back(Simulate(s, c, pool, test, target, o));
    std::fprintf(stderr, "plumb_bench_active_learning: run %d of %d done\n", run + 1, o.runs);
  }

  auto labels_cell = [&](Strategy s, bool numeric) {
    std::vector<double> reached;
    std::string each;
    for (const Outcome& out : outcomes[s]) {
      if (!each.empty()) each += numeric ? "," : ", ";
      each += out.labels_to_target < 0 ? "never" : std::to_string(out.labels_to_target);
      reached.push_back(out.labels_to_target < 0 ? 1e18
                                                 : static_cast<double>(out.labels_to_target));
    }
    double m = Median(reached);
    return std::make_pair(
        m >= 1e18 ? std::string("never") : std::to_string(static_cast<int64_t>(m)), each);
  };
  auto mean_of = [&](Strategy s, double Outcome::*field) {
    double total = 0;
    for (const Outcome& out : outcomes[s]) total += out.*field;
    return total / static_cast<double>(outcomes[s].size());
  };

  std::printf("corpus: %s, %zu texts, %zu labels (",
              o.corpus.empty() ? "generated" : o.corpus.c_str(), c.texts.size(), c.labels.size());
  for (size_t k = 0; k < c.labels.size(); ++k) {
    std::printf("%s%s %lld", k ? ", " : "", c.labels[k].c_str(),
                static_cast<long long>(per_label[k]));
  }
  std::printf(
      ")\nsplit: pool %zu, held out %zu; %d runs (seeds %llu..%llu), batch %d, learning rate %g\n",
      pool_size, test_size, o.runs, static_cast<unsigned long long>(o.seed),
      static_cast<unsigned long long>(o.seed + o.runs - 1), o.batch, o.learning_rate);
  std::printf(
      "full pool, one pass: held-out accuracy %.3f (median); target %.0f%% of it = %.3f\n\n",
      Median(full_accuracies), o.target_share * 100, Median(targets));
  std::printf(
      "| strategy | labels to target (median) | each run | accuracy at %d labels (mean) |\n",
      o.budget);
  std::printf("| --- | --- | --- | --- |\n");
  for (Strategy s : kStrategies) {
    auto [median, each] = labels_cell(s, false);
    std::printf("| %s | %s | %s | %.3f |\n", Name(s), median.c_str(), each.c_str(),
                mean_of(s, &Outcome::accuracy_at_budget));
  }
  std::printf("\n| throughput | texts/s (median) |\n| --- | --- |\n");
  std::printf("| Update | %.0f |\n| Predict | %.0f |\n", Median(update_rates),
              Median(predict_rates));
  std::printf("| model blob after the full pool | %zu bytes |\n\n", blob_bytes);

  std::printf(
      "active_learning texts=%zu labels=%zu pool=%zu test=%zu runs=%d batch=%d "
      "full_accuracy=%.3f target=%.3f target_share=%.2f",
      c.texts.size(), c.labels.size(), pool_size, test_size, o.runs, o.batch,
      Median(full_accuracies), Median(targets), o.target_share);
  const char* keys[] = {"random", "margin", "entropy"};
  for (size_t i = 0; i < std::size(kStrategies); ++i) {
    auto [median, each] = labels_cell(kStrategies[i], true);
    std::printf(" %s_labels=%s %s_each=%s %s_at_budget=%.3f", keys[i], median.c_str(), keys[i],
                each.c_str(), keys[i], mean_of(kStrategies[i], &Outcome::accuracy_at_budget));
  }
  std::printf(" budget=%d update_per_s=%.0f predict_per_s=%.0f blob_bytes=%zu\n", o.budget,
              Median(update_rates), Median(predict_rates), blob_bytes);
  return 0;
}
