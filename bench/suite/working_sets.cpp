#include "suite/working_sets.hpp"

#include <algorithm>
#include <string>

#include "cache_sizes.hpp"

namespace inertia::bench {
namespace {

constexpr std::size_t KiB = 1024, MiB = KiB * KiB, GiB = MiB * KiB;

}  // namespace

cache_sizes read_cache_sizes() {
  cache_sizes caches;
  for (const detail::cache_level& cache : detail::read_cache_levels()) {
    if (cache.level == 1) caches.l1d = cache.bytes;
    if (cache.level == 2) caches.l2 = cache.bytes;
    if (cache.level == 3) caches.l3 = cache.bytes;
    caches.from_os = true;
  }
  return caches;
}

std::string size_class(std::size_t bytes, const cache_sizes& caches) {
  if (bytes <= caches.l1d) return "L1";
  if (bytes <= caches.l2) return "L2";
  if (bytes <= caches.l3) return "L3";
  return "DRAM";
}

std::vector<std::size_t> level_working_sets(const cache_sizes& caches) {
  // Half of each level: the data fits with room for the stack, the code and
  // the other levels' inclusion effects.
  std::vector<std::size_t> sizes = {4 * KiB, caches.l1d / 2, caches.l2 / 2, caches.l3 / 2};
  if (8 * caches.l3 < GiB) sizes.push_back(8 * caches.l3);
  sizes.push_back(GiB);
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

std::vector<std::size_t> sweep_working_sets() {
  std::vector<std::size_t> sizes;
  for (std::size_t bytes = 4 * KiB; bytes <= GiB; bytes *= 2) sizes.push_back(bytes);
  return sizes;
}

std::string size_label(std::size_t bytes) {
  if (bytes % GiB == 0) return std::to_string(bytes / GiB) + "GiB";
  if (bytes % MiB == 0) return std::to_string(bytes / MiB) + "MiB";
  if (bytes % KiB == 0) return std::to_string(bytes / KiB) + "KiB";
  return std::to_string(bytes) + "B";
}

}  // namespace inertia::bench
