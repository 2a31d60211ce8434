// Half-precision storage (include/inertia/half.hpp): the conversions against
// references written from IEEE 754's definition of rounding, every target's
// vector conversions against the one-element code, every variant's bf16/fp16
// step against its float32 step on the widened values, and torch 2.15's fused
// SGD, Adam and AdamW on bf16/fp16 parameters and state, replayed at 0 ULP.
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

#include "golden_support.hpp"
#include "inertia/half.hpp"
#include "handle_support.hpp"
#include "inertia/inertia.h"
#include "registry/optimizer.hpp"
#include "support.hpp"
#include "torch2_golden_support.hpp"

namespace inertia::test {
namespace {

// ---- References from the definition: the representable neighbours of |x|,
// the nearer one, a tie to the even mantissa, overflow past the largest
// finite value's rounding boundary to Inf. ----------------------------------

/// Nearest of two neighbouring magnitudes lo < hi (bits lo_bits, lo_bits + 1).
std::uint16_t nearest(double magnitude, double lo, double hi, std::uint16_t lo_bits) {
  const double below = magnitude - lo, above = hi - magnitude;
  if (below < above) return lo_bits;
  if (above < below) return std::uint16_t(lo_bits + 1);
  return (lo_bits & 1u) == 0 ? lo_bits : std::uint16_t(lo_bits + 1);
}

double bfloat16_magnitude(std::uint16_t bits) {  // bits without the sign; 0x7F80 (Inf) as 2^128
  if (bits == 0x7F80) return std::ldexp(1.0, 128);
  return double(std::bit_cast<float>(std::uint32_t(bits) << 16));
}

std::uint16_t reference_bfloat16(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const std::uint16_t sign = std::uint16_t((u >> 16) & 0x8000u);
  if (std::isinf(x)) return std::uint16_t(sign | 0x7F80u);
  const double magnitude = std::fabs(double(x));
  const std::uint16_t lo = std::uint16_t((u & 0x7FFFFFFFu) >> 16);  // truncation toward zero
  if (bfloat16_magnitude(lo) == magnitude) return std::uint16_t(sign | lo);
  return std::uint16_t(sign | nearest(magnitude, bfloat16_magnitude(lo), bfloat16_magnitude(lo + 1), lo));
}

double float16_magnitude(std::uint16_t bits) {  // bits without the sign; 0x7C00 (Inf) as 2^16
  const int exponent = bits >> 10, mantissa = bits & 0x3FF;
  if (exponent == 0) return std::ldexp(double(mantissa), -24);
  if (exponent == 31) return std::ldexp(1.0, 16);
  return std::ldexp(double(1024 + mantissa), exponent - 25);
}

std::uint16_t reference_float16(float x) {
  const std::uint16_t sign = std::uint16_t((std::bit_cast<std::uint32_t>(x) >> 16) & 0x8000u);
  const double magnitude = std::fabs(double(x));
  if (std::isinf(x) || magnitude >= 65536.0) return std::uint16_t(sign | 0x7C00u);
  // The largest magnitude not above |x|, by bisection over the ordered bit patterns.
  std::uint16_t lo = 0, hi = 0x7C00;
  while (hi - lo > 1) {
    const std::uint16_t mid = std::uint16_t((lo + hi) / 2);
    (float16_magnitude(mid) <= magnitude ? lo : hi) = mid;
  }
  if (float16_magnitude(lo) == magnitude) return std::uint16_t(sign | lo);
  return std::uint16_t(sign | nearest(magnitude, float16_magnitude(lo), float16_magnitude(lo + 1), lo));
}

/// Random bit patterns, most of them in the ranges where the two types round
/// differently (float16's subnormals and its overflow) and float's subnormals
/// (which avx512bf16's conversion instruction flushes, and the target must
/// not), plus the specials.
std::vector<float> conversion_inputs(std::size_t count, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<float> out = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.996f, 65520.0f, -65520.0f, 65536.0f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
                            0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, 0x1.ff8p-15f, 0x1p-14f, 0x1.002p0f,
                            0x1.006p0f, 0x1.01p0f, 0x1.03p0f, std::bit_cast<float>(0x7F7FFFFFu),
                            std::bit_cast<float>(0x7F7F8000u), std::bit_cast<float>(0x7F7F7FFFu)};
  while (out.size() < count) {
    std::uint32_t bits = random();
    switch (random() % 5) {
      case 0: break;                                                          // anywhere
      case 1: bits = (bits & 0x80FFFFFFu) | ((98u + random() % 16u) << 23); break;  // float16 subnormals
      case 2: bits = (bits & 0x807FFFFFu) | ((140u + random() % 4u) << 23); break;  // around 65504
      case 3: bits = (bits & 0x807FFFFFu) | ((120u + random() % 16u) << 23); break;  // ordinary values
      case 4: bits &= 0x807FFFFFu; break;                                             // float subnormals
    }
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) bits &= 0xFF7FFFFFu;  // finite here; NaNs are tested on their own
    out.push_back(std::bit_cast<float>(bits));
  }
  return out;
}

TEST_CASE("bfloat16 and float16 rounding is IEEE round-to-nearest-even, NaN stays NaN", "[half]") {
  for (float x : conversion_inputs(200000, 7)) {
    if (to_bfloat16(x).bits == reference_bfloat16(x) && to_float16(x).bits == reference_float16(x)) continue;
    INFO("x = " << x << " (bits " << std::hex << std::bit_cast<std::uint32_t>(x) << ")");
    REQUIRE(to_bfloat16(x).bits == reference_bfloat16(x));
    REQUIRE(to_float16(x).bits == reference_float16(x));
  }
  // Every float16 and bfloat16 value widens exactly and rounds back to itself;
  // a NaN widens to a NaN and rounds back with its quiet bit set.
  for (std::uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const float16 h{std::uint16_t(bits)};
    const bfloat16 b{std::uint16_t(bits)};
    const bool h_nan = (bits & 0x7C00u) == 0x7C00u && (bits & 0x3FFu) != 0;
    const bool b_nan = (bits & 0x7F80u) == 0x7F80u && (bits & 0x7Fu) != 0;
    INFO("bits " << std::hex << bits);
    if (h_nan) {
      REQUIRE(std::isnan(to_float(h)));
      REQUIRE(to_float16(to_float(h)).bits == (bits | 0x200u));
    } else {
      const double sign = (bits & 0x8000u) ? -1.0 : 1.0;
      REQUIRE(double(to_float(h)) == sign * (float16_magnitude(std::uint16_t(bits & 0x7FFFu))
                                             == 65536.0 ? INFINITY : float16_magnitude(std::uint16_t(bits & 0x7FFFu))));
      REQUIRE(to_float16(to_float(h)).bits == bits);
    }
    if (b_nan) {
      REQUIRE(std::isnan(to_float(b)));
      REQUIRE(to_bfloat16(to_float(b)).bits == (bits | 0x40u));
    } else {
      REQUIRE(to_bfloat16(to_float(b)).bits == bits);
    }
  }
  // A float NaN: quiet, sign and top payload bits kept; never Inf (the
  // rounding carry of 0x7FFFFFFF would reach the sign in a naive add).
  for (std::uint32_t nan_bits : {0x7FC00000u, 0x7F800001u, 0xFFFFFFFFu, 0x7FFFFFFFu, 0xFF80FFFFu, 0x7FBFE000u}) {
    const float nan = std::bit_cast<float>(nan_bits);
    INFO("NaN bits " << std::hex << nan_bits);
    REQUIRE(to_bfloat16(nan).bits == std::uint16_t((nan_bits >> 16) | 0x40u));
    REQUIRE(to_float16(nan).bits ==
            std::uint16_t(((nan_bits >> 16) & 0x8000u) | 0x7E00u | ((nan_bits >> 13) & 0x3FFu)));
  }
}

TEST_CASE("every target's vector conversions give the one-element bits, at every size, offset and thread count",
          "[half]") {
  std::vector<float> inputs = conversion_inputs(5000, 11);
  for (std::uint32_t nan_bits : {0x7FC00000u, 0x7F800001u, 0xFFFFFFFFu, 0x7FFFFFFFu, 0xFF80FFFFu})
    inputs[37 * (nan_bits % 97)] = std::bit_cast<float>(nan_bits);
  for (arch target : supported_archs())
    for (int threads : {1, 2, 3})
      for (std::size_t size : {0, 1, 3, 15, 17, 33, 1003, 4999})
        for (std::size_t offset : {0, 1}) {
          const arch_scope scope(target);
          const execution exec{threads, 256, 1};
          INFO(arch_name(target) << ", threads " << threads << ", size " << size << ", offset " << offset);
          const std::span<const float> source(inputs.data() + offset, size);
          std::vector<bfloat16> b(size + 1);
          std::vector<float16> h(size + 1);
          convert(source, std::span(b.data() + offset, size), exec);
          convert(source, std::span(h.data() + offset, size), exec);
          std::vector<float> back_b(size + 1), back_h(size + 1);
          convert(std::span<const bfloat16>(b.data() + offset, size), std::span(back_b.data() + offset, size), exec);
          convert(std::span<const float16>(h.data() + offset, size), std::span(back_h.data() + offset, size), exec);
          for (std::size_t i = 0; i < size; ++i) {
            if (b[offset + i].bits == to_bfloat16(source[i]).bits && h[offset + i].bits == to_float16(source[i]).bits &&
                std::bit_cast<std::uint32_t>(back_b[offset + i]) == std::bit_cast<std::uint32_t>(to_float(b[offset + i])) &&
                std::bit_cast<std::uint32_t>(back_h[offset + i]) == std::bit_cast<std::uint32_t>(to_float(h[offset + i])))
              continue;
            INFO("element " << i);
            REQUIRE(b[offset + i].bits == to_bfloat16(source[i]).bits);
            REQUIRE(h[offset + i].bits == to_float16(source[i]).bits);
            REQUIRE(std::bit_cast<std::uint32_t>(back_b[offset + i]) ==
                    std::bit_cast<std::uint32_t>(to_float(b[offset + i])));
            REQUIRE(std::bit_cast<std::uint32_t>(back_h[offset + i]) ==
                    std::bit_cast<std::uint32_t>(to_float(h[offset + i])));
          }
        }
}

TEST_CASE("inertia_convert checks its arguments and writes nothing on error", "[half]") {
  float source[3] = {1.0f, 2.0f, 3.0f};
  std::uint16_t destination[3] = {7, 7, 7};
  REQUIRE(inertia_convert(INERTIA_BFLOAT16, destination, INERTIA_FLOAT32, source, 3) == INERTIA_OK);
  REQUIRE(destination[1] == 0x4000);
  std::uint16_t untouched[3] = {7, 7, 7};
  REQUIRE(inertia_convert(INERTIA_FLOAT64, untouched, INERTIA_FLOAT32, source, 3) == INERTIA_ERROR_DTYPE);
  REQUIRE(std::string(inertia_last_error()).find("destination_dtype") != std::string::npos);
  REQUIRE(inertia_convert(static_cast<inertia_dtype>(9), untouched, INERTIA_FLOAT32, source, 3) ==
          INERTIA_ERROR_DTYPE);
  REQUIRE(inertia_convert(INERTIA_FLOAT16, untouched, INERTIA_FLOAT32, nullptr, 3) == INERTIA_ERROR_NULL_POINTER);
  REQUIRE(std::string(inertia_last_error()).find("source") != std::string::npos);
  REQUIRE(inertia_convert(INERTIA_FLOAT16, untouched, INERTIA_FLOAT32, untouched, 1) == INERTIA_ERROR_OVERLAP);
  REQUIRE((untouched[0] == 7 && untouched[1] == 7 && untouched[2] == 7));
  REQUIRE(inertia_convert(INERTIA_FLOAT16, nullptr, INERTIA_FLOAT32, nullptr, 0) == INERTIA_OK);
}

/// A step through the generic handle with threads woken for any amount of
/// work and 256-byte blocks (the C ABI has no per-call execution settings),
/// so that block and thread boundaries fall inside small tensors.
void step_with(inertia_optimizer* opt, inertia_dtype dtype, const std::vector<inertia_tensor>& tensors,
               long long step, int threads) {
  opt->step(dtype, std::span<const inertia_tensor>(tensors), step, nullptr, execution{threads, 256, 1});
}

// ---- Every variant: the half step is the float32 step on widened values,
// each stored value rounded. ------------------------------------------------

template <class Half>
std::uint16_t narrow_bits(float x) {
  if constexpr (std::is_same_v<Half, bfloat16>)
    return to_bfloat16(x).bits;
  else
    return to_float16(x).bits;
}

template <class Half>
void require_half_step_is_widened_float_step(inertia_dtype dtype) {
  // 25 and 49: pairs of vectors, then one vector, then a tail, on avx2 and avx512f (simd/lane_pairs.hpp).
  const std::vector<std::size_t> sizes = {0, 1, 7, 25, 33, 49, 1003, 2051};
  for (std::size_t v = 0; v < inertia_variant_count(); ++v) {
    const char* name = inertia_variant_name(v);
    for (arch target : supported_archs())
      for (int threads : {1, 2, 3}) {
        INFO(name << ", " << arch_name(target) << ", threads " << threads);
        const arch_scope scope(target);
        handle half(name), full(name);
        configure_with_state(half.opt);
        configure_with_state(full.opt);
        const std::size_t states = inertia_optimizer_state_count(half.opt);
        const bool reads_grad = std::string(name) != "weight_ema";
        // buffers[k][b]: tensor k, buffer b (param, grad, state...), with one
        // element in front so that odd tensors start unaligned.
        std::vector<std::vector<std::vector<std::uint16_t>>> buffers(sizes.size());
        std::mt19937 random(static_cast<std::uint32_t>(v * 100 + threads));
        std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
        for (std::size_t k = 0; k < sizes.size(); ++k)
          for (std::size_t b = 0; b < 2 + states; ++b) {
            std::vector<std::uint16_t> data(sizes[k] + 1);
            for (auto& x : data) {
              // State starts non-negative: some is a sum of squares.
              float value = b >= 2 ? std::fabs(uniform(random)) : uniform(random);
              // One bf16 value in 8 subnormal, so that some results are too: avx512bf16's conversion
              // instruction flushes them, and a vector with one takes the integer rounding there.
              if (std::is_same_v<Half, bfloat16> && random() % 8 == 0) value = std::ldexp(value, -127 - int(random() % 8));
              x = narrow_bits<Half>(value);
            }
            buffers[k].push_back(std::move(data));
          }
        for (long long step = 1; step <= 3; ++step) {
          // The reference: everything widened, the float32 step, each buffer rounded.
          std::vector<std::vector<std::vector<float>>> wide(sizes.size());
          std::vector<inertia_tensor> half_tensors(sizes.size()), full_tensors(sizes.size());
          for (std::size_t k = 0; k < sizes.size(); ++k) {
            const std::size_t offset = k % 2;
            for (auto& data : buffers[k]) {
              std::vector<float> w(data.size());
              for (std::size_t i = 0; i < data.size(); ++i) w[i] = to_float(Half{data[i]});
              wide[k].push_back(std::move(w));
            }
            const auto fill = [&](inertia_tensor& t, auto pointer_of) {
              t = inertia_tensor{};
              t.size = sizes[k];
              t.param = pointer_of(0) + offset;
              t.grad = reads_grad ? pointer_of(1) + offset : nullptr;
              for (std::size_t s = 0; s < states; ++s) t.state[s] = pointer_of(2 + s) + offset;
            };
            fill(half_tensors[k], [&](std::size_t b) { return buffers[k][b].data(); });
            fill(full_tensors[k], [&](std::size_t b) { return wide[k][b].data(); });
          }
          step_with(full.opt, INERTIA_FLOAT32, full_tensors, step, threads);
          step_with(half.opt, dtype, half_tensors, step, threads);
          for (std::size_t k = 0; k < sizes.size(); ++k)
            for (std::size_t b = 0; b < buffers[k].size(); ++b) {
              std::vector<std::uint16_t> expected(wide[k][b].size());
              for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = narrow_bits<Half>(wide[k][b][i]);
              const std::size_t i = first_difference<std::uint16_t>(buffers[k][b], expected);
              INFO("step " << step << ", tensor " << k << ", buffer " << b << ", element " << i);
              REQUIRE(i == expected.size());
            }
        }
      }
  }
}

TEST_CASE("every variant's bfloat16 step is its float32 step on the widened values, rounded", "[half]") {
  require_half_step_is_widened_float_step<bfloat16>(INERTIA_BFLOAT16);
}

TEST_CASE("every variant's float16 step is its float32 step on the widened values, rounded", "[half]") {
  require_half_step_is_widened_float_step<float16>(INERTIA_FLOAT16);
}

// ---- torch 2.15 fused=True on bf16 / fp16 (scripts/golden_torch2_half.py) ----

std::vector<std::uint16_t> hex_halves(const std::string& text) {
  std::vector<std::uint16_t> out(text.size() / 4);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint16_t>(std::stoul(text.substr(4 * i, 4), nullptr, 16));
  return out;
}

TEST_CASE("torch 2.15's fused SGD, Adam and AdamW on bfloat16 and float16 replay at 0 ULP", "[half][golden]") {
  const nlohmann::json doc = load_golden("torch2_half.json");
  const std::size_t steps = doc.at("steps").get<std::size_t>();
  for (const auto& c : doc.at("cases")) {
    const std::string variant = c.at("variant"), dtype_name = c.at("dtype");
    const bool bf16 = dtype_name == "bfloat16";
    const inertia_dtype dtype = bf16 ? INERTIA_BFLOAT16 : INERTIA_FLOAT16;
    const auto round = [&](double x) { return bf16 ? to_bfloat16(float(x)).bits : to_float16(float(x)).bits; };
    for (arch target : supported_archs())
      for (int threads : {1, 2, 3}) {
        INFO(variant << " " << c.at("name").get<std::string>() << " " << dtype_name << ", " << arch_name(target)
                     << ", threads " << threads);
        const arch_scope scope(target);
        handle h(variant.c_str());
        for (const auto& [key, value] : c.at("hyperparameters").items()) {
          if (value.is_array()) {
            const std::vector<double> values = value.get<std::vector<double>>();
            REQUIRE(inertia_optimizer_set_array(h.opt, key.c_str(), values.data(), values.size()) == INERTIA_OK);
          } else {
            REQUIRE(inertia_optimizer_set(h.opt, key.c_str(), value.is_boolean() ? double(value.get<bool>())
                                                                                   : value.get<double>()) == INERTIA_OK);
          }
        }
        REQUIRE(inertia_optimizer_set_string(h.opt, "numerics", "pytorch_fused") == INERTIA_OK);
        const std::size_t states = inertia_optimizer_state_count(h.opt);
        const auto& tensors = c.at("tensors");
        std::vector<std::vector<double>> streams;
        std::vector<std::vector<std::uint16_t>> param(tensors.size()), grad(tensors.size());
        std::vector<std::vector<std::vector<std::uint16_t>>> state(tensors.size());
        std::vector<inertia_tensor> views(tensors.size());
        for (std::size_t k = 0; k < tensors.size(); ++k) {
          const std::size_t n = tensors[k].at("n");
          streams.push_back(splitmix_values(1000 * (c.at("seed_case").get<std::uint64_t>() + 1) + k, n * (steps + 1)));
          for (std::size_t i = 0; i < n; ++i) param[k].push_back(round(streams[k][i]));
          grad[k].resize(n);
          state[k].assign(states, std::vector<std::uint16_t>(n, 0));
          views[k] = inertia_tensor{};
          views[k].param = param[k].data();
          views[k].grad = grad[k].data();
          views[k].size = n;
          for (std::size_t s = 0; s < states; ++s) views[k].state[s] = state[k][s].data();
        }
        for (std::size_t step = 0; step < steps; ++step) {
          for (std::size_t k = 0; k < tensors.size(); ++k)
            for (std::size_t i = 0; i < grad[k].size(); ++i) grad[k][i] = round(streams[k][grad[k].size() * (step + 1) + i]);
          step_with(h.opt, dtype, views, static_cast<long long>(step + 1), threads);
        }
        for (std::size_t k = 0; k < tensors.size(); ++k) {
          const auto expected = hex_halves(tensors[k].at("param"));
          REQUIRE(expected.size() == param[k].size());
          const std::size_t i = first_difference<std::uint16_t>(param[k], expected);
          INFO("tensor " << k << ", param element " << i << " of " << expected.size());
          REQUIRE(i == expected.size());
          for (std::size_t s = 0; s < states; ++s) {
            const char* state_name = inertia_optimizer_state_name(h.opt, s);
            const auto recorded = hex_halves(tensors[k].at("state").at(state_name));
            REQUIRE(recorded.size() == state[k][s].size());
            const std::size_t j = first_difference<std::uint16_t>(state[k][s], recorded);
            INFO("tensor " << k << ", " << state_name << " element " << j);
            REQUIRE(j == recorded.size());
          }
        }
      }
  }
}

}  // namespace
}  // namespace inertia::test
