#pragma once
// adagrad: torch.optim.Adagrad (torch 2.x and 1.13). Equations and rounding: include/inertia/adagrad.hpp.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "gradient_source.hpp"
#include "inertia/adagrad.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct adagrad_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* sum;
  M weight_decay, eps, neg_clr;
  bool maximize, use_weight_decay;

  /// step: the 1-based number of this step.
  static adagrad_rule make(const adagrad_tensor<T>& t, const adagrad_options& o, std::int64_t step) {
    // clr as torch forms it: a Python float from the float step counter, or
    // the fused kernel's contracted C++ expression.
    const double t_minus_1 = static_cast<double>(step - 1);
    const double clr = o.numerics == adagrad_numerics::pytorch_fused ? o.lr / std::fma(t_minus_1, o.lr_decay, 1.0)
                                                                     : o.lr / (1.0 + t_minus_1 * o.lr_decay);
    return {t.param.data(), {t.grad.data()}, t.sum.data(), M(o.weight_decay), M(o.eps), M(-clr),
            o.maximize, o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, sum; writes w, sum.
  std::size_t bytes_per_element() const { return sizeof(T) * 5; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    V g = grad.template load<Lanes>(i, grad.transforms());
    if (maximize) g = negate(g);
    if (use_weight_decay) g = fused_multiply_add(V(weight_decay), w, g);
    const V s = fused_multiply_add(g, g, Lanes::load(sum + i));
    Lanes::store(sum + i, s);
    Lanes::store(param + i, w + (V(neg_clr) * g) / (square_root(s) + V(eps)));
  }
};

}  // namespace inertia::detail
