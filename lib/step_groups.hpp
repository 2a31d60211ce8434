#pragma once
// The entry-point logic every stepping variant shares, for one span and for a
// list of param groups: validate everything, then build one rule per tensor
// and run them all through the driver in one call.
//
// A Variant says, in one small struct:
//   function                              "inertia::heavy_ball_step"
//   options_type, template rule<T>
//   check_options(check, options)
//   check_tensor(check, param, grad, state, options)
//   make_rule<T>(param, grad, state, options, steps_taken)
//   state_of(tensor)                      the tensor's state span (buffer / velocity)
// steps_taken counts the group's earlier steps (0 on the first).
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "driver.hpp"
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
  std::vector<entry> entries_;
};

std::string tensor_context(const char* function, std::size_t group, std::size_t tensor);

template <class Variant, class T>
void step_one(std::span<T> param, std::span<const T> grad, std::span<T> state,
              const typename Variant::options_type& options, std::int64_t steps_taken, const execution& exec) {
  const argument_checks check(Variant::function);
  Variant::check_options(check, options);
  Variant::check_tensor(check, param, grad, state, options);
  run(Variant::template make_rule<T>(param, grad, state, options, steps_taken), param.size(), exec);
}

template <class Variant, class Group>
void step_groups(std::span<Group> groups, const execution& exec) {
  using tensor_type = typename std::remove_cvref_t<decltype(*groups.front().tensors.data())>;
  using T = typename decltype(tensor_type::param)::value_type;
  using rule_type = typename Variant::template rule<T>;

  std::size_t tensor_count = 0;
  for (const Group& group : groups) tensor_count += group.tensors.size();
  std::vector<rule_type> rules;
  std::vector<std::size_t> starts{0};
  rules.reserve(tensor_count);
  starts.reserve(tensor_count + 1);
  buffer_registry buffers;

  // Everything is checked before the first write: options, every tensor, and
  // that no buffer of any tensor overlaps any other.
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Group& group = groups[g];
    const argument_checks group_check(std::string(Variant::function) + " (group " + std::to_string(g) + ")");
    Variant::check_options(group_check, group.options);
    if (group.step < 0)
      group_check.fail(error_kind::hyperparameter, "step",
                       "step = " + std::to_string(group.step) + " must be >= 0 (steps taken so far)");
    for (std::size_t t = 0; t < group.tensors.size(); ++t) {
      const tensor_type& tensor = group.tensors[t];
      const auto state = Variant::state_of(tensor);
      Variant::check_tensor(argument_checks(tensor_context(Variant::function, g, t)), tensor.param, tensor.grad,
                            state, group.options);
      buffers.add(tensor.param.data(), tensor.param.size_bytes(), g, t, "param");
      buffers.add(tensor.grad.data(), tensor.grad.size_bytes(), g, t, "grad");
      buffers.add(state.data(), state.size_bytes(), g, t, Variant::state_name);
      rules.push_back(Variant::template make_rule<T>(tensor.param, tensor.grad, state, group.options, group.step));
      starts.push_back(starts.back() + tensor.param.size());
    }
  }
  buffers.require_disjoint(argument_checks(Variant::function));

  run_tensors(std::span<const rule_type>(rules), std::span<const std::size_t>(starts), exec);
  for (Group& group : groups) ++group.step;
}

}  // namespace inertia::detail
