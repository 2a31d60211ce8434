#pragma once
// lars: the update once a tensor's norms are known. Equations and rounding:
// include/inertia/lars.hpp. Norms: lib/reduction.hpp.
#include <cmath>
#include <cstddef>

#include "inertia/lars.hpp"
#include "gradient_source.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct lars_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* momentum_buffer;
  M scale, momentum, weight_decay;

  /// scale = lr * local_lr from the tensor's sums of squares (in double).
  static lars_rule make(T* param, const T* grad, T* momentum_buffer, const lars_options& o, double param_squares,
                        double grad_squares) {
    const double param_norm = std::sqrt(param_squares), grad_norm = std::sqrt(grad_squares);
    const double local_lr = param_norm > 0.0 && grad_norm > 0.0
                                ? o.eta * param_norm / (grad_norm + o.weight_decay * param_norm)
                                : 1.0;
    return {param, {grad}, momentum_buffer, M(o.lr * local_lr), M(o.momentum), M(o.weight_decay)};
  }

  const T* anchor() const { return param; }
  /// The update pass alone (the norm pass reads w and g once more).
  std::size_t bytes_per_element() const { return sizeof(T) * 5; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    const V d = fused_multiply_add(V(weight_decay), w, grad.template load<Lanes>(i));
    const V v = fused_multiply_add(V(scale), d, Lanes::load(momentum_buffer + i) * V(momentum));
    Lanes::store(momentum_buffer + i, v);
    Lanes::store(param + i, w - v);
  }
};

}  // namespace inertia::detail
