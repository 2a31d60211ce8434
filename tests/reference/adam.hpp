#pragma once
// Reference Adam / AdamW / NAdam (torch.optim, 2.x loop, foreach and fused
// paths and 1.13), one element at a time, straight from the equations in
// include/inertia/adam.hpp: each line is the torch op named beside it. The tests demand that every target, thread count
// and block size reproduces it bit for bit.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/adam.hpp"

namespace inertia::reference {

/// ATen's lerp(start, end, weight) on CPU (its vector kernel and its
/// contracted scalar formula agree): exp_avg.lerp_(grad, 1 - beta1).
template <class T>
T aten_lerp(T start, T end, T weight) {
  return std::abs(weight) < T(0.5) ? std::fma(weight, end - start, start)
                                   : std::fma(T(weight - T(1)), end - start, end);
}

/// step: the 1-based count of this step.
template <class T>
void adam(const adam_tensor<T>& t, const adam_options& o, std::int64_t step) {
  const bool fused = o.numerics == adam_numerics::pytorch_fused;
  const bool torch_1_13 = o.numerics == adam_numerics::pytorch_1_13;
  // Python floats (or the fused kernel's C++ doubles): bias corrections, step
  // size, sqrt; each cast to T by the op that takes it.
  const double bias_correction1 = 1.0 - std::pow(o.beta1, double(step));
  const double bias_correction2 = 1.0 - std::pow(o.beta2, double(step));
  const T neg_step_size = T(-(o.lr / bias_correction1));
  const T bias_correction2_sqrt = T(torch_1_13 || fused ? std::sqrt(bias_correction2)       // math.sqrt, std::sqrt
                                                        : std::pow(bias_correction2, 0.5));  // c2 ** 0.5
  const T beta1 = T(o.beta1), one_minus_beta1 = T(1.0 - o.beta1), beta2 = T(o.beta2),
          one_minus_beta2 = T(1.0 - o.beta2), eps = T(o.eps), weight_decay = T(o.weight_decay),
          decay_factor = T(fused ? std::fma(-o.lr, o.weight_decay, 1.0)  // the kernel's contracted 1 - lr * wd
                                 : 1.0 - o.lr * o.weight_decay);
  // The fused kernel's scalar tail, vectorised by the compiler 256 bits wide.
  const std::size_t tail_lanes = 32 / sizeof(T), n = t.param.size();
  const std::size_t fused_tail_begin = fused ? n - n % tail_lanes : n;
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    T w = t.param[i];
    T g = o.maximize ? -t.grad[i] : t.grad[i];
    if (o.decoupled_weight_decay) {
      w = w * decay_factor;                      // param.mul_(1 - lr * wd)
    } else if (o.weight_decay != 0.0) {
      g = std::fma(weight_decay, w, g);          // grad.add(param, alpha=wd)
    }
    const T m = t.exp_avg[i] = torch_1_13 ? std::fma(one_minus_beta1, g, t.exp_avg[i] * beta1)  // mul_, add_
                                          : aten_lerp(t.exp_avg[i], g, one_minus_beta1);       // lerp_
    T v = t.exp_avg_sq[i] = i < fused_tail_begin
                                ? std::fma(one_minus_beta2 * g, g, t.exp_avg_sq[i] * beta2)   // mul_, addcmul_
                                : std::fma(t.exp_avg_sq[i], beta2, (one_minus_beta2 * g) * g);  // fused tail
    if (o.amsgrad) {
      const T before = t.max_exp_avg_sq[i];
      v = t.max_exp_avg_sq[i] = std::isnan(v) || before < v ? v : before;  // torch.maximum
    }
    const T denom = std::sqrt(v) / bias_correction2_sqrt + eps;  // (sqrt() / c).add_(eps)
    t.param[i] = w + (neg_step_size * m) / denom;                 // addcdiv_(m, denom, value=-step_size)
  }
}

/// torch's mu_product after `steps` steps (float32, as its state tensor; every order).
inline float nadam_mu_product(const nadam_options& o, std::int64_t steps) {
  float product = 1.0f;
  for (std::int64_t t = 1; t <= steps; ++t)
    product = product * float(o.beta1 * (1.0 - 0.5 * std::pow(0.96, double(t) * o.momentum_decay)));
  return product;
}

/// step: the 1-based count of this step; mu_product: before it (advanced here).
template <class T>
void nadam(const adam_tensor<T>& t, const nadam_options& o, std::int64_t step, float& mu_product) {
  const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, double(step) * o.momentum_decay));
  const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, double(step + 1) * o.momentum_decay));
  mu_product = mu_product * float(mu);                                   // mu_product *= mu (float32 tensor)
  const bool torch_1_13 = o.numerics == nadam_numerics::pytorch_1_13;
  const bool foreach = o.numerics == nadam_numerics::pytorch_foreach;
  const double mu_product_next = torch_1_13 ? double(mu_product * float(mu) * float(mu_next))  // 1.13: mu twice
                                            : double(mu_product) * mu_next;                    // a Python float
  const T grad_step = T(-o.lr * (1.0 - mu) / (1.0 - double(mu_product)));
  const T momentum_step = T(-o.lr * mu_next / (1.0 - mu_product_next));
  const double c2 = 1.0 - std::pow(o.beta2, double(step));
  const T bias_correction2 = T(c2), bias_correction2_sqrt = T(std::pow(c2, 0.5));
  const T beta1 = T(o.beta1), one_minus_beta1 = T(1.0 - o.beta1), beta2 = T(o.beta2),
          one_minus_beta2 = T(1.0 - o.beta2), eps = T(o.eps), weight_decay = T(o.weight_decay),
          decay_factor = T(1.0 - o.lr * o.weight_decay);
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    T g = o.maximize ? -t.grad[i] : t.grad[i];
    T w = t.param[i];
    if (o.decoupled_weight_decay && o.weight_decay != 0.0) w = w * decay_factor;            // param.mul_(1 - lr * wd)
    else if (o.weight_decay != 0.0) g = std::fma(weight_decay, w, g);                       // grad.add(param, alpha=wd)
    const T m = t.exp_avg[i] = torch_1_13 ? std::fma(one_minus_beta1, g, t.exp_avg[i] * beta1)  // mul_, add_
                                          : aten_lerp(t.exp_avg[i], g, one_minus_beta1);       // lerp_
    const T v = t.exp_avg_sq[i] = std::fma(one_minus_beta2 * g, g, t.exp_avg_sq[i] * beta2); // mul_, addcmul_
    const T denom = (foreach ? std::sqrt(v) / bias_correction2_sqrt  // _foreach_sqrt, _foreach_div_(c2 ** 0.5)
                             : std::sqrt(v / bias_correction2)) +    // div(c2).sqrt()
                    eps;                                             // add_(eps)
    const T after_grad = w + (grad_step * g) / denom;             // addcdiv_(grad, denom, value=...)
    t.param[i] = after_grad + (momentum_step * m) / denom;       // addcdiv_(exp_avg, denom, value=...)
  }
}

}  // namespace inertia::reference
