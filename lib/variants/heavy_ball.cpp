#include "variants/heavy_ball.hpp"

#include "driver.hpp"
#include "validate.hpp"

namespace inertia {
namespace {

template <class T>
void step(std::span<T> param, std::span<const T> grad, std::span<T> momentum_buffer,
          const heavy_ball_options& options, bool first_step, const execution& exec) {
  const detail::argument_checks check("inertia::heavy_ball_step");
  check.at_least("lr", options.lr, 0.0);
  check.momentum("momentum", options.momentum);
  check.within("dampening", options.dampening, 0.0, 1.0);
  check.at_least("weight_decay", options.weight_decay, 0.0);
  if (options.nesterov && (options.momentum <= 0.0 || options.dampening != 0.0))
    check.fail(error_kind::hyperparameter, "nesterov", "nesterov requires momentum > 0 and dampening == 0");
  check.same_length("grad", grad.size(), "param", param.size());
  check.disjoint("param", param, "grad", grad);
  if (options.momentum != 0.0) {
    check.same_length("momentum_buffer", momentum_buffer.size(), "param", param.size());
    check.disjoint("momentum_buffer", momentum_buffer, "param", param);
    check.disjoint("momentum_buffer", momentum_buffer, "grad", grad);
  }
  detail::run(detail::heavy_ball_rule<T>::make(param.data(), grad.data(), momentum_buffer.data(), param.size(),
                                                     options, first_step),
              param.size(), exec);
}

}  // namespace

void heavy_ball_step(std::span<float> param, std::span<const float> grad, std::span<float> momentum_buffer,
                     const heavy_ball_options& options, bool first_step, const execution& exec) {
  step(param, grad, momentum_buffer, options, first_step, exec);
}

void heavy_ball_step(std::span<double> param, std::span<const double> grad, std::span<double> momentum_buffer,
                     const heavy_ball_options& options, bool first_step, const execution& exec) {
  step(param, grad, momentum_buffer, options, first_step, exec);
}

}  // namespace inertia
