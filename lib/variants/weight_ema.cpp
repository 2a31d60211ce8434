// weight_ema entry points: what a valid call is, and how options become a rule.
#include "variants/weight_ema.hpp"

#include <vector>

#include "registry/optimizer.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

constexpr std::array<const char*, 2> rounding_names{"torch_lerp", "mul_add"};  // weight_ema_rounding's order

template <class T>
void update_groups(std::span<weight_ema_group<T>> groups, const execution& exec);

struct weight_ema_variant {
  static constexpr const char* function = "inertia::weight_ema_step";
  static constexpr const char* name = "weight_ema";
  using options_type = weight_ema_options;
  /// It reads the parameters, not a gradient: a step policy has nothing to act on.
  static constexpr bool takes_policy = false;
  static constexpr bool uses_grad = false;

  static constexpr std::array options{number<&weight_ema_options::decay>("decay", value_range::unit_closed),
                                      flag<&weight_ema_options::warmup>("warmup"),
                                      choice<&weight_ema_options::rounding>("rounding", rounding_names)};
  /// The generic call's param is the model's weights (read); the average is state.
  static constexpr std::array state{
      detail::state_buffer<weight_ema_options>{"average", detail::always<weight_ema_options>}};

  template <class T>
  using tensor_type = weight_ema_tensor<T>;
  template <class T>
  static weight_ema_tensor<T> tensor_of(std::span<T> param, std::span<const T>, std::span<const std::span<T>> state,
                                        std::vector<std::span<T>>&) {
    return {state[0], param};
  }
  static constexpr bool group_step_declared = true;
  /// t = steps_taken earlier updates of the average.
  template <class T>
  static step_report group_step(weight_ema_options& o, detail::no_scalars&,
                                std::span<const weight_ema_tensor<T>> tensors, std::int64_t steps_taken,
                                const step_policy*, const execution& exec) {
    weight_ema_group<T> group{o, tensors, steps_taken};
    update_groups(std::span(&group, 1), exec);
    return {};
  }

  static void check_options(const detail::argument_checks& check, const weight_ema_options& o) {
    detail::check_declared(check, options, o);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const weight_ema_tensor<T>& t,
                           const weight_ema_options&) {
    check.same_length("param", t.param.size(), "average", t.average.size());
    check.disjoint("average", t.average, "param", t.param);
  }

  template <class T, class Visit>
  static void for_each_buffer(const weight_ema_tensor<T>& t, Visit visit) {
    visit("average", t.average);
    visit("param", t.param);
  }

  template <class T>
  static detail::weight_ema_rule<T> make_rule(const weight_ema_tensor<T>& t, const weight_ema_options& o,
                                              std::int64_t updates) {
    return detail::weight_ema_rule<T>::make(t.average.data(), t.param.data(), o, updates);
  }
};

template <class T>
void update(std::span<T> average, std::span<const T> param, const weight_ema_options& options, std::int64_t updates,
            const execution& exec) {
  if (updates < 0)
    detail::argument_checks(weight_ema_variant::function)
        .fail(error_kind::hyperparameter, "updates",
              "updates = " + std::to_string(updates) + " must be >= 0 (the earlier updates of this average)");
  detail::step_one<weight_ema_variant>(weight_ema_tensor<T>{average, param}, options, updates, exec);
}

/// detail::step_groups without its step policy, which is about gradients:
/// the same checks, one driver call, then every group's count advances.
template <class T>
void update_groups(std::span<weight_ema_group<T>> groups, const execution& exec) {
  std::vector<detail::weight_ema_rule<T>> rules;
  std::vector<std::size_t> starts{0};
  detail::check_groups<weight_ema_variant>(groups, [&](const weight_ema_group<T>& group, const weight_ema_tensor<T>& t) {
    rules.push_back(weight_ema_variant::make_rule(t, group.options, group.step));
    starts.push_back(starts.back() + t.param.size());
  });
  detail::run_tensors(std::span<const detail::weight_ema_rule<T>>(rules), std::span<const std::size_t>(starts), exec);
  for (weight_ema_group<T>& group : groups) ++group.step;
}

}  // namespace

void weight_ema_step(std::span<float> average, std::span<const float> param, const weight_ema_options& options,
                     std::int64_t updates, const execution& exec) {
  update(average, param, options, updates, exec);
}

void weight_ema_step(std::span<double> average, std::span<const double> param, const weight_ema_options& options,
                     std::int64_t updates, const execution& exec) {
  update(average, param, options, updates, exec);
}

void weight_ema_step(std::span<weight_ema_group<float>> groups, const execution& exec) { update_groups(groups, exec); }

void weight_ema_step(std::span<weight_ema_group<double>> groups, const execution& exec) { update_groups(groups, exec); }

}  // namespace inertia

INERTIA_REGISTER_VARIANT(weight_ema, weight_ema_variant)
