#pragma once
// Signum, sign momentum (Bernstein, Wang, Azizzadenesheli, Anandkumar,
// "signSGD", ICML 2018):
//
//   m = beta * m + (1 - beta) * g
//   w = w - lr * sign(m)
//
// Operation order: m = (1 - beta) * g + beta * m with both products rounded,
// then added (Optax's update_moment, as in inertia::ema_step); then
// w = w + (-lr) * sign(m), where (-lr) * sign(m) is exact (+-lr, or +-0).
// sign is jnp.sign: +1 or -1, and m itself when m is +0, -0 or NaN (see
// inertia/lion.hpp). The momentum starts at zero; beta = 0 is signSGD.
//
// This is Lion with beta1 = beta2 = beta and no weight decay, and the library
// runs it as exactly that (lion_step gives the same bits). For Signum with
// decoupled weight decay (MXNet's wd_lh), call lion_step with beta1 = beta2.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"

namespace inertia {

struct signum_options {
  double lr = 0.01;     ///< >= 0, finite (MXNet's Signum default)
  double beta = 0.9;    ///< in [0, 1): the momentum's decay; 0 is signSGD
};

template <class T> using signum_tensor = velocity_tensor<T>;  ///< {param, grad, velocity = the momentum m}
template <class T> using signum_group = param_group<signum_options, signum_tensor<T>>;

/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
INERTIA_API step_report signum_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                             const signum_options& options, std::int64_t step, const step_policy& policy = {},
                             const execution& exec = {});
INERTIA_API step_report signum_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                             const signum_options& options, std::int64_t step, const step_policy& policy = {},
                             const execution& exec = {});
/// Every tensor of every group in one call (include/inertia/multi_tensor.hpp):
/// each group's `step` counts the steps it has taken, and this call takes
/// step t = group.step + 1 and then advances it.
INERTIA_API step_report signum_step(std::span<signum_group<float>> groups, const step_policy& policy = {},
                             const execution& exec = {});
INERTIA_API step_report signum_step(std::span<signum_group<double>> groups, const step_policy& policy = {},
                             const execution& exec = {});

}  // namespace inertia
