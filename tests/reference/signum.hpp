#pragma once
// Reference Signum (Bernstein et al. 2018), straight from
// include/inertia/signum.hpp: the momentum first, then a step along its sign.
#include <cstddef>

#include "inertia/signum.hpp"
#include "reference/sign.hpp"

namespace inertia::reference {

template <class T>
void signum(T* param, const T* grad, T* momentum, std::size_t n, const signum_options& o) {
  const T beta = T(o.beta), one_minus_beta = T(1.0 - o.beta), lr = T(o.lr);
  for (std::size_t i = 0; i < n; ++i) {
    momentum[i] = one_minus_beta * grad[i] + beta * momentum[i];
    param[i] = param[i] - lr * sign(momentum[i]);
  }
}

}  // namespace inertia::reference
