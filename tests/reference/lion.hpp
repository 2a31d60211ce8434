#pragma once
// Reference Lion (Optax lion: scale_by_lion, add_decayed_weights,
// scale_by_learning_rate, apply_updates, op by op), straight from
// include/inertia/lion.hpp.
#include <cstddef>

#include "inertia/lion.hpp"
#include "reference/sign.hpp"

namespace inertia::reference {

template <class T>
void lion(T* param, const T* grad, T* momentum, std::size_t n, const lion_options& o) {
  const T beta1 = T(o.beta1), one_minus_beta1 = T(1.0 - o.beta1);
  const T beta2 = T(o.beta2), one_minus_beta2 = T(1.0 - o.beta2);
  const T weight_decay = T(o.weight_decay), neg_lr = T(-o.lr);
  for (std::size_t i = 0; i < n; ++i) {
    const T c = one_minus_beta1 * grad[i] + beta1 * momentum[i];               // (1 - b1) * g + b1 * mu
    T update = sign(c);                                                        // jnp.sign
    if (o.weight_decay != 0.0) update = update + weight_decay * param[i];      // g + wd * p
    update = neg_lr * update;                                                  // scale(-lr)
    param[i] = param[i] + update;                                              // apply_updates
    momentum[i] = one_minus_beta2 * grad[i] + beta2 * momentum[i];             // update_moment
  }
}

}  // namespace inertia::reference
