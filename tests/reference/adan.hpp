#pragma once
// Reference Adan (optax.adan's equations in inertia's order), one element at a
// time, straight from include/inertia/adan.hpp: each line is the Optax
// expression named beside it, with the bias corrections as multiplications.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/adan.hpp"

namespace inertia::reference {

/// step: the 1-based number of this step.
template <class T>
void adan(const adan_tensor<T>& t, const adan_options& o, std::int64_t step) {
  const double k = double(step);
  const T inv_c1 = T(1.0 / (1.0 - std::pow(o.b1, k))), inv_c2 = T(1.0 / (1.0 - std::pow(o.b2, k)));
  const T inv_c3 = T(1.0 / (1.0 - std::pow(o.b3, k)));
  const T b1 = T(o.b1), b2 = T(o.b2), b3 = T(o.b3), one_minus_b1 = T(1.0 - o.b1), one_minus_b2 = T(1.0 - o.b2);
  const T one_minus_b3 = T(1.0 - o.b3), eps = T(o.eps), eps_root = T(o.eps_root), wd = T(o.weight_decay);
  const T neg_lr = T(-o.lr);
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    const T w = t.param[i], g = t.grad[i];
    const T d = step == 1 ? T(0) : T(g - t.prev_grad[i]);                       // where(t == 0, 0, g - state.g)
    const T m = t.m[i] = T(one_minus_b1 * g) + T(b1 * t.m[i]);                 // update_moment(g, m, b1, 1)
    const T v = t.v[i] = T(one_minus_b2 * d) + T(b2 * t.v[i]);                 // update_moment(d, v, b2, 1)
    const T s = g + T(one_minus_b2 * d);                                        // add_scale(g, 1 - b2, d)
    const T n = t.n[i] = T(one_minus_b3 * T(s * s)) + T(b3 * t.n[i]);          // update_moment_per_elem_norm(s, n, b3, 2)
    t.prev_grad[i] = g;
    const T numerator = T(m * inv_c1) + T(one_minus_b2 * T(v * inv_c2));       // m_hat + (1 - b2) * v_hat
    const T denominator = T(std::sqrt(T(T(n * inv_c3) + eps_root))) + eps;     // sqrt(n_hat + eps_root) + eps
    T u = numerator / denominator;
    if (o.weight_decay != 0.0) u = u + T(wd * w);                              // add_decayed_weights
    t.param[i] = w + T(neg_lr * u);                                             // scale_by_learning_rate, apply_updates
  }
}

}  // namespace inertia::reference
