#pragma once
// What the replays of scripts/golden_torch2.py's layout share (that script and
// scripts/golden_rmsprop.py write it): the inputs regenerated from splitmix64,
// the FNV-1a hashes of final buffers, and recorded bits as hex.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace inertia::test {

/// scripts/golden_torch2.py's `values`: splitmix64, the top 24 bits as a
/// multiple of 2^-23 in [-1, 1) (exact in float).
inline std::vector<double> splitmix_values(std::uint64_t seed, std::size_t count) {
  std::vector<double> out(count);
  std::uint64_t state = seed;
  for (double& x : out) {
    state += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    x = static_cast<double>(static_cast<std::int64_t>(z >> 40) - (std::int64_t(1) << 23)) * 0x1p-23;
  }
  return out;
}

/// FNV-1a 64 over the pieces in order, as 16 hex digits (the script's `fnv1a`).
inline std::string fnv1a(const std::vector<std::span<const std::byte>>& pieces) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& piece : pieces)
    for (std::byte b : piece) h = (h ^ static_cast<std::uint64_t>(b)) * 0x100000001B3ull;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

template <class T>
T from_hex_bits(const std::string& hex) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  const U bits = static_cast<U>(std::stoull(hex, nullptr, 16));
  T value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace inertia::test
