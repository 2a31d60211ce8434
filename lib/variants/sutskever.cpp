#include "variants/sutskever.hpp"

#include "driver.hpp"
#include "validate.hpp"

namespace inertia {
namespace {

template <class T>
void step(std::span<T> param, std::span<const T> grad, std::span<T> velocity, const sutskever_options& options,
          const execution& exec) {
  const detail::argument_checks check("inertia::sutskever_step");
  check.at_least("lr", options.lr, 0.0);
  check.momentum("momentum", options.momentum);
  if (options.nesterov && options.momentum <= 0.0)
    check.fail(error_kind::hyperparameter, "nesterov", "nesterov requires momentum > 0");
  check.same_length("grad", grad.size(), "param", param.size());
  check.disjoint("param", param, "grad", grad);
  if (options.momentum != 0.0) {
    check.same_length("velocity", velocity.size(), "param", param.size());
    check.disjoint("velocity", velocity, "param", param);
    check.disjoint("velocity", velocity, "grad", grad);
  }
  detail::run(detail::sutskever_rule<T>::make(param.data(), grad.data(), velocity.data(), options), param.size(), exec);
}

}  // namespace

void sutskever_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                    const sutskever_options& options, const execution& exec) {
  step(param, grad, velocity, options, exec);
}

void sutskever_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                    const sutskever_options& options, const execution& exec) {
  step(param, grad, velocity, options, exec);
}

}  // namespace inertia
