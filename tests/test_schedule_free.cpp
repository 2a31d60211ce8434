// schedule_free_sgd and schedule_free_adamw: every target, thread count, size
// and alignment against the scalar reference (tests/reference/schedule_free.hpp)
// bit for bit, single and multi-tensor, with the step policy; the evaluation
// swap likewise; schedulefree's recorded trajectories on torch 2.15 and 1.13
// (tests/data/schedule_free_torch*.json, scripts/golden_schedule_free.py) at
// 0 ULP through the C++ calls, the generic C ABI and the C swap; bad input
// rejected untouched.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <catch2/catch.hpp>

#include "golden_support.hpp"
#include "inertia/inertia.h"
#include "inertia/schedule_free_adamw.hpp"
#include "inertia/schedule_free_sgd.hpp"
#include "reference/schedule_free.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

/// A step of either variant: its options, t, and the group's scalars before it.
struct sgd_case {
  schedule_free_sgd_options options;
  std::int64_t step;
  schedule_free_scalars scalars;
};
struct adamw_case {
  schedule_free_adamw_options options;
  std::int64_t step;
  schedule_free_scalars scalars;
};

// Step 1 (ckp1 = 1: y's lerp takes the |w| >= 0.5 form), a warm-up step with
// weight decay (ckp1 small), polynomial weighting; and weight_sum = 0 with
// lr = 0 (schedulefree's ZeroDivisionError case, ckp1 = 0).
std::vector<sgd_case> sgd_cases() {
  std::vector<sgd_case> out;
  schedule_free_sgd_options o;
  o.lr = 0.1;
  out.push_back({o, 1, {}});
  o.weight_decay = 1e-2, o.warmup_steps = 10;
  out.push_back({o, 4, {0.03, 0.002}});
  o = {}, o.lr = 0.05, o.momentum = 0.7, o.r = 0.5, o.weight_lr_power = 1.0;
  out.push_back({o, 9, {0.05, 0.3}});
  o = {}, o.lr = 0.0;
  out.push_back({o, 2, {0.0, 0.0}});
  return out;
}
std::vector<adamw_case> adamw_cases() {
  std::vector<adamw_case> out;
  schedule_free_adamw_options o;
  out.push_back({o, 1, {}});
  o.weight_decay = 1e-2, o.warmup_steps = 10, o.eps = 1e-6;
  out.push_back({o, 4, {0.001, 2e-6}});
  o = {}, o.beta1 = 0.8, o.beta2 = 0.99, o.r = 1.0, o.weight_lr_power = 0.0;
  out.push_back({o, 9, {0.0025, 20.0}});
  return out;
}

std::string describe(const sgd_case& c) {
  return "sgd lr " + std::to_string(c.options.lr) + " momentum " + std::to_string(c.options.momentum) + " wd " +
         std::to_string(c.options.weight_decay) + " warmup " + std::to_string(c.options.warmup_steps) + " r " +
         std::to_string(c.options.r) + " step " + std::to_string(c.step);
}
std::string describe(const adamw_case& c) {
  return "adamw betas " + std::to_string(c.options.beta1) + "," + std::to_string(c.options.beta2) + " wd " +
         std::to_string(c.options.weight_decay) + " warmup " + std::to_string(c.options.warmup_steps) + " r " +
         std::to_string(c.options.r) + " step " + std::to_string(c.step);
}

/// Buffers: 0 param, 1 grad, 2 z[, 3 exp_avg_sq, made non-negative].
template <class T>
schedule_free_sgd_tensor<T> sgd_tensor(buffers<T>& b) {
  return {b[0], b[1], b[2]};
}
template <class T>
schedule_free_adamw_tensor<T> adamw_tensor(buffers<T>& b) {
  for (T& v : b[3]) v = std::abs(v);
  return {b[0], b[1], b[2], b[3]};
}

template <class T>
void sweep() {
  require_sweep_matches<T>(
      3, sgd_cases(),
      [](buffers<T>& b, const sgd_case& c, const execution& e) {
        schedule_free_scalars s = c.scalars;
        schedule_free_sgd_step(sgd_tensor(b), c.options, c.step, s, {}, e);
      },
      [](buffers<T>& b, const sgd_case& c) {
        schedule_free_scalars s = c.scalars;
        reference::schedule_free_sgd(sgd_tensor(b), c.options, c.step, s);
      },
      [](const sgd_case& c) { return describe(c); });
  require_sweep_matches<T>(
      4, adamw_cases(),
      [](buffers<T>& b, const adamw_case& c, const execution& e) {
        schedule_free_scalars s = c.scalars;
        schedule_free_adamw_step(adamw_tensor(b), c.options, c.step, s, {}, e);
      },
      [](buffers<T>& b, const adamw_case& c) {
        schedule_free_scalars s = c.scalars;
        reference::schedule_free_adamw(adamw_tensor(b), c.options, c.step, s);
      },
      [](const adamw_case& c) { return describe(c); });
}

/// The trajectories start at step 1 whatever the case says: one case each,
/// SGD's with warm-up and weight decay, AdamW's with r = 1 and
/// weight_lr_power = 0 (the sweep has every case at one step).
template <class Case>
std::vector<Case> trajectory_cases(std::vector<Case> all, std::size_t which) {
  return {all[which]};
}

/// 100 steps through the group call, whose scalars and step carry over, with
/// lr changed at step 50 (lr_max keeps the larger): every buffer and both
/// scalars as the reference's after every step.
template <class T>
void trajectories() {
  auto library_scalars = std::make_shared<schedule_free_scalars>();
  auto reference_scalars = std::make_shared<schedule_free_scalars>();
  const auto require_same_scalars = [=] {
    REQUIRE(library_scalars->lr_max == reference_scalars->lr_max);
    REQUIRE(library_scalars->weight_sum == reference_scalars->weight_sum);
  };
  require_trajectories_match<T>(
      3, 1, trajectory_cases(sgd_cases(), 1),
      [](sgd_case c, int step) {
        c.step = step;
        if (step > 50) c.options.lr *= 0.5;
        return c;
      },
      [=](buffers<T>& b, const sgd_case& c, const execution& e) {
        if (c.step == 1) *library_scalars = {};
        const schedule_free_sgd_tensor<T> t = sgd_tensor(b);
        schedule_free_sgd_group<T> group{c.options, std::span(&t, 1), c.step - 1, *library_scalars};
        schedule_free_sgd_step(std::span(&group, 1), {}, e);
        REQUIRE(group.step == c.step);
        *library_scalars = group.scalars;
      },
      [=](buffers<T>& b, const sgd_case& c) {
        if (c.step == 1) *reference_scalars = {};
        reference::schedule_free_sgd(sgd_tensor(b), c.options, c.step, *reference_scalars);
        require_same_scalars();
      },
      [](const sgd_case& c) { return describe(c); });
  require_trajectories_match<T>(
      4, 1, trajectory_cases(adamw_cases(), 2), [](adamw_case c, int step) { return c.step = step, c; },
      [=](buffers<T>& b, const adamw_case& c, const execution& e) {
        if (c.step == 1) *library_scalars = {};
        const schedule_free_adamw_tensor<T> t = adamw_tensor(b);
        schedule_free_adamw_group<T> group{c.options, std::span(&t, 1), c.step - 1, *library_scalars};
        schedule_free_adamw_step(std::span(&group, 1), {}, e);
        *library_scalars = group.scalars;
      },
      [=](buffers<T>& b, const adamw_case& c) {
        if (c.step == 1) *reference_scalars = {};
        reference::schedule_free_adamw(adamw_tensor(b), c.options, c.step, *reference_scalars);
        require_same_scalars();
      },
      [](const adamw_case& c) { return describe(c); });
}

/// Two groups of awkward tensor sizes with their own options and scalars, in
/// one call per step, three steps, against each tensor stepped alone by the
/// reference; with a step policy (loss scale 4, clip 2) fed to the reference
/// as the gradient transformed beforehand.
template <class T>
void multi_tensor() {
  const std::vector<std::size_t> sizes = {0, 1, 7, 1000, 20011, 33, 17, 0, 5000, 3, 64, 9};
  schedule_free_adamw_options first, second;
  first.warmup_steps = 3, first.weight_decay = 1e-2;
  second.beta1 = 0.8, second.lr = 1e-2, second.r = 0.5;
  step_policy policy;
  policy.grad_scale = 4.0, policy.clip_value = 2.0;
  for (const setting& s : settings_for<T>(1000))
    for (const bool with_policy : {false, true}) {
      std::vector<buffers<T>> actual, expected;
      for (std::size_t k = 0; k < sizes.size(); ++k) {
        actual.push_back(random_buffers<T>(4, sizes[k], k % 4, 7 + k));
        expected.push_back(random_buffers<T>(4, sizes[k], k % 4, 7 + k));
      }
      std::vector<schedule_free_adamw_tensor<T>> even, odd;
      for (std::size_t k = 0; k < sizes.size(); ++k) {
        (k % 2 ? odd : even).push_back(adamw_tensor(actual[k]));
        adamw_tensor(expected[k]);
      }
      std::vector<schedule_free_adamw_group<T>> groups = {{first, even, 0, {}}, {second, odd, 0, {}}};
      schedule_free_scalars reference_scalars[2];
      arch_scope forced(s.target);
      for (std::int64_t step = 1; step <= 3; ++step) {
        for (std::size_t k = 0; k < sizes.size(); ++k) {
          fill_random<T>(actual[k][1], 100 * step + k);
          fill_random<T>(expected[k][1], 100 * step + k);
          if (with_policy)
            for (T& g : expected[k][1]) g = std::clamp(T(g / T(4)), T(-2), T(2));
        }
        schedule_free_adamw_step(std::span(groups), with_policy ? policy : step_policy{}, s.exec);
        schedule_free_scalars before[2] = {reference_scalars[0], reference_scalars[1]};
        for (std::size_t k = 0; k < sizes.size(); ++k) {
          schedule_free_scalars scalars = before[k % 2];
          reference::schedule_free_adamw(adamw_tensor(expected[k]), k % 2 ? second : first, step, scalars);
          reference_scalars[k % 2] = scalars;
        }
        INFO(s.describe() << (with_policy ? " | policy" : "") << " | after step " << step);
        for (std::size_t k = 0; k < sizes.size(); ++k)
          for (std::size_t b : {0, 2, 3}) REQUIRE(bitwise_equal<T>(actual[k][b], expected[k][b]));
        for (int g = 0; g < 2; ++g) {
          REQUIRE(groups[g].step == step);
          REQUIRE(groups[g].scalars.lr_max == reference_scalars[g].lr_max);
          REQUIRE(groups[g].scalars.weight_sum == reference_scalars[g].weight_sum);
        }
      }
    }
}

/// The swap on every setting, size and alignment, both directions.
template <class T>
void swap_sweep() {
  for (std::size_t size : sizes)
    for (std::size_t offset : offsets)
      for (const double beta : {0.9, 0.3})  // 1 - 1/beta: small (-0.11) and not (-2.3)
        for (const bool to_eval : {true, false}) {
          if (beta == 0.3 && !to_eval) continue;  // 1 - beta = 0.7 takes the same branch as eval's -2.3
          // The largest size (threads split it) once: the pass is weight_ema's rule, swept there too.
          if (size > 100000 && !(beta == 0.9 && to_eval)) continue;
          auto initial = random_buffers<T>(2, size, offset, size * 3 + offset);
          auto expected = initial.clone();
          reference::schedule_free_swap<T>(expected[0], expected[1], beta, to_eval);
          require_all_settings_match(
              initial, expected,
              [&](buffers<T>& b, const execution& e) {
                if (to_eval)
                  schedule_free_eval(b[0], std::span<const T>(b[1]), beta, e);
                else
                  schedule_free_train(b[0], std::span<const T>(b[1]), beta, e);
              },
              std::string(to_eval ? "eval" : "train") + " beta " + std::to_string(beta) + " | offset " +
                  std::to_string(offset));
        }
}

/// schedulefree's recorded run: 8 steps of one 37-element tensor, with eval()
/// and train() after steps 4 and 8, replayed through the C++ single-tensor
/// call (threads 1), the group call (threads 3, 64-byte blocks: thread and
/// block boundaries inside the tensor) and the generic C ABI with the C swap.
template <class T>
void replay_case(const nlohmann::json& c) {
  const auto& h = c["hyperparameters"];
  const std::string variant = c["variant"];
  const bool sgd = variant == "schedule_free_sgd";
  schedule_free_sgd_options so;
  schedule_free_adamw_options ao;
  so.weight_decay = ao.weight_decay = h["weight_decay"];
  so.warmup_steps = ao.warmup_steps = h["warmup_steps"].get<double>();
  so.r = ao.r = h["r"];
  so.weight_lr_power = ao.weight_lr_power = h["weight_lr_power"];
  if (sgd) {
    so.momentum = h["momentum"];
  } else {
    ao.beta1 = h["betas"][0], ao.beta2 = h["betas"][1], ao.eps = h["eps"];
  }
  const double beta = sgd ? so.momentum : ao.beta1;
  const auto initial = golden_values<T>(c["initial"]["param"]);
  const std::size_t n = initial.size();
  constexpr inertia_dtype dtype = sizeof(T) == 4 ? INERTIA_FLOAT32 : INERTIA_FLOAT64;
  for (arch target : supported_archs())
    for (int path = 0; path < 3; ++path) {
      arch_scope forced(target);
      const execution exec = path == 1 ? execution{3, 64, 1} : execution{1};
      std::vector<T> param = initial, grad(n), z = initial, v(n, T(0));
      schedule_free_scalars scalars;
      inertia_optimizer* handle = nullptr;
      REQUIRE(inertia_optimizer_create(variant.c_str(), &handle) == INERTIA_OK);
      for (const char* key : {"weight_decay", "warmup_steps", "r", "weight_lr_power"})
        REQUIRE(inertia_optimizer_set(handle, key, h[key].get<double>()) == INERTIA_OK);
      if (sgd) {
        REQUIRE(inertia_optimizer_set(handle, "momentum", beta) == INERTIA_OK);
      } else {
        const double betas[2] = {ao.beta1, ao.beta2};
        REQUIRE(inertia_optimizer_set_array(handle, "betas", betas, 2) == INERTIA_OK);
        REQUIRE(inertia_optimizer_set(handle, "eps", ao.eps) == INERTIA_OK);
      }
      std::int64_t step = 0;
      for (const auto& recorded : c["steps"]) {
        grad = golden_values<T>(recorded["grad"]);
        const double lr = c["lr"][step];
        so.lr = ao.lr = lr;
        ++step;
        const schedule_free_sgd_tensor<T> st{param, grad, z};
        const schedule_free_adamw_tensor<T> at{param, grad, z, v};
        if (path == 0) {
          sgd ? schedule_free_sgd_step(st, so, step, scalars, {}, exec)
              : schedule_free_adamw_step(at, ao, step, scalars, {}, exec);
        } else if (path == 1) {
          if (sgd) {
            schedule_free_sgd_group<T> group{so, std::span(&st, 1), step - 1, scalars};
            schedule_free_sgd_step(std::span(&group, 1), {}, exec);
            scalars = group.scalars;
          } else {
            schedule_free_adamw_group<T> group{ao, std::span(&at, 1), step - 1, scalars};
            schedule_free_adamw_step(std::span(&group, 1), {}, exec);
            scalars = group.scalars;
          }
        } else {
          REQUIRE(inertia_optimizer_set(handle, "lr", lr) == INERTIA_OK);
          const inertia_tensor generic{param.data(), grad.data(), {z.data(), sgd ? nullptr : v.data()}, n};
          REQUIRE(inertia_optimizer_step(handle, dtype, &generic, 1, step, nullptr, nullptr) == INERTIA_OK);
          REQUIRE(inertia_optimizer_get(handle, "lr_max", &scalars.lr_max) == INERTIA_OK);
          REQUIRE(inertia_optimizer_get(handle, "weight_sum", &scalars.weight_sum) == INERTIA_OK);
        }
        INFO(c["name"].get<std::string>() << " | " << variant << " " << c["dtype"].get<std::string>() << " | "
                                          << arch_name(target) << " | path " << path << " | after step " << step);
        REQUIRE(first_difference<T>(param, golden_values<T>(recorded["param"])) == n);
        REQUIRE(first_difference<T>(z, golden_values<T>(recorded["z"])) == n);
        if (!sgd) REQUIRE(first_difference<T>(v, golden_values<T>(recorded["exp_avg_sq"])) == n);
        REQUIRE(scalars.lr_max == recorded["lr_max"].get<double>());
        REQUIRE(scalars.weight_sum == recorded["weight_sum"].get<double>());
        if (recorded.contains("eval_param")) {
          if (path < 2) {
            schedule_free_eval(std::span<T>(param), std::span<const T>(z), beta, exec);
          } else if constexpr (sizeof(T) == 4) {
            REQUIRE(inertia_schedule_free_eval_f32(param.data(), z.data(), n, beta) == INERTIA_OK);
          } else {
            REQUIRE(inertia_schedule_free_eval_f64(param.data(), z.data(), n, beta) == INERTIA_OK);
          }
          REQUIRE(first_difference<T>(param, golden_values<T>(recorded["eval_param"])) == n);
          if (path < 2) {
            schedule_free_train(std::span<T>(param), std::span<const T>(z), beta, exec);
          } else if constexpr (sizeof(T) == 4) {
            REQUIRE(inertia_schedule_free_train_f32(param.data(), z.data(), n, beta) == INERTIA_OK);
          } else {
            REQUIRE(inertia_schedule_free_train_f64(param.data(), z.data(), n, beta) == INERTIA_OK);
          }
          REQUIRE(first_difference<T>(param, golden_values<T>(recorded["train_param"])) == n);
        }
      }
      inertia_optimizer_destroy(handle);
    }
}

void replay(const std::string& file) {
  const auto golden = load_golden(file);
  REQUIRE(golden["format"] == "inertia-trajectory");
  REQUIRE(golden["cases"].size() == 12);  // 3 cases x 2 variants x 2 dtypes
  for (const auto& c : golden["cases"]) {
    if (c["dtype"] == "float32")
      replay_case<float>(c);
    else
      replay_case<double>(c);
  }
}

}  // namespace

TEST_CASE("schedule_free matches the reference on every target, size and alignment, float32", "[schedule_free]") {
  sweep<float>();
}
TEST_CASE("schedule_free matches the reference on every target, size and alignment, float64", "[schedule_free]") {
  sweep<double>();
}
TEST_CASE("schedule_free trajectories and scalars match the reference for 100 steps", "[schedule_free]") {
  trajectories<float>();
  trajectories<double>();
}
TEST_CASE("schedule_free multi-tensor groups, with and without a policy, match tensors alone", "[schedule_free]") {
  multi_tensor<float>();
  multi_tensor<double>();
}
TEST_CASE("schedule_free eval/train swap matches the reference everywhere", "[schedule_free]") {
  swap_sweep<float>();
  swap_sweep<double>();
}
TEST_CASE("schedule_free reproduces schedulefree on torch 2.15 bit for bit", "[schedule_free][golden]") {
  replay("schedule_free_torch2_15.json");
}
TEST_CASE("schedule_free reproduces schedulefree on torch 1.13 bit for bit", "[schedule_free][golden]") {
  replay("schedule_free_torch1_13.json");
}

TEST_CASE("schedule_free: a skipped step writes nothing and advances no scalar", "[schedule_free][policy]") {
  auto data = random_buffers<float>(3, 100, 1, 3);
  data[1][57] = std::numeric_limits<float>::quiet_NaN();
  auto before = data.clone();
  schedule_free_sgd_group<float> group;
  const schedule_free_sgd_tensor<float> t = sgd_tensor(data);
  group.tensors = std::span(&t, 1);
  group.step = 4, group.scalars = {0.5, 1.25};
  step_policy policy;
  policy.skip_non_finite = true;
  REQUIRE(schedule_free_sgd_step(std::span(&group, 1), policy).skipped);
  REQUIRE(group.step == 4);
  REQUIRE(group.scalars.lr_max == 0.5);
  REQUIRE(group.scalars.weight_sum == 1.25);
  for (std::size_t k = 0; k < 3; ++k) REQUIRE(bitwise_equal<float>(data[k], before[k]));
}

TEST_CASE("schedule_free rejects bad input before writing anything", "[schedule_free][validation]") {
  auto data = random_buffers<float>(4, 64, 0, 5);
  const auto sgd = [&](schedule_free_sgd_options o, std::int64_t step, schedule_free_scalars s, std::span<float> z) {
    return [&, o, step, s, z]() mutable { schedule_free_sgd_step({data[0], data[1], z}, o, step, s); };
  };
  const auto adamw = [&](schedule_free_adamw_options o, std::span<float> v) {
    return [&, o, v] {
      schedule_free_scalars s;
      schedule_free_adamw_step({data[0], data[1], data[2], v}, o, 1, s);
    };
  };
  const schedule_free_sgd_options good;
  schedule_free_sgd_options bad = good;
  bad.lr = -1;
  require_rejected(data, "lr", error_kind::hyperparameter, sgd(bad, 1, {}, data[2]));
  bad = good, bad.momentum = 0;
  require_rejected(data, "momentum", error_kind::hyperparameter, sgd(bad, 1, {}, data[2]));
  bad = good, bad.momentum = 1;
  require_rejected(data, "momentum", error_kind::hyperparameter, sgd(bad, 1, {}, data[2]));
  bad = good, bad.warmup_steps = -1;
  require_rejected(data, "warmup_steps", error_kind::hyperparameter, sgd(bad, 1, {}, data[2]));
  bad = good, bad.r = std::numeric_limits<double>::infinity();
  require_rejected(data, "r", error_kind::hyperparameter, sgd(bad, 1, {}, data[2]));
  require_rejected(data, "weight_sum", error_kind::hyperparameter, sgd(good, 1, {-1.0, -0.5}, data[2]));
  require_rejected(data, "step", error_kind::hyperparameter, sgd(good, 0, {}, data[2]));
  require_rejected(data, "z", error_kind::length, sgd(good, 1, {}, data[2].subspan(1)));
  require_rejected(data, "z", error_kind::overlap, sgd(good, 1, {}, data[0]));
  schedule_free_adamw_options bad_adamw;
  bad_adamw.eps = 0;
  require_rejected(data, "eps", error_kind::hyperparameter, adamw(bad_adamw, data[3]));
  bad_adamw = {}, bad_adamw.beta2 = 1;
  require_rejected(data, "beta2", error_kind::hyperparameter, adamw(bad_adamw, data[3]));
  require_rejected(data, "exp_avg_sq", error_kind::overlap, adamw({}, data[2]));
  require_rejected(data, "beta", error_kind::hyperparameter, [&] { schedule_free_eval(data[0], std::span<const float>(data[2]), 0.0); });
  require_rejected(data, "beta", error_kind::hyperparameter, [&] { schedule_free_train(data[0], std::span<const float>(data[2]), 1.0); });
  require_rejected(data, "z", error_kind::length,
                   [&] { schedule_free_eval(data[0], std::span<const float>(data[2]).subspan(1), 0.9); });
  REQUIRE(inertia_schedule_free_eval_f32(data[0].data(), nullptr, 3, 0.9) == INERTIA_ERROR_NULL_POINTER);
  REQUIRE(inertia_schedule_free_train_f64(nullptr, nullptr, 0, 0.9) == INERTIA_OK);
  REQUIRE(inertia_schedule_free_eval_f32(data[0].data(), data[2].data(), 3, 1.5) == INERTIA_ERROR_HYPERPARAMETER);
}
