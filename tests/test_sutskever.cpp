// sutskever (Keras SGD) against its reference everywhere; trajectories; validation.
#include <catch2/catch.hpp>

#include "inertia/sutskever.hpp"
#include "reference/sutskever.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

std::vector<sutskever_options> all_cases() {
  return {{0.05, 0.0, false}, {0.05, 0.9, false}, {0.05, 0.9, true}, {0.01, 0.5, true}};
}

std::string describe(const sutskever_options& o) {
  return "sutskever lr " + std::to_string(o.lr) + " momentum " + std::to_string(o.momentum) + " nesterov " +
         std::to_string(o.nesterov);
}

template <class T>
void step_library(buffers<T>& b, const sutskever_options& o, const execution& exec) {
  sutskever_step(b[0], std::span<const T>(b[1]), b[2], o, 1, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const sutskever_options& o) {
  reference::sutskever(b[0].data(), b[1].data(), b[2].data(), b.size(), o);
}

}  // namespace

TEMPLATE_TEST_CASE("sutskever matches the reference bit for bit on every target, thread count and block size",
                   "[sutskever]", float, double) {
  require_sweep_matches<TestType>(3, all_cases(), step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("sutskever 100-step trajectories with an lr schedule stay bit-identical", "[sutskever]", float,
                   double) {
  const auto at_step = [](sutskever_options o, int step) {
    o.lr = step <= 50 ? o.lr : o.lr / 7;  // lr sits inside the velocity: old steps keep their old lr
    return o;
  };
  require_trajectories_match<TestType>(3, 1, all_cases(), at_step, step_library<TestType>, step_reference<TestType>,
                                       describe);
}

TEST_CASE("sutskever with momentum 0 needs no velocity", "[sutskever]") {
  auto data = random_buffers<float>(2, 40, 3, 11);
  auto expected = data.clone();
  sutskever_step(data[0], std::span<const float>(data[1]), {}, {0.1, 0.0, false}, 1);
  reference::sutskever<float>(expected[0].data(), expected[1].data(), nullptr, 40, {0.1, 0.0, false});
  REQUIRE(bitwise_equal<float>(data[0], expected[0]));
}

TEST_CASE("sutskever rejects bad calls before writing anything", "[sutskever][validation]") {
  auto data = random_buffers<double>(3, 33, 1, 4);
  std::span<const double> grad(data[1]);
  auto call = [&](sutskever_options o, std::span<double> w, std::span<const double> g, std::span<double> v) {
    return [=] { sutskever_step(w, g, v, o, 1); };
  };
  const sutskever_options good{0.1, 0.9, false};
  require_rejected(data, "lr", error_kind::hyperparameter, call({std::nan(""), 0.9, false}, data[0], grad, data[2]));
  require_rejected(data, "lr", error_kind::hyperparameter, call({-1.0, 0.9, false}, data[0], grad, data[2]));
  require_rejected(data, "momentum", error_kind::hyperparameter, call({0.1, 1.0, false}, data[0], grad, data[2]));
  require_rejected(data, "momentum", error_kind::hyperparameter, call({0.1, -0.1, false}, data[0], grad, data[2]));
  require_rejected(data, "nesterov", error_kind::hyperparameter, call({0.1, 0.0, true}, data[0], grad, data[2]));
  require_rejected(data, "grad", error_kind::length, call(good, data[0], grad.first(32), data[2]));
  require_rejected(data, "velocity", error_kind::length, call(good, data[0], grad, data[2].first(1)));
  require_rejected(data, "param", error_kind::overlap, call(good, data[0], std::span<const double>(data[0]), data[2]));
  require_rejected(data, "velocity", error_kind::overlap, call(good, data[0], grad, data[0]));
}
