// Rules whose loops run with their flags as compile-time constants
// (lib/simd/flags.hpp): the constants must be the rule's own flag values, in
// the right places, and the common configurations must get them; and the
// paths that stay unspecialised (gradient transforms on sutskever and ema)
// must still match the references.
#include <cmath>
#include <type_traits>

#include <catch2/catch.hpp>

#include "inertia/multi_tensor.hpp"
#include "reference/ema.hpp"
#include "reference/sutskever.hpp"
#include "variants/adam.hpp"
#include "simd/flags.hpp"
#include "support.hpp"
#include "variants/ema.hpp"
#include "variants/heavy_ball.hpp"
#include "variants/lookahead.hpp"
#include "variants/sutskever.hpp"

using namespace inertia;
using namespace inertia::test;
using detail::specialised_rule;

namespace {

template <class First = bool, class Second = bool, class Third = bool, class Fourth = bool>
struct toy_flags {
  First first;
  Second second;
  Third third;
  Fourth fourth;
};

struct toy_rule {
  using value_type = float;
};

template <class Flag>
constexpr bool is_constant = std::is_same_v<Flag, std::true_type> || std::is_same_v<Flag, std::false_type>;

template <class View>
struct view_traits {
  static constexpr bool specialised = false;
};
template <class Rule, class Flags>
struct view_traits<specialised_rule<Rule, Flags>> {
  static constexpr bool specialised = true;
  using flags = Flags;
};

/// What a rule's specialize() handed the loop: whether it was specialised,
/// and whether every constant equals the flag the rule holds.
struct handed {
  int calls = 0;
  bool specialised = false;
  bool flags_match = false;
};

template <class A, class B>
bool same_flags(const A& a, const B& b) {
  if constexpr (requires { a.use_momentum; a.first_step; a.maximize; a.fused_tail; }) {  // heavy_ball
    return a.use_momentum == b.use_momentum && a.first_step == b.first_step && a.nesterov == b.nesterov &&
           a.maximize == b.maximize && a.use_weight_decay == b.use_weight_decay && a.fused_tail == b.fused_tail &&
           a.transform_gradient == b.transform_gradient;
  } else if constexpr (requires { a.amsgrad; }) {  // adam
    return a.maximize == b.maximize && a.coupled_decay == b.coupled_decay && a.decoupled_decay == b.decoupled_decay &&
           a.amsgrad == b.amsgrad && a.transform_gradient == b.transform_gradient && a.lerp == b.lerp &&
           a.fused_tail == b.fused_tail;
  } else if constexpr (requires { a.use_momentum; a.nesterov; }) {  // sutskever
    return a.use_momentum == b.use_momentum && a.nesterov == b.nesterov &&
           a.transform_gradient == b.transform_gradient;
  } else {  // ema
    return a.bias_correction == b.bias_correction && a.transform_gradient == b.transform_gradient;
  }
}

template <class Rule>
handed what_specialize_hands(const Rule& rule) {
  handed out;
  rule.specialize([&](const auto& view) {
    using traits = view_traits<std::remove_cvref_t<decltype(view)>>;
    ++out.calls;
    if constexpr (traits::specialised) {
      out.specialised = true;
      out.flags_match = same_flags(typename traits::flags{}, view.rule.runtime_flags());
    } else {
      static_assert(std::is_same_v<std::remove_cvref_t<decltype(view)>, Rule>);
      out.flags_match = true;  // the rule itself: it reads its own flags
    }
  });
  return out;
}

/// The gradient transforms a step policy can switch on, in every combination.
template <class T>
std::vector<detail::gradient_source<T>> every_gradient_source(const T* data) {
  std::vector<detail::gradient_source<T>> out;
  for (int mask = 0; mask < 8; ++mask) {
    detail::gradient_source<T> g{data};
    g.unscale = mask & 1;
    g.rescale = mask & 2;
    g.clamp = mask & 4;
    out.push_back(g);
  }
  return out;
}

}  // namespace

TEST_CASE("run_specialised turns each bool into its constant in place, and passes constants through",
          "[flags]") {
  using std::false_type;
  using std::true_type;
  for (int mask = 0; mask < 8; ++mask) {
    const bool first = mask & 1, second = mask & 2, fourth = mask & 4;
    int calls = 0;
    bool in_place = false;
    auto run = [&](const auto& view) {
      using flags = typename view_traits<std::remove_cvref_t<decltype(view)>>::flags;
      ++calls;
      const flags constants{};
      in_place = is_constant<decltype(flags::first)> && is_constant<decltype(flags::second)> &&
                 std::is_same_v<decltype(flags::third), false_type> && is_constant<decltype(flags::fourth)> &&
                 constants.first == first && constants.second == second && constants.fourth == fourth;
    };
    detail::run_specialised<toy_flags>(toy_rule{}, run, first, second, false_type{}, fourth);
    INFO("first " << first << " second " << second << " fourth " << fourth);
    REQUIRE(calls == 1);
    REQUIRE(in_place);
  }
  int calls = 0;
  auto all_fixed = [&](const auto& view) {
    ++calls;
    REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(view)>,
                           specialised_rule<toy_rule, toy_flags<true_type, false_type, true_type, true_type>>>);
  };
  detail::run_specialised<toy_flags>(toy_rule{}, all_fixed, true_type{}, false_type{}, true_type{}, true_type{});
  REQUIRE(calls == 1);
}

TEST_CASE("run_range_for specialises exactly the rules that offer specialize", "[flags]") {
  STATIC_REQUIRE(detail::specialisable<detail::heavy_ball_rule<float>>);
  STATIC_REQUIRE(detail::specialisable<detail::sutskever_rule<double>>);
  STATIC_REQUIRE(detail::specialisable<detail::ema_rule<float>>);
  STATIC_REQUIRE(detail::specialisable<detail::adam_rule<double>>);
  STATIC_REQUIRE_FALSE(detail::specialisable<detail::lookahead_rule<float>>);
}

TEST_CASE("heavy_ball hands its loop its own flags, as constants unless an option is rare", "[flags]") {
  const float grad[1] = {};
  for (const auto& g : every_gradient_source<float>(grad))
    for (bool use_momentum : {false, true})
      for (bool first_step : {false, true})
        for (bool nesterov : {false, true})
          for (bool maximize : {false, true})
            for (bool use_weight_decay : {false, true})
              for (bool fused_tail : {false, true}) {
                if (!use_momentum && (first_step || nesterov)) continue;  // options the entry points refuse
                detail::heavy_ball_rule<float> rule{};
                rule.grad = g;
                rule.use_momentum = use_momentum;
                rule.first_step = first_step;
                rule.nesterov = nesterov;
                rule.maximize = maximize;
                rule.use_weight_decay = use_weight_decay;
                rule.fused_tail = fused_tail;
                const handed h = what_specialize_hands(rule);
                INFO("momentum " << use_momentum << " first_step " << first_step << " nesterov " << nesterov
                                 << " maximize " << maximize << " weight_decay " << use_weight_decay << " fused_tail "
                                 << fused_tail << " transforms " << g.transforms());
                REQUIRE(h.calls == 1);
                REQUIRE(h.flags_match);
                const bool rare = first_step || maximize || fused_tail || g.transforms();
                REQUIRE(h.specialised == !rare);
              }
}

TEST_CASE("sutskever and ema hand their loops their own flags, as constants without gradient transforms",
          "[flags]") {
  const double grad[1] = {};
  for (const auto& g : every_gradient_source<double>(grad)) {
    for (bool use_momentum : {false, true})
      for (bool nesterov : {false, true}) {
        if (!use_momentum && nesterov) continue;  // nesterov means nothing without a velocity
        detail::sutskever_rule<double> rule{};
        rule.grad = g;
        rule.use_momentum = use_momentum;
        rule.nesterov = nesterov;
        const handed h = what_specialize_hands(rule);
        INFO("sutskever momentum " << use_momentum << " nesterov " << nesterov << " transforms " << g.transforms());
        REQUIRE(h.calls == 1);
        REQUIRE(h.flags_match);
        REQUIRE(h.specialised == !g.transforms());
      }
    for (bool bias_correction : {false, true}) {
      detail::ema_rule<double> rule{};
      rule.grad = g;
      rule.bias_correction = bias_correction;
      const handed h = what_specialize_hands(rule);
      INFO("ema bias_correction " << bias_correction << " transforms " << g.transforms());
      REQUIRE(h.calls == 1);
      REQUIRE(h.flags_match);
      REQUIRE(h.specialised == !g.transforms());
    }
  }
}

TEST_CASE("adam hands its loop its own flags, as constants unless maximize, amsgrad, a transform, torch 1.13's "
          "order or a fused tail is on",
          "[flags]") {
  const float grad[1] = {};
  for (const auto& g : every_gradient_source<float>(grad))
    for (bool maximize : {false, true})
      for (int decay = 0; decay < 3; ++decay)  // none, coupled (Adam), decoupled (AdamW)
        for (bool amsgrad : {false, true})
          for (int order = 0; order < 3; ++order) {  // torch 2.x, torch 1.13, torch 2.x with a fused tail
            detail::adam_rule<float> rule{};
            rule.grad = g;
            rule.maximize = maximize;
            rule.coupled_decay = decay == 1;
            rule.decoupled_decay = decay == 2;
            rule.amsgrad = amsgrad;
            rule.lerp = order != 1;
            rule.fused_tail = order == 2;
            const handed h = what_specialize_hands(rule);
            INFO("maximize " << maximize << " decay " << decay << " amsgrad " << amsgrad << " transforms "
                             << g.transforms() << " order " << order);
            REQUIRE(h.calls == 1);
            REQUIRE(h.flags_match);
            REQUIRE(h.specialised == !(maximize || amsgrad || g.transforms() || order != 0));
          }
}

namespace {

/// g' = clamp((g / s) * c), as the step policy defines it.
template <class T>
void transform_gradient(std::span<T> g, const step_policy& p) {
  for (T& x : g) {
    if (p.grad_scale != 1.0) x = x / T(p.grad_scale);
    if (p.clip_value > 0) x = x < T(-p.clip_value) ? T(-p.clip_value) : (x > T(p.clip_value) ? T(p.clip_value) : x);
  }
}

const std::vector<step_policy> transforming_policies = {
    {1024.0, false, 0.0, 0.0, false},  // unscale
    {1.0, false, 0.5, 0.0, false},     // clamp
    {65536.0, false, 1e-4, 0.0, false},  // both
};

}  // namespace

TEMPLATE_TEST_CASE("sutskever and ema under gradient transforms match the reference on every target", "[flags]",
                   float, double) {
  using T = TestType;
  for (std::size_t size : {std::size_t(33), std::size_t(1000)})
    for (const step_policy& p : transforming_policies) {
      for (const sutskever_options o : {sutskever_options{0.05, 0.0, false}, sutskever_options{0.05, 0.9, false},
                                        sutskever_options{0.05, 0.9, true}}) {
        auto initial = random_buffers<T>(3, size, 1, size + 11);
        auto expected = initial.clone();
        transform_gradient<T>(expected[1], p);
        reference::sutskever(expected[0].data(), expected[1].data(), expected[2].data(), size, o);
        std::copy(initial[1].begin(), initial[1].end(), expected[1].begin());  // the call leaves g as it was
        require_all_settings_match(
            initial, expected,
            [&](buffers<T>& b, const execution& e) {
              const velocity_tensor<T> tensors[1] = {{b[0], b[1], b[2]}};
              std::vector<sutskever_group<T>> groups = {{o, tensors, 0}};
              sutskever_step(std::span(groups), p, e);
            },
            "sutskever momentum " + std::to_string(o.momentum) + " nesterov " + std::to_string(o.nesterov) +
                " grad_scale " + std::to_string(p.grad_scale) + " clip_value " + std::to_string(p.clip_value));
      }
      for (bool bias_correction : {false, true}) {
        const ema_options o{0.05, 0.9, bias_correction};
        const std::int64_t steps_taken = 4;
        auto initial = random_buffers<T>(3, size, 1, size + 13);
        auto expected = initial.clone();
        transform_gradient<T>(expected[1], p);
        reference::ema(expected[0].data(), expected[1].data(), expected[2].data(), size, o, steps_taken + 1);
        std::copy(initial[1].begin(), initial[1].end(), expected[1].begin());
        require_all_settings_match(
            initial, expected,
            [&](buffers<T>& b, const execution& e) {
              const velocity_tensor<T> tensors[1] = {{b[0], b[1], b[2]}};
              std::vector<ema_group<T>> groups = {{o, tensors, steps_taken}};
              ema_step(std::span(groups), p, e);
            },
            "ema bias_correction " + std::to_string(bias_correction) + " grad_scale " + std::to_string(p.grad_scale) +
                " clip_value " + std::to_string(p.clip_value));
      }
    }
}
