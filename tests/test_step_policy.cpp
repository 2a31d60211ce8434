// Step policies (loss scaling, skipping non-finite gradients, clipping,
// flushing denormals) against the reference fed with gradients transformed
// beforehand, on every setting; and calls from many threads at once.
#include <cmath>
#include <limits>
#include <thread>

#include <omp.h>
#include <xmmintrin.h>

#include <catch2/catch.hpp>

#include "inertia/error.hpp"
#include "inertia/aggmo.hpp"
#include "inertia/lion.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/qhm.hpp"
#include "inertia/signum.hpp"
#include "reference/heavy_ball.hpp"
#include "reference/lars.hpp"
#include "support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

const std::vector<std::size_t> model_sizes = {0, 1, 33, 5000, 70001, 7};

template <class T>
struct model {
  std::vector<buffers<T>> tensors;
  std::vector<heavy_ball_tensor<T>> views;
  explicit model(std::uint64_t seed) {
    for (std::size_t k = 0; k < model_sizes.size(); ++k)
      tensors.push_back(random_buffers<T>(3, model_sizes[k], k % 3, seed + k));
    for (auto& t : tensors) views.push_back({t[0], t[1], t[2]});
  }
};

/// The step the policy must equal: the reference, fed g' = clamp((g / s) * c).
template <class T>
void reference_step(model<T>& m, const heavy_ball_options& o, const step_policy& p, double clip_coefficient) {
  for (auto& t : m.tensors) {
    std::vector<T> g(t[1].begin(), t[1].end());
    for (T& x : g) {
      if (p.grad_scale != 1.0) x = x / T(p.grad_scale);
      if (clip_coefficient != 1.0) x = x * T(clip_coefficient);
      if (p.clip_value > 0) x = x < T(-p.clip_value) ? T(-p.clip_value) : (x > T(p.clip_value) ? T(p.clip_value) : x);
    }
    reference::heavy_ball(t[0].data(), g.data(), t[2].data(), t.size(), o, false);
  }
}

template <class T>
bool same(model<T>& a, model<T>& b) {
  for (std::size_t k = 0; k < a.tensors.size(); ++k)
    for (std::size_t s = 0; s < 3; ++s)
      if (!bitwise_equal<T>(a.tensors[k][s], b.tensors[k][s])) return false;
  return true;
}

template <class T>
double global_norm(model<T>& m, double grad_scale) {
  double squares = 0.0;  // each tensor's chunk sums in order, then tensors in order: the documented order
  for (auto& t : m.tensors) squares += reference::lars_sum_squares(t[1].data(), t.size());
  return std::sqrt(squares) / grad_scale;
}

}  // namespace

TEMPLATE_TEST_CASE("step policies equal the reference on transformed gradients, on every setting", "[policy]", float,
                   double) {
  using T = TestType;
  const heavy_ball_options o{0.1, 0.9, 0.0, 0.01, false, false};
  const std::vector<step_policy> policies = {
      {1024.0, false, 0.0, 0.0, false},  // AMP unscaling
      {1.0, false, 0.5, 0.0, false},     // clip by value
      {1.0, false, 0.0, 1.0, false},     // clip by global norm (clips: the norm is ~1e3)
      {65536.0, true, 1e-4, 1e-3, false},  // all at once
      {1.0, false, 0.0, 1e12, false},    // a norm limit that does not clip
  };
  for (const auto& p : policies)
    for (const setting& s : settings_for<T>(1000)) {
      model<T> actual(3), expected(3);
      std::vector<heavy_ball_group<T>> groups = {{o, actual.views, 1}};
      arch_scope forced(s.target);
      const step_report report = heavy_ball_step(std::span(groups), p, s.exec);
      REQUIRE_FALSE(report.skipped);
      double coefficient = 1.0;
      if (p.max_norm > 0) {
        const double norm = global_norm(expected, p.grad_scale);
        REQUIRE(report.grad_norm == norm);  // bit-identical on every target and thread count
        if (norm > p.max_norm) coefficient = p.max_norm / (norm + 1e-6);
      } else {
        REQUIRE(std::isnan(report.grad_norm));
      }
      reference_step(expected, o, p, coefficient);
      INFO(s.describe() << " | grad_scale " << p.grad_scale << " clip_value " << p.clip_value << " max_norm "
                        << p.max_norm);
      REQUIRE(same(actual, expected));
      REQUIRE(groups[0].step == 2);
    }
}

TEMPLATE_TEST_CASE("a non-finite gradient anywhere skips the whole step and writes nothing", "[policy]", float,
                   double) {
  using T = TestType;
  for (T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                -std::numeric_limits<T>::infinity()})
    for (const setting& s : settings_for<T>(1000)) {
      model<T> actual(5), before(5);
      actual.tensors[4][1][70000] = bad;  // the last element of the largest tensor
      before.tensors[4][1][70000] = bad;
      std::vector<heavy_ball_group<T>> groups = {{{0.1, 0.9}, actual.views, 3}};
      arch_scope forced(s.target);
      const step_report report = heavy_ball_step(std::span(groups), step_policy{.skip_non_finite = true}, s.exec);
      REQUIRE(report.skipped);
      REQUIRE(same(actual, before));
      REQUIRE(groups[0].step == 3);
    }
}

TEST_CASE("without the policy a NaN gradient propagates, as in PyTorch", "[policy]") {
  model<float> m(5);
  m.tensors[2][1][7] = std::numeric_limits<float>::quiet_NaN();
  std::vector<heavy_ball_group<float>> groups = {{{0.1, 0.9}, m.views, 1}};
  REQUIRE_FALSE(heavy_ball_step(std::span(groups), step_policy{}).skipped);
  REQUIRE(std::isnan(m.tensors[2][0][7]));
  REQUIRE(std::isnan(m.tensors[2][2][7]));
  REQUIRE_FALSE(std::isnan(m.tensors[2][0][8]));
}

TEST_CASE("flush_denormals flushes within the call and restores the caller's floating-point mode",
          "[policy][denormals]") {
  // Control bits only: the six exception flags are sticky and any arithmetic
  // (the call's own validation included) may raise "inexact".
  constexpr unsigned control = ~0x3Fu;
  // A buffer decaying toward zero: 1e-38f * 0.5 is subnormal in float.
  std::vector<float> w(64, 0.0f), g(64, 0.0f), v(64, 1e-38f);
  std::vector<velocity_tensor<float>> tensors = {{w, g, v}};
  std::vector<sutskever_group<float>> groups = {{{0.1, 0.5}, tensors, 1}};
  const unsigned before = _mm_getcsr();
  sutskever_step(std::span(groups), step_policy{.flush_denormals = true}, execution{2, 64, 1});
  REQUIRE((_mm_getcsr() & control) == (before & control));
  for (float x : v) REQUIRE(x == 0.0f);  // flushed
  std::fill(v.begin(), v.end(), 1e-38f);
  sutskever_step(std::span(groups), step_policy{}, execution{2, 64, 1});
  for (float x : v) REQUIRE(std::fpclassify(x) == FP_SUBNORMAL);  // kept by default
}

TEST_CASE("bad policies are refused before anything is written", "[policy][validation]") {
  model<float> m(1), before(1);
  std::vector<heavy_ball_group<float>> groups = {{{0.1, 0.9}, m.views, 1}};
  const auto refused = [&](step_policy p, const char* argument) {
    try {
      heavy_ball_step(std::span(groups), p);
      FAIL("accepted a bad " << argument);
    } catch (const inertia::invalid_argument& error) {
      REQUIRE(error.argument() == argument);
    }
    REQUIRE(same(m, before));
  };
  refused({.grad_scale = 0.0}, "grad_scale");
  refused({.grad_scale = std::nan("")}, "grad_scale");
  refused({.clip_value = -1.0}, "clip_value");
  refused({.max_norm = std::numeric_limits<double>::infinity()}, "max_norm");
}

TEST_CASE("steps from many threads at once, and from inside a parallel region, are correct", "[concurrency]") {
  constexpr int callers = 8;
  std::vector<buffers<float>> actual, expected;
  for (int k = 0; k < callers; ++k) {
    actual.push_back(random_buffers<float>(3, 50000 + k, k % 3, 90 + k));
    expected.push_back(actual.back().clone());
  }
  const heavy_ball_options o{0.1, 0.9, 0.0, 1e-4, true, false};
  std::vector<std::thread> threads;
  for (int k = 0; k < callers; ++k)
    threads.emplace_back([&, k] {
      for (int step = 0; step < 20; ++step)
        heavy_ball_step(actual[k][0], std::span<const float>(actual[k][1]), actual[k][2], o, step + 1, {},
                        execution{2, 0, 1});
    });
  for (auto& t : threads) t.join();
#pragma omp parallel for num_threads(4)
  for (int k = 0; k < callers; ++k)  // inside a region: each call stays on its thread
    heavy_ball_step(actual[k][0], std::span<const float>(actual[k][1]), actual[k][2], o, 2);
  for (int k = 0; k < callers; ++k) {
    for (int step = 0; step < 21; ++step)
      reference::heavy_ball(expected[k][0].data(), expected[k][1].data(), expected[k][2].data(), expected[k].size(), o,
                            step == 0);
    REQUIRE(bitwise_equal<float>(actual[k][0], expected[k][0]));
    REQUIRE(bitwise_equal<float>(actual[k][2], expected[k][2]));
  }
}

namespace {

/// One group of three {param, grad, velocity} tensors with a NaN in the last
/// gradient: the policy must skip the step and write nothing; without the
/// NaN it must step and advance the counter.
template <class Options, class Step>
void require_velocity_variant_skips(const Options& options, Step step) {
  std::vector<buffers<float>> data;
  std::vector<velocity_tensor<float>> tensors;
  for (int k = 0; k < 3; ++k) data.push_back(random_buffers<float>(3, 100 + k, k, 300 + k));
  for (auto& b : data) tensors.push_back({b[0], b[1], b[2]});
  data[2][1][101] = std::numeric_limits<float>::quiet_NaN();
  std::vector<buffers<float>> before;
  for (auto& b : data) before.push_back(b.clone());
  std::vector<param_group<Options, velocity_tensor<float>>> groups = {{options, tensors, 4}};
  REQUIRE(step(std::span(groups), step_policy{.skip_non_finite = true}).skipped);
  for (std::size_t k = 0; k < data.size(); ++k)
    for (std::size_t s = 0; s < 3; ++s) REQUIRE(bitwise_equal<float>(data[k][s], before[k][s]));
  REQUIRE(groups[0].step == 4);
  data[2][1][101] = 0.5f;
  REQUIRE_FALSE(step(std::span(groups), step_policy{.skip_non_finite = true}).skipped);
  REQUIRE(groups[0].step == 5);
  REQUIRE_FALSE(bitwise_equal<float>(data[0][0], before[0][0]));
}

}  // namespace

TEST_CASE("qhm, lion, signum and aggmo take step policies too", "[policy]") {
  require_velocity_variant_skips(qhm_options{}, [](auto g, const step_policy& p) { return qhm_step(g, p); });
  require_velocity_variant_skips(lion_options{}, [](auto g, const step_policy& p) { return lion_step(g, p); });
  require_velocity_variant_skips(signum_options{}, [](auto g, const step_policy& p) { return signum_step(g, p); });
  // AggMo: K velocities per tensor.
  auto data = random_buffers<float>(5, 64, 1, 77);
  const std::span<float> velocities[3] = {data[2], data[3], data[4]};
  std::vector<aggmo_tensor<float>> tensors = {{data[0], data[1], velocities}};
  data[1][63] = std::numeric_limits<float>::infinity();
  auto before = data.clone();
  std::vector<aggmo_group<float>> groups = {{aggmo_options{}, tensors, 0}};
  REQUIRE(aggmo_step(std::span(groups), step_policy{.skip_non_finite = true}).skipped);
  for (std::size_t s = 0; s < 5; ++s) REQUIRE(bitwise_equal<float>(data[s], before[s]));
}
