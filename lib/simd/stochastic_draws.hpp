#pragma once
// The random bits of stochastic rounding: 16 per rounded value, from
// Philox4x32-10 (simd/philox.hpp). One Philox evaluation gives 128 bits,
// enough for eight roundings, and Philox is by far the largest cost of a
// stochastically rounded step (ten rounds of two 32x32->64 multiplies), so
// every one of its 128 bits is used.
//
// The draw of element `index` (its index within its tensor) of stream
// `stream` (the buffer: 0 the parameter, 1 + j state j) at step `step`, with
// the 64-bit `seed` as Philox's key:
//   block b = index / 128, r = index % 128 = 16 h + k   (h in 0..7, k in 0..15)
//   counter = (low word of 16 b + k, high word of 16 b + k, step, stream)
//   draw    = bits 16 (h % 2) ... 16 (h % 2) + 15 of word h / 2 of Philox(counter)
// So a block of 128 consecutive elements takes 16 consecutive counters, and
// 16 consecutive elements take the same 16 bits of 16 consecutive counters:
// a vector of 4, 8 or 16 counters gives whole vectors of draws of consecutive
// elements, with no transposition, on every target. The draws are a pure
// function of (seed, index, step, stream): the same on every target, thread
// count, block size and chunking.
//
// 16 bits are what rounding to bfloat16 needs to be exact (the distance to
// the lower neighbour has 16 bits); fp16's normals take 13 of them and its
// subnormals all 16 (simd/stochastic_rounding.hpp states the resulting bound).
//
// Measured (see README "Stochastic rounding"): this layout made a
// stochastically rounded step about 5x faster than one Philox evaluation per
// element and buffer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "simd/lanes.hpp"
#include "simd/philox.hpp"
#include "simd/int_lanes.hpp"
#include "variants/stochastic_narrow.hpp"

namespace inertia::detail {

inline constexpr std::size_t draws_per_block = 128;   ///< elements sharing one run of counters
inline constexpr std::size_t counters_per_block = 16;  ///< Philox evaluations per block

/// The draw of element `index` (in the low 16 bits): the reference every fill must equal.
static inline std::uint32_t stochastic_draw(const stochastic_key& key, std::uint64_t index) {
  const std::uint64_t block = index / draws_per_block;
  const std::size_t r = static_cast<std::size_t>(index % draws_per_block), h = r / 16, k = r % 16;
  const std::uint64_t counter = block * counters_per_block + k;
  const philox_words words =
      philox4x32_10({static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32), key.step, key.stream},
                    philox_key_of(key.seed));
  return (words[h / 2] >> (16 * (h % 2))) & 0xFFFFu;
}

/// What draw_block needs of the key: the key itself, and on the AVX-512
/// archs its ten round keys broadcast once (simd/philox.hpp).
template <class Arch>
struct block_key {
  stochastic_key key;
  explicit block_key(const stochastic_key& k) : key(k) {}
};
#if defined(__AVX512F__)
template <class Arch>
  requires is_avx512<Arch>
struct block_key<Arch> {
  stochastic_key key;
  philox_round_keys16 rounds;
  explicit block_key(const stochastic_key& k) : key(k), rounds(philox_key_of(k.seed)) {}
};
#endif

/// The 128 draws of block `block`, in element order, into out[0 .. 127].
template <class Arch>
void draw_block(const block_key<Arch>& keys, std::uint64_t block, std::uint32_t* out) {
  const stochastic_key& key = keys.key;
  const std::uint64_t first_counter = block * counters_per_block;
  // 16 b's low word is a multiple of 16: adding k < 16 never carries into the high word.
  const auto low = static_cast<std::uint32_t>(first_counter), high = static_cast<std::uint32_t>(first_counter >> 32);
  // The words of counters k ... k + lanes - 1 to their elements.
  const auto store = [&](const auto& words, std::uint32_t* block_out, std::size_t k) {
    const std::remove_cvref_t<decltype(words[0])> low_half(0xFFFFu);
    for (std::size_t w = 0; w < 4; ++w) {  // h = 2 w (the low halves) and 2 w + 1 (the high halves)
      (words[w] & low_half).store_unaligned(block_out + 32 * w + k);
      shift_right<16>(words[w]).store_unaligned(block_out + 32 * w + 16 + k);
    }
  };
  if constexpr (std::is_same_v<Arch, scalar_arch>) {
    for (std::uint32_t k = 0; k < counters_per_block; ++k) {
      const philox_words words = philox4x32_10({low + k, high, key.step, key.stream}, philox_key_of(key.seed));
      for (std::size_t h = 0; h < 8; ++h) out[16 * h + k] = (words[h / 2] >> (16 * (h % 2))) & 0xFFFFu;
    }
#if defined(__AVX512F__)
  } else if constexpr (is_avx512<Arch>) {
    store(philox4x32_10_wide16<Arch>(low, high, key.step, key.stream, keys.rounds), out, 0);
#endif
  } else {
    using batch = philox_batch<Arch>;
    constexpr std::size_t lanes = batch::size;
    static_assert(counters_per_block % lanes == 0, "a vector of counters stays within one block");
    alignas(64) static constexpr std::uint32_t lane_numbers[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const batch lane = batch::load_aligned(lane_numbers);
    for (std::uint32_t k = 0; k < counters_per_block; k += lanes)
      store(philox4x32_10<Arch>({batch(low + k) + lane, batch(high), batch(key.step), batch(key.stream)},
                                philox_key_of(key.seed)),
            out, k);
  }
}

/// out[i] = stochastic_draw(key, first_index + i) for i < count.
template <class Arch>
void fill_stochastic_draws_for(const stochastic_key& key, std::uint64_t first_index, std::size_t count,
                               std::uint32_t* out) {
  const block_key<Arch> keys(key);
  const std::uint64_t end = first_index + count;
  for (std::uint64_t block = first_index / draws_per_block; block * draws_per_block < end; ++block) {
    const std::uint64_t start = block * draws_per_block;
    if (start >= first_index && start + draws_per_block <= end) {
      draw_block<Arch>(keys, block, out + (start - first_index));
    } else {  // a block the range cuts: draw it whole, keep the overlap
      alignas(64) std::uint32_t whole[draws_per_block];
      draw_block<Arch>(keys, block, whole);
      const std::uint64_t from = std::max(start, first_index), to = std::min(start + draws_per_block, end);
      std::memcpy(out + (from - first_index), whole + (from - start), (to - from) * sizeof(std::uint32_t));
    }
  }
}

}  // namespace inertia::detail
