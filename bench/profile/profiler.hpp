#pragma once
// What one optimizer step costs on this machine and how close to the limit it
// runs: the library stepping a whole model, against the same-pattern roofline
// over the same number of bytes and the naive scalar baseline on the same tensors.
#include <cstddef>
#include <string>

#include "inertia/step_policy.hpp"
#include <vector>

#include "profile/progress.hpp"
#include "variant.hpp"
#include "workload.hpp"

namespace inertia::bench {

enum class dtype { f32, f64 };

struct profile_request {
  workload model;
  std::vector<variant> variants;
  std::vector<dtype> dtypes;
  int threads = 1;       ///< thread budget (already resolved; >= 1)
  int steps = 10;        ///< timed steps; the median is reported
  int warmup_steps = 2;  ///< untimed steps first
  std::string strategy = "per_tensor";
  /// Applied by the multi-tensor strategy (loss scaling, NaN skip, clipping,
  /// denormals); policy_label says which, e.g. "+skip_non_finite".
  step_policy policy;
  std::string policy_label;
};

struct profile_result {
  std::string workload, variant, dtype, arch, strategy, roofline_kernel;
  std::string pattern;  ///< access_pattern name: what bytes_per_step counts
  int threads = 1, steps = 0;
  std::size_t elements = 0, tensors = 0, bytes_per_step = 0;
  double ms_per_step = 0, gbps = 0, roofline_gbps = 0, pct_of_roofline = 0;
  double baseline_ms_per_step = 0, baseline_gbps = 0, speedup_vs_baseline = 0;
};

/// Every variant x dtype of the request, in that order.
std::vector<profile_result> run_profile(const profile_request& request, progress& progress);

}  // namespace inertia::bench
