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

[[noreturn]] void check_step_failed(const char* function, std::int64_t step);
/// A one-tensor call's step number t (1-based), checked.
inline void check_step(const char* function, std::int64_t step) {
  if (step < 1) check_step_failed(function, step);
}

[[noreturn]] void check_steps_taken_failed(const argument_checks& check, std::int64_t steps_taken);
/// A group's count of steps taken so far (0 before its first step).
inline void check_steps_taken(const argument_checks& check, std::int64_t steps_taken) {
  if (steps_taken < 0) check_steps_taken_failed(check, steps_taken);
}

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
    check_steps_taken(group_check, group.step);
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

/// Says which field of an invalid policy is wrong.
[[noreturn]] void check_policy_failed(const argument_checks& check, const step_policy& policy);
inline void check_policy(const argument_checks& check, const step_policy& policy) {
  const bool valid = std::isfinite(policy.grad_scale) && policy.grad_scale > 0.0 && std::isfinite(policy.clip_value) &&
                     policy.clip_value >= 0.0 && std::isfinite(policy.max_norm) && policy.max_norm >= 0.0;
  if (!valid) check_policy_failed(check, policy);
}
/// For the variants a step policy does not apply to (lars, weight_ema): any
/// policy but the default is refused.
void refuse_policy(const char* function, const step_policy& policy);

/// Sets the fused gradient transforms of a rule (its `grad` member).
template <class T>
void apply_policy(gradient_source<T>& grad, const step_policy& policy, double clip_coefficient) {
  using M = math_type_t<T>;
  grad.unscale = policy.grad_scale != 1.0;
  grad.grad_scale = M(policy.grad_scale);
  grad.rescale = clip_coefficient != 1.0;
  grad.clip_coefficient = M(clip_coefficient);
  grad.clamp = policy.clip_value > 0.0;
  grad.clip_value = M(policy.clip_value);
}

/// The call-wide part of a policy as a staged call (staged_storage.hpp)
/// computed it, once, on the call's own gradients: each chunk's float32 step
/// takes it instead of reading its chunk's gradients (whose norm is not the
/// call's). Set on a thread for the scope of a staged_call_wide_scope.
struct given_call_wide {
  double clip_coefficient;
  double grad_norm;
};
inline thread_local const given_call_wide* staged_call_wide = nullptr;

class staged_call_wide_scope {
 public:
  explicit staged_call_wide_scope(const given_call_wide* given) : saved_(staged_call_wide) { staged_call_wide = given; }
  ~staged_call_wide_scope() { staged_call_wide = saved_; }
  staged_call_wide_scope(const staged_call_wide_scope&) = delete;
  staged_call_wide_scope& operator=(const staged_call_wide_scope&) = delete;

 private:
  const given_call_wide* saved_;
};

/// The policy's call-wide part, after every check and before the first write:
/// the non-finite check (returns false: skip the step, write nothing) and
/// the global norm; then the fused transforms go into every rule.
template <class T>
bool call_wide_policy(std::span<const std::span<const T>> grads, const step_policy& policy, const execution& exec,
                      step_report& report, double& clip_coefficient) {
  if (const given_call_wide* given = staged_call_wide) {  // a staged call's chunk: computed once for the call
    report.grad_norm = given->grad_norm;
    clip_coefficient = given->clip_coefficient;
    return true;
  }
  if (policy.skip_non_finite && any_non_finite_all(grads, exec)) {
    report.skipped = true;
    return false;
  }
  if (policy.max_norm > 0.0) {
    report.grad_norm = std::sqrt(sum_squares_all(grads, exec)) / policy.grad_scale;
    if (report.grad_norm > policy.max_norm) clip_coefficient = policy.max_norm / (report.grad_norm + 1e-6);
  }
  return true;
}

template <class Rule, class T>
[[gnu::always_inline]] inline bool apply_call_policy(std::span<Rule> rules, std::span<const std::span<const T>> grads,
                                                     const step_policy& policy, const execution& exec,
                                                     step_report& report) {
  double clip_coefficient = 1.0;
  if (policy.skip_non_finite || policy.max_norm > 0.0)
    if (!call_wide_policy(grads, policy, exec, report, clip_coefficient)) return false;
  // A rule's gradient_source starts as the identity (its defaults), which is
  // what apply_policy would set for a default policy: only a transform is written.
  if (policy.grad_scale != 1.0 || clip_coefficient != 1.0 || policy.clip_value > 0.0)
    for (Rule& rule : rules) apply_policy(rule.grad, policy, clip_coefficient);
  return true;
}

template <class Rule>
inline constexpr bool reads_gradient = requires(Rule rule) { rule.grad; };

/// Checks a policy for Rule: validated if Rule reads a gradient, refused
/// unless default otherwise (a rule without one, weight_ema, has nothing for
/// a policy to act on).
template <class Rule>
void check_policy_for(const char* function, const step_policy& policy) {
  if constexpr (reads_gradient<Rule>)
    check_policy(argument_checks(function), policy);
  else
    refuse_policy(function, policy);
}

/// One tensor whose group has taken steps_taken steps (>= 0, checked by the
/// caller): the checks of step_groups on a group of that one tensor, in the
/// same order and with the same messages, without its lists. A small call's
/// cost is mostly what surrounds its arithmetic (bench/suite/call_overhead.cpp).
template <class Variant, class Tensor>
step_report step_single(const Tensor& tensor, const typename Variant::options_type& options, std::int64_t steps_taken,
                        const step_policy& policy, const execution& exec) {
  using rule_type = decltype(Variant::make_rule(tensor, options, 0));
  using T = typename rule_type::value_type;
  Variant::check_options(argument_checks(Variant::function, std::size_t{0}), options);
  Variant::check_tensor(argument_checks(Variant::function, std::size_t{0}, std::size_t{0}), tensor, options);
  rule_type rule = Variant::make_rule(tensor, options, steps_taken);
  step_report report;
  if constexpr (reads_gradient<rule_type>) {
    const std::span<const T> grad = tensor.grad;
    if (!apply_call_policy(std::span<rule_type>(&rule, 1), std::span<const std::span<const T>>(&grad, 1), policy, exec,
                           report))
      return report;
  }
  run(rule, tensor.param.size(), exec, policy.flush_denormals);
  return report;
}

/// A multi-tensor step: check everything, run the policy's call-wide checks
/// (non-finite gradients, global norm) before the first write, then one
/// driver call for all tensors, then advance every group's step counter.
template <class Variant, class Group>
step_report step_groups(std::span<Group> groups, const execution& exec, const step_policy& policy = {}) {
  using tensor_type = std::remove_cvref_t<decltype(groups.front().tensors.front())>;
  using rule_type = decltype(Variant::make_rule(std::declval<const tensor_type&>(), groups.front().options, 0));
  using T = typename rule_type::value_type;
  check_policy_for<rule_type>(Variant::function, policy);
  if (groups.size() == 1 && groups.front().tensors.size() == 1) {  // the common small call: no lists
    Group& group = groups.front();
    check_steps_taken(argument_checks(Variant::function, std::size_t{0}), group.step);
    const step_report report = step_single<Variant>(group.tensors.front(), group.options, group.step, policy, exec);
    if (!report.skipped) ++group.step;
    return report;
  }
  small_vector<rule_type, 4> rules;
  small_vector<std::size_t, 5> starts;
  starts.push_back(0);
  small_vector<std::span<const T>, 4> grads;
  check_groups<Variant>(groups, [&](const Group& group, const tensor_type& tensor) {
    rules.push_back(Variant::make_rule(tensor, group.options, group.step));
    starts.push_back(starts.back() + tensor.param.size());
    if constexpr (reads_gradient<rule_type>) grads.push_back(tensor.grad);
  });

  step_report report;
  if constexpr (reads_gradient<rule_type>) {
    if (!apply_call_policy(std::span<rule_type>(rules.data(), rules.size()),
                           std::span<const std::span<const T>>(grads.data(), grads.size()), policy, exec, report))
      return report;
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
  using rule_type = decltype(Variant::make_rule(tensor, options, 0));
  check_step(Variant::function, step);
  check_policy_for<rule_type>(Variant::function, policy);
  return step_single<Variant>(tensor, options, step - 1, policy, exec);
}

}  // namespace inertia::detail
