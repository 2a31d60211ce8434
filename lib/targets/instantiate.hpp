#pragma once
// The translation unit of one target. lib/CMakeLists.txt generates one source
// per target of lib/targets/list.hpp that defines INERTIA_TARGET_NAME (the
// target's name in the list) and includes this file, and compiles it with
// that target's flags, so every rule's vector and scalar paths are
// code-generated for it and for it alone.
//
// Nothing compiled here may be a symbol that another translation unit also
// defines: the linker keeps one copy of such a symbol (a COMDAT), which could
// be this target's, and the avx512f copy of a function the avx2 target calls
// would fault on an AVX2 machine. So every function this file emits is either
// in the target's namespace (the entry points below) or a template
// instantiated on the target's own xsimd arch (the loops of simd/range.hpp,
// simd/reductions.hpp and every rule's apply<Lanes>). The non-template
// members of the shared rule types that the loops call (anchor(),
// runtime_flags(), gradient_source::transforms()) are trivial, and an
// optimised build inlines them into the loops, leaving them no body here. The
// test "target objects share no symbols" (tests/CMakeLists.txt) checks all of
// it on the objects as built. (Marking those members always_inline would not
// depend on the optimiser, but it changed the register allocation of 17 of
// the avx2 target's 54 loops; -O0 builds share std:: functions anyway.
// gradient_source::transforms() is always_inline all the same: the rules call
// it inside their loops, and the sanitizer build left a body of it in the
// avx2 object.)
#include "dispatch.hpp"
#include "simd/range.hpp"
#include "simd/reductions.hpp"
#include "simd/stochastic_draws.hpp"
#include "targets/list.hpp"
#include "variants/rules.hpp"

namespace inertia::detail {

template <arch Target>
struct target_arch;
#define INERTIA_TARGET_ARCH(name, processors, flags, xsimd_arch, kernels_from, cpu_runs_it) \
  INERTIA_IF_COMPILED(name, template <> struct target_arch<arch::name> { using type = xsimd_arch; };)
INERTIA_FOR_EACH_TARGET(INERTIA_TARGET_ARCH)
#undef INERTIA_TARGET_ARCH

}  // namespace inertia::detail

namespace inertia::detail::INERTIA_TARGET_NAMESPACE(INERTIA_TARGET_NAME) {

using loop_arch = typename target_arch<arch::INERTIA_TARGET_NAME>::type;

// A target that runs another's kernels for the rules it does not compile
// (targets/list.hpp, kernels_from) still instantiates run_range for every
// rule below, as an explicit instantiation cannot depend on the rule; for
// those rules dispatch.hpp hands out the other target's kernel, and the one
// here is only a jump to it.
template <class Rule, store_policy Stores>
void run_range(const Rule& rule, std::size_t begin, std::size_t end) {
  using entry_points = target_entry_points<arch::INERTIA_TARGET_NAME>;
  if constexpr (entry_points::compiles<Rule>)
    run_range_for<loop_arch, Rule, Stores>(rule, begin, end);
  else
    entry_points::run_range<Rule, Stores>(rule, begin, end);
}

template <class T>
math_type_t<T> sum_squares_chunk(const T* data, std::size_t count) {
  return sum_squares_chunk_for<loop_arch>(data, count);
}
template float sum_squares_chunk<float>(const float*, std::size_t);
template double sum_squares_chunk<double>(const double*, std::size_t);
template float sum_squares_chunk<bfloat16>(const bfloat16*, std::size_t);
template float sum_squares_chunk<float16>(const float16*, std::size_t);

template <class T>
bool any_non_finite_chunk(const T* data, std::size_t count) {
  return any_non_finite_chunk_for<loop_arch>(data, count);
}
template bool any_non_finite_chunk<float>(const float*, std::size_t);
template bool any_non_finite_chunk<double>(const double*, std::size_t);
template bool any_non_finite_chunk<bfloat16>(const bfloat16*, std::size_t);
template bool any_non_finite_chunk<float16>(const float16*, std::size_t);

void fill_stochastic_draws(const stochastic_key& key, std::uint64_t first_index, std::size_t count, std::uint32_t* out) {
  fill_stochastic_draws_for<loop_arch>(key, first_index, count, out);
}

#define INERTIA_INSTANTIATE_RULE(RULE) \
  template void run_range<RULE, store_policy::cached>(const RULE&, std::size_t, std::size_t);
INERTIA_FOR_EACH_RULE(INERTIA_INSTANTIATE_RULE)
#undef INERTIA_INSTANTIATE_RULE

// The streaming kernels of the rules that allow them (store_policy.hpp); also
// on the scalar target, where they are ordinary stores and never picked.
#define INERTIA_INSTANTIATE_STREAMING_RULE(RULE) \
  template void run_range<RULE, store_policy::streaming>(const RULE&, std::size_t, std::size_t);
INERTIA_FOR_EACH_STREAMING_RULE(INERTIA_INSTANTIATE_STREAMING_RULE)
#undef INERTIA_INSTANTIATE_STREAMING_RULE

}  // namespace inertia::detail::INERTIA_TARGET_NAMESPACE(INERTIA_TARGET_NAME)
