#pragma once
// Schedule-Free SGD with the semantics of schedulefree's SGDScheduleFree
// (PyPI `schedulefree`, 1.4.1, foreach and loop paths: one order). The
// schedule (lr_t, ckp1, alpha with beta = momentum), the group's scalar state
// and the eval/train swap: include/inertia/schedule_free.hpp. Per element, with
// y the parameter (the point the gradient is taken at), step t = 1, 2, ...:
//
//   g = g + weight_decay * y                  (when weight_decay != 0)
//   y = (1 - ckp1) * y + ckp1 * z             y.lerp_(z, weight=ckp1)
//   y = y + alpha * g                         alpha = lr_t * (momentum * (1 - ckp1) - 1)
//   z = z - lr_t * g
//
// z starts as a copy of the parameters (schedulefree clones p on the first
// step): initialise it so before step 1. Bit-identical to schedulefree on
// torch 2.15 and 1.13, float32 and float64 (scripts/golden_schedule_free.py,
// replayed by tests/test_schedule_free.cpp). T is the element type, r()
// rounds to T; the scalars are Python floats (double), each rounded once:
//   g = fma(r(weight_decay), y, g)            grad.add_(y, alpha=weight_decay)
//   d = z - y
//   y = |r(ckp1)| < 0.5 ? fma(r(ckp1), d, y) : fma(r(ckp1) - 1, d, z)   ATen's lerp
//   y = fma(r(alpha), g, y)                   y.add_(grad, alpha=alpha)
//   z = fma(r(-lr_t), g, z)                   z.sub_(grad, alpha=lr_t)
// Memory traffic per element: reads y, g, z and writes y, z (5 elements).
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/schedule_free.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

/// schedulefree.SGDScheduleFree's constructor arguments and defaults.
struct schedule_free_sgd_options {
  double lr = 1.0;               ///< >= 0, finite
  double momentum = 0.9;         ///< in (0, 1): the interpolation weight beta
  double weight_decay = 0.0;     ///< >= 0, finite; coupled L2 at y
  double warmup_steps = 0.0;     ///< >= 0, finite: linear warm-up of lr over the first warmup_steps steps
  double r = 0.0;                ///< finite: polynomial weighting (k + 1) ** r of the average
  double weight_lr_power = 2.0;  ///< finite: the average's weights go as lr_max ** weight_lr_power
};

/// One parameter tensor (y) and its state["z"].
template <class T>
struct schedule_free_sgd_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> z;
};

/// A param group: its options, tensors, steps taken and scalar state.
template <class T>
struct schedule_free_sgd_group {
  schedule_free_sgd_options options;
  std::span<const schedule_free_sgd_tensor<T>> tensors;
  std::int64_t step = 0;          ///< steps taken so far (schedulefree's group['k']); incremented by each successful call
  schedule_free_scalars scalars;  ///< lr_max, weight_sum; advanced by each successful call
};

/// One step of one tensor. step: t, the 1-based number of this step
/// (group['k'] + 1); scalars: the group's, advanced on success (not when the
/// policy skips the step). policy: loss scaling, skipping non-finite
/// gradients, clipping (include/inertia/step_policy.hpp).
INERTIA_API step_report schedule_free_sgd_step(const schedule_free_sgd_tensor<float>& tensor,
                                               const schedule_free_sgd_options& options, std::int64_t step,
                                               schedule_free_scalars& scalars, const step_policy& policy = {},
                                               const execution& exec = {});
INERTIA_API step_report schedule_free_sgd_step(const schedule_free_sgd_tensor<double>& tensor,
                                               const schedule_free_sgd_options& options, std::int64_t step,
                                               schedule_free_scalars& scalars, const step_policy& policy = {},
                                               const execution& exec = {});
/// Every tensor of every group in one call; each group's step and scalars advance on success.
INERTIA_API step_report schedule_free_sgd_step(std::span<schedule_free_sgd_group<float>> groups,
                                               const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report schedule_free_sgd_step(std::span<schedule_free_sgd_group<double>> groups,
                                               const step_policy& policy = {}, const execution& exec = {});

}  // namespace inertia
