#pragma once
// Reference AdEMAMix (optax.contrib.ademamix, eager), one element at a time,
// straight from the equations in include/inertia/ademamix.hpp: each line the
// Optax expression named beside it, every product and sum rounded on its own.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/ademamix.hpp"

namespace inertia::reference {

/// step: the 1-based number of this step. c1, c2: 1 - b1^t and 1 - b2^t in T
/// (by default libm's pow of T(b) as below; the golden replay passes XLA's).
template <class T>
void ademamix(const ademamix_tensor<T>& t, const ademamix_options& o, std::int64_t step, T c1, T c2) {
  const double k = double(step - 1);  // Optax's count_m2, what b3 and alpha are scheduled on
  double alpha = o.alpha, b3 = o.b3;
  if (o.alpha_warmup != 0) alpha = std::min(k * o.alpha / o.alpha_warmup, o.alpha);
  if (o.b3_warmup != 0) {
    const double f = k / o.b3_warmup;
    b3 = std::min(std::exp(std::log(o.b1) * std::log(o.b3) / ((1 - f) * std::log(o.b3) + f * std::log(o.b1))), o.b3);
  }
  const T inv1 = T(1) / c1, inv2 = T(1) / c2;  // t / bias_correction, which XLA turns into a multiply
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    const T g = t.grad[i], w = t.param[i];
    const T m1 = t.m1[i] = T(T(1 - o.b1) * g) + T(T(o.b1) * t.m1[i]);     // (1 - b1) * g + b1 * m1
    const T m2 = t.m2[i] = T(T(1 - b3) * g) + T(T(b3) * t.m2[i]);         // (1 - b3) * g + b3 * m2
    const T nu = t.nu[i] = T(T(1 - o.b2) * T(g * g)) + T(T(o.b2) * t.nu[i]);  // (1 - b2) * g**2 + b2 * nu
    T u = T(T(m1 * inv1) + T(T(alpha) * m2)) / T(std::sqrt(T(nu * inv2) + T(o.eps_root)) + T(o.eps));
    if (o.weight_decay != 0) u = u + T(T(o.weight_decay) * w);           // add_decayed_weights
    t.param[i] = w + T(T(-o.lr) * u);                         // scale(-lr), apply_updates
  }
}

template <class T>
void ademamix(const ademamix_tensor<T>& t, const ademamix_options& o, std::int64_t step) {
  ademamix(t, o, step, T(T(1) - std::pow(T(o.b1), T(step))), T(T(1) - std::pow(T(o.b2), T(step))));
}

}  // namespace inertia::reference
