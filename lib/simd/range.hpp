#pragma once
// The per-target inner loop: one contiguous range of one span. It peels single
// elements until the rule's anchor stream (the parameter, which is written
// every step) is aligned to the vector width, runs full vectors, and finishes
// the tail one element at a time. Threads and blocks are decided by the
// caller (lib/driver.hpp); the target is fixed by Arch.
#include <cstddef>
#include <cstdint>

#include "simd/lanes.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class Arch, class Rule>
void run_range_for(const Rule& shared_rule, std::size_t begin, std::size_t end) {
  using T = typename Rule::value_type;
  // A local copy: the compiler can then keep coefficients in registers instead
  // of reloading them after every store through a T* that might alias them.
  const Rule rule = shared_rule;
  using one = scalar_lanes<T, Arch>;
  std::size_t i = begin;
  if constexpr (std::is_same_v<Arch, scalar_arch>) {
    for (; i < end; ++i) rule.template apply<one>(i);
  } else {
    using full = simd_lanes<T, Arch>;
    constexpr std::size_t width = full::width;
    constexpr std::uintptr_t vector_bytes = width * sizeof(T);
    const auto* anchor = rule.anchor();
    while (i < end && reinterpret_cast<std::uintptr_t>(anchor + i) % vector_bytes != 0) {
      rule.template apply<one>(i);
      ++i;
    }
#pragma GCC unroll 2
    for (; i + width <= end; i += width) rule.template apply<full>(i);
    for (; i < end; ++i) rule.template apply<one>(i);
  }
}

}  // namespace inertia::detail
