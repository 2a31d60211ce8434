#pragma once
// Scalar conversions between float32 and the two 16-bit storage formats,
// bfloat16 (1 sign, 8 exponent, 7 mantissa bits: float32's upper half) and
// IEEE binary16 "fp16" (1, 5, 10; largest finite 65504, subnormals below
// 2^-14 in steps of 2^-24). Round-to-nearest-even, in integer arithmetic so
// that no floating-point environment (rounding mode, flush-to-zero) can touch
// the result. These are the references of the vector conversions.
//
// They equal PyTorch's c10::BFloat16 (round_to_nearest_even) and c10::Half
// (fp16_ieee_from_fp32_value / fp16_ieee_to_fp32_value) bit for bit on every
// finite value and on +-Inf: tests/test_stochastic_rounding.cpp compares them
// with those algorithms on a structured sweep, and
// scripts/check_half_rounding_torch.py with torch's own tensor conversions
// (.to(torch.bfloat16), .to(torch.float16)) on all 2^32 float32 patterns
// (torch 1.13: no mismatch among the 4278190082 non-NaN patterns).
// NaN: every NaN becomes the quiet NaN with the input's sign and the top
// mantissa bit alone (bf16 0x7FC0 / fp16 0x7E00, with the sign bit). c10::Half
// does exactly that; torch's NaNs in bf16 depend on the path (c10::BFloat16
// gives 0x7FC0 whatever the sign, torch 1.13's vectorised tensor conversion
// 0xFFFF), the one place these differ from torch. Widening keeps every bit
// (NaN payloads too; c10::Half's widening quiets a signalling NaN).
#include <bit>
#include <cstdint>

namespace inertia::detail {

inline constexpr std::uint16_t bf16_quiet_nan = 0x7FC0;
inline constexpr std::uint16_t f16_quiet_nan = 0x7E00;
inline constexpr std::uint16_t f16_infinity = 0x7C00;

/// The bits of the bfloat16 nearest to x, ties to even; overflow to +-Inf
/// (from FLT_MAX's neighbourhood: |x| >= 0x1.FFp127 rounds up to Inf).
static inline std::uint16_t round_to_bf16_rne(float x) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = bits & 0x80000000u;
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((sign >> 16) | bf16_quiet_nan);
  // The carry out of the low half, when there is one, runs into the exponent
  // (the next binade, or Inf from the largest finite values); never into the
  // sign, since |x| <= Inf here.
  const std::uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<std::uint16_t>((bits + 0x7FFFu + lsb) >> 16);
}

/// The bits of the fp16 nearest to x, ties to even: |x| >= 65520 (the
/// midpoint between 65504 and 2^16) rounds to +-Inf; below 2^-14 to fp16's
/// subnormals, and to +-0 at or below 2^-25 (the midpoint of 0 and 2^-24).
static inline std::uint16_t round_to_f16_rne(float x) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return sign | f16_quiet_nan;
  if (magnitude >= 0x38800000u) {  // |x| >= 2^-14: fp16 normal (or overflow)
    // Rebias the exponent from 127 to 15; the mantissa's 13 low bits go.
    const std::uint32_t rebiased = magnitude - 0x38000000u;
    const std::uint32_t rounded = (rebiased + 0x0FFFu + ((rebiased >> 13) & 1u)) >> 13;
    return sign | static_cast<std::uint16_t>(rounded >= f16_infinity ? f16_infinity : rounded);
  }
  if (magnitude < 0x00800000u) return sign;  // float32 subnormals: below 2^-126
  // |x| = significand * 2^(exponent - 23) with the implicit bit; in units of
  // fp16's step 2^-24 that is significand >> shift, shift = -(exponent + 1) >= 14.
  const int exponent = static_cast<int>(magnitude >> 23) - 127;
  const int shift = -(exponent + 1);
  if (shift > 24) return sign;  // |x| < 2^-25
  const std::uint32_t significand = (magnitude & 0x007FFFFFu) | 0x00800000u;
  const std::uint32_t quotient = significand >> shift;
  const std::uint32_t remainder = significand & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1);
  const bool up = remainder > half || (remainder == half && (quotient & 1u) != 0);
  // quotient + 1 may reach 0x400: the smallest normal, which is its encoding.
  return sign | static_cast<std::uint16_t>(quotient + (up ? 1u : 0u));
}

/// The float32 a bfloat16 stands for (exact: its upper half).
static inline float bf16_to_float(std::uint16_t h) { return std::bit_cast<float>(std::uint32_t{h} << 16); }

/// The float32 an fp16 stands for (exact: float32 holds every fp16 value).
static inline float f16_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t{h & 0x8000u} << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  std::uint32_t mantissa = h & 0x03FFu;
  if (exponent == 0x1Fu) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));  // Inf, NaN
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  if (mantissa == 0) return std::bit_cast<float>(sign);
  // A subnormal, mantissa * 2^-24: normalise it for float32.
  std::uint32_t float_exponent = 113;  // 2^-14's biased exponent, for the bit at 0x400
  while ((mantissa & 0x0400u) == 0) {
    mantissa <<= 1;
    --float_exponent;
  }
  return std::bit_cast<float>(sign | (float_exponent << 23) | ((mantissa & 0x03FFu) << 13));
}

}  // namespace inertia::detail
