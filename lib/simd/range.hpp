#pragma once
// The per-target inner loop: one contiguous range of one span. It peels single
// elements until the rule's anchor stream (the parameter, which is written
// every step) is aligned to the vector width, runs full vectors, and finishes
// the tail one element at a time. Threads and blocks are decided by the
// caller (lib/driver.hpp); the target is fixed by Arch. A rule with a
// specialize() runs these loops with its flags as constants (simd/flags.hpp).
#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>

#include "simd/flags.hpp"
#include "simd/lane_pairs.hpp"
#include "simd/lanes.hpp"
#include "simd/ops.hpp"
#include "simd/stochastic_draws.hpp"

namespace inertia::detail {

/// Ranges of fewer full vectors than this run without the alignment peel.
inline constexpr std::size_t min_vectors_to_align = 8;

// Inlined into run_range_for, so that a specialised_rule, a copy of the rule,
// is never stored to the stack and read back by a callee: the loop loads its
// coefficients from the caller's rule, as before. (Out of line, the copy was
// one 64-byte store read back field by field right away, and ema's L1 step
// was 8% slower than before specialisation.)
// Stores: how full vectors of the rule's output are stored (store_policy.hpp).
// Paired: the full vectors run two at a time (simd/lane_pairs.hpp).
template <class Arch, store_policy Stores, bool Paired = false, class Rule>
[[gnu::always_inline]] inline void run_loops_for(const Rule& shared_rule, std::size_t begin, std::size_t end) {
  using stored = typename Rule::value_type;  // the element type in memory
  using T = math_type_t<stored>;             // the lanes' type
  // A local copy: the compiler can then keep coefficients in registers instead
  // of reloading them after every store through a T* that might alias them.
  const Rule rule = shared_rule;
  using one = scalar_lanes<T, Arch>;
  std::size_t i = begin;
  if constexpr (std::is_same_v<Arch, scalar_arch>) {
    for (; i < end; ++i) rule.template apply<one>(i);
  } else {
    using full = simd_lanes<T, Arch, Stores>;
    constexpr std::size_t width = full::width;
    constexpr std::uintptr_t vector_bytes = width * sizeof(stored);
    const auto* anchor = rule.anchor();
    // Aligning the anchor pays on long ranges (no store splits a cache line);
    // on a range of a few vectors the scalar peel (up to width - 1 elements)
    // costs more than the splits it avoids, so short cached ranges start with
    // unaligned vectors. Streaming stores need the alignment whatever the length.
    const bool align = Stores == store_policy::streaming || end - i >= min_vectors_to_align * width;
    while (align && i < end && reinterpret_cast<std::uintptr_t>(anchor + i) % vector_bytes != 0) {
      rule.template apply<one>(i);
      ++i;
    }
    if constexpr (Paired) {
      for (; i + 2 * width <= end; i += 2 * width) rule.template apply<paired_lanes<full>>(i);
      if (i + width <= end) {
        rule.template apply<full>(i);
        i += width;
      }
    } else {
#pragma GCC unroll 2
      for (; i + width <= end; i += width) rule.template apply<full>(i);
    }
    for (; i < end; ++i) rule.template apply<one>(i);
  }
}

// Half-precision storage specialises on the targets that step large models
// (avx2, avx512f) and runs unspecialised on the others (scalar, sse2), which
// are there for correctness: each specialisation is one more copy of the
// loops per target and element type.
template <class Arch>
inline constexpr bool specialises_half_rules =
    is_avx512<Arch> || std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>;

/// Rules that store half-precision values: a half storage type, or a fused
/// mixed-storage mode (its Rule::mixed_storage).
template <class Rule>
inline constexpr bool stores_half = is_half_v<typename Rule::value_type> || requires { requires Rule::mixed_storage; };

/// Rules whose half-precision steps run their vectors in pairs, where those
/// steps specialise: the rule's pairs_vectors says so (Adam and heavy_ball,
/// whose half steps are compute-bound: simd/lane_pairs.hpp).
template <class Rule, class Arch>
inline constexpr bool pairs_half_vectors =
    stores_half<Rule> && specialises_half_rules<Arch> && requires { requires Rule::pairs_vectors; };

template <class Arch, class Rule, store_policy Stores>
[[gnu::always_inline]] inline void run_range_specialised(const Rule& rule, std::size_t begin, std::size_t end) {
  if constexpr (specialisable<Rule> && (!stores_half<Rule> || specialises_half_rules<Arch>)) {
    rule.specialize([&](const auto& specialised) {
      run_loops_for<Arch, Stores, pairs_half_vectors<Rule, Arch>>(specialised, begin, end);
    });
  } else {
    run_loops_for<Arch, Stores>(rule, begin, end);
  }
}

/// Rules with buffers that round stochastically in the same pass
/// (stochastic_pointer, storage_pointers.hpp): rule.for_each_stochastic(f)
/// calls f on each of them that this step stores to.
template <class Rule>
inline constexpr bool draws_stochastically = requires(Rule& rule) { rule.for_each_stochastic([](auto&) {}); };

/// All-bf16 Adam with amsgrad: param, exp_avg, exp_avg_sq, max_exp_avg_sq.
inline constexpr std::size_t max_stochastic_streams = 4;
/// Elements per fill of the draws: 4 KiB of draws per stream (16 KiB for
/// four), in L1 when the step reads them right after. A multiple of
/// draws_per_block, and the fills start at multiples of it from the
/// tensor's start, so no run of Philox counters is drawn twice inside a range.
inline constexpr std::size_t draws_per_fill = 1024;

/// The range in pieces of at most draws_per_fill elements: each piece first
/// fills the draws of every stochastic stream (simd/stochastic_draws.hpp: the
/// draw of an element depends on its index, the seed, the step and the stream
/// only, so the bits are the same whatever the pieces), then steps through
/// the ordinary loops, whose stores round with them.
template <class Arch, class Rule, store_policy Stores>
void run_range_with_draws(const Rule& rule, std::size_t begin, std::size_t end) {
  alignas(64) std::uint32_t draws[max_stochastic_streams][draws_per_fill];
  Rule local = rule;
  for (std::size_t first = begin; first < end;) {
    const std::size_t last = std::min(end, (first / draws_per_fill + 1) * draws_per_fill);
    std::size_t stream = 0;
    local.for_each_stochastic([&](auto& pointer) {
      assert(stream < max_stochastic_streams);  // adam_rule has the most
      fill_stochastic_draws_for<Arch>(pointer.key, first, last - first, draws[stream]);
      pointer.draws = reinterpret_cast<std::uintptr_t>(draws[stream]) - first * sizeof(std::uint32_t);
      ++stream;
    });
    run_range_specialised<Arch, Rule, Stores>(local, first, last);
    first = last;
  }
}

template <class Arch, class Rule, store_policy Stores = store_policy::cached>
void run_range_for(const Rule& rule, std::size_t begin, std::size_t end) {
  if constexpr (draws_stochastically<Rule>)
    run_range_with_draws<Arch, Rule, Stores>(rule, begin, end);
  else
    run_range_specialised<Arch, Rule, Stores>(rule, begin, end);
}

}  // namespace inertia::detail
