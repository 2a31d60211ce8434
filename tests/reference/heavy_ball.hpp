#pragma once
// Reference heavy_ball (torch.optim.SGD), one element at a time, straight from
// the equations in include/inertia/heavy_ball.hpp. The tests demand that every
// target, thread count and block size reproduces it bit for bit; the benchmark
// compiles the same loop without vectorization as its naive scalar baseline.
#include <cmath>
#include <cstddef>

#include "inertia/heavy_ball.hpp"

namespace inertia::reference {

template <class T>
void heavy_ball(T* param, const T* grad, T* momentum_buffer, std::size_t n, const heavy_ball_options& o,
                bool first_step) {
  const T lr = T(o.lr), momentum = T(o.momentum), one_minus_dampening = T(1.0 - o.dampening);
  const T weight_decay = T(o.weight_decay);
  // torch's fused CPU kernel: its last n % 8 (float) or n % 4 (double) elements
  // contract v*mu + d*(1-tau) around the other product.
  const std::size_t fused_tail =
      o.numerics == heavy_ball_numerics::pytorch_fused ? n - n % (32 / sizeof(T)) : n;
  for (std::size_t i = 0; i < n; ++i) {
    T d = o.maximize ? -grad[i] : grad[i];
    if (o.weight_decay != 0.0) d = std::fma(weight_decay, param[i], d);  // d.add(w, alpha=wd)
    if (o.momentum != 0.0) {
      if (first_step) {
        momentum_buffer[i] = d;  // buf = clone(d)
      } else {
        if (i < fused_tail) {
          const T decayed = momentum_buffer[i] * momentum;                   // buf.mul_(mu)
          momentum_buffer[i] = std::fma(one_minus_dampening, d, decayed);    // .add_(d, alpha=1-tau)
        } else {
          momentum_buffer[i] = std::fma(momentum_buffer[i], momentum, d * one_minus_dampening);
        }
      }
      d = o.nesterov ? std::fma(momentum, momentum_buffer[i], d) : momentum_buffer[i];  // d.add(buf, alpha=mu)
    }
    param[i] = std::fma(-lr, d, param[i]);  // w.add_(d, alpha=-lr)
  }
}

}  // namespace inertia::reference
