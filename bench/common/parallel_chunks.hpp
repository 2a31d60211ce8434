#pragma once
// How the peers and the roofline kernels use more than one thread: [0, size)
// cut into one contiguous chunk per thread, boundaries on 64-byte lines, the
// same static split the library's driver makes. Only sources compiled with
// OpenMP include this.
#include <algorithm>
#include <cstddef>

#include <omp.h>

namespace inertia::bench {

/// PyTorch's at::internal::GRAIN_SIZE. at::parallel_for gives each thread at
/// least this many elements; the multi-threaded peers follow it, so they open
/// a parallel region exactly where PyTorch's element-wise loops would.
inline constexpr std::size_t peer_grain_elements = 32768;

/// Threads at::parallel_for would use for `size` elements with `threads` available.
inline int peer_threads(std::size_t size, int threads) {
  const std::size_t chunks = (size + peer_grain_elements - 1) / peer_grain_elements;
  return static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(threads), chunks)));
}

/// body(begin, end) once per thread over contiguous chunks; threads <= 1 runs
/// on the calling thread without a parallel region.
template <class Body>
void for_each_chunk(std::size_t size, std::size_t element_bytes, int threads, const Body& body) {
  if (threads <= 1 || size == 0) {
    body(std::size_t{0}, size);
    return;
  }
  const std::size_t line = std::max<std::size_t>(1, 64 / element_bytes);
#pragma omp parallel num_threads(threads)
  {
    const std::size_t team = static_cast<std::size_t>(omp_get_num_threads());
    const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
    const auto cut = [&](std::size_t k) {
      if (k >= team) return size;
      const std::size_t at = size / team * k + size % team * k / team;
      return at - at % line;
    };
    body(cut(t), cut(t + 1));
  }
}

}  // namespace inertia::bench
