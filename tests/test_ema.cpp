// ema (Optax ema + scale(-lr)) against its reference everywhere; trajectories
// with the step counter; bias correction; validation.
#include <catch2/catch.hpp>

#include "inertia/ema.hpp"
#include "reference/ema.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

struct ema_case {
  ema_options options;
  std::int64_t step;
};

std::vector<ema_case> all_cases() {
  return {{{0.05, 0.9, false}, 1}, {{0.05, 0.9, true}, 1}, {{0.05, 0.9, true}, 7}, {{0.05, 0.999, true}, 1000},
          {{0.01, 0.0, true}, 3}, {{0.01, 0.5, false}, 2}};
}

std::string describe(const ema_case& c) {
  return "ema lr " + std::to_string(c.options.lr) + " beta " + std::to_string(c.options.beta) + " bias_correction " +
         std::to_string(c.options.bias_correction) + " step " + std::to_string(c.step);
}

template <class T>
void step_library(buffers<T>& b, const ema_case& c, const execution& exec) {
  ema_step(b[0], std::span<const T>(b[1]), b[2], c.options, c.step, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const ema_case& c) {
  reference::ema(b[0].data(), b[1].data(), b[2].data(), b.size(), c.options, c.step);
}

}  // namespace

TEMPLATE_TEST_CASE("ema matches the reference bit for bit on every target, thread count and block size", "[ema]",
                   float, double) {
  require_sweep_matches<TestType>(3, all_cases(), step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("ema 100-step trajectories with the step counter stay bit-identical", "[ema]", float, double) {
  const auto at_step = [](ema_case c, int step) {
    c.step = step;
    return c;
  };
  require_trajectories_match<TestType>(3, 1, all_cases(), at_step, step_library<TestType>, step_reference<TestType>,
                                       describe);
}

TEST_CASE("ema with bias correction steps by exactly lr * g on the first step from zero", "[ema]") {
  // v1 = (1 - beta) g and v1 / (1 - beta^1) = g: exact when (1 - beta) is a
  // power of two, so the first step is w - lr*g to the last bit.
  buffers<double> data(3, 17, 0);
  fill_random<double>(data[0], 1);
  fill_random<double>(data[1], 2);
  std::fill(data[2].begin(), data[2].end(), 0.0);
  auto expected = data.clone();
  ema_step(data[0], std::span<const double>(data[1]), data[2], {0.5, 0.875, true}, 1);
  for (std::size_t i = 0; i < 17; ++i) {
    REQUIRE(data[0][i] == expected[0][i] + -0.5 * expected[1][i]);
    REQUIRE(data[2][i] == 0.125 * expected[1][i]);  // the stored velocity is not corrected
  }
}

TEST_CASE("ema rejects bad calls before writing anything", "[ema][validation]") {
  auto data = random_buffers<float>(3, 20, 2, 8);
  std::span<const float> grad(data[1]);
  auto call = [&](ema_options o, std::int64_t step, std::span<float> w, std::span<const float> g, std::span<float> v) {
    return [=] { ema_step(w, g, v, o, step); };
  };
  const ema_options good{0.1, 0.9, true};
  require_rejected(data, "lr", error_kind::hyperparameter, call({INFINITY, 0.9, true}, 1, data[0], grad, data[2]));
  require_rejected(data, "beta", error_kind::hyperparameter, call({0.1, 1.0, true}, 1, data[0], grad, data[2]));
  require_rejected(data, "beta", error_kind::hyperparameter, call({0.1, NAN, true}, 1, data[0], grad, data[2]));
  require_rejected(data, "step", error_kind::hyperparameter, call(good, 0, data[0], grad, data[2]));
  require_rejected(data, "grad", error_kind::length, call(good, 1, data[0], grad.first(3), data[2]));
  require_rejected(data, "velocity", error_kind::length, call(good, 1, data[0], grad, {}));
  require_rejected(data, "velocity", error_kind::overlap, call(good, 1, data[0], grad, data[0]));
  require_rejected(data, "param", error_kind::overlap, call(good, 1, data[0], std::span<const float>(data[0]), data[2]));
}
