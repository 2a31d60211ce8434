#include "profile/step_strategy.hpp"

#include <stdexcept>
#include <string>

#include <vector>

#include "inertia/multi_tensor.hpp"
#include "kernel.hpp"

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

/// One group holding every tensor, stepped with the variant's multi-tensor
/// call; the tensor list is rebuilt per step, as an engine whose tensors move
/// would (148 entries for GPT-2: nothing next to the step itself).
template <class T, class Tensor, class Options, class Step>
model_step<T> one_group(const Options& options, std::int64_t steps_taken, const step_policy& policy, Step step) {
  return [options, steps_taken, policy, step](std::span<const step_buffers<T>> tensors, int threads) {
    std::vector<Tensor> views;
    views.reserve(tensors.size());
    for (const step_buffers<T>& t : tensors)
      views.push_back({std::span<T>(t.param, t.size), std::span<const T>(t.grad, t.size), std::span<T>(t.state, t.size)});
    param_group<Options, Tensor> group{options, views, steps_taken};
    execution exec;
    exec.threads = threads;
    step(std::span<param_group<Options, Tensor>>(&group, 1), policy, exec);  // a default policy changes nothing
  };
}

template <class T>
model_step<T> multi_tensor(variant v, const step_policy& policy) {
  switch (v) {
    case variant::heavy_ball:
    case variant::heavy_ball_nesterov_wd:
      return one_group<T, heavy_ball_tensor<T>>(
          v == variant::heavy_ball ? heavy_ball_settings : heavy_ball_nesterov_wd_settings, 1, policy,
          [](auto groups, const step_policy& p, const execution& e) { heavy_ball_step(groups, p, e); });
    case variant::sutskever:
      return one_group<T, velocity_tensor<T>>(
          sutskever_settings, 1, policy,
          [](auto groups, const step_policy& p, const execution& e) { sutskever_step(groups, p, e); });
    case variant::ema:
      return one_group<T, velocity_tensor<T>>(
          ema_settings, ema_step_count - 1, policy,
          [](auto groups, const step_policy& p, const execution& e) { ema_step(groups, p, e); });
    default:
      return per_tensor(library_kernel<T>(v).run);  // the look-ahead has no multi-tensor call
  }
}

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
