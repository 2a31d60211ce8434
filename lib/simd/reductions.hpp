#pragma once
// Per-target chunk kernels for reductions.
//
// Sum of squares in an order fixed by the data alone, never by the target or
// the thread count, so norms (LARS, global-norm clipping) are bit-identical
// everywhere:
//   - a span is cut into chunks of reduction_chunk elements from its start
//     (lib/reduction.hpp; this kernel sums one chunk);
//   - in a chunk, element i goes into accumulator i % 16 with one fused
//     multiply-add, in index order (16 lanes: one avx512 float vector, two
//     avx2 / avx512 double vectors, four sse2 float vectors, 16 scalars);
//   - the 16 accumulators are added pairwise (lane j + lane j+8, then +4, +2, +1);
//   - chunk sums are added in double, in chunk order (lib/reduction.hpp).
#include <cstddef>

#include "simd/lanes.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

inline constexpr std::size_t reduction_lanes = 16;

template <class Arch, class T>
math_type_t<T> sum_squares_chunk_for(const T* data, std::size_t count) {
  using M = math_type_t<T>;  // half-precision elements are summed in float
  alignas(64) M lanes[reduction_lanes] = {};
  std::size_t i = 0;
  if constexpr (!std::is_same_v<Arch, scalar_arch>) {
    using full = simd_lanes<M, Arch>;
    using batch = typename full::vec;
    constexpr std::size_t vectors = reduction_lanes / batch::size;
    static_assert(vectors * batch::size == reduction_lanes);
    batch sums[vectors];
    for (auto& s : sums) s = batch(M(0));
    for (; i + reduction_lanes <= count; i += reduction_lanes)
      for (std::size_t v = 0; v < vectors; ++v) {
        const batch x = full::load(data + i + v * batch::size);
        sums[v] = fused_multiply_add(x, x, sums[v]);
      }
    for (std::size_t v = 0; v < vectors; ++v) sums[v].store_aligned(lanes + v * batch::size);
  }
  using one = scalar_lanes<M, Arch>;
  for (; i < count; ++i) {
    const M x = one::load(data + i);
    lanes[i % reduction_lanes] = fused_multiply_add(x, x, lanes[i % reduction_lanes]);
  }
  for (std::size_t half = reduction_lanes / 2; half >= 1; half /= 2)
    for (std::size_t j = 0; j < half; ++j) lanes[j] = lanes[j] + lanes[j + half];
  return lanes[0];
}

/// Whether any element of data[0, count) is NaN or Inf: x * 0 is NaN exactly
/// for those, and a NaN survives every later fused multiply-add (no branch
/// per element). Any length: a whole span, or a thread's share of one.
template <class Arch, class T>
bool any_non_finite_chunk_for(const T* data, std::size_t count) {
  using M = math_type_t<T>;  // a half element is widened: NaN and Inf stay what they are
  M folded = 0;
  std::size_t i = 0;
  if constexpr (!std::is_same_v<Arch, scalar_arch>) {
    using full = simd_lanes<M, Arch>;
    using batch = typename full::vec;
    // Four independent chains (one would wait on the FMA's latency), chain k
    // reading the k-th quarter of the range: four streams in flight rather
    // than one, so that one stream's stall where the hardware prefetchers stop
    // (4 KiB pages) overlaps the others' reads; measured 0-5% faster than four
    // adjacent vectors, never slower.
    const std::size_t quarter = count / (4 * batch::size) * batch::size;
    batch sums[4] = {batch(M(0)), batch(M(0)), batch(M(0)), batch(M(0))};
    const batch zero(M(0));
    for (std::size_t j = 0; j < quarter; j += batch::size)
      for (std::size_t k = 0; k < 4; ++k)
        sums[k] = fused_multiply_add(full::load(data + k * quarter + j), zero, sums[k]);
    i = 4 * quarter;
    batch sum = (sums[0] + sums[1]) + (sums[2] + sums[3]);
    for (; i + batch::size <= count; i += batch::size) sum = fused_multiply_add(full::load(data + i), zero, sum);
    alignas(64) M lanes[batch::size];  // not xsimd::hadd: on avx512f it needs AVX512DQ
    sum.store_aligned(lanes);
    for (M lane : lanes) folded = folded + lane;
  }
  for (; i < count; ++i) folded = fused_multiply_add(scalar_lanes<M, Arch>::load(data + i), M(0), folded);
  return folded != folded;
}

}  // namespace inertia::detail
