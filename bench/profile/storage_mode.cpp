#include "profile/storage_mode.hpp"

#include <omp.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <utility>

#include "common/parallel_chunks.hpp"
#include "inertia/half.hpp"
#include "registry/optimizer.hpp"

namespace inertia::bench {

std::string_view storage_dtype_name(inertia_dtype dtype) {
  switch (dtype) {
    case INERTIA_FLOAT32: return "f32";
    case INERTIA_FLOAT64: return "f64";
    case INERTIA_BFLOAT16: return "bf16";
    case INERTIA_FLOAT16: return "f16";
  }
  return "?";
}

std::size_t storage_dtype_bytes(inertia_dtype dtype) {
  return dtype == INERTIA_FLOAT64 ? 8 : dtype == INERTIA_FLOAT32 ? 4 : 2;
}

std::string storage_label(const inertia_storage& s) {
  std::string label(storage_dtype_name(s.param_dtype));
  if (s.grad_dtype != s.param_dtype) label += " grad:" + std::string(storage_dtype_name(s.grad_dtype));
  if (s.state_dtype != s.param_dtype) label += " state:" + std::string(storage_dtype_name(s.state_dtype));
  if (s.master_weights == INERTIA_MASTER_FLOAT32) label += " master:f32";
  if (s.master_weights == INERTIA_MASTER_SPLIT) label += " master:split";
  if (s.rounding == INERTIA_ROUND_STOCHASTIC) label += " rounding:stochastic";
  return label;
}

std::string storage_unsupported(const variant& v) {
  if (v.is_lookahead()) return "the look-ahead is no registry variant: it has no step_storage";
  if (v.norm_pass_reads != 0)
    return "it widens whole tensors for its norms: no same-pattern roofline describes that traffic";
  return {};
}

std::vector<storage_stream> storage_streams(const variant& v, const inertia_storage& s) {
  const std::size_t param = storage_dtype_bytes(s.param_dtype);
  std::vector<storage_stream> out;
  switch (s.master_weights) {
    case INERTIA_MASTER_FLOAT32: out.push_back({"param", {param, false, true}}); break;  // the model's copy
    case INERTIA_MASTER_SPLIT: out.push_back({"param", {param, true, true}}); break;    // the top halves
    default: out.push_back({"param", {param, true, v.reads_grad}}); break;
  }
  if (v.reads_grad) out.push_back({"grad", {storage_dtype_bytes(s.grad_dtype), true, false}});
  for (std::size_t k = 0; k < v.state_buffers; ++k)
    out.push_back({"state" + std::to_string(k), {storage_dtype_bytes(s.state_dtype), true, true}});
  if (s.master_weights == INERTIA_MASTER_FLOAT32) out.push_back({"master", {4, true, true}});
  if (s.master_weights == INERTIA_MASTER_SPLIT) out.push_back({"master", {2, true, true}});  // the bottom halves
  return out;
}

std::string storage_pattern_name(const std::vector<storage_stream>& streams) {
  std::string name;
  for (const storage_stream& s : streams) {
    if (!name.empty()) name += ' ';
    name += s.name + ":" + (s.access.read ? "r" : "") + (s.access.written ? "w" : "") + std::to_string(s.access.width);
  }
  return name;
}

void check_storage(const variant& v, const inertia_storage& storage) {
  if (const std::string why = storage_unsupported(v); !why.empty()) throw std::invalid_argument(v.name + ": " + why);
  execution exec;
  exec.threads = 1;
  v.make_handle()->step_storage(storage, {}, nullptr, v.step, nullptr, exec);
}

namespace {

// The suite's initial values (common/initial_values.cpp), by role.
float initial_value(std::size_t stream, bool reads_grad, std::size_t i) {
  const float param = 1.0f + static_cast<float>(i % 97) * 1e-3f;
  const float grad = (static_cast<float>(i % 89) - 44.0f) * 1e-2f + 5e-3f;
  const float first_state = static_cast<float>(i % 83) * 1e-3f + 5e-4f;
  const float other_state = static_cast<float>(i % 79) * 1e-5f + 1e-6f;
  const std::size_t first = reads_grad ? 2 : 1;  // the first state's stream
  return stream == 0 ? param : stream + 1 == first ? grad : stream == first ? first_state : other_state;
}

void put(inertia_dtype dtype, void* data, std::size_t i, float value) {
  switch (dtype) {
    case INERTIA_FLOAT32: static_cast<float*>(data)[i] = value; break;
    case INERTIA_FLOAT64: static_cast<double*>(data)[i] = value; break;
    case INERTIA_BFLOAT16: static_cast<std::uint16_t*>(data)[i] = to_bfloat16(value).bits; break;
    case INERTIA_FLOAT16: static_cast<std::uint16_t*>(data)[i] = to_float16(value).bits; break;
  }
}

}  // namespace

storage_model::storage_model(const workload& model, const variant& v, const inertia_storage& storage)
    : storage_(storage), layout_(storage_streams(v, storage)), reads_grad_(v.reads_grad) {
  const bool has_master = storage.master_weights != INERTIA_MASTER_NONE;
  arrays_.reserve(layout_.size() * model.tensors.size());
  for (const tensor_shape& shape : model.tensors) {
    const std::size_t size = shape.elements();
    sizes_.push_back(size);
    elements_ += size;
    std::vector<void*> data;
    for (const storage_stream& s : layout_) data.push_back(arrays_.emplace_back(size * s.access.width).data());
    inertia_tensor t{};
    t.param = data[0];
    std::size_t next = 1;
    if (v.reads_grad) t.grad = data[next++];
    for (std::size_t k = 0; k < v.state_buffers; ++k) t.state[k] = data[next++];
    t.size = size;
    tensors_.push_back(t);
    if (has_master) masters_.push_back(data[next]);
  }
  reset();
}

std::vector<mixed_stream> storage_model::streams(std::size_t tensor) const {
  std::vector<mixed_stream> out;
  for (std::size_t k = 0; k < layout_.size(); ++k)
    out.push_back({layout_[k].access, arrays_[tensor * layout_.size() + k].data()});
  return out;
}

void storage_model::reset() {
  const std::size_t streams = layout_.size();
  const bool reads_grad = reads_grad_;
  const inertia_master_weights master = storage_.master_weights;
  for (std::size_t t = 0; t < tensors_.size(); ++t) {
    std::vector<void*> data;
    for (std::size_t k = 0; k < streams; ++k) data.push_back(arrays_[t * streams + k].data());
    const std::size_t size = sizes_[t];
    const std::size_t states = streams - 1 - (reads_grad ? 1 : 0) - (master != INERTIA_MASTER_NONE ? 1 : 0);
    for_each_chunk(size, 2, peer_threads(size, omp_get_max_threads()), [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        const float w = initial_value(0, reads_grad, i);
        if (master == INERTIA_MASTER_SPLIT) {
          std::uint32_t bits;
          std::memcpy(&bits, &w, sizeof bits);
          static_cast<std::uint16_t*>(data[0])[i] = static_cast<std::uint16_t>(bits >> 16);
          static_cast<std::uint16_t*>(data[streams - 1])[i] = static_cast<std::uint16_t>(bits);
        } else {
          put(storage_.param_dtype, data[0], i, w);  // a float32 master's model copy: the master rounded
          if (master == INERTIA_MASTER_FLOAT32) put(INERTIA_FLOAT32, data[streams - 1], i, w);
        }
        std::size_t k = 1;
        if (reads_grad) put(storage_.grad_dtype, data[k], i, initial_value(k, reads_grad, i)), ++k;
        for (std::size_t s = 0; s < states; ++s, ++k) put(storage_.state_dtype, data[k], i, initial_value(k, reads_grad, i));
      }
    });
  }
}

std::function<void(const storage_model&, int)> storage_model_step(std::string_view strategy, const variant& v,
                                                                  const inertia_storage& storage,
                                                                  const step_policy& policy) {
  if (strategy != "per_tensor" && strategy != "multi_tensor")
    throw std::invalid_argument("unknown step strategy '" + std::string(strategy) + "'");
  std::vector<std::pair<std::string, double>> every_call;
  for (const setting& s : v.settings)
    if (s.every_call) every_call.emplace_back(s.key, s.values.at(0));
  const bool per_tensor = strategy == "per_tensor";
  const step_policy* applied = !per_tensor && v.takes_policy ? &policy : nullptr;
  return [handle = v.make_handle(), every_call = std::move(every_call), v, storage, per_tensor, policy_copy = policy,
          with_policy = applied != nullptr](const storage_model& model, int threads) {
    execution exec;
    exec.threads = threads;
    const std::vector<inertia_tensor>& tensors = model.tensors();
    const std::vector<void*>& masters = model.masters();
    const bool has_master = !masters.empty();
    if (per_tensor) {
      for (std::size_t i = 0; i < tensors.size(); ++i) {
        for (const auto& [key, value] : every_call) handle->set(key, value);
        handle->step_storage(storage, std::span<const inertia_tensor>(&tensors[i], 1), has_master ? &masters[i] : nullptr,
                             v.step, nullptr, exec);
      }
      return;
    }
    for (const auto& [key, value] : every_call) handle->set(key, value);
    handle->step_storage(storage, tensors, has_master ? masters.data() : nullptr, v.step,
                         with_policy ? &policy_copy : nullptr, exec);
  };
}

}  // namespace inertia::bench
