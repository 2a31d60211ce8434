// Mixed storage and master weights (inertia_optimizer_step_storage,
// lib/staged_storage.hpp): for every variant and every allowed combination of
// types, the step equals the float32 step on the widened values, with each
// buffer then rounded to its own type: float32 buffers (masters included) bit
// for bit the float32 step's, bf16/fp16 buffers those bits rounded to nearest
// even, a split master's halves those bits cut in two. Every target, threads
// {1, 2, 3}, tensors of 0 to past one chunk, and the checks that write nothing.
#include <algorithm>
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
#include "handle_support.hpp"
#include "inertia/inertia.h"
#include "registry/optimizer.hpp"
#include "simd/stochastic_draws.hpp"
#include "simd/stochastic_rounding.hpp"
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
  /// The value a step stores: to nearest even, or (storage.rounding) stochastically
  /// with the draw of element `index` of its tensor, buffer `buffer`, at `step`,
  /// as inertia.h specifies it (simd/stochastic_draws.hpp's scalar reference).
  void store(std::size_t i, float x, const inertia_storage& storage, std::size_t index, std::size_t buffer,
             long long step) {
    if (dtype == INERTIA_FLOAT32 || storage.rounding != INERTIA_ROUND_STOCHASTIC) return assign(i, x);
    const std::uint32_t word =
        detail::stochastic_draw({storage.seed, std::uint32_t(step), std::uint32_t(buffer)}, index);
    half[i] = dtype == INERTIA_BFLOAT16 ? detail::stochastic_round_to_bf16(x, word) : detail::stochastic_round_to_f16(x, word);
  }
  bool operator==(const typed_buffer&) const = default;
};

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
  void set_weight(std::size_t i, float w, inertia_master_weights mode, const inertia_storage* storage = nullptr,
                  std::size_t index = 0, long long step = 0) {
    if (mode == INERTIA_MASTER_FLOAT32) {
      master.full[i] = w;
      if (storage != nullptr) param.store(i, w, *storage, index, 0, step); else param.assign(i, w);
    } else if (mode == INERTIA_MASTER_SPLIT) {
      const std::uint32_t bits = std::bit_cast<std::uint32_t>(w);
      param.half[i] = std::uint16_t(bits >> 16);
      master.half[i] = std::uint16_t(bits);
    } else if (storage != nullptr) {
      param.store(i, w, *storage, index, 0, step);
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

/// An option to set, on the variants that have it.
struct option_setting {
  const char* key;
  double value;
};

/// targets: the archs to run on; numerics: a "numerics" option to set where a
/// variant has that value (nullptr: the defaults); settings: further options,
/// set where a variant has them; block_bytes: execution::block_bytes; only:
/// the variants to run (empty: every one); policy: the step policy of both steps.
void require_staged_step_is_widened_float_step(const inertia_storage& storage, const std::vector<std::size_t>& sizes,
                                               std::span<const arch> targets, std::span<const int> thread_counts,
                                               const char* numerics = nullptr, std::span<const option_setting> settings = {},
                                               std::size_t block_bytes = 256, const std::vector<std::string>& only = {},
                                               const step_policy* policy = nullptr) {
  const auto mode = storage.master_weights;
  for (std::size_t v = 0; v < inertia_variant_count(); ++v) {
    const char* name = inertia_variant_name(v);
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
    const bool reads_grad = std::string(name) != "weight_ema";
    if (!reads_grad && mode != INERTIA_MASTER_NONE) continue;  // refused: see the checks below
    for (arch target : targets)
      for (int threads : thread_counts) {
        INFO(name << ", " << arch_name(target) << ", threads " << threads << ", param " << name_of(storage.param_dtype)
                  << ", grad " << name_of(storage.grad_dtype) << ", state " << name_of(storage.state_dtype)
                  << ", master " << int(mode) << ", rounding " << int(storage.rounding) << ", numerics "
                  << (numerics ? numerics : "default") << ", " << settings.size() << " settings, blocks of "
                  << block_bytes << " bytes");
        const arch_scope scope(target);
        handle staged(name), full(name);
        configure_with_state(staged.opt);
        configure_with_state(full.opt);
        for (const option_setting& o : settings) {
          double current = 0;
          if (inertia_optimizer_get(staged.opt, o.key, &current) != INERTIA_OK) continue;
          REQUIRE(inertia_optimizer_set(staged.opt, o.key, o.value) == INERTIA_OK);
          REQUIRE(inertia_optimizer_set(full.opt, o.key, o.value) == INERTIA_OK);
        }
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
          const step_policy* given = reads_grad ? policy : nullptr;
          full.opt->step(INERTIA_FLOAT32, full_tensors, step, given, execution{threads, 256, 1});
          staged.opt->step_storage(storage, staged_tensors, mode == INERTIA_MASTER_NONE ? nullptr : masters.data(), step,
                                   given, execution{threads, block_bytes, 1});
          // expected: the staged result with the stepped elements replaced by the reference's.
          std::string mismatch;  // the first buffer that differs; one REQUIRE per step keeps the sweep fast
          for (std::size_t k = 0; k < sizes.size() && mismatch.empty(); ++k) {
            staged_tensor expected = tensors[k];
            const std::size_t offset = k % 2;
            for (std::size_t i = offset; i < offset + sizes[k]; ++i) {
              // i - offset: the element's index within its tensor (stochastic rounding's counter)
              if (reads_grad) expected.set_weight(i, wide[k][0][i], mode, &storage, i - offset, step);
              for (std::size_t s = 0; s < states; ++s)
                expected.state[s].store(i, wide[k][2 + s][i], storage, i - offset, 1 + s, step);
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

TEST_CASE("stochastic rounding: every stored half value is the float32 step's, rounded with its element's Philox draw",
          "[mixed][stochastic_rounding]") {
  // The same bits on every target and thread count, through the staged chunks
  // (a tensor cut into pieces included), and in the fused modes' layouts.
  const auto R = INERTIA_ROUND_STOCHASTIC;
  const auto B = INERTIA_BFLOAT16, F = INERTIA_FLOAT32, H = INERTIA_FLOAT16;
  std::vector<std::size_t> sizes = small_sizes;
  sizes.push_back(2 * detail::staged_chunk + 19);
  std::vector<inertia_storage> storages = {{B, B, B, INERTIA_MASTER_NONE, R, 0x1234'5678'9ABCull},
                                           {H, F, F, INERTIA_MASTER_FLOAT32, R, 6},
                                           {H, H, H, INERTIA_MASTER_NONE, R, 7},
                                           {F, F, B, INERTIA_MASTER_NONE, R, 99},
                                           {B, B, F, INERTIA_MASTER_FLOAT32, R, 5}};
  if (quick_tests()) storages.resize(2);  // the sanitizer stage: one of each kind, bf16 and fp16
  for (const inertia_storage& storage : storages)
    require_staged_step_is_widened_float_step(storage, sizes, targets_to_sweep(), thread_counts());
}

TEST_CASE("fused stochastic rounding: the same bits on every target, thread count and block size", "[mixed][stochastic_rounding]") {
  // heavy_ball and adam(w) round all-bf16 steps and bf16 moments
  // stochastically in one pass (registry/fused_storage.hpp), their draws
  // filled per piece of the driver's blocks (simd/range.hpp): the bits must
  // not depend on where the blocks and pieces fall. Blocks of 64 bytes (32
  // bf16, less than one draw block of 128), 4000 (not a multiple of the
  // pieces), 32 KiB (the default) and 1 MiB (one block per tensor); threads
  // 1, 2, 3; sizes past one piece of draws (1024) and past one default block. amsgrad
  // adds Adam's third stream; momentum 0 leaves heavy_ball's buffer unused;
  // nesterov, pytorch_fused's tail order and a step policy run the rules'
  // other paths.
  const auto R = INERTIA_ROUND_STOCHASTIC;
  const auto B = INERTIA_BFLOAT16, F = INERTIA_FLOAT32;
  const std::vector<std::size_t> sizes = {0, 1, 31, 129, 1023, 1025, 2 * detail::staged_chunk + 19, 20001};
  const std::vector<inertia_storage> storages = {{B, B, B, INERTIA_MASTER_NONE, R, 0xFEED'F00D'1234ull},
                                                 {F, F, B, INERTIA_MASTER_NONE, R, 3}};
  const std::vector<int> threads = {1, 2, 3};
  const std::vector<std::size_t> block_sizes = quick_tests() ? std::vector<std::size_t>{64, 4000}
                                                             : std::vector<std::size_t>{64, 4000, 0, 1 << 20};
  const std::vector<std::vector<option_setting>> option_sets = {{}, {{"amsgrad", 1}, {"nesterov", 1}}, {{"momentum", 0}}};
  const std::vector<arch> targets = targets_to_sweep();
  const std::vector<std::string> fused = {"heavy_ball", "adam", "adamw"};
  for (const inertia_storage& storage : storages)
    for (std::size_t block_bytes : block_sizes)
      for (const auto& settings : option_sets)
        require_staged_step_is_widened_float_step(storage, sizes, targets, threads, nullptr, settings, block_bytes, fused);
  for (const inertia_storage& storage : storages)
    require_staged_step_is_widened_float_step(storage, sizes, targets, threads, "pytorch_fused", {}, 4000, fused);
  // The step policy's gradient transforms (unscaling, clamping, clipping by the call's global norm).
  const step_policy policy{4.0, true, 0.5, 10.0, false};
  for (const inertia_storage& storage : storages)
    require_staged_step_is_widened_float_step(storage, sizes, targets, threads, nullptr, {}, 4000, fused, &policy);
}

TEST_CASE("stochastic rounding: another seed or step draws anew; nearest even is not what it gives", "[mixed]") {
  const std::size_t n = 4096;
  const auto run = [&](std::uint64_t seed, long long step, inertia_rounding rounding) {
    handle sgd("heavy_ball");
    REQUIRE(inertia_optimizer_set(sgd.opt, "lr", 0.1) == INERTIA_OK);
    std::vector<std::uint16_t> w(n), g(n);
    for (std::size_t i = 0; i < n; ++i) {
      w[i] = to_bfloat16(1.0f + float(i) / n).bits;
      g[i] = to_bfloat16(0.001f * float(i % 7 + 1)).bits;  // steps far below w's bf16 spacing
    }
    inertia_tensor t{};
    t.param = w.data();
    t.grad = g.data();
    t.size = n;
    const inertia_storage storage{INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_MASTER_NONE, rounding, seed};
    REQUIRE(inertia_optimizer_step_storage(sgd.opt, &storage, &t, nullptr, 1, step, nullptr, nullptr) == INERTIA_OK);
    return w;
  };
  const auto first = run(1, 1, INERTIA_ROUND_STOCHASTIC);
  REQUIRE(run(1, 1, INERTIA_ROUND_STOCHASTIC) == first);
  REQUIRE(run(2, 1, INERTIA_ROUND_STOCHASTIC) != first);
  REQUIRE(run(1, 2, INERTIA_ROUND_STOCHASTIC) != first);
  REQUIRE(run(1, 1, INERTIA_ROUND_NEAREST_EVEN) != first);
  // A rounding (or dtype, or master_weights) outside its enum: tests/c_api/c_api_test.c, from C.
}

namespace {

/// A heavy_ball / adam / nadam / weight_ema call of two tensors on bf16
/// storage, every buffer filled with a pattern, to check that a refused call
/// leaves every byte as it was.
struct refused_call {
  static constexpr std::size_t n = 40;
  std::vector<std::uint16_t> param = std::vector<std::uint16_t>(2 * n, 0x3F80), grad = std::vector<std::uint16_t>(2 * n, 0x3E00),
                             state0 = std::vector<std::uint16_t>(2 * n, 0x3D00), state1 = std::vector<std::uint16_t>(2 * n, 0x3C00);
  std::vector<float> master = std::vector<float>(2 * n, 0.5f);
  std::vector<inertia_tensor> tensors;
  std::vector<void*> masters;
  refused_call(std::size_t states, bool grad_too = true) {
    for (std::size_t k = 0; k < 2; ++k) {
      inertia_tensor t{};
      t.size = n;
      t.param = param.data() + k * n;
      t.grad = grad_too ? grad.data() + k * n : nullptr;
      if (states > 0) t.state[0] = state0.data() + k * n;
      if (states > 1) t.state[1] = state1.data() + k * n;
      tensors.push_back(t);
      masters.push_back(master.data() + k * n);
    }
  }
  bool untouched() const {
    const auto all = [](const auto& v, auto x) { return std::all_of(v.begin(), v.end(), [&](auto y) { return y == x; }); };
    return all(param, std::uint16_t(0x3F80)) && all(grad, std::uint16_t(0x3E00)) && all(state0, std::uint16_t(0x3D00)) &&
           all(state1, std::uint16_t(0x3C00)) && all(master, 0.5f);
  }
};

inertia_status step_storage(inertia_optimizer* opt, const inertia_storage& storage, refused_call& call, bool with_master,
                            const inertia_step_policy* policy = nullptr) {
  return inertia_optimizer_step_storage(opt, &storage, call.tensors.data(), with_master ? call.masters.data() : nullptr,
                                        call.tensors.size(), 1, policy, nullptr);
}

}  // namespace

TEST_CASE("mixed storage: a type that is not allowed is refused, naming the field, and nothing is written", "[mixed]") {
  // Values outside the enums are passed from C (tests/c_api/c_api_test.c), where they are not undefined behaviour.
  handle sgd("heavy_ball");
  REQUIRE(inertia_optimizer_set(sgd.opt, "momentum", 0.9) == INERTIA_OK);
  const auto B = INERTIA_BFLOAT16, F = INERTIA_FLOAT32, H = INERTIA_FLOAT16, D = INERTIA_FLOAT64;
  struct refused {
    inertia_storage storage;
    bool with_master;
    const char* names;
  };
  const refused cases[] = {
      {{D, F, F, INERTIA_MASTER_NONE}, false, "storage.param_dtype"},
      {{F, D, F, INERTIA_MASTER_NONE}, false, "storage.grad_dtype"},
      {{B, B, D, INERTIA_MASTER_NONE}, false, "storage.state_dtype"},
      {{H, B, F, INERTIA_MASTER_NONE}, false, "storage.grad_dtype"},
      {{B, B, H, INERTIA_MASTER_NONE}, false, "storage.state_dtype"},
      {{F, F, H, INERTIA_MASTER_NONE}, false, "storage.state_dtype"},
      {{F, F, F, INERTIA_MASTER_FLOAT32}, true, "storage.param_dtype"},
      {{H, H, F, INERTIA_MASTER_SPLIT}, true, "storage.param_dtype"},
  };
  for (const refused& c : cases) {
    INFO(c.names);
    refused_call call(1);
    REQUIRE(step_storage(sgd.opt, c.storage, call, c.with_master) == INERTIA_ERROR_DTYPE);
    REQUIRE(std::string(inertia_last_error()).find(c.names) != std::string::npos);
    REQUIRE(call.untouched());
  }
  handle ema("weight_ema");  // its param is read, never written: no master to keep
  refused_call call(1, false);
  REQUIRE(step_storage(ema.opt, {B, B, F, INERTIA_MASTER_FLOAT32}, call, true) == INERTIA_ERROR_DTYPE);
  REQUIRE(std::string(inertia_last_error()).find("storage.master_weights") != std::string::npos);
  REQUIRE(call.untouched());
  REQUIRE(inertia_optimizer_step_storage(sgd.opt, nullptr, call.tensors.data(), nullptr, 2, 1, nullptr, nullptr) ==
          INERTIA_ERROR_NULL_POINTER);
}

TEST_CASE("mixed storage: NULL, unused and overlapping buffers and bad options are refused before any write", "[mixed]") {
  const inertia_storage bf16_master{INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_FLOAT32};
  const inertia_storage bf16_state{INERTIA_FLOAT32, INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_NONE};
  handle adam("adam");
  {
    refused_call call(2);
    REQUIRE(step_storage(adam.opt, bf16_master, call, false) == INERTIA_ERROR_NULL_POINTER);
    REQUIRE(std::string(inertia_last_error()).find("master") != std::string::npos);
    REQUIRE(call.untouched());
  }
  {
    refused_call call(2);
    REQUIRE(step_storage(adam.opt, bf16_state, call, true) == INERTIA_ERROR_UNUSED_STATE);
    REQUIRE(call.untouched());
  }
  {
    refused_call call(2);
    call.masters[1] = nullptr;
    REQUIRE(step_storage(adam.opt, bf16_master, call, true) == INERTIA_ERROR_NULL_POINTER);
    REQUIRE(call.untouched());
  }
  {
    refused_call call(2);
    call.masters[1] = call.param.data();  // float32 master over the bf16 model copies
    REQUIRE(step_storage(adam.opt, bf16_master, call, true) == INERTIA_ERROR_OVERLAP);
    REQUIRE(call.untouched());
  }
  {
    // A bf16 state of tensor 1 inside tensor 0's float32-sized grad: bytes, not elements, overlap.
    refused_call call(2);
    const inertia_storage f32_grads{INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_NONE};
    call.tensors[1].state[1] = call.grad.data() + refused_call::n + 4;  // within grad[0]'s 4n bytes
    call.tensors[1].grad = call.state1.data();
    REQUIRE(step_storage(adam.opt, f32_grads, call, false) == INERTIA_ERROR_OVERLAP);
  }
  {
    refused_call call(3);  // adam keeps 2 buffers: state[2] must be NULL
    call.tensors[0].state[2] = call.state1.data() + 2 * refused_call::n - 1;
    call.tensors[0].size = 0;
    REQUIRE(step_storage(adam.opt, bf16_state, call, false) == INERTIA_ERROR_UNUSED_STATE);
    REQUIRE(call.untouched());
  }
  {
    handle sgd("heavy_ball");
    REQUIRE(inertia_optimizer_set(sgd.opt, "nesterov", 1) == INERTIA_OK);  // without momentum: refused at the step
    refused_call call(0);
    REQUIRE(step_storage(sgd.opt, bf16_master, call, true) == INERTIA_ERROR_HYPERPARAMETER);
    REQUIRE(call.untouched());
    handle ema("weight_ema");
    refused_call ema_call(1, false);
    const inertia_step_policy policy{2.0, 0, 0.0, 0.0, 0};
    const inertia_storage f32_grads{INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_NONE};
    REQUIRE(step_storage(ema.opt, f32_grads, ema_call, false, &policy) == INERTIA_ERROR_HYPERPARAMETER);
    REQUIRE(ema_call.untouched());
  }
}

TEST_CASE("mixed storage: the step policy acts on the call's gradients as the float32 step's does", "[mixed]") {
  // Unscaling, clipping by the call's global norm (not a chunk's), clamping,
  // and the non-finite skip, which writes nothing and leaves NAdam's mu_product.
  for (const char* name : {"heavy_ball", "adam", "nadam"})
    for (int threads : {1, 3}) {
      INFO(name << ", threads " << threads);
      handle staged(name), full(name);
      configure_with_state(staged.opt);
      configure_with_state(full.opt);
      const std::vector<std::size_t> sizes = {3, detail::staged_chunk * 2 + 5, 100};
      std::mt19937 random(7);
      std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
      std::vector<std::vector<std::uint16_t>> param(sizes.size()), grad(sizes.size());
      std::vector<std::vector<std::vector<std::uint16_t>>> state(sizes.size());
      const std::size_t states = inertia_optimizer_state_count(staged.opt);
      for (std::size_t k = 0; k < sizes.size(); ++k) {
        for (std::size_t i = 0; i < sizes[k]; ++i) {
          param[k].push_back(to_bfloat16(uniform(random)).bits);
          grad[k].push_back(to_bfloat16(100.0f * uniform(random)).bits);  // large: the norm clips
        }
        state[k].assign(states, std::vector<std::uint16_t>(sizes[k], to_bfloat16(0.25f).bits));
      }
      const inertia_step_policy policy{4.0, 1, 0.5, 10.0, 0};
      for (long long step = 1; step <= 3; ++step) {
        if (step == 3) grad[1][detail::staged_chunk + 1] = 0x7FC0;  // NaN: the whole step is skipped
        std::vector<std::vector<float>> wide;
        wide.reserve(sizes.size() * (2 + states));  // its buffers' pointers are taken as it grows
        std::vector<inertia_tensor> full_tensors(sizes.size()), staged_tensors(sizes.size());
        for (std::size_t k = 0; k < sizes.size(); ++k) {
          const auto widen = [&](const std::vector<std::uint16_t>& h) {
            std::vector<float> out;
            for (auto b : h) out.push_back(to_float(bfloat16{b}));
            return out;
          };
          wide.push_back(widen(param[k]));
          full_tensors[k].param = wide.back().data();
          wide.push_back(widen(grad[k]));
          full_tensors[k].grad = wide.back().data();
          for (std::size_t s = 0; s < states; ++s) {
            wide.push_back(widen(state[k][s]));
            full_tensors[k].state[s] = wide.back().data();
          }
          full_tensors[k].size = staged_tensors[k].size = sizes[k];
          staged_tensors[k].param = param[k].data();
          staged_tensors[k].grad = grad[k].data();
          for (std::size_t s = 0; s < states; ++s) staged_tensors[k].state[s] = state[k][s].data();
        }
        const auto before_param = param;
        double mu_before = 0, mu_after = 0;
        const bool nadam = std::string(name) == "nadam";
        if (nadam) REQUIRE(inertia_optimizer_get(staged.opt, "mu_product", &mu_before) == INERTIA_OK);
        inertia_step_report full_report{}, staged_report{};
        REQUIRE(inertia_optimizer_step(full.opt, INERTIA_FLOAT32, full_tensors.data(), full_tensors.size(), step, &policy,
                                       &full_report) == INERTIA_OK);
        // bf16 params and grads with float32 state: a staged call.
        std::vector<std::vector<float>> state32;
        for (std::size_t k = 0; k < sizes.size(); ++k)
          for (std::size_t s = 0; s < states; ++s) {
            std::vector<float> w;
            for (auto b : state[k][s]) w.push_back(to_float(bfloat16{b}));
            state32.push_back(std::move(w));
          }
        for (std::size_t k = 0, j = 0; k < sizes.size(); ++k)
          for (std::size_t s = 0; s < states; ++s) staged_tensors[k].state[s] = state32[j++].data();
        const inertia_storage mixed{INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_NONE};
        {
          const execution exec{threads, 256, 1};
          const step_policy converted{4.0, true, 0.5, 10.0, false};
          const step_report r = staged.opt->step_storage(mixed, staged_tensors, nullptr, step, &converted, exec);
          staged_report.skipped = r.skipped;
          staged_report.grad_norm = r.grad_norm;
        }
        REQUIRE(bool(staged_report.skipped) == bool(full_report.skipped));
        REQUIRE(staged_report.skipped == (step == 3));
        if (!full_report.skipped) REQUIRE(staged_report.grad_norm == full_report.grad_norm);
        if (nadam) {
          REQUIRE(inertia_optimizer_get(staged.opt, "mu_product", &mu_after) == INERTIA_OK);
          if (step == 3) REQUIRE(mu_after == mu_before);
          double full_mu = 0;
          REQUIRE(inertia_optimizer_get(full.opt, "mu_product", &full_mu) == INERTIA_OK);
          REQUIRE(mu_after == full_mu);
        }
        // The float32 state is the float32 step's; the bf16 params are its params rounded.
        for (std::size_t k = 0, j = 0, w = 0; k < sizes.size(); ++k, w += 2 + states) {
          for (std::size_t i = 0; i < sizes[k]; ++i)
            if (param[k][i] != to_bfloat16(wide[w][i]).bits) FAIL("param " << k << "[" << i << "]");
          for (std::size_t s = 0; s < states; ++s, ++j)
            if (first_difference<float>(state32[j], wide[w + 2 + s]) != sizes[k]) FAIL("state " << k << "." << s);
        }
        if (step == 3) REQUIRE(param == before_param);
        // carry the float32 state into the next step's bf16 copies (the reference widens them)
        for (std::size_t k = 0, j = 0; k < sizes.size(); ++k)
          for (std::size_t s = 0; s < states; ++s, ++j)
            for (std::size_t i = 0; i < sizes[k]; ++i) state[k][s][i] = to_bfloat16(state32[j][i]).bits;
      }
    }
}

}  // namespace inertia::test
