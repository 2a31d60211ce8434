#include "cache_sizes.hpp"

#include <fstream>

namespace inertia::detail {

std::size_t parse_cache_size(std::string_view text) {
  std::size_t digits = 0, bytes = 0;
  for (; digits < text.size() && text[digits] >= '0' && text[digits] <= '9'; ++digits)
    bytes = bytes * 10 + static_cast<std::size_t>(text[digits] - '0');
  const char unit = digits < text.size() ? text[digits] : 'B';
  return bytes << (unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : 0);
}

std::vector<cache_level> read_cache_levels(const std::string& directory) {
  std::vector<cache_level> caches;
  for (int index = 0; index < 16; ++index) {
    const std::string entry = directory + "/index" + std::to_string(index) + "/";
    std::ifstream level_file(entry + "level"), type_file(entry + "type"), size_file(entry + "size");
    int level = 0;
    std::string type, size;
    if (!(level_file >> level) || !(type_file >> type) || !(size_file >> size)) continue;
    if (type == "Instruction") continue;
    if (const std::size_t bytes = parse_cache_size(size)) caches.push_back({level, bytes});
  }
  return caches;
}

std::size_t largest_cache_bytes(const std::vector<cache_level>& caches) {
  int best_level = 0;
  std::size_t best_bytes = 0;
  for (const cache_level& cache : caches)
    if (cache.level >= best_level) {
      best_level = cache.level;
      best_bytes = cache.bytes;
    }
  return best_bytes;
}

}  // namespace inertia::detail
