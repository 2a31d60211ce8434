#pragma once
// The tensor half of a Variant (lib/step_groups.hpp) whose tensor is
// velocity_tensor<T>, {param, grad, velocity} with the velocity required:
// a variant derives from this and adds its options and its rule.
#include <span>
#include <vector>

#include "inertia/multi_tensor.hpp"
#include "registry/descriptor.hpp"
#include "validate.hpp"

namespace inertia::detail {

struct velocity_tensor_variant {
  static constexpr bool takes_policy = true;

  template <class T>
  using tensor_type = velocity_tensor<T>;

  /// From the generic call's pieces (registry/optimizer.hpp): state[0], when
  /// the options keep one, is the velocity.
  template <class T>
  static velocity_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad,
                                      std::span<const std::span<T>> state, std::vector<std::span<T>>&) {
    return {param, grad, state.empty() ? std::span<T>() : state[0]};
  }

  template <class T, class Options>
  static void check_tensor(const argument_checks& check, const velocity_tensor<T>& t, const Options&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("velocity", t.velocity.size(), "param", t.param.size());
    check.disjoint("param", t.param, "grad", t.grad);
    check.disjoint("velocity", t.velocity, "param", t.param);
    check.disjoint("velocity", t.velocity, "grad", t.grad);
  }

  template <class T, class Visit>
  static void for_each_buffer(const velocity_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("velocity", t.velocity);
  }
};

}  // namespace inertia::detail
