#pragma once
// A rule's option flags as compile-time constants, chosen once per range.
//
// The flags (momentum on, nesterov, weight decay, the step policy's gradient
// transforms...) are the same for a whole call, so their branches predict
// perfectly; they cost anyway. In L1 and L2 an update is bound by the
// instructions it issues per vector, not by bandwidth, and each flag adds a
// test and a jump and keeps the registers of both paths live, so that others
// spill. GCC -O3 unswitches a loop on a few invariant conditions by itself
// (ema's four: sixteen loops), but not heavy_ball's eight plus its
// index-dependent fused-tail test: its avx2 f32 loop issued 44 instructions
// per vector (14 branches, 3 stack reloads) where constants leave 9, and ran
// about 3x slower in L1.
//
// So a rule may offer
//
//   template <class Run> void specialize(Run&& run) const;
//
// which calls run(rule) exactly once, with `rule` either the rule itself or a
// specialised_rule: the same rule whose apply<Lanes>(i, flags) receives a
// flag set of std::true_type / std::false_type members. The arithmetic is
// written once, against `flags.x` in plain `if`s; with a constant the `if`
// folds and the branch is gone. run_range_for (simd/range.hpp) runs its loops
// on whatever specialize passes, or on the rule itself when it has no
// specialize.
//
// Every combination is one more copy of the loops, per target and element
// type, so a rule specialises only the flags of its common configurations,
// and passes itself unspecialised (runtime tests, as before) for options that
// are rare or costly to compile, e.g. a first step, maximize, or the step
// policy's gradient transforms.
#include <cstddef>
#include <type_traits>

namespace inertia::detail {

/// Rule with its flags fixed to Flags, a flag set whose members are all
/// std::bool_constant: Rule::apply<Lanes>(i, flags) sees them as constants.
template <class Rule, class Flags>
struct specialised_rule {
  using value_type = typename Rule::value_type;
  Rule rule;

  auto anchor() const { return rule.anchor(); }

  template <class Lanes>
  void apply(std::size_t i) const {
    rule.template apply<Lanes>(i, Flags{});
  }
};

namespace flags_detail {

template <class... Constants>
struct constants {};

template <template <class...> class FlagSet, class Rule, class Run, class... Fixed>
void run_with(const Rule& rule, Run& run, constants<Fixed...>) {
  run(specialised_rule<Rule, FlagSet<Fixed...>>{rule});
}

template <template <class...> class FlagSet, class Rule, class Run, class... Fixed, class Next, class... Rest>
void run_with(const Rule& rule, Run& run, constants<Fixed...>, Next next, Rest... rest) {
  if constexpr (std::is_same_v<Next, bool>) {
    if (next) {
      run_with<FlagSet>(rule, run, constants<Fixed..., std::true_type>{}, rest...);
    } else {
      run_with<FlagSet>(rule, run, constants<Fixed..., std::false_type>{}, rest...);
    }
  } else {
    static_assert(std::is_same_v<Next, std::true_type> || std::is_same_v<Next, std::false_type>);
    run_with<FlagSet>(rule, run, constants<Fixed..., Next>{}, rest...);
  }
}

}  // namespace flags_detail

/// Calls run(specialised_rule<Rule, FlagSet<C...>>{rule}) once, where each C
/// is the constant for the flag at the same place in FlagSet: a bool becomes
/// the std::bool_constant of its value; a std::bool_constant passes through
/// (a flag the caller knows, which so gets no combination of its own).
template <template <class...> class FlagSet, class Rule, class Run, class... Flags>
void run_specialised(const Rule& rule, Run& run, Flags... flags) {
  flags_detail::run_with<FlagSet>(rule, run, flags_detail::constants<>{}, flags...);
}

namespace flags_detail {
struct any_rule_view {
  template <class Rule>
  void operator()(const Rule&) const;
};
}  // namespace flags_detail

template <class Rule>
concept specialisable = requires(const Rule& rule) { rule.specialize(flags_detail::any_rule_view{}); };

}  // namespace inertia::detail
