// Compiled -O3 -march=native with the other roofline kernels
// (bench/CMakeLists.txt). One function for every width combination: the
// streams are sorted once per call into lists by width and access, and the
// loop walks 64 elements at a time, every stream of a list in turn, with the
// 64 values' sum in registers (GCC vector types of the machine's width: four
// with AVX-512, eight with AVX2), so each element of each stream is loaded (or
// stored) once in its own width and every stream's misses are in flight
// together, as in a fused loop. 64 elements: the lists' overhead per stream
// is spread over several vectors. With `prefetch`, each block first requests
// every stream's lines 1 KB ahead in software, as the fixed-type "prefetch"
// kernels do.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "roofline/mixed_roofline.hpp"

// The vector types cross no function boundary that is not inlined here: the
// ABI note GCC gives for 64-byte vectors returned without AVX-512 is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace inertia::bench {
namespace {

// Vectors of the machine's own width: 16 lanes (one zmm of uint32) with
// AVX-512, 8 (one ymm) otherwise. 16-lane vectors on AVX2 are pairs of
// registers that GCC 12 kept on the stack here (2,300 stack operands in the
// loop), which made this kernel compute-bound: 11 GB/s on one Zen 2 core with
// the data in L2, below the library's own bf16 step.
#if defined(__AVX512F__)
constexpr std::size_t lanes = 16;
#else
constexpr std::size_t lanes = 8;
#endif
using u32v = std::uint32_t __attribute__((vector_size(lanes * 4)));
using u16v = std::uint16_t __attribute__((vector_size(lanes * 2)));
using u64v = std::uint64_t __attribute__((vector_size(lanes * 8)));

constexpr std::size_t block = 64, vectors = block / lanes;
constexpr std::uint32_t seed = 0x5a5a5a5au;
constexpr std::size_t max_streams = 16;
// As the fixed-type prefetch kernels (roofline_kernels.cpp): far enough ahead
// to cover DRAM latency at one core's share of the bandwidth, near enough to stay in L1.
constexpr std::size_t line_bytes = 64, prefetch_distance_bytes = 1024;

template <class V>
V load(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
void store(void* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

// A vector of 16-bit elements widened to 32-bit lanes. GCC 12 compiles
// __builtin_convertvector of 8 lanes on AVX2 as two 4-lane vpmovzxwd, a byte
// shift and a vinserti128 (four operations, where the library's own bf16 load
// takes one), and the kernel was then compute-bound at DRAM on two Zen 2
// cores: below the library's bf16 steps, which showed 100-107% of it.
// vpmovzxwd from memory is one.
u32v widen16(const unsigned char* p) {
#if defined(__AVX2__) && !defined(__AVX512F__)
  return u32v(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
#else
  return __builtin_convertvector(load<u16v>(p), u32v);
#endif
}

// The streams of one width and access, as byte pointers.
struct stream_list {
  unsigned char* data[max_streams];
  std::size_t count = 0;
  void add(void* p) { data[count++] = static_cast<unsigned char*>(p); }
};

// One element, any width: what the vector loop does per lane.
std::uint32_t mix_one(const mixed_stream& s, std::size_t i) {
  const unsigned char* p = static_cast<const unsigned char*>(s.data) + i * s.access.width;
  if (s.access.width == 2) return load<std::uint16_t>(p);
  if (s.access.width == 4) return load<std::uint32_t>(p);
  const std::uint64_t v = load<std::uint64_t>(p);
  return static_cast<std::uint32_t>(v) + static_cast<std::uint32_t>(v >> 32);
}
void store_one(const mixed_stream& s, std::size_t i, std::uint32_t acc) {
  unsigned char* p = static_cast<unsigned char*>(s.data) + i * s.access.width;
  const bool r = s.access.read;
  if (s.access.width == 2) store(p, static_cast<std::uint16_t>((r ? load<std::uint16_t>(p) : 0u) + acc));
  else if (s.access.width == 4) store(p, static_cast<std::uint32_t>((r ? load<std::uint32_t>(p) : 0u) + acc));
  else store(p, static_cast<std::uint64_t>((r ? load<std::uint64_t>(p) : std::uint64_t{0}) + acc));
}

}  // namespace

std::size_t moved_bytes(std::span<const stream_access> streams) {
  std::size_t bytes = 0;
  for (const stream_access& s : streams) bytes += s.width * ((s.read ? 1 : 0) + (s.written ? 1 : 0));
  return bytes;
}

void mixed_update(std::span<const mixed_stream> streams, std::size_t begin, std::size_t end, bool prefetch) {
  if (streams.size() > max_streams) throw std::invalid_argument("mixed_update: more than 16 streams");
  // Read lists by width; written lists by width, read-and-written apart from write-only.
  stream_list read2, read4, read8, rw2, rw4, rw8, w2, w4, w8;
  for (const mixed_stream& s : streams) {
    const std::size_t w = s.access.width;
    if (w != 2 && w != 4 && w != 8) throw std::invalid_argument("mixed_update: a stream width must be 2, 4 or 8");
    if (s.access.read) (w == 2 ? read2 : w == 4 ? read4 : read8).add(s.data);
    if (s.access.written)
      (s.access.read ? (w == 2 ? rw2 : w == 4 ? rw4 : rw8) : (w == 2 ? w2 : w == 4 ? w4 : w8)).add(s.data);
  }
  std::size_t i = begin;
  for (; i + block <= end; i += block) {
    if (prefetch)  // each stream's lines prefetch_distance_bytes ahead: read, or write intent for the written
      for (const mixed_stream& s : streams) {
        const std::size_t w = s.access.width;
        const unsigned char* p = static_cast<const unsigned char*>(s.data) + i * w + prefetch_distance_bytes;
        for (std::size_t line = 0; line < block * w; line += line_bytes) {
          if (s.access.written)
            __builtin_prefetch(p + line, 1);
          else
            __builtin_prefetch(p + line, 0);
        }
      }
    u32v acc[vectors];
    for (u32v& a : acc) a = u32v{} + seed;
    for (std::size_t k = 0; k < read2.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v)
        acc[v] += widen16(read2.data[k] + (i + v * lanes) * 2);
    for (std::size_t k = 0; k < read4.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v) acc[v] += load<u32v>(read4.data[k] + (i + v * lanes) * 4);
    for (std::size_t k = 0; k < read8.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v) {
        const u64v x = load<u64v>(read8.data[k] + (i + v * lanes) * 8);
        acc[v] += __builtin_convertvector(x, u32v) + __builtin_convertvector(x >> 32, u32v);
      }
    // A stream read and written: old + acc (acc holds old too: 2 old + the
    // others, so its own read feeds its own store).
    for (std::size_t k = 0; k < rw2.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v) {
        unsigned char* p = rw2.data[k] + (i + v * lanes) * 2;
        store(p, load<u16v>(p) + __builtin_convertvector(acc[v], u16v));
      }
    for (std::size_t k = 0; k < rw4.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v) {
        unsigned char* p = rw4.data[k] + (i + v * lanes) * 4;
        store(p, load<u32v>(p) + acc[v]);
      }
    for (std::size_t k = 0; k < rw8.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v) {
        unsigned char* p = rw8.data[k] + (i + v * lanes) * 8;
        store(p, load<u64v>(p) + __builtin_convertvector(acc[v], u64v));
      }
    for (std::size_t k = 0; k < w2.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v)
        store(w2.data[k] + (i + v * lanes) * 2, __builtin_convertvector(acc[v], u16v));
    for (std::size_t k = 0; k < w4.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v) store(w4.data[k] + (i + v * lanes) * 4, acc[v]);
    for (std::size_t k = 0; k < w8.count; ++k)
      for (std::size_t v = 0; v < vectors; ++v)
        store(w8.data[k] + (i + v * lanes) * 8, __builtin_convertvector(acc[v], u64v));
  }
  // The tail, one element at a time, the same values.
  for (; i < end; ++i) {
    std::uint32_t acc = seed;
    for (const mixed_stream& s : streams)
      if (s.access.read) acc += mix_one(s, i);
    for (const mixed_stream& s : streams)
      if (s.access.written) store_one(s, i, acc);
  }
}

}  // namespace inertia::bench
