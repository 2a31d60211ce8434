#pragma once
// Reference LARS, straight from include/inertia/lars.hpp, including the
// documented summation order of the norms.
#include <cmath>
#include <cstddef>

#include "inertia/lars.hpp"

namespace inertia::reference {

/// Sum of squares: 4096-element chunks; in a chunk element i into lane i % 16
/// by fma; lanes added pairwise; chunk sums added in double, in order.
template <class T>
double lars_sum_squares(const T* data, std::size_t n) {
  double total = 0.0;
  for (std::size_t begin = 0; begin < n; begin += 4096) {
    T lanes[16] = {};
    const std::size_t count = n - begin < 4096 ? n - begin : 4096;
    for (std::size_t i = 0; i < count; ++i) lanes[i % 16] = std::fma(data[begin + i], data[begin + i], lanes[i % 16]);
    for (std::size_t half = 8; half >= 1; half /= 2)
      for (std::size_t j = 0; j < half; ++j) lanes[j] = lanes[j] + lanes[j + half];
    total += double(lanes[0]);
  }
  return total;
}

template <class T>
void lars(T* param, const T* grad, T* momentum_buffer, std::size_t n, const lars_options& o) {
  const double param_norm = std::sqrt(lars_sum_squares(param, n));
  const double grad_norm = std::sqrt(lars_sum_squares(grad, n));
  const double local_lr =
      param_norm > 0 && grad_norm > 0 ? o.eta * param_norm / (grad_norm + o.weight_decay * param_norm) : 1.0;
  const T scale = T(o.lr * local_lr), momentum = T(o.momentum), weight_decay = T(o.weight_decay);
  for (std::size_t i = 0; i < n; ++i) {
    const T d = std::fma(weight_decay, param[i], grad[i]);
    momentum_buffer[i] = std::fma(scale, d, momentum_buffer[i] * momentum);
    param[i] = param[i] - momentum_buffer[i];
  }
}

}  // namespace inertia::reference
