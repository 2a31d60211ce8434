#pragma once
// How one call is executed. None of these settings changes a single bit of the
// result: every kernel is element-wise and every operation is correctly rounded,
// so threads, block size and ISA target only change speed (the tests prove it).
#include <cstddef>

namespace inertia {

struct execution {
  /// OpenMP threads for this call; 0 uses omp_get_max_threads(). Spans too small
  /// to pay for a parallel region run on the calling thread whatever is asked,
  /// and so does a call made from inside an enclosing OpenMP parallel region.
  int threads = 0;
  /// Bytes of the parameter span per scheduling block; 0 uses the default
  /// (32 KiB). Rounded up to whole 64-byte cache lines. Blocks are dealt to
  /// threads as contiguous runs, the same way every step.
  std::size_t block_bytes = 0;
  /// Bytes an update must move per thread before another thread is woken; 0
  /// uses the measured default (160 KiB, see README "Small spans"). 1 makes
  /// every call with more than one block parallel (the tests use it).
  std::size_t min_bytes_per_thread = 0;
  /// Bytes a call must move (every stream it reads and writes) before a variant
  /// that writes a separate output (nesterov_lookahead) writes it with
  /// non-temporal (streaming) stores, which skip reading each output line
  /// before writing it and do not keep it in cache; 0 uses the size of the
  /// last-level cache (read once, from /sys), above which the output could not
  /// stay cached for its reader anyway. 1 streams every such call (the tests
  /// use it). In-place updates always use ordinary stores: they read the lines
  /// they write.
  std::size_t min_bytes_to_stream = 0;
};

}  // namespace inertia
