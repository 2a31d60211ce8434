#include "profile/step_strategy.hpp"

#include <stdexcept>
#include <string>

#include "kernel.hpp"

namespace inertia::bench {
namespace {

constexpr step_strategy_info strategies[] = {
    {"per_tensor", "one library call per tensor (torch.optim's for-loop path)"},
};

template <class T>
model_step<T> per_tensor(kernel<T> run) {
  return [run = std::move(run)](std::span<const step_buffers<T>> tensors, int threads) {
    for (const step_buffers<T>& tensor : tensors) run(tensor, threads);
  };
}

}  // namespace

std::span<const step_strategy_info> step_strategies() { return strategies; }

template <class T>
model_step<T> library_model_step(std::string_view strategy, variant v) {
  if (strategy == "per_tensor") return per_tensor(library_kernel<T>(v).run);
  throw std::invalid_argument("unknown step strategy '" + std::string(strategy) + "'");
}

template <class T>
model_step<T> baseline_model_step(variant v) {
  return per_tensor(naive_kernel<T>(v).run);
}

template model_step<float> library_model_step<float>(std::string_view, variant);
template model_step<double> library_model_step<double>(std::string_view, variant);
template model_step<float> baseline_model_step<float>(variant);
template model_step<double> baseline_model_step<double>(variant);

}  // namespace inertia::bench
