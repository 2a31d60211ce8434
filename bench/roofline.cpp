#include "roofline.hpp"

#include <algorithm>
#include <vector>

#include "parallel_chunks.hpp"
#include "roofline_kernels.hpp"
#include "timing.hpp"

namespace inertia::bench {

template <class T>
roofline_measurement measure_roofline(access_pattern pattern, const step_buffers<T>& b, int max_threads,
                                      const roofline_listener& starting) {
  // The fastest of several samples of a few milliseconds, as STREAM reports
  // its best trial: other processes and clock ramps can only slow a sample
  // down, and the roofline is what the machine can reach.
  constexpr int samples = 9;
  constexpr double min_sample_seconds = 4e-3;
  const double bytes = static_cast<double>(b.size) * static_cast<double>(moved_elements(pattern) * sizeof(T));
  roofline_measurement best;
  for (const roofline_kernel<T>& k : roofline_kernels<T>()) {
    if (k.pattern != pattern) continue;
    // Fewer threads can win on small spans (a parallel region costs more than
    // it saves there), and the best this budget can reach is what counts.
    for (int threads : {1, max_threads}) {
      if (starting) starting(k.name, threads);
      const auto call = [&] {
        for_each_chunk(b.size, sizeof(T), threads, [&](std::size_t begin, std::size_t end) { k.run(b, begin, end); });
      };
      const std::vector<double> seconds = seconds_per_call(call, samples, min_sample_seconds);
      const double rate = bytes / *std::min_element(seconds.begin(), seconds.end());
      if (rate > best.bytes_per_second) best = {rate, std::string(k.name), threads};
      if (max_threads <= 1) break;
    }
  }
  return best;
}

template roofline_measurement measure_roofline<float>(access_pattern, const step_buffers<float>&, int,
                                                      const roofline_listener&);
template roofline_measurement measure_roofline<double>(access_pattern, const step_buffers<double>&, int,
                                                       const roofline_listener&);

}  // namespace inertia::bench
