#pragma once
// What a multi-tensor step does with its gradients before using them, for
// engines with mixed-precision loss scaling, NaNs and clipping; all of it
// fused into the step (one read of each gradient) except the two call-wide
// checks, which need every gradient before the first write.
//
// In order, per element: g = g / grad_scale (AMP unscaling; IEEE division,
// as torch's fused SGD does), then g = g * clip_coefficient (clip by global
// norm), then g = clamp(g, -clip_value, clip_value). Gradients are never
// written (they are read-only spans).
#include <limits>

namespace inertia {

struct step_policy {
  /// The step uses g / grad_scale. 1 = off. Finite and > 0.
  double grad_scale = 1.0;
  /// GradScaler's found-inf rule: when any gradient element of the call is
  /// NaN or Inf, skip the whole step: nothing is written, step counters do
  /// not advance, and the report says so (then lower the loss scale). Off
  /// by default, as in PyTorch: a NaN gradient then propagates into the
  /// parameters. Costs one extra read of every gradient (4 of 24 bytes per
  /// element in float for heavy_ball: see README).
  bool skip_non_finite = false;
  /// Clamp each (unscaled) gradient element to [-clip_value, clip_value]
  /// (torch.nn.utils.clip_grad_value_). 0 = off; NaN passes through.
  double clip_value = 0.0;
  /// Clip by global norm (torch.nn.utils.clip_grad_norm_, 2-norm): over every
  /// gradient of the call, norm = ||g / grad_scale||; when norm > max_norm,
  /// every element is multiplied by max_norm / (norm + 1e-6). 0 = off. The
  /// norm is a sum of squares in the fixed order of lib/simd/reductions.hpp
  /// (bit-identical on every target and thread count) divided by grad_scale
  /// (exact when grad_scale is a power of two, as GradScaler's scales are).
  double max_norm = 0.0;
  /// Flush subnormal results to zero and treat subnormal inputs as zero
  /// (x86 FTZ + DAZ) for this call only; every thread's floating-point
  /// state is restored afterwards. Off by default: it changes numbers.
  /// Buffers decaying toward zero (frozen rows) become subnormal, and x86
  /// arithmetic on subnormals can be many times slower.
  bool flush_denormals = false;
};

struct step_report {
  bool skipped = false;  ///< skip_non_finite found a NaN or Inf: nothing was written
  /// The global gradient norm before clipping (when max_norm > 0); NaN otherwise.
  double grad_norm = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace inertia
