// qhm entry points: what a valid call is, and how options become a rule.
#include "variants/qhm.hpp"

#include "step_groups.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {

struct qhm_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::qhm_step";
  using options_type = qhm_options;

  static void check_options(const detail::argument_checks& check, const qhm_options& o) {
    check.at_least("lr", o.lr, 0.0);
    check.within("nu", o.nu, 0.0, 1.0);
    check.momentum("beta", o.beta);
    check.at_least("weight_decay", o.weight_decay, 0.0);
  }

  template <class T>
  static detail::qhm_rule<T> make_rule(const qhm_tensor<T>& t, const qhm_options& o, std::int64_t) {
    return detail::qhm_rule<T>::make(t.param.data(), t.grad.data(), t.velocity.data(), o);
  }
};

}  // namespace

void qhm_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
              const qhm_options& options, const execution& exec) {
  detail::step_one<qhm_variant>(qhm_tensor<float>{param, grad, velocity}, options, 0, exec);
}

void qhm_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
              const qhm_options& options, const execution& exec) {
  detail::step_one<qhm_variant>(qhm_tensor<double>{param, grad, velocity}, options, 0, exec);
}

void qhm_step(std::span<qhm_group<float>> groups, const execution& exec) { detail::step_groups<qhm_variant>(groups, exec); }

void qhm_step(std::span<qhm_group<double>> groups, const execution& exec) {
  detail::step_groups<qhm_variant>(groups, exec);
}

step_report qhm_step(std::span<qhm_group<float>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<qhm_variant>(groups, exec, policy);
}

step_report qhm_step(std::span<qhm_group<double>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<qhm_variant>(groups, exec, policy);
}

}  // namespace inertia
