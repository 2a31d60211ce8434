#pragma once
// Quasi-hyperbolic momentum, QHM (Ma & Yarats, ICLR 2019): a nu-weighted
// average of a plain SGD step and a momentum step.
//
//   d = g + weight_decay * w                      (when weight_decay != 0; coupled L2)
//   v = beta * v + (1 - beta) * d
//   w = w - lr * ((1 - nu) * d + nu * v)
//
// Operation order is the authors' PyTorch QHM (facebookresearch/qhoptim,
// qhoptim/pyt/qhm.py, weight_decay_type "grad") as torch's CPU kernels
// evaluate its in-place ops, where add_(x, alpha=a) is one fused multiply-add:
//   d = fma(weight_decay, w, g)
//   v = fma(1 - beta, d, v * beta)                (v * beta rounded first)
//   w = fma(-lr * nu, v, w)                       (the momentum term first,
//   w = fma(-lr * (1 - nu), d, w)                  then the gradient term)
// Every coefficient is formed in double (as Python forms it) and rounded to
// the element type once; bit for bit what qhoptim's ops give on torch 1.13
// (CPU capability AVX2; golden in tests/test_qhm.cpp). The velocity starts at
// zero; there is no first-step special case and no bias correction.
//
// Special cases: nu = 0 is plain SGD, w = fma(-lr, d, w): the first FMA adds
// -0 * v, which leaves w unchanged except that a -0 parameter may become +0.
// nu = 1 is heavy_ball with lr * (1 - beta) and momentum beta (the velocity is
// (1 - beta) times PyTorch's buffer); it is bit-identical to it when 1 - beta
// is a power of two, otherwise within rounding (tests/test_qhm.cpp).
// The recommended start (qhoptim docs) is nu = 0.7, beta = 0.999 with the lr
// of plain momentum divided by 1 - beta_old (0.1 with beta 0.9 becomes 1.0).
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"

namespace inertia {

struct qhm_options {
  double lr = 1e-3;            ///< >= 0, finite (qhoptim has no default)
  double nu = 0.7;             ///< in [0, 1]: 0 is plain SGD, 1 is pure momentum
  double beta = 0.999;         ///< in [0, 1): the velocity's decay
  double weight_decay = 0.0;   ///< >= 0, finite; coupled L2 (added to the gradient)
};

template <class T> using qhm_tensor = velocity_tensor<T>;  ///< {param, grad, velocity}
template <class T> using qhm_group = param_group<qhm_options, qhm_tensor<T>>;

/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
INERTIA_API step_report qhm_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                             const qhm_options& options, std::int64_t step, const step_policy& policy = {},
                             const execution& exec = {});
INERTIA_API step_report qhm_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                             const qhm_options& options, std::int64_t step, const step_policy& policy = {},
                             const execution& exec = {});
/// Every tensor of every group in one call (include/inertia/multi_tensor.hpp):
/// each group's `step` counts the steps it has taken, and this call takes
/// step t = group.step + 1 and then advances it.
INERTIA_API step_report qhm_step(std::span<qhm_group<float>> groups, const step_policy& policy = {},
                             const execution& exec = {});
INERTIA_API step_report qhm_step(std::span<qhm_group<double>> groups, const step_policy& policy = {},
                             const execution& exec = {});

}  // namespace inertia
