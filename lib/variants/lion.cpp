// lion entry points: what a valid call is, and how options become a rule.
#include "variants/lion.hpp"

#include "step_groups.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {

struct lion_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::lion_step";
  using options_type = lion_options;

  static void check_options(const detail::argument_checks& check, const lion_options& o) {
    check.at_least("lr", o.lr, 0.0);
    check.momentum("beta1", o.beta1);
    check.momentum("beta2", o.beta2);
    check.at_least("weight_decay", o.weight_decay, 0.0);
  }

  template <class T>
  static detail::lion_rule<T> make_rule(const lion_tensor<T>& t, const lion_options& o, std::int64_t) {
    return detail::lion_rule<T>::make(t.param.data(), t.grad.data(), t.velocity.data(), o);
  }
};

}  // namespace

void lion_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
               const lion_options& options, const execution& exec) {
  detail::step_one<lion_variant>(lion_tensor<float>{param, grad, velocity}, options, 0, exec);
}

void lion_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
               const lion_options& options, const execution& exec) {
  detail::step_one<lion_variant>(lion_tensor<double>{param, grad, velocity}, options, 0, exec);
}

void lion_step(std::span<lion_group<float>> groups, const execution& exec) {
  detail::step_groups<lion_variant>(groups, exec);
}

void lion_step(std::span<lion_group<double>> groups, const execution& exec) {
  detail::step_groups<lion_variant>(groups, exec);
}

step_report lion_step(std::span<lion_group<float>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<lion_variant>(groups, exec, policy);
}

step_report lion_step(std::span<lion_group<double>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<lion_variant>(groups, exec, policy);
}

}  // namespace inertia
