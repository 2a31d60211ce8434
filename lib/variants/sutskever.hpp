#pragma once
// sutskever: Keras / TF2 SGD. Equations and rounding: include/inertia/sutskever.hpp.
#include <cstddef>

#include "inertia/sutskever.hpp"
#include "gradient_source.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct sutskever_rule {
  using value_type = T;
  T* param;
  gradient_source<T> grad;
  T* velocity;
  T lr, momentum;
  bool use_momentum, nesterov;

  static sutskever_rule make(T* param, const T* grad, T* velocity, const sutskever_options& o) {
    return {param, {grad}, velocity, T(o.lr), T(o.momentum), o.momentum != 0.0, o.nesterov};
  }

  const T* anchor() const { return param; }
  std::size_t bytes_per_element() const { return sizeof(T) * (use_momentum ? 5 : 3); }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    const V step = grad.template load<Lanes>(i) * V(lr);
    if (!use_momentum) {
      Lanes::store(param + i, w - step);
      return;
    }
    const V v = Lanes::load(velocity + i) * V(momentum) - step;
    Lanes::store(velocity + i, v);
    Lanes::store(param + i, nesterov ? w + (v * V(momentum) - step) : w + v);
  }
};

}  // namespace inertia::detail
