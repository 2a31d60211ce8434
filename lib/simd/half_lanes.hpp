#pragma once
// Vector loads that widen bfloat16 / float16 to float lanes and stores that
// round float lanes back, for the rules' Lanes (simd/lanes.hpp). Each gives the
// bits of the one-element code in half_conversion.hpp on every lane: AVX-512F
// and F16C convert float16 in hardware (round to nearest even, NaN quieted with
// its top payload bits: the same rule). bfloat16 rounds with integer code on
// every target but avx512bf16, whose vcvtne(2)ps2bf16 gives those bits for
// every input except a subnormal one, which it flushes to zero: a vector with
// a subnormal lane takes the integer code there too. A target without an
// instruction for a conversion converts lane by lane.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "half_conversion.hpp"
#include "simd/int_lanes.hpp"

namespace inertia::detail {

template <class Arch>
xsimd::batch<float, Arch> load_widened_by_lane(const auto* p) {
  using batch = xsimd::batch<float, Arch>;
  alignas(64) float lanes[batch::size];
  for (std::size_t lane = 0; lane < batch::size; ++lane) lanes[lane] = widen(p[lane]);
  return batch::load_aligned(lanes);
}

template <class Arch, class Half>
void store_narrowed_by_lane(Half* p, const xsimd::batch<float, Arch>& v) {
  using batch = xsimd::batch<float, Arch>;
  alignas(64) float lanes[batch::size];
  v.store_aligned(lanes);
  for (std::size_t lane = 0; lane < batch::size; ++lane) {
    if constexpr (std::is_same_v<Half, bfloat16>)
      p[lane] = narrow_to_bfloat16(lanes[lane]);
    else
      p[lane] = narrow_to_float16(lanes[lane]);
  }
}

/// p[lane] = the low 16 bits of bits' lane, for lanes whose high halves are zero.
template <class Arch>
void store_low_halves(std::uint16_t* p, const xsimd::batch<std::uint32_t, Arch>& bits) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
    _mm256_storeu_si256((__m256i*)p, _mm512_maskz_cvtepi32_epi16(__mmask16(0xFFFF), bits));
    return;
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
    // Every lane is below 2^16: the unsigned-saturating pack keeps it.
    const __m256i u = bits;
    _mm_storeu_si128((__m128i*)p, _mm_packus_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1)));
    return;
  }
#endif
#if defined(__SSE2__)
  if constexpr (std::is_same_v<Arch, xsimd::sse2>) {
    // SSE2 packs with signed saturation only: sign-extend the low 16 bits first, so nothing saturates.
    const __m128i extended = _mm_srai_epi32(_mm_slli_epi32(bits, 16), 16);
    _mm_storel_epi64((__m128i*)p, _mm_packs_epi32(extended, extended));
    return;
  }
#endif
  alignas(64) std::uint32_t lanes[xsimd::batch<std::uint32_t, Arch>::size];
  bits.store_aligned(lanes);
  for (std::size_t lane = 0; lane < xsimd::batch<std::uint32_t, Arch>::size; ++lane)
    p[lane] = static_cast<std::uint16_t>(lanes[lane]);
}

#if defined(__AVX2__)
/// The 8 16-bit values at p, each in the high half of a 32-bit word, zeros below: a bfloat16's float
/// bits, or a split float's top half. The 8 values in both 128-bit lanes (vbroadcasti128 is a load
/// alone), then one in-lane byte shuffle puts lane 0's four and lane 1's four in place. vpmovzxwd and a
/// shift cost two vector operations: all-bf16 Adam ran 11% slower with them, in L2 on one Zen 2 core.
[[gnu::always_inline]] static inline __m256i high_halves_avx2(const void* p) {
  const __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)p));
  const __m256i to_high_halves = _mm256_setr_epi8(-1, -1, 0, 1, -1, -1, 2, 3, -1, -1, 4, 5, -1, -1, 6, 7,  //
                                                  -1, -1, 8, 9, -1, -1, 10, 11, -1, -1, 12, 13, -1, -1, 14, 15);
  return _mm256_shuffle_epi8(both, to_high_halves);
}
#endif

template <class Arch>
xsimd::batch<float, Arch> load_widened(const bfloat16* p) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>)
    // The zero-masking forms with every lane selected: GCC 12's unmasked ones warn
    // -Wmaybe-uninitialized about their own undefined pass-through operand (as for square_root).
    return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(
        __mmask16(0xFFFF), _mm512_maskz_cvtepu16_epi32(__mmask16(0xFFFF), _mm256_loadu_si256((const __m256i*)p)), 16));
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) return _mm256_castsi256_ps(high_halves_avx2(p));
#endif
#if defined(__SSE2__)
  if constexpr (std::is_same_v<Arch, xsimd::sse2>)
    return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), _mm_loadl_epi64((const __m128i*)p)));
#endif
  return load_widened_by_lane<Arch>(p);
}

#if defined(__AVX2__)
/// Each lane's bfloat16, rounded to nearest even (NaN: quieted), in the low half of its word.
[[gnu::always_inline]] static inline __m256i bfloat16_words_avx2(const __m256 v) {
  const __m256i u = _mm256_castps_si256(v);
  const __m256i high = _mm256_srli_epi32(u, 16);
  const __m256i bias = _mm256_add_epi32(_mm256_and_si256(high, _mm256_set1_epi32(1)), _mm256_set1_epi32(0x7FFF));
  const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, bias), 16);
  const __m256i quiet = _mm256_or_si256(high, _mm256_set1_epi32(0x40));
  return _mm256_blendv_epi8(rounded, quiet, _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
}
#endif

#if defined(__AVX512BF16__)
/// Whether any lane of v is subnormal (exponent bits 0, fraction not): the lanes vcvtneps2bf16 flushes.
[[gnu::always_inline]] static inline __mmask16 subnormal_lanes_avx512(const __m512 v) {
  const __m512i u = _mm512_castps_si512(v);
  return _mm512_mask_test_epi32_mask(_mm512_testn_epi32_mask(u, _mm512_set1_epi32(0x7F800000)), u,
                                     _mm512_set1_epi32(0x007FFFFF));
}
#endif

template <class Arch>
void store_narrowed(bfloat16* p, const xsimd::batch<float, Arch>& v) {
#if defined(__AVX512BF16__)
  if constexpr (is_avx512<Arch>) {
    if (subnormal_lanes_avx512(v) == 0) [[likely]] {
      _mm256_storeu_si256((__m256i*)p, (__m256i)_mm512_cvtneps_pbh(v));
      return;
    }
  }
#endif
  // u + 0x7FFF + bit 16 of u, shifted down 16; a NaN lane takes u >> 16 with the quiet bit instead.
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
    // Zero-masking forms with every lane selected, as in load_widened.
    const __mmask16 all = 0xFFFF;
    const __m512i u = _mm512_castps_si512(v);
    const __m512i high = _mm512_maskz_srli_epi32(all, u, 16);
    const __m512i bias = _mm512_add_epi32(_mm512_and_si512(high, _mm512_set1_epi32(1)), _mm512_set1_epi32(0x7FFF));
    const __m512i rounded = _mm512_maskz_srli_epi32(all, _mm512_add_epi32(u, bias), 16);
    const __m512i quiet = _mm512_or_si512(high, _mm512_set1_epi32(0x40));
    const __m512i out = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), rounded, quiet);
    store_low_halves<Arch>(reinterpret_cast<std::uint16_t*>(p), out);
    return;
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
    store_low_halves<Arch>(reinterpret_cast<std::uint16_t*>(p), bfloat16_words_avx2(v));
    return;
  }
#endif
#if defined(__SSE2__)
  if constexpr (std::is_same_v<Arch, xsimd::sse2>) {
    const __m128i u = _mm_castps_si128(v);
    const __m128i high = _mm_srli_epi32(u, 16);
    const __m128i bias = _mm_add_epi32(_mm_and_si128(high, _mm_set1_epi32(1)), _mm_set1_epi32(0x7FFF));
    const __m128i rounded = _mm_srli_epi32(_mm_add_epi32(u, bias), 16);
    const __m128i quiet = _mm_or_si128(high, _mm_set1_epi32(0x40));
    const __m128i nan = _mm_castps_si128(_mm_cmpunord_ps(v, v));
    store_low_halves<Arch>(reinterpret_cast<std::uint16_t*>(p), _mm_or_si128(_mm_and_si128(nan, quiet), _mm_andnot_si128(nan, rounded)));
    return;
  }
#endif
  store_narrowed_by_lane<Arch>(p, v);
}

template <class Arch>
xsimd::batch<float, Arch> load_widened(const float16* p) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>)
    return _mm512_maskz_cvtph_ps(__mmask16(0xFFFF), _mm256_loadu_si256((const __m256i*)p));  // masked: see above
#endif
#if defined(__F16C__)
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)p));
#endif
  return load_widened_by_lane<Arch>(p);
}

template <class Arch>
void store_narrowed(float16* p, const xsimd::batch<float, Arch>& v) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
    _mm256_storeu_si256((__m256i*)p, _mm512_maskz_cvtps_ph(__mmask16(0xFFFF), v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return;
  }
#endif
#if defined(__F16C__)
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
    _mm_storeu_si128((__m128i*)p, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return;
  }
#endif
  store_narrowed_by_lane<Arch>(p, v);
}

/// store_narrowed of first at p and of second at p + its width, in one go
/// where that is cheaper: on avx2 one 32-bit-to-16-bit pack and one qword
/// permute for both instead of a lane extract and a pack each. A standalone
/// loop of all-bf16 Adam's operations ran 8% faster with it on Zen 2 in L2;
/// on GPT-2 small the difference is within the noise. simd/lane_pairs.hpp.
template <class Arch, class Half>
[[gnu::always_inline]] inline void store_narrowed_pair(Half* p, const xsimd::batch<float, Arch>& first, const xsimd::batch<float, Arch>& second) {
#if defined(__AVX512BF16__)
  // One vcvtne2ps2bf16 for both (its second operand gives the low 16 values), as store_narrowed.
  if constexpr (is_avx512<Arch> && std::is_same_v<Half, bfloat16>) {
    if ((subnormal_lanes_avx512(first) | subnormal_lanes_avx512(second)) == 0) [[likely]] {
      _mm512_storeu_si512(p, (__m512i)_mm512_cvtne2ps_pbh(second, first));
      return;
    }
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>> && std::is_same_v<Half, bfloat16>) {
    // The in-lane pack gives first 0-3, second 0-3, first 4-7, second 4-7 (qwords 0 1 2 3); 0xD8 orders them 0 2 1 3.
    const __m256i packed = _mm256_packus_epi32(bfloat16_words_avx2(first), bfloat16_words_avx2(second));
    _mm256_storeu_si256((__m256i*)p, _mm256_permute4x64_epi64(packed, 0xD8));
    return;
  }
#endif
  store_narrowed<Arch>(p, first);
  store_narrowed<Arch>(p + xsimd::batch<float, Arch>::size, second);
}

// ---- Split bfloat16 (IPEX's layout): a float32 as its top and bottom 16 bits ----

inline float join_split(std::uint16_t top, std::uint16_t bottom) {
  return std::bit_cast<float>((std::uint32_t(top) << 16) | bottom);
}

template <class Arch>
xsimd::batch<float, Arch> load_split(const std::uint16_t* top, const std::uint16_t* bottom) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
    const __mmask16 all = 0xFFFF;  // zero-masking forms: see load_widened
    const __m512i high = _mm512_maskz_slli_epi32(all, _mm512_maskz_cvtepu16_epi32(all, _mm256_loadu_si256((const __m256i*)top)), 16);
    const __m512i low = _mm512_maskz_cvtepu16_epi32(all, _mm256_loadu_si256((const __m256i*)bottom));
    return _mm512_castsi512_ps(_mm512_or_si512(high, low));
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
    // As high_halves_avx2, the bottoms shuffled into the low halves.
    const __m256i to_low_halves = _mm256_setr_epi8(0, 1, -1, -1, 2, 3, -1, -1, 4, 5, -1, -1, 6, 7, -1, -1,  //
                                                   8, 9, -1, -1, 10, 11, -1, -1, 12, 13, -1, -1, 14, 15, -1, -1);
    const __m256i low = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)bottom)), to_low_halves);
    return _mm256_castsi256_ps(_mm256_or_si256(high_halves_avx2(top), low));
  }
#endif
#if defined(__SSE2__)
  if constexpr (std::is_same_v<Arch, xsimd::sse2>)  // interleaving puts each top above its bottom
    return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_loadl_epi64((const __m128i*)bottom), _mm_loadl_epi64((const __m128i*)top)));
#endif
  using batch = xsimd::batch<float, Arch>;
  alignas(64) float lanes[batch::size];
  for (std::size_t lane = 0; lane < batch::size; ++lane) lanes[lane] = join_split(top[lane], bottom[lane]);
  return batch::load_aligned(lanes);
}

template <class Arch>
void store_split(std::uint16_t* top, std::uint16_t* bottom, const xsimd::batch<float, Arch>& v) {
  using word = xsimd::batch<std::uint32_t, Arch>;
  const word u = xsimd::bitwise_cast<word>(v);
  store_low_halves<Arch>(top, shift_right<16>(u));
  store_low_halves<Arch>(bottom, u & word(0xFFFFu));
}

}  // namespace inertia::detail
