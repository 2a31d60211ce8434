// sutskever entry points: what a valid call is, and how options become a rule.
#include "variants/sutskever.hpp"

#include "inertia/multi_tensor.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

struct sutskever_variant {
  static constexpr const char* function = "inertia::sutskever_step";
  static constexpr const char* state_name = "velocity";
  using options_type = sutskever_options;
  template <class T> using rule = detail::sutskever_rule<T>;

  static void check_options(const detail::argument_checks& check, const sutskever_options& o) {
    check.at_least("lr", o.lr, 0.0);
    check.momentum("momentum", o.momentum);
    if (o.nesterov && o.momentum <= 0.0)
      check.fail(error_kind::hyperparameter, "nesterov", "nesterov requires momentum > 0");
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, std::span<T> param, std::span<const T> grad,
                           std::span<T> velocity, const sutskever_options& o) {
    check.same_length("grad", grad.size(), "param", param.size());
    check.disjoint("param", param, "grad", grad);
    if (o.momentum == 0.0) return;  // Keras keeps no velocity without momentum
    check.same_length("velocity", velocity.size(), "param", param.size());
    check.disjoint("velocity", velocity, "param", param);
    check.disjoint("velocity", velocity, "grad", grad);
  }

  template <class T>
  static rule<T> make_rule(std::span<T> param, std::span<const T> grad, std::span<T> velocity,
                           const sutskever_options& o, std::int64_t) {
    return rule<T>::make(param.data(), grad.data(), o.momentum == 0.0 ? nullptr : velocity.data(), o);
  }

  template <class T>
  static std::span<T> state_of(const velocity_tensor<T>& tensor) {
    return tensor.velocity;
  }
};

}  // namespace

void sutskever_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                    const sutskever_options& options, const execution& exec) {
  detail::step_one<sutskever_variant>(param, grad, velocity, options, 0, exec);
}

void sutskever_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                    const sutskever_options& options, const execution& exec) {
  detail::step_one<sutskever_variant>(param, grad, velocity, options, 0, exec);
}

void sutskever_step(std::span<sutskever_group<float>> groups, const execution& exec) {
  detail::step_groups<sutskever_variant>(groups, exec);
}

void sutskever_step(std::span<sutskever_group<double>> groups, const execution& exec) {
  detail::step_groups<sutskever_variant>(groups, exec);
}

}  // namespace inertia
