#pragma once
// Integer lane operations for the xsimd 8.1 batches of the rounding code
// (simd/stochastic_rounding.hpp, simd/stochastic_draws.hpp, simd/half_lanes.hpp).
// On AVX-512F they take the zero-masking intrinsics with every lane selected:
// xsimd's operators take the unmasked ones, whose undefined pass-through
// operand GCC 12 warns about (-Wuninitialized) in every target translation
// unit that instantiates them.
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace inertia::detail {

/// The AVX-512 archs: avx512f, and avx512bw, the avx512bf16 target's (targets/list.hpp).
template <class Arch>
inline constexpr bool is_avx512 = std::is_base_of_v<xsimd::avx512f, Arch>;

/// x >> Shift in every lane.
template <int Shift, class Arch>
xsimd::batch<std::uint32_t, Arch> shift_right(const xsimd::batch<std::uint32_t, Arch>& x) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) return _mm512_maskz_srli_epi32(__mmask16(0xFFFF), x, Shift);
#endif
  return x >> Shift;
}

/// The lanes of x truncated toward zero to int32 (cvttps2dq).
template <class Arch>
xsimd::batch<std::int32_t, Arch> truncate_to_int32(const xsimd::batch<float, Arch>& x) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) return _mm512_maskz_cvttps_epi32(__mmask16(0xFFFF), x);
#endif
  return xsimd::batch_cast<std::int32_t>(x);
}

}  // namespace inertia::detail
