#pragma once
// A model's optimizer state as an engine holds it: every tensor has its own
// param, grad and state allocations (so tensors are not contiguous, and each
// step pays for as many calls as there are tensors).
#include <span>
#include <vector>

#include "aligned_array.hpp"
#include "initial_values.hpp"
#include "step_buffers.hpp"
#include "workload.hpp"

namespace inertia::bench {

template <class T>
class model_tensors {
 public:
  explicit model_tensors(const workload& model) {
    storage_.reserve(3 * model.tensors.size());
    for (const tensor_shape& shape : model.tensors) {
      const std::size_t size = shape.elements();
      T* arrays[3];
      for (T*& array : arrays) array = storage_.emplace_back(size).data();
      tensors_.push_back({arrays[0], arrays[1], arrays[2], size});
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
