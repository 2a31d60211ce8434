#pragma once
// The memory traffic of a kernel, apart from its arithmetic. The roofline is
// measured per pattern, and bytes_per_second counts only what the pattern must
// move: every element read plus every element written, once.
#include <cstddef>
#include <string_view>

namespace inertia::bench {

enum class access_pattern {
  update_3r2w,  ///< reads param, grad, state; writes param and state in place (every momentum step)
  triad_2r1w,   ///< reads param and state; writes grad (the look-ahead point; STREAM's triad)
  copy_1r1w,    ///< reads param; writes grad (reference only)
};

/// Elements read plus elements written per index.
constexpr std::size_t moved_elements(access_pattern pattern) {
  switch (pattern) {
    case access_pattern::update_3r2w: return 5;
    case access_pattern::triad_2r1w: return 3;
    case access_pattern::copy_1r1w: return 2;
  }
  return 0;
}

/// Distinct arrays touched: the working set is arrays_touched * size * sizeof(T).
constexpr std::size_t arrays_touched(access_pattern pattern) {
  return pattern == access_pattern::copy_1r1w ? 2 : 3;
}

constexpr std::string_view pattern_name(access_pattern pattern) {
  switch (pattern) {
    case access_pattern::update_3r2w: return "update_3r2w";
    case access_pattern::triad_2r1w: return "triad_2r1w";
    case access_pattern::copy_1r1w: return "copy_1r1w";
  }
  return "unknown";
}

}  // namespace inertia::bench
