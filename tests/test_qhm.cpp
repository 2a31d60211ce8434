// qhm (qhoptim's PyTorch QHM) against its reference everywhere; 100-step
// trajectories; the multi-tensor call; the paper's special cases nu = 0
// (plain SGD) and nu = 1 (heavy ball); validation; golden steps from torch.
#include <cmath>

#include <catch2/catch.hpp>

#include "inertia/heavy_ball.hpp"
#include "inertia/qhm.hpp"
#include "multi_tensor_support.hpp"
#include "reference/qhm.hpp"
#include "small_golden.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

std::vector<qhm_options> all_cases() {
  return {{}, {0.5, 0.0, 0.9, 0.0}, {0.05, 1.0, 0.9, 1e-3}, {1.0, 0.7, 0.999, 0.0}, {0.1, 0.3, 0.0, 0.01}};
}

/// The state over many steps: one case with decay, one without (the sweep
/// covers every case's single step).
std::vector<qhm_options> trajectory_cases() { return {{0.05, 1.0, 0.9, 1e-3}, {1.0, 0.7, 0.999, 0.0}}; }

std::string describe(const qhm_options& o) {
  return "qhm lr " + std::to_string(o.lr) + " nu " + std::to_string(o.nu) + " beta " + std::to_string(o.beta) +
         " wd " + std::to_string(o.weight_decay);
}

template <class T>
void step_library(buffers<T>& b, const qhm_options& o, const execution& exec) {
  qhm_step(b[0], std::span<const T>(b[1]), b[2], o, 1, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const qhm_options& o) {
  reference::qhm(b[0].data(), b[1].data(), b[2].data(), b.size(), o);
}

/// Runs `steps` steps of QHM and of heavy_ball from the same start with the
/// same random gradients; returns {qhm param, heavy_ball param, qhm velocity,
/// heavy_ball buffer}.
std::vector<std::vector<double>> qhm_beside_heavy_ball(const qhm_options& q, const heavy_ball_options& h, int steps) {
  constexpr std::size_t n = 1003;
  std::vector<double> w_qhm(n), v(n, 0.0), grad(n), buffer(n, 0.0);
  fill_random<double>(std::span(w_qhm), 3);
  std::vector<double> w_heavy = w_qhm;
  for (int step = 1; step <= steps; ++step) {
    fill_random<double>(std::span(grad), 600 + step);
    qhm_step(std::span(w_qhm), std::span<const double>(grad), std::span(v), q, 1);
    heavy_ball_step(std::span(w_heavy), std::span<const double>(grad), std::span(buffer), h, step);
  }
  return {w_qhm, w_heavy, v, buffer};
}

}  // namespace

TEMPLATE_TEST_CASE("qhm matches the reference bit for bit on every target, thread count and block size", "[qhm]",
                   float, double) {
  require_sweep_matches<TestType>(3, all_cases(), step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("qhm 100-step trajectories stay bit-identical", "[qhm]", float, double) {
  require_trajectories_match<TestType>(3, 1, trajectory_cases(), [](qhm_options o, int) { return o; },
                                       step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("multi-tensor qhm equals stepping each tensor alone, bit for bit", "[qhm][multi_tensor]", float,
                   double) {
  using T = TestType;
  require_groups_match_tensors_alone<T, qhm_tensor<T>>(
      3, 1, qhm_options{0.1, 0.7, 0.999, 1e-3}, qhm_options{0.5, 0.2, 0.9, 0.0},
      [](std::span<qhm_group<T>> g, const execution& e) { qhm_step(g, {}, e); },
      [](buffers<T>& b) { return qhm_tensor<T>{b[0], b[1], b[2]}; },
      [](buffers<T>& b, const qhm_options& o, std::int64_t) { step_reference(b, o); });
}

TEST_CASE("qhm with nu = 0 is plain SGD, bit for bit", "[qhm]") {
  // The momentum term's alpha is -lr * 0 = -0: w + (-0) * v leaves w as it was.
  const auto runs = qhm_beside_heavy_ball({0.05, 0.0, 0.9, 0.01}, {0.05, 0.0, 0.0, 0.01}, 100);
  REQUIRE(bitwise_equal<double>(runs[0], runs[1]));
}

TEST_CASE("qhm with nu = 1 is heavy ball with lr * (1 - beta), bit for bit when 1 - beta is a power of two",
          "[qhm]") {
  // The zero-started EMA velocity is (1 - beta) times PyTorch's buffer at every
  // step, the first included (Ma & Yarats; variants.md 5d). Scaling by a power
  // of two is exact, so with 1 - beta = 2^-k both round the same sums the same
  // way, on random data.
  for (double beta : {0.5, 0.75, 0.9375}) {
    INFO("beta " << beta);
    const double lr = 0.3;
    const auto runs = qhm_beside_heavy_ball({lr, 1.0, beta, 1e-3}, {lr * (1 - beta), beta, 0.0, 1e-3}, 100);
    REQUIRE(bitwise_equal<double>(runs[0], runs[1]));
    for (std::size_t i = 0; i < runs[2].size(); ++i) REQUIRE(runs[2][i] == (1 - beta) * runs[3][i]);
  }
}

TEST_CASE("qhm with nu = 1 and beta = 0.9 stays within rounding of heavy ball", "[qhm]") {
  // 1 - beta = 0.1 is not a power of two, so v and 0.1 * buffer round apart by
  // a few ULP per step; over 100 steps w moves apart by far less than 1e-12
  // relative (about 100 * 4 * 1.1e-16 of the largest term).
  const auto runs = qhm_beside_heavy_ball({0.3, 1.0, 0.9, 0.0}, {0.3 * (1 - 0.9), 0.9, 0.0, 0.0}, 100);
  std::size_t differing = 0;
  for (std::size_t i = 0; i < runs[0].size(); ++i) {
    INFO("element " << i << ": " << runs[0][i] << " vs " << runs[1][i]);
    REQUIRE(std::abs(runs[0][i] - runs[1][i]) <= 1e-12 * std::max(1.0, std::abs(runs[1][i])));
    differing += runs[0][i] != runs[1][i];
  }
  CHECK(differing > 0);  // the orders really differ: otherwise this test belongs with the one above
}

TEST_CASE("qhm rejects bad calls before writing anything", "[qhm][validation]") {
  auto data = random_buffers<float>(3, 20, 2, 8);
  std::span<const float> grad(data[1]);
  auto call = [&](qhm_options o, std::span<float> w, std::span<const float> g, std::span<float> v) {
    return [=] { qhm_step(w, g, v, o, 1); };
  };
  const qhm_options good{};
  require_rejected(data, "lr", error_kind::hyperparameter, call({-1.0, 0.7, 0.9, 0.0}, data[0], grad, data[2]));
  require_rejected(data, "nu", error_kind::hyperparameter, call({0.1, 1.5, 0.9, 0.0}, data[0], grad, data[2]));
  require_rejected(data, "nu", error_kind::hyperparameter, call({0.1, NAN, 0.9, 0.0}, data[0], grad, data[2]));
  require_rejected(data, "beta", error_kind::hyperparameter, call({0.1, 0.7, 1.0, 0.0}, data[0], grad, data[2]));
  require_rejected(data, "weight_decay", error_kind::hyperparameter, call({0.1, 0.7, 0.9, -1e-4}, data[0], grad, data[2]));
  require_rejected(data, "grad", error_kind::length, call(good, data[0], grad.first(3), data[2]));
  require_rejected(data, "velocity", error_kind::length, call(good, data[0], grad, {}));
  require_rejected(data, "velocity", error_kind::overlap, call(good, data[0], grad, data[0]));
  require_rejected(data, "param", error_kind::overlap, call(good, data[0], std::span<const float>(data[0]), data[2]));
}

namespace {

// Recorded by `scripts/golden_momentum_family.py torch`: qhoptim's QHM ops on
// torch 1.13 (CPU capability AVX2), 3 steps of 16 elements from a zero
// velocity. The options of the cases, in order:
const std::vector<qhm_options> golden_options = {{0.1, 0.7, 0.999, 0.0}, {0.05, 0.3, 0.9, 0.01}};

const std::vector<small_golden> torch_golden = {
  // qhm {'lr': 0.1, 'nu': 0.7, 'beta': 0.999, 'weight_decay': 0.0}
  {{-0x1.0ap+9, 0x1.bp-14, 0x1.28p+0, -0x1.02p-2, 0x1.f6p-1, 0x1.08p-1, 0x1.c4p-3, -0x1.12p+0, -0x1.84p-3,
    0x1.06p-2, -0x1.d6p-2, 0x1.bep-2, -0x1.2ap-1, 0x1.a2p-1, 0x1.58p-1, -0x1.acp-4},
   {{-0x1.cp-3, -0x1.1ep-1, 0x1.78p+9, -0x1.32p-18, 0x0p+0, -0x1.bp-2, 0x1.7ap-4, 0x1.ep-2, 0x1.76p-2, 0x1.5cp-1,
     -0x1.4ep-3, 0x1.c8p-6, 0x1.c8p-4, -0x1.72p-1, -0x1.84p-2, 0x1.a2p-2},
    {0x1.3p-1, -0x1.bp-1, -0x1.d6p+9, -0x1.16p-17, 0x0p+0, -0x1.56p-2, 0x1.ep-9, -0x1.3ap-2, 0x1.4cp-1, -0x1.bcp-1,
     -0x1.f8p-2, 0x1.6ep-3, -0x1.9ep-1, 0x1.78p-1, -0x1.3p-1, -0x1.1ap-2},
    {0x1.bep-5, 0x1.04p-2, -0x1.ccp+10, 0x1.ecp-19, 0x0p+0, -0x1.c8p-2, -0x1.c4p-2, 0x1.32p-7, 0x1.e8p-4,
     0x1.bcp-8, -0x1.a2p-1, -0x1.0cp-1, 0x1.3ap-2, 0x1.78p-2, 0x1.06p-1, -0x1.6ep-1}},
   {{-0x1.0a01a6p+9, 0x1.1cdd86p-5, 0x1.f0ca62p+5, -0x1.01ffeep-2, 0x1.f6p-1, 0x1.1a8902p-1, 0x1.d93f6p-3,
     -0x1.1354cp+0, -0x1.c9f5b8p-3, 0x1.0b8798p-2, -0x1.a8a03cp-2, 0x1.c7bdaep-2, -0x1.23f70ap-1, 0x1.9c311cp-1,
     0x1.5f251ap-1, -0x1.6477cep-4},  // float32
    {0x1.c223d6p-12, -0x1.2c8acap-10, -0x1.03a7f6p+1, -0x1.3acb4ep-27, 0x0p+0, -0x1.3a9246p-10, -0x1.6a6ff2p-12,
     0x1.663ae2p-13, 0x1.28994p-10, -0x1.7c09eep-13, -0x1.8193dap-10, -0x1.4c88a2p-12, -0x1.98fc48p-12,
     0x1.8e0e88p-12, -0x1.e1e946p-12, -0x1.316f7ap-11}},
   {{-0x1.0a01a780eace7p+9, 0x1.1cdd8748b583cp-5, 0x1.f0ca63395b799p+5, -0x1.01ffed652d585p-2, 0x1.f6p-1,
     0x1.1a89030b0d526p-1, 0x1.d93f616a85bd2p-3, -0x1.1354c16c3a3cap+0, -0x1.c9f5b76b70ce4p-3, 0x1.0b87960cb73e8p-2,
     -0x1.a8a03c50b6f16p-2, 0x1.c7bdadd649752p-2, -0x1.23f70b5ae32bap-1, 0x1.9c311cfe2bec2p-1, 0x1.5f251808efaeap-1,
     -0x1.6477ccbf7f1p-4},  // float64
    {0x1.c223d27e4dca6p-12, -0x1.2c8ac6f67ca77p-10, -0x1.03a7f5e40386ap+1, -0x1.3acb4ccd96aa3p-27, 0x0p+0,
     -0x1.3a92459af2682p-10, -0x1.6a6ff18820a95p-12, 0x1.663adfa4ebb2ap-13, 0x1.28993f67db171p-10,
     -0x1.7c09ec9b7cd1bp-13, -0x1.8193d801bccc8p-10, -0x1.4c88a2952f96bp-12, -0x1.98fc48a195a3p-12,
     0x1.8e0e84d30e04dp-12, -0x1.e1e9432dafc4ap-12, -0x1.316f789a00d92p-11}}},
  // qhm {'lr': 0.05, 'nu': 0.3, 'beta': 0.9, 'weight_decay': 0.01}
  {{0x1.7ep+7, 0x1.9ep-13, 0x1.dp-1, 0x1.02p-1, 0x1.4ep-1, -0x1.46p-2, -0x1.b2p-1, 0x1.36p-1, -0x1.02p+1,
    0x1.7ap-1, 0x1.0ep-1, -0x1.2ep-1, 0x1.82p-3, -0x1.84p-1, -0x1.dep-1, 0x1.e8p-1},
   {{0x1.4ep+0, 0x1.5ep-2, -0x1.d8p+9, 0x1.46p-18, 0x0p+0, -0x1.28p-1, -0x1.14p-4, 0x1.9p-3, 0x1.56p-4, 0x1.7ap-4,
     0x1.9ep-2, 0x1.2ap-5, 0x1.48p-2, 0x1.52p-3, -0x1.fep-3, -0x1.82p-2},
    {-0x1.dep-5, 0x1.e6p-1, 0x1.26p+7, -0x1.42p-18, 0x0p+0, 0x1.94p-4, -0x1.22p-1, 0x1.8p-13, 0x1.06p-1, -0x1.4p-4,
     -0x1.02p-6, 0x1.4cp-2, 0x1.14p+0, -0x1.38p-2, -0x1.82p-2, -0x1.62p-3},
    {0x1.1ep-2, 0x1.06p-1, 0x1.76p+7, -0x1.ecp-18, 0x0p+0, 0x1.38p-2, 0x1.8cp-3, 0x1.0ap+0, -0x1.82p-3, 0x1.d8p-4,
     0x1.5cp-2, 0x1.08p-1, -0x1.fep-7, 0x1.fp-1, -0x1.02p-1, -0x1.7cp-2}},
   {{0x1.7d72f6p+7, -0x1.15752ap-4, 0x1.95e778p+4, 0x1.01b528p-1, 0x1.4d9f0ep-1, -0x1.3dbad2p-2, -0x1.a8cd52p-1,
     0x1.1e52cp-1, -0x1.03b8fp+1, 0x1.77164p-1, 0x1.ff2268p-2, -0x1.3e4d34p-1, 0x1.1592ecp-3, -0x1.930f6ep-1,
     -0x1.c7c2e4p-1, 0x1.f943b6p-1},  // float32
    {0x1.4a95aap-1, 0x1.505734p-3, -0x1.63c2f2p+5, 0x1.65a2e2p-10, 0x1.cf3f92p-10, -0x1.1038e6p-7, -0x1.4283b2p-5,
     0x1.f1210ap-4, 0x1.d2b4a8p-6, 0x1.c98edep-7, 0x1.11448p-4, 0x1.502f6cp-4, 0x1.f32ca4p-4, 0x1.4ad344p-4,
     -0x1.b635e2p-4, -0x1.4a12c8p-4}},
   {{0x1.7d72f6911ef01p+7, -0x1.1575287fb4245p-4, 0x1.95e7797f6575cp+4, 0x1.01b52718ae1e7p-1, 0x1.4d9f0f86cdd0dp-1,
     -0x1.3dbad2d28dd57p-2, -0x1.a8cd51e2b3b1ep-1, 0x1.1e52c0e49f419p-1, -0x1.03b8f2455b5cfp+1,
     0x1.77163ee5dac3fp-1, 0x1.ff226995136c5p-2, -0x1.3e4d33afc91ccp-1, 0x1.1592ebe83cd4ap-3, -0x1.930f6c396e8bap-1,
     -0x1.c7c2e66507b7cp-1, 0x1.f943b5de3ec21p-1},  // float64
    {0x1.4a95a9c53b481p-1, 0x1.50573565db366p-3, -0x1.63c2eef16fd4dp+5, 0x1.65a2e388b7874p-10,
     0x1.cf3f95f9ee002p-10, -0x1.1038f06099db1p-7, -0x1.4283b0e468cc7p-5, 0x1.f1210a6847669p-4,
     0x1.d2b4a4f379372p-6, 0x1.c98edddd5b186p-7, 0x1.1144803efedadp-4, 0x1.502f6aed1f17dp-4, 0x1.f32ca35adac3p-4,
     0x1.4ad343e762862p-4, -0x1.b635e254752f2p-4, -0x1.4a12c7dfc9bc7p-4}}},
};

}  // namespace

TEMPLATE_TEST_CASE("qhm reproduces qhoptim's PyTorch QHM bit for bit", "[qhm][golden]", float, double) {
  using T = TestType;
  require_golden<T>(torch_golden,
                    [](std::size_t c, std::span<T> param, std::span<T> velocity, std::span<const T> grad,
                       std::int64_t, const execution& exec) { qhm_step(param, grad, velocity, golden_options[c], 1, {}, exec); },
                    "qhm");
}
