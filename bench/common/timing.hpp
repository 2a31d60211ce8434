#pragma once
// Wall-clock timing with a median, for the roofline and the profiler (Google
// Benchmark times the suite itself).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace inertia::bench {

template <class F>
double seconds_of(const F& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  return (*middle + *std::max_element(values.begin(), middle)) / 2;
}

/// The q-quantile (0 <= q <= 1) with linear interpolation between the closest
/// ranks (numpy's default), so that quantile(v, 0.5) == median(v).
inline double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double h = q * static_cast<double>(values.size() - 1);
  const std::size_t below = static_cast<std::size_t>(std::floor(h));
  const std::size_t above = std::min(values.size() - 1, below + 1);
  return values[below] + (h - static_cast<double>(below)) * (values[above] - values[below]);
}

/// A sample's median and interquartile range: what every table in bench/ prints.
struct spread {
  double median = 0.0, q1 = 0.0, q3 = 0.0;
  /// (q3 - q1) / median, in percent: how far the middle half of the samples spread.
  double relative_iqr_pct() const { return median != 0.0 ? 100.0 * (q3 - q1) / median : 0.0; }
};

inline spread summarize(const std::vector<double>& values) {
  return {quantile(values, 0.5), quantile(values, 0.25), quantile(values, 0.75)};
}

/// Seconds per call of f in each of `samples` samples, after one untimed
/// call. A sample is as many calls as make it last at least
/// `min_sample_seconds` (short calls are timed in batches so the clock's
/// resolution does not matter).
template <class F>
std::vector<double> seconds_per_call(const F& f, int samples, double min_sample_seconds) {
  f();
  const double single = std::max(seconds_of(f), 1e-9);
  const long calls = std::max(1L, static_cast<long>(std::ceil(min_sample_seconds / single)));
  std::vector<double> per_call;
  for (int s = 0; s < samples; ++s)
    per_call.push_back(seconds_of([&] {
                         for (long c = 0; c < calls; ++c) f();
                       }) / static_cast<double>(calls));
  return per_call;
}

}  // namespace inertia::bench
