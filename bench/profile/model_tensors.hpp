#pragma once
// A model's optimizer state as an engine holds it: every tensor has its own
// param, grad and state allocations (so tensors are not contiguous, and each
// step pays for as many calls as there are tensors), and as many further
// state allocations as the variants to be measured keep (Adam: one, AggMo: two).
#include <array>
#include <span>
#include <vector>

#include "common/access_pattern.hpp"
#include "common/aligned_array.hpp"
#include "common/initial_values.hpp"
#include "common/step_buffers.hpp"
#include "common/workload.hpp"

namespace inertia::bench {

template <class T>
class model_tensors {
 public:
  /// arrays: per tensor, from 2 (param and grad) to max_arrays_touched.
  model_tensors(const workload& model, std::size_t arrays) {
    storage_.reserve(arrays * model.tensors.size());
    for (const tensor_shape& shape : model.tensors) {
      const std::size_t size = shape.elements();
      std::array<T*, max_arrays_touched> pointers{};
      for (std::size_t k = 0; k < arrays; ++k) pointers[k] = storage_.emplace_back(size).data();
      tensors_.push_back({pointers[0], pointers[1], pointers[2], {pointers[3], pointers[4], pointers[5]}, size});
    }
    reset();
  }

  std::span<const step_buffers<T>> tensors() const { return tensors_; }

  /// Back to the initial values (before each measured kernel).
  void reset() {
    for (const step_buffers<T>& t : tensors_) fill_initial_values(t);
  }

 private:
  std::vector<aligned_array<T>> storage_;
  std::vector<step_buffers<T>> tensors_;
};

}  // namespace inertia::bench
