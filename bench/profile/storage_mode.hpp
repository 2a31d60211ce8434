#pragma once
// inertia-profile's storage modes: a step whose buffers are bf16/fp16, or of
// mixed types, or kept beside master weights (inertia_optimizer_step_storage;
// include/inertia/inertia.h, "Mixed storage and master weights"). One code
// path for every combination, over bytes: the streams a step moves, each with
// its width, are laid out from the variant and the storage, the model is
// allocated per stream, and the library is stepped through the handle's
// step_storage (every type equal and no master: the plain one-dtype step).
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/aligned_array.hpp"
#include "common/variant.hpp"
#include "common/workload.hpp"
#include "inertia/inertia.h"
#include "inertia/step_policy.hpp"
#include "roofline/mixed_roofline.hpp"

namespace inertia::bench {

/// "f32", "f64", "bf16", "f16".
std::string_view storage_dtype_name(inertia_dtype dtype);
/// Bytes per element of a buffer of this type.
std::size_t storage_dtype_bytes(inertia_dtype dtype);

/// What a row is called: "bf16" for the plain all-bf16 step, else every field,
/// e.g. "f32 state:bf16", "bf16 state:f32 master:f32", "bf16 rounding:stochastic".
std::string storage_label(const inertia_storage& storage);

/// One stream of a step: its role ("param", "grad", "state0", ..., "master"),
/// its type's width and how the step accesses it per element.
struct storage_stream {
  std::string name;
  stream_access access;
};

/// Whether a storage mode can measure v: an elementwise registry variant (the
/// look-ahead has no handle; lars and lamb widen whole tensors, a traffic no
/// same-pattern roofline describes). Empty when it can, else why not.
std::string storage_unsupported(const variant& v);

/// The streams a step of v moves under `storage`, in the tensor's slot order
/// (param, grad when read, the states), then the master: param read and
/// written (read only without a gradient, weight_ema; written only beside a
/// float32 master, which is read and written; split: both halves read and
/// written), grad read, every state read and written.
std::vector<storage_stream> storage_streams(const variant& v, const inertia_storage& storage);

/// "param:rw2 grad:r2 state0:rw4 master:rw4": what bytes_per_step counts.
std::string storage_pattern_name(const std::vector<storage_stream>& streams);

/// The library's own check of the combination for v: a step of no tensors on
/// a fresh handle. Throws what the library throws (inertia::invalid_argument,
/// its message naming the field) for a combination it refuses.
void check_storage(const variant& v, const inertia_storage& storage);

/// A model laid out as an engine keeps it: per tensor, one allocation per
/// stream in its own type, filled with the suite's initial values converted
/// to that type (a float32 master's model copy is the master rounded; a split
/// master's halves are the float32 value's).
class storage_model {
 public:
  storage_model(const workload& model, const variant& v, const inertia_storage& storage);
  const std::vector<inertia_tensor>& tensors() const { return tensors_; }
  /// Per tensor its master (storage with master weights), else empty.
  const std::vector<void*>& masters() const { return masters_; }
  /// Every stream of tensor i, as the mixed roofline takes them.
  std::vector<mixed_stream> streams(std::size_t tensor) const;
  std::size_t elements() const { return elements_; }
  /// Back to the initial values.
  void reset();

 private:
  inertia_storage storage_;
  std::vector<storage_stream> layout_;
  bool reads_grad_ = true;
  std::vector<aligned_array<unsigned char>> arrays_;  ///< tensor-major, layout_.size() per tensor
  std::vector<std::size_t> sizes_;
  std::vector<inertia_tensor> tensors_;
  std::vector<void*> masters_;
  std::size_t elements_ = 0;
};

/// One library step of the whole model on `threads` threads: "per_tensor"
/// (one step_storage call per tensor) or "multi_tensor" (one call; under
/// `policy` when v takes one). The handle's scalar state is put back before
/// every call, so every timed call is the same step.
std::function<void(const storage_model& model, int threads)> storage_model_step(std::string_view strategy,
                                                                                const variant& v,
                                                                                const inertia_storage& storage,
                                                                                const step_policy& policy);

}  // namespace inertia::bench
