#include "profile/step_strategy.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "inertia/multi_tensor.hpp"
#include "common/kernel.hpp"

namespace inertia::bench {
namespace {

constexpr step_strategy_info strategies[] = {
    {"per_tensor", "one library call per tensor (torch.optim's for-loop path)"},
    {"multi_tensor", "one multi-tensor call for every tensor (one parallel region; lookahead: per tensor)"},
};

template <class T>
model_step<T> per_tensor(kernel<T> run) {
  return [run = std::move(run)](std::span<const step_buffers<T>> tensors, int threads) {
    for (const step_buffers<T>& tensor : tensors) run(tensor, threads);
  };
}

// A tensor of each multi-tensor call over one model tensor's buffers.
// `velocities` is storage for AggMo's list of spans, which must outlive the call.
template <class T>
velocity_tensor<T> tensor_view(const step_buffers<T>& t, std::array<std::span<T>, 3>&, velocity_tensor<T>*) {
  return {std::span<T>(t.param, t.size), std::span<const T>(t.grad, t.size), std::span<T>(t.state, t.size)};
}
template <class T>
heavy_ball_tensor<T> tensor_view(const step_buffers<T>& t, std::array<std::span<T>, 3>&, heavy_ball_tensor<T>*) {
  return {std::span<T>(t.param, t.size), std::span<const T>(t.grad, t.size), std::span<T>(t.state, t.size)};
}
template <class T>
adam_tensor<T> tensor_view(const step_buffers<T>& t, std::array<std::span<T>, 3>&, adam_tensor<T>*) {
  return {std::span<T>(t.param, t.size), std::span<const T>(t.grad, t.size), std::span<T>(t.state, t.size),
          std::span<T>(t.extra_state[0], t.size)};
}
template <class T>
weight_ema_tensor<T> tensor_view(const step_buffers<T>& t, std::array<std::span<T>, 3>&, weight_ema_tensor<T>*) {
  return {std::span<T>(t.param, t.size), std::span<const T>(t.grad, t.size)};  // as library_step lays them out
}
template <class T>
aggmo_tensor<T> tensor_view(const step_buffers<T>& t, std::array<std::span<T>, 3>& velocities, aggmo_tensor<T>*) {
  velocities = {std::span<T>(t.state, t.size), std::span<T>(t.extra_state[0], t.size),
                std::span<T>(t.extra_state[1], t.size)};
  return {std::span<T>(t.param, t.size), std::span<const T>(t.grad, t.size), std::span<const std::span<T>>(velocities)};
}

/// One group holding every tensor, stepped with the variant's multi-tensor
/// call; the tensor list is rebuilt per step, as an engine whose tensors move
/// would (148 entries for GPT-2: nothing next to the step itself). The
/// prototype carries the options and the step count (and NAdam's mu_product),
/// so every timed call is the same step.
template <class T, class Group, class Step>
model_step<T> one_group(const Group& prototype, const step_policy& policy, Step step) {
  using Tensor = std::remove_cvref_t<decltype(prototype.tensors[0])>;
  return [prototype, policy, step](std::span<const step_buffers<T>> tensors, int threads) {
    std::vector<std::array<std::span<T>, 3>> velocity_lists(tensors.size());
    std::vector<Tensor> views;
    views.reserve(tensors.size());
    for (std::size_t k = 0; k < tensors.size(); ++k)
      views.push_back(tensor_view(tensors[k], velocity_lists[k], static_cast<Tensor*>(nullptr)));
    Group group = prototype;
    group.tensors = views;
    execution exec;
    exec.threads = threads;
    step(std::span<Group>(&group, 1), policy, exec);  // a default policy changes nothing
  };
}

// The overload set of a multi-tensor call, with or without a policy.
#define INERTIA_STEP_WITH_POLICY(FUNCTION) \
  [](auto groups, const step_policy& p, const execution& e) { FUNCTION(groups, p, e); }
// lars and weight_ema take no policy (main.cpp refuses one for them).
#define INERTIA_STEP_WITHOUT_POLICY(FUNCTION) \
  [](auto groups, const step_policy&, const execution& e) { FUNCTION(groups, {}, e); }

template <class T>
model_step<T> multi_tensor(variant v, const step_policy& policy) {
  switch (v) {
    case variant::heavy_ball:
    case variant::heavy_ball_nesterov_wd:
      return one_group<T>(
          heavy_ball_group<T>{v == variant::heavy_ball ? heavy_ball_settings : heavy_ball_nesterov_wd_settings, {}, 1},
          policy, INERTIA_STEP_WITH_POLICY(heavy_ball_step));
    case variant::sutskever:
      return one_group<T>(sutskever_group<T>{sutskever_settings, {}, 1}, policy,
                          INERTIA_STEP_WITH_POLICY(sutskever_step));
    case variant::ema:
      return one_group<T>(ema_group<T>{ema_settings, {}, ema_step_count - 1}, policy,
                          INERTIA_STEP_WITH_POLICY(ema_step));
    case variant::qhm:
      return one_group<T>(qhm_group<T>{qhm_settings, {}, 1}, policy, INERTIA_STEP_WITH_POLICY(qhm_step));
    case variant::aggmo:
      return one_group<T>(aggmo_group<T>{aggmo_settings, {}, 1}, policy, INERTIA_STEP_WITH_POLICY(aggmo_step));
    case variant::lion:
      return one_group<T>(lion_group<T>{lion_settings, {}, 1}, policy, INERTIA_STEP_WITH_POLICY(lion_step));
    case variant::signum:
      return one_group<T>(signum_group<T>{signum_settings, {}, 1}, policy, INERTIA_STEP_WITH_POLICY(signum_step));
    case variant::lars:
      return one_group<T>(lars_group<T>{lars_settings, {}, 1}, policy, INERTIA_STEP_WITHOUT_POLICY(lars_step));
    case variant::weight_ema:
      return one_group<T>(weight_ema_group<T>{weight_ema_settings, {}, weight_ema_update_count}, policy,
                          INERTIA_STEP_WITHOUT_POLICY(weight_ema_step));
    case variant::adam:
    case variant::adamw:
      return one_group<T>(adam_group<T>{v == variant::adam ? adam_settings : adamw_settings, {}, adam_step_count - 1},
                          policy, INERTIA_STEP_WITH_POLICY(adam_step));
    case variant::nadam:
      return one_group<T>(nadam_group<T>{nadam_settings, {}, adam_step_count - 1, nadam_mu_product_before}, policy,
                          INERTIA_STEP_WITH_POLICY(nadam_step));
    case variant::lookahead:
      break;
  }
  return per_tensor(library_kernel<T>(v).run);  // the look-ahead has no multi-tensor call
}

#undef INERTIA_STEP_WITH_POLICY
#undef INERTIA_STEP_WITHOUT_POLICY

}  // namespace

std::span<const step_strategy_info> step_strategies() { return strategies; }

template <class T>
model_step<T> library_model_step(std::string_view strategy, variant v, const step_policy& policy) {
  if (strategy == "per_tensor") return per_tensor(library_kernel<T>(v).run);
  if (strategy == "multi_tensor") return multi_tensor<T>(v, policy);
  throw std::invalid_argument("unknown step strategy '" + std::string(strategy) + "'");
}

template <class T>
model_step<T> baseline_model_step(variant v) {
  return per_tensor(naive_kernel<T>(v).run);
}

template model_step<float> library_model_step<float>(std::string_view, variant, const step_policy&);
template model_step<double> library_model_step<double>(std::string_view, variant, const step_policy&);
template model_step<float> baseline_model_step<float>(variant);
template model_step<double> baseline_model_step<double>(variant);

}  // namespace inertia::bench
