#pragma once
// The peers the library is measured against. Each computes one variant over
// elements [begin, end) of the buffers on the calling thread; threads are
// added by the caller (common/parallel_chunks.hpp).
//   naive:   tests/reference/<variant>.hpp, vectorizer off (the baseline)
//   autovec: the same loops at -O3 -march=native
//   eigen:   Eigen array expressions (only when Eigen3 was found)
#include <cstddef>

#include "common/step_buffers.hpp"
#include "common/variant.hpp"

#define INERTIA_BENCH_DECLARE_PEER(NAME)                                                      \
  namespace inertia::bench::NAME {                                                            \
  template <class T>                                                                          \
  void step_range(variant v, const step_buffers<T>& buffers, std::size_t begin, std::size_t end); \
  extern template void step_range<float>(variant, const step_buffers<float>&, std::size_t, std::size_t); \
  extern template void step_range<double>(variant, const step_buffers<double>&, std::size_t, std::size_t); \
  }

INERTIA_BENCH_DECLARE_PEER(naive)
INERTIA_BENCH_DECLARE_PEER(autovec)
#if defined(INERTIA_BENCH_HAVE_EIGEN)
INERTIA_BENCH_DECLARE_PEER(eigen)
#endif

#undef INERTIA_BENCH_DECLARE_PEER
