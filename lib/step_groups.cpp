#include "step_groups.hpp"

namespace inertia::detail {

void buffer_registry::add(const void* data, std::size_t bytes, std::size_t group, std::size_t tensor,
                          const char* name) {
  if (bytes == 0) return;  // an empty span holds no memory
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  entries_.push_back({begin, begin + bytes, group, tensor, name, entries_.size()});
}

void buffer_registry::require_disjoint(const argument_checks& check) {
  std::sort(entries_.begin(), entries_.end(),
            [](const entry& a, const entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.order < b.order; });
  // Sorted by start, some pair overlaps exactly when an entry starts before
  // the furthest end of the entries before it.
  std::size_t furthest = 0;
  for (std::size_t k = 1; k < entries_.size(); ++k) {
    if (entries_[k].begin < entries_[furthest].end) {
      const bool k_later = entries_[k].order > entries_[furthest].order;
      const entry& a = k_later ? entries_[furthest] : entries_[k];
      const entry& b = k_later ? entries_[k] : entries_[furthest];
      check.fail(error_kind::overlap, b.name,
                 "group " + std::to_string(b.group) + ", tensor " + std::to_string(b.tensor) + " " + b.name +
                     " shares memory with group " + std::to_string(a.group) + ", tensor " + std::to_string(a.tensor) +
                     " " + a.name);
    }
    if (entries_[k].end > entries_[furthest].end) furthest = k;
  }
}

void check_step_failed(const char* function, std::int64_t step) {
  argument_checks(function).fail(error_kind::hyperparameter, "step",
                                   "step = " + std::to_string(step) +
                                       " must be >= 1 (t, the 1-based number of this step)");
}

void check_steps_taken_failed(const argument_checks& check, std::int64_t steps_taken) {
  check.fail(error_kind::hyperparameter, "step",
             "step = " + std::to_string(steps_taken) + " must be >= 0 (steps taken so far)");
}

void refuse_policy(const char* function, const step_policy& policy) {
  const step_policy none;
  if (policy.grad_scale != none.grad_scale || policy.skip_non_finite || policy.clip_value != none.clip_value ||
      policy.max_norm != none.max_norm || policy.flush_denormals)
    argument_checks(function).fail(error_kind::hyperparameter, "policy",
                                   "this variant takes no step policy (it is about gradients)");
}

void check_policy_failed(const argument_checks& check, const step_policy& policy) {
  check.finite("grad_scale", policy.grad_scale);
  if (policy.grad_scale <= 0.0) check.fail(error_kind::hyperparameter, "grad_scale", "grad_scale must be > 0");
  check.at_least("clip_value", policy.clip_value, 0.0);
  check.at_least("max_norm", policy.max_norm, 0.0);
  check.fail(error_kind::hyperparameter, "policy", "invalid step policy");  // not reached: one check above fails
}

}  // namespace inertia::detail
