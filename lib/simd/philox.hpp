#pragma once
// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC 2011), exactly as
// Random123 (and numpy's Philox, and torch's CUDA Philox) defines it: a
// 128-bit counter and a 64-bit key go through ten rounds of
//   (hi0, lo0) = mulhilo(0xD2511F53, c0)   (hi1, lo1) = mulhilo(0xCD9E8D57, c2)
//   c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
// with the key bumped by the Weyl constants (0x9E3779B9, 0xBB67AE85) between
// rounds. Random123's kat_vectors are the test (tests/test_stochastic_rounding.cpp).
//
// Counter-based is the point: the random words are a pure function of the
// key and the counter, so a result never depends on which target, thread or
// block computed it, nor on the order of the work. simd/stochastic_draws.hpp
// says which counter and which bits each rounded element takes.
//
// The vector version takes xsimd 8.1 batches of uint32_t. xsimd 8.1 has no
// 32x32->64 multiply, so mulhilo is written per x86 arch with the even-lane
// widening multiply (pmuludq: _mm_mul_epu32 / _mm256_mul_epu32 /
// _mm512_mul_epu32) applied to the even lanes and to the odd lanes shifted
// down, and, for every other arch, from 16-bit pieces with 32-bit multiplies
// (philox_mulhilo_portable, also tested on x86). Every path computes the same
// exact integers, so every target gives the same words.
//
// Cost: ten rounds of two mulhilo per evaluation, far more work than a
// memory-bound step does per element: measured on a Zen 4 VM (best of 7 over
// 2^20 elements, one evaluation per element plus its rounding, -O3), about
// 3.3 ns/element with avx512f, 4-4.5 with fma3<avx2>, 12-13 with sse2
// (pmuludq does two lanes), 8-16 scalar; the portable pieces 3-6x slower
// than pmuludq. Hence eight roundings per evaluation (simd/stochastic_draws.hpp).
//
// Scalar functions are `static` so that each target translation unit keeps
// its own copy compiled with its own flags (as in simd/ops.hpp); the vector
// ones are templates on the target's own xsimd arch.
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "simd/int_lanes.hpp"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace inertia::detail {

inline constexpr std::uint32_t philox_m0 = 0xD2511F53u;  // multiplier of c0
inline constexpr std::uint32_t philox_m1 = 0xCD9E8D57u;  // multiplier of c2
inline constexpr std::uint32_t philox_w0 = 0x9E3779B9u;  // key bump of k0 (golden ratio)
inline constexpr std::uint32_t philox_w1 = 0xBB67AE85u;  // key bump of k1 (sqrt(3) - 1)
inline constexpr int philox_rounds = 10;

using philox_counter = std::array<std::uint32_t, 4>;
using philox_key = std::array<std::uint32_t, 2>;
using philox_words = std::array<std::uint32_t, 4>;

/// The key of a 64-bit seed: (low word, high word).
static inline philox_key philox_key_of(std::uint64_t seed) {
  return {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
}

/// Philox4x32-10 of one counter: the reference every vector path must equal.
static inline philox_words philox4x32_10(philox_counter counter, philox_key key) {
  for (int round = 0; round < philox_rounds; ++round) {
    if (round > 0) {
      key[0] += philox_w0;
      key[1] += philox_w1;
    }
    const std::uint64_t product0 = std::uint64_t{philox_m0} * counter[0];
    const std::uint64_t product1 = std::uint64_t{philox_m1} * counter[2];
    const auto hi0 = static_cast<std::uint32_t>(product0 >> 32), lo0 = static_cast<std::uint32_t>(product0);
    const auto hi1 = static_cast<std::uint32_t>(product1 >> 32), lo1 = static_cast<std::uint32_t>(product1);
    counter = {hi1 ^ counter[1] ^ key[0], lo1, hi0 ^ counter[3] ^ key[1], lo0};
  }
  return counter;
}

template <class Arch>
using philox_batch = xsimd::batch<std::uint32_t, Arch>;

/// The high and the low 32 bits of the 64-bit product of each lane.
template <class Arch>
struct philox_product {
  philox_batch<Arch> hi, lo;
};

/// mulhilo from 16-bit pieces and 32-bit (low-half) multiplies: exact on any
/// arch xsimd has uint32_t batches for. a*b = (a1*b1 << 32) + ((a1*b0 + a0*b1) << 16) + a0*b0.
template <class Arch>
philox_product<Arch> philox_mulhilo_portable(const philox_batch<Arch>& a, const philox_batch<Arch>& b) {
  using batch = philox_batch<Arch>;
  const batch low_half(0xFFFFu);
  const batch a0 = a & low_half, a1 = a >> 16, b0 = b & low_half, b1 = b >> 16;
  const batch p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;  // each < 2^32: exact
  // The carries into the high word: at most 3 * (2^16 - 1), no overflow.
  const batch middle = (p00 >> 16) + (p01 & low_half) + (p10 & low_half);
  return {p11 + (p01 >> 16) + (p10 >> 16) + (middle >> 16), (middle << 16) | (p00 & low_half)};
}

/// mulhilo with the x86 widening multiply where the arch has it (see above),
/// the portable pieces elsewhere.
template <class Arch>
philox_product<Arch> philox_mulhilo(const philox_batch<Arch>& a, const philox_batch<Arch>& b) {
  using batch = philox_batch<Arch>;
  // pmuludq multiplies the low words of each 64-bit pair: the even lanes of
  // a and b, and the odd lanes once shifted down by 32 bits. The even
  // products' low words are the even lanes of lo, their high words (shifted
  // down) the even lanes of hi; the odd products the other way round. avx2
  // and avx512f merge the halves with one blend each; sse2 (no blend before
  // SSE4.1) with an and and an or.
  if constexpr (false) {
#if defined(__AVX512F__)
  } else if constexpr (is_avx512<Arch>) {
    // The zero-masking forms with every lane selected: GCC 12's unmasked ones warn
    // -Wuninitialized about their own undefined pass-through operand (as in half_lanes.hpp).
    constexpr __mmask8 all = 0xFF;
    const __m512i even = _mm512_maskz_mul_epu32(all, a, b);
    const __m512i odd = _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, a, 32), _mm512_maskz_srli_epi64(all, b, 32));
    constexpr __mmask16 odd_lanes = 0xAAAA;
    return {batch(_mm512_mask_blend_epi32(odd_lanes, _mm512_maskz_srli_epi64(all, even, 32), odd)),
            batch(_mm512_mask_blend_epi32(odd_lanes, even, _mm512_maskz_slli_epi64(all, odd, 32)))};
#endif
#if defined(__AVX2__)
  } else if constexpr (std::is_base_of_v<xsimd::avx2, Arch>) {
    const __m256i even = _mm256_mul_epu32(a, b);
    const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32));
    constexpr int odd_lanes = 0xAA;
    return {batch(_mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, odd_lanes)),
            batch(_mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), odd_lanes))};
#endif
#if defined(__SSE2__)
  } else if constexpr (std::is_base_of_v<xsimd::sse2, Arch>) {
    const __m128i even = _mm_mul_epu32(a, b);
    const __m128i odd = _mm_mul_epu32(_mm_srli_epi64(a, 32), _mm_srli_epi64(b, 32));
    const __m128i low_words = _mm_set1_epi64x(0x00000000FFFFFFFFll);
    return {batch(_mm_or_si128(_mm_srli_epi64(even, 32), _mm_andnot_si128(low_words, odd))),
            batch(_mm_or_si128(_mm_and_si128(even, low_words), _mm_slli_epi64(odd, 32)))};
#endif
  } else {
    return philox_mulhilo_portable<Arch>(a, b);
  }
}

/// Philox4x32-10 of one counter per lane; the key is the same for every lane.
/// Mulhilo is a parameter so that the tests can run the portable pieces on x86.
template <class Arch, philox_product<Arch> (*Mulhilo)(const philox_batch<Arch>&, const philox_batch<Arch>&) =
                          philox_mulhilo<Arch>>
std::array<philox_batch<Arch>, 4> philox4x32_10(std::array<philox_batch<Arch>, 4> counter, philox_key key) {
  using batch = philox_batch<Arch>;
  const batch m0(philox_m0), m1(philox_m1);
  for (int round = 0; round < philox_rounds; ++round) {
    if (round > 0) {
      key[0] += philox_w0;
      key[1] += philox_w1;
    }
    const philox_product<Arch> product0 = Mulhilo(m0, counter[0]);
    const philox_product<Arch> product1 = Mulhilo(m1, counter[2]);
    counter = {product1.hi ^ counter[1] ^ batch(key[0]), product1.lo, product0.hi ^ counter[3] ^ batch(key[1]),
               product0.lo};
  }
  return counter;
}

#if defined(__AVX512F__)
/// The ten rounds' keys of philox4x32_10_wide16, broadcast once per key (a
/// fill of draws): the rounds read them as a memory operand of the xor, where
/// bumping and broadcasting them in every evaluation was a quarter of its
/// vector operations.
struct philox_round_keys16 {
  __m512i k0[philox_rounds], k1[philox_rounds];
  explicit philox_round_keys16(philox_key key) {
    for (int round = 0; round < philox_rounds; ++round) {
      if (round > 0) {
        key[0] += philox_w0;
        key[1] += philox_w1;
      }
      k0[round] = _mm512_set1_epi32(static_cast<int>(key[0]));
      k1[round] = _mm512_set1_epi32(static_cast<int>(key[1]));
    }
  }
};

/// Philox4x32-10 of the 16 counters (first + k, high, c2, c3), k = 0 ... 15,
/// for the AVX-512 archs: each word as two vectors of eight 64-bit lanes whose
/// low 32 bits are the word (counters 0-7, then 8-15). pmuludq then gives each
/// product whole: hi is its high half, and lo is the product itself, as every
/// consumer of lo (the next round's multiply, which reads the low 32 bits of
/// each lane, and the xor into the other word, whose high half nothing reads)
/// ignores the high half. A round is two multiplies, two shuffles and two
/// three-way xors per vector, where the 32-bit layout of philox4x32_10 above
/// also moves the odd lanes down and back and blends twice per multiply.
/// Measured on the 2-core Intel Xeon VM with AVX-512 BF16 (fill_stochastic_draws_for,
/// 1024 draws at a time, ns per 16-bit draw): 0.253 with the 32-bit layout,
/// 0.20 with this one, 0.195 with the shuffles and the keys broadcast once.
/// (Two blocks' vectors in flight together were slower, 0.213: the rounds are
/// bound by the vector ports, not by the multiplies' latency.)
/// The words come back in 32-bit lanes, counter k in lane k. `first` + 15 must
/// not carry out of 32 bits (stochastic_draws.hpp's counters never do).
template <class Arch>
  requires is_avx512<Arch>
std::array<philox_batch<Arch>, 4> philox4x32_10_wide16(std::uint32_t first, std::uint32_t high, std::uint32_t c2,
                                                       std::uint32_t c3, const philox_round_keys16& keys) {
  const __m512i m0 = _mm512_set1_epi64(philox_m0), m1 = _mm512_set1_epi64(philox_m1);
  __m512i w0[2], w1[2], w2[2], w3[2];
  w0[0] = _mm512_add_epi64(_mm512_set1_epi64(first), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
  w0[1] = _mm512_add_epi64(_mm512_set1_epi64(first), _mm512_setr_epi64(8, 9, 10, 11, 12, 13, 14, 15));
  w1[0] = w1[1] = _mm512_set1_epi32(static_cast<int>(high));
  w2[0] = w2[1] = _mm512_set1_epi32(static_cast<int>(c2));
  w3[0] = w3[1] = _mm512_set1_epi32(static_cast<int>(c3));
  constexpr int xor3 = 0x96;  // a ^ b ^ c
  // hi into the low half: the halves of each 64-bit lane swapped (the new
  // high half is lo, which nothing reads). A shuffle rather than a shift:
  // on Intel's AVX-512 cores a 512-bit shift takes port 0, as pmuludq does.
  // The zero-masking forms with every lane selected, as in philox_mulhilo above.
  const auto high_to_low = [](__m512i product) { return _mm512_maskz_shuffle_epi32(__mmask16(0xFFFF), product, _MM_PERM_CDAB); };
  constexpr __mmask8 all = 0xFF;
  for (int round = 0; round < philox_rounds; ++round) {
    for (int v = 0; v < 2; ++v) {
      const __m512i product0 = _mm512_maskz_mul_epu32(all, w0[v], m0), product1 = _mm512_maskz_mul_epu32(all, w2[v], m1);
      w0[v] = _mm512_ternarylogic_epi32(high_to_low(product1), w1[v], keys.k0[round], xor3);
      w2[v] = _mm512_ternarylogic_epi32(high_to_low(product0), w3[v], keys.k1[round], xor3);
      w1[v] = product1;
      w3[v] = product0;
    }
  }
  // The low 32 bits of each 64-bit lane of the two vectors: the 16 counters in order.
  const __m512i low_words = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  using batch = philox_batch<Arch>;
  return {batch(_mm512_permutex2var_epi32(w0[0], low_words, w0[1])), batch(_mm512_permutex2var_epi32(w1[0], low_words, w1[1])),
          batch(_mm512_permutex2var_epi32(w2[0], low_words, w2[1])), batch(_mm512_permutex2var_epi32(w3[0], low_words, w3[1]))};
}
#endif

}  // namespace inertia::detail
