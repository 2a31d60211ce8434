// adam and nadam entry points: what a valid call is, and how options become a rule.
#include "variants/adam.hpp"

#include <array>
#include <string>
#include <vector>

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

constexpr std::array<const char*, 2> beta_names{"beta1", "beta2"};
constexpr const char* eps_reason = "it keeps the denominator from 0";
/// adam_numerics' and nadam_numerics' orders.
constexpr std::array<const char*, 4> adam_numerics_names{"pytorch_loop", "pytorch_foreach", "pytorch_fused",
                                                         "pytorch_1_13"};
constexpr std::array<const char*, 3> nadam_numerics_names{"pytorch_loop", "pytorch_foreach", "pytorch_1_13"};

/// The hyperparameters Adam and NAdam share, in torch's order (eps > 0 here).
template <class Options>
constexpr auto shared_options() {
  return std::array{number<&Options::lr>("lr", value_range::nonnegative),
                    pair<&Options::beta1, &Options::beta2>("betas", beta_names, value_range::unit_open),
                    number<&Options::eps>("eps", value_range::positive, eps_reason),
                    number<&Options::weight_decay>("weight_decay", value_range::nonnegative)};
}

template <class Options, std::size_t N, std::size_t M>
constexpr std::array<detail::option<Options>, N + M> join(const std::array<detail::option<Options>, N>& a,
                                                         const std::array<detail::option<Options>, M>& b) {
  std::array<detail::option<Options>, N + M> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = a[i];
  for (std::size_t i = 0; i < M; ++i) out[N + i] = b[i];
  return out;
}

/// Adam's moments, and the running max with amsgrad: torch's state names.
constexpr std::array adam_state{
    detail::state_buffer<adam_options>{"exp_avg", detail::always<adam_options>},
    detail::state_buffer<adam_options>{"exp_avg_sq", detail::always<adam_options>},
    detail::state_buffer<adam_options>{"max_exp_avg_sq", [](const adam_options& o) { return o.amsgrad; }}};

/// The family's tensor from the generic call's pieces.
template <class T>
adam_tensor<T> moments_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state) {
  return {param, grad, state[0], state[1], state.size() > 2 ? state[2] : std::span<T>()};
}

/// param, grad and the two moments: the buffers of every member of the family.
template <class T, class Visit>
void visit_moment_buffers(const adam_tensor<T>& t, Visit& visit) {
  visit("param", t.param);
  visit("grad", t.grad);
  visit("exp_avg", t.exp_avg);
  visit("exp_avg_sq", t.exp_avg_sq);
}

template <class T>
void check_moment_lengths(const detail::argument_checks& check, const adam_tensor<T>& t) {
  check.same_length("grad", t.grad.size(), "param", t.param.size());
  check.same_length("exp_avg", t.exp_avg.size(), "param", t.param.size());
  check.same_length("exp_avg_sq", t.exp_avg_sq.size(), "param", t.param.size());
}

struct adam_variant {
  static constexpr const char* function = "inertia::adam_step";
  static constexpr const char* name = "adam";
  using options_type = adam_options;
  static constexpr bool takes_policy = true;

  static constexpr auto options = join(shared_options<adam_options>(),
                                       std::array{flag<&adam_options::amsgrad>("amsgrad"),
                                                  flag<&adam_options::maximize>("maximize"),
                                                  flag<&adam_options::decoupled_weight_decay>("decoupled_weight_decay"),
                                                  choice<&adam_options::numerics>("numerics", adam_numerics_names)});
  static constexpr auto state = adam_state;

  template <class T>
  using tensor_type = adam_tensor<T>;
  template <class T>
  static adam_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state,
                                  std::vector<std::span<T>>&) {
    return moments_of(param, grad, state);
  }

  static void check_options(const detail::argument_checks& check, const adam_options& o) {
    detail::check_declared<options>(check, o);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const adam_tensor<T>& t, const adam_options& o) {
    check_moment_lengths(check, t);
    if (o.amsgrad) check.same_length("max_exp_avg_sq", t.max_exp_avg_sq.size(), "param", t.param.size());
    detail::require_pairwise_disjoint<5>(check, [&](auto visit) { for_each_buffer(t, visit); });
  }

  template <class T, class Visit>
  static void for_each_buffer(const adam_tensor<T>& t, Visit visit) {
    visit_moment_buffers(t, visit);
    visit("max_exp_avg_sq", t.max_exp_avg_sq);
  }

  /// This step is number steps_taken + 1 (bias corrections count from 1).
  template <class T>
  static detail::adam_rule<T> make_rule(const adam_tensor<T>& t, const adam_options& o, std::int64_t steps_taken) {
    return detail::adam_rule<T>::make(t, o, steps_taken + 1);
  }

  /// Fused mixed storage (registry/fused_storage.hpp): float32 params and
  /// grads with bf16 moments, 20 bytes per element instead of 28, to nearest
  /// even or stochastically; and all-bf16 with stochastic rounding.
  static constexpr bool fuses(detail::fused_mode mode) {
    return mode == detail::fused_mode::bf16_moments || mode == detail::fused_mode::bf16_moments_stochastic ||
           mode == detail::fused_mode::bf16_stochastic;
  }
  template <detail::fused_mode Mode>
  static auto make_fused_rule(const inertia_tensor& t, void*, const adam_options& o, std::int64_t steps_taken,
                              const inertia_storage& storage) {
    const std::int64_t step = steps_taken + 1;
    // State j is stream 1 + j, as in the staged path.
    const auto stochastic = [&](void* values, std::uint32_t stream) {
      return detail::stochastic_bfloat16_buffer(values, storage, step, stream);
    };
    if constexpr (Mode == detail::fused_mode::bf16_moments) {
      const auto state = [&](std::size_t j) { return static_cast<bfloat16*>(t.state[j]); };
      return detail::adam_bf16_moments_rule::make(static_cast<float*>(t.param), static_cast<const float*>(t.grad),
                                                  state(0), state(1), o.amsgrad ? state(2) : nullptr, t.size, o, step);
    } else if constexpr (Mode == detail::fused_mode::bf16_moments_stochastic) {
      return detail::adam_bf16_moments_stochastic_rule::make(
          static_cast<float*>(t.param), static_cast<const float*>(t.grad), stochastic(t.state[0], 1),
          stochastic(t.state[1], 2), stochastic(o.amsgrad ? t.state[2] : nullptr, 3), t.size, o, step);
    } else {
      return detail::adam_bf16_stochastic_rule::make(stochastic(t.param, 0), static_cast<const bfloat16*>(t.grad),
                                                     stochastic(t.state[0], 1), stochastic(t.state[1], 2),
                                                     stochastic(o.amsgrad ? t.state[2] : nullptr, 3), t.size, o, step);
    }
  }
};

/// torch.optim.AdamW: Adam with decoupled weight decay, 1e-2 by default.
struct adamw_variant : adam_variant {
  static constexpr const char* name = "adamw";
  static constexpr auto options = join(shared_options<adam_options>(),
                                       std::array{flag<&adam_options::amsgrad>("amsgrad"),
                                                  flag<&adam_options::maximize>("maximize"),
                                                  choice<&adam_options::numerics>("numerics", adam_numerics_names)});
  static adam_options defaults() {
    adam_options o;
    o.weight_decay = 1e-2;
    o.decoupled_weight_decay = true;
    return o;
  }
};

/// A NAdam group's options as the shared group logic sees them: the options
/// and the group's mu_product before this step.
struct nadam_call_options {
  nadam_options options;
  float mu_product;
};

struct nadam_variant {
  static constexpr const char* function = "inertia::nadam_step";
  using options_type = nadam_call_options;

  static constexpr auto options =
      join(shared_options<nadam_options>(),
           std::array{number<&nadam_options::momentum_decay>("momentum_decay", value_range::nonnegative),
                      flag<&nadam_options::decoupled_weight_decay>("decoupled_weight_decay"),
                      flag<&nadam_options::maximize>("maximize"),
                      choice<&nadam_options::numerics>("numerics", nadam_numerics_names)});

  static void check_options(const detail::argument_checks& check, const nadam_call_options& c) {
    detail::check_declared(check, options, c.options);
    if (c.options.numerics == nadam_numerics::pytorch_1_13) {  // torch 1.13's NAdam has neither
      if (c.options.maximize)
        check.fail(error_kind::hyperparameter, "maximize", "torch 1.13's NAdam has no maximize (numerics pytorch_1_13)");
      if (c.options.decoupled_weight_decay)
        check.fail(error_kind::hyperparameter, "decoupled_weight_decay",
                   "torch 1.13's NAdam has no decoupled_weight_decay (numerics pytorch_1_13)");
    }
    check.within("mu_product", c.mu_product, 0.0, 1.0);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const adam_tensor<T>& t, const nadam_call_options&) {
    check_moment_lengths(check, t);
    detail::require_pairwise_disjoint<5>(check, [&](auto visit) { for_each_buffer(t, visit); });
  }

  template <class T, class Visit>
  static void for_each_buffer(const adam_tensor<T>& t, Visit visit) {
    visit_moment_buffers(t, visit);  // max_exp_avg_sq is not NAdam's
  }

  template <class T>
  static detail::nadam_rule<T> make_rule(const adam_tensor<T>& t, const nadam_call_options& c,
                                         std::int64_t steps_taken) {
    const std::int64_t step = steps_taken + 1;
    return detail::nadam_rule<T>::make(t, c.options, step, detail::nadam_schedule::at(c.options, step, c.mu_product));
  }
};

template <class T>
step_report nadam_groups(std::span<nadam_group<T>> groups, const step_policy& policy, const execution& exec) {
  std::vector<param_group<nadam_call_options, adam_tensor<T>>> calls;
  calls.reserve(groups.size());
  for (const nadam_group<T>& g : groups) calls.push_back({{g.options, g.mu_product}, g.tensors, g.step});
  const step_report report = detail::step_groups<nadam_variant>(std::span(calls), exec, policy);
  if (report.skipped) return report;  // nothing written, nothing advanced
  for (std::size_t k = 0; k < groups.size(); ++k) {
    groups[k].mu_product = detail::nadam_schedule::at(groups[k].options, calls[k].step, groups[k].mu_product).mu_product;
    groups[k].step = calls[k].step;
  }
  return report;
}

/// One tensor: a group of one, whose mu_product is the caller's.
template <class T>
step_report nadam_one(const adam_tensor<T>& tensor, const nadam_options& options, std::int64_t step,
                      float& mu_product, const step_policy& policy, const execution& exec) {
  detail::check_step(nadam_variant::function, step);
  nadam_group<T> group{options, std::span<const adam_tensor<T>>(&tensor, 1), step - 1, mu_product};
  const step_report report = nadam_groups(std::span(&group, 1), policy, exec);
  mu_product = group.mu_product;
  return report;
}

}  // namespace

INERTIA_TENSOR_ENTRY_POINTS(adam_step, adam_options, adam_tensor, adam_variant)
INERTIA_GROUP_ENTRY_POINTS(adam_step, adam_group, adam_variant)

step_report nadam_step(const adam_tensor<float>& tensor, const nadam_options& options, std::int64_t step,
                       float& mu_product, const step_policy& policy, const execution& exec) {
  return nadam_one(tensor, options, step, mu_product, policy, exec);
}

step_report nadam_step(const adam_tensor<double>& tensor, const nadam_options& options, std::int64_t step,
                       float& mu_product, const step_policy& policy, const execution& exec) {
  return nadam_one(tensor, options, step, mu_product, policy, exec);
}

step_report nadam_step(std::span<nadam_group<float>> groups, const step_policy& policy, const execution& exec) {
  return nadam_groups(groups, policy, exec);
}

step_report nadam_step(std::span<nadam_group<double>> groups, const step_policy& policy, const execution& exec) {
  return nadam_groups(groups, policy, exec);
}

}  // namespace inertia

namespace inertia {
namespace {

/// NAdam in the registry: its options are nadam_options, and the group's
/// mu_product is scalar state, as torch's state["mu_product"].
struct nadam_descriptor {
  static constexpr const char* name = "nadam";
  using options_type = nadam_options;
  static constexpr bool takes_policy = true;
  static constexpr auto options = nadam_variant::options;
  static constexpr std::array state{detail::state_buffer<nadam_options>{"exp_avg", detail::always<nadam_options>},
                                    detail::state_buffer<nadam_options>{"exp_avg_sq", detail::always<nadam_options>}};

  struct scalars_type {
    float mu_product = 1.0f;
  };
  static constexpr std::array scalar_state{number<&scalars_type::mu_product>("mu_product", value_range::unit_closed)};

  template <class T>
  using tensor_type = adam_tensor<T>;
  template <class T>
  static adam_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state,
                                  std::vector<std::span<T>>&) {
    return moments_of(param, grad, state);
  }

  static constexpr bool group_step_declared = true;
  /// mu_product advances only when the step is taken.
  template <class T>
  static step_report group_step(nadam_options& o, scalars_type& scalars, std::span<const adam_tensor<T>> tensors,
                                std::int64_t steps_taken, const step_policy* policy, const execution& exec) {
    nadam_group<T> group{o, tensors, steps_taken, scalars.mu_product};
    const step_report report = nadam_groups(std::span(&group, 1), policy != nullptr ? *policy : step_policy{}, exec);
    scalars.mu_product = group.mu_product;
    return report;
  }
};

}  // namespace
}  // namespace inertia

INERTIA_REGISTER_VARIANT(adam, adam_variant)
INERTIA_REGISTER_VARIANT(adamw, adamw_variant)
INERTIA_REGISTER_VARIANT(nadam, nadam_descriptor)
