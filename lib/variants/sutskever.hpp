#pragma once
// sutskever: Keras / TF2 SGD. Equations and rounding: include/inertia/sutskever.hpp.
#include <cstddef>
#include <type_traits>

#include "inertia/sutskever.hpp"
#include "gradient_source.hpp"
#include "simd/flags.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

/// What sutskever's loop tests, in this order: bools as a rule is made,
/// std::bool_constant in the loops its specialize() asks for.
template <class Momentum = bool, class Nesterov = bool, class GradientTransforms = bool>
struct sutskever_flags {
  Momentum use_momentum;
  Nesterov nesterov;
  GradientTransforms transform_gradient;
};

template <class T>
struct sutskever_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* velocity;
  M lr, momentum;
  bool use_momentum, nesterov;

  static sutskever_rule make(T* param, const T* grad, T* velocity, const sutskever_options& o) {
    return {param, {grad}, velocity, M(o.lr), M(o.momentum), o.momentum != 0.0, o.nesterov};
  }

  const T* anchor() const { return param; }
  std::size_t bytes_per_element() const { return sizeof(T) * (use_momentum ? 5 : 3); }

  /// Inlined always, as gradient_source::transforms(): the sanitizer build left it out of line in avx2 once.
  [[gnu::always_inline]] sutskever_flags<> runtime_flags() const { return {use_momentum, nesterov, grad.transforms()}; }

  /// The loops run with these flags as constants (simd/flags.hpp).
  template <class Run>
  void specialize(Run&& run) const {
    if (grad.transforms()) return run(*this);
    if (!use_momentum)  // nesterov means nothing without a velocity
      return run_specialised<sutskever_flags>(*this, run, std::false_type{}, std::false_type{}, std::false_type{});
    run_specialised<sutskever_flags>(*this, run, std::true_type{}, nesterov, std::false_type{});
  }

  template <class Lanes>
  void apply(std::size_t i) const {
    apply<Lanes>(i, runtime_flags());
  }

  template <class Lanes, class Flags>
  void apply(std::size_t i, const Flags& flags) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    const V step = grad.template load<Lanes>(i, flags.transform_gradient) * V(lr);
    if (!flags.use_momentum) {
      Lanes::store(param + i, w - step);
      return;
    }
    const V v = Lanes::load(velocity + i) * V(momentum) - step;
    Lanes::store(velocity + i, v);
    Lanes::store(param + i, flags.nesterov ? w + (v * V(momentum) - step) : w + v);
  }
};

}  // namespace inertia::detail
