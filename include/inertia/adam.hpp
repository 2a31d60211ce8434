#pragma once
// The Adam family with the semantics of PyTorch's CPU steps: torch.optim.Adam,
// torch.optim.AdamW and torch.optim.NAdam, bit for bit, in one of four orders
// chosen by `numerics` (torch 2.x's loop, foreach and fused paths, and torch
// 1.13's loop path).
//
// Adam / AdamW, step t = 1, 2, ... (m = exp_avg, v = exp_avg_sq, both start at 0):
//   g = maximize ? -g : g
//   AdamW (decoupled_weight_decay): w = w * (1 - lr * weight_decay)
//   Adam, weight_decay != 0:        g = g + weight_decay * w
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   amsgrad: v_max = max(v_max, v), and v_max stands for v below
//   w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// NAdam (Dozat 2016 as torch implements it; m, v as above; mu_product
// starts at 1):
//   g = maximize ? -g : g                                   (torch >= 2.0)
//   decoupled_weight_decay: w = w * (1 - lr * weight_decay) (torch >= 2.0)
//   otherwise, weight_decay != 0: g = g + weight_decay * w
//   mu      = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
//   mu_next = beta1 * (1 - 0.5 * 0.96^((t + 1) * momentum_decay))
//   mu_product = mu_product * mu
//   denom = sqrt(v / (1 - beta2^t)) + eps
//   w = w - lr * (1 - mu) / (1 - mu_product) * g / denom
//   w = w - lr * mu_next / (1 - mu_product * mu_next) * m / denom
// torch 1.13's loop path multiplies the last denominator's product by mu once
// more (mu_product * mu * mu_next; fixed by pytorch/pytorch#92699): numerics
// pytorch_1_13 reproduces that.
//
// Rounding. T is the element type, r() rounds to T, f32() to float. Per-step
// scalars are computed once per call in double, as Python (or the fused
// kernel's C++) does, with libm pow and sqrt, then rounded to T once. Element
// by element, every product and sum is rounded unless it is an fma; sqrt and
// / are IEEE on every target. Common to every order:
//       g = fma(r(wd), w, g)                          (Adam, NAdam: grad.add(param, alpha=wd))
//       w = w * r(f)                                  (AdamW: param.mul_(f), f = 1 - lr * wd)
//       Adam: denom = sqrt(v) / r(s2) + r(eps),  w = w + (r(-lr / c1) * m) / denom   (addcdiv_)
//   with c1 = 1 - beta1^t, c2 = 1 - beta2^t. The orders differ here:
//
//   pytorch_loop (the default: torch 2.x, foreach=False; torch 2.0 to 2.15):
//       m = lerp(m, g, r(1 - beta1))                  (exp_avg.lerp_(grad, 1 - beta1))
//       v = fma(r(1 - beta2) * g, g, v * r(beta2))    (mul_, then addcmul_: value * g rounded first)
//       s2 = pow(c2, 0.5) (Python's c2 ** 0.5); f = 1 - lr * wd
//     where lerp is ATen's: with w = r(weight), |w| < 0.5 ? fma(w, g - m, m)
//     : fma(w - 1, g - m, g) (its vector kernel and its contracted scalar
//     formula agree).
//     NAdam: denom = sqrt(v / r(c2)) + r(eps); mu_product_next =
//     double(mu_product) * mu_next, in double.
//   pytorch_foreach (foreach=True): Adam and AdamW as pytorch_loop (the same
//     kernels, called per tensor). NAdam: denom = sqrt(v) / r(pow(c2, 0.5)) + r(eps).
//   pytorch_fused (fused=True; Adam and AdamW only, torch has no fused NAdam):
//       m as pytorch_loop; s2 = sqrt(c2); f = fma(-lr, wd, 1) (the kernel's
//       C++ `1 - lr * weight_decay`, contracted); v as pytorch_loop except in
//       the last n % K elements of each tensor, K = 8 floats or 4 doubles (the
//       compiler's 256-bit vectorisation of the kernel's scalar tail loop),
//       where v = fma(v, r(beta2), (r(1 - beta2) * g) * g).
//     This is torch's kernel on one torch thread: with more, it splits a
//     tensor into cache-line-aligned chunks, each with its own tail.
//   pytorch_1_13 (torch 1.13's loop path, whose foreach path agrees for Adam/AdamW):
//       m = fma(r(1 - beta1), g, m * r(beta1))        (mul_, then add_ with alpha)
//       v as pytorch_loop; s2 = sqrt(c2); f = 1 - lr * wd
//     NAdam: denom = sqrt(v / r(c2)) + r(eps); mu_product_next =
//     f32(f32(mu_product * f32(mu)) * f32(mu_next)); no maximize, no
//     decoupled weight decay (1.13 has neither: setting them is an error).
//   NAdam's mu_product is a float32 tensor in torch whatever the parameter
//   type: mu_product = f32(mu_product * f32(mu)), so it is a float here, and
//   its two step sizes are -lr * (1 - mu) / (1 - mu_product) and
//   -lr * mu_next / (1 - mu_product_next), in double.
//
// Measured (scripts/golden_torch2.py, tests/test_torch2_golden.cpp): torch
// 2.15 (PyPI, AVX-512 kernels, one thread), 0 ULP on every path, float32 and
// float64, *with IEEE sqrt*: torch's x86-64 wheels take a tensor's sqrt()
// from MKL's vector math (VML_HA: within 1 ULP, not correctly rounded, and
// different on AVX2 and AVX-512 machines), which the loop and foreach paths
// use and the fused kernel does not; torch built without MKL (and torch 1.13
// from Debian) rounds it correctly. torch 1.13.1 (Debian, AVX2/AVX-512
// kernels; scripts/golden_adam.py, tests/test_adam_golden.cpp): 0 ULP with
// pytorch_1_13; its no-AVX kernels (ATEN_CPU_CAPABILITY=default) do not fuse.
// torch counts steps in a float32 tensor, which stops at 2^24; the step here
// is an integer, so the two agree for the first 16,777,216 steps. max() for
// amsgrad returns NaN when either side is NaN, as torch.maximum does (NaN
// payloads are not reproduced).
//
// Memory traffic per element: reads w, g, m, v and writes w, m, v (7 elements);
// amsgrad also reads and writes v_max (9).
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

/// Which PyTorch code path Adam and AdamW reproduce bit for bit (see above).
enum class adam_numerics {
  pytorch_loop,     ///< torch 2.x torch.optim.Adam/AdamW(foreach=False), torch's CPU default
  pytorch_foreach,  ///< torch 2.x foreach=True (the same bits as pytorch_loop for Adam and AdamW)
  pytorch_fused,    ///< torch 2.x fused=True on CPU, one torch thread
  pytorch_1_13,     ///< torch 1.13's loop and foreach paths
};

/// Which PyTorch code path NAdam reproduces bit for bit (torch has no fused NAdam).
enum class nadam_numerics {
  pytorch_loop,     ///< torch 2.x torch.optim.NAdam(foreach=False), torch's CPU default
  pytorch_foreach,  ///< torch 2.x foreach=True
  pytorch_1_13,     ///< torch 1.13's loop path
};

struct adam_options {
  double lr = 1e-3;              ///< >= 0, finite
  double beta1 = 0.9;            ///< in [0, 1)
  double beta2 = 0.999;          ///< in [0, 1)
  double eps = 1e-8;             ///< > 0, finite
  double weight_decay = 0.0;     ///< >= 0, finite; coupled L2 (Adam) or decoupled (AdamW)
  bool amsgrad = false;          ///< normalise by the running max of v (needs max_exp_avg_sq)
  bool maximize = false;         ///< ascend instead of descend
  /// AdamW: w = w * (1 - lr * weight_decay) before the step, and the gradient
  /// is left alone (torch.optim.AdamW, whose default weight_decay is 1e-2).
  bool decoupled_weight_decay = false;
  adam_numerics numerics = adam_numerics::pytorch_loop;
};

/// torch.optim.NAdam's options.
struct nadam_options {
  double lr = 2e-3;              ///< >= 0, finite
  double beta1 = 0.9;            ///< in [0, 1)
  double beta2 = 0.999;          ///< in [0, 1)
  double eps = 1e-8;             ///< > 0, finite
  double weight_decay = 0.0;     ///< >= 0, finite; coupled L2 (added to the gradient)
  double momentum_decay = 4e-3;  ///< psi >= 0, finite
  bool decoupled_weight_decay = false;  ///< w = w * (1 - lr * weight_decay), gradient left alone (torch >= 2.0)
  bool maximize = false;                ///< ascend instead of descend (torch >= 2.0)
  nadam_numerics numerics = nadam_numerics::pytorch_loop;
};

/// One parameter tensor of the Adam family and its state (zeros before step 1).
template <class T>
struct adam_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> exp_avg;
  std::span<T> exp_avg_sq;
  std::span<T> max_exp_avg_sq = {};  ///< amsgrad only (starts at 0); may be empty otherwise
};

template <class T> using adam_group = param_group<adam_options, adam_tensor<T>>;

/// A NAdam param group: as param_group, plus torch's mu_product state.
template <class T>
struct nadam_group {
  nadam_options options;
  std::span<const adam_tensor<T>> tensors;
  std::int64_t step = 0;     ///< steps taken so far; incremented by each successful call
  float mu_product = 1.0f;   ///< product of every earlier step's mu; updated by each successful call
};

/// step: t, the 1-based number of this step, as in the equations and torch's
/// state["step"] after it. policy: loss scaling, skipping non-finite
/// gradients, clipping, flushing denormals (include/inertia/step_policy.hpp).
INERTIA_API step_report adam_step(const adam_tensor<float>& tensor, const adam_options& options, std::int64_t step,
                                  const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report adam_step(const adam_tensor<double>& tensor, const adam_options& options, std::int64_t step,
                                  const step_policy& policy = {}, const execution& exec = {});
/// Every tensor of every group in one call (include/inertia/multi_tensor.hpp):
/// each group's `step` counts the steps it has taken, and this call takes
/// step t = group.step + 1 and then advances it.
INERTIA_API step_report adam_step(std::span<adam_group<float>> groups, const step_policy& policy = {},
                                  const execution& exec = {});
INERTIA_API step_report adam_step(std::span<adam_group<double>> groups, const step_policy& policy = {},
                                  const execution& exec = {});

/// One step. mu_product: the product of the earlier steps' mu (1 before step
/// 1), in [0, 1]; multiplied by this step's mu when the step is taken (not
/// when it fails or is skipped). tensor.max_exp_avg_sq is not used.
INERTIA_API step_report nadam_step(const adam_tensor<float>& tensor, const nadam_options& options, std::int64_t step,
                                   float& mu_product, const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report nadam_step(const adam_tensor<double>& tensor, const nadam_options& options, std::int64_t step,
                                   float& mu_product, const step_policy& policy = {}, const execution& exec = {});
/// A skipped step advances neither step nor mu_product.
INERTIA_API step_report nadam_step(std::span<nadam_group<float>> groups, const step_policy& policy = {},
                                   const execution& exec = {});
INERTIA_API step_report nadam_step(std::span<nadam_group<double>> groups, const step_policy& policy = {},
                                   const execution& exec = {});

}  // namespace inertia
