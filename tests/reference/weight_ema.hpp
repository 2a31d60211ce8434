#pragma once
// Reference weight EMA, straight from include/inertia/weight_ema.hpp: torch's
// lerp as ATen's scalar lerp() writes it (torch 1.13, Lerp.h) with the FMAs
// its AVX2 build contracts, or timm ModelEmaV2's products and sum.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/weight_ema.hpp"

namespace inertia::reference {

template <class T>
void weight_ema(T* average, const T* param, std::size_t n, const weight_ema_options& o, std::int64_t updates) {
  const double t = double(updates);
  const double decay = o.warmup ? std::min(o.decay, (1.0 + t) / (10.0 + t)) : o.decay;
  const T weight = T(1.0 - decay), decay_t = T(decay);
  for (std::size_t i = 0; i < n; ++i) {
    if (o.rounding == weight_ema_rounding::mul_add) {
      average[i] = decay_t * average[i] + weight * param[i];  // decay * e + (1. - decay) * m
      continue;
    }
    const T diff = param[i] - average[i];                      // end - self
    average[i] = std::abs(weight) < T(0.5) ? std::fma(weight, diff, average[i])        // self + weight * diff
                                           : std::fma(-diff, T(1) - weight, param[i]);  // end - diff * (1 - weight)
  }
}

}  // namespace inertia::reference
