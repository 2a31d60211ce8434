#pragma once
// The one Google Benchmark driver every kernel of inertia-bench runs through:
// library, peers and roofline kernels alike.
#include <cstddef>
#include <string>

#include "common/access_pattern.hpp"
#include "common/kernel.hpp"

namespace inertia::bench {

template <class T>
struct benchmark_case {
  std::string name;              ///< unique; also identifies who last wrote the workspace
  kernel<T> run;
  access_pattern pattern;        ///< what bytes_per_second counts and which roofline applies
  std::size_t size = 0;          ///< elements per array
  std::size_t working_set_bytes = 0;  ///< the workspace it runs in (nominal size)
  int threads = 1;
  bool with_roofline = true;     ///< measure the roofline and report pct_of_roofline
};

/// Registers the case with Google Benchmark (real time, microseconds). Each
/// run reports bytes_per_second (moved_elements(pattern) * size * sizeof(T)
/// per call), items_per_second (elements), and the counters elements,
/// working_set_bytes, omp_threads, roofline_gbps, pct_of_roofline.
template <class T>
void register_case(benchmark_case<T> c);

extern template void register_case<float>(benchmark_case<float>);
extern template void register_case<double>(benchmark_case<double>);

}  // namespace inertia::bench
