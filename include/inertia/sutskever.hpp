#pragma once
// Momentum with the learning rate inside the velocity: the Sutskever et al.
// (2013) form used by Keras / TensorFlow 2 `SGD`, ensmallen and MXNet.
//
//   v = momentum * v - lr * g
//   w = w + v                                   (nesterov: w = w + (momentum * v - lr * g))
//
// Operation order is Keras 3's `m.assign(m * mu - g * lr)`: both products are
// rounded on their own (no fused multiply-add), then subtracted; the Nesterov
// term recomputes momentum * v_new - lr * g the same way. With momentum == 0
// Keras keeps no velocity and steps w = w - g * lr; so does this (the velocity
// span may then be empty). The velocity starts at zero.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

struct sutskever_options {
  double lr = 0.01;        ///< >= 0, finite (Keras' default)
  double momentum = 0.0;   ///< in [0, 1)
  bool nesterov = false;   ///< requires momentum > 0
};

/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
INERTIA_API step_report sutskever_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                                    const sutskever_options& options, std::int64_t step, const step_policy& policy = {},
                                    const execution& exec = {});
INERTIA_API step_report sutskever_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                                    const sutskever_options& options, std::int64_t step, const step_policy& policy = {},
                                    const execution& exec = {});

}  // namespace inertia
