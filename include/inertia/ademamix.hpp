#pragma once
// AdEMAMix (Pagliardini, Ablin and Grangier, "The AdEMAMix Optimizer:
// Better, Faster, Older", 2024) with the semantics of Optax's
// optax.contrib.ademamix (0.2.8) run eagerly: Adam with a second, slow EMA of
// the gradient mixed into the numerator. Step t = 1, 2, ...:
//
//   m1 = b1 * m1 + (1 - b1) * g                 fast EMA (state m1)
//   m2 = b3_t * m2 + (1 - b3_t) * g             slow EMA (state m2), not bias corrected
//   nu = b2 * nu + (1 - b2) * g * g             second moment (state nu)
//   u  = (m1 / (1 - b1^t) + alpha_t * m2) / (sqrt(nu / (1 - b2^t) + eps_root) + eps)
//   u  = u + weight_decay * w                   (optax.add_decayed_weights, when weight_decay != 0)
//   w  = w - lr * u
//
// The warm-ups of the paper's Algorithm 1, evaluated in double at k = t - 1
// (Optax's count_m2; 0 turns a warm-up off):
//   alpha_t = min(k * alpha / alpha_warmup, alpha)
//   b3_t    = min(exp(log(b1) * log(b3) / ((1 - k/b3_warmup) * log(b3) + (k/b3_warmup) * log(b1))), b3)
// (Optax takes b3 and alpha as schedules; scripts/golden_ademamix.py passes it
// these formulas as Python-float schedules.)
//
// Rounding, T the element type, r() rounding to T, every product and sum
// rounded on its own as eager JAX does (no FMA):
//   m1 = r(1 - b1) * g + r(b1) * m1,  m2 and nu likewise (nu with g * g)
//   c1 = T(1) / (T(1) - pow(T(b1), T(t))), c2 likewise: XLA turns the division by
//        a scalar into a multiply by its reciprocal (as for ema, ema.hpp)
//   u  = (m1 * c1 + r(alpha_t) * m2) / (sqrt(nu * c2 + r(eps_root)) + r(eps))
//   u  = u + r(weight_decay) * w;  w = w + r(-lr) * u
// Bit-identical to Optax 0.2.8 / jax 0.10.2 on CPU run eagerly, float32 (x64
// off) and float64 (x64 on): every step of tests/data/ademamix_*.json
// (scripts/golden_ademamix.py) replays at 0 ULP, parameters and moments. The
// bias corrections need glibc's pow / powf: they give XLA's 1 - b^t in every
// step measured (t = 1 ... 2000 for b = 0.8, 0.9, 0.99, 0.999), where numpy's
// power differs in up to 1 step in 8 (so the script models with the values XLA
// computed, which each step records).
// Memory traffic per element: reads w, g, m1, m2, nu and writes w, m1, m2, nu
// (9 elements); a division and a square root.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

/// optax.contrib.ademamix's arguments and defaults, and the two warm-ups.
struct ademamix_options {
  double lr = 1e-3;  ///< >= 0, finite
  double b1 = 0.9;              ///< in [0, 1)
  double b2 = 0.999;            ///< in [0, 1)
  double b3 = 0.9999;           ///< in [0, 1); the slow EMA's decay after its warm-up
  double alpha = 5.0;           ///< >= 0, finite: the slow EMA's weight after its warm-up
  double eps = 1e-8;            ///< > 0, finite
  double eps_root = 0.0;        ///< >= 0, finite
  double weight_decay = 0.0;    ///< >= 0, finite; added to the update, times lr
  double alpha_warmup = 0.0;    ///< >= 0: T_alpha, steps over which alpha rises linearly from 0; 0 = off
  double b3_warmup = 0.0;       ///< >= 0: T_b3, steps over which b3 rises from b1; 0 = off
};

/// One parameter tensor and Optax's state m1, m2, nu.
template <class T>
struct ademamix_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> m1;
  std::span<T> m2;
  std::span<T> nu;
};

template <class T> using ademamix_group = param_group<ademamix_options, ademamix_tensor<T>>;

/// b3_t and alpha_t for step t (>= 1), as above.
struct ademamix_schedule {
  double b3, alpha;
};
INERTIA_API ademamix_schedule ademamix_schedule_at(const ademamix_options& options, std::int64_t step);

/// One step of one tensor. step: t, the 1-based number of this step.
INERTIA_API step_report ademamix_step(const ademamix_tensor<float>& tensor, const ademamix_options& options,
                                      std::int64_t step, const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report ademamix_step(const ademamix_tensor<double>& tensor, const ademamix_options& options,
                                      std::int64_t step, const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report ademamix_step(std::span<ademamix_group<float>> groups, const step_policy& policy = {},
                                      const execution& exec = {});
INERTIA_API step_report ademamix_step(std::span<ademamix_group<double>> groups, const step_policy& policy = {},
                                      const execution& exec = {});

}  // namespace inertia
