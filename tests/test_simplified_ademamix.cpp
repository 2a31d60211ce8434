// simplified_ademamix: every target, thread count, size and alignment against
// the scalar reference (tests/reference/simplified_ademamix.hpp) bit for bit,
// single and multi-tensor, with a step policy; Optax's eager run
// (tests/data/simplified_ademamix_*.json, scripts/golden_simplified_ademamix.py)
// replayed at 0 ULP on every target through the C++ calls and the generic C
// ABI; bad input rejected untouched.
#include <cmath>

#include <catch2/catch.hpp>

#include "golden_support.hpp"
#include "inertia/inertia.h"
#include "inertia/simplified_ademamix.hpp"
#include "multi_tensor_support.hpp"
#include "reference/simplified_ademamix.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

using options = simplified_ademamix_options;

struct sademamix_case {
  options o;
  std::int64_t step;
};

std::vector<sademamix_case> cases() {
  options other;
  other.alpha = 5.0, other.b1 = 0.999, other.weight_decay = 1e-2, other.eps_root = 1e-12;
  return {{options{}, 1}, {other, 7}};
}

std::string describe(const sademamix_case& c) {
  return "alpha " + std::to_string(c.o.alpha) + " b1 " + std::to_string(c.o.b1) + " wd " +
         std::to_string(c.o.weight_decay) + " step " + std::to_string(c.step);
}

/// Buffers: 0 param, 1 grad, 2 m, 3 n (made non-negative).
template <class T>
simplified_ademamix_tensor<T> tensor(buffers<T>& b) {
  for (T& v : b[3]) v = std::abs(v);
  return {b[0], b[1], b[2], b[3]};
}

/// The shared sweep's sizes up to 50003 rather than 2^20 + 3: with threads
/// woken for any work (settings_for) it already crosses every thread and block
/// boundary, at a twentieth of the time.
const std::vector<std::size_t> sweep_sizes = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 50003};

template <class T>
void sweep() {
  for (std::size_t size : sweep_sizes)
    for (std::size_t offset : offsets)
      for (const sademamix_case& c : cases()) {
        auto initial = random_buffers<T>(4, size, offset, size * 7 + offset);
        tensor(initial);
        auto expected = initial.clone();
        reference::simplified_ademamix(tensor(expected), c.o, c.step);
        require_all_settings_match(
            initial, expected,
            [&](buffers<T>& b, const execution& e) { simplified_ademamix_step(tensor(b), c.o, c.step, {}, e); },
            describe(c) + " | offset " + std::to_string(offset));
      }
}

template <class T>
void multi_tensor() {
  options second;
  second.alpha = 3.0, second.weight_decay = 1e-2;
  require_groups_match_tensors_alone<T, simplified_ademamix_tensor<T>>(
      4, 1, options{}, second,
      [](auto groups, const execution& e) {
        step_policy policy;
        policy.grad_scale = 4.0;  // exact: the reference below divides the same way
        simplified_ademamix_step(groups, policy, e);
      },
      [](buffers<T>& b) { return tensor(b); },
      [](buffers<T>& b, const options& o, std::int64_t steps_taken) {
        std::vector<T> unscaled(b[1].begin(), b[1].end());  // the gradient the policy's step uses
        for (T& g : unscaled) g = g / T(4);
        simplified_ademamix_tensor<T> t = tensor(b);
        t.grad = unscaled;
        reference::simplified_ademamix(t, o, steps_taken + 1);
      });
}

/// Optax's recorded run, free-running from the initial parameters, on every
/// target: through simplified_ademamix_step (path 0, 3 threads, 64-byte
/// blocks), the group call (path 1) and inertia_optimizer_step (path 2), 0 ULP
/// in w, m and n after every step. The bias correction the rule forms with
/// libm's pow is first required to be the one XLA computed (recorded per step).
template <class T>
void replay(const std::string& file) {
  const auto golden = load_golden(file);
  REQUIRE(golden["cases"].size() == 3);
  for (const auto& c : golden["cases"]) {
    const auto& h = c["hyperparameters"];
    options o;
    o.b1 = h["b1"], o.b2 = h["b2"], o.alpha = h["alpha"], o.eps = h["eps"];
    o.eps_root = h["eps_root"], o.weight_decay = h["weight_decay"];
    const std::size_t size = c["initial"]["param"].size();
    std::int64_t t = 0;
    for (const auto& recorded : c["steps"]) {
      ++t;
      INFO(file << " | " << c["name"].get<std::string>() << " | step " << t);
      REQUIRE(T(T(1) - std::pow(T(o.b2), T(t))) == T(recorded["bias_correction2"].get<double>()));
    }
    for (arch target : supported_archs())
      for (int path = 0; path < 3; ++path) {
        arch_scope forced(target);
        std::vector<T> param = golden_values<T>(c["initial"]["param"]), m(size, T(0)), n(size, T(0));
        inertia_optimizer* handle = nullptr;
        REQUIRE(inertia_optimizer_create("simplified_ademamix", &handle) == INERTIA_OK);
        for (const char* key : {"b1", "b2", "alpha", "eps", "eps_root", "weight_decay"})
          REQUIRE(inertia_optimizer_set(handle, key, h[key].get<double>()) == INERTIA_OK);
        std::int64_t step = 0;
        for (const auto& recorded : c["steps"]) {
          const std::vector<T> grad = golden_values<T>(recorded["grad"]);
          o.lr = c["lr"][step];
          ++step;
          const simplified_ademamix_tensor<T> tensor{param, grad, m, n};
          if (path == 0) {
            simplified_ademamix_step(tensor, o, step, {}, execution{3, 64, 1});
          } else if (path == 1) {
            simplified_ademamix_group<T> group{o, std::span(&tensor, 1), step - 1};
            simplified_ademamix_step(std::span(&group, 1));
          } else {
            REQUIRE(inertia_optimizer_set(handle, "lr", o.lr) == INERTIA_OK);
            const inertia_tensor generic{param.data(), grad.data(), {m.data(), n.data()}, size};
            REQUIRE(inertia_optimizer_step(handle, sizeof(T) == 4 ? INERTIA_FLOAT32 : INERTIA_FLOAT64, &generic, 1,
                                           step, nullptr, nullptr) == INERTIA_OK);
          }
          INFO(file << " | " << c["name"].get<std::string>() << " | " << arch_name(target) << " | path " << path
                    << " | after step " << step);
          REQUIRE(first_difference<T>(param, golden_values<T>(recorded["param"])) == size);
          REQUIRE(first_difference<T>(m, golden_values<T>(recorded["m"])) == size);
          REQUIRE(first_difference<T>(n, golden_values<T>(recorded["n"])) == size);
        }
        inertia_optimizer_destroy(handle);
      }
  }
}

}  // namespace

TEST_CASE("simplified_ademamix matches the reference on every target, size and alignment",
          "[simplified_ademamix]") {
  sweep<float>();
  sweep<double>();
}
TEST_CASE("simplified_ademamix multi-tensor groups with a loss scale match tensors alone", "[simplified_ademamix]") {
  multi_tensor<float>();
  multi_tensor<double>();
}
TEST_CASE("simplified_ademamix reproduces optax.contrib.simplified_ademamix (eager)",
          "[simplified_ademamix][golden]") {
  replay<float>("simplified_ademamix_float32.json");
  replay<double>("simplified_ademamix_float64.json");
}

TEST_CASE("simplified_ademamix rejects bad input before writing anything", "[simplified_ademamix][validation]") {
  auto data = random_buffers<float>(4, 64, 0, 5);
  const auto call = [&](options o, std::int64_t step, std::span<float> n) {
    return [&, o, step, n] { simplified_ademamix_step(simplified_ademamix_tensor<float>{data[0], data[1], data[2], n}, o, step); };
  };
  const options good;
  options bad = good;
  bad.lr = -1;
  require_rejected(data, "lr", error_kind::hyperparameter, call(bad, 1, data[3]));
  bad = good, bad.b1 = 1;
  require_rejected(data, "b1", error_kind::hyperparameter, call(bad, 1, data[3]));
  bad = good, bad.alpha = -1;
  require_rejected(data, "alpha", error_kind::hyperparameter, call(bad, 1, data[3]));
  bad = good, bad.eps = 0;
  require_rejected(data, "eps", error_kind::hyperparameter, call(bad, 1, data[3]));
  require_rejected(data, "step", error_kind::hyperparameter, call(good, 0, data[3]));
  require_rejected(data, "n", error_kind::length, call(good, 1, data[3].subspan(1)));
  require_rejected(data, "n", error_kind::overlap, call(good, 1, data[2]));
}
