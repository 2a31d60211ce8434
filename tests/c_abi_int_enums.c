/* See c_abi_int_enums.h: the int becomes the enum here, in C. */
#include "c_abi_int_enums.h"

inertia_status sgd_step_ex_f32_int(float *param, const float *grad, float *momentum_buffer, size_t n,
                                   const inertia_sgd_options *options, int first_step, int numerics) {
  return inertia_sgd_step_ex_f32(param, grad, momentum_buffer, n, options, first_step,
                                 (inertia_sgd_numerics)numerics);
}

inertia_status sgd_step_ex_f64_int(double *param, const double *grad, double *momentum_buffer, size_t n,
                                   const inertia_sgd_options *options, int first_step, int numerics) {
  return inertia_sgd_step_ex_f64(param, grad, momentum_buffer, n, options, first_step,
                                 (inertia_sgd_numerics)numerics);
}

inertia_status sgd_step_multi_ex_f32_int(float *const *params, const float *const *grads, float *const *buffers,
                                         const size_t *sizes, size_t count, const inertia_sgd_options *options,
                                         int first_step, int numerics) {
  return inertia_sgd_step_multi_ex_f32(params, grads, buffers, sizes, count, options, first_step,
                                       (inertia_sgd_numerics)numerics);
}

inertia_status sgd_step_multi_ex_f64_int(double *const *params, const double *const *grads, double *const *buffers,
                                         const size_t *sizes, size_t count, const inertia_sgd_options *options,
                                         int first_step, int numerics) {
  return inertia_sgd_step_multi_ex_f64(params, grads, buffers, sizes, count, options, first_step,
                                       (inertia_sgd_numerics)numerics);
}

inertia_status sgd_step_multi_policy_f32_int(float *const *params, const float *const *grads, float *const *buffers,
                                             const size_t *sizes, size_t count, const inertia_sgd_options *options,
                                             int first_step, int numerics, const inertia_step_policy *policy,
                                             inertia_step_report *report) {
  return inertia_sgd_step_multi_policy_f32(params, grads, buffers, sizes, count, options, first_step,
                                           (inertia_sgd_numerics)numerics, policy, report);
}

inertia_status sgd_step_multi_policy_f64_int(double *const *params, const double *const *grads,
                                             double *const *buffers, const size_t *sizes, size_t count,
                                             const inertia_sgd_options *options, int first_step, int numerics,
                                             const inertia_step_policy *policy, inertia_step_report *report) {
  return inertia_sgd_step_multi_policy_f64(params, grads, buffers, sizes, count, options, first_step,
                                           (inertia_sgd_numerics)numerics, policy, report);
}

inertia_status weight_ema_step_f32_int(float *average, const float *param, size_t n, double decay, int warmup,
                                       int rounding, long long updates) {
  return inertia_weight_ema_step_f32(average, param, n, decay, warmup, (inertia_weight_ema_rounding)rounding,
                                     updates);
}

inertia_status weight_ema_step_f64_int(double *average, const double *param, size_t n, double decay, int warmup,
                                       int rounding, long long updates) {
  return inertia_weight_ema_step_f64(average, param, n, decay, warmup, (inertia_weight_ema_rounding)rounding,
                                     updates);
}
