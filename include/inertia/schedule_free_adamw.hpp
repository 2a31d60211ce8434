#pragma once
// Schedule-Free AdamW with the semantics of schedulefree's AdamWScheduleFree
// (PyPI `schedulefree`, 1.4.1, foreach and loop paths: one order). The
// schedule (lr_t, ckp1, alpha with beta = betas[0]), the group's scalar state
// and the eval/train swap: include/inertia/schedule_free.hpp. Per element, with
// y the parameter, step t = 1, 2, ..., k = t - 1:
//
//   v  = beta2 * v + (1 - beta2) * g * g                        state["exp_avg_sq"]
//   gn = g / (sqrt(v / (1 - beta2 ** (k + 1))) + eps)
//   gn = gn + weight_decay * y                  (when weight_decay != 0; at y, after normalising)
//   y  = (1 - ckp1) * y + ckp1 * z
//   y  = y + alpha * gn                         alpha = lr_t * (beta1 * (1 - ckp1) - 1)
//   z  = z - lr_t * gn
//
// There is no first moment: beta1 enters only through alpha and the swap.
// z starts as a copy of the parameters, exp_avg_sq at 0. Bit-identical to
// schedulefree on torch 2.15 (with IEEE sqrt: torch's x86-64 wheels take
// sqrt_() from MKL, within 1 ULP but not correctly rounded, see adam.hpp) and
// on torch 1.13, float32 and float64 (scripts/golden_schedule_free.py,
// tests/test_schedule_free.cpp). T is the element type, r() rounds to T; the
// scalars are Python floats (double), each rounded once:
//   v  = fma(r(1 - beta2) * g, g, v * r(beta2))   exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2)
//   d  = sqrt(v / r(bias_correction2)) + r(eps)   exp_avg_sq.div(bc2).sqrt_().add_(eps)
//   gn = g / d                                    grad.div_(denom)
//   gn = fma(r(weight_decay), y, gn)              grad.add_(y, alpha=weight_decay)
//   y  = |r(ckp1)| < 0.5 ? fma(r(ckp1), z - y, y) : fma(r(ckp1) - 1, z - y, z)
//   y  = fma(r(alpha), gn, y)
//   z  = fma(r(-lr_t), gn, z)
// Memory traffic per element: reads y, g, z, v and writes y, z, v (7
// elements); two divisions and a square root per element.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/schedule_free.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

/// schedulefree.AdamWScheduleFree's constructor arguments and defaults.
struct schedule_free_adamw_options {
  double lr = 0.0025;            ///< >= 0, finite
  double beta1 = 0.9;            ///< betas[0], in (0, 1): the interpolation weight
  double beta2 = 0.999;          ///< betas[1], in [0, 1)
  double eps = 1e-8;             ///< > 0, finite
  double weight_decay = 0.0;     ///< >= 0, finite; at y, added to the normalised gradient
  double warmup_steps = 0.0;     ///< >= 0, finite (schedulefree takes an int; any number works as its Python does)
  double r = 0.0;                ///< finite
  double weight_lr_power = 2.0;  ///< finite
};

/// One parameter tensor (y) and its state["z"], state["exp_avg_sq"].
template <class T>
struct schedule_free_adamw_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> z;
  std::span<T> exp_avg_sq;
};

template <class T>
struct schedule_free_adamw_group {
  schedule_free_adamw_options options;
  std::span<const schedule_free_adamw_tensor<T>> tensors;
  std::int64_t step = 0;          ///< steps taken so far (group['k']); incremented by each successful call
  schedule_free_scalars scalars;  ///< lr_max, weight_sum; advanced by each successful call
};

/// One step of one tensor; as schedule_free_sgd_step.
INERTIA_API step_report schedule_free_adamw_step(const schedule_free_adamw_tensor<float>& tensor,
                                                 const schedule_free_adamw_options& options, std::int64_t step,
                                                 schedule_free_scalars& scalars, const step_policy& policy = {},
                                                 const execution& exec = {});
INERTIA_API step_report schedule_free_adamw_step(const schedule_free_adamw_tensor<double>& tensor,
                                                 const schedule_free_adamw_options& options, std::int64_t step,
                                                 schedule_free_scalars& scalars, const step_policy& policy = {},
                                                 const execution& exec = {});
INERTIA_API step_report schedule_free_adamw_step(std::span<schedule_free_adamw_group<float>> groups,
                                                 const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report schedule_free_adamw_step(std::span<schedule_free_adamw_group<double>> groups,
                                                 const step_policy& policy = {}, const execution& exec = {});

}  // namespace inertia
