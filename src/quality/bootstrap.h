#pragma once
// Confidence intervals: the percentile bootstrap for any statistic over
// resampled units (items, tasks, labelers), and Wilson's score interval for
// a proportion (accuracy on golden tasks). Pure functions, thread-safe (the
// bootstrap calls the statistic from the calling thread only).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace plumb::quality {

struct Interval {
  double estimate = std::numeric_limits<double>::quiet_NaN();
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
};

// The percentile bootstrap interval of `statistic` over n_units units.
// estimate = statistic(0, 1, ..., n_units - 1); each of `resamples`
// resamples draws n_units indexes uniformly with replacement and calls
// statistic on them; low and high are the (1 - level) / 2 and (1 + level) / 2
// quantiles of the resampled values (linear interpolation between order
// statistics, numpy.quantile's default). Resamples whose statistic is NaN
// are left out. Deterministic for a seed: the indexes come from
// std::mt19937_64(seed), whose output the C++ standard fixes, mapped to
// 0..n_units-1 by a multiply-shift (bias below n_units / 2^64). low and high
// are NaN when level is not in (0, 1), resamples < 1, or no resample gave a
// number.
Interval BootstrapInterval(size_t n_units,
                           const std::function<double(const std::vector<size_t>&)>& statistic,
                           int32_t resamples, double level, uint64_t seed);

// Wilson's score interval for `successes` out of `trials` at confidence
// `level`, as statsmodels' proportion_confint(method="wilson"): center
// (p + z^2 / 2n) / (1 + z^2 / n), half-width z sqrt(p (1 - p) / n + z^2 / 4n^2)
// / (1 + z^2 / n), z the standard normal quantile at 1 - (1 - level) / 2.
// estimate = successes / trials. All NaN when trials < 1, successes is not in
// 0..trials, or level is not in (0, 1).
Interval WilsonInterval(int64_t successes, int64_t trials, double level = 0.95);

// The standard normal quantile (inverse CDF) at p in (0, 1), to about 1e-15
// relative; -inf at 0, +inf at 1, NaN outside [0, 1].
double NormalQuantile(double p);

}  // namespace plumb::quality
