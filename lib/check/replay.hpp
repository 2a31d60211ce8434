#pragma once
// Replays one recorded case through the library and measures, after every
// step, how far the library's parameter and state are from the recording.
#include <cstddef>
#include <cstdint>
#include <array>
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

/// The buckets of the ULP histogram: 0, 1, 2-3, 4-15, 16-255, >= 256 (and unbounded).
inline constexpr std::size_t histogram_buckets = 6;
inline constexpr const char* histogram_labels[histogram_buckets] = {"0", "1", "2-3", "4-15", "16-255", ">=256"};
std::size_t histogram_bucket(std::uint64_t ulp);
using ulp_histogram = std::array<std::size_t, histogram_buckets>;

/// The comparison of one array (parameter or state) after one step.
struct comparison {
  bool compared = false;           ///< false: nothing recorded to compare with
  std::size_t size = 0;            ///< elements compared
  std::uint64_t max_ulp = 0;       ///< unbounded_ulp: a NaN against a number
  double max_rel = 0.0;            ///< |a - b| / max(|a|, |b|); infinity for NaN or infinity mismatches
  std::size_t worst_index = 0;     ///< the element with the largest ULP distance (the first such)
  double library_value = 0.0, recorded_value = 0.0;  ///< at worst_index
  std::size_t out_of_tolerance = 0;
  ulp_histogram histogram{};       ///< elements per ULP-distance bucket
  std::size_t differing = 0;       ///< elements not bit-identical (ULP distance > 0)
  std::size_t first_differing = 0, last_differing = 0;  ///< their lowest and highest index, when differing > 0
  double first_library_value = 0.0, first_recorded_value = 0.0;  ///< at first_differing
  std::uint64_t first_ulp = 0;                                     ///< there
};

/// Why the distances look as they do, when they match a known cause: judged
/// on the first step where anything differs, before errors spread.
struct diagnosis {
  std::size_t step = 0;       ///< 1-based; 0: nothing differs anywhere
  std::string array;          ///< the first differing array of that step (param, or a state's name)
  std::size_t element = 0;    ///< its first differing element
  double library_value = 0.0, recorded_value = 0.0;  ///< there
  std::uint64_t ulp = 0;      ///< there
  std::vector<std::string> hints;  ///< one line each; none when no pattern matches
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
  ulp_histogram histogram{};             ///< over every compared element of param and every state
  bool passed = true;
};

struct case_report {
  std::vector<step_report> steps;
  bool passed = true;
  std::optional<std::size_t> first_failing_step;
  std::uint64_t max_ulp = 0;
  double max_rel = 0.0;
  ulp_histogram histogram{};  ///< over every compared element of every step
  diagnosis first_divergence;
};

/// The first step where any compared element differs, and the hints its
/// pattern gives (diagnose's rules are in replay.cpp). `choices`: the values
/// the variant's numerics option takes, for the hint (empty: it has none).
diagnosis diagnose(const case_report& report, const std::vector<std::string>& numerics_choices,
                   const std::string& numerics);

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
