#include "block_plan.hpp"

#include <algorithm>

#include <omp.h>

namespace inertia::detail {

block_plan plan_blocks(std::size_t size, std::size_t element_bytes, std::uintptr_t anchor_address,
                       std::size_t bytes_per_element, const execution& exec) {
  block_plan plan;
  plan.size = size;
  if (size == 0) return plan;

  const std::size_t line_elements = std::max<std::size_t>(1, cache_line_bytes / element_bytes);
  const std::size_t requested_bytes = exec.block_bytes ? exec.block_bytes : default_block_bytes;
  const std::size_t lines = std::max<std::size_t>(1, (requested_bytes + cache_line_bytes - 1) / cache_line_bytes);
  plan.block = lines * line_elements;

  // Elements before the anchor's first cache-line boundary join block 0.
  const std::size_t misaligned = (anchor_address % cache_line_bytes) / element_bytes;
  const std::size_t skew = misaligned ? line_elements - misaligned : 0;
  plan.first_block = std::min(size, skew + plan.block);
  const std::size_t rest = size - plan.first_block;
  plan.blocks = 1 + (rest + plan.block - 1) / plan.block;

  const int requested = exec.threads > 0 ? exec.threads : omp_get_max_threads();
  std::size_t threads = static_cast<std::size_t>(std::max(1, requested));
  // Each thread must have enough work to pay for waking it; a call from inside
  // a parallel region stays on its thread instead of oversubscribing.
  const std::size_t moved = size * bytes_per_element;
  const std::size_t per_thread = exec.min_bytes_per_thread ? exec.min_bytes_per_thread : default_min_bytes_per_thread;
  threads = std::min(threads, std::max<std::size_t>(1, moved / per_thread));
  threads = std::min(threads, plan.blocks);
  if (omp_in_parallel()) threads = 1;
  plan.threads = static_cast<int>(threads);
  return plan;
}

}  // namespace inertia::detail
