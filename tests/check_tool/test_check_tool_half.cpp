// inertia-check on bfloat16 and float16 trajectories, run as a user runs it.
//
// The expected trajectories are computed here, not asked of the library: a
// plain scalar loop in float, written from the equations in
// include/inertia/heavy_ball.hpp and adam.hpp (numerics pytorch_fused: torch
// 2.x's fused CPU kernels), that rounds every stored buffer to the 16-bit type
// after each step, as torch's fused optimizers do on bf16/fp16 tensors (load
// widened to float, float math, store rounded to nearest even). The rounding
// is built from std::nearbyint and std::ldexp on the value, not from bits,
// and none of the library's conversions is used. Then the recordings of torch
// 2.15 itself (tests/data/torch2_half.json) replay through the tool.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../torch2_golden_support.hpp"  // splitmix_values: the torch goldens' inputs
#include "check/ulp.hpp"
#include "check_tool_support.hpp"

namespace {

using namespace inertia::check_tool_test;

/// A 16-bit floating-point format by its parameters.
struct half_format {
  const char* name;
  int mantissa_bits;  ///< stored, without the implicit bit
  int min_exponent;   ///< of the smallest normal value
  double max_finite;
};
constexpr half_format bf16{"bfloat16", 7, -126, 0x1.fep127};
constexpr half_format fp16{"float16", 10, -14, 65504.0};

/// The spacing of the format's values at |x| (x finite, not 0): subnormals share the smallest normal binade's.
double quantum(const half_format& f, double x) {
  return std::ldexp(1.0, std::max(std::ilogb(x), f.min_exponent) - f.mantissa_bits);
}

/// x rounded to the nearest value of the format, ties to even (nearbyint's default mode; the scaling by a
/// power of two is exact), overflowing to infinity past the largest finite value as IEEE rounding does.
double round_to(const half_format& f, double x) {
  if (x == 0 || !std::isfinite(x)) return x;
  const double q = quantum(f, x);
  const double r = std::nearbyint(x / q) * q;
  return std::fabs(r) > f.max_finite ? std::copysign(INFINITY, x) : r;
}

/// Stored in the format and widened back: what the step keeps in a 16-bit buffer.
float stored(const half_format& f, float x) { return static_cast<float>(round_to(f, x)); }

/// The value one step further from zero (x a non-zero value of the format): 1 ULP.
double one_ulp_out(const half_format& f, double x) { return std::copysign(std::fabs(x) + quantum(f, std::fabs(x)), x); }

/// The value of a 16-bit pattern, from the format's definition.
double value_of(const half_format& f, std::uint16_t bits) {
  const int exponent_bits = 15 - f.mantissa_bits, bias = (1 << (exponent_bits - 1)) - 1;
  const int e = (bits >> f.mantissa_bits) & ((1 << exponent_bits) - 1);
  const int m = bits & ((1 << f.mantissa_bits) - 1);
  const double sign = bits & 0x8000 ? -1.0 : 1.0;
  if (e == (1 << exponent_bits) - 1) return m ? NAN : sign * INFINITY;
  if (e == 0) return sign * std::ldexp(m, 1 - bias - f.mantissa_bits);
  return sign * std::ldexp((1 << f.mantissa_bits) + m, e - bias - f.mantissa_bits);
}

/// The 16-bit pattern of a finite value of the format (the inverse of value_of).
std::uint16_t bits_of(const half_format& f, double x) {
  const int exponent_bits = 15 - f.mantissa_bits, bias = (1 << (exponent_bits - 1)) - 1;
  const std::uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double a = std::fabs(x);
  if (a == 0) return sign;
  const int e = std::max(std::ilogb(a), f.min_exponent);
  const auto scaled = static_cast<std::uint32_t>(std::ldexp(a, f.mantissa_bits - e));  // exact: a is a value
  const bool normal = std::ilogb(a) >= f.min_exponent;
  const std::uint32_t mantissa = normal ? scaled - (1u << f.mantissa_bits) : scaled;
  return static_cast<std::uint16_t>(sign | (normal ? (e + bias) << f.mantissa_bits : 0) | mantissa);
}

/// Inputs in [-1, 1) (the torch goldens' splitmix64 values), each times scale[i % 3], rounded to the format.
std::vector<float> inputs(const half_format& f, std::uint64_t seed, std::size_t count,
                          const std::vector<double>& scale = {1.0}) {
  const std::vector<double> raw = inertia::test::splitmix_values(seed, count);
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(round_to(f, raw[i] * scale[i % scale.size()]));
  return out;
}

json array_of(const std::vector<float>& v) {
  json out = json::array();
  for (float x : v) out.push_back(static_cast<double>(x));  // exact: the shortest round-trip form of the double
  return out;
}

/// 37 elements: the fused kernels' tail is the last 37 % K = 5 for K = 8, 16 and 32 alike.
constexpr std::size_t elements = 37, step_count = 8;
constexpr std::size_t fused_tail = 5;

/// torch.optim.SGD(fused=True), momentum 0.9, nesterov, weight decay 0.01, on `f` parameters; the momentum
/// buffer in `f` or, with state_float32, kept in float (state_dtype "float32").
json heavy_ball_case(const half_format& f, bool state_float32) {
  const double momentum = 0.9, dampening = 0.0, weight_decay = 0.01;
  std::vector<float> w = inputs(f, 11, elements), v(elements);
  json c = {{"name", std::string("heavy_ball ") + f.name},
            {"variant", "heavy_ball"},
            {"dtype", f.name},
            {"numerics", "pytorch_fused"},
            {"hyperparameters", {{"momentum", momentum}, {"nesterov", true}, {"weight_decay", weight_decay}}},
            {"lr", json::array()},
            {"initial", {{"param", array_of(w)}}},
            {"steps", json::array()}};
  if (state_float32) c["state_dtype"] = "float32";
  for (std::size_t s = 0; s < step_count; ++s) {
    const double lr = 0.05 * (1.0 - 0.1 * static_cast<double>(s));
    const std::vector<float> g = inputs(f, 100 + s, elements, {1.0, 0.25, 4.0});
    for (std::size_t i = 0; i < elements; ++i) {
      float d = std::fma(static_cast<float>(weight_decay), w[i], g[i]);
      const float one_minus_dampening = static_cast<float>(1.0 - dampening);
      const float buffer = s == 0 ? d
                           : i < elements - fused_tail
                               ? std::fma(one_minus_dampening, d, v[i] * static_cast<float>(momentum))
                               : std::fma(v[i], static_cast<float>(momentum), d * one_minus_dampening);
      d = std::fma(static_cast<float>(momentum), buffer, d);  // nesterov: the step reads the float buffer
      w[i] = stored(f, std::fma(static_cast<float>(-lr), d, w[i]));
      v[i] = state_float32 ? buffer : stored(f, buffer);
    }
    c["lr"].push_back(lr);
    c["steps"].push_back({{"grad", array_of(g)}, {"param", array_of(w)}, {"momentum_buffer", array_of(v)}});
  }
  return c;
}

/// torch.optim.Adam(fused=True), weight decay 0.01, on `f` parameters and state. Gradients at three scales
/// (1, 1/32, 1/1024), so that in float16 exp_avg_sq holds subnormals and zeros. With params_float32, the
/// parameters and gradients are float32 and only the state is in `f` (state_dtype: Adam's moments in 16 bits).
json adam_case(const half_format& f, bool params_float32 = false) {
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
  // float32 parameters: the inputs are float32 numbers, and a stored param is the float itself
  const half_format& pf = params_float32 ? half_format{"float32", 23, -126, 0x1.fffffep127} : f;
  std::vector<float> w = inputs(pf, 12, elements), m(elements), v(elements);
  json c = {{"name", std::string("adam ") + pf.name + (params_float32 ? std::string(", state ") + f.name : "")},
            {"variant", "adam"},
            {"dtype", pf.name},
            {"hyperparameters", {{"numerics", "pytorch_fused"}, {"weight_decay", weight_decay}}},
            {"lr", json::array()},
            {"initial", {{"param", array_of(w)}}},
            {"steps", json::array()}};
  if (params_float32) c["state_dtype"] = f.name;
  for (std::size_t s = 0; s < step_count; ++s) {
    const double lr = 0.01, t = static_cast<double>(s + 1);
    const double c1 = 1.0 - std::pow(beta1, t), c2 = 1.0 - std::pow(beta2, t);  // per step, in double
    const float step_size = static_cast<float>(-lr / c1), root_c2 = static_cast<float>(std::sqrt(c2));
    const float lerp_weight = static_cast<float>(1.0 - beta1), b2 = static_cast<float>(beta2),
                one_minus_b2 = static_cast<float>(1.0 - beta2);
    const std::vector<float> g = inputs(pf, 200 + s, elements, {1.0, 1.0 / 32, 1.0 / 1024});
    for (std::size_t i = 0; i < elements; ++i) {
      const float grad = std::fma(static_cast<float>(weight_decay), w[i], g[i]);
      const float exp_avg = std::fabs(lerp_weight) < 0.5f ? std::fma(lerp_weight, grad - m[i], m[i])
                                                          : std::fma(lerp_weight - 1.0f, grad - m[i], grad);
      const float exp_avg_sq = i < elements - fused_tail ? std::fma(one_minus_b2 * grad, grad, v[i] * b2)
                                                         : std::fma(v[i], b2, (one_minus_b2 * grad) * grad);
      const float denom = std::sqrt(exp_avg_sq) / root_c2 + static_cast<float>(eps);
      w[i] = stored(pf, w[i] + (step_size * exp_avg) / denom);
      m[i] = stored(f, exp_avg);
      v[i] = stored(f, exp_avg_sq);
    }
    c["lr"].push_back(lr);
    c["steps"].push_back(
        {{"grad", array_of(g)}, {"param", array_of(w)}, {"exp_avg", array_of(m)}, {"exp_avg_sq", array_of(v)}});
  }
  return c;
}

json document(json c) {
  return {{"format", "inertia-trajectory"}, {"version", 1}, {"source", "test_check_tool_half.cpp"},
          {"cases", json::array({std::move(c)})}};
}


void expect_one_line_error(const std::vector<std::string>& args, const std::string& message) {
  const auto r = run(args);
  INFO(r.output);
  REQUIRE(r.status == 2);
  REQUIRE(r.output.find(message) != std::string::npos);
  REQUIRE(std::count(r.output.begin(), r.output.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("the ULP distance among bfloat16 and float16 values", "[check-tool][half]") {
  using inertia::bfloat16;
  using inertia::float16;
  using inertia::check::ulp_distance;
  using inertia::check::unbounded_ulp;
  const auto b = [](std::uint16_t bits) { return bfloat16{bits}; };
  const auto h = [](std::uint16_t bits) { return float16{bits}; };
  REQUIRE(ulp_distance(b(0x3F80), b(0x3F81)) == 1);        // 1 and the next bfloat16
  REQUIRE(ulp_distance(b(0x0000), b(0x8000)) == 0);        // +0 == -0
  REQUIRE(ulp_distance(b(0x0001), b(0x8001)) == 2);        // the smallest subnormals, either side of 0
  REQUIRE(ulp_distance(b(0x7F7F), b(0x7F80)) == 1);        // the largest finite and infinity
  REQUIRE(ulp_distance(b(0x3F80), b(0xBF80)) == 2 * 0x3F80);
  REQUIRE(ulp_distance(b(0x7FC0), b(0x3F80)) == unbounded_ulp);
  REQUIRE(ulp_distance(b(0x7FC0), b(0xFFC1)) == 0);        // two NaNs
  REQUIRE(ulp_distance(h(0x3C00), h(0x3C01)) == 1);
  REQUIRE(ulp_distance(h(0x0001), h(0x8001)) == 2);
  REQUIRE(ulp_distance(h(0x03FF), h(0x0400)) == 1);        // the largest subnormal and the smallest normal
  REQUIRE(ulp_distance(h(0x7BFF), h(0x7C00)) == 1);        // 65504 and infinity
  REQUIRE(ulp_distance(h(0x7C01), h(0x0000)) == unbounded_ulp);
  // One measure: a bfloat16 is the float whose low 16 bits are 0, so float32's distance between two of them
  // is exactly 2^16 times bfloat16's, for any pair (the float32 measure's sign and zero conventions included).
  for (std::uint32_t a = 0; a < 0x10000; a += 0x0FED)
    for (std::uint32_t c = 0; c < 0x10000; c += 0x1357) {
      if (value_of(bf16, static_cast<std::uint16_t>(a)) != value_of(bf16, static_cast<std::uint16_t>(a)) ||
          value_of(bf16, static_cast<std::uint16_t>(c)) != value_of(bf16, static_cast<std::uint16_t>(c)))
        continue;  // NaN
      float x, y;
      const std::uint32_t xa = a << 16, yc = c << 16;
      std::memcpy(&x, &xa, 4);
      std::memcpy(&y, &yc, 4);
      INFO(std::hex << a << " " << c);
      REQUIRE(ulp_distance(x, y) ==
              (ulp_distance(b(static_cast<std::uint16_t>(a)), b(static_cast<std::uint16_t>(c))) << 16));
    }
}

TEST_CASE("bfloat16 and float16 trajectories of an independent float reference replay at 0 ULP", "[check-tool][half]") {
  struct expected_case {
    json c;
    std::size_t arrays;  // compared per step: param and each state buffer
  };
  for (const auto& [c, arrays] : {expected_case{heavy_ball_case(bf16, false), 2}, expected_case{heavy_ball_case(fp16, false), 2},
                                  expected_case{adam_case(bf16), 3}, expected_case{adam_case(fp16), 3}}) {
    INFO(c["name"]);
    const json doc = document(c);
    const json r = report_of(doc, "half_reference.json", 0);
    const json& rc = r["cases"][0];
    REQUIRE(rc["dtype"] == c["dtype"]);
    REQUIRE(rc["state_dtype"] == c["dtype"]);
    REQUIRE(rc["max_ulp"] == 0);
    REQUIRE(rc["histogram"]["0"] == step_count * elements * arrays);  // every element of every array compared
    // The trajectory moved: the last parameter is not the first.
    REQUIRE(c["steps"][step_count - 1]["param"] != c["initial"]["param"]);
    // Every target this machine runs, and threads that split the 37 elements.
    for (const char* arch : {"scalar", "avx2", "avx512f", "avx512bf16"}) {
      const auto t = run({scratch("half_reference.json").string(), "--arch", arch, "--threads", "3"});
      INFO(arch << "\n" << t.output);
      REQUIRE((t.status == 0 || (t.status == 2 && t.output.find("not supported") != std::string::npos)));
    }
    // The same numbers replayed as float32 (each is a float32 number too) are not this trajectory: the
    // 16-bit rounding of every stored value is what makes it 0 ULP.
    json as_float32 = doc;
    as_float32["cases"][0]["dtype"] = "float32";
    report_of(as_float32, "half_as_float32.json", 1);
  }
  // In float16 the gradients at 1/1024 leave exp_avg_sq subnormal or zero: the case reaches those values.
  const json adam = adam_case(fp16);
  std::size_t subnormal = 0;
  for (const auto& x : adam["steps"][step_count - 1]["exp_avg_sq"])
    subnormal += x.get<double>() > 0 && x.get<double>() < 0x1p-14;
  REQUIRE(subnormal > 0);
}

TEST_CASE("one recorded bfloat16 or float16 value 1 ULP off fails at that step, counted in the 16-bit type",
          "[check-tool][half]") {
  struct nudge {
    json c;
    half_format f;
    const char* key;
    std::size_t step, element;
  };
  const json adam = adam_case(fp16);
  // a subnormal exp_avg_sq element of float16 at step 6: the count crosses no binade's rule
  std::size_t subnormal = elements;
  for (std::size_t i = 0; i < elements && subnormal == elements; ++i) {
    const double x = adam["steps"][5]["exp_avg_sq"][i].get<double>();
    if (x > 0 && x < 0x1p-14) subnormal = i;
  }
  REQUIRE(subnormal < elements);
  for (const nudge& p : {nudge{heavy_ball_case(bf16, false), bf16, "param", 3, 5},
                         nudge{heavy_ball_case(bf16, false), bf16, "momentum_buffer", 6, elements - 1},  // in the tail
                         nudge{adam, fp16, "exp_avg_sq", 5, subnormal}, nudge{adam_case(fp16), fp16, "param", 7, 20}}) {
    INFO(p.c["name"] << ": " << p.key << " at step " << p.step + 1 << "[" << p.element << "]");
    json doc = document(p.c);
    json& x = doc["cases"][0]["steps"][p.step][p.key][p.element];
    REQUIRE(x.get<double>() != 0);
    x = one_ulp_out(p.f, x.get<double>());
    const json r = report_of(doc, "half_nudged.json", 1);
    const json& rc = r["cases"][0];
    REQUIRE(rc["first_failing_step"] == p.step + 1);
    REQUIRE(rc["max_ulp"] == 1);  // one bfloat16 or float16 step, not 2^13 or 2^16 float32 ones
    for (const auto& s : rc["steps"]) REQUIRE(s["passed"] == (s["step"] != p.step + 1));
    const json& moved = std::string(p.key) == "param" ? rc["steps"][p.step]["param"] : rc["steps"][p.step]["states"][p.key];
    REQUIRE(moved["max_ulp"] == 1);
    REQUIRE(moved["worst_index"] == p.element);
    REQUIRE(moved["out_of_tolerance"] == 1);
    REQUIRE(run({scratch("half_nudged.json").string(), "--max-ulp", "1"}).status == 0);
  }
}

TEST_CASE("state_dtype bfloat16: float32 Adam parameters with bfloat16 moments", "[check-tool][half]") {
  const json c = adam_case(bf16, true);
  const json r = report_of(document(c), "half_state_bfloat16.json", 0);
  REQUIRE(r["cases"][0]["dtype"] == "float32");
  REQUIRE(r["cases"][0]["state_dtype"] == "bfloat16");
  REQUIRE(r["cases"][0]["histogram"]["0"] == step_count * elements * 3);
  // The moments are compared in bfloat16: one bfloat16 step off is 1 ULP.
  json doc = document(c);
  json& x = doc["cases"][0]["steps"][3]["exp_avg"][7];
  REQUIRE(x.get<double>() != 0);
  x = one_ulp_out(bf16, x.get<double>());
  REQUIRE(report_of(doc, "half_state_bfloat16.json", 1)["cases"][0]["steps"][3]["states"]["exp_avg"]["max_ulp"] == 1);
}

TEST_CASE("state_dtype float32: bfloat16 and float16 parameters with float32 state", "[check-tool][half]") {
  for (const half_format& f : {bf16, fp16}) {
    INFO(f.name);
    const json c = heavy_ball_case(f, true);
    const json r = report_of(document(c), "half_state_float32.json", 0);
    REQUIRE(r["cases"][0]["state_dtype"] == "float32");
    REQUIRE(r["cases"][0]["histogram"]["0"] == step_count * elements * 2);
    // The float32 buffer holds values no 16-bit type has: compared in float32, one float32 ULP fails.
    json doc = document(c);
    json& x = doc["cases"][0]["steps"][2]["momentum_buffer"][4];
    x = static_cast<double>(std::nextafter(static_cast<float>(x.get<double>()), INFINITY));
    REQUIRE(report_of(doc, "half_state_float32.json", 1)["cases"][0]["steps"][2]["states"]["momentum_buffer"]["max_ulp"] == 1);
    // The same recording read as a 16-bit state is not this trajectory.
    doc = document(c);
    doc["cases"][0].erase("state_dtype");
    report_of(doc, "half_state_float32.json", 1);
  }
}

TEST_CASE("a .npy directory: '<f2' is float16, '<u2' is bfloat16 with --dtype bfloat16", "[check-tool][half]") {
  struct layout {
    half_format f;
    json c;
    const char* state;
    std::string descr;
    std::vector<std::string> extra;
  };
  for (const layout& l : {layout{fp16, adam_case(fp16), "exp_avg_sq", "<f2", {"--variant", "adam", "--set", "weight_decay=0.01",
                                                                           "--numerics", "pytorch_fused"}},
                          layout{bf16, heavy_ball_case(bf16, false), "momentum_buffer", "<u2",
                                 {"--variant", "heavy_ball", "--momentum", "0.9", "--nesterov", "true", "--weight-decay",
                                  "0.01", "--numerics", "pytorch_fused", "--dtype", "bfloat16"}}}) {
    INFO(l.f.name << " as " << l.descr);
    auto bits = [&](const json& values) {
      std::vector<std::uint16_t> out;
      for (const auto& x : values) out.push_back(bits_of(l.f, x.get<double>()));
      return out;
    };
    auto stacked = [&](const char* key) {
      std::vector<std::uint16_t> out;
      for (const auto& s : l.c["steps"])
        for (std::uint16_t x : bits(s[key])) out.push_back(x);
      return out;
    };
    const fs::path dir = scratch(std::string("npy_") + l.f.name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    write_npy(dir / "param0.npy", {elements}, bits(l.c["initial"]["param"]), 1, l.descr);
    write_npy(dir / "grads.npy", {step_count, elements}, stacked("grad"), 1, l.descr);
    write_npy(dir / "params.npy", {step_count, elements}, stacked("param"), 1, l.descr);
    std::vector<std::uint16_t> state = stacked(l.state);
    write_npy(dir / (std::string(l.state) + ".npy"), {step_count, elements}, state, 1, l.descr);
    write_npy(dir / "lr.npy", {step_count}, l.c["lr"].get<std::vector<double>>());
    std::vector<std::string> args = {dir.string()};
    args.insert(args.end(), l.extra.begin(), l.extra.end());
    const auto r = run(args);
    INFO(r.output);
    REQUIRE(r.status == 0);
    REQUIRE(r.output.find(std::string(", ") + l.f.name + ", ") != std::string::npos);  // the case line's dtype
    // One state element 1 ULP off (the next pattern out from zero: one more in the magnitude's bits).
    ++state[4 * elements + 9];
    write_npy(dir / (std::string(l.state) + ".npy"), {step_count, elements}, state, 1, l.descr);
    args.push_back("--json");
    const auto nudged = run(args, false);
    REQUIRE(nudged.status == 1);
    const json rc = json::parse(nudged.output)["cases"][0];
    REQUIRE(rc["first_failing_step"] == 5);
    REQUIRE(rc["max_ulp"] == 1);
  }
  // '<u2' needs --dtype; '<f2' is float16, not bfloat16; a JSON file names its own dtype.
  const std::string u2 = scratch("npy_bfloat16").string(), f2 = scratch("npy_float16").string();
  expect_one_line_error({u2, "--variant", "heavy_ball", "--momentum", "0.9"},
                        "param0.npy: dtype '<u2' holds raw 16-bit patterns; say which type they are with --dtype "
                        "bfloat16");
  expect_one_line_error({u2, "--variant", "heavy_ball", "--momentum", "0.9", "--dtype", "float32"},
                        "not --dtype float32");
  expect_one_line_error({f2, "--variant", "adam", "--dtype", "bfloat16"}, "param0.npy: dtype float16, but --dtype bfloat16");
  save(document(adam_case(fp16)), scratch("half_json.json"));
  expect_one_line_error({scratch("half_json.json").string(), "--dtype", "float16"},
                        "--dtype float16: for a .npy directory only");
}

TEST_CASE("a bad dtype or state_dtype, or a value the dtype cannot hold, is one line and exit 2", "[check-tool][half]") {
  const json c = heavy_ball_case(bf16, false);
  auto with = [&](const std::function<void(json&)>& edit) {
    json doc = document(c);
    edit(doc["cases"][0]);
    save(doc, scratch("half_bad.json"));
    return std::vector<std::string>{scratch("half_bad.json").string()};
  };
  expect_one_line_error(with([](json& x) { x["dtype"] = "bf16"; }),
                        "\"dtype\" must be \"float32\", \"float64\", \"bfloat16\" or \"float16\", found \"bf16\"");
  expect_one_line_error(with([](json& x) { x["dtype"] = 16; }), "\"dtype\" must be");
  expect_one_line_error(with([](json& x) { x["state_dtype"] = "float16"; }),
                        "\"state_dtype\" = \"float16\" with dtype \"bfloat16\"");
  expect_one_line_error(with([](json& x) { x["state_dtype"] = "float64"; }), "\"state_dtype\" = \"float64\"");
  expect_one_line_error(with([](json& x) {
                          x["dtype"] = "float16";
                          x["steps"][2]["grad"][3] = 70000.0;
                        }),
                        "steps[2].grad[3] = 70000: overflows float16");
  expect_one_line_error({scratch("half_bad.json").string(), "--dtype", "bf16"}, "--dtype");
  // A value that is not a bfloat16 is rounded to one and said so (a warning; the replay runs).
  const auto r = run(with([](json& x) { x["initial"]["param"][0] = 0.1; }));
  INFO(r.output);
  REQUIRE(r.output.find("1 values are not bfloat16 numbers and were rounded to nearest even") != std::string::npos);
}

TEST_CASE("torch 2.15's fused SGD, Adam and AdamW on bfloat16 and float16 replay through inertia-check at 0 ULP",
          "[check-tool][half][golden]") {
  // tests/data/torch2_half.json (scripts/golden_torch2_half.py): 30 steps of five tensors per case, only the
  // final bits recorded. As a trajectory: one case per tensor (each steps alone, bit-identical to the
  // group), the inputs regenerated, steps 1 to 29 recorded as null, the last with the final param and state.
  const json golden = load(data("torch2_half.json"));
  const std::size_t steps = golden["steps"];
  // exact: the inputs as the recorder of a bf16/fp16 run writes them, rounded here; otherwise the float32
  // values torch rounded, for the tool to round as torch's .to() did (and warn).
  auto trajectory = [&](bool exact, const std::function<bool(const json&)>& keep) {
    json doc = {{"format", "inertia-trajectory"}, {"version", 1}, {"source", "tests/data/torch2_half.json"},
                {"cases", json::array()}};
    for (const auto& c : golden["cases"]) {
      if (!keep(c)) continue;
      const half_format& f = c["dtype"] == "bfloat16" ? bf16 : fp16;
      const auto& tensors = c["tensors"];
      for (std::size_t k = 0; k < tensors.size(); ++k) {
        const std::size_t n = tensors[k]["n"];
        const std::vector<double> stream =
            inertia::test::splitmix_values(1000 * (c["seed_case"].get<std::uint64_t>() + 1) + k, n * (steps + 1));
        auto values = [&](std::size_t begin) {
          json out = json::array();
          for (std::size_t i = begin; i < begin + n; ++i) out.push_back(exact ? round_to(f, stream[i]) : stream[i]);
          return out;
        };
        auto recorded = [&](const std::string& hex) {
          json out = json::array();
          for (std::size_t i = 0; i < hex.size(); i += 4)
            out.push_back(value_of(f, static_cast<std::uint16_t>(std::stoul(hex.substr(i, 4), nullptr, 16))));
          return out;
        };
        json tc = {{"name", c["variant"].get<std::string>() + " " + c["name"].get<std::string>() + " " +
                                c["dtype"].get<std::string>() + " n=" + std::to_string(n)},
                   {"variant", c["variant"]},
                   {"dtype", c["dtype"]},
                   {"numerics", "pytorch_fused"},
                   {"hyperparameters", c["hyperparameters"]},
                   {"lr", c["hyperparameters"]["lr"]},
                   {"initial", {{"param", values(0)}}},
                   {"steps", json::array()}};
        for (std::size_t s = 0; s < steps; ++s) {
          json step = {{"grad", values(n * (s + 1))}, {"param", nullptr}};
          if (s + 1 == steps) {
            step["param"] = recorded(tensors[k]["param"]);
            for (const auto& [name, hex] : tensors[k]["state"].items()) step[name] = recorded(hex);
          }
          tc["steps"].push_back(std::move(step));
        }
        doc["cases"].push_back(std::move(tc));
      }
    }
    return doc;
  };
  const json all = trajectory(true, [](const json&) { return true; });
  REQUIRE(all["cases"].size() == 16 * 5);
  const fs::path path = scratch("torch2_half_trajectory.json");
  save(all, path);
  const auto r = run({path.string(), "--json"}, false);
  INFO(r.output.substr(0, 2000));
  REQUIRE(r.status == 0);
  const json rep = json::parse(r.output);
  for (const auto& c : rep["cases"]) {
    INFO(c["name"]);
    REQUIRE(c["max_ulp"] == 0);
    const json& last = c["steps"][steps - 1];
    // The final bits were compared: every element of param and of every state buffer.
    REQUIRE(last["states"].size() == c["state_names"].size());
    REQUIRE(last["histogram"]["0"] == c["elements"].get<std::size_t>() * (1 + c["state_names"].size()));
  }
  const auto text = run({path.string()});
  REQUIRE(text.output.find("PASS: 80 of 80 case(s)") != std::string::npos);
  REQUIRE(text.output.find("rounded") == std::string::npos);  // exact inputs: no warning

  // The float32 inputs as torch had them before .to(dtype): the tool rounds them the same way.
  const json unrounded = trajectory(false, [](const json& c) { return c["name"] == "wd0.01_amsgrad_maximize"; });
  save(unrounded, path);
  const auto u = run({path.string()});
  INFO(u.output);
  REQUIRE(u.status == 0);
  REQUIRE(u.output.find("were rounded to nearest even") != std::string::npos);
}
