#pragma once
// Reference QHM (qhoptim's PyTorch QHM), straight from include/inertia/qhm.hpp.
#include <cmath>
#include <cstddef>

#include "inertia/qhm.hpp"

namespace inertia::reference {

template <class T>
void qhm(T* param, const T* grad, T* velocity, std::size_t n, const qhm_options& o) {
  const T beta = T(o.beta), one_minus_beta = T(1.0 - o.beta), weight_decay = T(o.weight_decay);
  const T momentum_alpha = T(-o.lr * o.nu), gradient_alpha = T(-o.lr * (1.0 - o.nu));
  for (std::size_t i = 0; i < n; ++i) {
    T d = grad[i];
    if (o.weight_decay != 0.0) d = std::fma(weight_decay, param[i], d);       // d_p.add_(p, alpha=wd)
    velocity[i] = std::fma(one_minus_beta, d, velocity[i] * beta);           // buf.mul_(beta).add_(d_p, alpha=1-beta)
    param[i] = std::fma(momentum_alpha, velocity[i], param[i]);              // p.add_(buf, alpha=-lr*nu)
    param[i] = std::fma(gradient_alpha, d, param[i]);                        // p.add_(d_p, alpha=-lr*(1-nu))
  }
}

}  // namespace inertia::reference
