#pragma once
// Which compiled target runs a rule. run_range<Target, Rule> is defined in
// simd/range.hpp and explicitly instantiated for every rule in
// lib/targets/<target>.cpp, each translation unit compiled with its own -m flags;
// this header only picks the function pointer, so it needs no SIMD flags.
#include <cstddef>

#include "inertia/arch.hpp"
#include "store_policy.hpp"

namespace inertia::detail {

template <class Rule>
using range_kernel = void (*)(const Rule&, std::size_t begin, std::size_t end);

template <arch Target, class Rule, store_policy Stores = store_policy::cached>
void run_range(const Rule& rule, std::size_t begin, std::size_t end);

/// The kernel of Rule on target; streaming stores only for a rule that allows
/// them (streams_output) and a target that has them (not scalar).
template <class Rule>
range_kernel<Rule> kernel_for(arch target, store_policy stores = store_policy::cached) {
  if constexpr (streams_output<Rule>) {
    if (stores == store_policy::streaming) {
      switch (target) {
#if defined(INERTIA_X86_TARGETS)
        case arch::sse2: return &run_range<arch::sse2, Rule, store_policy::streaming>;
        case arch::avx2: return &run_range<arch::avx2, Rule, store_policy::streaming>;
        case arch::avx512f: return &run_range<arch::avx512f, Rule, store_policy::streaming>;
#endif
        default: break;
      }
    }
  }
  switch (target) {
#if defined(INERTIA_X86_TARGETS)
    case arch::sse2: return &run_range<arch::sse2, Rule>;
    case arch::avx2: return &run_range<arch::avx2, Rule>;
    case arch::avx512f: return &run_range<arch::avx512f, Rule>;
#endif
    default: return &run_range<arch::scalar, Rule>;
  }
}

/// Chunk reductions (lib/simd/reductions.hpp).
template <arch Target, class T>
T sum_squares_chunk(const T* data, std::size_t count);
template <arch Target, class T>
bool any_non_finite_chunk(const T* data, std::size_t count);

template <class T>
using sum_squares_kernel = T (*)(const T*, std::size_t);
template <class T>
using any_non_finite_kernel = bool (*)(const T*, std::size_t);

template <class T>
sum_squares_kernel<T> sum_squares_kernel_for(arch target) {
  switch (target) {
#if defined(INERTIA_X86_TARGETS)
    case arch::sse2: return &sum_squares_chunk<arch::sse2, T>;
    case arch::avx2: return &sum_squares_chunk<arch::avx2, T>;
    case arch::avx512f: return &sum_squares_chunk<arch::avx512f, T>;
#endif
    default: return &sum_squares_chunk<arch::scalar, T>;
  }
}

template <class T>
any_non_finite_kernel<T> any_non_finite_kernel_for(arch target) {
  switch (target) {
#if defined(INERTIA_X86_TARGETS)
    case arch::sse2: return &any_non_finite_chunk<arch::sse2, T>;
    case arch::avx2: return &any_non_finite_chunk<arch::avx2, T>;
    case arch::avx512f: return &any_non_finite_chunk<arch::avx512f, T>;
#endif
    default: return &any_non_finite_chunk<arch::scalar, T>;
  }
}

}  // namespace inertia::detail
