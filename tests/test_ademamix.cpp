// ademamix: every target, thread count, size and alignment against the scalar
// reference (tests/reference/ademamix.hpp) bit for bit, single and
// multi-tensor, with a step policy; Optax's eager run (tests/data/ademamix_*.json,
// scripts/golden_ademamix.py) replayed at 0 ULP on every target through the C++
// calls and the generic C ABI; bad input rejected untouched.
#include <cmath>

#include <catch2/catch.hpp>

#include "golden_support.hpp"
#include "inertia/ademamix.hpp"
#include "inertia/inertia.h"
#include "multi_tensor_support.hpp"
#include "reference/ademamix.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

struct ademamix_case {
  ademamix_options options;
  std::int64_t step;
};

std::vector<ademamix_case> cases() {
  std::vector<ademamix_case> out;
  ademamix_options o;
  out.push_back({o, 1});
  o.weight_decay = 1e-2, o.eps_root = 1e-12, o.alpha = 8.0;
  out.push_back({o, 7});
  o = {}, o.alpha_warmup = 10, o.b3_warmup = 20, o.lr = 3e-3;
  out.push_back({o, 5});
  return out;
}

std::string describe(const ademamix_case& c) {
  return "wd " + std::to_string(c.options.weight_decay) + " alpha " + std::to_string(c.options.alpha) +
         " alpha_warmup " + std::to_string(c.options.alpha_warmup) + " b3_warmup " +
         std::to_string(c.options.b3_warmup) + " step " + std::to_string(c.step);
}

/// Buffers: 0 param, 1 grad, 2 m1, 3 m2, 4 nu (made non-negative).
template <class T>
ademamix_tensor<T> tensor(buffers<T>& b) {
  for (T& v : b[4]) v = std::abs(v);
  return {b[0], b[1], b[2], b[3], b[4]};
}

template <class T>
void sweep() {
  require_sweep_matches<T>(
      5, cases(),
      [](buffers<T>& b, const ademamix_case& c, const execution& e) { ademamix_step(tensor(b), c.options, c.step, {}, e); },
      [](buffers<T>& b, const ademamix_case& c) { reference::ademamix(tensor(b), c.options, c.step); }, describe);
}

template <class T>
void multi_tensor() {
  ademamix_options second;
  second.b3_warmup = 4, second.alpha_warmup = 3, second.weight_decay = 1e-2;
  require_groups_match_tensors_alone<T, ademamix_tensor<T>>(
      5, 1, ademamix_options{}, second,
      [](auto groups, const execution& e) {
        step_policy policy;
        policy.grad_scale = 4.0;  // exact: the reference below divides the same way
        ademamix_step(groups, policy, e);
      },
      [](buffers<T>& b) { return tensor(b); },
      [](buffers<T>& b, const ademamix_options& o, std::int64_t steps_taken) {
        std::vector<T> unscaled(b[1].begin(), b[1].end());  // the gradient the policy's step uses
        for (T& g : unscaled) g = g / T(4);
        ademamix_tensor<T> t = tensor(b);
        t.grad = unscaled;
        reference::ademamix(t, o, steps_taken + 1);
      });
}

/// Optax's recorded run, free-running from the initial parameters, on every
/// target: through ademamix_step (path 0, 3 threads, 64-byte blocks), the
/// group call (path 1) and inertia_optimizer_step (path 2), 0 ULP in w, m1,
/// m2 and nu after every step. The bias corrections the rule forms with libm's
/// pow are first required to be the ones XLA computed (recorded per step).
template <class T>
void replay(const std::string& file) {
  const auto golden = load_golden(file);
  REQUIRE(golden["cases"].size() == 3);
  for (const auto& c : golden["cases"]) {
    const auto& h = c["hyperparameters"];
    ademamix_options o;
    o.b1 = h["b1"], o.b2 = h["b2"], o.b3 = h["b3"], o.alpha = h["alpha"], o.eps = h["eps"];
    o.eps_root = h["eps_root"], o.weight_decay = h["weight_decay"];
    o.alpha_warmup = h["alpha_warmup"].get<double>(), o.b3_warmup = h["b3_warmup"].get<double>();
    const std::size_t n = c["initial"]["param"].size();
    std::int64_t t = 0;
    for (const auto& recorded : c["steps"]) {
      ++t;
      INFO(file << " | " << c["name"].get<std::string>() << " | step " << t);
      REQUIRE(T(T(1) - std::pow(T(o.b1), T(t))) == T(recorded["bias_correction1"].get<double>()));
      REQUIRE(T(T(1) - std::pow(T(o.b2), T(t))) == T(recorded["bias_correction2"].get<double>()));
    }
    for (arch target : supported_archs())
      for (int path = 0; path < 3; ++path) {
        arch_scope forced(target);
        std::vector<T> param = golden_values<T>(c["initial"]["param"]), m1(n, T(0)), m2(n, T(0)), nu(n, T(0));
        inertia_optimizer* handle = nullptr;
        REQUIRE(inertia_optimizer_create("ademamix", &handle) == INERTIA_OK);
        for (const char* key : {"b1", "b2", "b3", "alpha", "eps", "eps_root", "weight_decay", "alpha_warmup",
                                "b3_warmup"})
          REQUIRE(inertia_optimizer_set(handle, key, h[key].get<double>()) == INERTIA_OK);
        std::int64_t step = 0;
        for (const auto& recorded : c["steps"]) {
          const std::vector<T> grad = golden_values<T>(recorded["grad"]);
          o.lr = c["lr"][step];
          ++step;
          const ademamix_tensor<T> tensor{param, grad, m1, m2, nu};
          if (path == 0) {
            ademamix_step(tensor, o, step, {}, execution{3, 64, 1});
          } else if (path == 1) {
            ademamix_group<T> group{o, std::span(&tensor, 1), step - 1};
            ademamix_step(std::span(&group, 1));
          } else {
            REQUIRE(inertia_optimizer_set(handle, "lr", o.lr) == INERTIA_OK);
            const inertia_tensor generic{param.data(), grad.data(), {m1.data(), m2.data(), nu.data()}, n};
            REQUIRE(inertia_optimizer_step(handle, sizeof(T) == 4 ? INERTIA_FLOAT32 : INERTIA_FLOAT64, &generic, 1,
                                           step, nullptr, nullptr) == INERTIA_OK);
          }
          INFO(file << " | " << c["name"].get<std::string>() << " | " << arch_name(target) << " | path " << path
                    << " | after step " << step);
          REQUIRE(first_difference<T>(param, golden_values<T>(recorded["param"])) == n);
          REQUIRE(first_difference<T>(m1, golden_values<T>(recorded["m1"])) == n);
          REQUIRE(first_difference<T>(m2, golden_values<T>(recorded["m2"])) == n);
          REQUIRE(first_difference<T>(nu, golden_values<T>(recorded["nu"])) == n);
        }
        inertia_optimizer_destroy(handle);
      }
  }
}

}  // namespace

TEST_CASE("ademamix matches the reference on every target, size and alignment, float32", "[ademamix]") {
  sweep<float>();
}
TEST_CASE("ademamix matches the reference on every target, size and alignment, float64", "[ademamix]") {
  sweep<double>();
}
TEST_CASE("ademamix multi-tensor groups with a loss scale match tensors alone", "[ademamix]") {
  multi_tensor<float>();
  multi_tensor<double>();
}
TEST_CASE("ademamix reproduces optax.contrib.ademamix (eager), float32", "[ademamix][golden]") {
  replay<float>("ademamix_float32.json");
}
TEST_CASE("ademamix reproduces optax.contrib.ademamix (eager), float64", "[ademamix][golden]") {
  replay<double>("ademamix_float64.json");
}
TEST_CASE("ademamix's warm-ups follow the paper's Algorithm 1", "[ademamix]") {
  ademamix_options o;
  o.alpha_warmup = 10, o.b3_warmup = 20;
  REQUIRE(ademamix_schedule_at(o, 1).alpha == 0.0);     // k = 0
  REQUIRE(ademamix_schedule_at(o, 6).alpha == 2.5);     // k = 5: half of 5
  REQUIRE(ademamix_schedule_at(o, 11).alpha == o.alpha);
  REQUIRE(ademamix_schedule_at(o, 1).b3 == Approx(o.b1).epsilon(1e-15));  // starts at b1
  REQUIRE(ademamix_schedule_at(o, 21).b3 == Approx(o.b3).epsilon(1e-15));
  REQUIRE(ademamix_schedule_at(o, 10).b3 < ademamix_schedule_at(o, 11).b3);
  REQUIRE(ademamix_schedule_at(o, 500).b3 == o.b3);
}

TEST_CASE("ademamix rejects bad input before writing anything", "[ademamix][validation]") {
  auto data = random_buffers<float>(5, 64, 0, 5);
  const auto call = [&](ademamix_options o, std::int64_t step, std::span<float> nu) {
    return [&, o, step, nu] { ademamix_step(ademamix_tensor<float>{data[0], data[1], data[2], data[3], nu}, o, step); };
  };
  const ademamix_options good;
  ademamix_options bad = good;
  bad.lr = -1;
  require_rejected(data, "lr", error_kind::hyperparameter, call(bad, 1, data[4]));
  bad = good, bad.b3 = 1;
  require_rejected(data, "b3", error_kind::hyperparameter, call(bad, 1, data[4]));
  bad = good, bad.eps = 0;
  require_rejected(data, "eps", error_kind::hyperparameter, call(bad, 1, data[4]));
  bad = good, bad.alpha_warmup = -1;
  require_rejected(data, "alpha_warmup", error_kind::hyperparameter, call(bad, 1, data[4]));
  bad = good, bad.b3_warmup = 5, bad.b1 = 0;
  require_rejected(data, "b3_warmup", error_kind::hyperparameter, call(bad, 1, data[4]));
  require_rejected(data, "step", error_kind::hyperparameter, call(good, 0, data[4]));
  require_rejected(data, "nu", error_kind::length, call(good, 1, data[4].subspan(1)));
  require_rejected(data, "nu", error_kind::overlap, call(good, 1, data[3]));
}
