#pragma once
// Adan (Xie et al. 2022) with the semantics of optax.adan: scale_by_adan(b1,
// b2, b3, eps, eps_root), add_decayed_weights(weight_decay),
// scale_by_learning_rate(lr). m, v, n and the previous gradient start at 0;
// step t = 1, 2, ...:
//
//   d   = t == 1 ? 0 : g - g_prev
//   m   = b1 * m + (1 - b1) * g
//   v   = b2 * v + (1 - b2) * d
//   n   = b3 * n + (1 - b3) * (g + (1 - b2) * d)^2
//   u   = (m / c1 + (1 - b2) * v / c2) / (sqrt(n / c3 + eps_root) + eps),  ck = 1 - bk^t
//   u   = u + weight_decay * w
//   w   = w - lr * u
//   g_prev = g
//
// Rounding. T is the element type and r() rounds to T. As Optax's eager ops,
// every product and sum is rounded on its own (no fma); 1 - bk is formed in
// double and rounded once. Unlike Optax, the three bias corrections are
// multiplications by r(1 / ck) (1 / ck in double, from libm pow), not
// divisions: a division is one of the two costliest operations of the step
// (with sqrt; see the README's Performance), and Optax's float32 bk^t is
// XLA's own pow, not reproducible anyway. So this is optax.adan within a
// stated bound (tests/test_adan.cpp), not bit for bit:
//   d   = g - g_prev                          (0 on step 1)
//   m   = r(1 - b1) * g + r(b1) * m
//   v   = r(1 - b2) * d + r(b2) * v
//   s   = g + r(1 - b2) * d
//   n   = r(1 - b3) * (s * s) + r(b3) * n
//   u   = (m * r(1/c1) + r(1 - b2) * (v * r(1/c2))) / (sqrt(n * r(1/c3) + r(eps_root)) + r(eps))
//   u   = u + r(wd) * w                       (when weight_decay != 0)
//   w   = w + r(-lr) * u
// Arithmetic per element: 24 operations (26 with weight decay), of them one
// sqrt and one division. Memory traffic: reads w, g, m, v, n, g_prev and
// writes w, m, v, n, g_prev (11 elements: 44 / 88 bytes).
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

struct adan_options {
  double lr = 1e-3;            ///< >= 0, finite (Optax's learning_rate, required there)
  double b1 = 0.98;            ///< [0, 1): decay of m
  double b2 = 0.92;            ///< [0, 1): decay of v (the gradient differences)
  double b3 = 0.99;            ///< [0, 1): decay of n
  double eps = 1e-8;           ///< >= 0, finite; outside the sqrt
  double eps_root = 1e-8;      ///< >= 0, finite; inside the sqrt
  double weight_decay = 0.0;   ///< >= 0, finite; added to the update (decoupled)
};

/// One parameter tensor and its state (Optax's ScaleByAdanState: m, v, n, g).
template <class T>
struct adan_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> m;
  std::span<T> v;
  std::span<T> n;
  std::span<T> prev_grad;  ///< Optax's g: the gradient of the previous step (read from step 2 on)
};

template <class T> using adan_group = param_group<adan_options, adan_tensor<T>>;

/// One step of one tensor. step: t, the 1-based number of this step.
INERTIA_API step_report adan_step(const adan_tensor<float>& tensor, const adan_options& options, std::int64_t step,
                                  const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report adan_step(const adan_tensor<double>& tensor, const adan_options& options, std::int64_t step,
                                  const step_policy& policy = {}, const execution& exec = {});
/// Every tensor of every group in one call; each group's step counts the
/// steps it has taken (0 before the first) and advances on success.
INERTIA_API step_report adan_step(std::span<adan_group<float>> groups, const step_policy& policy = {},
                                  const execution& exec = {});
INERTIA_API step_report adan_step(std::span<adan_group<double>> groups, const step_policy& policy = {},
                                  const execution& exec = {});

}  // namespace inertia
