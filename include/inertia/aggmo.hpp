#pragma once
// Aggregated momentum, AggMo (Lucas, Sun, Zemel, Grosse, ICLR 2019): K
// velocities, each with its own decay, averaged into the step.
//
//   d = g + weight_decay * w                      (when weight_decay != 0; coupled L2)
//   v_i = beta_i * v_i - d                        for i = 0 .. K-1
//   w = w + (lr / K) * sum_i v_i
//
// Operation order is the authors' PyTorch AggMo (AtheMathmo/AggMo,
// src/aggmo.py) as torch's CPU kernels evaluate it; it stores b_i = -v_i,
// and since negation is exact the bits are the same up to that sign:
//   d = fma(weight_decay, w, g)                   (w as it was before this step)
//   then for i = 0, 1, ..., K-1 in index order:
//     v_i = v_i * beta_i - d                      (product rounded, then subtracted)
//     w = fma(lr / K, v_i, w)                     (one FMA per velocity into w)
// so the sum is accumulated into w in index order, not formed first. lr / K
// and every beta_i are computed in double and rounded to the element type
// once. The velocities start at zero. This is the authors' code on torch 1.13
// bit for bit (golden in tests/test_aggmo.cpp), except for the sign of exact
// zeros: a velocity that is exactly 0 is +0 here where -buf is -0, which can
// only show in a parameter that is itself exactly -0.
// K = 1 is heavy_ball (PyTorch SGD with momentum beta_0, lr outside the
// buffer) with v = -buf, the same bits; betas = {0} is plain SGD.
//
// One call reads g and w once per element however large K is, and moves
// (2K + 3) elements per parameter: reads w, g and the K velocities, writes
// the K velocities and w.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"

namespace inertia {

/// The paper's and the authors' code's default decays.
inline constexpr double aggmo_default_betas[] = {0.0, 0.9, 0.99};

struct aggmo_options {
  double lr = 1e-3;             ///< >= 0, finite (the authors' code has no default)
  /// One decay per velocity, each in [0, 1); K = betas.size() >= 1. A view:
  /// the array must outlive the call.
  std::span<const double> betas = aggmo_default_betas;
  double weight_decay = 0.0;    ///< >= 0, finite; coupled L2 (added to the gradient)
};

template <class T>
struct aggmo_tensor {
  std::span<T> param;
  std::span<const T> grad;
  /// K velocity buffers, velocities[i] for betas[i], each as long as param.
  std::span<const std::span<T>> velocities;
};

template <class T> using aggmo_group = param_group<aggmo_options, aggmo_tensor<T>>;

/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
INERTIA_API step_report aggmo_step(std::span<float> param, std::span<const float> grad,
                                   std::span<const std::span<float>> velocities, const aggmo_options& options,
                                   std::int64_t step, const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report aggmo_step(std::span<double> param, std::span<const double> grad,
                                   std::span<const std::span<double>> velocities, const aggmo_options& options,
                                   std::int64_t step, const step_policy& policy = {}, const execution& exec = {});
/// Every tensor of every group in one call (include/inertia/multi_tensor.hpp):
/// each group's `step` counts the steps it has taken, and this call takes
/// step t = group.step + 1 and then advances it.
INERTIA_API step_report aggmo_step(std::span<aggmo_group<float>> groups, const step_policy& policy = {},
                                   const execution& exec = {});
INERTIA_API step_report aggmo_step(std::span<aggmo_group<double>> groups, const step_policy& policy = {},
                                   const execution& exec = {});

}  // namespace inertia
