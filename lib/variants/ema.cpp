// ema entry points: what a valid call is, and how options become a rule.
#include "variants/ema.hpp"

#include "inertia/multi_tensor.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

struct ema_variant {
  static constexpr const char* function = "inertia::ema_step";
  static constexpr const char* state_name = "velocity";
  using options_type = ema_options;
  template <class T> using rule = detail::ema_rule<T>;

  static void check_options(const detail::argument_checks& check, const ema_options& o) {
    check.at_least("lr", o.lr, 0.0);
    check.momentum("beta", o.beta);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, std::span<T> param, std::span<const T> grad,
                           std::span<T> velocity, const ema_options&) {
    check.same_length("grad", grad.size(), "param", param.size());
    check.same_length("velocity", velocity.size(), "param", param.size());
    check.disjoint("param", param, "grad", grad);
    check.disjoint("velocity", velocity, "param", param);
    check.disjoint("velocity", velocity, "grad", grad);
  }

  /// This step is number steps_taken + 1 (bias correction counts from 1).
  template <class T>
  static rule<T> make_rule(std::span<T> param, std::span<const T> grad, std::span<T> velocity, const ema_options& o,
                           std::int64_t steps_taken) {
    return rule<T>::make(param.data(), grad.data(), velocity.data(), o, steps_taken + 1);
  }

  template <class T>
  static std::span<T> state_of(const velocity_tensor<T>& tensor) {
    return tensor.velocity;
  }
};

template <class T>
void step(std::span<T> param, std::span<const T> grad, std::span<T> velocity, const ema_options& options,
          std::int64_t step_count, const execution& exec) {
  if (options.bias_correction && step_count < 1)
    detail::argument_checks(ema_variant::function)
        .fail(error_kind::hyperparameter, "step",
              "step = " + std::to_string(step_count) + " must be >= 1 with bias_correction (it counts from 1)");
  detail::step_one<ema_variant>(param, grad, velocity, options, step_count - 1, exec);
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

}  // namespace inertia
