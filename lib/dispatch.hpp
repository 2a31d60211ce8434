#pragma once
// Which compiled target runs a rule. Each target of lib/targets/list.hpp has
// its entry points in its own namespace, inertia::detail::target_<name>,
// declared here and defined and explicitly instantiated for every rule in
// that target's translation unit (lib/targets/instantiate.hpp), compiled with
// its own flags; this header only picks function pointers, so it needs no
// SIMD flags.
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "half_conversion.hpp"
#include "inertia/arch.hpp"
#include "store_policy.hpp"
#include "targets/list.hpp"

namespace inertia::detail {

template <class Rule>
using range_kernel = void (*)(const Rule&, std::size_t begin, std::size_t end);
template <class T>
using sum_squares_kernel = math_type_t<T> (*)(const T*, std::size_t);
template <class T>
using any_non_finite_kernel = bool (*)(const T*, std::size_t);
struct stochastic_key;
/// out[i] = the draw of element first_index + i (simd/stochastic_draws.hpp).
using fill_draws_kernel = void (*)(const stochastic_key& key, std::uint64_t first_index, std::size_t count,
                                   std::uint32_t* out);

/// Rules that round float lanes to bfloat16 storage: a bfloat16 element type,
/// or a fused mixed-storage mode that says so (Rule::rounds_to_bfloat16).
template <class Rule>
inline constexpr bool rounds_to_bfloat16 =
    std::is_same_v<typename Rule::value_type, bfloat16> || requires { requires Rule::rounds_to_bfloat16; };

/// Whether target `Target`, which runs kernels_from's kernels for the rules it
/// does not compile (targets/list.hpp), compiles Rule itself: every rule when
/// kernels_from is itself, else the rules its flags change. The one such
/// target, avx512bf16, adds the bfloat16 conversion instructions to avx512f's
/// (simd/half_lanes.hpp): the rules that round to bfloat16.
template <arch Target, arch KernelsFrom, class Rule>
inline constexpr bool compiles_rule = Target == KernelsFrom || rounds_to_bfloat16<Rule>;

/// The entry points of one target, by its inertia::arch.
template <arch Target>
struct target_entry_points;

/// Target's kernel of Rule, named where Target's entry points may not be complete yet.
template <arch Target, class Rule, store_policy Stores>
inline constexpr range_kernel<Rule> run_range_of = target_entry_points<Target>::template run_range<Rule, Stores>;

#define INERTIA_DECLARE_TARGET(name, processors, flags, xsimd_arch, kernels_from, cpu_runs_it)        \
  namespace INERTIA_TARGET_NAMESPACE(name) {                                                          \
  /* Rule's loop over [begin, end) of its span (simd/range.hpp). */                                   \
  template <class Rule, store_policy Stores>                                                          \
  void run_range(const Rule& rule, std::size_t begin, std::size_t end);                               \
  /* Chunk reductions (simd/reductions.hpp). */                                                       \
  template <class T>                                                                                  \
  math_type_t<T> sum_squares_chunk(const T* data, std::size_t count);                                 \
  template <class T>                                                                                  \
  bool any_non_finite_chunk(const T* data, std::size_t count);                                        \
  /* Stochastic rounding's random bits (simd/stochastic_draws.hpp). */                                \
  void fill_stochastic_draws(const stochastic_key& key, std::uint64_t first_index, std::size_t count,  \
                             std::uint32_t* out);                                                     \
  }                                                                                                   \
  template <>                                                                                         \
  struct target_entry_points<arch::name> {                                                            \
    static constexpr arch target = arch::name;                                                        \
    /* Whether run_range<Rule, ...> is this target's own kernel, not kernels_from's. */               \
    template <class Rule>                                                                             \
    static constexpr bool compiles = compiles_rule<arch::name, arch::kernels_from, Rule>;             \
    template <class Rule, store_policy Stores>                                                        \
    static constexpr range_kernel<Rule> run_range = [] {                                              \
      if constexpr (compiles<Rule>)                                                                   \
        return &INERTIA_TARGET_NAMESPACE(name)::run_range<Rule, Stores>;                              \
      else                                                                                            \
        return run_range_of<arch::kernels_from, Rule, Stores>;                                        \
    }();                                                                                              \
    template <class T>                                                                                \
    static constexpr sum_squares_kernel<T> sum_squares_chunk = &INERTIA_TARGET_NAMESPACE(name)::sum_squares_chunk<T>; \
    template <class T>                                                                                \
    static constexpr any_non_finite_kernel<T> any_non_finite_chunk =                                  \
        &INERTIA_TARGET_NAMESPACE(name)::any_non_finite_chunk<T>;                                     \
    static constexpr fill_draws_kernel fill_stochastic_draws = &INERTIA_TARGET_NAMESPACE(name)::fill_stochastic_draws; \
  };
INERTIA_FOR_EACH_TARGET(INERTIA_DECLARE_TARGET)
#undef INERTIA_DECLARE_TARGET

/// pick.template operator()<target_entry_points<target>>(): the one switch
/// over targets. A target this build does not compile runs as scalar.
template <class Pick>
decltype(auto) on_target(arch target, Pick&& pick) {
  switch (target) {
#define INERTIA_TARGET_CASE(name, processors, flags, xsimd_arch, kernels_from, cpu_runs_it) \
  INERTIA_IF_COMPILED(name, case arch::name: return pick.template operator()<target_entry_points<arch::name>>();)
    INERTIA_FOR_EACH_TARGET(INERTIA_TARGET_CASE)
#undef INERTIA_TARGET_CASE
    default: break;
  }
  return pick.template operator()<target_entry_points<arch::scalar>>();
}

/// Whether target's vector stores can stream (the scalar target has none).
constexpr bool target_has_streaming_stores(arch target) { return target != arch::scalar; }

/// The kernel of Rule on target; streaming stores only for a rule that allows
/// them (streams_output) and a target that has them.
template <class Rule>
range_kernel<Rule> kernel_for(arch target, store_policy stores = store_policy::cached) {
  return on_target(target, [stores]<class Target>() -> range_kernel<Rule> {
    if constexpr (streams_output<Rule> && target_has_streaming_stores(Target::target))
      if (stores == store_policy::streaming) return Target::template run_range<Rule, store_policy::streaming>;
    return Target::template run_range<Rule, store_policy::cached>;
  });
}

template <class T>
sum_squares_kernel<T> sum_squares_kernel_for(arch target) {
  return on_target(target, []<class Target>() { return Target::template sum_squares_chunk<T>; });
}

template <class T>
any_non_finite_kernel<T> any_non_finite_kernel_for(arch target) {
  return on_target(target, []<class Target>() { return Target::template any_non_finite_chunk<T>; });
}

inline fill_draws_kernel fill_draws_kernel_for(arch target) {
  return on_target(target, []<class Target>() { return Target::fill_stochastic_draws; });
}

}  // namespace inertia::detail
