#pragma once
// Reference Nesterov look-ahead point, straight from include/inertia/lookahead.hpp.
#include <cstddef>

namespace inertia::reference {

template <class T>
void nesterov_lookahead(const T* param, const T* velocity, std::size_t n, double momentum, T* lookahead) {
  const T mu = T(momentum);
  for (std::size_t i = 0; i < n; ++i) lookahead[i] = param[i] + mu * velocity[i];
}

}  // namespace inertia::reference
