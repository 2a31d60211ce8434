#pragma once
// A vector that keeps its first N elements inside itself: the per-call lists
// of a step (rules, tensor starts, buffers to check) allocate nothing for a
// call of up to N tensors, which is what keeps a small call's overhead down.
// Elements are default-constructible and copyable (spans, rules, indices),
// which is all the step needs.
#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace inertia::detail {

template <class T, std::size_t N>
class small_vector {
 public:
  void reserve(std::size_t n) {
    if (n > N) heap_.reserve(n);
  }
  void push_back(const T& value) {
    if (heap_.empty() && size_ < N) {
      local_[size_++] = value;
      return;
    }
    if (heap_.empty()) heap_.assign(local_.begin(), local_.begin() + size_);  // spill once
    heap_.push_back(value);
    ++size_;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return heap_.empty() ? local_.data() : heap_.data(); }
  const T* data() const { return heap_.empty() ? local_.data() : heap_.data(); }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T& back() { return data()[size_ - 1]; }

 private:
  std::array<T, N> local_{};
  std::vector<T> heap_;
  std::size_t size_ = 0;
};

}  // namespace inertia::detail
