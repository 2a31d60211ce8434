#include "variants/ema.hpp"

#include "driver.hpp"
#include "validate.hpp"

namespace inertia {
namespace {

template <class T>
void step(std::span<T> param, std::span<const T> grad, std::span<T> velocity, const ema_options& options,
          std::int64_t step_count, const execution& exec) {
  const detail::argument_checks check("inertia::ema_step");
  check.at_least("lr", options.lr, 0.0);
  check.momentum("beta", options.beta);
  if (options.bias_correction && step_count < 1)
    check.fail(error_kind::hyperparameter, "step",
               "step = " + std::to_string(step_count) + " must be >= 1 with bias_correction (it counts from 1)");
  check.same_length("grad", grad.size(), "param", param.size());
  check.same_length("velocity", velocity.size(), "param", param.size());
  check.disjoint("param", param, "grad", grad);
  check.disjoint("velocity", velocity, "param", param);
  check.disjoint("velocity", velocity, "grad", grad);
  detail::run(detail::ema_rule<T>::make(param.data(), grad.data(), velocity.data(), options, step_count), param.size(),
              exec);
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

}  // namespace inertia
