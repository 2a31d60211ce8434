#pragma once
// Weight EMA, Polyak averaging of the parameters (timm's ModelEmaV2/V3,
// torch.optim.swa_utils' EMA): a running average of the weights, kept beside
// the model and used for evaluation.
//
//   decay_t = warmup ? min(decay, (1 + t) / (10 + t)) : decay
//   average = decay_t * average + (1 - decay_t) * param
//
// t counts the updates the average has had before this one (0 on the first;
// the warm-up is TensorFlow's ExponentialMovingAverage(num_updates=t)).
// decay_t and 1 - decay_t are computed in double, then rounded to the element
// type. Initialise `average` with a copy of the parameters.
//
// Two roundings, as the two PyTorch families compute it:
//
// torch_lerp (default): average.lerp_(param, weight = 1 - decay_t), what
// torch.optim.swa_utils.get_ema_multi_avg_fn (torch._foreach_lerp_) and timm's
// ModelEmaV3 run. With w = T(1 - decay_t) and diff = param - average:
//   |w| < 0.5:  average = fma(w, diff, average)
//   otherwise:  average = fma(w - 1, diff, param)       (w - 1 is exact here)
// This is torch's CPU lerp bit for bit as its AVX2 and AVX-512 kernels compute
// it: measured on torch 1.13, whose compiler contracts ATen's scalar lerp() to
// these FMAs (golden in tests/test_weight_ema.cpp); torch 2.x's lerp_vec
// writes the same FMAs explicitly (read, not measured). torch 1.13 run with
// ATEN_CPU_CAPABILITY=default rounds w * diff on its own instead.
//
// mul_add: decay_t * average + (1 - decay_t) * param with both products
// rounded, then added: timm's ModelEmaV2 (`self.decay * e + (1. - self.decay) * m`)
// and swa_utils.get_ema_avg_fn. The two differ in the last bits.
//
// One update reads the average and the parameter and writes the average:
// 3 elements per parameter.
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/multi_tensor.hpp"

namespace inertia {

enum class weight_ema_rounding {
  torch_lerp,  ///< average.lerp_(param, 1 - decay): swa_utils multi-avg EMA, timm ModelEmaV3
  mul_add,     ///< decay * average + (1 - decay) * param: timm ModelEmaV2
};

struct weight_ema_options {
  double decay = 0.9999;   ///< in [0, 1] (timm's default); 1 freezes the average, 0 copies param
  bool warmup = false;     ///< use min(decay, (1 + t) / (10 + t))
  weight_ema_rounding rounding = weight_ema_rounding::torch_lerp;
};

template <class T>
struct weight_ema_tensor {
  std::span<T> average;       ///< the averaged weights, updated in place
  std::span<const T> param;   ///< the model's current weights
};

/// A group's `step` is t: the updates its averages have had so far.
template <class T> using weight_ema_group = param_group<weight_ema_options, weight_ema_tensor<T>>;

/// One update. step: t, the 1-based number of this update (the warm-up
/// uses t - 1, the earlier updates of this average; read only with warmup).
/// weight_ema takes no step policy (it reads no gradient): any but the default is refused.
INERTIA_API step_report weight_ema_step(std::span<float> average, std::span<const float> param,
                                        const weight_ema_options& options, std::int64_t step,
                                        const step_policy& policy = {}, const execution& exec = {});
INERTIA_API step_report weight_ema_step(std::span<double> average, std::span<const double> param,
                                        const weight_ema_options& options, std::int64_t step,
                                        const step_policy& policy = {}, const execution& exec = {});
/// Every tensor of every group in one call; a group's `step` counts its
/// updates so far and advances.
INERTIA_API step_report weight_ema_step(std::span<weight_ema_group<float>> groups, const step_policy& policy = {},
                                        const execution& exec = {});
INERTIA_API step_report weight_ema_step(std::span<weight_ema_group<double>> groups, const step_policy& policy = {},
                                        const execution& exec = {});

}  // namespace inertia
