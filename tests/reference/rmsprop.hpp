#pragma once
// Reference RMSprop (torch.optim.RMSprop, 2.x and 1.13, with Optax's nesterov
// and eps_in_sqrt), one element at a time, straight from the equations in
// include/inertia/rmsprop.hpp: each line is the torch op named beside it.
#include <cmath>
#include <cstddef>

#include "inertia/rmsprop.hpp"
#include "reference/adam.hpp"  // aten_lerp

namespace inertia::reference {

template <class T>
void rmsprop(const rmsprop_tensor<T>& t, const rmsprop_options& o) {
  const T alpha = T(o.alpha), one_minus_alpha = T(1.0 - o.alpha), eps = T(o.eps), wd = T(o.weight_decay);
  const T momentum = T(o.momentum), neg_lr = T(-o.lr);
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    const T w = t.param[i];
    T g = o.maximize ? -t.grad[i] : t.grad[i];
    if (o.weight_decay != 0.0) g = std::fma(wd, w, g);                        // grad.add(param, alpha=wd)
    const T s_scaled = t.square_avg[i] * alpha;                               // square_avg.mul_(alpha)
    const T s = t.square_avg[i] = std::fma(T(one_minus_alpha * g), g, s_scaled);  // .addcmul_(g, g, value=1-alpha)
    T v = s;
    if (o.centered) {
      const T a_before = t.grad_avg[i];
      const T a = o.numerics == rmsprop_numerics::pytorch_1_13
                      ? std::fma(one_minus_alpha, g, T(a_before * alpha))    // grad_avg.mul_(alpha).add_(g, alpha=1-alpha)
                      : aten_lerp(a_before, g, one_minus_alpha);             // grad_avg.lerp_(g, 1-alpha)
      t.grad_avg[i] = a;
      v = std::fma(-a, a, s);                                                // square_avg.addcmul(a, a, value=-1)
    }
    const T avg = o.eps_in_sqrt ? std::sqrt(T(v + eps)) : T(std::sqrt(v) + eps);  // .sqrt_().add_(eps)
    if (o.momentum > 0.0) {
      const T direction = g / avg;
      const T b = t.momentum_buffer[i] = T(t.momentum_buffer[i] * momentum) + direction;  // buf.mul_(m).addcdiv_(g, avg)
      const T update = o.nesterov ? std::fma(momentum, b, direction) : b;
      t.param[i] = std::fma(update, neg_lr, w);                              // param.add_(buf, alpha=-lr)
    } else {
      t.param[i] = w + T(neg_lr * g) / avg;                                  // param.addcdiv_(g, avg, value=-lr)
    }
  }
}

}  // namespace inertia::reference
