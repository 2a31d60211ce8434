#pragma once
// The Adam family with the semantics of PyTorch 1.13's CPU step (the default
// for-loop path): torch.optim.Adam, torch.optim.AdamW and torch.optim.NAdam.
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
// NAdam (Dozat 2016 as torch 1.13 implements it; m, v as above; mu_product
// starts at 1):
//   weight_decay != 0: g = g + weight_decay * w
//   mu      = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
//   mu_next = beta1 * (1 - 0.5 * 0.96^((t + 1) * momentum_decay))
//   mu_product = mu_product * mu
//   denom = sqrt(v / (1 - beta2^t)) + eps
//   w = w - lr * (1 - mu) / (1 - mu_product) * g / denom
//   w = w - lr * mu_next / (1 - mu_product * mu * mu_next) * m / denom
// The extra factor mu in the last line is torch 1.13's (its for-loop path; its
// foreach path and torch >= 2.0, after pytorch/pytorch#92699, use
// mu_product * mu_next). It is reproduced here on purpose.
//
// Bit-identical to torch 1.13.1 on CPU (float32 and float64; measured by
// scripts/golden_adam.py, replayed by tests/test_adam_golden.cpp) with its
// AVX2 or AVX512 kernels, which agree; its no-AVX kernels (ATEN_CPU_CAPABILITY
// =default) do not fuse, and differ from both by up to 2048 ULP in 16 steps.
// The foreach path of Adam and AdamW gives the same bits as the loop path.
// T is the element type, r() rounds to T, f32() to float:
//   * Per-step scalars are computed once per call in double, as Python does
//     (libm pow, sqrt): c1 = 1 - beta1^t, c2 = 1 - beta2^t, step_size =
//     lr / c1, sqrt(c2), 1 - lr * weight_decay, NAdam's mu, mu_next and its
//     two step sizes -lr * (1 - mu) / (1 - mu_product) and
//     -lr * mu_next / (1 - mu_product_next). Each is rounded to T once.
//   * Element-wise, with every product and sum rounded unless it is an fma:
//       g = fma(r(wd), w, g)                          (Adam, NAdam: grad.add(param, alpha=wd))
//       w = w * r(1 - lr * wd)                        (AdamW: param.mul_)
//       m = fma(r(1 - beta1), g, m * r(beta1))        (mul_, then add_ with alpha)
//       v = fma(r(1 - beta2) * g, g, v * r(beta2))    (mul_, then addcmul_: value * g rounded first)
//       Adam:  denom = sqrt(v) / r(sqrt(c2)) + r(eps)
//              w = w + (r(-step_size) * m) / denom     (addcdiv_: value * m, then / denom, then + w)
//       NAdam: denom = sqrt(v / r(c2)) + r(eps)
//              w = w + (r(s_grad) * g) / denom;  w = w + (r(s_momentum) * m) / denom
//     sqrt and / are IEEE (correctly rounded) on every target.
//   * NAdam's mu_product is a float32 tensor in torch whatever the parameter
//     type (torch.tensor(1.) under the default dtype): mu_product =
//     f32(mu_product * f32(mu)), and mu_product_next =
//     f32(f32(mu_product * f32(mu)) * f32(mu_next)); so it is a float here.
//   * torch counts steps in a float32 tensor, which stops at 2^24; the step
//     here is an integer, so the two agree for the first 16,777,216 steps.
//   * max() for amsgrad returns NaN when either side is NaN, as torch.maximum
//     does (NaN payloads are not reproduced).
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
};

/// torch.optim.NAdam's options (1.13 has no maximize and no decoupled decay).
struct nadam_options {
  double lr = 2e-3;              ///< >= 0, finite
  double beta1 = 0.9;            ///< in [0, 1)
  double beta2 = 0.999;          ///< in [0, 1)
  double eps = 1e-8;             ///< > 0, finite
  double weight_decay = 0.0;     ///< >= 0, finite; coupled L2 (added to the gradient)
  double momentum_decay = 4e-3;  ///< psi >= 0, finite
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
