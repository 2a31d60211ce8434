#pragma once
// A vector that keeps its first N elements inside itself: the per-call lists
// of a step (rules, tensor starts, buffers to check) allocate nothing for a
// call of up to N tensors, which is what keeps a small call's overhead down.
// Elements are copyable and trivially destructible (spans, rules, indices),
// which is all the step needs. The inline slots are raw storage, constructed
// as elements are pushed: value-initialising them (std::array<T, N>{}) was a
// memset of every slot on every call, a third of a small call's time.
#include <cstddef>
#include <new>
#include <type_traits>
#include <vector>

namespace inertia::detail {

template <class T, std::size_t N>
class small_vector {
 public:
  static_assert(std::is_trivially_destructible_v<T>);

  small_vector() = default;
  small_vector(const small_vector&) = delete;
  small_vector& operator=(const small_vector&) = delete;

  void reserve(std::size_t n) {
    if (n > N) heap_.reserve(n);
  }
  void push_back(const T& value) {
    if (heap_.empty() && size_ < N) {
      ::new (static_cast<void*>(local() + size_)) T(value);
      ++size_;
      return;
    }
    if (heap_.empty()) heap_.assign(local(), local() + size_);  // spill once
    heap_.push_back(value);
    ++size_;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return heap_.empty() ? local() : heap_.data(); }
  const T* data() const { return heap_.empty() ? local() : heap_.data(); }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T& back() { return data()[size_ - 1]; }

 private:
  T* local() { return std::launder(reinterpret_cast<T*>(storage_)); }
  const T* local() const { return std::launder(reinterpret_cast<const T*>(storage_)); }

  alignas(T) unsigned char storage_[N * sizeof(T)];
  std::vector<T> heap_;
  std::size_t size_ = 0;
};

}  // namespace inertia::detail
