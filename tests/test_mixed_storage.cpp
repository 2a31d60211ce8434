// Mixed storage and master weights (inertia_optimizer_step_storage,
// lib/staged_storage.hpp): for every variant and every allowed combination of
// types, the step equals the float32 step on the widened values, with each
// buffer then rounded to its own type: float32 buffers (masters included) bit
// for bit the float32 step's, bf16/fp16 buffers those bits rounded to nearest
// even, a split master's halves those bits cut in two. Every target, threads
// {1, 2, 3}, tensors of 0 to past one chunk, and the checks that write nothing.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "inertia/half.hpp"
#include "inertia/inertia.h"
#include "registry/optimizer.hpp"
#include "staged_storage.hpp"
#include "support.hpp"

namespace inertia::test {
namespace {

/// One buffer in its storage type; value(i) widens, assign(i, x) rounds.
struct typed_buffer {
  inertia_dtype dtype = INERTIA_FLOAT32;
  std::vector<float> full;           // FLOAT32
  std::vector<std::uint16_t> half;   // BFLOAT16, FLOAT16, or a split master's bottom halves

  typed_buffer(inertia_dtype type, std::size_t size) : dtype(type) {
    if (type == INERTIA_FLOAT32) full.resize(size); else half.resize(size);
  }
  std::size_t size() const { return dtype == INERTIA_FLOAT32 ? full.size() : half.size(); }
  void* data(std::size_t offset) {
    return dtype == INERTIA_FLOAT32 ? static_cast<void*>(full.data() + offset) : static_cast<void*>(half.data() + offset);
  }
  float value(std::size_t i) const {
    switch (dtype) {
      case INERTIA_FLOAT32: return full[i];
      case INERTIA_BFLOAT16: return to_float(bfloat16{half[i]});
      default: return to_float(float16{half[i]});
    }
  }
  void assign(std::size_t i, float x) {
    switch (dtype) {
      case INERTIA_FLOAT32: full[i] = x; break;
      case INERTIA_BFLOAT16: half[i] = to_bfloat16(x).bits; break;
      default: half[i] = to_float16(x).bits; break;
    }
  }
  bool operator==(const typed_buffer&) const = default;
};

struct handle {
  inertia_optimizer* opt = nullptr;
  explicit handle(const char* variant) { REQUIRE(inertia_optimizer_create(variant, &opt) == INERTIA_OK); }
  ~handle() { inertia_optimizer_destroy(opt); }
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
};

/// Options that give each variant state to keep (momentum where it is optional).
void configure(inertia_optimizer* opt) {
  for (const auto& [key, value] : {std::pair{"momentum", 0.9}, std::pair{"weight_decay", 0.01}}) {
    double current = 0;
    if (inertia_optimizer_get(opt, key, &current) == INERTIA_OK) REQUIRE(inertia_optimizer_set(opt, key, value) == INERTIA_OK);
  }
}

/// One tensor of a staged call: param, grad, states and master in their types.
struct staged_tensor {
  typed_buffer param, grad;
  std::vector<typed_buffer> state;
  typed_buffer master;  // FLOAT32 master, or a split master's bottom halves (as BFLOAT16 bits)

  /// The float32 master weights this tensor holds, whichever the layout.
  float weight(std::size_t i, inertia_master_weights mode) const {
    if (mode == INERTIA_MASTER_FLOAT32) return master.full[i];
    if (mode == INERTIA_MASTER_SPLIT)
      return std::bit_cast<float>((std::uint32_t(param.half[i]) << 16) | master.half[i]);
    return param.value(i);
  }
  void set_weight(std::size_t i, float w, inertia_master_weights mode) {
    if (mode == INERTIA_MASTER_FLOAT32) {
      master.full[i] = w;
      param.assign(i, w);
    } else if (mode == INERTIA_MASTER_SPLIT) {
      const std::uint32_t bits = std::bit_cast<std::uint32_t>(w);
      param.half[i] = std::uint16_t(bits >> 16);
      master.half[i] = std::uint16_t(bits);
    } else {
      param.assign(i, w);
    }
  }
};

const char* name_of(inertia_dtype t) {
  switch (t) {
    case INERTIA_FLOAT32: return "f32";
    case INERTIA_BFLOAT16: return "bf16";
    case INERTIA_FLOAT16: return "f16";
    default: return "f64";
  }
}

std::vector<inertia_storage> allowed_storages() {
  std::vector<inertia_storage> out;
  for (inertia_dtype param : {INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_FLOAT16})
    for (inertia_dtype grad : {param, INERTIA_FLOAT32})
      for (inertia_dtype state : {INERTIA_FLOAT32, INERTIA_BFLOAT16, param})
        for (inertia_master_weights master : {INERTIA_MASTER_NONE, INERTIA_MASTER_FLOAT32, INERTIA_MASTER_SPLIT}) {
          if (master == INERTIA_MASTER_FLOAT32 && param == INERTIA_FLOAT32) continue;
          if (master == INERTIA_MASTER_SPLIT && param != INERTIA_BFLOAT16) continue;
          const inertia_storage s{param, grad, state, master};
          if (detail::is_single_dtype(s)) continue;  // the one-dtype step: test_half_storage.cpp
          bool seen = false;  // {param, param} and {param, f32} coincide for f32 params
          for (const auto& o : out)
            seen = seen || (o.param_dtype == param && o.grad_dtype == grad && o.state_dtype == state && o.master_weights == master);
          if (!seen) out.push_back(s);
        }
  return out;
}

/// targets: the archs to run on; numerics: a "numerics" option to set where a
/// variant has that value (nullptr: the defaults).
void require_staged_step_is_widened_float_step(const inertia_storage& storage, const std::vector<std::size_t>& sizes,
                                               std::span<const arch> targets, std::span<const int> thread_counts,
                                               const char* numerics = nullptr) {
  const auto mode = storage.master_weights;
  for (std::size_t v = 0; v < inertia_variant_count(); ++v) {
    const char* name = inertia_variant_name(v);
    const bool reads_grad = std::string(name) != "weight_ema";
    if (!reads_grad && mode != INERTIA_MASTER_NONE) continue;  // refused: see the checks below
    for (arch target : targets)
      for (int threads : thread_counts) {
        INFO(name << ", " << arch_name(target) << ", threads " << threads << ", param " << name_of(storage.param_dtype)
                  << ", grad " << name_of(storage.grad_dtype) << ", state " << name_of(storage.state_dtype)
                  << ", master " << int(mode) << ", numerics " << (numerics ? numerics : "default"));
        const arch_scope scope(target);
        handle staged(name), full(name);
        configure(staged.opt);
        configure(full.opt);
        if (numerics != nullptr) {
          if (inertia_optimizer_set_string(staged.opt, "numerics", numerics) != INERTIA_OK) continue;
          REQUIRE(inertia_optimizer_set_string(full.opt, "numerics", numerics) == INERTIA_OK);
        }
        const std::size_t states = inertia_optimizer_state_count(staged.opt);
        std::mt19937 random(static_cast<std::uint32_t>(v * 1000 + threads));
        std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
        // One element in front of every buffer, so that odd tensors start unaligned.
        std::vector<staged_tensor> tensors;
        for (std::size_t k = 0; k < sizes.size(); ++k) {
          const std::size_t n = sizes[k] + 1;
          staged_tensor t{typed_buffer(storage.param_dtype, n), typed_buffer(storage.grad_dtype, n), {},
                          typed_buffer(mode == INERTIA_MASTER_FLOAT32 ? INERTIA_FLOAT32 : INERTIA_BFLOAT16, n)};
          for (std::size_t s = 0; s < states; ++s) t.state.emplace_back(storage.state_dtype, n);
          for (std::size_t i = 0; i < n; ++i) {
            // A split master's weights have all 32 bits; a float32 master's model copy is its rounding.
            t.set_weight(i, uniform(random), mode);
            if (mode == INERTIA_MASTER_SPLIT) t.master.half[i] = std::uint16_t(random());
            for (auto& s : t.state) s.assign(i, std::fabs(uniform(random)));  // some state is a sum of squares
          }
          tensors.push_back(std::move(t));
        }
        for (long long step = 1; step <= 3; ++step) {
          for (auto& t : tensors)
            for (std::size_t i = 0; i < t.grad.size(); ++i) t.grad.assign(i, uniform(random));
          // The reference: every value widened, the float32 step on one call, each buffer rounded to its type.
          std::vector<std::vector<std::vector<float>>> wide(sizes.size());
          std::vector<inertia_tensor> full_tensors(sizes.size()), staged_tensors(sizes.size());
          std::vector<void*> masters(sizes.size());
          for (std::size_t k = 0; k < sizes.size(); ++k) {
            staged_tensor& t = tensors[k];
            const std::size_t n = t.param.size(), offset = k % 2;
            std::vector<float> w(n), g(n);
            for (std::size_t i = 0; i < n; ++i) w[i] = t.weight(i, mode), g[i] = t.grad.value(i);
            wide[k].push_back(std::move(w));
            wide[k].push_back(std::move(g));
            for (auto& s : t.state) {
              std::vector<float> x(n);
              for (std::size_t i = 0; i < n; ++i) x[i] = s.value(i);
              wide[k].push_back(std::move(x));
            }
            inertia_tensor& f = full_tensors[k];
            f.size = sizes[k];
            f.param = wide[k][0].data() + offset;
            f.grad = reads_grad ? wide[k][1].data() + offset : nullptr;
            for (std::size_t s = 0; s < states; ++s) f.state[s] = wide[k][2 + s].data() + offset;
            inertia_tensor& h = staged_tensors[k];
            h.size = sizes[k];
            h.param = t.param.data(offset);
            h.grad = reads_grad ? t.grad.data(offset) : nullptr;
            for (std::size_t s = 0; s < states; ++s) h.state[s] = t.state[s].data(offset);
            masters[k] = t.master.data(offset);
          }
          full.opt->step(INERTIA_FLOAT32, full_tensors, step, nullptr, execution{threads, 256, 1});
          staged.opt->step_storage(storage, staged_tensors, mode == INERTIA_MASTER_NONE ? nullptr : masters.data(), step,
                                   nullptr, execution{threads, 256, 1});
          // expected: the staged result with the stepped elements replaced by the reference's.
          std::string mismatch;  // the first buffer that differs; one REQUIRE per step keeps the sweep fast
          for (std::size_t k = 0; k < sizes.size() && mismatch.empty(); ++k) {
            staged_tensor expected = tensors[k];
            const std::size_t offset = k % 2;
            for (std::size_t i = offset; i < offset + sizes[k]; ++i) {
              if (reads_grad) expected.set_weight(i, wide[k][0][i], mode);
              for (std::size_t s = 0; s < states; ++s) expected.state[s].assign(i, wide[k][2 + s][i]);
            }
            const std::string where = "step " + std::to_string(step) + ", tensor " + std::to_string(k) + " of size " +
                                      std::to_string(sizes[k]) + ": ";
            if (!(tensors[k].param == expected.param)) mismatch = where + "param";
            else if (!(tensors[k].master == expected.master)) mismatch = where + "master";
            for (std::size_t s = 0; s < states && mismatch.empty(); ++s)
              if (!(tensors[k].state[s] == expected.state[s])) mismatch = where + "state " + std::to_string(s);
          }
          INFO(mismatch);
          REQUIRE(mismatch.empty());
        }
      }
  }
}

/// Every target gets small tensors; the best one also those past one chunk.
const std::vector<std::size_t> small_sizes = {0, 1, 7, 33, 2051};

std::vector<std::size_t> many_sizes() {
  std::vector<std::size_t> sizes;
  for (std::size_t k = 0; k < 300; ++k) sizes.push_back(1 + (k * 37) % 200);  // chunks of many tensors
  sizes.push_back(3 * detail::staged_chunk + 11);  // one tensor cut into pieces, the last one short
  sizes.push_back(detail::staged_chunk + 37);
  return sizes;
}

/// Threads 1 and 3 (3 on 2 cores: uneven shares, a chunk boundary inside each).
/// The quick sweep (the sanitizer stage) runs the portable and the best target.
std::vector<int> thread_counts() { return {1, 3}; }
std::vector<arch> targets_to_sweep() {
  const std::vector<arch> all = supported_archs();
  if (!quick_tests() || all.size() <= 2) return all;
  return {all.front(), all.back()};
}

}  // namespace

TEST_CASE("mixed storage: every variant's step is its float32 step on the widened values, rounded", "[mixed]") {
  const std::vector<arch> best = {supported_archs().back()};
  const std::vector<int> two_three = {2, 3};
  for (const inertia_storage& storage : allowed_storages()) {
    if (storage.master_weights != INERTIA_MASTER_NONE) continue;
    require_staged_step_is_widened_float_step(storage, small_sizes, targets_to_sweep(), thread_counts());
  }
  // Chunks of many tensors and tensors cut into pieces: the staging does not
  // depend on the types beyond which buffers it widens, so two layouts.
  for (const inertia_storage& storage : {inertia_storage{INERTIA_FLOAT32, INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_NONE},
                                         inertia_storage{INERTIA_FLOAT16, INERTIA_FLOAT32, INERTIA_FLOAT16, INERTIA_MASTER_NONE}})
    require_staged_step_is_widened_float_step(storage, many_sizes(), best, two_three);
}

TEST_CASE("master weights: the float32 master is the float32 step's, bit for bit, the model copy its rounding",
          "[mixed]") {
  const std::vector<arch> best = {supported_archs().back()};
  const std::vector<int> two_three = {2, 3};
  for (const inertia_storage& storage : allowed_storages()) {
    if (storage.master_weights == INERTIA_MASTER_NONE) continue;
    require_staged_step_is_widened_float_step(storage, small_sizes, targets_to_sweep(), thread_counts());
  }
  // Chunks of many tensors and tensors cut into pieces: the staging does not
  // depend on the types beyond which buffers it widens, so two layouts.
  for (const inertia_storage& storage : {inertia_storage{INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_FLOAT32},
                                         inertia_storage{INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_SPLIT}})
    require_staged_step_is_widened_float_step(storage, many_sizes(), best, two_three);
}

TEST_CASE("mixed storage keeps pytorch_fused's tail order: pieces start at multiples of 8 from the tensor's start",
          "[mixed]") {
  // heavy_ball and adam order their last size % 8 elements differently under
  // pytorch_fused: a piece boundary anywhere else would move that tail.
  const std::vector<int> two_three = {2, 3};
  for (const inertia_storage& storage : {inertia_storage{INERTIA_FLOAT32, INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_NONE},
                                         inertia_storage{INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_SPLIT}})
    require_staged_step_is_widened_float_step(storage, many_sizes(), supported_archs(), two_three, "pytorch_fused");
}

}  // namespace inertia::test
