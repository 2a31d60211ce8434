#include "roofline.hpp"

#include <stdexcept>
#include <vector>

#include "parallel_chunks.hpp"
#include "timing.hpp"

namespace inertia::bench {

template <class T>
void run_roofline(const roofline_choice<T>& choice, const step_buffers<T>& b) {
  for_each_chunk(b.size, sizeof(T), choice.threads, [&](std::size_t begin, std::size_t end) { choice.run(b, begin, end); });
}

template <class T>
roofline_choice<T> calibrate_roofline(access_pattern pattern, const step_buffers<T>& b, int max_threads,
                                      double min_sample_seconds, const roofline_listener& starting) {
  // A median, the statistic every ratio in bench/ uses; a short trial, since
  // the choice is all that is kept (plain and prefetch loops differ by a few
  // percent, and the rounds that follow are what the numbers come from).
  constexpr int samples = 3;
  const double bytes = static_cast<double>(b.size) * static_cast<double>(moved_elements(pattern) * sizeof(T));
  roofline_choice<T> best;
  best.pattern = pattern;
  for (const roofline_kernel<T>& k : roofline_kernels<T>()) {
    if (k.pattern != pattern) continue;
    // Fewer threads can win on small spans (a parallel region costs more than
    // it saves there), and the best this budget can reach is what counts.
    for (int threads : {1, max_threads}) {
      if (starting) starting(k.name, threads);
      roofline_choice<T> candidate{pattern, k.name, k.run, threads, 0.0};
      const std::vector<double> seconds =
          seconds_per_call([&] { run_roofline(candidate, b); }, samples, min_sample_seconds);
      candidate.calibration_bytes_per_second = bytes / median(seconds);
      if (!best.run || candidate.calibration_bytes_per_second > best.calibration_bytes_per_second) best = candidate;
      if (max_threads <= 1) break;
    }
  }
  if (!best.run) throw std::logic_error("no roofline kernel for pattern " + std::string(pattern_name(pattern)));
  return best;
}

template roofline_choice<float> calibrate_roofline<float>(access_pattern, const step_buffers<float>&, int, double,
                                                          const roofline_listener&);
template roofline_choice<double> calibrate_roofline<double>(access_pattern, const step_buffers<double>&, int, double,
                                                            const roofline_listener&);
template void run_roofline<float>(const roofline_choice<float>&, const step_buffers<float>&);
template void run_roofline<double>(const roofline_choice<double>&, const step_buffers<double>&);

}  // namespace inertia::bench
