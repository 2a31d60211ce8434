#pragma once
// Momentum as an exponential moving average of the gradient (Optax `ema`
// followed by `scale(-lr)`; Andrew Ng's "gradient descent with momentum").
//
//   v = beta * v + (1 - beta) * g
//   v_hat = bias_correction ? v / (1 - beta^step) : v
//   w = w - lr * v_hat
//
// Operation order follows Optax run eagerly (checked bit for bit against Optax
// 0.2.8 / jax 0.10.2, tests/data/ema_*.json): both products rounded, then
// added; the bias correction c = 1 - beta^step is computed in the element
// type from beta rounded to it (float: powf, as JAX does with x64 off), and
// v_hat = v * (1 / c) with the reciprocal rounded first (XLA turns division by
// a scalar into a reciprocal and a multiply); the update u = (-lr) * v_hat is
// rounded and then added to w (Optax's apply_updates). The stored velocity is
// never bias corrected. It starts at zero. (Optax under jax.jit also fuses
// multiply-adds; that differs by the measured bounds in
// tests/test_framework_golden.cpp.)
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

struct ema_options {
  double lr = 1e-3;              ///< >= 0, finite
  double beta = 0.9;             ///< in [0, 1)
  bool bias_correction = false;  ///< divide by 1 - beta^step (Adam's first-moment correction)
};

/// step: the 1-based count of this step; must be >= 1 when bias_correction is on.
/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
INERTIA_API step_report ema_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                                    const ema_options& options, std::int64_t step, const step_policy& policy = {},
                                    const execution& exec = {});
INERTIA_API step_report ema_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                                    const ema_options& options, std::int64_t step, const step_policy& policy = {},
                                    const execution& exec = {});

}  // namespace inertia
