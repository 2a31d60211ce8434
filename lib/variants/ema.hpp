#pragma once
// ema: Optax ema + scale(-lr). Equations and rounding: include/inertia/ema.hpp.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "inertia/ema.hpp"
#include "gradient_source.hpp"
#include "simd/flags.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

/// What ema's loop tests, in this order: bools as a rule is made,
/// std::bool_constant in the loops its specialize() asks for.
template <class BiasCorrection = bool, class GradientTransforms = bool>
struct ema_flags {
  BiasCorrection bias_correction;
  GradientTransforms transform_gradient;
};

template <class T>
struct ema_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* velocity;
  M neg_lr, beta, one_minus_beta, inverse_correction;
  bool bias_correction;

  /// Optax's 1 / (1 - beta^step), formed in M from M(beta) as JAX does.
  static M inverse_bias_correction(double beta, std::int64_t step) {
    return M(1) / (M(1) - std::pow(M(beta), M(step)));
  }

  static ema_rule make(T* param, const T* grad, T* velocity, const ema_options& o, std::int64_t step) {
    const M inverse = o.bias_correction ? inverse_bias_correction(o.beta, step) : M(1);
    return {param, {grad}, velocity, M(-o.lr), M(o.beta), M(1.0 - o.beta), inverse, o.bias_correction};
  }

  const T* anchor() const { return param; }
  std::size_t bytes_per_element() const { return sizeof(T) * 5; }

  /// Inlined always, as gradient_source::transforms(): the sanitizer build left it out of line in avx2 once.
  [[gnu::always_inline]] ema_flags<> runtime_flags() const { return {bias_correction, grad.transforms()}; }

  /// The loops run with these flags as constants (simd/flags.hpp).
  template <class Run>
  void specialize(Run&& run) const {
    if (grad.transforms()) return run(*this);
    run_specialised<ema_flags>(*this, run, bias_correction, std::false_type{});
  }

  template <class Lanes>
  void apply(std::size_t i) const {
    apply<Lanes>(i, runtime_flags());
  }

  template <class Lanes, class Flags>
  void apply(std::size_t i, const Flags& flags) const {
    using V = typename Lanes::vec;
    const V v = V(one_minus_beta) * grad.template load<Lanes>(i, flags.transform_gradient) +
                V(beta) * Lanes::load(velocity + i);
    Lanes::store(velocity + i, v);
    const V v_hat = flags.bias_correction ? v * V(inverse_correction) : v;
    Lanes::store(param + i, Lanes::load(param + i) + V(neg_lr) * v_hat);
  }
};

}  // namespace inertia::detail
