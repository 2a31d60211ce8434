// Stochastic rounding to bfloat16 / fp16 and its generator (lib/simd/philox.hpp,
// lib/simd/stochastic_draws.hpp, lib/simd/stochastic_rounding.hpp,
// lib/simd/half_scalar.hpp, lib/variants/stochastic_narrow.hpp):
//   - Philox4x32-10 against Random123's published known-answer vectors, scalar
//     and vector, with the x86 widening multiply and with the portable 16-bit
//     pieces;
//   - the draws (16 bits per element, eight per Philox evaluation) against
//     their layout written out, and every arch's fill against the scalar draw;
//   - the vector paths equal the scalar ones bit for bit on every xsimd arch
//     this test translation unit is compiled for (sse2 in the default x86-64
//     build; fma3<avx2> and avx512f too when it is built with -mavx2 -mfma /
//     -mavx512f, e.g. -march=native). The library's per-target builds of the
//     same code are tested through its C ABI in tests/test_mixed_storage.cpp;
//   - round-to-nearest-even equals PyTorch's c10::BFloat16 / c10::Half
//     algorithms (written out below) on a structured sweep;
//   - stochastic rounding: only the two neighbours, exact values kept,
//     unbiased within 5 sigma, deterministic, different at another step or
//     seed, NaN / Inf / zero / subnormal / overflow as documented;
//   - the same bits through the library's rule and range loop (simd/range.hpp,
//     the scalar_arch path and each compiled arch), draws filled in pieces of
//     1 to 4099 elements, rounding blocks of 1 to 4099 on 1, 2 and 3 threads.
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "simd/half_scalar.hpp"
#include "simd/philox.hpp"
#include "simd/range.hpp"
#include "simd/stochastic_draws.hpp"
#include "simd/stochastic_rounding.hpp"
#include "variants/stochastic_narrow_apply.hpp"

using namespace inertia::detail;

namespace {

std::uint32_t bits_of(float x) { return std::bit_cast<std::uint32_t>(x); }
float float_of(std::uint32_t bits) { return std::bit_cast<float>(bits); }

// Every xsimd arch this translation unit's flags enable, each as a tag.
template <class Arch>
struct arch_tag {
  using type = Arch;
};

template <class Function>
void for_each_compiled_arch(Function&& function) {
#if defined(__SSE2__)
  function(arch_tag<xsimd::sse2>{}, "sse2");
#endif
#if defined(__AVX2__) && defined(__FMA__)
  function(arch_tag<xsimd::fma3<xsimd::avx2>>{}, "fma3<avx2>");
#endif
#if defined(__AVX512F__)
  function(arch_tag<xsimd::avx512f>{}, "avx512f");
#endif
#if !defined(__SSE2__)
  function(arch_tag<xsimd::default_arch>{}, "default_arch");
#endif
}

// --- Philox ------------------------------------------------------------------

struct known_answer {
  philox_counter counter;
  philox_key key;
  philox_words words;
};

// Random123's tests/kat_vectors for philox4x32 10: counter words, key words,
// output words (the third is the hex digits of pi).
const std::array<known_answer, 3> known_answers = {{
    {{0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x00000000u, 0x00000000u},
     {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
    {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
     {0xffffffffu, 0xffffffffu},
     {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
    {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
     {0xa4093822u, 0x299f31d0u},
     {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
}};

// One known answer in lane `lane` of a batch whose other lanes hold other
// counters: each lane's words must depend on its own counter alone.
template <class Arch, philox_product<Arch> (*Mulhilo)(const philox_batch<Arch>&, const philox_batch<Arch>&)>
void check_known_answers_in_every_lane() {
  using batch = philox_batch<Arch>;
  for (const known_answer& answer : known_answers)
    for (std::size_t lane = 0; lane < batch::size; ++lane) {
      std::array<std::array<std::uint32_t, batch::size>, 4> words_in{};
      for (std::size_t w = 0; w < 4; ++w)
        for (std::size_t k = 0; k < batch::size; ++k)
          words_in[w][k] = k == lane ? answer.counter[w] : static_cast<std::uint32_t>(0x01000193u * (k + 7 * w + 1));
      std::array<batch, 4> counter;
      for (std::size_t w = 0; w < 4; ++w) counter[w] = batch::load_unaligned(words_in[w].data());
      const std::array<batch, 4> out = philox4x32_10<Arch, Mulhilo>(counter, answer.key);
      for (std::size_t w = 0; w < 4; ++w) {
        std::array<std::uint32_t, batch::size> lanes{};
        out[w].store_unaligned(lanes.data());
        INFO("lane " << lane << " word " << w);
        CHECK(lanes[lane] == answer.words[w]);
      }
    }
}

TEST_CASE("Philox4x32-10 gives Random123's known answers", "[stochastic_rounding]") {
  for (const known_answer& answer : known_answers) CHECK(philox4x32_10(answer.counter, answer.key) == answer.words);
  for_each_compiled_arch([](auto tag, const char* name) {
    using Arch = typename decltype(tag)::type;
    INFO(name << ", the arch's mulhilo");
    check_known_answers_in_every_lane<Arch, philox_mulhilo<Arch>>();
    INFO(name << ", the portable 16-bit pieces");
    check_known_answers_in_every_lane<Arch, philox_mulhilo_portable<Arch>>();
  });
}

TEST_CASE("Philox mulhilo is the exact 64-bit product on every arch", "[stochastic_rounding]") {
  std::mt19937 generator(20111112);
  std::vector<std::uint32_t> a = {0, 1, 0xFFFFFFFFu, 0xFFFF0000u, 0x0000FFFFu, 0x80000000u, philox_m0, philox_m1};
  std::vector<std::uint32_t> b = {0xFFFFFFFFu, 0, 0xFFFFFFFFu, 0x0000FFFFu, 0xFFFF0000u, 0x80000000u, 0x12345678u, 3};
  for (int k = 0; k < 4096; ++k) a.push_back(generator()), b.push_back(generator());
  for_each_compiled_arch([&](auto tag, const char* name) {
    using Arch = typename decltype(tag)::type;
    using batch = philox_batch<Arch>;
    for (std::size_t begin = 0; begin + batch::size <= a.size(); begin += batch::size) {
      const batch va = batch::load_unaligned(&a[begin]), vb = batch::load_unaligned(&b[begin]);
      const philox_product<Arch> products[2] = {philox_mulhilo<Arch>(va, vb), philox_mulhilo_portable<Arch>(va, vb)};
      for (const auto& product : products) {
        std::array<std::uint32_t, batch::size> hi{}, lo{};
        product.hi.store_unaligned(hi.data());
        product.lo.store_unaligned(lo.data());
        for (std::size_t k = 0; k < batch::size; ++k) {
          const std::uint64_t expected = std::uint64_t{a[begin + k]} * b[begin + k];
          INFO(name << ": " << a[begin + k] << " * " << b[begin + k]);
          REQUIRE(hi[k] == static_cast<std::uint32_t>(expected >> 32));
          REQUIRE(lo[k] == static_cast<std::uint32_t>(expected));
        }
      }
    }
  });
}

// --- Draws: which 16 bits each element takes (simd/stochastic_draws.hpp) -------

// The layout, written out from its definition: element i = 128 b + 16 h + k
// takes bits 16 (h % 2) .. of word h / 2 of Philox(16 b + k, step, stream).
std::uint32_t draw_by_definition(const stochastic_key& key, std::uint64_t i) {
  const std::uint64_t b = i / 128, h = (i % 128) / 16, k = i % 16;
  const std::uint64_t counter = 16 * b + k;
  const philox_words words = philox4x32_10(
      {static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32), key.step, key.stream},
      philox_key_of(key.seed));
  return (words[h / 2] >> (16 * (h % 2))) & 0xFFFFu;
}

TEST_CASE("Stochastic draws: every arch's fill equals the scalar draw, at any start and length", "[stochastic_rounding]") {
  const stochastic_key key{0x0123456789ABCDEFull, 17, 3};
  // Starts at, inside and across 128-element blocks; around 2^36, where the
  // counter's high word is no longer 0; lengths from 0 to several blocks.
  for (std::uint64_t first_index : {std::uint64_t{0}, std::uint64_t{5}, std::uint64_t{127}, std::uint64_t{128},
                                    (std::uint64_t{1} << 36) - 3, (std::uint64_t{3} << 36) + 200})
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{128}, std::size_t{129},
                              std::size_t{700}}) {
      std::vector<std::uint32_t> reference(count);
      for (std::size_t i = 0; i < count; ++i) {
        reference[i] = draw_by_definition(key, first_index + i);
        REQUIRE(stochastic_draw(key, first_index + i) == reference[i]);
      }
      const auto check_arch = [&](auto tag, const char* name) {
        using Arch = typename decltype(tag)::type;
        std::vector<std::uint32_t> out(count + 2, 0xDEADBEEFu);
        fill_stochastic_draws_for<Arch>(key, first_index, count, out.data() + 1);  // unaligned
        INFO(name << ": first index " << first_index << ", count " << count);
        CHECK(std::vector<std::uint32_t>(out.begin() + 1, out.end() - 1) == reference);
        CHECK(out.front() == 0xDEADBEEFu);  // nothing written outside
        CHECK(out.back() == 0xDEADBEEFu);
      };
      check_arch(arch_tag<scalar_arch>{}, "scalar");
      for_each_compiled_arch(check_arch);
    }
}

TEST_CASE("Stochastic draws: the same inputs give the same draws, any other input others", "[stochastic_rounding]") {
  constexpr std::uint64_t count = 4000;
  const auto draws_of = [](std::uint64_t seed, std::uint64_t offset, std::uint32_t step, std::uint32_t stream) {
    std::vector<std::uint32_t> out;
    for (std::uint64_t index = 0; index < count; ++index) out.push_back(stochastic_draw({seed, step, stream}, offset + index));
    return out;
  };
  const std::uint64_t seed = 42;
  const std::vector<std::uint32_t> base = draws_of(seed, 0, 7, 0);
  CHECK(draws_of(seed, 0, 7, 0) == base);
  // Each change of one input (the step, the stream, either half of the seed
  // and of the index's counter) changes the draws. Two independent 16-bit
  // draws agree with probability 2^-16: among 4000 pairs 0.06 agree on
  // average, and 4 or more with probability below 10^-6.
  const std::vector<std::vector<std::uint32_t>> others = {
      draws_of(seed, 0, 8, 0), draws_of(seed, 0, 7, 1), draws_of(seed + 1, 0, 7, 0),
      draws_of(seed | (std::uint64_t{1} << 40), 0, 7, 0), draws_of(seed, std::uint64_t{1} << 36, 7, 0)};
  for (const auto& other : others) {
    std::size_t equal = 0;
    for (std::size_t k = 0; k < base.size(); ++k) equal += other[k] == base[k];
    CHECK(equal <= 3);
  }
  // Within one run, every draw is 16 bits, and they look uniform: the mean of
  // 4000 draws over 2^16 is 1/2 with sigma sqrt(1/12 / 4000) = 0.0046; 5 sigma.
  double sum = 0;
  for (std::uint32_t draw : base) {
    REQUIRE(draw <= 0xFFFFu);
    sum += draw / 65536.0;
  }
  CHECK(std::abs(sum / base.size() - 0.5) < 5 * 0.0046);
}

// --- Round to nearest even: the references PyTorch uses -----------------------

// c10::BFloat16's round_to_nearest_even (c10/util/BFloat16.h).
std::uint16_t torch_bf16_rne(float x) {
  if (std::isnan(x)) return 0x7FC0;
  const std::uint32_t bits = bits_of(x);
  const std::uint32_t rounding_bias = ((bits >> 16) & 1) + 0x7FFFu;
  return static_cast<std::uint16_t>((bits + rounding_bias) >> 16);
}

// c10::Half's fp16_ieee_from_fp32_value (c10/util/Half.h, from the FP16
// library): float arithmetic does the rounding.
std::uint16_t torch_f16_rne(float f) {
  const float scale_to_inf = float_of(239u << 23);  // 0x1.0p+112f
  const float scale_to_zero = float_of(17u << 23);  // 0x1.0p-110f
  float base = (std::fabs(f) * scale_to_inf) * scale_to_zero;
  const std::uint32_t w = bits_of(f);
  const std::uint32_t shl1_w = w + w;
  const std::uint32_t sign = w & 0x80000000u;
  std::uint32_t bias = shl1_w & 0xFF000000u;
  if (bias < 0x71000000u) bias = 0x71000000u;
  base = float_of((bias >> 1) + 0x07800000u) + base;
  const std::uint32_t bits = bits_of(base);
  const std::uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
  const std::uint32_t mantissa_bits = bits & 0x00000FFFu;
  const std::uint32_t nonsign = exp_bits + mantissa_bits;
  return static_cast<std::uint16_t>((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

// c10::Half's fp16_ieee_to_fp32_value.
float torch_f16_to_float(std::uint16_t h) {
  const std::uint32_t w = std::uint32_t{h} << 16;
  const std::uint32_t sign = w & 0x80000000u;
  const std::uint32_t two_w = w + w;
  const float exp_scale = float_of(15u << 23);  // 0x1.0p-112f
  const float normalized_value = float_of((two_w >> 4) + (0xE0u << 23)) * exp_scale;
  const float denormalized_value = float_of((two_w >> 17) | (126u << 23)) - 0.5f;
  const std::uint32_t denormalized_cutoff = 1u << 27;
  return float_of(sign | (two_w < denormalized_cutoff ? bits_of(denormalized_value) : bits_of(normalized_value)));
}

bool is_nan_bits(std::uint32_t bits) { return (bits & 0x7FFFFFFFu) > 0x7F800000u; }

// The sweeps compare ~10^6 values: a count and the first mismatching input
// instead of an assertion each (Catch2's per-assertion cost would be 0.5 s).
struct mismatches {
  std::size_t count = 0;
  std::uint32_t first_input = 0;
  void check(bool equal, std::uint32_t input) {
    if (!equal && count++ == 0) first_input = input;
  }
};

// The float patterns of the sweep: every upper half with low halves at and
// around each rounding point of bf16 (bit 15) and of fp16's normals (bit 12),
// the midpoints of every pair of fp16 neighbours and their float neighbours
// (which reach fp16's subnormal cut points, below bit 12), and random
// patterns.
std::vector<std::uint32_t> sweep_patterns() {
  std::vector<std::uint32_t> out;
  for (std::uint32_t upper = 0; upper < 0x10000u; ++upper)
    for (std::uint32_t lower : {0x0000u, 0x0001u, 0x0FFFu, 0x1000u, 0x1001u, 0x7FFFu, 0x8000u, 0x8001u, 0xFFFFu})
      out.push_back(upper << 16 | lower);
  for (std::uint32_t h = 0; h < 0x7C00u; ++h) {
    const double middle = (double(f16_to_float(static_cast<std::uint16_t>(h))) +
                           double(f16_to_float(static_cast<std::uint16_t>(h + 1)))) / 2;  // exact in float
    const std::uint32_t bits = bits_of(static_cast<float>(middle));
    for (std::uint32_t pattern : {bits - 1, bits, bits + 1}) {
      out.push_back(pattern);
      out.push_back(pattern | 0x80000000u);
    }
  }
  std::mt19937 generator(16);
  for (int k = 0; k < (1 << 18); ++k) out.push_back(generator());
  return out;
}

TEST_CASE("round_to_bf16_rne and round_to_f16_rne equal c10::BFloat16 and c10::Half on every non-NaN",
          "[stochastic_rounding]") {
  std::size_t compared = 0;
  mismatches bf16, f16;
  for (std::uint32_t bits : sweep_patterns()) {
    const float x = float_of(bits);
    if (is_nan_bits(bits)) {
      // Quiet, the sign and the top payload bits kept (vcvtneps2bf16 / vcvtps2ph); torch's NaN bits differ.
      bf16.check(round_to_bf16_rne(x) == ((bits >> 16) | 0x40u), bits);
      f16.check(round_to_f16_rne(x) == (((bits >> 16) & 0x8000u) | 0x7E00u | ((bits >> 13) & 0x3FFu)), bits);
      continue;
    }
    bf16.check(round_to_bf16_rne(x) == torch_bf16_rne(x), bits);
    f16.check(round_to_f16_rne(x) == torch_f16_rne(x), bits);
    ++compared;
  }
  CHECK(compared > 700000);
  INFO("first mismatching x bits: bf16 0x" << std::hex << bf16.first_input << ", fp16 0x" << f16.first_input);
  CHECK(bf16.count == 0);
  CHECK(f16.count == 0);
  // The cut points, spelled out.
  CHECK(round_to_f16_rne(65519.996f) == 0x7BFF);
  CHECK(round_to_f16_rne(65520.0f) == 0x7C00);
  CHECK(round_to_f16_rne(-65520.0f) == 0xFC00);
  CHECK(round_to_f16_rne(std::ldexp(1.0f, -25)) == 0x0000);                  // the tie to 0 (even)
  CHECK(round_to_f16_rne(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
  CHECK(round_to_f16_rne(std::ldexp(3.0f, -25)) == 0x0002);                  // 1.5 steps: tie to even 2
  CHECK(round_to_bf16_rne(std::numeric_limits<float>::max()) == 0x7F80);
  CHECK(round_to_bf16_rne(float_of(0x7F7F7FFFu)) == 0x7F7F);
  CHECK(round_to_bf16_rne(float_of(0x7F7F8000u)) == 0x7F80);               // a tie, to even: Inf
}

TEST_CASE("Widening: every fp16 and bf16 value, and the round trip back", "[stochastic_rounding]") {
  mismatches f16, bf16;
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    const auto half = static_cast<std::uint16_t>(h);
    const float widened = f16_to_float(half);
    const bool nan = (h & 0x7C00u) == 0x7C00u && (h & 0x03FFu) != 0;
    if (nan) {
      // The payload kept, made quiet (as vcvtph2ps; c10 quiets a signalling NaN through its multiply).
      f16.check(bits_of(widened) == ((h & 0x8000u) << 16 | 0x7FC00000u | (h & 0x03FFu) << 13), h);
      f16.check(round_to_f16_rne(widened) == (h | 0x0200u), h);
    } else {
      f16.check(bits_of(widened) == bits_of(torch_f16_to_float(half)), h);
      f16.check(round_to_f16_rne(widened) == half, h);
    }
    const float widened_bf16 = bf16_to_float(half);
    bf16.check(bits_of(widened_bf16) == h << 16, h);
    if (!is_nan_bits(h << 16)) bf16.check(round_to_bf16_rne(widened_bf16) == half, h);
  }
  INFO("first mismatching h: fp16 0x" << std::hex << f16.first_input << ", bf16 0x" << bf16.first_input);
  CHECK(f16.count == 0);
  CHECK(bf16.count == 0);
}

// --- Stochastic rounding --------------------------------------------------------

enum class format { bf16, f16 };

std::uint16_t round_scalar(format f, float x, std::uint32_t random) {
  return f == format::bf16 ? stochastic_round_to_bf16(x, random) : stochastic_round_to_f16(x, random);
}
float widen(format f, std::uint16_t h) { return f == format::bf16 ? bf16_to_float(h) : f16_to_float(h); }
const char* name_of(format f) { return f == format::bf16 ? "bf16" : "fp16"; }

// Values every path must meet: zeros, Inf, NaNs (payloads in either half),
// float subnormals, fp16 subnormals and the cut at 2^-14, the largest values,
// ordinary ones.
std::vector<float> awkward_values() {
  std::vector<std::uint32_t> bits = {
      0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF800001u,
      0x7FFFFFFFu, 0xFFFFFFFFu, 0x7FBFFFFFu, 0x00000001u, 0x807FFFFFu, 0x00800000u, 0x38800000u, 0x387FFFFFu,
      0xB87FE000u, 0x33800000u, 0x33000000u, 0x2A000000u, 0x29800000u, 0x477FE000u, 0x477FE001u, 0x477FF000u,
      0x477FFFFFu, 0x47800000u, 0xC7800001u, 0x7F7F0000u, 0x7F7F0001u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x3F800000u,
      0x3F808000u, 0xBF80FFFFu, 0x3FFFF000u};
  std::mt19937 generator(1);
  std::uniform_real_distribution<float> ordinary(-70000.0f, 70000.0f);
  std::uniform_int_distribution<int> exponent(-40, 17);
  std::vector<float> out;
  for (std::uint32_t b : bits) out.push_back(float_of(b));
  for (int k = 0; k < 2000; ++k) out.push_back(float_of(generator()));
  for (int k = 0; k < 2000; ++k) out.push_back(std::ldexp(ordinary(generator) / 70000.0f, exponent(generator)));
  for (int k = 0; k < 500; ++k) out.push_back(ordinary(generator));
  return out;
}

TEST_CASE("Stochastic rounding: the vector lanes equal the scalar rounding on every arch", "[stochastic_rounding]") {
  const std::vector<float> values = awkward_values();
  std::vector<std::uint32_t> randoms;
  std::mt19937 generator(2);
  for (std::size_t k = 0; k < values.size(); ++k) randoms.push_back(generator());
  // The extreme words too: all-zero (truncation) and all-one (up unless exact).
  for (std::uint32_t extreme : {0u, 0xFFFFFFFFu, 0x00001FFFu, 0x0000FFFFu, 0x001FFFFFu})
    for_each_compiled_arch([&](auto tag, const char* name) {
      using Arch = typename decltype(tag)::type;
      using floats = xsimd::batch<float, Arch>;
      using words = xsimd::batch<std::uint32_t, Arch>;
      for (int pass = 0; pass < 2; ++pass)
        for (std::size_t begin = 0; begin + floats::size <= values.size(); begin += floats::size) {
          const floats x = floats::load_unaligned(&values[begin]);
          const words random = pass == 0 ? words::load_unaligned(&randoms[begin]) : words(extreme);
          std::array<std::uint32_t, floats::size> bf16{}, f16{};
          stochastic_round_to_bf16<Arch>(x, random).store_unaligned(bf16.data());
          stochastic_round_to_f16<Arch>(x, random).store_unaligned(f16.data());
          for (std::size_t k = 0; k < floats::size; ++k) {
            const std::uint32_t word = pass == 0 ? randoms[begin + k] : extreme;
            INFO(name << ": x bits 0x" << std::hex << bits_of(values[begin + k]) << " random 0x" << word);
            REQUIRE(bf16[k] == stochastic_round_to_bf16(values[begin + k], word));
            REQUIRE(f16[k] == stochastic_round_to_f16(values[begin + k], word));
          }
        }
    });
}

TEST_CASE("Stochastic rounding: one of the two neighbours, the exact values kept", "[stochastic_rounding]") {
  std::mt19937 generator(3);
  for (format f : {format::bf16, format::f16})
    for (float x : awkward_values()) {
      if (std::isnan(x)) continue;
      // The neighbours: rounding toward zero (random word 0) and one step up
      // in magnitude (the largest word); the same when x is exact.
      const std::uint16_t toward_zero = round_scalar(f, x, 0);
      const std::uint16_t away = round_scalar(f, x, 0xFFFFFFFFu);
      const double magnitude = std::fabs(double(x));
      INFO(name_of(f) << ": x bits 0x" << std::hex << bits_of(x));
      REQUIRE(std::signbit(widen(f, toward_zero)) == std::signbit(x));
      REQUIRE(std::signbit(widen(f, away)) == std::signbit(x));
      if (f == format::f16 && magnitude >= 65536.0) {
        REQUIRE((toward_zero & 0x7FFFu) == 0x7C00u);  // Inf for certain (see stochastic_rounding.hpp)
        REQUIRE(away == toward_zero);
      } else if (f == format::f16 && magnitude < std::ldexp(1.0, -17)) {
        // The fixed point's truncation: x's bits below 2^-40 take no part,
        // so the largest word may leave such an x on the lower neighbour.
        REQUIRE(double(widen(f, toward_zero)) == std::ldexp(std::trunc(magnitude * 0x1p24), -24) * (x < 0 ? -1 : 1));
        REQUIRE((away == toward_zero || away == toward_zero + 1));
      } else {
        REQUIRE(std::fabs(double(widen(f, toward_zero))) <= magnitude);
        REQUIRE(std::fabs(double(widen(f, away))) >= magnitude);  // Inf beyond the largest finite value
        if (std::fabs(double(widen(f, toward_zero))) == magnitude) {
          REQUIRE(away == toward_zero);  // exact: kept whatever the word
        } else {
          REQUIRE(away == toward_zero + 1);  // one step up (16-bit patterns of one sign are ordered)
        }
      }
      for (int k = 0; k < 8; ++k) {
        const std::uint16_t h = round_scalar(f, x, generator());
        REQUIRE((h == toward_zero || h == away));
      }
    }
}

// N stochastic roundings of x with the words of consecutive elements: the
// mean of the results as doubles, and the fraction rounded away from zero.
struct draws {
  double mean;
  double fraction_up;
};

draws draw(format f, float x, std::size_t count, std::uint64_t seed) {
  const std::uint16_t lower = round_scalar(f, x, 0);
  double sum = 0;
  std::size_t up = 0;
  for (std::size_t index = 0; index < count; ++index) {
    const std::uint16_t h = round_scalar(f, x, stochastic_draw({seed, 1, 0}, index));
    // Inf counts as the step after the largest finite value (see
    // stochastic_rounding.hpp): 2^128 for bf16, 2^16 for fp16.
    const float w = widen(f, h);
    sum += std::isinf(w) ? std::copysign(f == format::bf16 ? std::ldexp(1.0, 128) : 65536.0, w) : double(w);
    up += h != lower;
  }
  return {sum / count, double(up) / count};
}

TEST_CASE("Stochastic rounding is unbiased: the mean of 2^16 draws is x within 5 sigma", "[stochastic_rounding]") {
  constexpr std::size_t count = 1 << 16;
  struct unbiased_case {
    format f;
    float x;
  };
  const double bf16_max = std::ldexp(255.0, 120);  // 0x1.FEp127
  const std::vector<unbiased_case> cases = {
      // bf16: fractions 1/3 and 0.9 of a step, negative, a float subnormal, near the largest value
      {format::bf16, 1.0f + std::ldexp(1.0f, -7) / 3},
      {format::bf16, -(3.0f + 0.9f * std::ldexp(2.0f, -7))},
      {format::bf16, float_of(0x00000001u | 0x00004000u)},          // subnormal, a quarter of the step and 2^-149
      {format::bf16, static_cast<float>(bf16_max + std::ldexp(1.0, 119))},  // halfway to "2^128": Inf half the time
      {format::bf16, 0.1f},
      // fp16: normal, a tenth of a step, the subnormal range, below 2^-22, past 65504
      {format::f16, 1.0f + 0.7f * std::ldexp(1.0f, -10)},
      {format::f16, -0.1f},
      {format::f16, std::ldexp(3.3f, -24)},                          // subnormal: 3.3 steps of 2^-24
      {format::f16, std::ldexp(0.25f, -24)},                         // below the smallest subnormal
      {format::f16, std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26)},  // just below the normals
      {format::f16, 65504.0f + 8.0f},                                // Inf a quarter of the time
      {format::f16, -65530.0f},                                      // Inf 26/32 of the time
  };
  for (const unbiased_case& c : cases) {
    const float lower = widen(c.f, round_scalar(c.f, c.x, 0));
    const std::uint16_t upper_bits = round_scalar(c.f, c.x, 0xFFFFFFFFu);
    const double upper = std::isinf(widen(c.f, upper_bits))
                             ? std::copysign(c.f == format::bf16 ? std::ldexp(1.0, 128) : 65536.0, c.x)
                             : double(widen(c.f, upper_bits));
    const double step = std::fabs(upper - double(lower));
    const double p = std::fabs(double(c.x) - double(lower)) / step;  // the probability of rounding up
    const double sigma = step * std::sqrt(p * (1 - p) / count);
    const draws d = draw(c.f, c.x, count, 2024);
    INFO(name_of(c.f) << ": x " << c.x << " p " << p << " fraction up " << d.fraction_up);
    REQUIRE(p > 0.05);
    REQUIRE(p < 0.95);
    CHECK(std::fabs(d.mean - double(c.x)) <= 5 * sigma);
    CHECK(std::fabs(d.fraction_up - p) <= 5 * std::sqrt(p * (1 - p) / count));
  }
}

TEST_CASE("Stochastic rounding: deterministic from the seed, other draws at another step", "[stochastic_rounding]") {
  std::vector<float> x(4096);
  std::mt19937 generator(4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : x) v = normal(generator);
  const auto round_all = [&](std::uint64_t seed, std::uint32_t step) {
    std::vector<std::uint16_t> out;
    for (std::size_t k = 0; k < x.size(); ++k)
      out.push_back(stochastic_round_to_bf16(x[k], stochastic_draw({seed, step, 0}, k)));
    return out;
  };
  const std::vector<std::uint16_t> first = round_all(9, 1);
  CHECK(round_all(9, 1) == first);
  // At another step (or seed) the draws are fresh: for a normal sample about
  // half the values are inexact with p away from 0 and 1; if step 2 reused
  // step 1's words, no element would differ.
  for (const auto& other : {round_all(9, 2), round_all(10, 1)}) {
    std::size_t differ = 0;
    for (std::size_t k = 0; k < x.size(); ++k) differ += other[k] != first[k];
    CHECK(differ > x.size() / 8);
  }
}

// The library's rule (variants/stochastic_narrow.hpp) with draws filled in
// pieces as a chunked step fills them, run by the library's own range loop
// (simd/range.hpp: alignment peel, vectors, tail) on blocks of every size.
TEST_CASE("Stochastic rounding in the library's range loop: the same bits for every arch, block size and thread count",
          "[stochastic_rounding]") {
  constexpr std::size_t size = 4099;  // odd: a tail on every width, and a block of 128 cut short
  std::vector<float> storage(size + 16);
  float* x = storage.data() + 1;  // not vector-aligned: the peel runs
  std::mt19937 generator(6);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (std::size_t k = 0; k < size; ++k) x[k] = normal(generator) * std::ldexp(1.0f, int(k % 40) - 30);
  const stochastic_key bf16_key{11, 4, 9}, f16_key{11, 4, 10};
  std::vector<std::uint16_t> reference_bf16(size), reference_f16(size);
  for (std::size_t k = 0; k < size; ++k) {
    reference_bf16[k] = stochastic_round_to_bf16(x[k], stochastic_draw(bf16_key, k));
    reference_f16[k] = stochastic_round_to_f16(x[k], stochastic_draw(f16_key, k));
  }
  const auto check_arch = [&](auto tag, const char* name) {
    using Arch = typename decltype(tag)::type;
    // Draws filled in pieces of 1 to 4099 elements (starts inside blocks of 128
    // included); rounding blocks below one vector, odd, and above
    // min_vectors_to_align vectors (so that blocks start unaligned and peel);
    // 1 to 3 threads.
    for (std::size_t piece : {std::size_t{1}, std::size_t{100}, std::size_t{2048}, size}) {
      std::vector<std::uint32_t> bf16_draws(size), f16_draws(size);
      for (std::size_t begin = 0; begin < size; begin += piece) {
        const std::size_t n = std::min(piece, size - begin);
        fill_stochastic_draws_for<Arch>(bf16_key, begin, n, bf16_draws.data() + begin);
        fill_stochastic_draws_for<Arch>(f16_key, begin, n, f16_draws.data() + begin);
      }
      for (std::size_t block : {std::size_t{1}, std::size_t{5}, std::size_t{64}, std::size_t{333}, size})
        for (int threads = 1; threads <= 3; ++threads) {
          std::vector<inertia::bfloat16> bf16(size, inertia::bfloat16{0xDEAD});
          std::vector<inertia::float16> f16(size, inertia::float16{0xDEAD});
          const stochastic_narrow_rule<inertia::bfloat16> to_bf16{x, bf16.data(), bf16_draws.data()};
          const stochastic_narrow_rule<inertia::float16> to_f16{x, f16.data(), f16_draws.data()};
          const auto blocks = static_cast<long>((size + block - 1) / block);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
          for (long b = 0; b < blocks; ++b) {
            const std::size_t begin = static_cast<std::size_t>(b) * block, end = std::min(size, begin + block);
            run_range_for<Arch>(to_bf16, begin, end);
            run_range_for<Arch>(to_f16, begin, end);
          }
          INFO(name << ": draws in pieces of " << piece << ", blocks of " << block << ", " << threads << " threads");
          std::size_t differ = 0;
          for (std::size_t k = 0; k < size; ++k)
            differ += bf16[k].bits != reference_bf16[k] || f16[k].bits != reference_f16[k];
          CHECK(differ == 0);
        }
    }
  };
  check_arch(arch_tag<scalar_arch>{}, "scalar");
  for_each_compiled_arch(check_arch);
}

TEST_CASE("Stochastic rounding: NaN, Inf, zeros, subnormals and overflow", "[stochastic_rounding]") {
  const std::vector<std::uint32_t> words = {0u, 1u, 0x1FFFu, 0x8000u, 0xFFFFu, 0x1FFFFFu, 0x12345678u, 0xFFFFFFFFu};
  for (std::uint32_t random : words) {
    INFO("random 0x" << std::hex << random);
    // NaN: the quiet NaN with the sign, whatever its payload (one in the low
    // half alone would truncate to Inf; 0x7FFFFFFF plus a carry would flip the sign).
    for (std::uint32_t nan : {0x7FC00000u, 0x7F800001u, 0x7FFFFFFFu, 0x7FBFFFFFu})
      for (std::uint32_t sign : {0u, 0x80000000u}) {
        CHECK(stochastic_round_to_bf16(float_of(nan | sign), random) == ((sign >> 16) | 0x7FC0u));
        CHECK(stochastic_round_to_f16(float_of(nan | sign), random) == ((sign >> 16) | 0x7E00u));
      }
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(stochastic_round_to_bf16(inf, random) == 0x7F80);
    CHECK(stochastic_round_to_bf16(-inf, random) == 0xFF80);
    CHECK(stochastic_round_to_f16(inf, random) == 0x7C00);
    CHECK(stochastic_round_to_f16(-inf, random) == 0xFC00);
    CHECK(stochastic_round_to_bf16(0.0f, random) == 0x0000);
    CHECK(stochastic_round_to_bf16(-0.0f, random) == 0x8000);
    CHECK(stochastic_round_to_f16(0.0f, random) == 0x0000);
    CHECK(stochastic_round_to_f16(-0.0f, random) == 0x8000);
    // Exact values are kept: the largest finite values, the smallest subnormals.
    CHECK(stochastic_round_to_bf16(float_of(0x7F7F0000u), random) == 0x7F7F);
    CHECK(stochastic_round_to_bf16(float_of(0x00010000u), random) == 0x0001);
    CHECK(stochastic_round_to_f16(65504.0f, random) == 0x7BFF);
    CHECK(stochastic_round_to_f16(-std::ldexp(1.0f, -24), random) == 0x8001);
    CHECK(stochastic_round_to_f16(std::ldexp(1.0f, -14), random) == 0x0400);
    // At and beyond 2^16 always Inf for fp16; float32's subnormals always 0.
    CHECK(stochastic_round_to_f16(65536.0f, random) == 0x7C00);
    CHECK(stochastic_round_to_f16(-1e30f, random) == 0xFC00);
    CHECK(stochastic_round_to_f16(std::numeric_limits<float>::max(), random) == 0x7C00);
    CHECK(stochastic_round_to_f16(float_of(0x007FFFFFu), random) == 0x0000);
    CHECK(stochastic_round_to_f16(-std::ldexp(1.0f, -46), random) == 0x8000);
  }
  // Which words carry: bf16 rounds up when the low 16 bits of the word reach
  // the step minus the low half of x; fp16 normals likewise with 13 bits.
  CHECK(stochastic_round_to_bf16(float_of(0x3F80C000u), 0x3FFFu) == 0x3F80);
  CHECK(stochastic_round_to_bf16(float_of(0x3F80C000u), 0x4000u) == 0x3F81);
  CHECK(stochastic_round_to_bf16(float_of(0x3F80C000u), 0xFFFF0000u) == 0x3F80);  // the high half is unused
  CHECK(stochastic_round_to_f16(1.0f + std::ldexp(1.0f, -11), 0x0FFFu) == 0x3C00);  // half a step
  CHECK(stochastic_round_to_f16(1.0f + std::ldexp(1.0f, -11), 0x1000u) == 0x3C01);
  // Overflow: finite values beyond the largest finite 16-bit value go to Inf
  // only by the carry, with probability their distance over the step.
  CHECK(stochastic_round_to_bf16(std::numeric_limits<float>::max(), 0x0000u) == 0x7F7F);
  CHECK(stochastic_round_to_bf16(std::numeric_limits<float>::max(), 0x0001u) == 0x7F80);
  CHECK(stochastic_round_to_f16(65504.0f + 8.0f, 0x17FFu) == 0x7BFF);  // 8/32 of the step: up from 0x1800
  CHECK(stochastic_round_to_f16(65504.0f + 8.0f, 0x1800u) == 0x7C00);
  // fp16 subnormals: 3.5 steps of 2^-24 round up when the 16-bit draw
  // reaches half of 2^16; just below 2^-14 the carry gives 2^-14 itself.
  CHECK(stochastic_round_to_f16(std::ldexp(3.5f, -24), 0x7FFFu) == 0x0003);
  CHECK(stochastic_round_to_f16(std::ldexp(3.5f, -24), 0x8000u) == 0x0004);
  CHECK(stochastic_round_to_f16(std::ldexp(3.5f, -24), 0xFFFF0000u) == 0x0003);  // the high half is unused
  CHECK(stochastic_round_to_f16(float_of(0x387FFFFFu), 0xFFFFu) == 0x0400);
  CHECK(stochastic_round_to_f16(float_of(0x387FFFFFu), 0u) == 0x03FF);
  // The documented truncation below 2^-17: 2^-40 rounds up only for the
  // largest draw (probability 2^-16, as |x| / 2^-24 says), 2^-41 never.
  CHECK(stochastic_round_to_f16(std::ldexp(1.0f, -40), 0xFFFEu) == 0x0000);
  CHECK(stochastic_round_to_f16(std::ldexp(1.0f, -40), 0xFFFFu) == 0x0001);
  CHECK(stochastic_round_to_f16(std::ldexp(1.0f, -41), 0xFFFFu) == 0x0000);
}

}  // namespace
