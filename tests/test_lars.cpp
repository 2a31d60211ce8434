// LARS against its reference (norms in the documented fixed order) on every
// target, thread count and block size; small and large tensors in one
// multi-tensor call; the zero-norm rule; validation.
#include <catch2/catch.hpp>

#include "inertia/lars.hpp"
#include "reference/lars.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

std::vector<lars_options> all_cases() { return {{0.1, 0.9, 0.0, 0.001}, {0.5, 0.0, 1e-4, 0.02}, {1.0, 0.5, 0.01, 1.0}}; }

std::string describe(const lars_options& o) {
  return "lars lr " + std::to_string(o.lr) + " momentum " + std::to_string(o.momentum) + " wd " +
         std::to_string(o.weight_decay) + " eta " + std::to_string(o.eta);
}

template <class T>
void step_library(buffers<T>& b, const lars_options& o, const execution& exec) {
  lars_step(b[0], std::span<const T>(b[1]), b[2], o, 1, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const lars_options& o) {
  reference::lars(b[0].data(), b[1].data(), b[2].data(), b.size(), o);
}

}  // namespace

TEMPLATE_TEST_CASE("lars matches the reference bit for bit on every target, thread count and block size", "[lars]",
                   float, double) {
  require_sweep_matches<TestType>(3, all_cases(), step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("lars 100-step trajectories stay bit-identical", "[lars]", float, double) {
  require_trajectories_match<TestType>(3, 1, all_cases(), [](lars_options o, int) { return o; },
                                       step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("lars steps small and large tensors in one call as it steps each alone", "[lars][multi_tensor]",
                   float, double) {
  using T = TestType;
  // 70001 elements: param + grad exceed 512 KiB, so every thread shares it;
  // the others are reduced and updated whole by one thread.
  const std::vector<std::size_t> sizes = {0, 5, 70001, 1000, 17, 300000, 1};
  for (const setting& s : settings_for<T>(1000)) {
    std::vector<buffers<T>> actual, expected;
    std::vector<lars_tensor<T>> tensors;
    for (std::size_t k = 0; k < sizes.size(); ++k) actual.push_back(random_buffers<T>(3, sizes[k], k % 3, 40 + k));
    for (auto& b : actual) {
      expected.push_back(b.clone());
      tensors.push_back({b[0], b[1], b[2]});
    }
    const lars_options o{0.2, 0.9, 1e-3, 0.01};
    std::vector<lars_group<T>> groups = {{o, tensors, 0}};
    arch_scope forced(s.target);
    lars_step(std::span(groups), {}, s.exec);
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      step_reference(expected[k], o);
      INFO(s.describe() << " | tensor " << k);
      for (std::size_t b = 0; b < 3; ++b) REQUIRE(bitwise_equal<T>(actual[k][b], expected[k][b]));
    }
    REQUIRE(groups[0].step == 1);
  }
}

TEST_CASE("lars uses local_lr = 1 when a norm is zero", "[lars]") {
  std::vector<double> w(10, 0.0), g(10, 2.0), v(10, 0.0);
  lars_step(std::span(w), std::span<const double>(g), std::span(v), {0.5, 0.0, 0.0, 0.001}, 1);
  for (double x : w) REQUIRE(x == -1.0);  // w - lr * 1 * g
}

TEST_CASE("lars rejects bad calls before writing anything", "[lars][validation]") {
  auto data = random_buffers<float>(3, 12, 1, 2);
  std::span<const float> grad(data[1]);
  auto call = [&](lars_options o, std::span<float> w, std::span<const float> g, std::span<float> v) {
    return [=] { lars_step(w, g, v, o, 1); };
  };
  require_rejected(data, "eta", error_kind::hyperparameter, call({0.1, 0.9, 0.0, 0.0}, data[0], grad, data[2]));
  require_rejected(data, "eta", error_kind::hyperparameter, call({0.1, 0.9, 0.0, NAN}, data[0], grad, data[2]));
  require_rejected(data, "momentum", error_kind::hyperparameter, call({0.1, 1.0, 0.0, 0.001}, data[0], grad, data[2]));
  require_rejected(data, "lr", error_kind::hyperparameter, call({-0.1, 0.9, 0.0, 0.001}, data[0], grad, data[2]));
  require_rejected(data, "weight_decay", error_kind::hyperparameter, call({0.1, 0.9, -1, 0.001}, data[0], grad, data[2]));
  require_rejected(data, "momentum_buffer", error_kind::length, call({}, data[0], grad, data[2].first(3)));
  require_rejected(data, "momentum_buffer", error_kind::overlap, call({}, data[0], grad, data[0]));
}
