#pragma once
// The one Google Benchmark driver every kernel of inertia-bench runs through:
// library, peers and roofline kernels alike.
#include <cstddef>
#include <string>

#include "common/access_pattern.hpp"
#include "common/kernel.hpp"
#include "suite/storage_cases.hpp"

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
/// bytes_per_element, working_set_bytes, omp_threads, roofline_gbps,
/// pct_of_roofline (with _q1, _q3), roofline_spread_pct, roofline_pairs.
template <class T>
void register_case(benchmark_case<T> c);

extern template void register_case<float>(benchmark_case<float>);
extern template void register_case<double>(benchmark_case<double>);

/// A storage row (suite/storage_cases.hpp), with the same counters: bytes
/// counted in each stream's own width (storage_case::bytes_per_element), the
/// working set as the streams' footprint, pct_of_roofline against the mixed
/// roofline of the row's own streams. Its label is its stream pattern, the
/// name of that roofline's own rows.
void register_storage_case(storage_case c);

}  // namespace inertia::bench
