#pragma once
// Reference Simplified AdEMAMix (optax.contrib.simplified_ademamix, eager), one
// element at a time, straight from include/inertia/simplified_ademamix.hpp:
// each line the Optax expression named beside it, every product and sum
// rounded on its own.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/simplified_ademamix.hpp"

namespace inertia::reference {

/// step: the 1-based number of this step. c2: 1 - b2^t in T (by default
/// libm's pow of T(b2) as below; the golden replay checks it is XLA's).
template <class T>
void simplified_ademamix(const simplified_ademamix_tensor<T>& t, const simplified_ademamix_options& o, T c2) {
  const T inv2 = T(1) / c2;  // n / bias_correction, which XLA turns into a multiply
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    const T g = t.grad[i], w = t.param[i];
    const T m = t.m[i] = g + T(T(o.b1) * t.m[i]);                           // add_scale(g, b1, m)
    const T square = g * g;                                                  // mul(g, g)
    const T n = t.n[i] = square + T(T(o.b2) * T(t.n[i] - square));          // lerp(b2, g * g, n)
    T u = T(m + T(T(o.alpha) * g)) / T(std::sqrt(T(n * inv2) + T(o.eps_root)) + T(o.eps));  // u_num / u_den
    if (o.weight_decay != 0) u = u + T(T(o.weight_decay) * w);             // add_decayed_weights
    t.param[i] = w + T(T(-o.lr) * u);                                        // scale(-lr), apply_updates
  }
}

template <class T>
void simplified_ademamix(const simplified_ademamix_tensor<T>& t, const simplified_ademamix_options& o,
                         std::int64_t step) {
  simplified_ademamix(t, o, T(T(1) - std::pow(T(o.b2), T(step))));
}

}  // namespace inertia::reference
