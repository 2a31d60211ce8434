// qhm entry points: what a valid call is, and how options become a rule.
#include "variants/qhm.hpp"

#include "registry/optimizer.hpp"
#include "step_groups.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {
using namespace detail::option_builders;
using detail::value_range;

struct qhm_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::qhm_step";
  using options_type = qhm_options;

  static constexpr const char* name = "qhm";
  static constexpr std::array options{number<&qhm_options::lr>("lr", value_range::nonnegative),
                                      number<&qhm_options::nu>("nu", value_range::unit_closed),
                                      number<&qhm_options::beta>("beta", value_range::unit_open),
                                      number<&qhm_options::weight_decay>("weight_decay", value_range::nonnegative)};
  /// qhoptim's QHM keeps it as state["momentum_buffer"].
  static constexpr std::array state{detail::state_buffer<qhm_options>{"momentum_buffer", detail::always<qhm_options>}};

  static void check_options(const detail::argument_checks& check, const qhm_options& o) {
    detail::check_declared(check, options, o);
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

INERTIA_REGISTER_VARIANT(qhm, qhm_variant)
