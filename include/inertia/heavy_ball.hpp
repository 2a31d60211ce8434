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
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"

namespace inertia {

struct heavy_ball_options {
  double lr = 1e-3;            ///< >= 0, finite
  double momentum = 0.0;       ///< in [0, 1)
  double dampening = 0.0;      ///< in [0, 1]
  double weight_decay = 0.0;   ///< >= 0, finite; coupled L2 (added to the gradient)
  bool nesterov = false;       ///< requires momentum > 0 and dampening == 0
  bool maximize = false;       ///< ascend instead of descend
};

/// One step. first_step: the buffer does not exist yet (PyTorch creates it on
/// a parameter's first step) and is set to d, ignoring its contents.
INERTIA_API void heavy_ball_step(std::span<float> param, std::span<const float> grad,
                     std::span<float> momentum_buffer, const heavy_ball_options& options,
                     bool first_step, const execution& exec = {});
INERTIA_API void heavy_ball_step(std::span<double> param, std::span<const double> grad,
                     std::span<double> momentum_buffer, const heavy_ball_options& options,
                     bool first_step, const execution& exec = {});

}  // namespace inertia
