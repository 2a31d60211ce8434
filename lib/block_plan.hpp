#pragma once
// How the work of a call is cut into blocks and the blocks dealt to threads.
//
// The elements of all tensors in a call form one index space (tensor after
// tensor). Block k nominally starts at element k * block; the driver moves
// each start back to a 64-byte cache-line boundary of the tensor it falls in,
// so no cache line is written by two threads, and a block may run from the end
// of one tensor into the next (small tensors are batched, never given a
// region of their own). Thread t of T always gets blocks [t*B/T, (t+1)*B/T):
// the same memory every step, which keeps each thread on its own pages.
// This is pure arithmetic: it plans 2^40 elements without touching them.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "inertia/execution.hpp"

namespace inertia::detail {

inline constexpr std::size_t cache_line_bytes = 64;
inline constexpr std::size_t default_block_bytes = 32 * 1024;

/// A thread is only woken for at least this many bytes moved: below it a
/// parallel region costs more than the second core saves. Measured with
/// `inertia-bench --benchmark_filter=threshold` (README, "Small spans"): on the
/// 2-core reference VM, heavy_ball f32 runs faster on 1 thread up to ~14K
/// elements (11584: 1.18 us vs 1.33 us on 2) and on 2 from 16384 elements
/// (1.68 vs 1.78 us), i.e. from ~160 KiB of traffic per thread.
inline constexpr std::size_t default_min_bytes_per_thread = 160 * 1024;

struct block_plan {
  std::size_t total = 0;   ///< elements in the call
  std::size_t block = 0;   ///< nominal elements per block (whole cache lines)
  std::size_t blocks = 0;
  int threads = 1;

  /// Blocks [first, last) of thread t when `team` threads run.
  std::pair<std::size_t, std::size_t> blocks_of_thread(int t, int team) const {
    const auto share = [&](int k) {
      return static_cast<std::size_t>((static_cast<unsigned __int128>(blocks) * static_cast<unsigned>(k)) /
                                      static_cast<unsigned>(team));
    };
    return {share(t), share(t + 1)};
  }
};

/// total elements of element_bytes each, moving bytes_moved in all.
block_plan plan_blocks(std::size_t total, std::size_t element_bytes, std::size_t bytes_moved, const execution& exec);

/// Moves global index `index`, which lies `local` elements into a tensor whose
/// anchor starts at `anchor_address`, back to that tensor's previous
/// cache-line boundary (or its start).
inline std::size_t snap_to_cache_line(std::size_t index, std::size_t local, std::uintptr_t anchor_address,
                                      std::size_t element_bytes) {
  const std::size_t past_line = ((anchor_address + local * element_bytes) % cache_line_bytes) / element_bytes;
  return index - (past_line < local ? past_line : local);
}

}  // namespace inertia::detail
