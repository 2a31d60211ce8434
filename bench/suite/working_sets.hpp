#pragma once
// Which working-set sizes the suite measures: points inside L1, L2, L3 and
// DRAM of this machine, from the cache sizes the OS reports.
#include <cstddef>
#include <string>
#include <vector>

namespace inertia::bench {

struct cache_sizes {
  std::size_t l1d = 32 * 1024;  ///< per core
  std::size_t l2 = 1024 * 1024;
  std::size_t l3 = 32 * 1024 * 1024;
  bool from_os = false;  ///< false: the defaults above, /sys did not say
};

/// /sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}, read by the
/// library's reader (lib/cache_sizes.hpp).
cache_sizes read_cache_sizes();

/// "L1", "L2", "L3" or "DRAM": the smallest level one core's cache holds
/// `bytes` in.
std::string size_class(std::size_t bytes, const cache_sizes& caches);

/// 4 KiB, half of L1d, half of L2, half of L3, 8 x L3 (DRAM), 1 GiB.
std::vector<std::size_t> level_working_sets(const cache_sizes& caches);
/// Every power of two from 4 KiB to 1 GiB (for plots).
std::vector<std::size_t> sweep_working_sets();

/// 4096 -> "4KiB", 1 << 30 -> "1GiB"; other sizes in the largest exact unit.
std::string size_label(std::size_t bytes);

}  // namespace inertia::bench
