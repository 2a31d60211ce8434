#pragma once
// What Schedule-Free SGD and AdamW (schedule_free_sgd.hpp, schedule_free_adamw.hpp)
// share: the group's scalar state, the per-step schedule computed from it, and
// the evaluation swap. The equations are the authors' package `schedulefree`
// (PyPI, SGDScheduleFree and AdamWScheduleFree: Defazio et al., "The Road Less
// Scheduled", 2024), whose parameter is y, the point the gradient is taken at;
// z is state["z"]; the averaged iterate x, the point to evaluate, is not kept
// but recovered from y and z by the swap below.
//
// The schedule, per param group and step k = t - 1 (t = 1, 2, ...), in double,
// exactly as schedulefree's Python computes it:
//   sched      = k < warmup_steps ? (k + 1) / warmup_steps : 1
//   lr_t       = lr * sched                                  (group['scheduled_lr'])
//   lr_max     = max(lr_t, lr_max)                           (group['lr_max'], starts at -1)
//   weight     = (k + 1) ** r * lr_max ** weight_lr_power    (libm pow, as Python's **)
//   weight_sum = weight_sum + weight                         (group['weight_sum'], starts at 0)
//   ckp1       = weight_sum != 0 ? weight / weight_sum : 0   (schedulefree's ZeroDivisionError case)
//   alpha      = lr_t * (beta * (1 - ckp1) - 1)              (beta: momentum or betas[0])
// lr_max and weight_sum carry over from step to step: they depend on every
// earlier lr, which a caller may change between steps, so they are state the
// group owns, as in schedulefree's param_groups (and a state_dict of it), not
// something to recompute from t. A group (and the generic C ABI's handle,
// scalar state "lr_max" and "weight_sum") keeps them and advances them on each
// successful step; to resume a schedulefree run, copy group['lr_max'] and
// group['weight_sum'] into them and pass t = group['k'] + 1.
//
// The evaluation swap, an elementwise pass over (param, z), in place as
// schedulefree's optimizer.eval() and .train():
//   eval:   param = lerp(param, z, 1 - 1/beta)     y -> x
//   train:  param = lerp(param, z, 1 - beta)       x -> y
// with ATen's CPU lerp for a scalar weight, w = T(weight) formed in double and
// rounded once: fma(w, z - param, param) when |w| < 0.5, else
// fma(w - 1, z - param, z) (include/inertia/weight_ema.hpp says how this was
// measured). eval then train gives y back up to rounding, as in schedulefree;
// Optax's schedule_free_eval_params computes x as (y - (1 - b1) z) / b1,
// which rounds differently. One pass reads param and z and writes param.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"

namespace inertia {

/// A Schedule-Free param group's scalar state, as schedulefree's param_groups hold it.
struct schedule_free_scalars {
  double lr_max = -1.0;     ///< group['lr_max']: the largest scheduled lr so far (-1 before the first step)
  double weight_sum = 0.0;  ///< group['weight_sum']: the sum of every step's averaging weight
};

/// One step's scalars, computed from the options, t and the scalars before it.
struct schedule_free_schedule {
  double lr;    ///< lr_t, the warmed-up lr (schedulefree's group['scheduled_lr'])
  double ckp1;  ///< the weight of z in the average: y's lerp weight
  schedule_free_scalars after;  ///< lr_max and weight_sum after this step
};

/// The schedule above for step t (>= 1) of a group whose scalars are `before`.
/// beta does not enter; alpha is lr * (beta * (1 - ckp1) - 1).
INERTIA_API schedule_free_schedule schedule_free_schedule_at(double lr, double warmup_steps, double r,
                                                             double weight_lr_power, std::int64_t step,
                                                             const schedule_free_scalars& before);

/// optimizer.eval(): param (y) becomes x. beta in (0, 1): momentum (SGD) or betas[0] (AdamW).
INERTIA_API void schedule_free_eval(std::span<float> param, std::span<const float> z, double beta,
                                    const execution& exec = {});
INERTIA_API void schedule_free_eval(std::span<double> param, std::span<const double> z, double beta,
                                    const execution& exec = {});
/// optimizer.train(): param (x) becomes y again.
INERTIA_API void schedule_free_train(std::span<float> param, std::span<const float> z, double beta,
                                     const execution& exec = {});
INERTIA_API void schedule_free_train(std::span<double> param, std::span<const double> z, double beta,
                                     const execution& exec = {});

}  // namespace inertia
