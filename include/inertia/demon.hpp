#pragma once
// Demon, decaying momentum (Chen, Wolfe, Li, Kyrillidis, "Demon: Improved
// Neural Network Training with Momentum Decay", arXiv 1910.04952, WACV 2022):
// a schedule for the momentum coefficient, from beta_init at step 0 to 0 at
// step T,
//
//   beta_t = beta_init * (1 - t/T) / ((1 - beta_init) + beta_init * (1 - t/T))
//
// It is a number per step, not a kernel: feed it to any variant's momentum
// each step, e.g. heavy_ball_options::momentum, ema_options::beta, Adam's
// beta1 (the paper's DemonSGD and DemonAdam):
//
//   for (std::int64_t t = 0; t < T; ++t) {
//     options.momentum = inertia::demon_momentum(0.9, t, T);
//     inertia::heavy_ball_step(w, g, buffer, options, t == 0);
//   }
//
// Evaluated in double as beta_t = 1 / (1 + (1 - beta_init) / (beta_init * (1 - t/T))),
// the same value in exact arithmetic, with every term positive (no
// cancellation: within 2 ULP of the formula above) and every operation
// monotone in t, so the computed schedule never increases. beta_t is exactly
// beta_init at t = 0 and exactly 0 at t = T, and is capped at beta_init
// (the rounding of 1 - beta_init could otherwise lift it by an ULP near t = 0).
// (ensmallen's DemonSGD multiplies the parameters by beta_t instead of
// using a velocity; that is not the paper's Demon SGDM.)
#include <cstdint>

#include "inertia/export.hpp"

namespace inertia {

/// beta_t for step t of T. Throws inertia::invalid_argument unless
/// 0 <= beta_init < 1, total_steps > 0 and 0 <= step <= total_steps.
INERTIA_API double demon_momentum(double beta_init, std::int64_t step, std::int64_t total_steps);

}  // namespace inertia
