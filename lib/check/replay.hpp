#pragma once
// Replays one recorded case through the library and measures, after every
// step, how far the library's parameter and state are from the recording.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <string>
#include "trajectory.hpp"

#include "ulp.hpp"

namespace inertia::check {

/// An element is within tolerance when its ULP distance is at most max_ulp,
/// or (when max_rel > 0) its relative difference is at most max_rel.
struct tolerance {
  std::uint64_t max_ulp = 0;
  double max_rel = 0.0;
};

/// The comparison of one array (parameter or state) after one step.
struct comparison {
  bool compared = false;           ///< false: nothing recorded to compare with
  std::uint64_t max_ulp = 0;       ///< unbounded_ulp: a NaN against a number
  double max_rel = 0.0;            ///< |a - b| / max(|a|, |b|); infinity for NaN or infinity mismatches
  std::size_t worst_index = 0;     ///< the element with the largest ULP distance
  double library_value = 0.0, recorded_value = 0.0;  ///< at worst_index
  std::size_t out_of_tolerance = 0;
};


/// The comparison of one state buffer or scalar state (mu_product), by the library's name.
struct named_comparison {
  std::string name;
  comparison result;
};

struct step_report {
  std::size_t step = 0;  ///< 1-based, counted from the start of the recording
  long long t = 0;       ///< the step number the library was given
  comparison param;
  std::vector<named_comparison> states;  ///< every recorded state buffer, then every recorded scalar state
  comparison state;                      ///< the worst of states (nothing compared when there are none)
  std::string state_name;                ///< whose that is
  bool passed = true;
};

struct case_report {
  std::vector<step_report> steps;
  bool passed = true;
  std::optional<std::size_t> first_failing_step;
  std::uint64_t max_ulp = 0;
  double max_rel = 0.0;
};

/// The threads and the ISA target are the library's process-wide settings
/// (inertia_set_num_threads, inertia::set_arch), set by main.
struct replay_options {
  tolerance tol{};
  bool resync = false;  ///< restart every step from the recorded values
};

/// Throws library_error when the library rejects a step (the relations
/// between options, such as nesterov without momentum, are checked there).
case_report replay(const trajectory_case& c, const replay_options& options);

}  // namespace inertia::check
