#include "working_sets.hpp"

#include <algorithm>
#include <fstream>
#include <string>

namespace inertia::bench {
namespace {

constexpr std::size_t KiB = 1024, MiB = KiB * KiB, GiB = MiB * KiB;

bool read_line(const std::string& path, std::string& out) {
  std::ifstream file(path);
  return static_cast<bool>(std::getline(file, out));
}

// "48K", "1024K", "32M" as /sys writes them.
std::size_t parse_size(const std::string& text) {
  std::size_t value = 0, i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) value = value * 10 + std::size_t(text[i] - '0');
  if (i < text.size() && text[i] == 'K') value *= KiB;
  if (i < text.size() && text[i] == 'M') value *= MiB;
  if (i < text.size() && text[i] == 'G') value *= GiB;
  return value;
}

}  // namespace

cache_sizes read_cache_sizes() {
  cache_sizes caches;
  for (int index = 0; index < 16; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::string level, type, size;
    if (!read_line(dir + "level", level) || !read_line(dir + "type", type) || !read_line(dir + "size", size)) break;
    const std::size_t bytes = parse_size(size);
    if (bytes == 0 || type == "Instruction") continue;
    if (level == "1") caches.l1d = bytes;
    if (level == "2") caches.l2 = bytes;
    if (level == "3") caches.l3 = bytes;
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
