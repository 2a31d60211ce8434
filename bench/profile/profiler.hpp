#pragma once
// What one optimizer step costs on this machine and how close to the limit it
// runs: the library stepping a whole model, against the same-pattern roofline
// over the same number of bytes and the naive scalar baseline on the same
// tensors (and any external peer, e.g. torch.optim), all timed in the same
// interleaved rounds so that every ratio compares samples taken side by side.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "inertia/step_policy.hpp"
#include "profile/progress.hpp"
#include "common/timing.hpp"
#include "common/variant.hpp"
#include "common/workload.hpp"
#include "inertia/inertia.h"

namespace inertia::bench {

class peer_channel;

enum class dtype { f32, f64 };

/// A roofline whose own samples spread more than this (IQR / median, percent)
/// within one configuration is marked noisy: the machine moved during it.
inline constexpr double noisy_roofline_spread_pct = 15.0;

struct profile_request {
  workload model;
  std::vector<variant> variants;
  std::vector<dtype> dtypes;
  int threads = 1;       ///< thread budget (already resolved; >= 1)
  int rounds = 10;       ///< interleaved rounds: one sample of every contestant each
  int warmup_steps = 2;  ///< untimed steps of every contestant first
  std::string strategy = "per_tensor";
  /// Applied by the multi-tensor strategy (loss scaling, NaN skip, clipping,
  /// denormals); policy_label says which, e.g. "+skip_non_finite".
  step_policy policy;
  std::string policy_label;
  /// External peers (scripts/compare_pytorch.py's torch.optim), sampled in the
  /// same rounds through this channel; null: none.
  peer_channel* peers = nullptr;
  /// A storage mode (profile/storage_mode.hpp): every variant stepped through
  /// step_storage with these types instead of `dtypes`, against the mixed
  /// roofline; no baseline, no peers. Empty: the fixed-type rows.
  std::optional<inertia_storage> storage;
};

/// One contestant's samples, seconds per step, one per round (in round order).
struct contestant_samples {
  std::string name;  ///< "roofline", "inertia", "baseline", or an external peer's name
  std::vector<double> seconds;
};

/// An external peer of one configuration: its median time and the per-round
/// ratio peer / inertia.
struct peer_result {
  std::string name;
  double ms_per_step = 0, gbps = 0;
  spread speedup;  ///< of inertia over the peer: median and IQR of the per-round peer_time / inertia_time
};

struct profile_result {
  std::string workload, variant, dtype, arch, strategy;
  std::string roofline_kernel;  ///< the roofline candidate that was the faster in most rounds
  std::string pattern;  ///< access_pattern name (a storage mode: its streams): what bytes_per_step counts
  /// A storage mode's types, and its label ("f32 state:bf16"); empty for the fixed-type rows.
  std::optional<inertia_storage> storage;
  std::string storage_label;
  int threads = 1, rounds = 0;
  std::size_t elements = 0, tensors = 0, bytes_per_step = 0;
  /// Medians over the rounds; gbps = bytes_per_step / ms_per_step, and the same for the others.
  double ms_per_step = 0, gbps = 0, roofline_ms_per_step = 0, roofline_gbps = 0;
  double baseline_ms_per_step = 0, baseline_gbps = 0;
  /// Per-round ratios, in percent: 100 * roofline_time / inertia_time of the same round.
  spread pct_of_roofline;
  /// Per-round ratios baseline_time / inertia_time.
  spread speedup_vs_baseline;
  /// The roofline's own samples: IQR / median of its per-round bandwidth, percent.
  double roofline_spread_pct = 0;
  bool roofline_noisy = false;  ///< roofline_spread_pct > noisy_roofline_spread_pct
  std::vector<peer_result> peers;
  /// Per round: "roofline" (the faster roofline candidate of that round), "inertia", "baseline", the peers.
  std::vector<contestant_samples> samples;
  /// The roofline kernels sampled each round, e.g. "loop x1" and "prefetch x2".
  std::vector<contestant_samples> roofline_candidates;
  /// The contestants in their base order; round r starts with round_order[r % size] and goes on cyclically.
  std::vector<std::string> round_order;
  std::vector<std::string> round_first;
};

/// Every variant x dtype of the request, in that order.
std::vector<profile_result> run_profile(const profile_request& request, progress& progress);

}  // namespace inertia::bench
