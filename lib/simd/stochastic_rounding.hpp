#pragma once
// Stochastic rounding of float32 to bfloat16 and to fp16: x goes to one of
// the two 16-bit values around it, the upper one with probability
// (x - lower) / (upper - lower), so that the rounding is unbiased: E[result]
// = x. `random` is a draw: 16 uniformly distributed bits in the low half of a
// 32-bit word (simd/stochastic_draws.hpp's stochastic_draw, so the result is
// a pure function of seed, element index, step and stream on every target);
// the high half is ignored. The result is the 16-bit pattern (a vector: in
// the low half of each uint32_t lane).
//
// Both are integer arithmetic on the float's bits (plus one exact scaling by
// 2^40 for fp16's subnormals), so scalar and vector, every target, give the
// same bits.
//
// bfloat16: add the low 16 bits of `random` to the float's bits and drop the
// low half (the standard trick). The carry out of the low half happens with
// probability exactly (low half) / 2^16, the distance to the lower bf16 over
// the step, in every binade; bf16 has float32's exponent range, so zeros,
// subnormals (steps of 2^-133) and the carry from one binade into the next
// need nothing more.
//   - +-0 stays +-0 (the low half is zero: no carry); signs are kept, and the
//     rounding is of the magnitude, so negative values are unbiased too.
//   - +-Inf stays +-Inf (a carry into Inf's zero low half is impossible).
//   - NaN: the quiet NaN with the input's sign (0x7FC0 | sign). The trick
//     alone could turn a NaN whose payload sits in the low half into Inf, or
//     carry 0x7FFFFFFF into the sign bit.
//   - Overflow: Inf plays the part of 2^128, the step after the largest finite
//     bf16 0x1.FEp127 = 0x7F7F. A finite x beyond it (0x7F7F0001 ... FLT_MAX)
//     rounds to Inf with probability (|x| - 0x1.FEp127) / 2^120, its distance
//     over the step, and to 0x1.FEp127 otherwise: the same unbiased rule as
//     everywhere else, on the grid extended by one step. No finite float is
//     past 2^128, so nothing is Inf for certain. (Round-to-nearest sends
//     |x| >= 0x1.FFp127 to Inf.)
//
// fp16: fp16's exponent range is smaller than float32's, so the step depends
// on where x is:
//   - |x| >= 2^-14 (fp16 normal): rebias the exponent (127 -> 15) and do the
//     bf16 trick with 13 bits: add the draw's low 13 bits, drop 13. Exact
//     probabilities, the carry into the next binade included.
//   - |x| < 2^-14 (fp16 subnormal, steps of 2^-24, down to zero): |x| in
//     units of 2^-24 as a fixed-point number with 16 fraction bits,
//     truncate(|x| * 2^40) < 2^26, plus the 16 random bits, shifted down by
//     16. Exact for |x| >= 2^-17, whose bits all lie above 2^-40; below that
//     the probability of rounding up is the truncated fraction, low by less
//     than 2^-16 (an absolute bias under 2^-40). |x| < 2^-40 (float32
//     subnormals included) always rounds to +-0, so flush-to-zero or
//     denormals-are-zero, if a caller had set them, would change nothing: the
//     scaled product is never subnormal. The rounding up from just below
//     2^-14 gives 0x400, 2^-14's encoding.
//   - Overflow: as for bf16, Inf plays the part of 2^16, the step after 65504:
//     65504 < |x| < 65536 rounds to Inf with probability (|x| - 65504) / 32,
//     and |x| >= 65536 is always Inf. (Round-to-nearest, torch's c10::Half
//     included, sends |x| >= 65520 to Inf.)
//   - +-0, +-Inf kept; NaN -> the quiet NaN with the input's sign (0x7E00 |
//     sign), which is also what c10::Half gives.
//
// Scalar overloads are `static` (one copy per target translation unit, as in
// simd/ops.hpp); vector ones are templates on the target's xsimd arch.
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "simd/half_scalar.hpp"
#include "simd/int_lanes.hpp"

namespace inertia::detail {

/// fp16's subnormals as fixed point: |x| * 2^(24 + 16) (see above).
inline constexpr int f16_subnormal_fraction_bits = 16;
inline constexpr float f16_subnormal_fixed_scale = 0x1p40f;

/// The bfloat16 bits of x rounded stochastically with the word `random`.
static inline std::uint16_t stochastic_round_to_bf16(float x, std::uint32_t random) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
    return static_cast<std::uint16_t>(((bits >> 16) & 0x8000u) | bf16_quiet_nan);
  }
  return static_cast<std::uint16_t>((bits + (random & 0xFFFFu)) >> 16);
}

/// The fp16 bits of x rounded stochastically with the word `random`.
static inline std::uint16_t stochastic_round_to_f16(float x, std::uint32_t random) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return sign | f16_quiet_nan;
  if (magnitude >= 0x38800000u) {  // |x| >= 2^-14
    const std::uint32_t rounded = (magnitude - 0x38000000u + (random & 0x1FFFu)) >> 13;
    return sign | static_cast<std::uint16_t>(rounded >= f16_infinity ? f16_infinity : rounded);
  }
  const auto fixed = static_cast<std::uint32_t>(
      static_cast<std::int32_t>(std::bit_cast<float>(magnitude) * f16_subnormal_fixed_scale));
  const std::uint32_t fraction_mask = (1u << f16_subnormal_fraction_bits) - 1u;
  return sign | static_cast<std::uint16_t>((fixed + (random & fraction_mask)) >> f16_subnormal_fraction_bits);
}

/// The lanes of x rounded to bfloat16 with one word of `random` each; the
/// bits in the low half of each lane.
template <class Arch>
xsimd::batch<std::uint32_t, Arch> stochastic_round_to_bf16(const xsimd::batch<float, Arch>& x,
                                                          const xsimd::batch<std::uint32_t, Arch>& random) {
  using word = xsimd::batch<std::uint32_t, Arch>;
  using signed_word = xsimd::batch<std::int32_t, Arch>;
  const word bits = xsimd::bitwise_cast<word>(x);
  const word rounded = shift_right<16>(bits + (random & word(0xFFFFu)));
  const word nan = (shift_right<16>(bits) & word(0x8000u)) | word(bf16_quiet_nan);
  // Compared as int32: the magnitude is below 2^31 (xsimd 8.1's sse2 has no
  // unsigned compare).
  const signed_word magnitude = xsimd::bitwise_cast<signed_word>(bits & word(0x7FFFFFFFu));
  return xsimd::bitwise_cast<word>(xsimd::select(magnitude > signed_word(0x7F800000), xsimd::bitwise_cast<signed_word>(nan),
                                                 xsimd::bitwise_cast<signed_word>(rounded)));
}

/// The lanes of x rounded to fp16 with one word of `random` each; the bits in
/// the low half of each lane.
template <class Arch>
xsimd::batch<std::uint32_t, Arch> stochastic_round_to_f16(const xsimd::batch<float, Arch>& x,
                                                         const xsimd::batch<std::uint32_t, Arch>& random) {
  using word = xsimd::batch<std::uint32_t, Arch>;
  using signed_word = xsimd::batch<std::int32_t, Arch>;
  const word bits = xsimd::bitwise_cast<word>(x);
  const word sign = shift_right<16>(bits) & word(0x8000u);
  const word magnitude_bits = bits & word(0x7FFFFFFFu);
  const signed_word magnitude = xsimd::bitwise_cast<signed_word>(magnitude_bits);  // < 2^31: int32 compares
  // Every lane computes both paths; the select keeps the one its magnitude
  // calls for (the other may have wrapped or overflowed: never kept).
  const signed_word normal = xsimd::bitwise_cast<signed_word>(
      shift_right<13>(magnitude_bits - word(0x38000000u) + (random & word(0x1FFFu))));
  const signed_word normal_or_inf =
      xsimd::select(normal > signed_word(f16_infinity), signed_word(f16_infinity), normal);
  const xsimd::batch<float, Arch> scaled =
      xsimd::bitwise_cast<xsimd::batch<float, Arch>>(magnitude_bits) * xsimd::batch<float, Arch>(f16_subnormal_fixed_scale);
  const word fixed = xsimd::bitwise_cast<word>(truncate_to_int32(scaled));
  const word fraction_mask((1u << f16_subnormal_fraction_bits) - 1u);
  const signed_word subnormal =
      xsimd::bitwise_cast<signed_word>(shift_right<f16_subnormal_fraction_bits>(fixed + (random & fraction_mask)));
  const signed_word finite = xsimd::select(magnitude >= signed_word(0x38800000), normal_or_inf, subnormal);
  const signed_word magnitude16 =
      xsimd::select(magnitude > signed_word(0x7F800000), signed_word(f16_quiet_nan), finite);
  return xsimd::bitwise_cast<word>(magnitude16) | sign;
}

}  // namespace inertia::detail
