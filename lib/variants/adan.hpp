#pragma once
// adan: optax.adan. Equations and rounding: include/inertia/adan.hpp.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "gradient_source.hpp"
#include "inertia/adan.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct adan_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T *m, *v, *n, *prev_grad;
  M b1, one_minus_b1, b2, one_minus_b2, b3, one_minus_b3;
  M inv_c1, inv_c2, inv_c3, eps, eps_root, weight_decay, neg_lr;
  bool first_step, use_weight_decay;

  /// step: the 1-based number of this step.
  static adan_rule make(const adan_tensor<T>& t, const adan_options& o, std::int64_t step) {
    const double k = static_cast<double>(step);
    const auto inverse_correction = [k](double b) { return M(1.0 / (1.0 - std::pow(b, k))); };
    return {t.param.data(), {t.grad.data()}, t.m.data(), t.v.data(), t.n.data(), t.prev_grad.data(),
            M(o.b1), M(1.0 - o.b1), M(o.b2), M(1.0 - o.b2), M(o.b3), M(1.0 - o.b3),
            inverse_correction(o.b1), inverse_correction(o.b2), inverse_correction(o.b3),
            M(o.eps), M(o.eps_root), M(o.weight_decay), M(-o.lr), step == 1, o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, m, v, n, g_prev; writes w, m, v, n, g_prev.
  std::size_t bytes_per_element() const { return sizeof(T) * 11; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    const V g = grad.template load<Lanes>(i);
    const V d = first_step ? V(M(0)) : g - Lanes::load(prev_grad + i);
    const V m_new = V(one_minus_b1) * g + V(b1) * Lanes::load(m + i);
    const V v_new = V(one_minus_b2) * d + V(b2) * Lanes::load(v + i);
    const V s = g + V(one_minus_b2) * d;
    const V n_new = V(one_minus_b3) * (s * s) + V(b3) * Lanes::load(n + i);
    Lanes::store(m + i, m_new);
    Lanes::store(v + i, v_new);
    Lanes::store(n + i, n_new);
    Lanes::store(prev_grad + i, g);
    V u = (m_new * V(inv_c1) + V(one_minus_b2) * (v_new * V(inv_c2))) /
          (square_root(n_new * V(inv_c3) + V(eps_root)) + V(eps));
    if (use_weight_decay) u = u + V(weight_decay) * w;
    Lanes::store(param + i, w + V(neg_lr) * u);
  }
};

}  // namespace inertia::detail
