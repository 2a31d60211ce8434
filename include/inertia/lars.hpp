#pragma once
// LARS, layer-wise adaptive rate scaling (You, Gitman, Ginsburg 2017), per tensor:
//
//   local_lr = eta * ||w|| / (||g|| + weight_decay * ||w||)   (1 when ||w|| or ||g|| is 0)
//   v = momentum * v + lr * local_lr * (g + weight_decay * w)
//   w = w - v
//
// Operation order: the norms are sums of squares in a fixed order that depends
// only on the data (4096-element chunks; element i into accumulator i % 16 by
// fused multiply-add; accumulators added pairwise; chunk sums added in double
// in order), so they are bit-identical on every target and thread count; the
// norms, local_lr and scale = lr * local_lr are computed in double and scale is
// rounded to the element type once; then d = fma(weight_decay, w, g);
// v = fma(scale, d, v * momentum) (v * momentum rounded first); w = w - v.
// The velocity starts at zero.
//
// Each tensor is read twice (norms, then update). A tensor of up to 512 KiB
// (param + grad) is reduced and updated back-to-back by one thread, so the
// second pass reads it from L2, not DRAM; larger tensors are reduced by all
// threads, each of which then updates the chunks it reduced.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"

namespace inertia {

struct lars_options {
  double lr = 0.1;             ///< >= 0, finite
  double momentum = 0.9;       ///< in [0, 1)
  double weight_decay = 0.0;   ///< >= 0, finite
  double eta = 0.001;          ///< trust coefficient, > 0
};

template <class T> using lars_tensor = heavy_ball_tensor<T>;  ///< {param, grad, momentum_buffer}
template <class T> using lars_group = param_group<lars_options, lars_tensor<T>>;

/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
/// lars takes no step policy: any but the default is refused.
INERTIA_API step_report lars_step(std::span<float> param, std::span<const float> grad, std::span<float> momentum_buffer,
                             const lars_options& options, std::int64_t step, const step_policy& policy = {},
                             const execution& exec = {});
INERTIA_API step_report lars_step(std::span<double> param, std::span<const double> grad, std::span<double> momentum_buffer,
                             const lars_options& options, std::int64_t step, const step_policy& policy = {},
                             const execution& exec = {});
/// Every tensor of every group in one call (include/inertia/multi_tensor.hpp):
/// each group's `step` counts the steps it has taken, and this call takes
/// step t = group.step + 1 and then advances it.
INERTIA_API step_report lars_step(std::span<lars_group<float>> groups, const step_policy& policy = {},
                             const execution& exec = {});
INERTIA_API step_report lars_step(std::span<lars_group<double>> groups, const step_policy& policy = {},
                             const execution& exec = {});

}  // namespace inertia
