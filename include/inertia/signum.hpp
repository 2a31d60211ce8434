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

INERTIA_API void signum_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                             const signum_options& options, const execution& exec = {});
INERTIA_API void signum_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                             const signum_options& options, const execution& exec = {});
INERTIA_API void signum_step(std::span<signum_group<float>> groups, const execution& exec = {});
INERTIA_API void signum_step(std::span<signum_group<double>> groups, const execution& exec = {});
/// Under a step_policy (loss scaling, non-finite skip, clipping, denormals: step_policy.hpp).
INERTIA_API step_report signum_step(std::span<signum_group<float>> groups, const step_policy& policy,
                                const execution& exec = {});
INERTIA_API step_report signum_step(std::span<signum_group<double>> groups, const step_policy& policy,
                                const execution& exec = {});

}  // namespace inertia
