#pragma once
// Reference ema (Optax ema + scale(-lr) + apply_updates), straight from
// include/inertia/ema.hpp.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/ema.hpp"

namespace inertia::reference {

template <class T>
void ema(T* param, const T* grad, T* velocity, std::size_t n, const ema_options& o, std::int64_t step) {
  const T beta = T(o.beta), one_minus_beta = T(1.0 - o.beta), lr = T(o.lr);
  const T inverse_correction = T(1) / (T(1) - std::pow(T(o.beta), T(step)));  // in T, from T(beta), as JAX does
  for (std::size_t i = 0; i < n; ++i) {
    velocity[i] = one_minus_beta * grad[i] + beta * velocity[i];  // (1 - decay) * g + decay * ema
    const T v_hat = o.bias_correction ? velocity[i] * inverse_correction : velocity[i];  // XLA: reciprocal, multiply
    const T update = -lr * v_hat;                                 // scale_by_learning_rate
    param[i] = param[i] + update;                                 // apply_updates
  }
}

}  // namespace inertia::reference
