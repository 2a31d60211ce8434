// Mixed storage and master weights: checks, chunks, and the widen / step /
// round-back passes of every chunk (staged_storage.hpp says why this way).
#include "staged_storage.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include <omp.h>

#include "block_plan.hpp"
#include "dispatch.hpp"
#include "inertia/error.hpp"
#include "inertia/half.hpp"
#include "reduction.hpp"
#include "registry/fused_storage.hpp"
#include "step_groups.hpp"
#include "variants/convert.hpp"
#include "variants/stochastic_narrow.hpp"

namespace inertia::detail {
namespace {

std::size_t bytes_of(inertia_dtype dtype) {
  switch (dtype) {
    case INERTIA_FLOAT64: return 8;
    case INERTIA_FLOAT32: return 4;
    default: return 2;
  }
}

bool is_half(inertia_dtype dtype) { return dtype == INERTIA_BFLOAT16 || dtype == INERTIA_FLOAT16; }

const char* dtype_name(int dtype) {
  switch (dtype) {
    case INERTIA_FLOAT32: return "INERTIA_FLOAT32";
    case INERTIA_FLOAT64: return "INERTIA_FLOAT64";
    case INERTIA_BFLOAT16: return "INERTIA_BFLOAT16";
    case INERTIA_FLOAT16: return "INERTIA_FLOAT16";
    default: return "an unknown dtype";
  }
}

[[noreturn]] void fail_dtype(const argument_checks& check, const char* field, int value, const std::string& why) {
  check.fail(error_kind::dtype, std::string("storage.") + field,
             std::string("storage.") + field + " = " + std::to_string(value) + " (" + dtype_name(value) + "): " + why);
}

/// The relations between the storage's types (check_storage_values has
/// checked that each is a value of its enum).
void check_types(const argument_checks& check, const inertia_storage& s, bool reads_grad) {
  const int param = s.param_dtype, grad = s.grad_dtype, state = s.state_dtype, master = s.master_weights;
  if (param == INERTIA_FLOAT64 || grad == INERTIA_FLOAT64 || state == INERTIA_FLOAT64) {
    const char* field = param == INERTIA_FLOAT64 ? "param_dtype" : grad == INERTIA_FLOAT64 ? "grad_dtype" : "state_dtype";
    const int value = param == INERTIA_FLOAT64 ? param : grad == INERTIA_FLOAT64 ? grad : state;
    fail_dtype(check, field, value, "float64 only with every type float64 and no master (the math is float32 otherwise)");
  }
  if (grad != param && grad != INERTIA_FLOAT32)
    fail_dtype(check, "grad_dtype", grad, std::string("must be the param's type (") + dtype_name(param) + ") or float32");
  if (state != param && state != INERTIA_FLOAT32 && state != INERTIA_BFLOAT16)
    fail_dtype(check, "state_dtype", state,
               std::string("must be float32, bfloat16 or the param's type (") + dtype_name(param) + ")");
  if (master == INERTIA_MASTER_NONE) return;
  if (!reads_grad)
    check.fail(error_kind::dtype, "storage.master_weights",
               "storage.master_weights must be INERTIA_MASTER_NONE: this variant's param is read, never written");
  if (master == INERTIA_MASTER_FLOAT32 && !is_half(s.param_dtype))
    fail_dtype(check, "param_dtype", param, "a float32 master needs a bfloat16 or float16 model copy in param");
  if (master == INERTIA_MASTER_SPLIT && param != INERTIA_BFLOAT16)
    fail_dtype(check, "param_dtype", param, "split master weights are bfloat16 top halves in param");
}

struct piece {
  std::size_t tensor, begin, end;
};

using stochastic_bf16 = range_kernel<stochastic_narrow_rule<bfloat16>>;
using stochastic_f16 = range_kernel<stochastic_narrow_rule<float16>>;
using narrow_bf16 = range_kernel<narrow_rule<bfloat16>>;
using narrow_f16 = range_kernel<narrow_rule<float16>>;
using widen_bf16 = range_kernel<widen_rule<bfloat16>>;
using widen_f16 = range_kernel<widen_rule<float16>>;
using join_split_kernel = range_kernel<join_split_rule>;
using split_kernel = range_kernel<split_rule>;

/// The active target's conversion kernels, looked up once per call.
struct converters {
  narrow_bf16 to_bf16;
  narrow_f16 to_f16;
  widen_bf16 from_bf16;
  widen_f16 from_f16;
  stochastic_bf16 to_bf16_stochastic;
  stochastic_f16 to_f16_stochastic;
  join_split_kernel from_split;
  split_kernel to_split;
  fill_draws_kernel fill_draws;
  bool stochastic;
  const inertia_storage& storage;
  long long step;

  converters(arch target, const inertia_storage& s, long long step_number)
      : to_bf16(kernel_for<narrow_rule<bfloat16>>(target)),
        to_f16(kernel_for<narrow_rule<float16>>(target)),
        from_bf16(kernel_for<widen_rule<bfloat16>>(target)),
        from_f16(kernel_for<widen_rule<float16>>(target)),
        to_bf16_stochastic(kernel_for<stochastic_narrow_rule<bfloat16>>(target)),
        to_f16_stochastic(kernel_for<stochastic_narrow_rule<float16>>(target)),
        from_split(kernel_for<join_split_rule>(target)),
        to_split(kernel_for<split_rule>(target)),
        fill_draws(fill_draws_kernel_for(target)),
        stochastic(s.rounding == INERTIA_ROUND_STOCHASTIC),
        storage(s),
        step(step_number) {}

  /// count elements from first_index of buffer `buffer` of a tensor (0: param, 1 + j: state j).
  void round(inertia_dtype dtype, const float* source, void* destination, std::size_t count, std::size_t first_index,
             std::size_t buffer) const {
    if (!stochastic) return narrow(dtype, source, destination, count);
    // Draws for up to staged_chunk elements at a time (8 KiB, in L1 for the
    // rounding that reads them right after), then the rounding with them
    // (variants/stochastic_narrow.hpp). lars and lamb pass whole tensors here.
    alignas(64) std::uint32_t draws[staged_chunk];
    const stochastic_key key = stochastic_key_of(storage, step, static_cast<std::uint32_t>(buffer));
    for (std::size_t done = 0; done < count; done += staged_chunk) {
      const std::size_t n = std::min(staged_chunk, count - done);
      fill_draws(key, first_index + done, n, draws);
      if (dtype == INERTIA_BFLOAT16)
        to_bf16_stochastic({source + done, static_cast<bfloat16*>(destination) + done, draws}, 0, n);
      else
        to_f16_stochastic({source + done, static_cast<float16*>(destination) + done, draws}, 0, n);
    }
  }

  void widen(inertia_dtype dtype, const void* source, float* destination, std::size_t count) const {
    if (dtype == INERTIA_BFLOAT16)
      from_bf16({static_cast<const bfloat16*>(source), destination}, 0, count);
    else
      from_f16({static_cast<const float16*>(source), destination}, 0, count);
  }
  /// Split bf16: the float32 whose top 16 bits are top[i] and bottom 16 bits bottom[i], and back.
  /// (join reads top and bottom only: split_pointer's are the writable pointers the fused rules store through.)
  void join(std::uint16_t* top, std::uint16_t* bottom, float* destination, std::size_t count) const {
    from_split({{top, bottom}, destination}, 0, count);
  }
  void split(const float* source, std::uint16_t* top, std::uint16_t* bottom, std::size_t count) const {
    to_split({source, {top, bottom}}, 0, count);
  }
  void narrow(inertia_dtype dtype, const float* source, void* destination, std::size_t count) const {
    if (dtype == INERTIA_BFLOAT16)
      to_bf16({source, static_cast<bfloat16*>(destination)}, 0, count);
    else
      to_f16({source, static_cast<float16*>(destination)}, 0, count);
  }
};

template <class T>
void call_wide_of(std::span<const inertia_tensor> tensors, const step_policy& policy, const execution& exec,
                  step_report& report, double& clip_coefficient) {
  std::vector<std::span<const T>> grads;
  grads.reserve(tensors.size());
  for (const inertia_tensor& t : tensors) grads.emplace_back(static_cast<const T*>(t.grad), t.size);
  call_wide_policy(std::span<const std::span<const T>>(grads), policy, exec, report, clip_coefficient);
}

}  // namespace

bool is_single_dtype(const inertia_storage& s) {
  return s.master_weights == INERTIA_MASTER_NONE && s.grad_dtype == s.param_dtype && s.state_dtype == s.param_dtype &&
         (s.rounding == INERTIA_ROUND_NEAREST_EVEN || !is_half(s.param_dtype));
}

void check_storage_values(const argument_checks& check, int param, int grad, int state, int master, int rounding) {
  const auto known = [](int t) { return t >= INERTIA_FLOAT32 && t <= INERTIA_FLOAT16; };
  if (!known(param)) fail_dtype(check, "param_dtype", param, "not an inertia_dtype value");
  if (!known(grad)) fail_dtype(check, "grad_dtype", grad, "not an inertia_dtype value");
  if (!known(state)) fail_dtype(check, "state_dtype", state, "not an inertia_dtype value");
  if (master < INERTIA_MASTER_NONE || master > INERTIA_MASTER_SPLIT)
    check.fail(error_kind::dtype, "storage.master_weights",
               "storage.master_weights = " + std::to_string(master) + " is not an inertia_master_weights value");
  if (rounding != INERTIA_ROUND_NEAREST_EVEN && rounding != INERTIA_ROUND_STOCHASTIC)
    check.fail(error_kind::hyperparameter, "storage.rounding",
               "storage.rounding = " + std::to_string(rounding) + " is not an inertia_rounding value");
}

void check_master_pointers(const argument_checks& check, const inertia_storage& s, void* const* master, std::size_t count) {
  const bool has_master = s.master_weights != INERTIA_MASTER_NONE;
  if (!has_master && master != nullptr)
    check.fail(error_kind::unused_state, "master", "master must be NULL when storage.master_weights is INERTIA_MASTER_NONE");
  if (has_master && master == nullptr && count != 0)
    check.fail(error_kind::null_pointer, "master",
               "master is NULL but storage.master_weights asks for master weights and count = " + std::to_string(count));
}

void check_staged_call(const argument_checks& check, const staged_layout& layout, std::span<const inertia_tensor> tensors,
                       void* const* master) {
  const inertia_storage& s = layout.storage;
  check_types(check, s, layout.reads_grad);
  check_master_pointers(check, s, master, tensors.size());
  const bool has_master = s.master_weights != INERTIA_MASTER_NONE;
  buffer_registry buffers;
  const std::size_t master_bytes = s.master_weights == INERTIA_MASTER_FLOAT32 ? 4 : 2;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const inertia_tensor& t = tensors[i];
    const std::size_t n = t.size;
    const auto require = [&](const void* pointer, const std::string& name) {
      if (pointer == nullptr && n != 0)
        check.fail(error_kind::null_pointer, name,
                   "tensor " + std::to_string(i) + " " + name + " is NULL but size = " + std::to_string(n));
    };
    require(t.param, "param");
    buffers.add(t.param, n * bytes_of(s.param_dtype), 0, i, "param");
    if (layout.reads_grad) {
      require(t.grad, "grad");
      buffers.add(t.grad, n * bytes_of(s.grad_dtype), 0, i, "grad");
    } else if (t.grad != nullptr) {
      check.fail(error_kind::unused_state, "grad", "tensor " + std::to_string(i) + " grad must be NULL: this variant reads no gradient");
    }
    for (std::size_t j = 0; j < INERTIA_MAX_STATE; ++j) {
      if (j < layout.state_count) {
        require(t.state[j], layout.state_names[j]);
        buffers.add(t.state[j], n * bytes_of(s.state_dtype), 0, i, layout.state_names[j]);
      } else if (t.state[j] != nullptr) {
        check.fail(error_kind::unused_state, "state[" + std::to_string(j) + "]",
                   "tensor " + std::to_string(i) + " state[" + std::to_string(j) + "] is given, but the variant with these options keeps " +
                       std::to_string(layout.state_count) + " state buffer(s) per tensor");
      }
    }
    if (has_master) {
      require(master[i], "master");
      buffers.add(master[i], n * master_bytes, 0, i, "master");
    }
  }
  buffers.require_disjoint(check);
}

step_report run_staged(const staged_layout& layout, std::span<const inertia_tensor> tensors, void* const* master,
                       long long step, const step_policy* policy, const execution& exec, staged_inner_step inner) {
  const inertia_storage& s = layout.storage;
  step_report report;

  // The policy's call-wide part, once, on the call's own gradients.
  given_call_wide given{1.0, report.grad_norm};
  const bool call_wide = layout.reads_grad && policy != nullptr && (policy->skip_non_finite || policy->max_norm > 0.0);
  if (call_wide) {
    double clip_coefficient = 1.0;
    if (s.grad_dtype == INERTIA_FLOAT32)
      call_wide_of<float>(tensors, *policy, exec, report, clip_coefficient);
    else if (s.grad_dtype == INERTIA_BFLOAT16)
      call_wide_of<bfloat16>(tensors, *policy, exec, report, clip_coefficient);
    else
      call_wide_of<float16>(tensors, *policy, exec, report, clip_coefficient);
    if (report.skipped) return report;
    given = {clip_coefficient, report.grad_norm};
  }

  // Which buffers need float32 scratch.
  const bool master32 = s.master_weights == INERTIA_MASTER_FLOAT32;
  const bool split_master = s.master_weights == INERTIA_MASTER_SPLIT;
  const bool stage_param = split_master || (!master32 && s.param_dtype != INERTIA_FLOAT32);
  const bool stage_grad = layout.reads_grad && s.grad_dtype != INERTIA_FLOAT32;
  const bool stage_state = s.state_dtype != INERTIA_FLOAT32 && layout.state_count > 0;
  const std::size_t scratch_buffers =
      std::size_t(stage_param) + std::size_t(stage_grad) + (stage_state ? layout.state_count : 0);

  // Pieces and chunks: consecutive pieces of at most staged_chunk elements in all.
  std::vector<piece> pieces;
  std::vector<std::size_t> chunk_first{0};  // chunk c is pieces [chunk_first[c], chunk_first[c + 1])
  std::size_t in_chunk = 0, total = 0, largest_chunk = 0;
  const auto close_chunk = [&] {
    if (chunk_first.back() == pieces.size()) return;
    largest_chunk = std::max(largest_chunk, in_chunk);
    chunk_first.push_back(pieces.size());
    in_chunk = 0;
  };
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    const std::size_t n = tensors[k].size;
    total += n;
    if (n == 0) continue;
    const std::size_t cut = layout.elementwise ? staged_chunk : n;
    for (std::size_t begin = 0; begin < n; begin += cut) {
      const std::size_t length = std::min(cut, n - begin);
      if (in_chunk + length > staged_chunk) close_chunk();
      pieces.push_back({k, begin, begin + length});
      in_chunk += length;
    }
  }
  close_chunk();
  const std::size_t chunks = chunk_first.size() - 1;
  if (chunks == 0) return report;

  std::size_t bytes_per_element = bytes_of(s.param_dtype) * 2 + layout.state_count * bytes_of(s.state_dtype) * 2;
  if (layout.reads_grad) bytes_per_element += bytes_of(s.grad_dtype);
  if (s.master_weights != INERTIA_MASTER_NONE) bytes_per_element += (master32 ? 4 : 2) * 2;
  int threads = exec.threads > 0 ? exec.threads : omp_get_max_threads();
  const std::size_t per_thread = exec.min_bytes_per_thread ? exec.min_bytes_per_thread : default_min_bytes_per_thread;
  if (omp_in_parallel() || total * bytes_per_element < 2 * per_thread) threads = 1;
  threads = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), chunks));

  const converters convert(active_arch(), s, step);
  execution one_thread = exec;
  one_thread.threads = 1;

  std::exception_ptr failure;
  const auto run_chunks = [&](int thread, int team) {
    static thread_local std::vector<float> scratch_storage;
    static thread_local std::vector<inertia_tensor> inner_tensors;
    const std::size_t first = chunks * static_cast<std::size_t>(thread) / static_cast<std::size_t>(team);
    const std::size_t last = chunks * static_cast<std::size_t>(thread + 1) / static_cast<std::size_t>(team);
    if (first == last) return;
    try {
      if (scratch_storage.size() < largest_chunk * scratch_buffers) scratch_storage.resize(largest_chunk * scratch_buffers);
      float* const scratch = scratch_storage.data();
      const staged_call_wide_scope scope(call_wide ? &given : nullptr);
      for (std::size_t c = first; c < last; ++c) {
        const std::size_t p0 = chunk_first[c], p1 = chunk_first[c + 1];
        inner_tensors.clear();
        // Scratch layout of this chunk: for each staged buffer, chunk-length floats.
        std::size_t chunk_length = 0;
        for (std::size_t p = p0; p < p1; ++p) chunk_length += pieces[p].end - pieces[p].begin;
        std::size_t offset = 0;  // of this piece within the chunk
        for (std::size_t p = p0; p < p1; ++p) {
          const piece& pc = pieces[p];
          const inertia_tensor& t = tensors[pc.tensor];
          const std::size_t b = pc.begin, n = pc.end - pc.begin;
          std::size_t region = 0;
          const auto next_region = [&] { return scratch + (region++) * chunk_length + offset; };
          inertia_tensor f{};
          f.size = n;
          if (master32) {
            f.param = static_cast<float*>(master[pc.tensor]) + b;
          } else if (stage_param) {
            float* w = next_region();
            if (split_master)
              convert.join(static_cast<std::uint16_t*>(t.param) + b, static_cast<std::uint16_t*>(master[pc.tensor]) + b, w, n);
            else
              convert.widen(s.param_dtype, static_cast<const std::uint16_t*>(t.param) + b, w, n);
            f.param = w;
          } else {
            f.param = static_cast<float*>(t.param) + b;
          }
          if (layout.reads_grad) {
            if (stage_grad) {
              float* g = next_region();
              convert.widen(s.grad_dtype, static_cast<const std::uint16_t*>(t.grad) + b, g, n);
              f.grad = g;
            } else {
              f.grad = static_cast<const float*>(t.grad) + b;
            }
          }
          for (std::size_t j = 0; j < layout.state_count; ++j) {
            if (stage_state) {
              float* v = next_region();
              if (!(layout.states_written_unread >> j & 1u))
                convert.widen(s.state_dtype, static_cast<const std::uint16_t*>(t.state[j]) + b, v, n);
              f.state[j] = v;
            } else {
              f.state[j] = static_cast<float*>(t.state[j]) + b;
            }
          }
          inner_tensors.push_back(f);
          offset += n;
        }
        inner.step(inner.context, std::span<const inertia_tensor>(inner_tensors), one_thread);
        // Round back what the step wrote.
        for (std::size_t p = p0, q = 0; p < p1; ++p, ++q) {
          const piece& pc = pieces[p];
          const inertia_tensor& t = tensors[pc.tensor];
          const inertia_tensor& f = inner_tensors[q];
          const std::size_t b = pc.begin, n = pc.end - pc.begin;
          if (layout.reads_grad) {  // otherwise param is read only
            const float* w = static_cast<const float*>(f.param);
            if (split_master)
              convert.split(w, static_cast<std::uint16_t*>(t.param) + b, static_cast<std::uint16_t*>(master[pc.tensor]) + b, n);
            else if (master32 || stage_param)
              convert.round(s.param_dtype, w, static_cast<std::uint16_t*>(t.param) + b, n, b, 0);
          }
          if (stage_state)
            for (std::size_t j = 0; j < layout.state_count; ++j)
              convert.round(s.state_dtype, static_cast<const float*>(f.state[j]),
                            static_cast<std::uint16_t*>(t.state[j]) + b, n, b, 1 + j);
        }
      }
    } catch (...) {
#pragma omp critical(inertia_staged_failure)
      if (!failure) failure = std::current_exception();
    }
  };
  if (threads <= 1) {
    run_chunks(0, 1);
  } else {
#pragma omp parallel num_threads(threads)
    run_chunks(omp_get_thread_num(), omp_get_num_threads());
  }
  if (failure) std::rethrow_exception(failure);
  return report;
}

}  // namespace inertia::detail
