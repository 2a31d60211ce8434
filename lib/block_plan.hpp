#pragma once
// How a span is cut into blocks and the blocks dealt to threads.
//
// Block boundaries fall on 64-byte cache-line boundaries of the anchor (the
// parameter span), so no cache line is written by two threads. Thread t of T
// always gets the contiguous run of blocks [t*B/T, (t+1)*B/T): the same memory
// every step, which keeps each thread on its own pages and cache lines.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "inertia/execution.hpp"

namespace inertia::detail {

inline constexpr std::size_t cache_line_bytes = 64;
inline constexpr std::size_t default_block_bytes = 32 * 1024;

/// A thread is only woken for at least this many bytes moved: below it a
/// parallel region costs more than the second core saves. Measured with
/// `inertia-bench --benchmark_filter=threshold` (see README, "Small spans").
inline constexpr std::size_t default_min_bytes_per_thread = 256 * 1024;

struct block_plan {
  std::size_t size = 0;         ///< elements in the span
  std::size_t block = 0;        ///< elements per block
  std::size_t first_block = 0;  ///< elements in block 0 (ends on a cache-line boundary)
  std::size_t blocks = 0;
  int threads = 1;

  /// Element range [begin, end) of block b.
  std::pair<std::size_t, std::size_t> block_range(std::size_t b) const {
    const std::size_t begin = b == 0 ? 0 : first_block + (b - 1) * block;
    const std::size_t end = b == 0 ? first_block : begin + block;
    return {begin, end < size ? end : size};
  }

  /// Blocks [first, last) of thread t when `team` threads run.
  std::pair<std::size_t, std::size_t> blocks_of_thread(int t, int team) const {
    const auto share = [&](int k) { return static_cast<std::size_t>(
        (static_cast<unsigned __int128>(blocks) * static_cast<unsigned>(k)) / static_cast<unsigned>(team)); };
    return {share(t), share(t + 1)};
  }
};

/// size elements of element_bytes each, the anchor starting at anchor_address;
/// bytes_per_element is what one element's update moves (for the threshold).
block_plan plan_blocks(std::size_t size, std::size_t element_bytes, std::uintptr_t anchor_address,
                       std::size_t bytes_per_element, const execution& exec);

}  // namespace inertia::detail
