#pragma once
// An uninitialized array on a 64-byte (cache-line) boundary, as engines
// allocate tensors (PyTorch's CPU allocator aligns to 64 bytes).
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

namespace inertia::bench {

template <class T>
class aligned_array {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  aligned_array() = default;
  explicit aligned_array(std::size_t size) : size_(size) {
    const std::size_t bytes = (std::max<std::size_t>(size * sizeof(T), 1) + 63) / 64 * 64;
    data_.reset(static_cast<T*>(std::aligned_alloc(64, bytes)));
    if (!data_) throw std::bad_alloc();
  }
  T* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct free_deleter {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, free_deleter> data_;
  std::size_t size_ = 0;
};

}  // namespace inertia::bench
