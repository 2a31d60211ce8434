#pragma once
// ema: Optax ema + scale(-lr). Equations and rounding: include/inertia/ema.hpp.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/ema.hpp"
#include "gradient_source.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct ema_rule {
  using value_type = T;
  T* param;
  gradient_source<T> grad;
  T* velocity;
  T neg_lr, beta, one_minus_beta, inverse_correction;
  bool bias_correction;

  /// Optax's 1 / (1 - beta^step), formed in T from T(beta) as JAX does.
  static T inverse_bias_correction(double beta, std::int64_t step) {
    return T(1) / (T(1) - std::pow(T(beta), T(step)));
  }

  static ema_rule make(T* param, const T* grad, T* velocity, const ema_options& o, std::int64_t step) {
    const T inverse = o.bias_correction ? inverse_bias_correction(o.beta, step) : T(1);
    return {param, {grad}, velocity, T(-o.lr), T(o.beta), T(1.0 - o.beta), inverse, o.bias_correction};
  }

  const T* anchor() const { return param; }
  std::size_t bytes_per_element() const { return sizeof(T) * 5; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V v = V(one_minus_beta) * grad.template load<Lanes>(i) + V(beta) * Lanes::load(velocity + i);
    Lanes::store(velocity + i, v);
    const V v_hat = bias_correction ? v * V(inverse_correction) : v;
    Lanes::store(param + i, Lanes::load(param + i) + V(neg_lr) * v_hat);
  }
};

}  // namespace inertia::detail
