#pragma once
// schedule_free_sgd, schedule_free_adamw: schedulefree's SGDScheduleFree and
// AdamWScheduleFree. Equations and rounding: include/inertia/schedule_free*.hpp.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "gradient_source.hpp"
#include "inertia/schedule_free.hpp"
#include "inertia/schedule_free_adamw.hpp"
#include "inertia/schedule_free_sgd.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

/// The schedule as schedulefree's Python computes it, in double (schedule_free.hpp).
inline schedule_free_schedule schedule_free_at(double lr, double warmup_steps, double r, double weight_lr_power,
                                               std::int64_t step, const schedule_free_scalars& before) {
  const double k = static_cast<double>(step - 1);
  const double sched = k < warmup_steps ? (k + 1.0) / warmup_steps : 1.0;
  const double lr_t = lr * sched;
  const double lr_max = std::max(lr_t, before.lr_max);
  const double weight = std::pow(k + 1.0, r) * std::pow(lr_max, weight_lr_power);
  const double weight_sum = before.weight_sum + weight;
  const double ckp1 = weight_sum != 0.0 ? weight / weight_sum : 0.0;
  return {lr_t, ckp1, {lr_max, weight_sum}};
}

/// What both rules do after the gradient is formed: y's lerp towards z, its
/// step along g, and z's step, in schedulefree's order.
template <class T>
struct schedule_free_interpolation {
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  M lerp_coefficient;  ///< r(ckp1), or r(ckp1) - 1 when |r(ckp1)| >= 0.5
  M alpha, neg_lr;
  bool lerp_from_z;

  static schedule_free_interpolation make(const schedule_free_schedule& s, double beta) {
    const M weight = M(s.ckp1);
    const bool small = std::abs(weight) < M(0.5);
    return {small ? weight : M(weight - M(1)), M(s.lr * (beta * (1.0 - s.ckp1) - 1.0)), M(-s.lr), !small};
  }

  template <class Lanes>
  void update(T* param, T* z, std::size_t i, typename Lanes::vec y, typename Lanes::vec g) const {
    using V = typename Lanes::vec;
    const V zv = Lanes::load(z + i);
    const V lerped = aten_lerp(y, zv, lerp_coefficient, lerp_from_z);
    Lanes::store(param + i, fused_multiply_add(V(alpha), g, lerped));
    Lanes::store(z + i, fused_multiply_add(V(neg_lr), g, zv));
  }
};

template <class T>
struct schedule_free_sgd_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* z;
  schedule_free_interpolation<T> step;
  M weight_decay;
  bool use_weight_decay;

  static schedule_free_sgd_rule make(const schedule_free_sgd_tensor<T>& t, const schedule_free_sgd_options& o,
                                     const schedule_free_schedule& s) {
    return {t.param.data(), {t.grad.data()}, t.z.data(), schedule_free_interpolation<T>::make(s, o.momentum),
            M(o.weight_decay), o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads y, g, z; writes y, z.
  std::size_t bytes_per_element() const { return sizeof(T) * 5; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V y = Lanes::load(param + i);
    V g = grad.template load<Lanes>(i, grad.transforms());
    if (use_weight_decay) g = fused_multiply_add(V(weight_decay), y, g);
    step.template update<Lanes>(param, z, i, y, g);
  }
};

template <class T>
struct schedule_free_adamw_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  T* z;
  T* exp_avg_sq;
  schedule_free_interpolation<T> step;
  M beta2, one_minus_beta2, bias_correction2, eps, weight_decay;
  bool use_weight_decay;

  static schedule_free_adamw_rule make(const schedule_free_adamw_tensor<T>& t, const schedule_free_adamw_options& o,
                                       std::int64_t step, const schedule_free_schedule& s) {
    const double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(step));
    return {t.param.data(),   {t.grad.data()}, t.z.data(), t.exp_avg_sq.data(),
            schedule_free_interpolation<T>::make(s, o.beta1),
            M(o.beta2),       M(1.0 - o.beta2), M(bias_correction2), M(o.eps), M(o.weight_decay),
            o.weight_decay != 0.0};
  }

  const T* anchor() const { return param; }
  /// Reads y, g, z, v; writes y, z, v.
  std::size_t bytes_per_element() const { return sizeof(T) * 7; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V y = Lanes::load(param + i);
    const V g = grad.template load<Lanes>(i, grad.transforms());
    const V v = fused_multiply_add(V(one_minus_beta2) * g, g, Lanes::load(exp_avg_sq + i) * V(beta2));
    Lanes::store(exp_avg_sq + i, v);
    V normalised = g / (square_root(v / V(bias_correction2)) + V(eps));
    if (use_weight_decay) normalised = fused_multiply_add(V(weight_decay), y, normalised);
    step.template update<Lanes>(param, z, i, y, normalised);
  }
};

}  // namespace inertia::detail
