#pragma once
// One contiguous allocation for every tensor of a model, each tensor starting
// on a 64-byte cache line, for engines that can allocate that way. Make one
// flat_buffer each for parameters, gradients and optimizer state from the same
// sizes: tensor(k) of each is then a matching span for the multi-tensor call,
// and all() of each can be stepped as one span (the padding between tensors
// is zero-initialised and stepping it is harmless).
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <vector>

namespace inertia {

template <class T>
class flat_buffer {
 public:
  static constexpr std::size_t alignment = 64;

  /// sizes: elements per tensor (product of each shape's dimensions).
  explicit flat_buffer(std::span<const std::size_t> sizes) {
    constexpr std::size_t line = alignment / sizeof(T);
    offsets_.reserve(sizes.size() + 1);
    std::size_t offset = 0;
    for (std::size_t size : sizes) {
      offsets_.push_back(offset);
      offset += (size + line - 1) / line * line;
    }
    offsets_.push_back(offset);
    sizes_.assign(sizes.begin(), sizes.end());
    storage_.reset(static_cast<T*>(::operator new[](offset * sizeof(T) + alignment, std::align_val_t(alignment))));
    std::uninitialized_value_construct_n(storage_.get(), offset);
  }

  std::size_t count() const { return sizes_.size(); }
  /// Tensor k: sizes[k] elements starting on a cache line.
  std::span<T> tensor(std::size_t k) const { return {storage_.get() + offsets_[k], sizes_[k]}; }
  /// Every element, padding included.
  std::span<T> all() const { return {storage_.get(), offsets_.back()}; }

 private:
  struct aligned_delete {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(alignment)); }
  };
  std::vector<std::size_t> sizes_, offsets_;
  std::unique_ptr<T[], aligned_delete> storage_;
};

}  // namespace inertia
