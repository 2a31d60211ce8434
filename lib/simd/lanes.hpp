#pragma once
// The "vector" types an update rule is written against. A rule's apply<Lanes>()
// is instantiated once with simd_lanes (a full xsimd batch) and once with
// scalar_lanes (one element: the alignment peel and the tail), so the same
// source line computes every element whatever path it takes.
//
// Only target translation units include this (it pulls in xsimd). Every type
// here carries the target's Arch tag so that code compiled with -mavx512f can
// never be merged by the linker into a symbol the sse2 target calls.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

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
};

template <class T, class Arch>
struct simd_lanes {
  using value_type = T;
  using arch_type = Arch;
  using vec = xsimd::batch<T, Arch>;
  static constexpr std::size_t width = vec::size;
  static vec load(const T* p) { return vec::load_unaligned(p); }
  static void store(T* p, vec v) { v.store_unaligned(p); }
};

}  // namespace inertia::detail
