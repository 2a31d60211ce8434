#pragma once
// Lion, evoLved sIgn mOmeNtum (Chen et al., "Symbolic Discovery of
// Optimization Algorithms", 2023), as Optax's `lion` computes it:
//
//   c = beta1 * m + (1 - beta1) * g
//   w = w - lr * (sign(c) + weight_decay * w)     (decoupled decay, scaled by lr)
//   m = beta2 * m + (1 - beta2) * g               (from the old m)
//
// Operation order is Optax's chain scale_by_lion, add_decayed_weights,
// scale_by_learning_rate, apply_updates, op by op (as JAX runs it eagerly):
// every product is rounded, then added, no fused multiply-add:
//   c = (1 - beta1) * g + beta1 * m
//   u = sign(c) + weight_decay * w                (skipped when weight_decay == 0, as Optax does)
//   w = w + (-lr) * u
//   m = (1 - beta2) * g + beta2 * m
// with the coefficients formed in double and rounded to the element type
// once. (Under jax.jit, XLA may contract these into FMAs; that changes the
// last bits of w and m, and of sign(c) only where c rounds to or across 0.)
//
// sign is jnp.sign (StableHLO `sign`): +1 or -1, and c itself when c is +0,
// -0 or NaN. So a NaN in g or m gives NaN in w and m, and where c is an
// exact zero only the decay moves w. (torch.sign differs: it maps NaN to 0.)
// The momentum m starts at zero. With beta1 == beta2 and weight_decay == 0
// this is Signum (inertia/signum.hpp), bit for bit.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"

namespace inertia {

struct lion_options {
  double lr = 1e-4;             ///< >= 0, finite (the paper: 3-10x smaller than AdamW's)
  double beta1 = 0.9;           ///< in [0, 1): interpolation for the update's direction
  double beta2 = 0.99;          ///< in [0, 1): the momentum's decay
  double weight_decay = 1e-3;   ///< >= 0, finite; decoupled, scaled by lr (Optax's default)
};

template <class T> using lion_tensor = velocity_tensor<T>;  ///< {param, grad, velocity = the momentum m}
template <class T> using lion_group = param_group<lion_options, lion_tensor<T>>;

/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
INERTIA_API step_report lion_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                             const lion_options& options, std::int64_t step, const step_policy& policy = {},
                             const execution& exec = {});
INERTIA_API step_report lion_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                             const lion_options& options, std::int64_t step, const step_policy& policy = {},
                             const execution& exec = {});
/// Every tensor of every group in one call (include/inertia/multi_tensor.hpp):
/// each group's `step` counts the steps it has taken, and this call takes
/// step t = group.step + 1 and then advances it.
INERTIA_API step_report lion_step(std::span<lion_group<float>> groups, const step_policy& policy = {},
                             const execution& exec = {});
INERTIA_API step_report lion_step(std::span<lion_group<double>> groups, const step_policy& policy = {},
                             const execution& exec = {});

}  // namespace inertia
