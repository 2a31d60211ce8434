#pragma once
// RMSprop with the semantics of torch.optim.RMSprop on CPU (torch 2.x's loop
// and foreach paths and torch 1.13's, chosen by `numerics`), plus Optax's
// `nesterov`, `eps_in_sqrt` and `initial_scale` (optax.rmsprop).
// square_avg starts at initial_scale (0 in torch), grad_avg and
// momentum_buffer at 0:
//
//   g   = maximize ? -g : g
//   g   = g + weight_decay * w                     (when weight_decay != 0)
//   s   = alpha * s + (1 - alpha) * g * g          (square_avg)
//   centered: a = alpha * a + (1 - alpha) * g      (grad_avg), and v = s - a * a; otherwise v = s
//   avg = sqrt(v) + eps                            (eps_in_sqrt: sqrt(v + eps))
//   momentum > 0: b = momentum * b + g / avg        (momentum_buffer)
//                 w = w - lr * b                    (nesterov: w - lr * (g / avg + momentum * b))
//   otherwise:    w = w - lr * g / avg
//
// The arithmetic does not depend on the step count; torch keeps one
// (state["step"]) and the calls take it as every variant's do.
//
// Rounding. T is the element type and r() rounds to T; the scalars are Python
// floats (double) rounded to T once, 1 - alpha formed in double first. Every
// product and sum is rounded unless it is an fma; sqrt and / are IEEE:
//   g   = fma(r(wd), w, g)                       grad.add(param, alpha=wd)
//   s   = fma(r(1 - alpha) * g, g, s * r(alpha))  square_avg.mul_(alpha).addcmul_(g, g, value=1-alpha)
//   centered, the orders differ here:
//     pytorch_loop, pytorch_foreach (torch 2.x: grad_avg.lerp_(g, 1 - alpha) / _foreach_lerp_):
//       a = lerp(a, g, r(1 - alpha)), ATen's lerp: with c = r(1 - alpha),
//       |c| < 0.5 ? fma(c, g - a, a) : fma(c - 1, g - a, g)
//     pytorch_1_13 (grad_avg.mul_(alpha).add_(g, alpha=1-alpha)):
//       a = fma(r(1 - alpha), g, a * r(alpha))
//   v   = fma(-a, a, s)                          square_avg.addcmul(a, a, value=-1) (-1 * a is exact)
//   avg = sqrt(v) + r(eps)                       .sqrt_().add_(eps)
//         eps_in_sqrt: sqrt(v + r(eps))
//   momentum > 0:
//     b = b * r(momentum) + g / avg              buf.mul_(momentum).addcdiv_(g, avg) (value 1)
//     w = fma(b, r(-lr), w)                      param.add_(buf, alpha=-lr)
//     nesterov: u = fma(r(momentum), b, g / avg), w = fma(u, r(-lr), w)
//   otherwise:
//     w = w + (r(-lr) * g) / avg                 param.addcdiv_(g, avg, value=-lr)
// torch 2.x's loop and foreach paths are one order (the foreach ops call the
// same CPU kernels per tensor; read in torch 2.15's rmsprop.py, which has no
// fused path); torch 1.13's loop and foreach agree too, and differ from 2.x
// only in grad_avg (centered). Recorded goldens: scripts/golden_rmsprop.py,
// replayed at 0 ULP by tests/test_rmsprop.cpp (torch 1.13.1 and 2.15, loop
// and foreach, float32 and float64; torch 2.15's PyPI wheel with IEEE sqrt
// in place of MKL's, as for adam.hpp).
//
// Optax's rmsprop scales by 1 / (sqrt(v) + eps) (or rsqrt(v + eps)) and then
// by -lr, and its momentum (optax.trace) holds the lr-scaled update, so it is
// this update in another order: within a few ULP per step, not bit for bit
// (its golden bound: tests/test_rmsprop.cpp). Optax's defaults differ from
// torch's (decay 0.9, eps_in_sqrt true); its `decay` is alpha here.
// nesterov requires momentum > 0. initial_scale is what the caller fills
// square_avg with before the first step (the library never allocates state;
// inertia.torch and inertia-check fill it).
// Memory traffic per element: reads w, g, s and writes w, s (5 elements),
// plus a read and a write for each of grad_avg and momentum_buffer kept.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

/// Which PyTorch order to reproduce bit for bit: only pytorch_1_13 differs (centered).
enum class rmsprop_numerics {
  pytorch_loop,     ///< torch 2.x torch.optim.RMSprop(foreach=False), torch's CPU default
  pytorch_foreach,  ///< torch 2.x foreach=True: the same bits as pytorch_loop
  pytorch_1_13,     ///< torch 1.13's loop and foreach paths
};

struct rmsprop_options {
  double lr = 1e-2;            ///< >= 0, finite
  double alpha = 0.99;         ///< in [0, 1]: the decay of square_avg and grad_avg (Optax's `decay`)
  double eps = 1e-8;           ///< > 0, finite
  double weight_decay = 0.0;   ///< >= 0, finite; coupled L2 (added to the gradient)
  double momentum = 0.0;       ///< in [0, 1); > 0 keeps momentum_buffer
  bool centered = false;       ///< keep grad_avg and divide by the centred second moment
  bool maximize = false;       ///< ascend instead of descend
  bool nesterov = false;       ///< Optax's Nesterov momentum; requires momentum > 0
  bool eps_in_sqrt = false;    ///< Optax's sqrt(v + eps) instead of torch's sqrt(v) + eps
  double initial_scale = 0.0;  ///< >= 0, finite: what the caller fills square_avg with before step 1
  rmsprop_numerics numerics = rmsprop_numerics::pytorch_loop;
};

/// One parameter tensor and its state (torch's state names). momentum_buffer
/// is read only when momentum > 0, grad_avg only when centered (empty otherwise).
template <class T>
struct rmsprop_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> square_avg;
  std::span<T> momentum_buffer = {};
  std::span<T> grad_avg = {};
};

template <class T> using rmsprop_group = param_group<rmsprop_options, rmsprop_tensor<T>>;

/// One step of one tensor. step: t, the 1-based number of this step (>= 1).
INERTIA_API step_report rmsprop_step(const rmsprop_tensor<float>& tensor, const rmsprop_options& options,
                                     std::int64_t step, const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report rmsprop_step(const rmsprop_tensor<double>& tensor, const rmsprop_options& options,
                                     std::int64_t step, const step_policy& policy = {}, const execution& exec = {});
/// Every tensor of every group in one call; each group's step counts the
/// steps it has taken (0 before the first) and advances on success.
INERTIA_API step_report rmsprop_step(std::span<rmsprop_group<float>> groups, const step_policy& policy = {},
                                     const execution& exec = {});
INERTIA_API step_report rmsprop_step(std::span<rmsprop_group<double>> groups, const step_policy& policy = {},
                                     const execution& exec = {});

}  // namespace inertia
