// Dawid–Skene at scale: FitDawidSkene on simulated crowd labels (by default
// 333,334 items × 3 labels = 1,000,002 labels from 200 labelers of varied
// accuracy, 4 classes), timed, with its accuracy against the simulated
// truth beside majority vote's on the same labels. Prints one key=value
// line (bench/run.sh builds its table row from it).
//
// Usage: plumb_bench_quality [--items N] [--labels-per-item N]
//                            [--labelers N] [--classes K] [--seed S]

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "quality/dawid_skene.h"

namespace {

struct Options {
  int64_t items = 333334;
  int32_t labels_per_item = 3;
  int32_t labelers = 200;
  int32_t classes = 4;
  uint64_t seed = 1;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "plumb_bench_quality: %s\nusage: plumb_bench_quality [--items N] "
               "[--labels-per-item N] [--labelers N] [--classes K] [--seed S]\n",
               why);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage(("missing value for " + flag).c_str());
    long long value = std::atoll(argv[++i]);
    if (flag == "--items") {
      o.items = value;
    } else if (flag == "--labels-per-item") {
      o.labels_per_item = static_cast<int32_t>(value);
    } else if (flag == "--labelers") {
      o.labelers = static_cast<int32_t>(value);
    } else if (flag == "--classes") {
      o.classes = static_cast<int32_t>(value);
    } else if (flag == "--seed") {
      o.seed = static_cast<uint64_t>(value);
    } else {
      Usage(("unknown flag " + flag).c_str());
    }
  }
  if (o.items < 1 || o.classes < 2 || o.labelers < o.labels_per_item || o.labels_per_item < 1) {
    Usage("need items >= 1, classes >= 2, labelers >= labels-per-item >= 1");
  }
  return o;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  using plumb::quality::ChoiceVote;
  const Options o = Parse(argc, argv);
  std::mt19937_64 random(o.seed);
  std::uniform_real_distribution<double> uniform(0, 1);

  // Labelers: accuracy spread from near chance to expert (0.35..0.95 with
  // 4 classes, chance being 0.25), and a tenth of them biased: their errors
  // all go to one favourite label rather than spreading evenly, which
  // majority vote cannot see and Dawid–Skene's confusion matrices can.
  std::vector<double> accuracy(o.labelers);
  std::vector<int32_t> favourite(o.labelers, -1);
  for (int32_t l = 0; l < o.labelers; ++l) {
    accuracy[l] = 0.35 + 0.6 * uniform(random);
    if (l % 10 == 0) favourite[l] = static_cast<int32_t>(random() % o.classes);
  }
  // A skewed class prior: class c has weight c + 1.
  std::vector<double> class_weight(o.classes);
  for (int32_t c = 0; c < o.classes; ++c) class_weight[c] = c + 1;
  std::discrete_distribution<int32_t> prior(class_weight.begin(), class_weight.end());

  std::vector<int32_t> truth(o.items);
  std::vector<ChoiceVote> votes;
  votes.reserve(static_cast<size_t>(o.items) * o.labels_per_item);
  std::vector<int32_t> chosen;
  for (int64_t item = 0; item < o.items; ++item) {
    truth[item] = prior(random);
    chosen.clear();
    while (static_cast<int32_t>(chosen.size()) < o.labels_per_item) {
      int32_t l = static_cast<int32_t>(random() % o.labelers);
      if (std::find(chosen.begin(), chosen.end(), l) == chosen.end()) chosen.push_back(l);
    }
    for (int32_t l : chosen) {
      int32_t label = truth[item];
      if (uniform(random) >= accuracy[l]) {
        if (favourite[l] >= 0 && favourite[l] != truth[item]) {
          label = favourite[l];
        } else {
          label = static_cast<int32_t>((truth[item] + 1 + random() % (o.classes - 1)) % o.classes);
        }
      }
      votes.push_back({item, l, label});
    }
  }

  auto start = std::chrono::steady_clock::now();
  auto majority = plumb::quality::MajorityVote(o.classes, votes);
  const double majority_seconds = Seconds(start);
  start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  plumb::quality::DawidSkeneFit fit = plumb::quality::FitDawidSkene(o.classes, votes);
  const double ds_seconds = Seconds(start);
  // CPU time beside wall time: on a shared 2-core machine the two differ by
  // whatever else ran.
  const double ds_cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  int64_t majority_right = 0, ds_right = 0;
  for (int64_t item = 0; item < o.items; ++item) {
    majority_right += majority.at(item) == truth[item];
    ds_right += static_cast<int32_t>(plumb::quality::ArgMax(fit.posterior.at(item))) == truth[item];
  }
  const double n = static_cast<double>(o.items);
  std::printf(
      "labels=%zu items=%lld labelers=%d classes=%d ds_seconds=%.3f ds_cpu_seconds=%.3f "
      "ds_iterations=%d ds_seconds_per_iteration=%.4f ds_accuracy=%.4f majority_accuracy=%.4f "
      "majority_seconds=%.3f\n",
      votes.size(), static_cast<long long>(o.items), o.labelers, o.classes, ds_seconds,
      ds_cpu_seconds, fit.iterations, fit.iterations > 0 ? ds_seconds / fit.iterations : 0.0,
      static_cast<double>(ds_right) / n, static_cast<double>(majority_right) / n, majority_seconds);
  return 0;
}
