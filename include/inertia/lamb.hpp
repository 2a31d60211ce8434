#pragma once
// LAMB (You et al. 2020) with the semantics of optax.lamb: chain(
// scale_by_adam(b1, b2, eps, eps_root), add_decayed_weights(weight_decay),
// scale_by_trust_ratio(), scale_by_learning_rate(lr)). mu and nu start at 0;
// step t = 1, 2, ..., per tensor:
//
//   mu  = b1 * mu + (1 - b1) * g
//   nu  = b2 * nu + (1 - b2) * g^2
//   u   = (mu / c1) / (sqrt(nu / c2 + eps_root) + eps),  ck = 1 - bk^t
//   u   = u + weight_decay * w
//   r   = ||w|| / ||u||   (1 when ||w|| or ||u|| is 0; the norms are over the whole tensor)
//   w   = w - lr * r * u
//
// Rounding. T is the element type and r() rounds to T. Every product and sum
// is rounded on its own (no fma), as Optax's eager ops; 1 - bk is formed in
// double and rounded once. As in inertia's adan, the bias corrections are
// multiplications by r(1 / ck) (1 / ck in double), not Optax's divisions:
//   mu  = r(1 - b1) * g + r(b1) * mu
//   nu  = r(1 - b2) * (g * g) + r(b2) * nu
//   u   = (mu * r(1/c1)) / (sqrt(nu * r(1/c2) + r(eps_root)) + r(eps))
//   u   = u + r(wd) * w                         (when weight_decay != 0)
//   w   = w + r(-lr * ratio) * u                (-lr * ratio in double, rounded once)
// The norms are sums of squares in LARS's fixed order (include/inertia/lars.hpp:
// 4096-element chunks, element i of a chunk into accumulator i % 16 by fma,
// accumulators added pairwise, chunk sums added in double in chunk order), so
// they, and every result, are bit-identical on every target and thread count;
// ratio = sqrt(sum w^2) / sqrt(sum u^2) in double. Optax's norms are XLA's
// float reductions and it rounds u * ratio and then * -lr: so this is
// optax.lamb within a stated bound (tests/test_lamb.cpp), not bit for bit.
//
// Passes. The trust ratio needs ||u|| before any w is written: pass 1
// updates mu and nu, forms u and adds up u^2 and w^2; pass 2 writes w. A
// thread that does a tensor, or its share of one, of up to 512 KiB of u keeps
// u in a per-thread buffer (which lives as long as the thread) and pass 2
// reads it back from cache; a larger share keeps only one 4096-element chunk
// of u at a time, for its sum of squares, and pass 2 forms u again from the
// stored mu and nu with the same operations (the same bits). Memory traffic:
// pass 1 reads w, g, mu, nu and writes mu, nu; pass 2 reads w, mu, nu (or w
// and the kept u, from cache) and writes w: 10 elements (40 / 80 bytes). A
// tensor whose w, mu and nu fit in 512 KiB is done by one thread
// back-to-back, so pass 2 reads it from L2; larger ones by every thread, each
// updating the chunks it reduced. Arithmetic per element: pass 1 13
// operations (15 with weight decay) and two fma (the squares), of them a
// square root and a division; pass 2 2 with u kept, else 8 (10) with a second
// square root and division.
//
// Step policy (include/inertia/step_policy.hpp) as the elementwise variants
// take it: the loss scale, the global-norm clip's factor and the clamp are
// fused into pass 1's gradient load; the non-finite check (which skips the
// step, writing nothing) and the global norm run over every gradient of the
// call before anything is written; flush_denormals holds on every thread.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"

namespace inertia {

struct lamb_options {
  double lr = 1e-3;            ///< >= 0, finite (Optax's learning_rate, required there)
  double b1 = 0.9;             ///< [0, 1): decay of mu
  double b2 = 0.999;           ///< [0, 1): decay of nu
  double eps = 1e-6;           ///< >= 0, finite; outside the sqrt
  double eps_root = 0.0;       ///< >= 0, finite; inside the sqrt
  double weight_decay = 0.0;   ///< >= 0, finite; added to the update before the trust ratio
};

/// One parameter tensor and its state (Optax's ScaleByAdamState: mu, nu).
template <class T>
struct lamb_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> mu;
  std::span<T> nu;
};

template <class T> using lamb_group = param_group<lamb_options, lamb_tensor<T>>;

/// One step of one tensor. step: t, the 1-based number of this step.
INERTIA_API step_report lamb_step(const lamb_tensor<float>& tensor, const lamb_options& options, std::int64_t step,
                                  const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report lamb_step(const lamb_tensor<double>& tensor, const lamb_options& options, std::int64_t step,
                                  const step_policy& policy = {}, const execution& exec = {});
/// Every tensor of every group in one call; each group's step counts the
/// steps it has taken (0 before the first) and advances on success.
INERTIA_API step_report lamb_step(std::span<lamb_group<float>> groups, const step_policy& policy = {},
                                  const execution& exec = {});
INERTIA_API step_report lamb_step(std::span<lamb_group<double>> groups, const step_policy& policy = {},
                                  const execution& exec = {});

}  // namespace inertia
