// rmsprop: every target, thread count, size and alignment against the scalar
// reference (tests/reference/rmsprop.hpp) bit for bit, single and multi-tensor,
// with step policies; torch 1.13's and 2.15's recorded RMSprop
// (tests/data/rmsprop_torch*.json, scripts/golden_rmsprop.py) at 0 ULP through
// the C++ API and the generic C ABI; and bad input rejected untouched.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "check/ulp.hpp"
#include "golden_support.hpp"
#include "inertia/inertia.h"
#include "inertia/rmsprop.hpp"
#include "multi_tensor_support.hpp"
#include "reference/rmsprop.hpp"
#include "support.hpp"
#include "torch2_golden_support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

rmsprop_options make(double lr, double alpha, double momentum, bool centered, double weight_decay, bool maximize,
                     rmsprop_numerics numerics, bool nesterov = false, bool eps_in_sqrt = false) {
  rmsprop_options o;
  o.lr = lr, o.alpha = alpha, o.momentum = momentum, o.centered = centered, o.weight_decay = weight_decay;
  o.maximize = maximize, o.numerics = numerics, o.nesterov = nesterov, o.eps_in_sqrt = eps_in_sqrt;
  return o;
}

/// Each option that changes the arithmetic, in eight cases: torch 2.x's
/// specialised loops (centered x momentum x weight decay: 000, 010, 100, 101,
/// 111 here) and the unspecialised ones (maximize, 1.13's order, Optax's
/// nesterov and eps_in_sqrt); alpha 0.3 takes lerp's other branch.
std::vector<rmsprop_options> cases() {
  using enum rmsprop_numerics;
  return {make(0.01, 0.99, 0.0, false, 0.0, false, pytorch_loop),
          make(0.001, 0.99, 0.9, false, 0.0, false, pytorch_foreach),
          make(0.001, 0.9, 0.5, false, 1e-2, true, pytorch_1_13),
          make(0.01, 0.99, 0.0, true, 0.0, false, pytorch_loop),
          make(0.01, 0.99, 0.0, true, 1e-2, false, pytorch_loop),
          make(0.001, 0.3, 0.9, true, 1e-2, false, pytorch_loop),
          make(0.001, 0.9, 0.5, true, 0.0, true, pytorch_1_13),
          make(0.001, 0.3, 0.5, true, 1e-2, false, pytorch_loop, true, true)};
}

std::string describe(const rmsprop_options& o) {
  const char* numerics = o.numerics == rmsprop_numerics::pytorch_1_13 ? "pytorch_1_13"
                         : o.numerics == rmsprop_numerics::pytorch_foreach ? "pytorch_foreach"
                                                                             : "pytorch_loop";
  return std::string(numerics) + " lr " + std::to_string(o.lr) + " alpha " + std::to_string(o.alpha) + " momentum " +
         std::to_string(o.momentum) + " wd " + std::to_string(o.weight_decay) + (o.centered ? " centered" : "") +
         (o.maximize ? " maximize" : "") + (o.nesterov ? " nesterov" : "") + (o.eps_in_sqrt ? " eps_in_sqrt" : "");
}

/// Buffers: 0 param, 1 grad, 2 square_avg, 3 momentum_buffer, 4 grad_avg;
/// square_avg made at least grad_avg^2, as a mean of squares is, so that the
/// centred variance stays >= 0 (and NaN-free).
template <class T>
void make_state_plausible(buffers<T>& b) {
  for (std::size_t i = 0; i < b[2].size(); ++i) b[2][i] = std::abs(b[2][i]) + b[4][i] * b[4][i];
}

template <class T>
rmsprop_tensor<T> tensor(buffers<T>& b, const rmsprop_options& o) {
  return {b[0], b[1], b[2], o.momentum > 0.0 ? std::span<T>(b[3]) : std::span<T>(),
          o.centered ? std::span<T>(b[4]) : std::span<T>()};
}

template <class T>
void sweep() {
  require_sweep_matches<T>(
      5, cases(),
      [](buffers<T>& b, const rmsprop_options& o, const execution& e) {
        make_state_plausible(b);
        rmsprop_step(tensor(b, o), o, 1, {}, e);
      },
      [](buffers<T>& b, const rmsprop_options& o) {
        make_state_plausible(b);
        reference::rmsprop(tensor(b, o), o);
      },
      describe);
}

struct trajectory_case {
  rmsprop_options options;
  int step;
};

/// 100 steps; the state is made plausible once, before the first (square_avg
/// stays >= grad_avg^2 after: the variance of the averaged gradients).
template <class T>
void trajectories() {
  // The five cases with momentum: every buffer they can keep, where a difference would accumulate.
  std::vector<trajectory_case> all;
  for (const auto& o : cases())
    if (o.momentum > 0) all.push_back({o, 1});
  require_trajectories_match<T>(
      5, 1, all, [](trajectory_case c, int step) { return c.step = step, c; },
      [](buffers<T>& b, const trajectory_case& c, const execution& e) {
        if (c.step == 1) make_state_plausible(b);
        const rmsprop_tensor<T> t = tensor(b, c.options);
        rmsprop_group<T> group{c.options, std::span(&t, 1), c.step - 1};
        rmsprop_step(std::span(&group, 1), {}, e);
        REQUIRE(group.step == c.step);
      },
      [](buffers<T>& b, const trajectory_case& c) {
        if (c.step == 1) make_state_plausible(b);
        reference::rmsprop(tensor(b, c.options), c.options);
      },
      [](const trajectory_case& c) { return describe(c.options) + " step " + std::to_string(c.step); });
}

template <class T>
void multi_tensor() {
  const auto all = cases();
  // Two groups that keep different buffers: in float, plain with centred momentum; in double, torch
  // 1.13's centred momentum with Optax's options.
  for (const auto& [first, second] : {sizeof(T) == 4 ? std::pair{0, 5} : std::pair{6, 7}}) {
    INFO(describe(all[first]) << " | " << describe(all[second]));
    // Both groups' tensors keep all five buffers; each group's options say which it uses.
    require_groups_match_tensors_alone<T, rmsprop_tensor<T>>(
        5, 1, all[first], all[second],
        [](std::span<rmsprop_group<T>> g, const execution& e) { rmsprop_step(g, {}, e); },
        [](buffers<T>& b) {
          make_state_plausible(b);
          return rmsprop_tensor<T>{b[0], b[1], b[2], b[3], b[4]};
        },
        [](buffers<T>& b, const rmsprop_options& o, std::int64_t steps_taken) {
          if (steps_taken == 0) make_state_plausible(b);
          reference::rmsprop(tensor(b, o), o);
        });
  }
}

/// Step policies: the reference fed g' = clamp((g / scale) * coefficient), the
/// coefficient from the global norm the call reports (its order is tested for
/// every variant in test_step_policy.cpp).
template <class T>
void policies() {
  const rmsprop_options o = make(0.01, 0.9, 0.5, true, 1e-2, false, rmsprop_numerics::pytorch_loop);
  const std::vector<step_policy> all = {{1024.0, false, 0.0, 0.0, false},
                                        {1.0, false, 0.5, 0.0, false},
                                        {65536.0, true, 1e-4, 1e-3, false}};
  const std::vector<std::size_t> sizes_of_model = {0, 1, 33, 5000, 7};
  for (const step_policy& p : all)
    for (const setting& s : settings_for<T>(1000)) {
      std::vector<buffers<T>> actual, expected;
      std::vector<rmsprop_tensor<T>> views;
      for (std::size_t k = 0; k < sizes_of_model.size(); ++k) {
        actual.push_back(random_buffers<T>(5, sizes_of_model[k], k % 3, 50 + k));
        make_state_plausible(actual.back());
        expected.push_back(actual.back().clone());
      }
      for (auto& b : actual) views.push_back(tensor(b, o));
      rmsprop_group<T> group{o, views, 0};
      arch_scope forced(s.target);
      const step_report report = rmsprop_step(std::span(&group, 1), p, s.exec);
      REQUIRE_FALSE(report.skipped);
      const double coefficient =
          p.max_norm > 0 && report.grad_norm > p.max_norm ? p.max_norm / (report.grad_norm + 1e-6) : 1.0;
      for (auto& b : expected) {
        for (T& x : b[1]) {
          if (p.grad_scale != 1.0) x = x / T(p.grad_scale);
          if (coefficient != 1.0) x = x * T(coefficient);
          if (p.clip_value > 0) x = std::min(std::max(x, T(-p.clip_value)), T(p.clip_value));
        }
        reference::rmsprop(tensor(b, o), o);
      }
      INFO(s.describe() << " | grad_scale " << p.grad_scale << " clip_value " << p.clip_value << " max_norm "
                        << p.max_norm);
      // The gradients are never written: compare all but buffer 1.
      for (std::size_t k = 0; k < actual.size(); ++k)
        for (std::size_t b : {0, 2, 3, 4}) REQUIRE(bitwise_equal<T>(actual[k][b], expected[k][b]));
    }
}

// ---- torch's recorded steps ---------------------------------------------------------------------------------

/// One recorded case replayed: five tensors, their state in torch's order
/// (square_avg, then momentum_buffer and grad_avg where kept).
template <class T>
struct torch_replay {
  const nlohmann::json& c;
  rmsprop_options options;
  std::vector<std::vector<T>> param, grad, square_avg, momentum_buffer, grad_avg;
  std::vector<std::vector<double>> stream;

  explicit torch_replay(const nlohmann::json& json_case) : c(json_case) {
    const auto& h = c["hyperparameters"];
    options.lr = h["lr"], options.alpha = h["alpha"], options.eps = h["eps"], options.momentum = h["momentum"];
    options.centered = h["centered"];
    // torch's cases have weight_decay and maximize; Optax's have initial_scale, eps_in_sqrt and nesterov.
    options.weight_decay = h.value("weight_decay", 0.0), options.maximize = h.value("maximize", false);
    options.initial_scale = h.value("initial_scale", 0.0), options.eps_in_sqrt = h.value("eps_in_sqrt", false);
    options.nesterov = h.value("nesterov", false);
    const std::string numerics = c["numerics"];
    options.numerics = numerics == "pytorch_1_13"      ? rmsprop_numerics::pytorch_1_13
                       : numerics == "pytorch_foreach" ? rmsprop_numerics::pytorch_foreach
                                                       : rmsprop_numerics::pytorch_loop;
    std::size_t j = 0;
    for (const auto& t : c["tensors"]) {
      const std::size_t n = t["n"];
      stream.push_back(splitmix_values(1000 * (c["seed_case"].get<std::uint64_t>() + 1) + j++, n * 31));
      param.emplace_back(stream.back().begin(), stream.back().begin() + n);
      grad.emplace_back(n), square_avg.emplace_back(n, T(options.initial_scale));
      momentum_buffer.emplace_back(n), grad_avg.emplace_back(n);
    }
  }

  std::vector<rmsprop_tensor<T>> views() {
    std::vector<rmsprop_tensor<T>> out;
    for (std::size_t j = 0; j < param.size(); ++j)
      out.push_back(tensor_for(j));
    return out;
  }
  rmsprop_tensor<T> tensor_for(std::size_t j) {
    return {param[j], grad[j], square_avg[j], options.momentum > 0 ? std::span<T>(momentum_buffer[j]) : std::span<T>(),
            options.centered ? std::span<T>(grad_avg[j]) : std::span<T>()};
  }

  /// path 0: multi-tensor C++ call; 1: single-tensor C++ calls; 2: the generic C ABI.
  void run(int path, const execution& exec) {
    inertia_optimizer* handle = nullptr;
    if (path == 2) {
      REQUIRE(inertia_optimizer_create("rmsprop", &handle) == INERTIA_OK);
      for (const auto& [key, value] : c["hyperparameters"].items())
        REQUIRE(inertia_optimizer_set(handle, key.c_str(),
                                      value.is_boolean() ? (value.template get<bool>() ? 1.0 : 0.0) : value.template get<double>()) ==
                INERTIA_OK);
      REQUIRE(inertia_optimizer_set_string(handle, "numerics", c["numerics"].get<std::string>().c_str()) ==
              INERTIA_OK);
    }
    for (std::int64_t step = 0; step < 30; ++step) {
      for (std::size_t j = 0; j < param.size(); ++j) {
        const std::size_t n = param[j].size();
        for (std::size_t i = 0; i < n; ++i) grad[j][i] = T(stream[j][n * (step + 1) + i]);
      }
      if (path == 0) {
        const auto tensors = views();
        rmsprop_group<T> group{options, tensors, step};
        rmsprop_step(std::span(&group, 1), {}, exec);
      } else if (path == 1) {
        for (std::size_t j = 0; j < param.size(); ++j) rmsprop_step(tensor_for(j), options, step + 1, {}, exec);
      } else {
        std::vector<inertia_tensor> generic(param.size());
        for (std::size_t j = 0; j < param.size(); ++j) {
          generic[j] = {};
          generic[j].param = param[j].data(), generic[j].grad = grad[j].data(), generic[j].size = param[j].size();
          std::size_t k = 0;
          generic[j].state[k++] = square_avg[j].data();
          if (options.momentum > 0) generic[j].state[k++] = momentum_buffer[j].data();
          if (options.centered) generic[j].state[k++] = grad_avg[j].data();
        }
        REQUIRE(inertia_optimizer_step(handle, sizeof(T) == 4 ? INERTIA_FLOAT32 : INERTIA_FLOAT64, generic.data(),
                                       generic.size(), step + 1, nullptr, nullptr) == INERTIA_OK);
      }
    }
    if (handle != nullptr) inertia_optimizer_destroy(handle);
  }

  /// The worst distance of the recorded param elements from the framework's,
  /// in units of epsilon (the ULP of 1: the params are of order 1, so an ULP
  /// count would weigh the elements that pass near 0 far above the others).
  double worst_recorded_epsilons() const {
    double worst = 0;
    std::size_t j = 0;
    for (const auto& recorded : c["tensors"]) {
      const auto& index = recorded["sample_index"];
      for (std::size_t k = 0; k < index.size(); ++k) {
        const T framework = from_hex_bits<T>(recorded["param_sample"][k]);
        worst = std::max(worst, double(std::abs(param[j][index[k].get<std::size_t>()] - framework)) /
                                    double(std::numeric_limits<T>::epsilon()));
      }
      ++j;
    }
    return worst;
  }

  void require_torch_bits(const std::string& label) {
    std::size_t j = 0;
    for (const auto& recorded : c["tensors"]) {
      std::uint64_t worst = 0;
      const auto& index = recorded["sample_index"];
      for (std::size_t k = 0; k < index.size(); ++k)
        worst = std::max(worst, check::ulp_distance(param[j][index[k].get<std::size_t>()],
                                                    from_hex_bits<T>(recorded["param_sample"][k])));
      std::vector<std::span<const std::byte>> state_bytes{std::as_bytes(std::span(square_avg[j]))};
      if (options.momentum > 0) state_bytes.push_back(std::as_bytes(std::span(momentum_buffer[j])));
      if (options.centered) state_bytes.push_back(std::as_bytes(std::span(grad_avg[j])));
      INFO(label << " | tensor of " << param[j].size() << " elements | worst recorded element " << worst << " ULP");
      REQUIRE(worst == 0);
      REQUIRE(fnv1a({std::as_bytes(std::span(param[j]))}) == recorded["param_hash"].get<std::string>());
      REQUIRE(fnv1a(state_bytes) == recorded["state_hash"].get<std::string>());
      ++j;
    }
  }
};

template <class T>
void replay_torch(const std::string& file) {
  const auto golden = load_golden(file);
  REQUIRE(golden["format"] == "inertia-torch2-golden");
  REQUIRE(golden["steps"] == 30);
  const std::string dtype = sizeof(T) == 4 ? "float32" : "float64";
  std::size_t replayed = 0;
  for (const auto& c : golden["cases"]) {
    if (c["dtype"] != dtype) continue;
    ++replayed;
    for (arch target : supported_archs()) {
      arch_scope forced(target);
      const std::string label = file + " | " + c["name"].get<std::string>() + " " + c["path"].get<std::string>() +
                                " " + dtype + " | " + std::string(arch_name(target));
      for (int threads : {1, 3}) {
        torch_replay<T> r(c);
        r.run(0, execution{threads, 64, 1});
        r.require_torch_bits(label + " | multi-tensor threads " + std::to_string(threads));
      }
      for (int path : {1, 2}) {
        torch_replay<T> r(c);
        r.run(path, {});
        r.require_torch_bits(label + (path == 1 ? " | single-tensor calls" : " | generic C ABI"));
      }
    }
  }
  REQUIRE(replayed == 10);  // five cases x loop and foreach
}

/// optax.rmsprop run eagerly, replayed with its options (Optax's centred mean is
/// a mul-add: pytorch_1_13's order). Its own order differs (see
/// scripts/golden_optax_rmsprop.py): it squares g before scaling it, multiplies
/// g by 1 / (sqrt(nu) + eps) (or rsqrt) and then by -lr, and its trace holds
/// the lr-scaled update. So the params must be within `bound` epsilons
/// (absolute: the params are of order 1) after 30 steps; and be the same on
/// every target, thread count and entry.
template <class T>
void replay_optax(double bound) {
  const auto golden = load_golden("rmsprop_optax.json");
  REQUIRE(golden["format"] == "inertia-torch2-golden");
  const std::string dtype = sizeof(T) == 4 ? "float32" : "float64";
  double worst = 0;
  std::size_t replayed = 0;
  for (const auto& c : golden["cases"]) {
    if (c["dtype"] != dtype) continue;
    ++replayed;
    torch_replay<T> first(c);
    first.run(0, execution{1});
    const double d = first.worst_recorded_epsilons();
    INFO(c["name"].get<std::string>() << " " << dtype << ": " << d << " epsilons from optax");
    CHECK(d <= bound);
    worst = std::max(worst, d);
    for (arch target : supported_archs()) {
      arch_scope forced(target);
      for (int path : {0, 1, 2}) {
        torch_replay<T> r(c);
        r.run(path, path == 0 ? execution{3, 64, 1} : execution{});
        INFO(arch_name(target) << " path " << path);
        for (std::size_t j = 0; j < r.param.size(); ++j)  // every target, thread count and entry: one result
          REQUIRE(first_difference<T>(r.param[j], first.param[j]) == r.param[j].size());
      }
    }
  }
  REQUIRE(replayed == 4);
  std::printf("rmsprop vs optax.rmsprop (eager), %s: worst %.2f epsilons after 30 steps (bound %.0f)\n",
              dtype.c_str(), worst, bound);
}

}  // namespace

TEST_CASE("rmsprop matches the reference on every target, size and alignment, float32", "[rmsprop]") {
  sweep<float>();
}
TEST_CASE("rmsprop matches the reference on every target, size and alignment, float64", "[rmsprop]") {
  sweep<double>();
}
TEST_CASE("rmsprop trajectories match the reference for 100 steps", "[rmsprop]") {
  trajectories<float>();
  trajectories<double>();
}
TEST_CASE("rmsprop param groups in one call match each tensor stepped alone", "[rmsprop][multi_tensor]") {
  multi_tensor<float>();
  multi_tensor<double>();
}
TEST_CASE("rmsprop step policies equal the reference on transformed gradients", "[rmsprop][policy]") {
  policies<float>();
  policies<double>();
}
TEST_CASE("rmsprop skips a step with a non-finite gradient, writing nothing", "[rmsprop][policy]") {
  auto data = random_buffers<float>(5, 64, 1, 77);
  make_state_plausible(data);
  const rmsprop_options o = make(0.01, 0.9, 0.5, true, 0.0, false, rmsprop_numerics::pytorch_loop);
  data[1][63] = std::numeric_limits<float>::infinity();
  auto before = data.clone();
  REQUIRE(rmsprop_step(tensor(data, o), o, 1, step_policy{.skip_non_finite = true}).skipped);
  for (std::size_t s = 0; s < 5; ++s) REQUIRE(bitwise_equal<float>(data[s], before[s]));
}
TEST_CASE("rmsprop reproduces torch.optim.RMSprop 1.13 bit for bit", "[rmsprop][golden]") {
  replay_torch<float>("rmsprop_torch1.13.json");
  replay_torch<double>("rmsprop_torch1.13.json");
}
TEST_CASE("rmsprop reproduces torch 2.15's RMSprop loop and foreach paths bit for bit", "[rmsprop][golden][torch2]") {
  replay_torch<float>("rmsprop_torch2.15.json");
  replay_torch<double>("rmsprop_torch2.15.json");
}

TEST_CASE("rmsprop with Optax's options is within its bound of optax.rmsprop (eager)", "[rmsprop][golden][optax]") {
  // Measured on the recorded elements: 1 (float32) and 2 (float64) epsilons, Optax 0.2.8 / JAX 0.10.2 on CPU.
  replay_optax<float>(2);
  replay_optax<double>(2);
}

TEST_CASE("rmsprop rejects bad input before writing anything", "[rmsprop][validation]") {
  auto data = random_buffers<float>(5, 64, 0, 5);
  const auto call = [&](rmsprop_options o, std::int64_t step, rmsprop_tensor<float> t) {
    return [&, o, step, t] { rmsprop_step(t, o, step); };
  };
  rmsprop_options good;
  good.momentum = 0.9, good.centered = true;
  const rmsprop_tensor<float> whole{data[0], data[1], data[2], data[3], data[4]};
  rmsprop_options bad = good;
  bad.lr = -1;
  require_rejected(data, "lr", error_kind::hyperparameter, call(bad, 1, whole));
  bad = good, bad.alpha = 1.5;
  require_rejected(data, "alpha", error_kind::hyperparameter, call(bad, 1, whole));
  bad = good, bad.eps = 0;
  require_rejected(data, "eps", error_kind::hyperparameter, call(bad, 1, whole));
  bad = good, bad.weight_decay = std::numeric_limits<double>::quiet_NaN();
  require_rejected(data, "weight_decay", error_kind::hyperparameter, call(bad, 1, whole));
  bad = good, bad.momentum = 1.0;
  require_rejected(data, "momentum", error_kind::hyperparameter, call(bad, 1, whole));
  bad = good, bad.momentum = 0.0, bad.nesterov = true;
  require_rejected(data, "nesterov", error_kind::hyperparameter, call(bad, 1, whole));
  bad = good, bad.initial_scale = -1;
  require_rejected(data, "initial_scale", error_kind::hyperparameter, call(bad, 1, whole));
  require_rejected(data, "step", error_kind::hyperparameter, call(good, 0, whole));
  rmsprop_tensor<float> t = whole;
  t.square_avg = t.square_avg.subspan(1);
  require_rejected(data, "square_avg", error_kind::length, call(good, 1, t));
  t = whole, t.momentum_buffer = {};
  require_rejected(data, "momentum_buffer", error_kind::length, call(good, 1, t));
  t = whole, t.grad_avg = t.grad_avg.subspan(0, 63);
  require_rejected(data, "grad_avg", error_kind::length, call(good, 1, t));
  t = whole, t.grad_avg = data[2];
  require_rejected(data, "grad_avg", error_kind::overlap, call(good, 1, t));
  t = whole, t.momentum_buffer = data[0];
  require_rejected(data, "momentum_buffer", error_kind::overlap, call(good, 1, t));
}
