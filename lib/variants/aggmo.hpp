#pragma once
// aggmo: the authors' PyTorch AggMo. Equations and rounding: include/inertia/aggmo.hpp.
#include <cstddef>

#include "gradient_source.hpp"
#include "inertia/aggmo.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct aggmo_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  const std::span<T>* velocities;  ///< K of them, velocities[k] decays by betas[k]
  const double* betas;
  std::size_t count;               ///< K
  M step_size, weight_decay;       ///< lr / K
  bool use_weight_decay;

  static aggmo_rule make(T* param, const T* grad, std::span<const std::span<T>> velocities, const aggmo_options& o) {
    return {param,       {grad}, velocities.data(), o.betas.data(), o.betas.size(), M(o.lr / double(o.betas.size())),
            M(o.weight_decay), o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads w, g and the K velocities; writes the K velocities and w.
  std::size_t bytes_per_element() const { return sizeof(T) * (2 * count + 3); }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    V w = Lanes::load(param + i);
    V d = grad.template load<Lanes>(i);
    if (use_weight_decay) d = fused_multiply_add(V(weight_decay), w, d);
    for (std::size_t k = 0; k < count; ++k) {
      T* velocity = velocities[k].data() + i;
      // Each beta is rounded to M here, per vector: a conversion and a
      // broadcast, nothing next to the 2K + 3 memory streams.
      const V v = Lanes::load(velocity) * V(M(betas[k])) - d;
      Lanes::store(velocity, v);
      w = fused_multiply_add(V(step_size), v, w);
    }
    Lanes::store(param + i, w);
  }
};

}  // namespace inertia::detail
