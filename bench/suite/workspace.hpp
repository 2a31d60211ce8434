#pragma once
// The buffers every benchmark of one working-set size runs on. They are kept
// from one benchmark to the next (allocating and first-touching a gigabyte
// per benchmark would dominate the run) and put back to the initial values
// whenever another kernel takes over, so every kernel starts from the same data.
#include <array>
#include <cstddef>
#include <memory>
#include <string>

#include "common/access_pattern.hpp"
#include "common/aligned_array.hpp"
#include "common/step_buffers.hpp"
#include "profile/storage_mode.hpp"
#include "suite/storage_cases.hpp"

namespace inertia::bench {

class workspace {
 public:
  /// The workspace for this working set; a workspace of another size, or a
  /// storage_workspace, is freed first, so only one is ever alive.
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

/// The buffers of the storage rows (suite/storage_cases.hpp): the row's model,
/// one allocation per stream in its own type with the profiler's initial
/// values (profile/storage_mode.hpp, storage_model), and a second model of
/// the same streams that the row's mixed roofline candidates run on. The
/// candidates get buffers of their own, as in inertia-profile, because
/// mixed_update stores old + the sum of everything read and never puts the
/// values back: on the model's streams it would leave arbitrary bf16/f16 bit
/// patterns (NaNs, subnormals) for the library's next step. A working set is
/// half of a cache level, so the two copies together still fit that level.
/// Kept from one row to the next while the mode, pattern and span stay the
/// same (the rows of a pattern run one after the other), so a gigabyte is not
/// allocated and converted per row.
class storage_workspace {
 public:
  /// The buffers for this row's mode, streams and span; a workspace (of
  /// either kind) for anything else is freed first.
  static storage_workspace& of_case(const storage_case& c);

  const storage_model& model() const { return *model_; }
  const storage_model& roofline() const { return *roofline_; }

  /// Before `owner` runs on model(): puts back the initial values unless
  /// `owner` was the last to run there.
  void prepare(const std::string& owner);

 private:
  explicit storage_workspace(const storage_case& c);
  std::string key_;
  std::unique_ptr<storage_model> model_, roofline_;
  std::string owner_;
  bool fresh_ = true;  ///< model_ holds the initial values and no one has run on it
};

}  // namespace inertia::bench
