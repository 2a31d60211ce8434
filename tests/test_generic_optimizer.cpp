// The generic C ABI (inertia_optimizer_*) against each variant's own C++
// multi-tensor call: the same options, tensors and steps must give the same
// bits, for one tensor and many, f32 and f64, with and without a step
// policy, on every target. And the generic call's errors: each names what is
// wrong and leaves every buffer, the handle's options and its scalar state as
// they were.
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "inertia/adagrad.hpp"
#include "inertia/adan.hpp"
#include "inertia/adam.hpp"
#include "inertia/ademamix.hpp"
#include "inertia/aggmo.hpp"
#include "inertia/ema.hpp"
#include "inertia/heavy_ball.hpp"
#include "handle_support.hpp"
#include "inertia/inertia.h"
#include "inertia/lamb.hpp"
#include "inertia/lars.hpp"
#include "inertia/lion.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/qhm.hpp"
#include "inertia/rmsprop.hpp"
#include "inertia/schedule_free_adamw.hpp"
#include "inertia/schedule_free_sgd.hpp"
#include "inertia/signum.hpp"
#include "inertia/simplified_ademamix.hpp"
#include "inertia/sutskever.hpp"
#include "inertia/weight_ema.hpp"
#include "support.hpp"

namespace inertia::test {
namespace {

/// One tensor's buffers: param, grad, then the state the handle asks for.
template <class T>
struct tensor_data {
  std::vector<T> param, grad;
  std::vector<std::vector<T>> state;
};

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <class T>
bool same_bits(const tensor_data<T>& a, const tensor_data<T>& b) {
  if (!same_bits(a.param, b.param) || !same_bits(a.grad, b.grad) || a.state.size() != b.state.size()) return false;
  for (std::size_t k = 0; k < a.state.size(); ++k)
    if (!same_bits(a.state[k], b.state[k])) return false;
  return true;
}

/// What the C++ call of one variant sees: options set through the handle are
/// given to it as the C++ options struct, by the case's own code.
template <class T>
using reference_step = std::function<step_report(std::vector<tensor_data<T>>&, long long step, const step_policy*)>;

template <class T>
std::span<T> view(std::vector<T>& v) {
  return {v.data(), v.size()};
}
template <class T>
std::span<const T> cview(const std::vector<T>& v) {
  return {v.data(), v.size()};
}

/// Runs the per-variant C++ multi-tensor call on a one-group list.
template <class Group, class Call>
step_report call_group(Group group, const step_policy* policy, Call call) {
  if (policy != nullptr) return call(std::span<Group>(&group, 1), policy);
  call(std::span<Group>(&group, 1), nullptr);
  return {};
}

#define INERTIA_GROUP_CALL(function)                                                             \
  [](auto groups, const step_policy* policy) {                                                   \
    if (policy != nullptr) return function(groups, *policy);                                     \
    function(groups);                                                                            \
    return step_report{};                                                                        \
  }

template <class T>
struct variant_case {
  std::string label;
  const char* variant;
  std::function<void(inertia_optimizer*)> configure;
  reference_step<T> reference;
  bool takes_policy = true;
};

template <class T>
std::vector<heavy_ball_tensor<T>> heavy_ball_tensors(std::vector<tensor_data<T>>& data) {
  std::vector<heavy_ball_tensor<T>> out;
  for (auto& d : data) out.push_back({view(d.param), cview(d.grad), d.state.empty() ? std::span<T>() : view(d.state[0])});
  return out;
}
template <class T>
std::vector<velocity_tensor<T>> velocity_tensors(std::vector<tensor_data<T>>& data) {
  std::vector<velocity_tensor<T>> out;
  for (auto& d : data) out.push_back({view(d.param), cview(d.grad), d.state.empty() ? std::span<T>() : view(d.state[0])});
  return out;
}
template <class T>
std::vector<adam_tensor<T>> adam_tensors(std::vector<tensor_data<T>>& data) {
  std::vector<adam_tensor<T>> out;
  for (auto& d : data)
    out.push_back({view(d.param), cview(d.grad), view(d.state[0]), view(d.state[1]),
                   d.state.size() > 2 ? view(d.state[2]) : std::span<T>()});
  return out;
}

void set(inertia_optimizer* opt, const char* key, double value) {
  REQUIRE(inertia_optimizer_set(opt, key, value) == INERTIA_OK);
}
void set_array(inertia_optimizer* opt, const char* key, std::vector<double> values) {
  REQUIRE(inertia_optimizer_set_array(opt, key, values.data(), values.size()) == INERTIA_OK);
}

template <class T>
std::vector<variant_case<T>> cases() {
  std::vector<variant_case<T>> out;
  {
    heavy_ball_options o;
    o.lr = 0.05, o.momentum = 0.9, o.weight_decay = 1e-2, o.nesterov = true;
    out.push_back({"heavy_ball nesterov wd", "sgd",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 0.05), set(h, "momentum", 0.9), set(h, "weight_decay", 1e-2), set(h, "nesterov", 1);
                   },
                   [o](auto& data, long long step, const step_policy* policy) {
                     auto tensors = heavy_ball_tensors(data);
                     return call_group(heavy_ball_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(heavy_ball_step));
                   }});
    heavy_ball_options fused;
    fused.lr = 0.1, fused.momentum = 0.8, fused.dampening = 0.25, fused.numerics = heavy_ball_numerics::pytorch_fused;
    out.push_back({"heavy_ball fused dampening", "heavy_ball",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 0.1), set(h, "momentum", 0.8), set(h, "dampening", 0.25);
                     REQUIRE(inertia_optimizer_set_string(h, "numerics", "pytorch_fused") == INERTIA_OK);
                   },
                   [fused](auto& data, long long step, const step_policy* policy) {
                     auto tensors = heavy_ball_tensors(data);
                     return call_group(heavy_ball_group<T>{fused, tensors, step - 1}, policy, INERTIA_GROUP_CALL(heavy_ball_step));
                   }});
    heavy_ball_options plain;
    plain.lr = 0.3, plain.maximize = true;
    out.push_back({"heavy_ball plain SGD (no state)", "heavy_ball",
                   [](inertia_optimizer* h) { set(h, "lr", 0.3), set(h, "maximize", 1); },
                   [plain](auto& data, long long step, const step_policy* policy) {
                     auto tensors = heavy_ball_tensors(data);
                     return call_group(heavy_ball_group<T>{plain, tensors, step - 1}, policy, INERTIA_GROUP_CALL(heavy_ball_step));
                   }});
  }
  {
    const sutskever_options o{0.02, 0.9, true};
    out.push_back({"sutskever nesterov", "sutskever",
                   [](inertia_optimizer* h) { set(h, "lr", 0.02), set(h, "momentum", 0.9), set(h, "nesterov", 1); },
                   [o](auto& data, long long step, const step_policy* policy) {
                     auto tensors = velocity_tensors(data);
                     return call_group(sutskever_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(sutskever_step));
                   }});
  }
  {
    const ema_options o{0.01, 0.8, true};
    out.push_back({"ema bias-corrected", "ema",
                   [](inertia_optimizer* h) { set(h, "lr", 0.01), set(h, "beta", 0.8), set(h, "bias_correction", 1); },
                   [o](auto& data, long long step, const step_policy* policy) {
                     auto tensors = velocity_tensors(data);
                     return call_group(ema_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(ema_step));
                   }});
  }
  {
    const qhm_options o{0.03, 0.7, 0.95, 1e-3};
    out.push_back({"qhm", "qhm",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 0.03), set(h, "nu", 0.7), set(h, "beta", 0.95), set(h, "weight_decay", 1e-3);
                   },
                   [o](auto& data, long long step, const step_policy* policy) {
                     auto tensors = velocity_tensors(data);
                     return call_group(qhm_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(qhm_step));
                   }});
  }
  {
    static const double betas[] = {0.0, 0.5, 0.9, 0.99};
    aggmo_options o;
    o.lr = 0.01, o.betas = betas, o.weight_decay = 1e-3;
    out.push_back({"aggmo K = 4", "aggmo",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 0.01), set(h, "weight_decay", 1e-3), set_array(h, "betas", {0.0, 0.5, 0.9, 0.99});
                   },
                   [o](auto& data, long long step, const step_policy* policy) {
                     std::vector<std::vector<std::span<T>>> velocities(data.size());
                     std::vector<aggmo_tensor<T>> tensors;
                     for (std::size_t i = 0; i < data.size(); ++i) {
                       for (auto& v : data[i].state) velocities[i].push_back(view(v));
                       tensors.push_back({view(data[i].param), cview(data[i].grad), velocities[i]});
                     }
                     return call_group(aggmo_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(aggmo_step));
                   }});
  }
  {
    const lion_options o{1e-3, 0.9, 0.98, 0.1};
    out.push_back({"lion", "lion",
                   [](inertia_optimizer* h) { set(h, "lr", 1e-3), set_array(h, "betas", {0.9, 0.98}), set(h, "weight_decay", 0.1); },
                   [o](auto& data, long long step, const step_policy* policy) {
                     auto tensors = velocity_tensors(data);
                     return call_group(lion_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(lion_step));
                   }});
    const signum_options s{0.01, 0.9};
    out.push_back({"signum", "signum", [](inertia_optimizer* h) { set(h, "lr", 0.01), set(h, "beta", 0.9); },
                   [s](auto& data, long long step, const step_policy* policy) {
                     auto tensors = velocity_tensors(data);
                     return call_group(signum_group<T>{s, tensors, step - 1}, policy, INERTIA_GROUP_CALL(signum_step));
                   }});
  }
  {
    const lars_options o{0.1, 0.9, 1e-4, 1e-3};
    out.push_back({"lars", "lars",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 0.1), set(h, "momentum", 0.9), set(h, "weight_decay", 1e-4), set(h, "eta", 1e-3);
                   },
                   [o](auto& data, long long step, const step_policy*) {
                     auto tensors = heavy_ball_tensors(data);
                     lars_group<T> group{o, tensors, step - 1};
                     lars_step(std::span(&group, 1));
                     return step_report{};
                   },
                   false});
  }
  {
    adam_options o;
    o.lr = 1e-2, o.beta1 = 0.8, o.beta2 = 0.95, o.eps = 1e-6, o.weight_decay = 1e-2, o.amsgrad = true;
    out.push_back({"adam amsgrad wd", "adam",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 1e-2), set_array(h, "betas", {0.8, 0.95}), set(h, "eps", 1e-6);
                     set(h, "weight_decay", 1e-2), set(h, "amsgrad", 1);
                   },
                   [o](auto& data, long long step, const step_policy* policy) {
                     auto tensors = adam_tensors(data);
                     return call_group(adam_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(adam_step));
                   }});
    adam_options w;
    w.lr = 3e-3, w.weight_decay = 1e-2, w.decoupled_weight_decay = true, w.maximize = true;
    out.push_back({"adamw (defaults: decoupled, wd 1e-2)", "adamw",
                   [](inertia_optimizer* h) { set(h, "lr", 3e-3), set(h, "maximize", 1); },
                   [w](auto& data, long long step, const step_policy* policy) {
                     auto tensors = adam_tensors(data);
                     return call_group(adam_group<T>{w, tensors, step - 1}, policy, INERTIA_GROUP_CALL(adam_step));
                   }});
  }
  {
    // The reference keeps its own mu_product across steps, as the handle does.
    auto mu_product = std::make_shared<float>(1.0f);
    nadam_options o;
    o.lr = 2e-3, o.weight_decay = 1e-3, o.momentum_decay = 5e-3;
    out.push_back({"nadam", "nadam",
                   [](inertia_optimizer* h) { set(h, "lr", 2e-3), set(h, "weight_decay", 1e-3), set(h, "momentum_decay", 5e-3); },
                   [o, mu_product](auto& data, long long step, const step_policy* policy) {
                     if (step == 1) *mu_product = 1.0f;
                     auto tensors = adam_tensors(data);
                     nadam_group<T> group{o, tensors, step - 1, *mu_product};
                     const step_report r = policy != nullptr ? nadam_step(std::span(&group, 1), *policy)
                                                             : (nadam_step(std::span(&group, 1)), step_report{});
                     *mu_product = group.mu_product;
                     return r;
                   }});
  }
  {
    const weight_ema_options o{0.99, true, weight_ema_rounding::mul_add};
    out.push_back({"weight_ema warmup mul_add", "weight_ema",
                   [](inertia_optimizer* h) {
                     set(h, "decay", 0.99), set(h, "warmup", 1);
                     REQUIRE(inertia_optimizer_set_string(h, "rounding", "mul_add") == INERTIA_OK);
                   },
                   [o](auto& data, long long step, const step_policy*) {
                     std::vector<weight_ema_tensor<T>> tensors;
                     for (auto& d : data) tensors.push_back({view(d.state[0]), cview(d.param)});
                     weight_ema_group<T> group{o, tensors, step - 1};
                     weight_ema_step(std::span(&group, 1));
                     return step_report{};
                   },
                   false});
  }
  {
    adagrad_options o;
    o.lr = 0.05, o.lr_decay = 1e-2, o.weight_decay = 1e-3, o.eps = 1e-8;
    out.push_back({"adagrad lr_decay wd", "adagrad",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 0.05), set(h, "lr_decay", 1e-2), set(h, "weight_decay", 1e-3), set(h, "eps", 1e-8);
                   },
                   [o](auto& data, long long step, const step_policy* policy) {
                     std::vector<adagrad_tensor<T>> tensors;
                     for (auto& d : data) tensors.push_back({view(d.param), cview(d.grad), view(d.state[0])});
                     return call_group(adagrad_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(adagrad_step));
                   }});
  }
  {
    const adan_options o{.lr = 1e-2, .b1 = 0.9, .weight_decay = 0.02};
    out.push_back({"adan b1 wd", "adan",
                   [](inertia_optimizer* h) { set(h, "lr", 1e-2), set(h, "b1", 0.9), set(h, "weight_decay", 0.02); },
                   [o](auto& data, long long step, const step_policy* policy) {
                     std::vector<adan_tensor<T>> tensors;
                     for (auto& d : data)
                       tensors.push_back({view(d.param), cview(d.grad), view(d.state[0]), view(d.state[1]),
                                          view(d.state[2]), view(d.state[3])});
                     return call_group(adan_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(adan_step));
                   }});
  }
  {
    const simplified_ademamix_options o{.lr = 1e-2, .alpha = 2.0, .weight_decay = 0.01};
    out.push_back({"simplified_ademamix alpha wd", "simplified_ademamix",
                   [](inertia_optimizer* h) { set(h, "lr", 1e-2), set(h, "alpha", 2.0), set(h, "weight_decay", 0.01); },
                   [o](auto& data, long long step, const step_policy* policy) {
                     std::vector<simplified_ademamix_tensor<T>> tensors;
                     for (auto& d : data)
                       tensors.push_back({view(d.param), cview(d.grad), view(d.state[0]), view(d.state[1])});
                     return call_group(simplified_ademamix_group<T>{o, tensors, step - 1}, policy,
                                       INERTIA_GROUP_CALL(simplified_ademamix_step));
                   }});
  }
  {
    const lamb_options o{.lr = 1e-2, .b2 = 0.99, .eps_root = 1e-6, .weight_decay = 0.01};
    out.push_back({"lamb b2 eps_root wd", "lamb",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 1e-2), set(h, "b2", 0.99), set(h, "eps_root", 1e-6), set(h, "weight_decay", 0.01);
                   },
                   [o](auto& data, long long step, const step_policy* policy) {
                     std::vector<lamb_tensor<T>> tensors;
                     for (auto& d : data)
                       tensors.push_back({view(d.param), cview(d.grad), view(d.state[0]), view(d.state[1])});
                     return call_group(lamb_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(lamb_step));
                   }});
  }
  // rmsprop keeps momentum_buffer and grad_avg by options: centered alone
  // passes grad_avg as state[1], centered with momentum as state[2].
  for (const bool with_momentum : {false, true}) {
    rmsprop_options o;
    o.lr = 0.01, o.alpha = 0.9, o.centered = true, o.weight_decay = 1e-3;
    o.momentum = with_momentum ? 0.5 : 0.0;
    if (with_momentum) o.numerics = rmsprop_numerics::pytorch_1_13;
    out.push_back({with_momentum ? "rmsprop centered momentum wd pytorch_1_13" : "rmsprop centered wd", "rmsprop",
                   [with_momentum](inertia_optimizer* h) {
                     set(h, "lr", 0.01), set(h, "alpha", 0.9), set(h, "centered", 1), set(h, "weight_decay", 1e-3);
                     if (with_momentum) {
                       set(h, "momentum", 0.5);
                       REQUIRE(inertia_optimizer_set_string(h, "numerics", "pytorch_1_13") == INERTIA_OK);
                     }
                   },
                   [o, with_momentum](auto& data, long long step, const step_policy* policy) {
                     std::vector<rmsprop_tensor<T>> tensors;
                     for (auto& d : data)
                       tensors.push_back({view(d.param), cview(d.grad), view(d.state[0]),
                                          with_momentum ? view(d.state[1]) : std::span<T>(),
                                          view(d.state[with_momentum ? 2 : 1])});
                     return call_group(rmsprop_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(rmsprop_step));
                   }});
  }
  {
    // The reference keeps its own lr_max and weight_sum across steps, as the handle does.
    auto scalars = std::make_shared<schedule_free_scalars>();
    schedule_free_sgd_options o;
    o.lr = 0.1, o.momentum = 0.8, o.weight_decay = 1e-3, o.warmup_steps = 2;
    out.push_back({"schedule_free_sgd warmup wd", "schedule_free_sgd",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 0.1), set(h, "momentum", 0.8), set(h, "weight_decay", 1e-3);
                     set(h, "warmup_steps", 2);
                   },
                   [o, scalars](auto& data, long long step, const step_policy* policy) {
                     if (step == 1) *scalars = {};
                     std::vector<schedule_free_sgd_tensor<T>> tensors;
                     for (auto& d : data) tensors.push_back({view(d.param), cview(d.grad), view(d.state[0])});
                     schedule_free_sgd_group<T> group{o, tensors, step - 1, *scalars};
                     const step_report r = policy != nullptr ? schedule_free_sgd_step(std::span(&group, 1), *policy)
                                                             : (schedule_free_sgd_step(std::span(&group, 1)), step_report{});
                     *scalars = group.scalars;
                     return r;
                   }});
  }
  {
    auto scalars = std::make_shared<schedule_free_scalars>();
    schedule_free_adamw_options o;
    o.lr = 1e-2, o.beta1 = 0.85, o.beta2 = 0.99, o.weight_decay = 1e-2, o.r = 0.5;
    out.push_back({"schedule_free_adamw betas wd r", "schedule_free_adamw",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 1e-2), set_array(h, "betas", {0.85, 0.99}), set(h, "weight_decay", 1e-2);
                     set(h, "r", 0.5);
                   },
                   [o, scalars](auto& data, long long step, const step_policy* policy) {
                     if (step == 1) *scalars = {};
                     std::vector<schedule_free_adamw_tensor<T>> tensors;
                     for (auto& d : data)
                       tensors.push_back({view(d.param), cview(d.grad), view(d.state[0]), view(d.state[1])});
                     schedule_free_adamw_group<T> group{o, tensors, step - 1, *scalars};
                     const step_report r = policy != nullptr ? schedule_free_adamw_step(std::span(&group, 1), *policy)
                                                             : (schedule_free_adamw_step(std::span(&group, 1)), step_report{});
                     *scalars = group.scalars;
                     return r;
                   }});
  }
  {
    ademamix_options o;
    o.lr = 1e-2, o.weight_decay = 1e-2, o.alpha_warmup = 2, o.b3_warmup = 3;
    out.push_back({"ademamix warm-ups wd", "ademamix",
                   [](inertia_optimizer* h) {
                     set(h, "lr", 1e-2), set(h, "weight_decay", 1e-2), set(h, "alpha_warmup", 2);
                     set(h, "b3_warmup", 3);
                   },
                   [o](auto& data, long long step, const step_policy* policy) {
                     std::vector<ademamix_tensor<T>> tensors;
                     for (auto& d : data)
                       tensors.push_back({view(d.param), cview(d.grad), view(d.state[0]), view(d.state[1]), view(d.state[2])});
                     return call_group(ademamix_group<T>{o, tensors, step - 1}, policy, INERTIA_GROUP_CALL(ademamix_step));
                   }});
  }
  return out;
}

constexpr inertia_dtype dtype_of(float) { return INERTIA_FLOAT32; }
constexpr inertia_dtype dtype_of(double) { return INERTIA_FLOAT64; }

/// Tensors of the given sizes, random, with `state_count` state buffers each
/// (positive where a state must be: Adam's second moment, Adagrad's sum).
template <class T>
std::vector<tensor_data<T>> make_tensors(const std::vector<std::size_t>& sizes, std::size_t state_count,
                                         std::uint64_t seed) {
  std::vector<tensor_data<T>> out(sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    auto& d = out[i];
    d.param.resize(sizes[i]);
    d.grad.resize(sizes[i]);
    fill_random<T>(std::span<T>(d.param), seed + 10 * i);
    fill_random<T>(std::span<T>(d.grad), seed + 10 * i + 1);
    d.state.assign(state_count, std::vector<T>(sizes[i], T(0)));
  }
  return out;
}

template <class T>
std::vector<inertia_tensor> generic_tensors(std::vector<tensor_data<T>>& data, bool uses_grad) {
  std::vector<inertia_tensor> out(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[i] = {};
    out[i].param = data[i].param.data();
    out[i].grad = uses_grad ? data[i].grad.data() : nullptr;
    for (std::size_t k = 0; k < data[i].state.size(); ++k) out[i].state[k] = data[i].state[k].data();
    out[i].size = data[i].param.size();
  }
  return out;
}

template <class T>
void require_generic_matches_per_variant() {
  const std::vector<std::vector<std::size_t>> shapes = {{17}, {0, 1, 7, 33, 1000, 9}, {40000, 3, 5000}};
  step_policy policy;
  policy.grad_scale = 4.0;
  policy.max_norm = 5.0;
  policy.clip_value = 2.0;
  const inertia_step_policy c_policy{4.0, 0, 2.0, 5.0, 0};
  for (const variant_case<T>& c : cases<T>()) {
    for (const bool with_policy : {false, true}) {
      if (with_policy && !c.takes_policy) continue;
      for (const auto& shape : shapes) {
        // Both sides run the same kernels on the target forced here; that every target gives the
        // reference's bits is the per-variant sweeps' to show. The portable target and the best one.
        std::vector<arch> targets{arch::scalar};
        if (best_arch() != arch::scalar) targets.push_back(best_arch());
        for (arch target : targets) {
          for (int threads : {1, 2}) {
            arch_scope forced(target);
            inertia_set_num_threads(threads);
            handle h(c.variant);
            c.configure(h.opt);
            const std::size_t state_count = inertia_optimizer_state_count(h.opt);
            const bool uses_grad = std::string(c.variant) != "weight_ema";
            auto generic = make_tensors<T>(shape, state_count, 1234);
            if (!uses_grad)  // the average starts as a copy of the weights
              for (auto& d : generic) d.state[0] = d.param;
            auto expected = generic;
            for (long long step = 1; step <= 3; ++step) {
              for (auto& d : generic) fill_random<T>(std::span<T>(d.grad), 99 + step);
              for (auto& d : expected) fill_random<T>(std::span<T>(d.grad), 99 + step);
              const auto tensors = generic_tensors(generic, uses_grad);
              inertia_step_report report{};
              INFO(c.label << " | " << (with_policy ? "policy" : "no policy") << " | " << shape.size()
                           << " tensors | " << arch_name(target) << " | threads " << threads << " | step " << step);
              REQUIRE(inertia_optimizer_step(h.opt, dtype_of(T{}), tensors.data(), tensors.size(), step,
                                             with_policy ? &c_policy : nullptr, &report) == INERTIA_OK);
              const step_report reference = c.reference(expected, step, with_policy ? &policy : nullptr);
              for (std::size_t i = 0; i < generic.size(); ++i) {
                INFO("tensor " << i << " of size " << generic[i].param.size());
                REQUIRE(same_bits(generic[i], expected[i]));
              }
              REQUIRE(report.skipped == (reference.skipped ? 1 : 0));
              if (with_policy) REQUIRE(std::memcmp(&report.grad_norm, &reference.grad_norm, sizeof(double)) == 0);
            }
          }
        }
      }
    }
  }
  inertia_set_num_threads(0);
}

}  // namespace

TEST_CASE("inertia_optimizer_step is bit-identical to every variant's own call", "[generic][c_abi]") {
  SECTION("float32") { require_generic_matches_per_variant<float>(); }
  SECTION("float64") { require_generic_matches_per_variant<double>(); }
}

TEST_CASE("every registered variant is a case of the equivalence test", "[generic][c_abi]") {
  std::vector<std::string> tested;
  for (const auto& c : cases<float>()) {
    handle h(c.variant);
    tested.push_back(inertia_optimizer_variant(h.opt));
  }
  REQUIRE(inertia_variant_count() > 0);
  for (std::size_t i = 0; i < inertia_variant_count(); ++i) {
    INFO("variant " << inertia_variant_name(i));
    REQUIRE(std::find(tested.begin(), tested.end(), std::string(inertia_variant_name(i))) != tested.end());
  }
  REQUIRE(inertia_variant_name(inertia_variant_count()) == nullptr);
}

TEST_CASE("inertia_optimizer: names, defaults, state and round trips", "[generic][c_abi]") {
  handle sgd("sgd");
  REQUIRE(std::string(inertia_optimizer_variant(sgd.opt)) == "heavy_ball");
  double value = -1;
  REQUIRE(inertia_optimizer_get(sgd.opt, "lr", &value) == INERTIA_OK);
  REQUIRE(value == heavy_ball_options{}.lr);
  REQUIRE(inertia_optimizer_state_count(sgd.opt) == 0);  // momentum 0: plain SGD keeps nothing
  set(sgd.opt, "momentum", 0.9);
  REQUIRE(inertia_optimizer_state_count(sgd.opt) == 1);
  REQUIRE(std::string(inertia_optimizer_state_name(sgd.opt, 0)) == "momentum_buffer");
  REQUIRE(inertia_optimizer_state_name(sgd.opt, 1) == nullptr);
  REQUIRE(inertia_optimizer_set_string(sgd.opt, "numerics", "pytorch_fused") == INERTIA_OK);
  REQUIRE(inertia_optimizer_get(sgd.opt, "numerics", &value) == INERTIA_OK);
  REQUIRE(value == 1.0);

  handle adam("adam");
  REQUIRE(inertia_optimizer_state_count(adam.opt) == 2);
  set(adam.opt, "amsgrad", 1);
  REQUIRE(inertia_optimizer_state_count(adam.opt) == 3);
  REQUIRE(std::string(inertia_optimizer_state_name(adam.opt, 2)) == "max_exp_avg_sq");
  set_array(adam.opt, "betas", {0.5, 0.75});
  REQUIRE(inertia_optimizer_get(adam.opt, "betas[1]", &value) == INERTIA_OK);
  REQUIRE(value == 0.75);
  REQUIRE(inertia_optimizer_get(adam.opt, "betas#", &value) == INERTIA_OK);
  REQUIRE(value == 2.0);

  handle adamw("adamw");
  REQUIRE(inertia_optimizer_get(adamw.opt, "weight_decay", &value) == INERTIA_OK);
  REQUIRE(value == 1e-2);  // torch.optim.AdamW's default

  handle aggmo("aggmo");
  REQUIRE(inertia_optimizer_state_count(aggmo.opt) == 3);  // the paper's {0, 0.9, 0.99}
  set_array(aggmo.opt, "betas", {0.9});
  REQUIRE(inertia_optimizer_state_count(aggmo.opt) == 1);
  REQUIRE(std::string(inertia_optimizer_state_name(aggmo.opt, 0)) == "velocities[0]");

  // NAdam's mu_product: read, written by a step, and set back for a checkpoint.
  handle nadam("nadam");
  REQUIRE(inertia_optimizer_get(nadam.opt, "mu_product", &value) == INERTIA_OK);
  REQUIRE(value == 1.0);
  std::vector<float> w(5, 1.0f), g(5, 0.5f), m(5, 0.0f), v(5, 0.0f);
  inertia_tensor t{w.data(), g.data(), {m.data(), v.data()}, 5};
  REQUIRE(inertia_optimizer_step(nadam.opt, INERTIA_FLOAT32, &t, 1, 1, nullptr, nullptr) == INERTIA_OK);
  double after_one = 0;
  REQUIRE(inertia_optimizer_get(nadam.opt, "mu_product", &after_one) == INERTIA_OK);
  REQUIRE(after_one < 1.0);
  set(nadam.opt, "mu_product", 1.0);
  REQUIRE(inertia_optimizer_get(nadam.opt, "mu_product", &value) == INERTIA_OK);
  REQUIRE(value == 1.0);
}

namespace {

/// A failing call: its status, a message naming `names`, and nothing changed.
template <class Call>
void require_fails(inertia_status expected, const std::string& names, std::vector<std::vector<float>*> buffers,
                   const inertia_optimizer* opt, Call call) {
  std::vector<std::vector<float>> before;
  for (auto* b : buffers) before.push_back(*b);
  double lr_before = 0, mu_before = 0;
  const bool has_lr = opt != nullptr && inertia_optimizer_get(opt, "lr", &lr_before) == INERTIA_OK;
  const bool has_mu = opt != nullptr && inertia_optimizer_get(opt, "mu_product", &mu_before) == INERTIA_OK;
  const inertia_status status = call();
  INFO("message: " << inertia_last_error());
  REQUIRE(status == expected);
  REQUIRE(std::string(inertia_last_error()).find(names) != std::string::npos);
  for (std::size_t k = 0; k < buffers.size(); ++k) REQUIRE(same_bits(*buffers[k], before[k]));
  double lr_after = 0, mu_after = 0;
  if (has_lr) REQUIRE((inertia_optimizer_get(opt, "lr", &lr_after) == INERTIA_OK && lr_after == lr_before));
  if (has_mu) REQUIRE((inertia_optimizer_get(opt, "mu_product", &mu_after) == INERTIA_OK && mu_after == mu_before));
}

}  // namespace

TEST_CASE("inertia_optimizer: bad input names the problem and changes nothing", "[generic][c_abi]") {
  inertia_optimizer* none = nullptr;
  require_fails(INERTIA_ERROR_UNKNOWN_NAME, "adamax", {}, nullptr, [&] { return inertia_optimizer_create("adamax", &none); });
  REQUIRE(none == nullptr);
  require_fails(INERTIA_ERROR_NULL_POINTER, "variant", {}, nullptr, [&] { return inertia_optimizer_create(nullptr, &none); });

  handle sgd("heavy_ball");
  set(sgd.opt, "momentum", 0.9);
  require_fails(INERTIA_ERROR_UNKNOWN_NAME, "momentun", {}, sgd.opt, [&] { return inertia_optimizer_set(sgd.opt, "momentun", 0.5); });
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "lr", {}, sgd.opt, [&] { return inertia_optimizer_set(sgd.opt, "lr", -1.0); });
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "lr", {}, sgd.opt,
                [&] { return inertia_optimizer_set(sgd.opt, "lr", std::numeric_limits<double>::quiet_NaN()); });
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "momentum", {}, sgd.opt, [&] { return inertia_optimizer_set(sgd.opt, "momentum", 1.0); });
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "nesterov", {}, sgd.opt, [&] { return inertia_optimizer_set(sgd.opt, "nesterov", 2.0); });
  require_fails(INERTIA_ERROR_UNKNOWN_NAME, "pytorch_foreach", {}, sgd.opt,
                [&] { return inertia_optimizer_set_string(sgd.opt, "numerics", "pytorch_foreach"); });
  require_fails(INERTIA_ERROR_WRONG_KIND, "numerics", {}, sgd.opt, [&] { return inertia_optimizer_set(sgd.opt, "numerics", 1.0); });
  require_fails(INERTIA_ERROR_WRONG_KIND, "lr", {}, sgd.opt, [&] { return inertia_optimizer_set_string(sgd.opt, "lr", "0.1"); });

  handle adam("adam");
  const double bad_betas[] = {0.9, 1.5};
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "beta2", {}, adam.opt, [&] { return inertia_optimizer_set_array(adam.opt, "betas", bad_betas, 2); });
  double value = 0;
  REQUIRE(inertia_optimizer_get(adam.opt, "betas[1]", &value) == INERTIA_OK);
  REQUIRE(value == adam_options{}.beta2);  // the rejected array left the old betas
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "betas", {}, adam.opt, [&] { return inertia_optimizer_set_array(adam.opt, "betas", bad_betas, 1); });
  require_fails(INERTIA_ERROR_WRONG_KIND, "betas", {}, adam.opt, [&] { return inertia_optimizer_set(adam.opt, "betas", 0.9); });
  require_fails(INERTIA_ERROR_WRONG_KIND, "eps", {}, adam.opt, [&] { return inertia_optimizer_get(adam.opt, "eps[0]", &value); });
  handle aggmo("aggmo");
  const double nine[] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "betas", {}, aggmo.opt, [&] { return inertia_optimizer_set_array(aggmo.opt, "betas", nine, 9); });
  REQUIRE(inertia_optimizer_state_count(aggmo.opt) == 3);

  // Steps: every rejection writes nothing.
  std::vector<float> w(64, 1.0f), g(64, 0.25f), m(64, 0.5f), w2(64, 2.0f), g2(64, 0.125f), m2(64, 0.75f);
  const std::vector<std::vector<float>*> all = {&w, &g, &m, &w2, &g2, &m2};
  inertia_tensor good[2] = {{w.data(), g.data(), {m.data()}, 64}, {w2.data(), g2.data(), {m2.data()}, 64}};
  const auto step = [&](inertia_tensor* tensors, std::size_t count, long long t, inertia_dtype dtype = INERTIA_FLOAT32,
                        const inertia_step_policy* policy = nullptr) {
    inertia_optimizer* opt = sgd.opt;
    return [=] { return inertia_optimizer_step(opt, dtype, tensors, count, t, policy, nullptr); };
  };
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "step", all, sgd.opt, step(good, 2, 0));
  // An unknown dtype (INERTIA_ERROR_DTYPE) is tested from C (tests/c_api/): in
  // C++ an enum value outside its range is undefined behaviour.
  require_fails(INERTIA_ERROR_NULL_POINTER, "tensors", all, sgd.opt, step(nullptr, 2, 1));
  inertia_tensor no_buffer[2] = {good[0], good[1]};
  no_buffer[1].state[0] = nullptr;
  require_fails(INERTIA_ERROR_NULL_POINTER, "tensor 1 momentum_buffer", all, sgd.opt, step(no_buffer, 2, 1));
  inertia_tensor extra[2] = {good[0], good[1]};
  extra[0].state[1] = m2.data();
  require_fails(INERTIA_ERROR_UNUSED_STATE, "tensor 0 state[1]", all, sgd.opt, step(extra, 2, 1));
  inertia_tensor shared[2] = {good[0], good[1]};
  shared[1].state[0] = m.data();  // tensor 1's buffer is tensor 0's
  require_fails(INERTIA_ERROR_OVERLAP, "tensor 1 momentum_buffer", all, sgd.opt, step(shared, 2, 1));
  const inertia_step_policy bad_policy{0.0, 0, 0.0, 0.0, 0};
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "grad_scale", all, sgd.opt, step(good, 2, 1, INERTIA_FLOAT32, &bad_policy));
  set(sgd.opt, "nesterov", 1);
  set(sgd.opt, "dampening", 0.5);  // each valid alone; together not torch's nesterov
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "nesterov", all, sgd.opt, step(good, 2, 1));

  handle lars("lars");
  const inertia_step_policy policy{1.0, 1, 0.0, 0.0, 0};
  require_fails(INERTIA_ERROR_HYPERPARAMETER, "policy", all, lars.opt,
                [&] { return inertia_optimizer_step(lars.opt, INERTIA_FLOAT32, good, 2, 1, &policy, nullptr); });
  handle ema("weight_ema");
  inertia_tensor with_grad = {w.data(), g.data(), {m.data()}, 64};
  require_fails(INERTIA_ERROR_UNUSED_STATE, "grad", all, ema.opt,
                [&] { return inertia_optimizer_step(ema.opt, INERTIA_FLOAT32, &with_grad, 1, 1, nullptr, nullptr); });

  // A NaN with skip_non_finite: skipped, nothing written, mu_product kept.
  handle nadam("nadam");
  std::vector<float> v(64, 0.0f);
  g2[5] = std::numeric_limits<float>::quiet_NaN();
  inertia_tensor moments[2] = {{w.data(), g.data(), {m.data(), v.data()}, 64}, {w2.data(), g2.data(), {m2.data(), v.data()}, 0}};
  moments[1].size = 64;
  std::vector<float> v2(64, 0.0f);
  moments[1].state[1] = v2.data();
  inertia_step_report report{};
  const std::vector<float> w_before = w;
  REQUIRE(inertia_optimizer_step(nadam.opt, INERTIA_FLOAT32, moments, 2, 1, &policy, &report) == INERTIA_OK);
  REQUIRE(report.skipped == 1);
  REQUIRE(same_bits(w, w_before));
  REQUIRE(inertia_optimizer_get(nadam.opt, "mu_product", &value) == INERTIA_OK);
  REQUIRE(value == 1.0);
}

}  // namespace inertia::test
