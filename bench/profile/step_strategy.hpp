#pragma once
// How one optimizer step walks a model's tensors: "per_tensor", one library
// call per tensor, as torch.optim's default for-loop path does, or
// "multi_tensor", one call for the whole list (torch's foreach/fused paths).
#include <functional>
#include <span>
#include <string_view>

#include "inertia/step_policy.hpp"
#include "common/step_buffers.hpp"
#include "common/variant.hpp"

namespace inertia::bench {

/// One full optimizer step over every tensor of a model.
template <class T>
using model_step = std::function<void(std::span<const step_buffers<T>> tensors, int threads)>;

struct step_strategy_info {
  std::string_view name;
  std::string_view description;
};

/// The strategies libinertia can be timed with; the first is the default.
std::span<const step_strategy_info> step_strategies();

/// libinertia stepping `v` with the named strategy; throws std::invalid_argument
/// for an unknown name. The multi-tensor strategy steps under `policy`.
template <class T>
model_step<T> library_model_step(std::string_view strategy, const variant& v, const step_policy& policy = {});

/// The naive scalar baseline, one call per tensor; empty when the naive peer
/// has no code for v.
template <class T>
model_step<T> baseline_model_step(const variant& v);

extern template model_step<float> library_model_step<float>(std::string_view, const variant&, const step_policy&);
extern template model_step<double> library_model_step<double>(std::string_view, const variant&, const step_policy&);
extern template model_step<float> baseline_model_step<float>(const variant&);
extern template model_step<double> baseline_model_step<double>(const variant&);

}  // namespace inertia::bench
