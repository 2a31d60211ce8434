#include "roofline/roofline.hpp"
#include "roofline/mixed_roofline.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/parallel_chunks.hpp"
#include "common/timing.hpp"

namespace inertia::bench {

template <class T>
void run_roofline(const roofline_choice<T>& choice, const step_buffers<T>& b) {
  for_each_chunk(b.size, sizeof(T), choice.threads, [&](std::size_t begin, std::size_t end) { choice.run(b, begin, end); });
}

template <class T>
std::vector<roofline_choice<T>> calibrate_roofline(access_pattern pattern, const step_buffers<T>& b, int max_threads,
                                      double min_sample_seconds, const roofline_listener& starting) {
  // A median, the statistic every ratio in bench/ uses; a short trial, since
  // the choice is all that is kept (plain and prefetch loops differ by a few
  // percent, and the rounds that follow are what the numbers come from). The
  // candidates' samples are interleaved, round by round, so a change of the
  // machine's bandwidth during the calibration cannot favour one of them.
  constexpr int samples = 3;
  const double bytes = static_cast<double>(b.size) * static_cast<double>(moved_elements(pattern) * sizeof(T));
  struct candidate {
    roofline_choice<T> choice;
    long calls = 1;
    std::vector<double> seconds;
  };
  std::vector<candidate> candidates;
  for (const roofline_kernel<T>& k : roofline_kernels<T>()) {
    if (k.pattern != pattern) continue;
    // Fewer threads can win on small spans (a parallel region costs more than
    // it saves there), and the best this budget can reach is what counts.
    for (int threads : {1, max_threads}) {
      if (starting) starting(k.name, threads);
      candidate c{{pattern, k.name, k.run, threads, 0.0}, 1, {}};
      run_roofline(c.choice, b);  // untimed: first touch, caches
      const double single = std::max(seconds_of([&] { run_roofline(c.choice, b); }), 1e-9);
      c.calls = std::max(1L, static_cast<long>(std::ceil(min_sample_seconds / single)));
      candidates.push_back(std::move(c));
      if (max_threads <= 1) break;
    }
  }
  for (int s = 0; s < samples; ++s)
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      candidate& c = candidates[(k + static_cast<std::size_t>(s)) % candidates.size()];
      c.seconds.push_back(seconds_of([&] {
                            for (long call = 0; call < c.calls; ++call) run_roofline(c.choice, b);
                          }) /
                          static_cast<double>(c.calls));
    }
  // Per thread count, its best kernel and every other within `keep_within` of
  // it: a short calibration cannot tell kernels that close apart (and which
  // wins can depend on the moment), so the rounds decide between them.
  constexpr double keep_within = 0.10;
  for (candidate& c : candidates) c.choice.calibration_bytes_per_second = bytes / median(c.seconds);
  std::vector<roofline_choice<T>> kept;
  for (const candidate& c : candidates) {
    double best = 0.0;
    for (const candidate& other : candidates)
      if (other.choice.threads == c.choice.threads) best = std::max(best, other.choice.calibration_bytes_per_second);
    if (c.choice.calibration_bytes_per_second >= (1.0 - keep_within) * best) kept.push_back(c.choice);
  }
  if (kept.empty()) throw std::logic_error("no roofline kernel for pattern " + std::string(pattern_name(pattern)));
  std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.threads < b.threads; });
  return kept;
}

void run_mixed_roofline(std::span<const mixed_stream> streams, std::size_t size, int threads, bool prefetch) {
  // Checked here, before any thread starts: nothing may throw inside the parallel region.
  std::size_t narrowest = 8;
  bool writes = false;
  for (const mixed_stream& s : streams) {
    if (s.access.width != 2 && s.access.width != 4 && s.access.width != 8)
      throw std::invalid_argument("mixed roofline: a stream width must be 2, 4 or 8, got " + std::to_string(s.access.width));
    narrowest = std::min(narrowest, s.access.width);
    writes |= s.access.written;
  }
  if (!writes) throw std::invalid_argument("mixed roofline: no stream is written");
  if (streams.size() > 16) throw std::invalid_argument("mixed roofline: more than 16 streams");
  for_each_chunk(size, narrowest, threads, [&](std::size_t begin, std::size_t end) { mixed_update(streams, begin, end, prefetch); });
}

template std::vector<roofline_choice<float>> calibrate_roofline<float>(access_pattern, const step_buffers<float>&, int,
                                                                       double, const roofline_listener&);
template std::vector<roofline_choice<double>> calibrate_roofline<double>(access_pattern, const step_buffers<double>&, int,
                                                                         double, const roofline_listener&);
template void run_roofline<float>(const roofline_choice<float>&, const step_buffers<float>&);
template void run_roofline<double>(const roofline_choice<double>&, const step_buffers<double>&);

}  // namespace inertia::bench
