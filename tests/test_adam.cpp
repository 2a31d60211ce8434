// Adam / AdamW / NAdam against their reference on every target, thread count,
// block size, size and misalignment; trajectories; multi-tensor groups and
// their counters (step, NAdam's mu_product); step policies; validation.
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "inertia/adam.hpp"
#include "reference/adam.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

/// Streams of a test tensor: param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq.
constexpr std::size_t adam_streams = 5, nadam_streams = 4;

template <class T>
adam_tensor<T> tensor_of(buffers<T>& b) {
  return {b[0], b[1], b[2], b[3], b.count() > 4 ? b[4] : std::span<T>()};
}

/// Random data makes negative second moments; the optimizer never does.
template <class T>
void make_second_moments_valid(buffers<T>& b) {
  for (std::size_t k = 3; k < b.count(); ++k)
    for (T& x : b[k]) x = std::abs(x);
}

struct adam_case {
  adam_options options;
  std::int64_t step;
};

struct nadam_case {
  nadam_options options;
  std::int64_t step;
  float mu_product;  ///< before the step
};

/// The step of the k-th case: the first (bias corrections at their largest)
/// and a later one, alternately, so that every other flag meets both.
std::int64_t alternate_step(std::size_t k) { return k % 2 ? 10 : 1; }

const char* numerics_name(adam_numerics n) {
  switch (n) {
    case adam_numerics::pytorch_loop: return "pytorch_loop";
    case adam_numerics::pytorch_foreach: return "pytorch_foreach";
    case adam_numerics::pytorch_fused: return "pytorch_fused";
    case adam_numerics::pytorch_1_13: return "pytorch_1_13";
  }
  return "?";
}

const char* numerics_name(nadam_numerics n) {
  return n == nadam_numerics::pytorch_loop ? "pytorch_loop" : n == nadam_numerics::pytorch_foreach ? "pytorch_foreach"
                                                                                                    : "pytorch_1_13";
}

/// Sixteen cases, as many as when there was one order (the sweep and the
/// trajectories are the suite's slowest part): torch 2.x's loop order (the
/// default) with Adam and AdamW, with and without weight decay, which run the
/// specialised loops, and with amsgrad and maximize; the other orders with
/// fewer: foreach runs the loop's code, and torch 1.13's first moment and the
/// fused tail run the unspecialised loop, whatever the flags. beta1 0.3 (a
/// lerp weight of 0.7, ATen's other lerp branch) in a few.
std::vector<adam_case> adam_cases() {
  std::vector<adam_case> out;
  const auto add = [&](adam_numerics numerics, bool decoupled, double weight_decay, bool amsgrad, bool maximize) {
    const double beta1 = out.size() % 5 == 3 ? 0.3 : 0.9;
    adam_options o{0.01, beta1, 0.999, 1e-8, weight_decay, amsgrad, maximize, decoupled};
    o.numerics = numerics;
    out.push_back({o, alternate_step(out.size())});
  };
  for (bool decoupled : {false, true})
    for (double weight_decay : {0.0, 0.01}) add(adam_numerics::pytorch_loop, decoupled, weight_decay, false, false);
  add(adam_numerics::pytorch_loop, false, 0.01, true, false);
  add(adam_numerics::pytorch_loop, true, 0.01, false, true);
  add(adam_numerics::pytorch_foreach, false, 0.01, false, false);
  add(adam_numerics::pytorch_foreach, true, 0.0, true, true);
  for (adam_numerics numerics : {adam_numerics::pytorch_fused, adam_numerics::pytorch_1_13}) {
    add(numerics, false, 0.0, false, false);
    add(numerics, false, 0.01, true, true);
    add(numerics, true, 0.01, false, false);
    add(numerics, true, 0.01, true, true);
  }
  return out;
}

/// Four cases, as when there was one order: torch 2.x's loop order with and
/// without weight decay (then decoupled, and maximize), its foreach order,
/// torch 1.13's.
std::vector<nadam_case> nadam_cases() {
  std::vector<nadam_case> out;
  const auto add = [&](nadam_numerics numerics, double weight_decay, double momentum_decay, bool torch2_options) {
    nadam_options o{0.01, 0.9, 0.999, 1e-8, weight_decay, momentum_decay};
    o.numerics = numerics;
    o.maximize = o.decoupled_weight_decay = torch2_options;
    const std::int64_t step = alternate_step(out.size());
    out.push_back({o, step, reference::nadam_mu_product(o, step - 1)});
  };
  add(nadam_numerics::pytorch_loop, 0.0, 4e-3, false);
  add(nadam_numerics::pytorch_loop, 0.01, 0.04, true);
  add(nadam_numerics::pytorch_foreach, 0.01, 4e-3, false);
  add(nadam_numerics::pytorch_1_13, 0.01, 0.04, false);
  return out;
}

std::string describe(const adam_case& c) {
  const auto& o = c.options;
  return std::string(o.decoupled_weight_decay ? "adamw" : "adam") + " " + numerics_name(o.numerics) + " beta1 " +
         std::to_string(o.beta1) + " lr " + std::to_string(o.lr) + " wd " +
         std::to_string(o.weight_decay) + " amsgrad " + std::to_string(o.amsgrad) + " maximize " +
         std::to_string(o.maximize) + " step " + std::to_string(c.step);
}

std::string describe(const nadam_case& c) {
  return std::string("nadam ") + numerics_name(c.options.numerics) + " maximize " +
         std::to_string(c.options.maximize) + " decoupled " + std::to_string(c.options.decoupled_weight_decay) +
         " lr " + std::to_string(c.options.lr) + " wd " + std::to_string(c.options.weight_decay) +
         " momentum_decay " + std::to_string(c.options.momentum_decay) + " step " + std::to_string(c.step);
}

template <class T>
void adam_library(buffers<T>& b, const adam_case& c, const execution& exec) {
  make_second_moments_valid(b);
  adam_step(tensor_of(b), c.options, c.step, {}, exec);
}

template <class T>
void adam_reference(buffers<T>& b, const adam_case& c) {
  make_second_moments_valid(b);
  reference::adam(tensor_of(b), c.options, c.step);
}

template <class T>
void nadam_library(buffers<T>& b, const nadam_case& c, const execution& exec) {
  make_second_moments_valid(b);
  float mu_product = c.mu_product;
  nadam_step(tensor_of(b), c.options, c.step, mu_product, {}, exec);
}

template <class T>
void nadam_reference(buffers<T>& b, const nadam_case& c) {
  make_second_moments_valid(b);
  float mu_product = c.mu_product;
  reference::nadam(tensor_of(b), c.options, c.step, mu_product);
}

/// lr 0.01 for 50 steps, then 0.002 (bias corrections and the NAdam schedule follow the step).
double lr_at(int step) { return step <= 50 ? 0.01 : 0.002; }

}  // namespace

TEMPLATE_TEST_CASE("adam and adamw match the reference bit for bit on every target, thread count and block size",
                   "[adam]", float, double) {
  const auto cases = adam_cases();
  REQUIRE(cases.size() == 16);
  require_sweep_matches<TestType>(adam_streams, cases, adam_library<TestType>, adam_reference<TestType>,
                                  [](const adam_case& c) { return describe(c); });
}

TEMPLATE_TEST_CASE("nadam matches the reference bit for bit on every target, thread count and block size", "[adam]",
                   float, double) {
  const auto cases = nadam_cases();
  require_sweep_matches<TestType>(nadam_streams, cases, nadam_library<TestType>, nadam_reference<TestType>,
                                  [](const nadam_case& c) { return describe(c); });
}

TEMPLATE_TEST_CASE("adam and adamw 100-step trajectories with an lr schedule stay bit-identical", "[adam]", float,
                   double) {
  const auto cases = adam_cases();
  const auto at_step = [](adam_case c, int step) {
    c.step = step;
    c.options.lr = lr_at(step);
    return c;
  };
  require_trajectories_match<TestType>(adam_streams, 1, cases, at_step, adam_library<TestType>,
                                       adam_reference<TestType>, [](const adam_case& c) { return describe(c); });
}

TEMPLATE_TEST_CASE("nadam 100-step trajectories with an lr schedule stay bit-identical", "[adam]", float, double) {
  const auto cases = nadam_cases();
  const auto at_step = [](nadam_case c, int step) {
    c.step = step;
    c.options.lr = lr_at(step);
    c.mu_product = reference::nadam_mu_product(c.options, step - 1);
    return c;
  };
  require_trajectories_match<TestType>(nadam_streams, 1, cases, at_step, nadam_library<TestType>,
                                       nadam_reference<TestType>, [](const nadam_case& c) { return describe(c); });
}

TEST_CASE("nadam advances mu_product as torch 1.13's float32 state does", "[adam]") {
  auto data = random_buffers<double>(nadam_streams, 40, 1, 11);
  make_second_moments_valid(data);
  const nadam_options o;
  float mu_product = 1.0f;
  for (std::int64_t step = 1; step <= 30; ++step) {
    nadam_step(tensor_of(data), o, step, mu_product);
    REQUIRE(mu_product == reference::nadam_mu_product(o, step));
  }
  // beta1 * (1 - 0.5 * 0.96^(t psi)) is about 0.45 early on: the product shrinks fast.
  REQUIRE(mu_product < 1e-9f);
  REQUIRE(mu_product > 0.0f);
}

TEST_CASE("adamw with no weight decay is adam with no weight decay", "[adam]") {
  auto adam_data = random_buffers<float>(adam_streams, 1000, 3, 4);
  make_second_moments_valid(adam_data);
  auto adamw_data = adam_data.clone();
  adam_options o{0.01, 0.9, 0.999, 1e-8, 0.0, true, true, false};
  for (std::int64_t step = 1; step <= 5; ++step) {
    adam_step(tensor_of(adam_data), o, step);
    o.decoupled_weight_decay = true;
    adam_step(tensor_of(adamw_data), o, step);
    o.decoupled_weight_decay = false;
  }
  for (std::size_t k = 0; k < adam_streams; ++k) REQUIRE(bitwise_equal<float>(adam_data[k], adamw_data[k]));
}

TEST_CASE("amsgrad's running max keeps a NaN on every target", "[adam]") {
  for (arch target : supported_archs()) {
    arch_scope forced(target);
    auto data = random_buffers<float>(adam_streams, 37, 0, 8);
    make_second_moments_valid(data);
    data[4][5] = std::numeric_limits<float>::quiet_NaN();  // a NaN running max, on a vector lane
    data[4][36] = std::numeric_limits<float>::quiet_NaN();  // and in the scalar tail
    adam_step(tensor_of(data), adam_options{0.01, 0.9, 0.999, 1e-8, 0.0, true}, 3);
    INFO(arch_name(target));
    REQUIRE(std::isnan(data[4][5]));
    REQUIRE(std::isnan(data[0][5]));
    REQUIRE(std::isnan(data[4][36]));
    REQUIRE(!std::isnan(data[0][4]));
  }
}

namespace {

/// Tensors of these sizes (empty, one element, odd, several default blocks),
/// each with its own allocation and misalignment, split into two groups.
const std::vector<std::size_t> model_sizes = {0, 1, 7, 1000, 20011, 33, 17, 5000, 3};

template <class T>
struct adam_model {
  std::vector<buffers<T>> storage;
  std::vector<adam_tensor<T>> even, odd;  ///< the two groups' tensors
  explicit adam_model(std::size_t streams) {
    for (std::size_t k = 0; k < model_sizes.size(); ++k) {
      storage.push_back(random_buffers<T>(streams, model_sizes[k], k % 4, 50 + k));
      make_second_moments_valid(storage.back());
    }
    for (std::size_t k = 0; k < storage.size(); ++k) (k % 2 ? odd : even).push_back(tensor_of(storage[k]));
  }
  adam_model(const adam_model&) = delete;
  void fresh_gradients(int step) {
    for (std::size_t k = 0; k < storage.size(); ++k) fill_random<T>(storage[k][1], 100 * step + k);
  }
  bool equals(adam_model& other) {
    for (std::size_t k = 0; k < storage.size(); ++k)
      for (std::size_t s = 0; s < storage[k].count(); ++s)
        if (!bitwise_equal<T>(storage[k][s], other.storage[k][s])) return false;
    return true;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("multi-tensor adam equals stepping each tensor alone, bit for bit", "[adam][multi_tensor]", float,
                   double) {
  using T = TestType;
  const adam_options amsgrad_adam{0.01, 0.9, 0.999, 1e-8, 0.01, true, true, false};
  // fused: each tensor of the group has its own fused tail (model_sizes are no multiples of 8)
  const adam_options adamw{0.002, 0.8, 0.99, 1e-6, 0.1, false, false, true, adam_numerics::pytorch_fused};
  for (const setting& s : settings_for<T>(1000)) {
    adam_model<T> actual(adam_streams), expected(adam_streams);
    std::vector<adam_group<T>> groups = {{amsgrad_adam, actual.even, 0}, {adamw, actual.odd, 4}};
    arch_scope forced(s.target);
    for (int step = 1; step <= 3; ++step) {
      actual.fresh_gradients(step);
      expected.fresh_gradients(step);
      adam_step(std::span(groups), {}, s.exec);
      for (const auto& t : expected.even) reference::adam(t, amsgrad_adam, step);
      for (const auto& t : expected.odd) reference::adam(t, adamw, step + 4);
      INFO(s.describe() << " | after step " << step);
      REQUIRE(actual.equals(expected));
      REQUIRE(groups[0].step == step);
      REQUIRE(groups[1].step == step + 4);
    }
  }
}

TEMPLATE_TEST_CASE("multi-tensor nadam equals stepping each tensor alone and advances each group's mu_product",
                   "[adam][multi_tensor]", float, double) {
  using T = TestType;
  const nadam_options plain, decayed{0.01, 0.8, 0.99, 1e-6, 0.01, 0.04};
  for (const setting& s : settings_for<T>(1000)) {
    adam_model<T> actual(nadam_streams), expected(nadam_streams);
    std::vector<nadam_group<T>> groups = {{plain, actual.even, 0, 1.0f},
                                          {decayed, actual.odd, 2, reference::nadam_mu_product(decayed, 2)}};
    arch_scope forced(s.target);
    for (int step = 1; step <= 3; ++step) {
      actual.fresh_gradients(step);
      expected.fresh_gradients(step);
      nadam_step(std::span(groups), {}, s.exec);
      for (const auto& t : expected.even) {
        float mu_product = reference::nadam_mu_product(plain, step - 1);
        reference::nadam(t, plain, step, mu_product);
      }
      for (const auto& t : expected.odd) {
        float mu_product = reference::nadam_mu_product(decayed, step + 1);
        reference::nadam(t, decayed, step + 2, mu_product);
      }
      INFO(s.describe() << " | after step " << step);
      REQUIRE(actual.equals(expected));
      REQUIRE(groups[0].step == step);
      REQUIRE(groups[1].step == step + 2);
      REQUIRE(groups[0].mu_product == reference::nadam_mu_product(plain, step));
      REQUIRE(groups[1].mu_product == reference::nadam_mu_product(decayed, step + 2));
    }
  }
}

TEST_CASE("adam and nadam under a step policy: unscaled gradients, and a skipped step advances nothing",
          "[adam][policy]") {
  adam_model<float> actual(adam_streams), expected(adam_streams);
  const adam_options o{0.01, 0.9, 0.999, 1e-8, 0.01, true, false, false};
  std::vector<adam_group<float>> groups = {{o, actual.even, 0}, {o, actual.odd, 0}};
  const step_policy unscale{1024.0};
  REQUIRE_FALSE(adam_step(std::span(groups), unscale).skipped);
  for (auto& b : expected.storage) {
    std::vector<float> unscaled(b[1].begin(), b[1].end());
    for (float& g : unscaled) g = g / 1024.0f;  // what the step must see
    auto t = tensor_of(b);
    t.grad = unscaled;
    reference::adam(t, o, 1);
  }
  REQUIRE(actual.equals(expected));

  adam_model<float> nadam_data(nadam_streams), untouched(nadam_streams);
  std::vector<nadam_group<float>> nadam_groups = {{nadam_options{}, nadam_data.even, 3, 0.25f}};
  nadam_data.storage[4][1][17] = std::numeric_limits<float>::infinity();  // in the even group
  untouched.storage[4][1][17] = std::numeric_limits<float>::infinity();
  step_policy skip;
  skip.skip_non_finite = true;
  REQUIRE(nadam_step(std::span(nadam_groups), skip).skipped);
  REQUIRE(nadam_data.equals(untouched));
  REQUIRE(nadam_groups[0].step == 3);
  REQUIRE(nadam_groups[0].mu_product == 0.25f);
}

TEST_CASE("adam and nadam reject bad calls before writing anything", "[adam][validation]") {
  auto data = random_buffers<float>(adam_streams, 64, 0, 3);
  const adam_options good{0.01, 0.9, 0.999, 1e-8, 0.0, true};
  const auto whole = [&] { return tensor_of(data); };
  const auto adam = [&](adam_options o, adam_tensor<float> t, std::int64_t step = 2) {
    return [=] { adam_step(t, o, step); };
  };
  const auto with = [&](auto change) { adam_options o = good; change(o); return o; };
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const auto hyper = error_kind::hyperparameter;

  require_rejected(data, "lr", hyper, adam(with([&](auto& o) { o.lr = nan; }), whole()));
  require_rejected(data, "lr", hyper, adam(with([&](auto& o) { o.lr = -0.1; }), whole()));
  require_rejected(data, "beta1", hyper, adam(with([&](auto& o) { o.beta1 = 1.0; }), whole()));
  require_rejected(data, "beta1", hyper, adam(with([&](auto& o) { o.beta1 = -0.1; }), whole()));
  require_rejected(data, "beta2", hyper, adam(with([&](auto& o) { o.beta2 = 1.0; }), whole()));
  require_rejected(data, "beta2", hyper, adam(with([&](auto& o) { o.beta2 = inf; }), whole()));
  require_rejected(data, "eps", hyper, adam(with([&](auto& o) { o.eps = 0.0; }), whole()));
  require_rejected(data, "eps", hyper, adam(with([&](auto& o) { o.eps = -1e-8; }), whole()));
  require_rejected(data, "eps", hyper, adam(with([&](auto& o) { o.eps = inf; }), whole()));
  require_rejected(data, "weight_decay", hyper, adam(with([&](auto& o) { o.weight_decay = -0.01; }), whole()));
  require_rejected(data, "weight_decay", hyper, adam(with([&](auto& o) { o.weight_decay = nan; }), whole()));
  require_rejected(data, "step", hyper, adam(good, whole(), 0));

  auto t = whole();
  t.grad = t.grad.first(63);
  require_rejected(data, "grad", error_kind::length, adam(good, t));
  t = whole();
  t.exp_avg = t.exp_avg.first(10);
  require_rejected(data, "exp_avg", error_kind::length, adam(good, t));
  t = whole();
  t.exp_avg_sq = {};
  require_rejected(data, "exp_avg_sq", error_kind::length, adam(good, t));
  t = whole();
  t.max_exp_avg_sq = {};  // amsgrad needs it
  require_rejected(data, "max_exp_avg_sq", error_kind::length, adam(good, t));
  REQUIRE_NOTHROW(adam(with([&](auto& o) { o.amsgrad = false; }), t)());  // and nothing else does

  // Overlaps: the later buffer of a pair (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq) is named.
  t = whole();
  t.grad = t.param;
  require_rejected(data, "grad", error_kind::overlap, adam(good, t));
  t = whole();
  t.exp_avg_sq = t.exp_avg;
  require_rejected(data, "exp_avg_sq", error_kind::overlap, adam(good, t));
  t = whole();
  t.max_exp_avg_sq = std::span<float>(data[0].data() + 10, 64);  // starts inside param
  require_rejected(data, "max_exp_avg_sq", error_kind::overlap, adam(good, t));

  // NAdam: its own hyperparameters and its mu_product state.
  const auto nadam = [&](nadam_options o, float mu_product, std::int64_t step = 2) {
    auto tensor = whole();
    return [=]() mutable { nadam_step(tensor, o, step, mu_product); };
  };
  require_rejected(data, "momentum_decay", hyper, nadam({0.01, 0.9, 0.999, 1e-8, 0.0, -1e-3}, 0.5f));
  require_rejected(data, "momentum_decay", hyper, nadam({0.01, 0.9, 0.999, 1e-8, 0.0, inf}, 0.5f));
  require_rejected(data, "eps", hyper, nadam({0.01, 0.9, 0.999, 0.0}, 0.5f));
  require_rejected(data, "mu_product", hyper, nadam({}, 1.5f));
  require_rejected(data, "mu_product", hyper, nadam({}, -0.5f));
  require_rejected(data, "mu_product", hyper, nadam({}, std::numeric_limits<float>::quiet_NaN()));
  require_rejected(data, "step", hyper, nadam({}, 1.0f, 0));

  float mu_product = 0.5f;
  auto bad = whole();
  bad.exp_avg = bad.exp_avg.first(3);
  REQUIRE_THROWS_AS(nadam_step(bad, nadam_options{}, 2, mu_product), inertia::invalid_argument);
  REQUIRE(mu_product == 0.5f);  // state advances only with a step
}

TEST_CASE("multi-tensor nadam validation names the group and leaves step and mu_product alone",
          "[adam][multi_tensor][validation]") {
  adam_model<double> data(nadam_streams), before(nadam_streams);
  std::vector<nadam_group<double>> groups = {{nadam_options{}, data.even, 4, 0.125f},
                                             {nadam_options{}, data.odd, 4, 0.125f}};
  const auto require_group_rejected = [&](const char* argument, const char* where) {
    try {
      nadam_step(std::span(groups));
      FAIL("expected a rejection naming " << argument);
    } catch (const inertia::invalid_argument& error) {
      INFO(error.what());
      CHECK(error.argument() == argument);
      CHECK(std::string(error.what()).find(where) != std::string::npos);
    }
    REQUIRE(data.equals(before));
    REQUIRE((groups[0].step == 4 && groups[1].step == 4 && groups[0].mu_product == 0.125f));
  };
  groups[1].mu_product = 2.0f;
  require_group_rejected("mu_product", "group 1");
  groups[1].mu_product = 0.125f;

  std::vector<adam_tensor<double>> odd = data.odd;
  odd[1].exp_avg_sq = data.even[2].exp_avg.first(odd[1].param.size());  // inside another tensor's buffer
  groups[1].tensors = odd;
  require_group_rejected("exp_avg_sq", "group 1, tensor 1 exp_avg_sq shares memory with group 0, tensor 2 exp_avg");
  groups[1].tensors = data.odd;

  REQUIRE_NOTHROW(nadam_step(std::span(groups)));
  REQUIRE(groups[0].step == 5);
  REQUIRE(groups[0].mu_product < 0.125f);
}
