#pragma once
// adam, nadam: torch.optim.Adam / AdamW / NAdam (1.13). Equations and
// rounding: include/inertia/adam.hpp.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "gradient_source.hpp"
#include "inertia/adam.hpp"
#include "simd/flags.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

/// The moment updates every member of the family shares, in torch's order:
/// exp_avg.mul_(beta1).add_(g, alpha=1-beta1) and
/// exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2).
template <class T>
struct adam_moments {
  T* exp_avg;
  T* exp_avg_sq;
  T beta1, one_minus_beta1, beta2, one_minus_beta2;

  static adam_moments make(const adam_tensor<T>& t, double beta1, double beta2) {
    // 1 - beta is formed in double, as Python does, then rounded to T once.
    return {t.exp_avg.data(), t.exp_avg_sq.data(), T(beta1), T(1.0 - beta1), T(beta2), T(1.0 - beta2)};
  }

  /// Stores and returns the new (m, v) at i.
  template <class Lanes>
  std::pair<typename Lanes::vec, typename Lanes::vec> update(std::size_t i, typename Lanes::vec g) const {
    using V = typename Lanes::vec;
    const V m = fused_multiply_add(V(one_minus_beta1), g, Lanes::load(exp_avg + i) * V(beta1));
    const V v = fused_multiply_add(V(one_minus_beta2) * g, g, Lanes::load(exp_avg_sq + i) * V(beta2));
    Lanes::store(exp_avg + i, m);
    Lanes::store(exp_avg_sq + i, v);
    return {m, v};
  }
};

/// What adam's loop tests, in this order: bools as a rule is made,
/// std::bool_constant in the loops its specialize() asks for.
template <class Maximize = bool, class CoupledDecay = bool, class DecoupledDecay = bool, class Amsgrad = bool,
          class GradientTransforms = bool>
struct adam_flags {
  Maximize maximize;
  CoupledDecay coupled_decay;
  DecoupledDecay decoupled_decay;
  Amsgrad amsgrad;
  GradientTransforms transform_gradient;
};

template <class T>
struct adam_rule {
  using value_type = T;
  T* param;
  gradient_source<T> grad;
  T* max_exp_avg_sq;
  adam_moments<T> moments;
  T weight_decay, decay_factor, bias_correction2_sqrt, eps, neg_step_size;
  bool maximize, coupled_decay, decoupled_decay, amsgrad;

  /// step: the 1-based count of this step.
  static adam_rule make(const adam_tensor<T>& t, const adam_options& o, std::int64_t step) {
    const double bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(step));
    const double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(step));
    return {t.param.data(),
            {t.grad.data()},
            o.amsgrad ? t.max_exp_avg_sq.data() : nullptr,
            adam_moments<T>::make(t, o.beta1, o.beta2),
            T(o.weight_decay),
            T(1.0 - o.lr * o.weight_decay),
            T(std::sqrt(bias_correction2)),
            T(o.eps),
            T(-(o.lr / bias_correction1)),
            o.maximize,
            !o.decoupled_weight_decay && o.weight_decay != 0.0,
            o.decoupled_weight_decay,
            o.amsgrad};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, m, v (and v_max); writes w, m, v (and v_max).
  std::size_t bytes_per_element() const { return sizeof(T) * (amsgrad ? 9 : 7); }

  adam_flags<> runtime_flags() const {
    return {maximize, coupled_decay, decoupled_decay, amsgrad, grad.transforms()};
  }

  /// The loops run with these flags as constants (simd/flags.hpp): three
  /// loops, Adam with and without L2 decay and AdamW. maximize, amsgrad and
  /// the policy's gradient transforms are rare and keep their tests: each
  /// would double the loops to compile for every target and element type.
  template <class Run>
  void specialize(Run&& run) const {
    if (maximize || amsgrad || grad.transforms()) return run(*this);
    const std::false_type off;
    if (decoupled_decay)  // AdamW: never coupled as well
      return run_specialised<adam_flags>(*this, run, off, off, std::true_type{}, off, off);
    run_specialised<adam_flags>(*this, run, off, coupled_decay, off, off, off);
  }

  template <class Lanes>
  void apply(std::size_t i) const {
    apply<Lanes>(i, runtime_flags());
  }

  template <class Lanes, class Flags>
  void apply(std::size_t i, const Flags& flags) const {
    using V = typename Lanes::vec;
    V w = Lanes::load(param + i);
    V g = grad.template load<Lanes>(i, flags.transform_gradient);
    if (flags.maximize) g = negate(g);
    if (flags.decoupled_decay) w = w * V(decay_factor);
    if (flags.coupled_decay) g = fused_multiply_add(V(weight_decay), w, g);
    const auto [m, v] = moments.template update<Lanes>(i, g);
    V second_moment = v;
    if (flags.amsgrad) {
      second_moment = maximum(Lanes::load(max_exp_avg_sq + i), v);
      Lanes::store(max_exp_avg_sq + i, second_moment);
    }
    const V denom = square_root(second_moment) / V(bias_correction2_sqrt) + V(eps);
    Lanes::store(param + i, w + (V(neg_step_size) * m) / denom);
  }
};

/// NAdam's per-step scalars as torch 1.13 computes them: Python floats
/// (double), and mu_product in a float32 tensor.
struct nadam_schedule {
  double mu, mu_next;
  float mu_product;       ///< after this step
  float mu_product_next;  ///< torch 1.13: mu_product * mu * mu_next (mu counted twice)

  static nadam_schedule at(const nadam_options& o, std::int64_t step, float mu_product_before) {
    const double t = static_cast<double>(step);
    const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay));
    const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * o.momentum_decay));
    const float mu_product = mu_product_before * static_cast<float>(mu);
    return {mu, mu_next, mu_product, mu_product * static_cast<float>(mu) * static_cast<float>(mu_next)};
  }
};

template <class T>
struct nadam_rule {
  using value_type = T;
  T* param;
  gradient_source<T> grad;
  adam_moments<T> moments;
  T weight_decay, bias_correction2, eps, grad_step, momentum_step;
  bool use_weight_decay;

  /// step: the 1-based count of this step; schedule: nadam_schedule::at that step.
  static nadam_rule make(const adam_tensor<T>& t, const nadam_options& o, std::int64_t step,
                         const nadam_schedule& s) {
    return {t.param.data(),
            {t.grad.data()},
            adam_moments<T>::make(t, o.beta1, o.beta2),
            T(o.weight_decay),
            T(1.0 - std::pow(o.beta2, static_cast<double>(step))),
            T(o.eps),
            T(-o.lr * (1.0 - s.mu) / (1.0 - static_cast<double>(s.mu_product))),
            T(-o.lr * s.mu_next / (1.0 - static_cast<double>(s.mu_product_next))),
            o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, m, v; writes w, m, v.
  std::size_t bytes_per_element() const { return sizeof(T) * 7; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    V g = grad.template load<Lanes>(i);
    if (use_weight_decay) g = fused_multiply_add(V(weight_decay), w, g);
    const auto [m, v] = moments.template update<Lanes>(i, g);
    const V denom = square_root(v / V(bias_correction2)) + V(eps);
    const V after_grad = w + (V(grad_step) * g) / denom;
    Lanes::store(param + i, after_grad + (V(momentum_step) * m) / denom);
  }
};

}  // namespace inertia::detail
