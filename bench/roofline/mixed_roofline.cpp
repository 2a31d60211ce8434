// Compiled -O3 -march=native with the other roofline kernels
// (bench/CMakeLists.txt). One function for every width combination: the
// streams are walked a block at a time, one plain loop per stream and width,
// through a block of 32-bit accumulators that stays in L1, so each stream's
// loop is a vectorized load (or store) of its own width and the memory sees
// each stream read once and written once, as the step's staged path does.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "roofline/mixed_roofline.hpp"

namespace inertia::bench {
namespace {

constexpr std::size_t block = 1024;  // 4 KB of accumulators

template <class U>
void mix_in(std::uint32_t* __restrict acc, const void* data, std::size_t begin, std::size_t n) {
  const U* __restrict in = static_cast<const U*>(data) + begin;
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (sizeof(U) == 8)
      acc[i] ^= static_cast<std::uint32_t>(in[i]) ^ static_cast<std::uint32_t>(in[i] >> 32);
    else
      acc[i] ^= in[i];
  }
}

// A read stream: 3 old + acc (acc holds old too, xored in: the sum still
// depends on old, so its own read feeds its own store); write-only: acc.
template <class U>
void store(const std::uint32_t* __restrict acc, void* data, std::size_t begin, std::size_t n, bool read) {
  U* __restrict out = static_cast<U*>(data) + begin;
  if (read)
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<U>(out[i] * 3u + acc[i]);
  else
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<U>(acc[i]);
}

}  // namespace

std::size_t moved_bytes(std::span<const stream_access> streams) {
  std::size_t bytes = 0;
  for (const stream_access& s : streams) bytes += s.width * ((s.read ? 1 : 0) + (s.written ? 1 : 0));
  return bytes;
}

void mixed_update(std::span<const mixed_stream> streams, std::size_t begin, std::size_t end) {
  alignas(64) std::uint32_t acc[block];
  for (std::size_t at = begin; at < end; at += block) {
    const std::size_t n = std::min(block, end - at);
    std::fill(acc, acc + n, 0x5a5a5a5au);
    for (const mixed_stream& s : streams) {
      if (!s.access.read) continue;
      switch (s.access.width) {
        case 2: mix_in<std::uint16_t>(acc, s.data, at, n); break;
        case 4: mix_in<std::uint32_t>(acc, s.data, at, n); break;
        case 8: mix_in<std::uint64_t>(acc, s.data, at, n); break;
        default: throw std::invalid_argument("mixed_update: a stream width must be 2, 4 or 8");
      }
    }
    for (const mixed_stream& s : streams) {
      if (!s.access.written) continue;
      switch (s.access.width) {
        case 2: store<std::uint16_t>(acc, s.data, at, n, s.access.read); break;
        case 4: store<std::uint32_t>(acc, s.data, at, n, s.access.read); break;
        case 8: store<std::uint64_t>(acc, s.data, at, n, s.access.read); break;
        default: throw std::invalid_argument("mixed_update: a stream width must be 2, 4 or 8");
      }
    }
  }
}

}  // namespace inertia::bench
