#pragma once
// The roofline: the best bandwidth this machine reaches for an access
// pattern, measured (never assumed) as the best of the roofline kernels, each
// run on one thread and on the whole thread budget, over the given buffers;
// each kernel's best of 9 samples, as STREAM reports its best trial.
#include <functional>
#include <string>
#include <string_view>

#include "access_pattern.hpp"
#include "step_buffers.hpp"

namespace inertia::bench {

struct roofline_measurement {
  double bytes_per_second = 0.0;  ///< moved_elements(pattern) * size * sizeof(T) per second
  std::string kernel;             ///< the winner, e.g. "loop"
  int threads = 1;                ///< the winner's thread count
};

/// Takes at least 11 calls and 40 ms per kernel and thread count; overwrites
/// the buffers' contents.
/// `starting`, when given, hears of each kernel and thread count before it runs
/// (the profiler shows it as progress).
using roofline_listener = std::function<void(std::string_view kernel, int threads)>;

template <class T>
roofline_measurement measure_roofline(access_pattern pattern, const step_buffers<T>& buffers, int max_threads,
                                      const roofline_listener& starting = {});

extern template roofline_measurement measure_roofline<float>(access_pattern, const step_buffers<float>&, int,
                                                             const roofline_listener&);
extern template roofline_measurement measure_roofline<double>(access_pattern, const step_buffers<double>&, int,
                                                              const roofline_listener&);

}  // namespace inertia::bench
