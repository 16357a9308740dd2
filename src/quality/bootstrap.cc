#include "quality/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace plumb::quality {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// numpy.quantile's default ("linear"): position q (n - 1) in the sorted
// values, interpolated between its neighbours.
double Quantile(const std::vector<double>& sorted, double q) {
  double position = q * static_cast<double>(sorted.size() - 1);
  size_t below = static_cast<size_t>(std::floor(position));
  size_t above = std::min(below + 1, sorted.size() - 1);
  double fraction = position - static_cast<double>(below);
  return sorted[below] + (sorted[above] - sorted[below]) * fraction;
}

}  // namespace

double NormalQuantile(double p) {
  if (std::isnan(p) || p < 0 || p > 1) return kNaN;
  if (p == 0) return -std::numeric_limits<double>::infinity();
  if (p == 1) return std::numeric_limits<double>::infinity();
  // Acklam's rational approximation (relative error below 1.2e-9), then one
  // step of Halley's method on the CDF written with erfc, which brings it to
  // the rounding error of erfc.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Halley: e = Phi(x) - p, u = e sqrt(2 pi) exp(x^2 / 2). In the upper tail
  // the error is taken from the upper side (1 - Phi(x) = erfc(x/√2)/2), which
  // keeps its digits where Phi(x) itself rounds to 1.
  double e = p <= 0.5 ? 0.5 * std::erfc(-x / std::sqrt(2.0)) - p
                      : (1 - p) - 0.5 * std::erfc(x / std::sqrt(2.0));
  double u = e * std::sqrt(2 * std::acos(-1.0)) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

Interval BootstrapInterval(size_t n_units,
                           const std::function<double(const std::vector<size_t>&)>& statistic,
                           int32_t resamples, double level, uint64_t seed) {
  Interval out;
  std::vector<size_t> sample(n_units);
  std::iota(sample.begin(), sample.end(), 0);
  out.estimate = statistic(sample);
  if (!(level > 0 && level < 1) || resamples < 1) return out;
  std::mt19937_64 random(seed);
  std::vector<double> values;
  values.reserve(static_cast<size_t>(resamples));
  for (int32_t r = 0; r < resamples; ++r) {
    for (size_t& index : sample) {
      index = static_cast<size_t>((static_cast<unsigned __int128>(random()) * n_units) >> 64);
    }
    double value = statistic(sample);
    if (!std::isnan(value)) values.push_back(value);
  }
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  out.low = Quantile(values, (1 - level) / 2);
  out.high = Quantile(values, (1 + level) / 2);
  return out;
}

Interval WilsonInterval(int64_t successes, int64_t trials, double level) {
  Interval out;
  if (trials < 1 || successes < 0 || successes > trials || !(level > 0 && level < 1)) return out;
  // statsmodels' order of operations, crit = norm.isf(alpha / 2) taken from
  // the lower tail as isf does, so that the figures agree to the last digits
  // or nearly.
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z = -NormalQuantile((1 - level) / 2), z2 = z * z;
  const double denominator = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denominator;
  const double half = z * std::sqrt(p * (1. - p) / n + z2 / (4. * n * n)) / denominator;
  out.estimate = p;
  out.low = center - half;
  out.high = center + half;
  return out;
}

}  // namespace plumb::quality
