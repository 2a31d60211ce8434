#pragma once
// simplified_ademamix: optax.contrib.simplified_ademamix. Equations and
// rounding: include/inertia/simplified_ademamix.hpp. The bias correction is
// ademamix's (variants/ademamix.hpp).
#include <cstddef>
#include <cstdint>

#include "gradient_source.hpp"
#include "inertia/simplified_ademamix.hpp"
#include "simd/ops.hpp"
#include "variants/ademamix.hpp"

namespace inertia::detail {

template <class T>
struct simplified_ademamix_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T *m, *n;
  M b1, b2, inverse_correction2, alpha, eps_root, eps, weight_decay, neg_lr;
  bool use_weight_decay;

  static simplified_ademamix_rule make(const simplified_ademamix_tensor<T>& t, const simplified_ademamix_options& o,
                                       std::int64_t step) {
    return {t.param.data(), {t.grad.data()}, t.m.data(), t.n.data(), M(o.b1), M(o.b2),
            ademamix_rule<T>::inverse_bias_correction(o.b2, step), M(o.alpha), M(o.eps_root), M(o.eps),
            M(o.weight_decay), M(-o.lr), o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, m, n; writes w, m, n.
  std::size_t bytes_per_element() const { return sizeof(T) * 7; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    const V g = grad.template load<Lanes>(i, grad.transforms());
    const V momentum = g + V(b1) * Lanes::load(m + i);
    const V square = g * g;
    const V second = square + V(b2) * (Lanes::load(n + i) - square);
    Lanes::store(m + i, momentum);
    Lanes::store(n + i, second);
    V u = (momentum + V(alpha) * g) / (square_root(second * V(inverse_correction2) + V(eps_root)) + V(eps));
    if (use_weight_decay) u = u + V(weight_decay) * w;
    Lanes::store(param + i, w + V(neg_lr) * u);
  }
};

}  // namespace inertia::detail
