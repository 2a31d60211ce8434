#pragma once
// The ULP distance inertia-check reports, and the one the framework golden
// tests pin their bounds in (tests/test_framework_golden.cpp): both must be
// the same measure, so both use this. One rule for every element type the
// library steps (float, double, bfloat16, float16): the values of an IEEE-style
// sign-magnitude format, laid on one line in order, are consecutive integers,
// so the distance is the difference of the two positions.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "inertia/half.hpp"

namespace inertia::check {

/// A NaN against a number: no finite distance.
inline constexpr std::uint64_t unbounded_ulp = UINT64_MAX;

namespace detail {

/// The position of a value's bits (sign bit `sign`) on the ordered line:
/// the magnitude, negated for a negative sign, so -0 and +0 are both 0 and
/// the smallest subnormals of either sign are 2 apart, as float's are.
inline __int128 ordered_position(std::uint64_t bits, std::uint64_t sign) {
  const __int128 magnitude = static_cast<__int128>(bits & (sign - 1));
  return (bits & sign) ? -magnitude : magnitude;
}

inline std::uint64_t ordered_distance(std::uint64_t a, std::uint64_t b, std::uint64_t sign) {
  const __int128 d = ordered_position(a, sign) - ordered_position(b, sign);
  return static_cast<std::uint64_t>(d < 0 ? -d : d);
}

/// NaN by the bits: the exponent all ones and a non-zero mantissa, i.e. the
/// magnitude above infinity's.
inline bool half_is_nan(std::uint16_t bits, std::uint16_t infinity_bits) { return (bits & 0x7FFFu) > infinity_bits; }

inline std::uint64_t half_distance(std::uint16_t a, std::uint16_t b, std::uint16_t infinity_bits) {
  const bool nan_a = half_is_nan(a, infinity_bits), nan_b = half_is_nan(b, infinity_bits);
  if (nan_a || nan_b) return nan_a && nan_b ? 0 : unbounded_ulp;
  return ordered_distance(a, b, 0x8000u);
}

}  // namespace detail

/// The count of representable values between a and b (+0 and -0 are the same
/// point; two NaNs are 0 apart, a NaN and a number unbounded_ulp; the largest
/// finite value and infinity are 1 apart).
template <class T>
std::uint64_t ulp_distance(T a, T b) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : unbounded_ulp;
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  U ua, ub;
  std::memcpy(&ua, &a, sizeof ua);
  std::memcpy(&ub, &b, sizeof ub);
  return detail::ordered_distance(ua, ub, std::uint64_t(1) << (8 * sizeof(T) - 1));
}

/// The same count among bfloat16 values (infinity 0x7F80) ...
inline std::uint64_t ulp_distance(bfloat16 a, bfloat16 b) { return detail::half_distance(a.bits, b.bits, 0x7F80u); }
/// ... and among IEEE binary16 values (infinity 0x7C00).
inline std::uint64_t ulp_distance(float16 a, float16 b) { return detail::half_distance(a.bits, b.bits, 0x7C00u); }

}  // namespace inertia::check
