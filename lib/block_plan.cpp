#include "block_plan.hpp"

#include <algorithm>

#include <omp.h>
#include <unistd.h>

#include "cache_sizes.hpp"
#include "store_policy.hpp"

namespace inertia::detail {

block_plan plan_blocks(std::size_t total, std::size_t element_bytes, std::size_t bytes_moved, const execution& exec) {
  block_plan plan;
  plan.total = total;
  if (total == 0) return plan;

  const std::size_t line_elements = std::max<std::size_t>(1, cache_line_bytes / element_bytes);
  const std::size_t requested_bytes = exec.block_bytes ? exec.block_bytes : default_block_bytes;
  const std::size_t lines = std::max<std::size_t>(1, (requested_bytes + cache_line_bytes - 1) / cache_line_bytes);
  plan.block = lines * line_elements;
  plan.blocks = (total + plan.block - 1) / plan.block;

  const int requested = exec.threads > 0 ? exec.threads : omp_get_max_threads();
  std::size_t threads = static_cast<std::size_t>(std::max(1, requested));
  // Each thread must have enough work to pay for waking it; a call from inside
  // a parallel region stays on its thread instead of oversubscribing.
  const std::size_t per_thread = exec.min_bytes_per_thread ? exec.min_bytes_per_thread : default_min_bytes_per_thread;
  threads = std::min(threads, std::max<std::size_t>(1, bytes_moved / per_thread));
  threads = std::min(threads, plan.blocks);
  if (omp_in_parallel()) threads = 1;
  plan.threads = static_cast<int>(threads);
  return plan;
}

namespace {

std::size_t read_last_level_cache_bytes() {
  if (const std::size_t bytes = largest_cache_bytes(read_cache_levels())) return bytes;
#if defined(_SC_LEVEL3_CACHE_SIZE)
  if (const long bytes = sysconf(_SC_LEVEL3_CACHE_SIZE); bytes > 0) return static_cast<std::size_t>(bytes);
#endif
#if defined(_SC_LEVEL2_CACHE_SIZE)
  if (const long bytes = sysconf(_SC_LEVEL2_CACHE_SIZE); bytes > 0) return static_cast<std::size_t>(bytes);
#endif
  return std::size_t(32) << 20;
}

}  // namespace

std::size_t last_level_cache_bytes() {
  static const std::size_t bytes = read_last_level_cache_bytes();
  return bytes;
}

}  // namespace inertia::detail
