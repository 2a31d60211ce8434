#pragma once
// weight_ema: Polyak averaging of the weights. Equations and rounding:
// include/inertia/weight_ema.hpp.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/weight_ema.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct weight_ema_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* average;
  const T* param;
  /// torch_lerp: w or w - 1; mul_add: decay_t.
  M coefficient;
  /// mul_add: 1 - decay_t.
  M param_weight;
  bool lerp;
  /// torch_lerp with |w| < 0.5: the FMA adds to the average, otherwise to param.
  bool from_average;

  static weight_ema_rule make(T* average, const T* param, const weight_ema_options& o, std::int64_t updates) {
    const double t = static_cast<double>(updates);
    const double decay = o.warmup ? std::min(o.decay, (1.0 + t) / (10.0 + t)) : o.decay;
    if (o.rounding == weight_ema_rounding::torch_lerp) {
      const M weight = M(1.0 - decay);  // lerp_(param, weight=1 - decay): a Python float cast to the dtype
      const bool small = std::abs(weight) < M(0.5);
      return {average, param, small ? weight : weight - M(1), M(0), true, small};
    }
    return {average, param, M(decay), M(1.0 - decay), false, false};
  }

  const T* anchor() const { return average; }
  /// Reads the average and param; writes the average.
  std::size_t bytes_per_element() const { return sizeof(T) * 3; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V e = Lanes::load(average + i);
    const V w = Lanes::load(param + i);
    Lanes::store(average + i, lerp ? fused_multiply_add(V(coefficient), w - e, from_average ? e : w)
                                   : V(coefficient) * e + V(param_weight) * w);
  }
};

}  // namespace inertia::detail
