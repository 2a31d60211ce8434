// Multi-tensor calls against the reference stepping each tensor alone, on
// every setting; and validation that names the group and tensor and writes
// nothing anywhere.
#include <catch2/catch.hpp>

#include "inertia/error.hpp"
#include "inertia/flat_buffer.hpp"
#include "inertia/multi_tensor.hpp"
#include "reference/ema.hpp"
#include "reference/heavy_ball.hpp"
#include "reference/sutskever.hpp"
#include "multi_tensor_support.hpp"
#include "support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

template <class T>
struct model {
  std::vector<buffers<T>> tensors;  // each: param, grad, state
  /// The tensors of multi_tensor_support.hpp's model_sizes.
  explicit model(std::uint64_t seed) {
    for (std::size_t k = 0; k < model_sizes.size(); ++k)
      tensors.push_back(random_buffers<T>(3, model_sizes[k], k % 4, seed + k));
  }
  model clone() {
    model copy(0);
    copy.tensors.clear();
    for (auto& t : tensors) copy.tensors.push_back(t.clone());
    return copy;
  }
  bool equals(model& other) {
    for (std::size_t k = 0; k < tensors.size(); ++k)
      for (std::size_t s = 0; s < 3; ++s)
        if (!bitwise_equal<T>(tensors[k][s], other.tensors[k][s])) return false;
    return true;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("multi-tensor heavy_ball equals stepping each tensor alone, bit for bit", "[multi_tensor]", float,
                   double) {
  using T = TestType;
  const heavy_ball_options decayed{0.1, 0.9, 0.0, 0.01, true, false};
  const heavy_ball_options no_decay{0.1, 0.9, 0.2, 0.0, false, true, heavy_ball_numerics::pytorch_fused};
  require_groups_match_tensors_alone<T, heavy_ball_tensor<T>>(
      /*streams=*/3, /*fresh_stream=*/1, decayed, no_decay,
      [](std::span<heavy_ball_group<T>> g, const execution& e) { heavy_ball_step(g, {}, e); },
      [](buffers<T>& b) { return heavy_ball_tensor<T>{b[0], b[1], b[2]}; },
      [](buffers<T>& b, const heavy_ball_options& o, std::int64_t step) {
        reference::heavy_ball(b[0].data(), b[1].data(), b[2].data(), b.size(), o, step == 0);
      });
}

TEMPLATE_TEST_CASE("multi-tensor sutskever equals stepping each tensor alone, bit for bit", "[multi_tensor]", float,
                   double) {
  using T = TestType;
  require_groups_match_tensors_alone<T, velocity_tensor<T>>(
      /*streams=*/3, /*fresh_stream=*/1, sutskever_options{0.1, 0.9, true}, sutskever_options{0.05, 0.5, false},
      [](std::span<sutskever_group<T>> g, const execution& e) { sutskever_step(g, {}, e); },
      [](buffers<T>& b) { return velocity_tensor<T>{b[0], b[1], b[2]}; },
      [](buffers<T>& b, const sutskever_options& o, std::int64_t) {
        reference::sutskever(b[0].data(), b[1].data(), b[2].data(), b.size(), o);
      });
}

TEMPLATE_TEST_CASE("multi-tensor ema equals stepping each tensor alone, bit for bit", "[multi_tensor]", float, double) {
  using T = TestType;
  require_groups_match_tensors_alone<T, velocity_tensor<T>>(
      /*streams=*/3, /*fresh_stream=*/1, ema_options{0.1, 0.9, true}, ema_options{0.05, 0.99, false},
      [](std::span<ema_group<T>> g, const execution& e) { ema_step(g, {}, e); },
      [](buffers<T>& b) { return velocity_tensor<T>{b[0], b[1], b[2]}; },
      [](buffers<T>& b, const ema_options& o, std::int64_t step) {
        reference::ema(b[0].data(), b[1].data(), b[2].data(), b.size(), o, step + 1);
      });
}

TEST_CASE("multi-tensor heavy_ball with momentum 0 takes tensors without buffers", "[multi_tensor]") {
  model<float> actual(3), expected = actual.clone();
  std::vector<heavy_ball_tensor<float>> tensors;
  for (auto& t : actual.tensors) tensors.push_back({t[0], t[1], {}});
  std::vector<heavy_ball_group<float>> groups = {{{0.1, 0.0, 0.0, 0.01, false, false}, tensors, 5}};
  heavy_ball_step(std::span(groups));
  for (auto& t : expected.tensors)
    reference::heavy_ball(t[0].data(), t[1].data(), t[2].data(), t.size(), groups[0].options, false);
  REQUIRE(actual.equals(expected));
}

namespace {

/// 100 tensors of 3 elements in one group; returns their views.
struct hundred_tensors {
  std::vector<buffers<float>> storage;
  std::vector<heavy_ball_tensor<float>> views;
  hundred_tensors() {
    for (int k = 0; k < 100; ++k) storage.push_back(random_buffers<float>(3, 3, 0, k));
    for (auto& b : storage) views.push_back({b[0], b[1], b[2]});
  }
  bool unchanged(hundred_tensors& before) {
    for (std::size_t k = 0; k < storage.size(); ++k)
      for (std::size_t s = 0; s < 3; ++s)
        if (!bitwise_equal<float>(storage[k][s], before.storage[k][s])) return false;
    return true;
  }
};

template <class Call>
void require_multi_rejected(hundred_tensors& data, std::vector<heavy_ball_group<float>>& groups, const char* argument,
                            const char* where, error_kind kind, Call call) {
  hundred_tensors before;
  for (std::size_t k = 0; k < 100; ++k) before.storage[k].assign(data.storage[k]);
  std::vector<std::int64_t> steps;
  for (auto& g : groups) steps.push_back(g.step);
  try {
    call();
    FAIL("expected a rejection naming " << argument);
  } catch (const inertia::invalid_argument& error) {
    INFO(error.what());
    CHECK(error.argument() == argument);
    CHECK(error.kind() == kind);
    CHECK(std::string(error.what()).find(where) != std::string::npos);
  }
  REQUIRE(data.unchanged(before));
  for (std::size_t g = 0; g < groups.size(); ++g) REQUIRE(groups[g].step == steps[g]);
}

}  // namespace

TEST_CASE("multi-tensor validation names the group and tensor and writes nothing", "[multi_tensor][validation]") {
  hundred_tensors data;
  const heavy_ball_options good{0.1, 0.9, 0.0, 0.0, false, false};
  std::vector<heavy_ball_tensor<float>> first(data.views.begin(), data.views.begin() + 50);
  std::vector<heavy_ball_tensor<float>> second(data.views.begin() + 50, data.views.end());
  std::vector<heavy_ball_group<float>> groups = {{good, first, 3}, {good, second, 3}};
  const auto step = [&] { heavy_ball_step(std::span(groups)); };

  second[7].grad = second[7].grad.first(2);  // tensor 57 overall, tensor 7 of group 1
  groups[1].tensors = second;
  require_multi_rejected(data, groups, "grad", "group 1, tensor 7", error_kind::length, step);
  second[7] = data.views[57];

  second[9].momentum_buffer = data.views[3].param;  // shares memory with tensor 3's param
  groups[1].tensors = second;
  require_multi_rejected(data, groups, "momentum_buffer", "group 1, tensor 9 momentum_buffer shares memory with group 0, tensor 3 param",
                         error_kind::overlap, step);
  second[9] = data.views[59];
  groups[1].tensors = second;

  groups[1].options.momentum = 1.0;
  require_multi_rejected(data, groups, "momentum", "group 1", error_kind::hyperparameter, step);
  groups[1].options = good;

  groups[0].step = -1;
  require_multi_rejected(data, groups, "step", "group 0", error_kind::hyperparameter, step);
  groups[0].step = 3;

  REQUIRE_NOTHROW(step());
  REQUIRE(groups[0].step == 4);
}

TEST_CASE("flat_buffer lays tensors out on cache lines, and stepping it whole equals stepping its tensors",
          "[multi_tensor][flat_buffer]") {
  const std::vector<std::size_t> sizes = {0, 1, 17, 1000, 3, 20011};
  flat_buffer<float> params(sizes), grads(sizes), buffers_a(sizes);
  REQUIRE(params.count() == sizes.size());
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    REQUIRE(params.tensor(k).size() == sizes[k]);
    REQUIRE(reinterpret_cast<std::uintptr_t>(params.tensor(k).data()) % 64 == 0);
    fill_random<float>(params.tensor(k), k);
    fill_random<float>(grads.tensor(k), 100 + k);
  }
  REQUIRE(params.all().size() % 16 == 0);
  flat_buffer<float> params_b(sizes), buffers_b(sizes);
  std::copy(params.all().begin(), params.all().end(), params_b.all().begin());

  const heavy_ball_options o{0.1, 0.9, 0.0, 0.01, true, false};
  heavy_ball_step(params.all(), std::span<const float>(grads.all()), buffers_a.all(), o, 1);
  std::vector<heavy_ball_tensor<float>> tensors;
  for (std::size_t k = 0; k < sizes.size(); ++k) tensors.push_back({params_b.tensor(k), grads.tensor(k), buffers_b.tensor(k)});
  std::vector<heavy_ball_group<float>> groups = {{o, tensors, 0}};
  heavy_ball_step(std::span(groups));
  for (std::size_t k = 0; k < sizes.size(); ++k) REQUIRE(bitwise_equal<float>(params.tensor(k), params_b.tensor(k)));
}
