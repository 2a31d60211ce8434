#pragma once
// Adagrad with the semantics of torch.optim.Adagrad on CPU: torch 2.x's loop,
// foreach and fused paths and torch 1.13's loop path, chosen by `numerics`.
// sum starts at initial_accumulator_value; step t = 1, 2, ...
//
//   g   = maximize ? -g : g
//   g   = g + weight_decay * w                     (when weight_decay != 0)
//   clr = lr / (1 + (t - 1) * lr_decay)
//   sum = sum + g * g
//   w   = w - clr * g / (sqrt(sum) + eps)
//
// Bit-identical to torch 1.13.1 on CPU (float32 and float64; recorded by
// scripts/golden_adagrad.py, replayed by tests/test_adagrad.cpp) and to torch
// 2.15's three paths (scripts/golden_torch2.py, tests/test_torch2_golden.cpp;
// with IEEE sqrt: torch's x86-64 wheels take the loop and foreach paths'
// sqrt() from MKL, within 1 ULP but not correctly rounded, see adam.hpp). T is
// the element type and r() rounds to T; clr is a Python float (double), rounded once:
//   g   = fma(r(weight_decay), w, g)         grad.add(param, alpha=weight_decay)
//   sum = fma(g, g, sum)                     sum.addcmul_(g, g, value=1): 1 * g is exact
//   std = sqrt(sum) + r(eps)                 sum.sqrt().add_(eps)
//   w   = w + (r(-clr) * g) / std            param.addcdiv_(g, std, value=-clr)
// Every order is this one, except for clr: the fused kernel's C++ computes
// lr / (1 + (t - 1) * lr_decay) with the product and the sum contracted,
// clr = lr / fma(t - 1, lr_decay, 1). torch 2.x's loop and foreach paths
// agree with 1.13's (foreach multiplies g by r(-clr) first, then addcdiv_ with
// value 1: the same roundings).
// Memory traffic per element: reads w, g, sum and writes w, sum (5 elements).
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

/// Which PyTorch code path to reproduce bit for bit: only pytorch_fused differs.
enum class adagrad_numerics {
  pytorch_loop,     ///< torch 2.x torch.optim.Adagrad(foreach=False), torch's CPU default
  pytorch_foreach,  ///< torch 2.x foreach=True
  pytorch_fused,    ///< torch 2.x fused=True on CPU
  pytorch_1_13,     ///< torch 1.13's loop path
};

struct adagrad_options {
  double lr = 1e-2;                        ///< >= 0, finite
  double lr_decay = 0.0;                   ///< >= 0, finite
  double weight_decay = 0.0;               ///< >= 0, finite; coupled L2 (added to the gradient)
  double initial_accumulator_value = 0.0;  ///< >= 0: what the caller fills sum with before step 1
  double eps = 1e-10;                      ///< > 0, finite
  bool maximize = false;                   ///< ascend instead of descend
  adagrad_numerics numerics = adagrad_numerics::pytorch_loop;
};

/// One parameter tensor and its accumulator (torch's state["sum"]).
template <class T>
struct adagrad_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> sum;
};

template <class T> using adagrad_group = param_group<adagrad_options, adagrad_tensor<T>>;

/// One step of one tensor. step: t, the 1-based number of this step.
INERTIA_API step_report adagrad_step(const adagrad_tensor<float>& tensor, const adagrad_options& options,
                                     std::int64_t step, const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report adagrad_step(const adagrad_tensor<double>& tensor, const adagrad_options& options,
                                     std::int64_t step, const step_policy& policy = {}, const execution& exec = {});
/// Every tensor of every group in one call; each group's step counts the
/// steps it has taken (0 before the first) and advances on success.
INERTIA_API step_report adagrad_step(std::span<adagrad_group<float>> groups, const step_policy& policy = {},
                                     const execution& exec = {});
INERTIA_API step_report adagrad_step(std::span<adagrad_group<double>> groups, const step_policy& policy = {},
                                     const execution& exec = {});

}  // namespace inertia
