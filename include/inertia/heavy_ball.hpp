#pragma once
// Heavy-ball momentum with torch.optim.SGD semantics (lr outside the buffer).
//
//   d = maximize ? -g : g
//   d = d + weight_decay * w                      (when weight_decay != 0)
//   v = first_step ? d : momentum * v + (1 - dampening) * d
//   d = nesterov ? d + momentum * v : v           (when momentum != 0)
//   w = w - lr * d
//
// Bit-identical to PyTorch's CPU SGD (the default for-loop path): every
// "x + a*y" is one fused multiply-add with a rounded to the element type, and
// momentum * v is rounded on its own, exactly as torch's add_(y, alpha=a) and
// mul_ evaluate them:
//   d = fma(wd, w, d); v = fma(1 - dampening, d, v * momentum);
//   d = fma(momentum, v, d); w = fma(-lr, d, w)
// momentum == 0 is plain SGD and needs no buffer (pass an empty span).
//
// numerics = pytorch_fused reproduces torch.optim.SGD(fused=True) on CPU
// (torch 2.x `_fused_sgd_`) instead, bit for bit as measured against torch 2.15
// (tests/data/heavy_ball_fused_*.json): the same chain, except that in the last
// n % K elements of each tensor (K = 8 floats or 4 doubles: one 256-bit
// register) the compiled kernel contracts the buffer update the other way,
//   v = fma(v, momentum, d * (1 - dampening))      (d * (1 - dampening) rounded)
// The two paths differ by up to ~600 ULP after 24 steps.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

/// Which PyTorch code path to reproduce bit for bit.
enum class heavy_ball_numerics {
  pytorch_loop,   ///< torch.optim.SGD default (for-loop and foreach paths; torch 1.13 to 2.15)
  pytorch_fused,  ///< torch.optim.SGD(fused=True) on CPU (torch 2.x)
};

struct heavy_ball_options {
  double lr = 1e-3;            ///< >= 0, finite
  double momentum = 0.0;       ///< in [0, 1)
  double dampening = 0.0;      ///< in [0, 1]
  double weight_decay = 0.0;   ///< >= 0, finite; coupled L2 (added to the gradient)
  bool nesterov = false;       ///< requires momentum > 0 and dampening == 0
  bool maximize = false;       ///< ascend instead of descend
  heavy_ball_numerics numerics = heavy_ball_numerics::pytorch_loop;
};

/// One step. step t == 1 is PyTorch's first step for this parameter: the
/// buffer does not exist yet, is set to d and its contents are ignored.
/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
INERTIA_API step_report heavy_ball_step(std::span<float> param, std::span<const float> grad,
                                        std::span<float> momentum_buffer, const heavy_ball_options& options,
                                        std::int64_t step, const step_policy& policy = {},
                                        const execution& exec = {});
INERTIA_API step_report heavy_ball_step(std::span<double> param, std::span<const double> grad,
                                        std::span<double> momentum_buffer, const heavy_ball_options& options,
                                        std::int64_t step, const step_policy& policy = {},
                                        const execution& exec = {});

}  // namespace inertia
