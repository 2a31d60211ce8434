#pragma once
// The ULP distance inertia-check reports, and the one the framework golden
// tests pin their bounds in (tests/test_framework_golden.cpp): both must be
// the same measure, so both use this.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace inertia::check {

/// A NaN against a number: no finite distance.
inline constexpr std::uint64_t unbounded_ulp = UINT64_MAX;

/// The count of representable values between a and b (+0 and -0 are the same
/// point; two NaNs are 0 apart, a NaN and a number unbounded_ulp).
template <class T>
std::uint64_t ulp_distance(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : unbounded_ulp;
  using I = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  auto ordered = [](T x) {
    I i;
    std::memcpy(&i, &x, sizeof i);
    // Negative numbers count down from zero, so -0.0 and +0.0 are the same point.
    return i < 0 ? -(static_cast<__int128>(i) - std::numeric_limits<I>::min()) : static_cast<__int128>(i);
  };
  const __int128 d = ordered(a) - ordered(b);
  return static_cast<std::uint64_t>(d < 0 ? -d : d);
}

}  // namespace inertia::check
