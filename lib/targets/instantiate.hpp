#pragma once
// Included by exactly one lib/targets/<target>.cpp per target, after it
// defines INERTIA_TARGET (an inertia::arch). That file is compiled with the
// target's -m flags, so every rule's vector and scalar paths are code-generated
// for it and for it alone.
#include "dispatch.hpp"
#include "simd/range.hpp"
#include "simd/reductions.hpp"
#include "variants/rules.hpp"

namespace inertia::detail {

template <arch Target> struct target_arch;
template <> struct target_arch<arch::scalar> { using type = scalar_arch; };
template <> struct target_arch<arch::sse2> { using type = xsimd::sse2; };
template <> struct target_arch<arch::avx2> { using type = xsimd::fma3<xsimd::avx2>; };
template <> struct target_arch<arch::avx512f> { using type = xsimd::avx512f; };

template <arch Target, class Rule, store_policy Stores>
void run_range(const Rule& rule, std::size_t begin, std::size_t end) {
  run_range_for<typename target_arch<Target>::type, Rule, Stores>(rule, begin, end);
}

template <arch Target, class T>
T sum_squares_chunk(const T* data, std::size_t count) {
  return sum_squares_chunk_for<typename target_arch<Target>::type>(data, count);
}
template float sum_squares_chunk<INERTIA_TARGET, float>(const float*, std::size_t);
template double sum_squares_chunk<INERTIA_TARGET, double>(const double*, std::size_t);

template <arch Target, class T>
bool any_non_finite_chunk(const T* data, std::size_t count) {
  return any_non_finite_chunk_for<typename target_arch<Target>::type>(data, count);
}
template bool any_non_finite_chunk<INERTIA_TARGET, float>(const float*, std::size_t);
template bool any_non_finite_chunk<INERTIA_TARGET, double>(const double*, std::size_t);

#define INERTIA_INSTANTIATE_RULE(RULE) \
  template void run_range<INERTIA_TARGET, RULE>(const RULE&, std::size_t, std::size_t);
INERTIA_FOR_EACH_RULE(INERTIA_INSTANTIATE_RULE)
#undef INERTIA_INSTANTIATE_RULE

// The streaming kernels of the rules that allow them (store_policy.hpp); also
// on the scalar target, where they are ordinary stores and never picked.
#define INERTIA_INSTANTIATE_STREAMING_RULE(RULE) \
  template void run_range<INERTIA_TARGET, RULE, store_policy::streaming>(const RULE&, std::size_t, std::size_t);
INERTIA_FOR_EACH_STREAMING_RULE(INERTIA_INSTANTIATE_STREAMING_RULE)
#undef INERTIA_INSTANTIATE_STREAMING_RULE

}  // namespace inertia::detail
