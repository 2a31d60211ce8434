#pragma once
// The entry-point logic every stepping variant shares, for one span and for a
// list of param groups: validate everything, then build one rule per tensor
// and run them all through the driver in one call.
//
// A Variant says, in one small struct:
//   function, options_type, template rule<T>
//   check_options(check, options)
//   check_tensor(check, tensor, options)     lengths and overlaps within one tensor
//   for_each_buffer(tensor, visit)           visit(name, span) for every buffer of a tensor
//   make_rule(tensor, options, steps_taken)  steps_taken counts the group's earlier steps (0 on the first)
// where a tensor is the variant's struct of spans (param, grad, then its state).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "driver.hpp"
#include "gradient_source.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"
#include "reduction.hpp"
#include "small_vector.hpp"
#include "validate.hpp"

namespace inertia::detail {

/// Every buffer of every tensor in a call, so that no two may share memory.
class buffer_registry {
 public:
  void add(const void* data, std::size_t bytes, std::size_t group, std::size_t tensor, const char* name);
  /// Throws naming both tensors when any two registered buffers overlap.
  void require_disjoint(const argument_checks& check);

 private:
  struct entry {
    std::uintptr_t begin, end;
    std::size_t group, tensor;
    const char* name;
    std::size_t order;  ///< registration order: the error names the later buffer of a pair
  };
  small_vector<entry, 12> entries_;  ///< a call of a few tensors allocates nothing
};

/// A one-tensor call's step number t (1-based), checked.
void check_step(const char* function, std::int64_t step);

/// Checks every group and tensor of a call before anything is written:
/// options, each tensor, and that no buffer of any tensor overlaps any other;
/// then calls accept(group, tensor) for each tensor in order.
template <class Variant, class Group, class Accept>
void check_groups(std::span<Group> groups, Accept accept) {
  using tensor_type = std::remove_cvref_t<decltype(groups.front().tensors.front())>;
  // Within a tensor, check_tensor has compared every pair of its buffers; the
  // registry is for pairs across tensors, so a one-tensor call skips it.
  std::size_t tensor_count = 0;
  for (const Group& group : groups) tensor_count += group.tensors.size();
  const bool across_tensors = tensor_count > 1;
  buffer_registry buffers;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Group& group = groups[g];
    const argument_checks group_check(Variant::function, g);
    Variant::check_options(group_check, group.options);
    if (group.step < 0)
      group_check.fail(error_kind::hyperparameter, "step",
                       "step = " + std::to_string(group.step) + " must be >= 0 (steps taken so far)");
    for (std::size_t t = 0; t < group.tensors.size(); ++t) {
      const tensor_type& tensor = group.tensors[t];
      Variant::check_tensor(argument_checks(Variant::function, g, t), tensor, group.options);
      if (across_tensors)
        Variant::for_each_buffer(tensor, [&](const char* name, auto span) {
          buffers.add(span.data(), span.size_bytes(), g, t, name);
        });
    }
  }
  if (across_tensors) buffers.require_disjoint(argument_checks(Variant::function));
  for (const Group& group : groups)
    for (const tensor_type& tensor : group.tensors) accept(group, tensor);
}

void check_policy(const argument_checks& check, const step_policy& policy);
/// For the variants a step policy does not apply to (lars, weight_ema): any
/// policy but the default is refused.
void refuse_policy(const char* function, const step_policy& policy);

/// Sets the fused gradient transforms of a rule (its `grad` member).
template <class T>
void apply_policy(gradient_source<T>& grad, const step_policy& policy, double clip_coefficient) {
  grad.unscale = policy.grad_scale != 1.0;
  grad.grad_scale = T(policy.grad_scale);
  grad.rescale = clip_coefficient != 1.0;
  grad.clip_coefficient = T(clip_coefficient);
  grad.clamp = policy.clip_value > 0.0;
  grad.clip_value = T(policy.clip_value);
}

/// A multi-tensor step: check everything, run the policy's call-wide checks
/// (non-finite gradients, global norm) before the first write, then one
/// driver call for all tensors, then advance every group's step counter.
template <class Variant, class Group>
step_report step_groups(std::span<Group> groups, const execution& exec, const step_policy& policy = {}) {
  using tensor_type = std::remove_cvref_t<decltype(groups.front().tensors.front())>;
  using rule_type = decltype(Variant::make_rule(std::declval<const tensor_type&>(), groups.front().options, 0));
  using T = typename rule_type::value_type;
  // A rule that reads no gradient (weight_ema) has nothing for a policy to act on.
  constexpr bool reads_gradient = requires(rule_type rule) { rule.grad; };
  if constexpr (reads_gradient)
    check_policy(argument_checks(Variant::function), policy);
  else
    refuse_policy(Variant::function, policy);
  small_vector<rule_type, 4> rules;
  small_vector<std::size_t, 5> starts;
  starts.push_back(0);
  small_vector<std::span<const T>, 4> grads;
  check_groups<Variant>(groups, [&](const Group& group, const tensor_type& tensor) {
    rules.push_back(Variant::make_rule(tensor, group.options, group.step));
    starts.push_back(starts.back() + tensor.param.size());
    if constexpr (reads_gradient) grads.push_back(tensor.grad);
  });

  step_report report;
  if constexpr (reads_gradient) {
    if (policy.skip_non_finite &&
        any_non_finite_all(std::span<const std::span<const T>>(grads.data(), grads.size()), exec)) {
      report.skipped = true;
      return report;
    }
    double clip_coefficient = 1.0;
    if (policy.max_norm > 0.0) {
      report.grad_norm =
          std::sqrt(sum_squares_all(std::span<const std::span<const T>>(grads.data(), grads.size()), exec)) /
          policy.grad_scale;
      if (report.grad_norm > policy.max_norm) clip_coefficient = policy.max_norm / (report.grad_norm + 1e-6);
    }
    for (rule_type& rule : rules) apply_policy(rule.grad, policy, clip_coefficient);
  }
  run_tensors(std::span<const rule_type>(rules.data(), rules.size()),
              std::span<const std::size_t>(starts.data(), starts.size()), exec, policy.flush_denormals);
  for (Group& group : groups) ++group.step;
  return report;
}

/// One tensor: a group of one, at step t (1-based).
template <class Variant, class Tensor>
step_report step_one(const Tensor& tensor, const typename Variant::options_type& options, std::int64_t step,
                     const step_policy& policy, const execution& exec) {
  check_step(Variant::function, step);
  param_group<typename Variant::options_type, Tensor> group{options, std::span<const Tensor>(&tensor, 1), step - 1};
  return step_groups<Variant>(std::span(&group, 1), exec, policy);
}


}  // namespace inertia::detail
