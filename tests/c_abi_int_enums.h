/* The C entry points that take an enum, called with a plain int as C callers
 * and foreign-function interfaces may pass one. C++ cannot form an
 * inertia_sgd_numerics or inertia_weight_ema_rounding outside its enumerators'
 * range without undefined behaviour (UBSan's enum check rejects the load), so
 * the conversion happens in C (c_abi_int_enums.c), where an enum is an int. */
#ifndef INERTIA_TESTS_C_ABI_INT_ENUMS_H
#define INERTIA_TESTS_C_ABI_INT_ENUMS_H

#include "inertia/inertia.h"

#ifdef __cplusplus
extern "C" {
#endif

inertia_status sgd_step_ex_f32_int(float *param, const float *grad, float *momentum_buffer, size_t n,
                                   const inertia_sgd_options *options, int first_step, int numerics);
inertia_status sgd_step_ex_f64_int(double *param, const double *grad, double *momentum_buffer, size_t n,
                                   const inertia_sgd_options *options, int first_step, int numerics);
inertia_status sgd_step_multi_ex_f32_int(float *const *params, const float *const *grads, float *const *buffers,
                                         const size_t *sizes, size_t count, const inertia_sgd_options *options,
                                         int first_step, int numerics);
inertia_status sgd_step_multi_ex_f64_int(double *const *params, const double *const *grads, double *const *buffers,
                                         const size_t *sizes, size_t count, const inertia_sgd_options *options,
                                         int first_step, int numerics);
inertia_status sgd_step_multi_policy_f32_int(float *const *params, const float *const *grads, float *const *buffers,
                                             const size_t *sizes, size_t count, const inertia_sgd_options *options,
                                             int first_step, int numerics, const inertia_step_policy *policy,
                                             inertia_step_report *report);
inertia_status sgd_step_multi_policy_f64_int(double *const *params, const double *const *grads,
                                             double *const *buffers, const size_t *sizes, size_t count,
                                             const inertia_sgd_options *options, int first_step, int numerics,
                                             const inertia_step_policy *policy, inertia_step_report *report);
inertia_status weight_ema_step_f32_int(float *average, const float *param, size_t n, double decay, int warmup,
                                       int rounding, long long updates);
inertia_status weight_ema_step_f64_int(double *average, const double *param, size_t n, double decay, int warmup,
                                       int rounding, long long updates);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INERTIA_TESTS_C_ABI_INT_ENUMS_H */
