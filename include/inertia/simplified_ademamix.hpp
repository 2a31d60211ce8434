#pragma once
// Simplified AdEMAMix (Morwani, Vyas, Kakade et al., "Connections between
// Schedule-Free Optimizers, AdEMAMix, and Accelerated SGD Variants", 2025)
// with the semantics of optax.contrib.simplified_ademamix (0.2.8) run eagerly:
// one momentum, an unnormalised sum of gradients, mixed with alpha times the
// current gradient; no warm-ups (the point of the simplification). Step
// t = 1, 2, ...:
//
//   m  = b1 * m + g                               (state m; not an average: no 1 - b1)
//   n  = b2 * n + (1 - b2) * g * g                (state n)
//   u  = (m + alpha * g) / (sqrt(n / (1 - b2^t) + eps_root) + eps)
//   u  = u + weight_decay * w                     (optax.add_decayed_weights, when weight_decay != 0)
//   w  = w - lr * u
//
// Rounding, T the element type, r() rounding to T, every product and sum
// rounded on its own as eager JAX does (no FMA), in Optax's own order:
//   m  = g + r(b1) * m                            (optax.tree.add_scale(g, b1, m))
//   n  = g * g + r(b2) * (n - g * g)              (lerp(b2, g * g, n) = a + t * (b - a))
//   c2 = T(1) / (T(1) - pow(T(b2), T(t)))         (as ademamix: XLA multiplies by the reciprocal)
//   u  = (m + r(alpha) * g) / (sqrt(n * c2 + r(eps_root)) + r(eps))
//   u  = u + r(weight_decay) * w;  w = w + r(-lr) * u
// Bit-identical to Optax 0.2.8 / jax 0.10.2 on CPU run eagerly, float32 (x64
// off) and float64 (x64 on): every step of tests/data/simplified_ademamix_*.json
// (scripts/golden_simplified_ademamix.py) replays at 0 ULP, parameters and
// both moments.
// Memory traffic per element: reads w, g, m, n and writes w, m, n (7 elements,
// Adam's); arithmetic: 15 operations (17 with weight decay), of them one
// division and one square root.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

/// optax.contrib.simplified_ademamix's arguments and defaults.
struct simplified_ademamix_options {
  double lr = 1e-3;             ///< >= 0, finite (Optax's learning_rate, required there)
  double b1 = 0.99;             ///< in [0, 1): decay of the momentum sum m
  double b2 = 0.95;             ///< in [0, 1): decay of n
  double alpha = 0.0;           ///< >= 0, finite: the current gradient's weight beside m
  double eps = 1e-8;            ///< >= 0, finite; outside the sqrt
  double eps_root = 0.0;        ///< >= 0, finite; inside the sqrt
  double weight_decay = 0.0;    ///< >= 0, finite; added to the update, times lr
};

/// One parameter tensor and Optax's state m, n (ScaleBySimplifiedAdEMAMixState).
template <class T>
struct simplified_ademamix_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> m;
  std::span<T> n;
};

template <class T>
using simplified_ademamix_group = param_group<simplified_ademamix_options, simplified_ademamix_tensor<T>>;

/// One step of one tensor. step: t, the 1-based number of this step.
INERTIA_API step_report simplified_ademamix_step(const simplified_ademamix_tensor<float>& tensor,
                                                 const simplified_ademamix_options& options, std::int64_t step,
                                                 const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report simplified_ademamix_step(const simplified_ademamix_tensor<double>& tensor,
                                                 const simplified_ademamix_options& options, std::int64_t step,
                                                 const step_policy& policy = {}, const execution& exec = {});
/// Every tensor of every group in one call; each group's step counts the
/// steps it has taken (0 before the first) and advances on success.
INERTIA_API step_report simplified_ademamix_step(std::span<simplified_ademamix_group<float>> groups,
                                                 const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report simplified_ademamix_step(std::span<simplified_ademamix_group<double>> groups,
                                                 const step_policy& policy = {}, const execution& exec = {});

}  // namespace inertia
