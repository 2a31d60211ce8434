#pragma once
// The memory traffic of a kernel, apart from its arithmetic. The roofline is
// measured per pattern, and bytes_per_second counts only what the pattern must
// move: every element read plus every element written, once.
#include <cstddef>
#include <string_view>

namespace inertia::bench {

enum class access_pattern {
  update_2r1w,        ///< reads two arrays, writes one of them in place (plain SGD: param; the weight EMA: its average)
  update_3r2w,        ///< reads param, grad, state; writes param and state in place (most momentum steps)
  update_4r3w,        ///< + one more state read and written (Adam's two moments)
  update_5r4w,        ///< + two more states (AggMo with K = 3 velocities)
  update_6r5w,        ///< + three more states (Adan: m, v, n and the previous gradient)
  norms_update_5r2w,  ///< reads param and grad for their norms, then update_3r2w (LARS on a large tensor)
  moments_update_7r3w,  ///< reads param, grad, 2 states, writes the states; then reads param and the states, writes param (LAMB)
  triad_2r1w,         ///< reads param and state; writes grad (the look-ahead point; STREAM's triad)
  copy_1r1w,          ///< reads param; writes grad (reference only)
};

/// Elements read plus elements written per index.
constexpr std::size_t moved_elements(access_pattern pattern) {
  switch (pattern) {
    case access_pattern::update_2r1w: return 3;
    case access_pattern::update_3r2w: return 5;
    case access_pattern::update_4r3w: return 7;
    case access_pattern::update_5r4w: return 9;
    case access_pattern::update_6r5w: return 11;
    case access_pattern::norms_update_5r2w: return 7;
    case access_pattern::moments_update_7r3w: return 10;
    case access_pattern::triad_2r1w: return 3;
    case access_pattern::copy_1r1w: return 2;
  }
  return 0;
}

/// Distinct arrays touched: the working set is arrays_touched * size * sizeof(T).
constexpr std::size_t arrays_touched(access_pattern pattern) {
  switch (pattern) {
    case access_pattern::update_2r1w: return 2;
    case access_pattern::update_3r2w: return 3;
    case access_pattern::update_4r3w: return 4;
    case access_pattern::update_5r4w: return 5;
    case access_pattern::update_6r5w: return 6;
    case access_pattern::norms_update_5r2w: return 3;
    case access_pattern::moments_update_7r3w: return 4;
    case access_pattern::triad_2r1w: return 3;
    case access_pattern::copy_1r1w: return 2;
  }
  return 0;
}

/// The most arrays any pattern touches: what a workspace must hold.
inline constexpr std::size_t max_arrays_touched = 6;

constexpr std::string_view pattern_name(access_pattern pattern) {
  switch (pattern) {
    case access_pattern::update_2r1w: return "update_2r1w";
    case access_pattern::update_3r2w: return "update_3r2w";
    case access_pattern::update_4r3w: return "update_4r3w";
    case access_pattern::update_5r4w: return "update_5r4w";
    case access_pattern::update_6r5w: return "update_6r5w";
    case access_pattern::norms_update_5r2w: return "norms_update_5r2w";
    case access_pattern::moments_update_7r3w: return "moments_update_7r3w";
    case access_pattern::triad_2r1w: return "triad_2r1w";
    case access_pattern::copy_1r1w: return "copy_1r1w";
  }
  return "unknown";
}

}  // namespace inertia::bench
