// adagrad: every target, thread count, size and alignment against the scalar
// reference (tests/reference/adagrad.hpp) bit for bit; torch 1.13's recorded
// trajectories (tests/data/adagrad_*.json, scripts/golden_adagrad.py) through
// the C++ calls and the generic C ABI; and bad input rejected untouched.
#include <catch2/catch.hpp>

#include "golden_support.hpp"
#include "inertia/adagrad.hpp"
#include "inertia/inertia.h"
#include "reference/adagrad.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

struct adagrad_case {
  adagrad_options options;
  std::int64_t step;
};

std::vector<adagrad_case> cases() {
  std::vector<adagrad_case> out;
  // pytorch_fused's clr differs (contracted), with lr_decay; the loop,
  // foreach and 1.13 orders are one. Half the cases each, as many as before.
  for (double lr_decay : {0.0, 0.1})
    for (double weight_decay : {0.0, 1e-2})
      for (bool maximize : {false, true}) {
        adagrad_options o;
        o.lr = 0.05, o.lr_decay = lr_decay, o.weight_decay = weight_decay, o.maximize = maximize, o.eps = 1e-8;
        o.numerics = (weight_decay != 0.0) == maximize ? adagrad_numerics::pytorch_fused : adagrad_numerics::pytorch_loop;
        out.push_back({o, 3});
      }
  return out;
}

std::string describe(const adagrad_case& c) {
  return std::string(c.options.numerics == adagrad_numerics::pytorch_fused ? "pytorch_fused" : "pytorch_loop") +
         " lr_decay " + std::to_string(c.options.lr_decay) + " wd " + std::to_string(c.options.weight_decay) +
         (c.options.maximize ? " maximize" : "") + " step " + std::to_string(c.step);
}

/// Buffers: 0 param, 1 grad, 2 sum (made non-negative, as an accumulator of squares is).
template <class T>
adagrad_tensor<T> tensor(buffers<T>& b) {
  for (T& s : b[2]) s = std::abs(s);
  return {b[0], b[1], b[2]};
}

template <class T>
void sweep() {
  require_sweep_matches<T>(
      3, cases(),
      [](buffers<T>& b, const adagrad_case& c, const execution& e) { adagrad_step(tensor(b), c.options, c.step, {}, e); },
      [](buffers<T>& b, const adagrad_case& c) { reference::adagrad(tensor(b), c.options, c.step); }, describe);
}

template <class T>
void trajectories() {
  require_trajectories_match<T>(
      3, 1, cases(), [](adagrad_case c, int step) { return c.step = step, c; },
      [](buffers<T>& b, const adagrad_case& c, const execution& e) {
        const adagrad_tensor<T> t = tensor(b);
        adagrad_group<T> group{c.options, std::span(&t, 1), c.step - 1};
        adagrad_step(std::span(&group, 1), {}, e);
        REQUIRE(group.step == c.step);
      },
      [](buffers<T>& b, const adagrad_case& c) { reference::adagrad(tensor(b), c.options, c.step); }, describe);
}

/// torch's recorded steps, through the C++ single-tensor call, the
/// multi-tensor call and inertia_optimizer_step.
template <class T>
void replay(const std::string& file) {
  const auto golden = load_golden(file);
  REQUIRE(golden["format"] == "inertia-trajectory");
  REQUIRE(golden["cases"].size() == 3);
  for (const auto& c : golden["cases"]) {
    const auto& h = c["hyperparameters"];
    adagrad_options o;
    o.lr_decay = h["lr_decay"], o.weight_decay = h["weight_decay"], o.eps = h["eps"], o.maximize = h["maximize"];
    o.initial_accumulator_value = h["initial_accumulator_value"];
    o.numerics = adagrad_numerics::pytorch_1_13;  // recorded from torch 1.13
    const auto initial = golden_values<T>(c["initial"]["param"]);
    const std::size_t n = initial.size();
    for (arch target : supported_archs())
      for (int path = 0; path < 3; ++path) {
        arch_scope forced(target);
        std::vector<T> param = initial, grad(n), sum(n, T(o.initial_accumulator_value));
        inertia_optimizer* handle = nullptr;
        REQUIRE(inertia_optimizer_create("adagrad", &handle) == INERTIA_OK);
        for (const char* key : {"lr_decay", "weight_decay", "eps", "initial_accumulator_value"})
          REQUIRE(inertia_optimizer_set(handle, key, h[key].get<double>()) == INERTIA_OK);
        REQUIRE(inertia_optimizer_set(handle, "maximize", o.maximize ? 1 : 0) == INERTIA_OK);
        REQUIRE(inertia_optimizer_set_string(handle, "numerics", "pytorch_1_13") == INERTIA_OK);
        std::int64_t step = 0;
        for (const auto& recorded : c["steps"]) {
          grad = golden_values<T>(recorded["grad"]);
          o.lr = c["lr"][step];
          ++step;
          const adagrad_tensor<T> t{param, grad, sum};
          if (path == 0) {
            adagrad_step(t, o, step);
          } else if (path == 1) {
            adagrad_group<T> group{o, std::span(&t, 1), step - 1};
            adagrad_step(std::span(&group, 1));
          } else {
            REQUIRE(inertia_optimizer_set(handle, "lr", o.lr) == INERTIA_OK);
            const inertia_tensor generic{param.data(), grad.data(), {sum.data()}, n};
            REQUIRE(inertia_optimizer_step(handle, sizeof(T) == 4 ? INERTIA_FLOAT32 : INERTIA_FLOAT64, &generic, 1,
                                           step, nullptr, nullptr) == INERTIA_OK);
          }
          INFO(file << " | " << c["name"].get<std::string>() << " | " << arch_name(target) << " | path " << path
                    << " | after step " << step);
          REQUIRE(first_difference<T>(param, golden_values<T>(recorded["param"])) == n);
          REQUIRE(first_difference<T>(sum, golden_values<T>(recorded["sum"])) == n);
        }
        inertia_optimizer_destroy(handle);
      }
  }
}

}  // namespace

TEST_CASE("adagrad matches the reference on every target, size and alignment, float32", "[adagrad]") { sweep<float>(); }
TEST_CASE("adagrad matches the reference on every target, size and alignment, float64", "[adagrad]") { sweep<double>(); }
TEST_CASE("adagrad trajectories match the reference for 100 steps", "[adagrad]") {
  trajectories<float>();
  trajectories<double>();
}
TEST_CASE("adagrad reproduces torch.optim.Adagrad 1.13 bit for bit, float32", "[adagrad][golden]") {
  replay<float>("adagrad_float32.json");
}
TEST_CASE("adagrad reproduces torch.optim.Adagrad 1.13 bit for bit, float64", "[adagrad][golden]") {
  replay<double>("adagrad_float64.json");
}

TEST_CASE("adagrad rejects bad input before writing anything", "[adagrad][validation]") {
  auto data = random_buffers<float>(3, 64, 0, 5);
  const auto call = [&](adagrad_options o, std::int64_t step, std::span<float> sum) {
    return [&, o, step, sum] { adagrad_step(adagrad_tensor<float>{data[0], data[1], sum}, o, step); };
  };
  const adagrad_options good;
  adagrad_options bad = good;
  bad.lr = -1;
  require_rejected(data, "lr", error_kind::hyperparameter, call(bad, 1, data[2]));
  bad = good, bad.lr_decay = -0.5;
  require_rejected(data, "lr_decay", error_kind::hyperparameter, call(bad, 1, data[2]));
  bad = good, bad.eps = 0;
  require_rejected(data, "eps", error_kind::hyperparameter, call(bad, 1, data[2]));
  bad = good, bad.initial_accumulator_value = -1;
  require_rejected(data, "initial_accumulator_value", error_kind::hyperparameter, call(bad, 1, data[2]));
  require_rejected(data, "step", error_kind::hyperparameter, call(good, 0, data[2]));
  require_rejected(data, "sum", error_kind::length, call(good, 1, data[2].subspan(1)));
  require_rejected(data, "sum", error_kind::overlap, call(good, 1, data[0]));
}
