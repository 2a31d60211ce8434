#pragma once
// Deterministic sums of squares over whole spans, built from the per-target
// chunk kernel in simd/sum_squares.hpp: chunk sums are added in double, in
// chunk order, so the result never depends on the target or on how chunks
// were shared among threads.
#include <cstddef>

#include "dispatch.hpp"

namespace inertia::detail {

inline constexpr std::size_t reduction_chunk = 4096;

inline std::size_t chunk_count(std::size_t size) {
  return (size + reduction_chunk - 1) / reduction_chunk;
}

/// Sum of squares of chunk c of data[0, size).
template <class T>
double chunk_sum_squares(sum_squares_kernel<T> kernel, const T* data, std::size_t size, std::size_t c) {
  const std::size_t begin = c * reduction_chunk;
  const std::size_t count = size - begin < reduction_chunk ? size - begin : reduction_chunk;
  return static_cast<double>(kernel(data + begin, count));
}

/// The whole span on the calling thread, chunk by chunk.
template <class T>
double sum_squares(sum_squares_kernel<T> kernel, const T* data, std::size_t size) {
  double total = 0.0;
  for (std::size_t c = 0; c < chunk_count(size); ++c) total += chunk_sum_squares(kernel, data, size, c);
  return total;
}

}  // namespace inertia::detail
