#pragma once
// lion: Optax's lion (and Signum, its beta1 == beta2, no-decay case).
// Equations and rounding: include/inertia/lion.hpp.
#include <cstddef>

#include "gradient_source.hpp"
#include "inertia/lion.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct lion_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* momentum;
  M neg_lr, beta1, one_minus_beta1, beta2, one_minus_beta2, weight_decay;
  /// beta1 == beta2: the new momentum is c itself (the same operations on the
  /// same operands), so it is not computed twice.
  bool same_betas, use_weight_decay;

  static lion_rule make(T* param, const T* grad, T* momentum, const lion_options& o) {
    return {param,          {grad},           momentum,           M(-o.lr),
            M(o.beta1),     M(1.0 - o.beta1), M(o.beta2),         M(1.0 - o.beta2),
            M(o.weight_decay), o.beta1 == o.beta2, o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, m; writes m, w.
  std::size_t bytes_per_element() const { return sizeof(T) * 5; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V g = grad.template load<Lanes>(i);
    const V m = Lanes::load(momentum + i);
    const V w = Lanes::load(param + i);
    const V c = V(one_minus_beta1) * g + V(beta1) * m;
    V u = sign_of(c);
    if (use_weight_decay) u = u + V(weight_decay) * w;
    Lanes::store(param + i, w + V(neg_lr) * u);
    Lanes::store(momentum + i, same_betas ? c : V(one_minus_beta2) * g + V(beta2) * m);
  }
};

}  // namespace inertia::detail
