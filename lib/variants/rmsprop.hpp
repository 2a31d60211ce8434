#pragma once
// rmsprop: torch.optim.RMSprop (torch 2.x and 1.13), with Optax's nesterov and
// eps_in_sqrt. Equations and rounding: include/inertia/rmsprop.hpp.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "gradient_source.hpp"
#include "inertia/rmsprop.hpp"
#include "simd/flags.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

/// What rmsprop's loop tests, in this order: bools as a rule is made,
/// std::bool_constant in the loops its specialize() asks for.
template <class Centered = bool, class Momentum = bool, class WeightDecay = bool, class Maximize = bool,
          class Lerp = bool, class Nesterov = bool, class EpsInSqrt = bool, class GradientTransforms = bool>
struct rmsprop_flags {
  Centered centered;
  Momentum use_momentum;
  WeightDecay use_weight_decay;
  Maximize maximize;
  Lerp lerp;  ///< torch 2.x's grad_avg (every order but pytorch_1_13)
  Nesterov nesterov;
  EpsInSqrt eps_in_sqrt;
  GradientTransforms transform_gradient;
};

template <class T>
struct rmsprop_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* square_avg;
  T* momentum_buffer;
  T* grad_avg;
  M alpha, one_minus_alpha, eps, weight_decay, momentum, neg_lr;
  /// ATen's lerp with weight c = r(1 - alpha): fma(coefficient, g - a, base),
  /// coefficient c and base a when |c| < 0.5, else c - 1 and base g.
  M lerp_coefficient;
  bool lerp_from_gradient;
  bool centered, use_momentum, use_weight_decay, maximize, lerp, nesterov, eps_in_sqrt;

  static rmsprop_rule make(const rmsprop_tensor<T>& t, const rmsprop_options& o) {
    // 1 - alpha is formed in double, as Python does, then rounded to M once.
    const M weight = M(1.0 - o.alpha);
    const bool small = std::abs(weight) < M(0.5);
    const bool use_momentum = o.momentum > 0.0;
    return {t.param.data(),
            {t.grad.data()},
            t.square_avg.data(),
            use_momentum ? t.momentum_buffer.data() : nullptr,
            o.centered ? t.grad_avg.data() : nullptr,
            M(o.alpha),
            weight,
            M(o.eps),
            M(o.weight_decay),
            M(o.momentum),
            M(-o.lr),
            small ? weight : M(weight - M(1)),
            !small,
            o.centered,
            use_momentum,
            o.weight_decay != 0.0,
            o.maximize,
            o.numerics != rmsprop_numerics::pytorch_1_13,
            o.nesterov,
            o.eps_in_sqrt};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, s (and a, b); writes w, s (and a, b).
  std::size_t bytes_per_element() const {
    return sizeof(T) * (5 + (centered ? 2 : 0) + (use_momentum ? 2 : 0));
  }

  /// Inlined always, as gradient_source::transforms(): the sanitizer build left it out of line in avx2 once.
  [[gnu::always_inline]] rmsprop_flags<> runtime_flags() const {
    return {centered, use_momentum, use_weight_decay, maximize, lerp, nesterov, eps_in_sqrt, grad.transforms()};
  }

  /// The loops run with these flags as constants (simd/flags.hpp) in torch's
  /// default configuration (neither centered nor momentum), with and without
  /// weight decay. Every other option keeps its tests: each specialised
  /// combination is one more copy of the loops for every target and element
  /// type (all eight of centered x momentum x weight decay made the library's
  /// build, built four times in CI, minutes longer), and the centered and
  /// momentum forms are bound by their square root and division in cache
  /// anyway.
  template <class Run>
  void specialize(Run&& run) const {
    if (centered || use_momentum || maximize || nesterov || eps_in_sqrt || grad.transforms()) return run(*this);
    const std::false_type off;
    run_specialised<rmsprop_flags>(*this, run, off, off, use_weight_decay, off, std::true_type{}, off, off, off);
  }

  template <class Lanes>
  void apply(std::size_t i) const {
    apply<Lanes>(i, runtime_flags());
  }

  template <class Lanes, class Flags>
  void apply(std::size_t i, const Flags& flags) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    V g = grad.template load<Lanes>(i, flags.transform_gradient);
    if (flags.maximize) g = negate(g);
    if (flags.use_weight_decay) g = fused_multiply_add(V(weight_decay), w, g);
    const V s = fused_multiply_add(V(one_minus_alpha) * g, g, Lanes::load(square_avg + i) * V(alpha));
    Lanes::store(square_avg + i, s);
    V v = s;
    if (flags.centered) {
      const V a_before = Lanes::load(grad_avg + i);
      const V a = flags.lerp ? aten_lerp(a_before, g, lerp_coefficient, lerp_from_gradient)
                             : fused_multiply_add(V(one_minus_alpha), g, a_before * V(alpha));
      Lanes::store(grad_avg + i, a);
      v = fused_multiply_add(negate(a), a, s);
    }
    const V avg = flags.eps_in_sqrt ? square_root(v + V(eps)) : square_root(v) + V(eps);
    if (flags.use_momentum) {
      const V direction = g / avg;
      const V b = Lanes::load(momentum_buffer + i) * V(momentum) + direction;
      Lanes::store(momentum_buffer + i, b);
      const V update = flags.nesterov ? fused_multiply_add(V(momentum), b, direction) : b;
      Lanes::store(param + i, fused_multiply_add(update, V(neg_lr), w));
    } else {
      Lanes::store(param + i, w + (V(neg_lr) * g) / avg);
    }
  }
};

}  // namespace inertia::detail
