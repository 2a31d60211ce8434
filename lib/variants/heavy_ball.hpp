#pragma once
// heavy_ball: torch.optim.SGD. Equations and rounding: include/inertia/heavy_ball.hpp.
#include <cstddef>

#include "inertia/heavy_ball.hpp"
#include "gradient_source.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct heavy_ball_rule {
  using value_type = T;
  T* param;
  gradient_source<T> grad;
  T* momentum_buffer;
  T neg_lr, momentum, one_minus_dampening, weight_decay;
  bool use_momentum, first_step, nesterov, maximize, use_weight_decay;
  /// pytorch_fused: elements from here on update the buffer in the fused
  /// kernel's tail order; the size of the span otherwise (never reached).
  std::size_t fused_tail_begin;

  /// The fused CPU kernel's own register width, whatever target runs here.
  static constexpr std::size_t fused_kernel_lanes = 32 / sizeof(T);

  static heavy_ball_rule make(T* param, const T* grad, T* momentum_buffer, std::size_t size,
                              const heavy_ball_options& o, bool first_step) {
    const bool fused = o.numerics == heavy_ball_numerics::pytorch_fused;
    // Coefficients are rounded to T once, as torch casts a Python float alpha
    // to the tensor's dtype; 1 - dampening is formed in double first, as Python does.
    return {param, {grad}, momentum_buffer, T(-o.lr), T(o.momentum), T(1.0 - o.dampening), T(o.weight_decay),
            o.momentum != 0.0, first_step, o.nesterov, o.maximize, o.weight_decay != 0.0,
            fused ? size - size % fused_kernel_lanes : size};
  }

  const T* anchor() const { return param; }
  /// Reads w, g (and v after the first step); writes w (and v).
  std::size_t bytes_per_element() const {
    return sizeof(T) * (use_momentum ? (first_step ? 4 : 5) : 3);
  }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    if constexpr (Lanes::width > 1) {
      if (i + Lanes::width > fused_tail_begin) {  // a vector reaching into the fused tail
        for (std::size_t lane = 0; lane < Lanes::width; ++lane)
          apply<scalar_lanes<T, typename Lanes::arch_type>>(i + lane);
        return;
      }
    }
    const V w = Lanes::load(param + i);
    V d = grad.template load<Lanes>(i);
    if (maximize) d = negate(d);
    if (use_weight_decay) d = fused_multiply_add(V(weight_decay), w, d);
    if (use_momentum) {
      V v = d;
      if (!first_step) {
        const V previous = Lanes::load(momentum_buffer + i);
        v = i < fused_tail_begin ? fused_multiply_add(V(one_minus_dampening), d, previous * V(momentum))
                                 : fused_multiply_add(previous, V(momentum), d * V(one_minus_dampening));
      }
      Lanes::store(momentum_buffer + i, v);
      d = nesterov ? fused_multiply_add(V(momentum), v, d) : v;
    }
    Lanes::store(param + i, fused_multiply_add(V(neg_lr), d, w));
  }
};

}  // namespace inertia::detail
