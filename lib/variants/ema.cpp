// ema entry points: what a valid call is, and how options become a rule.
#include "variants/ema.hpp"

#include "inertia/multi_tensor.hpp"
#include "registry/optimizer.hpp"
#include "step_groups.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {
using namespace detail::option_builders;
using detail::value_range;

struct ema_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::ema_step";
  using options_type = ema_options;

  static constexpr const char* name = "ema";
  static constexpr std::array options{number<&ema_options::lr>("lr", value_range::nonnegative),
                                      number<&ema_options::beta>("beta", value_range::unit_open),
                                      flag<&ema_options::bias_correction>("bias_correction")};
  static constexpr std::array state{detail::state_buffer<ema_options>{"velocity", detail::always<ema_options>}};

  static void check_options(const detail::argument_checks& check, const ema_options& o) {
    detail::check_declared(check, options, o);
  }

  /// This step is number steps_taken + 1 (bias correction counts from 1).
  template <class T>
  static detail::ema_rule<T> make_rule(const velocity_tensor<T>& t, const ema_options& o, std::int64_t steps_taken) {
    return detail::ema_rule<T>::make(t.param.data(), t.grad.data(), t.velocity.data(), o, steps_taken + 1);
  }
};

template <class T>
void step(std::span<T> param, std::span<const T> grad, std::span<T> velocity, const ema_options& options,
          std::int64_t step_count, const execution& exec) {
  if (options.bias_correction && step_count < 1)
    detail::argument_checks(ema_variant::function)
        .fail(error_kind::hyperparameter, "step",
              "step = " + std::to_string(step_count) + " must be >= 1 with bias_correction (it counts from 1)");
  detail::step_one<ema_variant>(velocity_tensor<typename decltype(param)::element_type>{param, grad, velocity}, options, step_count - 1, exec);
}

}  // namespace

void ema_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
              const ema_options& options, std::int64_t step_count, const execution& exec) {
  step(param, grad, velocity, options, step_count, exec);
}

void ema_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
              const ema_options& options, std::int64_t step_count, const execution& exec) {
  step(param, grad, velocity, options, step_count, exec);
}

void ema_step(std::span<ema_group<float>> groups, const execution& exec) { detail::step_groups<ema_variant>(groups, exec); }

void ema_step(std::span<ema_group<double>> groups, const execution& exec) {
  detail::step_groups<ema_variant>(groups, exec);
}

step_report ema_step(std::span<ema_group<float>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<ema_variant>(groups, exec, policy);
}

step_report ema_step(std::span<ema_group<double>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<ema_variant>(groups, exec, policy);
}

}  // namespace inertia

INERTIA_REGISTER_VARIANT(ema, ema_variant)
