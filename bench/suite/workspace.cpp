#include "suite/workspace.hpp"

#include <memory>
#include <stdexcept>

#include "common/initial_values.hpp"

namespace inertia::bench {

workspace::workspace(std::size_t working_set_bytes)
    : working_set_bytes_(working_set_bytes) {
  for (aligned_array<std::byte>& array : arrays_) array = aligned_array<std::byte>(working_set_bytes / 2);
}

workspace& workspace::of_size(std::size_t working_set_bytes) {
  static std::unique_ptr<workspace> current;
  if (!current || current->working_set_bytes_ != working_set_bytes) {
    current.reset();
    current.reset(new workspace(working_set_bytes));
  }
  return *current;
}

template <class T>
step_buffers<T> workspace::buffers(std::size_t size) const {
  if (size * sizeof(T) > arrays_[0].size()) throw std::length_error("workspace: span larger than the working set");
  const auto array = [&](std::size_t k) { return reinterpret_cast<T*>(arrays_[k].data()); };
  return {array(0), array(1), array(2), {array(3), array(4), array(5)}, size};
}

template <class T>
void workspace::prepare(const std::string& owner, std::size_t size) {
  if (owner == owner_) return;
  fill_initial_values(buffers<T>(size));
  owner_ = owner;
}

template step_buffers<float> workspace::buffers<float>(std::size_t) const;
template step_buffers<double> workspace::buffers<double>(std::size_t) const;
template void workspace::prepare<float>(const std::string&, std::size_t);
template void workspace::prepare<double>(const std::string&, std::size_t);

}  // namespace inertia::bench
