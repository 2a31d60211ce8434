#pragma once
// Reference sutskever (Keras SGD), straight from include/inertia/sutskever.hpp.
#include <cstddef>

#include "inertia/sutskever.hpp"

namespace inertia::reference {

template <class T>
void sutskever(T* param, const T* grad, T* velocity, std::size_t n, const sutskever_options& o) {
  const T lr = T(o.lr), momentum = T(o.momentum);
  for (std::size_t i = 0; i < n; ++i) {
    if (o.momentum == 0.0) {
      param[i] = param[i] - grad[i] * lr;  // variable.assign_sub(gradient * learning_rate)
      continue;
    }
    velocity[i] = velocity[i] * momentum - grad[i] * lr;  // m.assign(m * momentum - gradient * learning_rate)
    if (o.nesterov)
      param[i] = param[i] + (velocity[i] * momentum - grad[i] * lr);
    else
      param[i] = param[i] + velocity[i];
  }
}

}  // namespace inertia::reference
