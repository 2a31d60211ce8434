#pragma once
// The CPU's data caches as Linux lists them for cpu0 under /sys: the one
// reader the library (last_level_cache_bytes, store_policy.hpp), the
// benchmarks (their working sets) and the tests use. Internal: a shared
// library hides it, so the benchmarks and tests compile this source themselves.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace inertia::detail {

/// One data or unified cache.
struct cache_level {
  int level = 0;
  std::size_t bytes = 0;
};

/// Where Linux lists cpu0's caches.
inline constexpr const char* cpu0_cache_directory = "/sys/devices/system/cpu/cpu0/cache";

/// The data and unified caches of directory/index<N>/{level,type,size}, N
/// from 0 to 15, in index order, each with a size; instruction caches and
/// entries missing a file are left out. Empty without the entries.
std::vector<cache_level> read_cache_levels(const std::string& directory = cpu0_cache_directory);

/// Bytes of a size as /sys writes it: "48K", "1024K", "32M", "1G", "512"; 0
/// when it does not start with a digit.
std::size_t parse_cache_size(std::string_view text);

/// The size of the highest-level cache (the last one listed of that level),
/// 0 when there is none.
std::size_t largest_cache_bytes(const std::vector<cache_level>& caches);

}  // namespace inertia::detail
