#include "suite/workspace.hpp"

#include <memory>
#include <stdexcept>

#include "common/initial_values.hpp"
#include "common/workload.hpp"

namespace inertia::bench {
namespace {

// At most one of these two is alive: a gigabyte working set of each would
// not fit beside the other on a small machine.
std::unique_ptr<workspace> current_workspace;
std::unique_ptr<storage_workspace> current_storage;

std::string storage_key(const storage_case& c) {
  return c.mode.name + "/" + c.pattern + "/" + std::to_string(c.size);
}

}  // namespace

workspace::workspace(std::size_t working_set_bytes)
    : working_set_bytes_(working_set_bytes) {
  for (aligned_array<std::byte>& array : arrays_) array = aligned_array<std::byte>(working_set_bytes / 2);
}

workspace& workspace::of_size(std::size_t working_set_bytes) {
  current_storage.reset();
  if (!current_workspace || current_workspace->working_set_bytes_ != working_set_bytes) {
    current_workspace.reset();
    current_workspace.reset(new workspace(working_set_bytes));
  }
  return *current_workspace;
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

storage_workspace::storage_workspace(const storage_case& c)
    : key_(storage_key(c)),
      model_(std::make_unique<storage_model>(flat_workload(c.size), *c.v, c.mode.storage)),
      roofline_(std::make_unique<storage_model>(flat_workload(c.size), *c.v, c.mode.storage)),
      owner_(), fresh_(true) {}

storage_workspace& storage_workspace::of_case(const storage_case& c) {
  current_workspace.reset();
  if (!current_storage || current_storage->key_ != storage_key(c)) {
    current_storage.reset();
    current_storage.reset(new storage_workspace(c));
  }
  return *current_storage;
}

void storage_workspace::prepare(const std::string& owner) {
  if (owner == owner_) return;
  if (!fresh_) model_->reset();  // a new model already holds them: converting a gigabyte twice costs seconds
  fresh_ = false;
  owner_ = owner;
}

template step_buffers<float> workspace::buffers<float>(std::size_t) const;
template step_buffers<double> workspace::buffers<double>(std::size_t) const;
template void workspace::prepare<float>(const std::string&, std::size_t);
template void workspace::prepare<double>(const std::string&, std::size_t);

}  // namespace inertia::bench
