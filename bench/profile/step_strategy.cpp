#include "profile/step_strategy.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "common/kernel.hpp"
#include "common/library_kernel.hpp"
#include "registry/optimizer.hpp"

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

/// One call of the variant's registry handle for every tensor: one param
/// group, stepped by the one group runner every variant shares. The tensor
/// list is rebuilt per step, as an engine whose tensors move would (148
/// entries for GPT-2: nothing next to the step itself). The handle's scalar
/// state is put back before each call, so every timed call is the same step.
template <class T>
model_step<T> multi_tensor(const variant& v, const step_policy& policy) {
  if (v.is_lookahead()) return per_tensor(library_kernel<T>(v).run);  // the look-ahead has no multi-tensor call
  std::vector<std::pair<std::string, double>> every_call;
  for (const setting& s : v.settings)
    if (s.every_call) every_call.emplace_back(s.key, s.values.at(0));
  constexpr inertia_dtype dtype = sizeof(T) == 4 ? INERTIA_FLOAT32 : INERTIA_FLOAT64;
  return [handle = v.make_handle(), every_call = std::move(every_call), v, policy](
             std::span<const step_buffers<T>> tensors, int threads) {
    std::vector<inertia_tensor> list;
    list.reserve(tensors.size());
    for (const step_buffers<T>& t : tensors) list.push_back(handle_tensor(v, t));
    for (const auto& [key, value] : every_call) handle->set(key, value);
    execution exec;
    exec.threads = threads;
    // A default policy changes nothing; a variant that takes none gets none
    // (main.cpp refuses a policy for it).
    handle->step(dtype, list, v.step, v.takes_policy ? &policy : nullptr, exec);
  };
}

}  // namespace

std::span<const step_strategy_info> step_strategies() { return strategies; }

template <class T>
model_step<T> library_model_step(std::string_view strategy, const variant& v, const step_policy& policy) {
  if (strategy == "per_tensor") return per_tensor(library_kernel<T>(v).run);
  if (strategy == "multi_tensor") return multi_tensor<T>(v, policy);
  throw std::invalid_argument("unknown step strategy '" + std::string(strategy) + "'");
}

template <class T>
model_step<T> baseline_model_step(const variant& v) {
  std::optional<named_kernel<T>> naive = naive_kernel<T>(v);
  if (!naive) return {};
  return per_tensor(std::move(naive->run));
}

template model_step<float> library_model_step<float>(std::string_view, const variant&, const step_policy&);
template model_step<double> library_model_step<double>(std::string_view, const variant&, const step_policy&);
template model_step<float> baseline_model_step<float>(const variant&);
template model_step<double> baseline_model_step<double>(const variant&);

}  // namespace inertia::bench
