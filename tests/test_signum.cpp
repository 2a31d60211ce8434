// signum against its reference everywhere; 100-step trajectories; the
// multi-tensor call; beta = 0 is signSGD; validation. (Its equality with Lion
// and the sign of zeros and NaN: tests/test_lion.cpp.)
#include <cmath>

#include <catch2/catch.hpp>

#include "inertia/signum.hpp"
#include "multi_tensor_support.hpp"
#include "reference/signum.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

std::vector<signum_options> all_cases() { return {{}, {0.001, 0.99}, {0.1, 0.0}}; }

/// The state over many steps (the sweep covers every case's single step).
std::vector<signum_options> trajectory_cases() { return {{}, {0.001, 0.99}}; }

std::string describe(const signum_options& o) {
  return "signum lr " + std::to_string(o.lr) + " beta " + std::to_string(o.beta);
}

template <class T>
void step_library(buffers<T>& b, const signum_options& o, const execution& exec) {
  signum_step(b[0], std::span<const T>(b[1]), b[2], o, 1, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const signum_options& o) {
  reference::signum(b[0].data(), b[1].data(), b[2].data(), b.size(), o);
}

}  // namespace

TEMPLATE_TEST_CASE("signum matches the reference bit for bit on every target, thread count and block size",
                   "[signum]", float, double) {
  require_sweep_matches<TestType>(3, all_cases(), step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("signum 100-step trajectories stay bit-identical", "[signum]", float, double) {
  require_trajectories_match<TestType>(3, 1, trajectory_cases(), [](signum_options o, int) { return o; },
                                       step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("multi-tensor signum equals stepping each tensor alone, bit for bit", "[signum][multi_tensor]",
                   float, double) {
  using T = TestType;
  require_groups_match_tensors_alone<T, signum_tensor<T>>(
      3, 1, signum_options{0.01, 0.9}, signum_options{0.001, 0.5},
      [](std::span<signum_group<T>> g, const execution& e) { signum_step(g, {}, e); },
      [](buffers<T>& b) { return signum_tensor<T>{b[0], b[1], b[2]}; },
      [](buffers<T>& b, const signum_options& o, std::int64_t) { step_reference(b, o); });
}

TEST_CASE("signum with beta 0 is signSGD: every parameter moves by lr against its gradient's sign", "[signum]") {
  // m = 1 * g + 0 * m = g, so w = w - lr * sign(g), with w - lr rounded once.
  auto data = random_buffers<double>(3, 1003, 0, 4);
  auto before = data.clone();
  signum_step(data[0], std::span<const double>(data[1]), data[2], {0.25, 0.0}, 1);
  for (std::size_t i = 0; i < 1003; ++i) {
    const double g = before[1][i], w = before[0][i];
    INFO("element " << i << ": g " << g << " w " << w);
    REQUIRE(data[2][i] == g);
    REQUIRE(data[0][i] == (g > 0 ? w - 0.25 : g < 0 ? w + 0.25 : w));
  }
}

TEST_CASE("signum rejects bad calls before writing anything", "[signum][validation]") {
  auto data = random_buffers<float>(3, 20, 2, 8);
  std::span<const float> grad(data[1]);
  auto call = [&](signum_options o, std::span<float> w, std::span<const float> g, std::span<float> m) {
    return [=] { signum_step(w, g, m, o, 1); };
  };
  const signum_options good{};
  require_rejected(data, "lr", error_kind::hyperparameter, call({-0.1, 0.9}, data[0], grad, data[2]));
  require_rejected(data, "beta", error_kind::hyperparameter, call({0.1, 1.0}, data[0], grad, data[2]));
  require_rejected(data, "beta", error_kind::hyperparameter, call({0.1, NAN}, data[0], grad, data[2]));
  require_rejected(data, "grad", error_kind::length, call(good, data[0], grad.first(3), data[2]));
  require_rejected(data, "velocity", error_kind::length, call(good, data[0], grad, {}));
  require_rejected(data, "velocity", error_kind::overlap, call(good, data[0], grad, data[0]));
  require_rejected(data, "param", error_kind::overlap, call(good, data[0], std::span<const float>(data[0]), data[2]));
}
