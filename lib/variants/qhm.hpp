#pragma once
// qhm: qhoptim's PyTorch QHM. Equations and rounding: include/inertia/qhm.hpp.
#include <cstddef>

#include "gradient_source.hpp"
#include "inertia/qhm.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct qhm_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* velocity;
  M beta, one_minus_beta, momentum_step, gradient_step, weight_decay;
  bool use_weight_decay;

  static qhm_rule make(T* param, const T* grad, T* velocity, const qhm_options& o) {
    // qhoptim's alphas, as Python forms them: -lr * nu and -lr * (1.0 - nu).
    return {param,          {grad},           velocity, M(o.beta), M(1.0 - o.beta), M(-o.lr * o.nu),
            M(-o.lr * (1.0 - o.nu)), M(o.weight_decay), o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, v; writes v, w.
  std::size_t bytes_per_element() const { return sizeof(T) * 5; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    V d = grad.template load<Lanes>(i);
    if (use_weight_decay) d = fused_multiply_add(V(weight_decay), w, d);
    const V v = fused_multiply_add(V(one_minus_beta), d, Lanes::load(velocity + i) * V(beta));
    Lanes::store(velocity + i, v);
    Lanes::store(param + i, fused_multiply_add(V(gradient_step), d, fused_multiply_add(V(momentum_step), v, w)));
  }
};

}  // namespace inertia::detail
