#pragma once
// The "vector" types an update rule is written against. A rule's apply<Lanes>()
// is instantiated once with simd_lanes (a full xsimd batch) and once with
// scalar_lanes (one element: the alignment peel and the tail), so the same
// source line computes every element whatever path it takes.
//
// Only target translation units include this (it pulls in xsimd). Every type
// here carries the target's Arch tag so that code compiled with -mavx512f can
// never be merged by the linker into a symbol the sse2 target calls.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "simd/half_lanes.hpp"
#include "simd/stochastic_rounding.hpp"
#include "storage_pointers.hpp"
#include "store_policy.hpp"

namespace inertia::detail {

/// The target with no SIMD at all (INERTIA_ARCH=scalar).
struct scalar_arch {
  static constexpr std::size_t alignment() { return 1; }
};

template <class T, class Arch>
struct scalar_lanes {
  using value_type = T;
  using arch_type = Arch;
  using vec = T;
  static constexpr std::size_t width = 1;
  static vec load(const T* p) { return *p; }
  static void store(T* p, vec v) { *p = v; }
  /// One element of a write-only output: always an ordinary store.
  static void store_output(T* p, vec v) { *p = v; }
  // Half-precision storage (float lanes only): widen on load, round to nearest even on store.
  template <class Half>
    requires(std::is_same_v<T, float> && is_half_v<Half>)
  static vec load(const Half* p) {
    return widen(*p);
  }
  template <class Half>
    requires(std::is_same_v<T, float> && is_half_v<Half>)
  static void store(Half* p, vec v) {
    if constexpr (std::is_same_v<Half, bfloat16>)
      *p = narrow_to_bfloat16(v);
    else
      *p = narrow_to_float16(v);
  }
  template <class Half>
    requires(std::is_same_v<T, float> && is_half_v<Half>)
  static void store_output(Half* p, vec v) {
    store(p, v);
  }
  // Fused master weights (storage_pointers.hpp).
  template <class Half>
  static vec load(const master_pointer<Half>& p) {
    return *p.master;
  }
  template <class Half>
  static void store(const master_pointer<Half>& p, vec v) {
    *p.master = v;
    store(p.model, v);
  }
  static vec load(const split_pointer& p) { return join_split(*p.top, *p.bottom); }
  static void store(const split_pointer& p, vec v) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
    *p.top = static_cast<std::uint16_t>(bits >> 16);
    *p.bottom = static_cast<std::uint16_t>(bits);
  }
  // Fused stochastic rounding (storage_pointers.hpp): widen on load, round with the element's draw on store.
  template <class Half>
  static vec load(const stochastic_pointer<Half>& p) {
    return widen(*p.values);
  }
  template <class Half>
  static void store(const stochastic_pointer<Half>& p, vec v) {
    if constexpr (std::is_same_v<Half, bfloat16>)
      *p.values = Half{stochastic_round_to_bf16(v, *p.draw())};
    else
      *p.values = Half{stochastic_round_to_f16(v, *p.draw())};
  }
};

/// A non-temporal store of a whole vector to a vector-aligned address.
template <class T, class Arch>
void stream_aligned(T* p, const xsimd::batch<T, Arch>& v) {
  constexpr std::size_t bytes = sizeof(T) * xsimd::batch<T, Arch>::size;
  constexpr bool is_float = std::is_same_v<T, float>;
  static_assert(is_float || std::is_same_v<T, double>);
#if defined(__AVX512F__)
  if constexpr (bytes == 64) {
    if constexpr (is_float) _mm512_stream_ps(p, v); else _mm512_stream_pd(p, v);
    return;
  }
#endif
#if defined(__AVX__)
  if constexpr (bytes == 32) {
    if constexpr (is_float) _mm256_stream_ps(p, v); else _mm256_stream_pd(p, v);
    return;
  }
#endif
#if defined(__SSE2__)
  if constexpr (bytes == 16) {
    if constexpr (is_float) _mm_stream_ps(p, v); else _mm_stream_pd(p, v);
    return;
  }
#endif
  v.store_aligned(p);  // a vector width this file has no streaming store for
}

/// Stores: the policy of store_output (store_policy.hpp).
template <class T, class Arch, store_policy Stores = store_policy::cached>
struct simd_lanes {
  using value_type = T;
  using arch_type = Arch;
  using vec = xsimd::batch<T, Arch>;
  static constexpr std::size_t width = vec::size;
  static vec load(const T* p) { return vec::load_unaligned(p); }
  static void store(T* p, vec v) { v.store_unaligned(p); }
  /// A vector of the rule's write-only output, its anchor: streamed when the
  /// policy says so (p is then vector-aligned: range.hpp aligns the anchor).
  static void store_output(T* p, vec v) {
    if constexpr (Stores == store_policy::streaming) {
      stream_aligned(p, v);
    } else {
      store(p, v);
    }
  }
  // Half-precision storage (float lanes only): width elements widened on load,
  // rounded to nearest even on store (simd/half_lanes.hpp). A half output is
  // never streamed: the stores are 16 or 32 bytes, and the driver's streaming
  // choice is made for float outputs (store_policy.hpp).
  template <class Half>
    requires(std::is_same_v<T, float> && is_half_v<Half>)
  static vec load(const Half* p) {
    return load_widened<Arch>(p);
  }
  template <class Half>
    requires(std::is_same_v<T, float> && is_half_v<Half>)
  static void store(Half* p, vec v) {
    store_narrowed<Arch>(p, v);
  }
  template <class Half>
    requires(std::is_same_v<T, float> && is_half_v<Half>)
  static void store_output(Half* p, vec v) {
    store_narrowed<Arch>(p, v);
  }
  // Fused master weights (storage_pointers.hpp): the float32 master and its
  // model copy in one pass; split bf16 joined on load and cut on store.
  template <class Half>
  static vec load(const master_pointer<Half>& p) {
    return vec::load_unaligned(p.master);
  }
  template <class Half>
  static void store(const master_pointer<Half>& p, vec v) {
    v.store_unaligned(p.master);
    store_narrowed<Arch>(p.model, v);
  }
  static vec load(const split_pointer& p) { return load_split<Arch>(p.top, p.bottom); }
  static void store(const split_pointer& p, vec v) { store_split<Arch>(p.top, p.bottom, v); }
  // Fused stochastic rounding (storage_pointers.hpp): the integer rounding of
  // simd/stochastic_rounding.hpp with the lanes' draws, the same bits as the
  // scalar store above.
  template <class Half>
  static vec load(const stochastic_pointer<Half>& p) {
    return load_widened<Arch>(p.values);
  }
  template <class Half>
  static void store(const stochastic_pointer<Half>& p, vec v) {
    const auto random = xsimd::batch<std::uint32_t, Arch>::load_unaligned(p.draw());
    auto* bits = reinterpret_cast<std::uint16_t*>(p.values);
    if constexpr (std::is_same_v<Half, bfloat16>)
      store_low_halves<Arch>(bits, stochastic_round_to_bf16(v, random));
    else
      store_low_halves<Arch>(bits, stochastic_round_to_f16(v, random));
  }
};

}  // namespace inertia::detail
