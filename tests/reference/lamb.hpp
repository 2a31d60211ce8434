#pragma once
// Reference LAMB (optax.lamb's equations in inertia's order), one element at a
// time, straight from include/inertia/lamb.hpp: each line is the Optax
// expression named beside it, with the bias corrections as multiplications;
// the norms in the documented fixed order (reference/lars.hpp's sum of squares).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "inertia/lamb.hpp"
#include "reference/lars.hpp"

namespace inertia::reference {

/// step: the 1-based number of this step.
template <class T>
void lamb(const lamb_tensor<T>& t, const lamb_options& o, std::int64_t step) {
  const double k = double(step);
  const T inv_c1 = T(1.0 / (1.0 - std::pow(o.b1, k))), inv_c2 = T(1.0 / (1.0 - std::pow(o.b2, k)));
  const T b1 = T(o.b1), b2 = T(o.b2), one_minus_b1 = T(1.0 - o.b1), one_minus_b2 = T(1.0 - o.b2);
  const T eps = T(o.eps), eps_root = T(o.eps_root), wd = T(o.weight_decay);
  const std::size_t n = t.param.size();
  std::vector<T> u(n);
  for (std::size_t i = 0; i < n; ++i) {
    const T g = t.grad[i];
    const T mu = t.mu[i] = T(one_minus_b1 * g) + T(b1 * t.mu[i]);             // update_moment(g, mu, b1, 1)
    const T nu = t.nu[i] = T(one_minus_b2 * T(g * g)) + T(b2 * t.nu[i]);      // update_moment_per_elem_norm(g, nu, b2, 2)
    const T denominator = T(std::sqrt(T(T(nu * inv_c2) + eps_root))) + eps;  // sqrt(nu_hat + eps_root) + eps
    u[i] = T(mu * inv_c1) / denominator;                                       // mu_hat / denominator
    if (o.weight_decay != 0.0) u[i] = u[i] + T(wd * t.param[i]);             // add_decayed_weights
  }
  const double param_norm = std::sqrt(lars_sum_squares(t.param.data(), n));   // safe_norm(param, 0)
  const double update_norm = std::sqrt(lars_sum_squares(u.data(), n));        // safe_norm(update, 0)
  const double ratio = param_norm == 0.0 || update_norm == 0.0 ? 1.0 : param_norm / update_norm;
  const T scale = T(-o.lr * ratio);                                           // trust ratio, then -lr
  for (std::size_t i = 0; i < n; ++i) t.param[i] = t.param[i] + T(scale * u[i]);  // apply_updates
}

}  // namespace inertia::reference
