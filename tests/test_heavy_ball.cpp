// heavy_ball (torch.optim.SGD) against its reference on every target, thread
// count, block size, size and misalignment; trajectories; validation.
#include <catch2/catch.hpp>

#include "inertia/heavy_ball.hpp"
#include "reference/heavy_ball.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

struct heavy_ball_case {
  heavy_ball_options options;
  bool first_step;
};

/// Every valid flag combination (nesterov needs momentum and no dampening;
/// dampening means nothing without momentum), on both sides of the first step.
std::vector<heavy_ball_case> all_cases() {
  std::vector<heavy_ball_case> out;
  for (double momentum : {0.0, 0.9})
    for (double dampening : {0.0, 0.3})
      for (bool nesterov : {false, true})
        for (double weight_decay : {0.0, 0.01})
          for (bool maximize : {false, true})
            for (bool first_step : {false, true}) {
              if (momentum == 0.0 && (dampening != 0.0 || nesterov || first_step)) continue;
              if (nesterov && dampening != 0.0) continue;
              out.push_back({{0.05, momentum, dampening, weight_decay, nesterov, maximize}, first_step});
              if (momentum != 0.0 && !first_step)
                out.push_back({{0.05, momentum, dampening, weight_decay, nesterov, maximize,
                                heavy_ball_numerics::pytorch_fused},
                               first_step});
            }
  return out;
}

std::string describe(const heavy_ball_case& c) {
  const auto& o = c.options;
  return "momentum " + std::to_string(o.momentum) + " dampening " + std::to_string(o.dampening) + " wd " +
         std::to_string(o.weight_decay) + " nesterov " + std::to_string(o.nesterov) + " maximize " +
         std::to_string(o.maximize) + " first_step " + std::to_string(c.first_step) +
         (o.numerics == heavy_ball_numerics::pytorch_fused ? " pytorch_fused" : " pytorch_loop");
}

template <class T>
void step_library(buffers<T>& b, const heavy_ball_case& c, const execution& exec) {
  heavy_ball_step(b[0], std::span<const T>(b[1]), b[2], c.options, c.first_step ? 1 : 2, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const heavy_ball_case& c) {
  reference::heavy_ball(b[0].data(), b[1].data(), b[2].data(), b.size(), c.options, c.first_step);
}

}  // namespace

TEMPLATE_TEST_CASE("heavy_ball matches the reference bit for bit on every target, thread count and block size",
                   "[heavy_ball]", float, double) {
  const auto cases = all_cases();
  REQUIRE(cases.size() == 40);
  require_sweep_matches<TestType>(3, cases, step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("heavy_ball 100-step trajectories with an lr schedule stay bit-identical", "[heavy_ball]", float,
                   double) {
  std::vector<heavy_ball_case> cases;
  for (const auto& c : all_cases())
    if (!c.first_step) cases.push_back(c);  // the trajectory makes its own first step
  const auto at_step = [](heavy_ball_case c, int step) {
    c.first_step = step == 1;
    c.options.lr = step <= 50 ? 0.1 : 0.013;  // lr sits outside the buffer: a schedule rescales at once
    return c;
  };
  require_trajectories_match<TestType>(3, 1, cases, at_step, step_library<TestType>, step_reference<TestType>,
                                       describe);
}

TEST_CASE("heavy_ball on the first step ignores whatever the buffer held", "[heavy_ball]") {
  auto data = random_buffers<float>(3, 100, 0, 5);
  auto with_nan = data.clone();
  std::fill(with_nan[2].begin(), with_nan[2].end(), std::numeric_limits<float>::quiet_NaN());
  const heavy_ball_options o{0.1, 0.9, 0.5, 0.01, false, false};
  heavy_ball_step(data[0], std::span<const float>(data[1]), data[2], o, 1);
  heavy_ball_step(with_nan[0], std::span<const float>(with_nan[1]), with_nan[2], o, 1);
  REQUIRE(bitwise_equal<float>(data[0], with_nan[0]));
  REQUIRE(bitwise_equal<float>(data[2], with_nan[2]));
}

TEST_CASE("heavy_ball with momentum 0 needs no buffer", "[heavy_ball]") {
  auto data = random_buffers<double>(2, 50, 1, 9);
  auto expected = data.clone();
  const heavy_ball_options o{0.1, 0.0, 0.0, 0.01, false, true};
  heavy_ball_step(data[0], std::span<const double>(data[1]), {}, o, 2);
  reference::heavy_ball<double>(expected[0].data(), expected[1].data(), nullptr, 50, o, false);
  REQUIRE(bitwise_equal<double>(data[0], expected[0]));
}

TEST_CASE("heavy_ball rejects bad calls before writing anything", "[heavy_ball][validation]") {
  auto data = random_buffers<float>(4, 64, 0, 3);
  const heavy_ball_options good{0.1, 0.9, 0.0, 0.0, false, false};
  auto call = [&](heavy_ball_options o, std::span<float> w, std::span<const float> g, std::span<float> v) {
    return [=] { heavy_ball_step(w, g, v, o, 2); };
  };
  std::span<const float> grad(data[1]);
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();

  auto with = [&](auto change) { heavy_ball_options o = good; change(o); return o; };
  require_rejected(data, "lr", error_kind::hyperparameter, call(with([&](auto& o) { o.lr = nan; }), data[0], grad, data[2]));
  require_rejected(data, "lr", error_kind::hyperparameter, call(with([&](auto& o) { o.lr = -0.1; }), data[0], grad, data[2]));
  require_rejected(data, "momentum", error_kind::hyperparameter, call(with([&](auto& o) { o.momentum = 1.0; }), data[0], grad, data[2]));
  require_rejected(data, "momentum", error_kind::hyperparameter, call(with([&](auto& o) { o.momentum = -0.5; }), data[0], grad, data[2]));
  require_rejected(data, "momentum", error_kind::hyperparameter, call(with([&](auto& o) { o.momentum = inf; }), data[0], grad, data[2]));
  require_rejected(data, "dampening", error_kind::hyperparameter, call(with([&](auto& o) { o.dampening = 1.5; }), data[0], grad, data[2]));
  require_rejected(data, "weight_decay", error_kind::hyperparameter, call(with([&](auto& o) { o.weight_decay = -1; }), data[0], grad, data[2]));
  require_rejected(data, "weight_decay", error_kind::hyperparameter, call(with([&](auto& o) { o.weight_decay = inf; }), data[0], grad, data[2]));
  require_rejected(data, "nesterov", error_kind::hyperparameter, call(with([&](auto& o) { o.nesterov = true; o.dampening = 0.1; }), data[0], grad, data[2]));
  require_rejected(data, "nesterov", error_kind::hyperparameter, call(with([&](auto& o) { o.nesterov = true; o.momentum = 0; }), data[0], grad, data[2]));
  require_rejected(data, "grad", error_kind::length, call(good, data[0], grad.first(63), data[2]));
  require_rejected(data, "momentum_buffer", error_kind::length, call(good, data[0], grad, data[2].first(10)));
  require_rejected(data, "momentum_buffer", error_kind::length, call(good, data[0], grad, {}));
  require_rejected(data, "param", error_kind::overlap, call(good, data[0], std::span<const float>(data[0]), data[2]));
  require_rejected(data, "momentum_buffer", error_kind::overlap, call(good, data[0], grad, data[0]));
  require_rejected(data, "momentum_buffer", error_kind::overlap, call(good, data[0], grad, std::span<float>(data[1].data() - 0, 64)));
  // A partial overlap: the buffer starts inside param.
  std::span<float> shifted(data[3].data() + 10, 54);
  require_rejected(data, "momentum_buffer", error_kind::overlap,
                   call(good, data[3].first(54), std::span<const float>(data[1].first(54)), shifted));
}
