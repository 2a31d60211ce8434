#pragma once
// Reference AggMo (the authors' PyTorch AggMo, velocities stored as v = -b),
// straight from include/inertia/aggmo.hpp.
#include <cmath>
#include <cstddef>

#include "inertia/aggmo.hpp"

namespace inertia::reference {

/// velocities[k] points at velocity k's n elements.
template <class T>
void aggmo(T* param, const T* grad, T* const* velocities, std::size_t n, const aggmo_options& o) {
  const std::size_t count = o.betas.size();
  const T step_size = T(o.lr / double(count)), weight_decay = T(o.weight_decay);
  for (std::size_t i = 0; i < n; ++i) {
    T d = grad[i];
    if (o.weight_decay != 0.0) d = std::fma(weight_decay, param[i], d);  // d_p.add_(p, alpha=wd)
    for (std::size_t k = 0; k < count; ++k) {
      T& v = velocities[k][i];
      v = v * T(o.betas[k]) - d;                                           // -(buf.mul_(beta).add_(d_p))
      param[i] = std::fma(step_size, v, param[i]);                        // p.sub_(buf, alpha=lr/K)
    }
  }
}

}  // namespace inertia::reference
