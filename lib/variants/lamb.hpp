#pragma once
// lamb: optax.lamb in two passes (moments and norms, then the update), each a
// rule. Equations, rounding and passes: include/inertia/lamb.hpp. Norms:
// lib/reduction.hpp; runner: lib/variants/lamb.cpp.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "gradient_source.hpp"
#include "inertia/lamb.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

/// The Adam direction plus weight decay, u, from the updated moments: the one
/// expression both passes evaluate, so pass 2's u is pass 1's bit for bit.
template <class T>
struct lamb_direction {
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  M inv_c1, inv_c2, eps, eps_root, weight_decay;
  bool use_weight_decay;

  static lamb_direction make(const lamb_options& o, std::int64_t step) {
    const double k = static_cast<double>(step);
    const auto inverse_correction = [k](double b) { return M(1.0 / (1.0 - std::pow(b, k))); };
    return {inverse_correction(o.b1), inverse_correction(o.b2), M(o.eps), M(o.eps_root), M(o.weight_decay),
            o.weight_decay != 0.0};
  }

  /// Lanes, not its vector type, is the parameter: a scalar V would be one
  /// symbol shared by every target's object (lib/targets/instantiate.hpp).
  template <class Lanes>
  typename Lanes::vec of(typename Lanes::vec w, typename Lanes::vec mu, typename Lanes::vec nu) const {
    using V = typename Lanes::vec;
    V u = (mu * V(inv_c1)) / (square_root(nu * V(inv_c2) + V(eps_root)) + V(eps));
    if (use_weight_decay) u = u + V(weight_decay) * w;
    return u;
  }
};

/// Pass 1 over one reduction chunk: mu and nu updated in place, u written to
/// scratch[i - first] for the chunk's sum of squares (first: the chunk's start,
/// or where the kept run of chunks starts, lamb.cpp).
template <class T>
struct lamb_moments_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  const T* param;
  gradient_source<T> grad;
  T *mu, *nu;
  M* scratch;  ///< u, in the math type: pass 2 reads it back unrounded
  std::size_t first;
  M b1, one_minus_b1, b2, one_minus_b2;
  lamb_direction<T> direction;

  static lamb_moments_rule make(const lamb_tensor<T>& t, const lamb_options& o, std::int64_t step) {
    return {t.param.data(), {t.grad.data()}, t.mu.data(), t.nu.data(), nullptr, 0, M(o.b1), M(1.0 - o.b1),
            M(o.b2), M(1.0 - o.b2), lamb_direction<T>::make(o, step)};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, mu, nu; writes mu, nu (the scratch stays in cache).
  std::size_t bytes_per_element() const { return sizeof(T) * 6; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V g = grad.template load<Lanes>(i);
    const V mu_new = V(one_minus_b1) * g + V(b1) * Lanes::load(mu + i);
    const V nu_new = V(one_minus_b2) * (g * g) + V(b2) * Lanes::load(nu + i);
    Lanes::store(mu + i, mu_new);
    Lanes::store(nu + i, nu_new);
    Lanes::store(scratch + (i - first), direction.template of<Lanes>(Lanes::load(param + i), mu_new, nu_new));
  }
};

/// Pass 2: u again from the stored moments, w = w + r(-lr * ratio) * u.
template <class T>
struct lamb_update_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  const T *mu, *nu;
  M scale;
  lamb_direction<T> direction;

  /// ratio: ||w|| / ||u||, or 1 (in double).
  static lamb_update_rule make(const lamb_tensor<T>& t, const lamb_options& o, std::int64_t step, double ratio) {
    return {t.param.data(), t.mu.data(), t.nu.data(), M(-o.lr * ratio), lamb_direction<T>::make(o, step)};
  }

  const T* anchor() const { return param; }
  /// Reads w, mu, nu; writes w.
  std::size_t bytes_per_element() const { return sizeof(T) * 4; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    const V w = Lanes::load(param + i);
    const V u = direction.template of<Lanes>(w, Lanes::load(mu + i), Lanes::load(nu + i));
    Lanes::store(param + i, w + V(scale) * u);
  }
};

/// Pass 2 where pass 1 kept u (a tensor, or a thread's share of one, whose u
/// fits the per-thread buffer): w = w + r(-lr * ratio) * kept[i - first], the
/// same u as lamb_update_rule forms again, without its division and sqrt.
template <class T>
struct lamb_apply_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  const M* kept;
  std::size_t first;
  M scale;

  static lamb_apply_rule make(T* param, const M* kept, std::size_t first, const lamb_options& o, double ratio) {
    return {param, kept, first, M(-o.lr * ratio)};
  }

  const T* anchor() const { return param; }
  /// Reads w and the kept u; writes w.
  std::size_t bytes_per_element() const { return sizeof(T) * 3; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    Lanes::store(param + i, Lanes::load(param + i) + V(scale) * Lanes::load(kept + (i - first)));
  }
};

/// The trust ratio from the two sums of squares, as scale_by_trust_ratio's
/// where(||w|| == 0 or ||u|| == 0, 1, ||w|| / ||u||).
inline double lamb_trust_ratio(double param_squares, double update_squares) {
  const double param_norm = std::sqrt(param_squares), update_norm = std::sqrt(update_squares);
  return param_norm == 0.0 || update_norm == 0.0 ? 1.0 : param_norm / update_norm;
}

}  // namespace inertia::detail
