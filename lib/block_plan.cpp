#include "block_plan.hpp"

#include <algorithm>
#include <fstream>
#include <string>

#include <omp.h>
#include <unistd.h>

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

/// Size in bytes of the largest data or unified cache level that cpu0's /sys
/// entries list ("32768K"), or 0 when there is none.
std::size_t cache_bytes_from_sys() {
  int best_level = 0;
  std::size_t best_bytes = 0;
  for (int index = 0; index < 16; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::ifstream level_file(dir + "level"), type_file(dir + "type"), size_file(dir + "size");
    int level = 0;
    std::string type, size;
    if (!(level_file >> level) || !(type_file >> type) || !(size_file >> size)) continue;
    if (type == "Instruction" || level < best_level) continue;
    std::size_t digits = 0;
    std::size_t bytes = 0;
    for (; digits < size.size() && size[digits] >= '0' && size[digits] <= '9'; ++digits)
      bytes = bytes * 10 + static_cast<std::size_t>(size[digits] - '0');
    const char unit = digits < size.size() ? size[digits] : 'B';
    bytes <<= unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : 0;
    if (bytes == 0) continue;
    best_level = level;
    best_bytes = bytes;
  }
  return best_bytes;
}

std::size_t read_last_level_cache_bytes() {
  if (const std::size_t bytes = cache_bytes_from_sys()) return bytes;
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
