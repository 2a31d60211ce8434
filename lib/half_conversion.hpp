#pragma once
// float <-> bfloat16 / float16, one element, in portable integer code: the
// definition of the bits every target's vector conversions (simd/half_lanes.hpp)
// must give. The rounding is specified in include/inertia/half.hpp.
#include <bit>
#include <cstdint>
#include <type_traits>

#include "inertia/half.hpp"

namespace inertia::detail {

template <class T>
inline constexpr bool is_half_v = std::is_same_v<T, bfloat16> || std::is_same_v<T, float16>;

/// The type a rule computes in for elements stored as T: float for the half
/// types (torch's "opmath"), T itself for float and double.
template <class T>
using math_type_t = std::conditional_t<is_half_v<T>, float, T>;

// `static`: each ISA target's translation unit keeps its own copy (lib/targets/instantiate.hpp).
static inline float widen(bfloat16 value) { return std::bit_cast<float>(std::uint32_t(value.bits) << 16); }

static inline bfloat16 narrow_to_bfloat16(float x) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return {std::uint16_t((u >> 16) | 0x40u)};  // NaN: quiet, never Inf
  u += 0x7FFFu + ((u >> 16) & 1u);
  return {std::uint16_t(u >> 16)};
}

static inline float widen(float16 value) {
  const std::uint32_t sign = std::uint32_t(value.bits & 0x8000u) << 16;
  const std::uint32_t exponent = (value.bits >> 10) & 0x1Fu, mantissa = value.bits & 0x3FFu;
  if (exponent == 0x1F)  // Inf, or NaN made quiet (as vcvtph2ps does)
    return std::bit_cast<float>(sign | 0x7F800000u | (mantissa != 0 ? 0x400000u : 0u) | (mantissa << 13));
  if (exponent == 0)  // zero or subnormal: mantissa * 2^-24, exact in float
    return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(float(mantissa) * 0x1p-24f));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

static inline float16 narrow_to_float16(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (u >> 16) & 0x8000u, magnitude = u & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u)  // NaN: quiet, sign and top payload bits kept (vcvtps2ph)
    return {std::uint16_t(sign | 0x7E00u | ((magnitude >> 13) & 0x3FFu))};
  if (magnitude >= 0x477FF000u) return {std::uint16_t(sign | 0x7C00u)};  // >= 65520 rounds to Inf; Inf stays
  if (magnitude >= 0x38800000u) {  // a normal float16 (>= 2^-14): rebias the exponent, round 13 bits off
    std::uint32_t m = magnitude - 0x38000000u;
    m += 0xFFFu + ((m >> 13) & 1u);
    return {std::uint16_t(sign | (m >> 13))};
  }
  // Subnormal or zero: adding 0.5 puts |x| / 2^-24, rounded to nearest even
  // by the float addition, in the low mantissa bits (the ulp of [0.5, 1) is 2^-24).
  const float shifted = std::bit_cast<float>(magnitude) + 0.5f;
  return {std::uint16_t(sign | (std::bit_cast<std::uint32_t>(shifted) - 0x3F000000u))};
}

}  // namespace inertia::detail
