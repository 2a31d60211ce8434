#pragma once
// The public f32 and f64 entry points of a variant, derived from its
// declaration (its <name>_variant struct, step_groups.hpp): one line each in
// the variant's .cpp instead of two hand-written forwarders per call shape.
#include "step_groups.hpp"

/// function(std::span<group<T>> groups, policy, exec): the shared group runner.
#define INERTIA_GROUP_ENTRY_POINTS(function, group, Variant)                                              \
  step_report function(std::span<group<float>> groups, const step_policy& policy, const execution& exec) {  \
    return detail::step_groups<Variant>(groups, exec, policy);                                            \
  }                                                                                                       \
  step_report function(std::span<group<double>> groups, const step_policy& policy, const execution& exec) { \
    return detail::step_groups<Variant>(groups, exec, policy);                                            \
  }

/// function(param, grad, state, options, step, policy, exec) for a tensor of
/// {param, grad, state}: a group of one.
#define INERTIA_SPAN_ENTRY_POINTS(function, options_type, tensor, Variant)                                    \
  step_report function(std::span<float> param, std::span<const float> grad, std::span<float> state,           \
                       const options_type& options, std::int64_t step, const step_policy& policy,             \
                       const execution& exec) {                                                               \
    return detail::step_one<Variant>(tensor<float>{param, grad, state}, options, step, policy, exec);         \
  }                                                                                                           \
  step_report function(std::span<double> param, std::span<const double> grad, std::span<double> state,        \
                       const options_type& options, std::int64_t step, const step_policy& policy,             \
                       const execution& exec) {                                                               \
    return detail::step_one<Variant>(tensor<double>{param, grad, state}, options, step, policy, exec);        \
  }

/// function(const tensor<T>&, options, step, policy, exec) for a variant whose
/// single-tensor call takes its tensor struct whole (adam, adagrad).
#define INERTIA_TENSOR_ENTRY_POINTS(function, options_type, tensor, Variant)                                 \
  step_report function(const tensor<float>& t, const options_type& options, std::int64_t step,               \
                       const step_policy& policy, const execution& exec) {                                   \
    return detail::step_one<Variant>(t, options, step, policy, exec);                                        \
  }                                                                                                          \
  step_report function(const tensor<double>& t, const options_type& options, std::int64_t step,              \
                       const step_policy& policy, const execution& exec) {                                   \
    return detail::step_one<Variant>(t, options, step, policy, exec);                                        \
  }
