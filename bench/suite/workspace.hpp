#pragma once
// The buffers every benchmark of one working-set size runs on. They are kept
// from one benchmark to the next (allocating and first-touching a gigabyte
// per benchmark would dominate the run) and put back to the initial values
// whenever another kernel takes over, so every kernel starts from the same data.
#include <array>
#include <cstddef>
#include <string>

#include "common/access_pattern.hpp"
#include "common/aligned_array.hpp"
#include "common/step_buffers.hpp"

namespace inertia::bench {

class workspace {
 public:
  /// The workspace for this working set; a workspace of another size is freed
  /// first, so only one is ever alive.
  static workspace& of_size(std::size_t working_set_bytes);

  /// max_arrays_touched arrays of `size` elements; any pattern's arrays fit
  /// (the two-array patterns get the largest spans).
  template <class T>
  step_buffers<T> buffers(std::size_t size) const;

  /// Before `owner` runs on the first `size` elements: restores the initial
  /// values unless `owner` was the last to run here and nothing disturbed them.
  template <class T>
  void prepare(const std::string& owner, std::size_t size);

  /// The contents were changed by someone who will not run again (the roofline).
  void invalidate() { owner_.clear(); }

 private:
  explicit workspace(std::size_t working_set_bytes);
  std::size_t working_set_bytes_;
  std::array<aligned_array<std::byte>, max_arrays_touched> arrays_;
  std::string owner_;
};

}  // namespace inertia::bench
