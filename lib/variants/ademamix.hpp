#pragma once
// ademamix: optax.contrib.ademamix. Equations and rounding: include/inertia/ademamix.hpp.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "gradient_source.hpp"
#include "inertia/ademamix.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

/// The paper's Algorithm 1 warm-ups at k = step - 1, in double.
inline ademamix_schedule ademamix_at(const ademamix_options& o, std::int64_t step) {
  const double k = static_cast<double>(step - 1);
  const double alpha = o.alpha_warmup == 0.0 ? o.alpha : std::min(k * o.alpha / o.alpha_warmup, o.alpha);
  double b3 = o.b3;
  if (o.b3_warmup != 0.0) {
    const double f = k / o.b3_warmup, log_b1 = std::log(o.b1), log_b3 = std::log(o.b3);
    b3 = std::min(std::exp(log_b1 * log_b3 / ((1 - f) * log_b3 + f * log_b1)), o.b3);
  }
  return {b3, alpha};
}

template <class T>
struct ademamix_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T *m1, *m2, *nu;
  M b1, one_minus_b1, b3, one_minus_b3, b2, one_minus_b2;
  M inverse_correction1, inverse_correction2, alpha, eps_root, eps, weight_decay, neg_lr;
  bool use_weight_decay;

  /// Optax's 1 / (1 - b^t), formed in M from M(b) (ema_rule's).
  static M inverse_bias_correction(double b, std::int64_t step) {
    return M(1) / (M(1) - std::pow(M(b), M(step)));
  }

  static ademamix_rule make(const ademamix_tensor<T>& t, const ademamix_options& o, std::int64_t step) {
    const ademamix_schedule s = ademamix_at(o, step);
    return {t.param.data(), {t.grad.data()}, t.m1.data(), t.m2.data(), t.nu.data(),
            M(o.b1), M(1.0 - o.b1), M(s.b3), M(1.0 - s.b3), M(o.b2), M(1.0 - o.b2),
            inverse_bias_correction(o.b1, step), inverse_bias_correction(o.b2, step), M(s.alpha), M(o.eps_root),
            M(o.eps), M(o.weight_decay), M(-o.lr), o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, m1, m2, nu; writes w, m1, m2, nu.
  std::size_t bytes_per_element() const { return sizeof(T) * 9; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    const V g = grad.template load<Lanes>(i, grad.transforms());
    const V fast = V(one_minus_b1) * g + V(b1) * Lanes::load(m1 + i);
    const V slow = V(one_minus_b3) * g + V(b3) * Lanes::load(m2 + i);
    const V second = V(one_minus_b2) * (g * g) + V(b2) * Lanes::load(nu + i);
    Lanes::store(m1 + i, fast);
    Lanes::store(m2 + i, slow);
    Lanes::store(nu + i, second);
    V u = (fast * V(inverse_correction1) + V(alpha) * slow) /
          (square_root(second * V(inverse_correction2) + V(eps_root)) + V(eps));
    if (use_weight_decay) u = u + V(weight_decay) * w;
    Lanes::store(param + i, w + V(neg_lr) * u);
  }
};

}  // namespace inertia::detail
