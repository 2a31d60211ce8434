/* inertia's C ABI: the optimizer steps of the C++ library for C and for other
 * languages' foreign-function interfaces (Rust, Python ctypes, C#).
 *
 * Plain C99, usable from C++. Every function is exported from libinertia.so
 * and never lets an exception through: a failing call returns a status, keeps
 * a message for inertia_last_error(), and writes nothing (parameters, buffers
 * and velocities are exactly as they were).
 *
 * Pointers: a data pointer may be NULL only when it points at nothing: its
 * length is 0, or the state it holds is unused (momentum_buffer and the
 * Sutskever velocity when momentum is 0). Options must never be NULL.
 * Buffers of one call must not share memory (INERTIA_ERROR_OVERLAP).
 *
 * Numerics: the same as the C++ API (include/inertia/heavy_ball.hpp,
 * sutskever.hpp, ema.hpp, lookahead.hpp): each variant reproduces its
 * framework bit for bit, on every ISA target and thread count. */
#ifndef INERTIA_INERTIA_H
#define INERTIA_INERTIA_H

#include <stddef.h>

#include "inertia/export.hpp"  /* INERTIA_API: preprocessor only, C-compatible */
#include "inertia/version.hpp" /* INERTIA_VERSION_MAJOR/MINOR/PATCH/STRING */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum inertia_status {
  INERTIA_OK = 0,
  INERTIA_ERROR_NULL_POINTER,   /* a required pointer is NULL */
  INERTIA_ERROR_LENGTH,         /* lengths disagree (cannot arise from the calls below, which take one n) */
  INERTIA_ERROR_OVERLAP,        /* two buffers share memory */
  INERTIA_ERROR_HYPERPARAMETER, /* a coefficient, step, arch or numerics value is invalid */
  INERTIA_ERROR_INTERNAL        /* anything else, e.g. out of memory */
} inertia_status;

/* A short description of the status ("ok", "null pointer", ...); never NULL. */
INERTIA_API const char *inertia_status_string(inertia_status status);

/* The message of this thread's last failing call, naming the function and the
 * argument; "" if no call on this thread has failed. Successful calls leave it
 * alone. Valid until this thread's next failing call. */
INERTIA_API const char *inertia_last_error(void);

/* The library's version, "MAJOR.MINOR.PATCH"; compare with the
 * INERTIA_VERSION_* macros of the header you compiled against. */
INERTIA_API const char *inertia_version(void);

/* OpenMP threads for every later call from any thread; 0 (the default, and
 * what a negative value means) uses OpenMP's default, omp_get_max_threads().
 * Spans too small to pay for threads run on the calling thread anyway. */
INERTIA_API void inertia_set_num_threads(int threads);

/* Forces the ISA target of every later call in the process: "scalar", "sse2",
 * "avx2" or "avx512f"; "auto" returns to the automatic choice (the best the
 * CPU supports, or the INERTIA_ARCH environment variable). Returns 0 on
 * success, otherwise a nonzero inertia_status (INERTIA_ERROR_NULL_POINTER, or
 * INERTIA_ERROR_HYPERPARAMETER for an unknown or unsupported target) and sets
 * the last error. All targets give bit-identical results. */
INERTIA_API int inertia_set_arch(const char *name);

/* The name of the target calls use now, e.g. "avx2"; never NULL. */
INERTIA_API const char *inertia_arch(void);

/* ---- torch.optim.SGD ----------------------------------------------------
 *   d = maximize ? -g : g;  d = fma(weight_decay, w, d)
 *   v = first_step ? d : fma(1 - dampening, d, v * momentum)   (when momentum != 0)
 *   d = nesterov ? fma(momentum, v, d) : v
 *   w = fma(-lr, d, w)
 * lr >= 0, momentum in [0, 1), dampening in [0, 1], weight_decay >= 0, all
 * finite; nesterov requires momentum > 0 and dampening == 0. first_step != 0:
 * the buffer is initialised as PyTorch does on a parameter's first step
 * (v = d) and its contents are ignored. */
typedef struct inertia_sgd_options {
  double lr, momentum, dampening, weight_decay;
  int nesterov, maximize;
} inertia_sgd_options;

/* Which of PyTorch's SGD code paths to reproduce bit for bit. */
typedef enum inertia_sgd_numerics {
  INERTIA_SGD_NUMERICS_PYTORCH_LOOP = 0, /* torch.optim.SGD default (for-loop and foreach); the plain calls use it */
  INERTIA_SGD_NUMERICS_PYTORCH_FUSED = 1 /* torch.optim.SGD(fused=True) on CPU, torch 2.x */
} inertia_sgd_numerics;

INERTIA_API inertia_status inertia_sgd_step_f32(float *param, const float *grad, float *momentum_buffer, size_t n,
                                                const inertia_sgd_options *options, int first_step);
INERTIA_API inertia_status inertia_sgd_step_f64(double *param, const double *grad, double *momentum_buffer, size_t n,
                                                const inertia_sgd_options *options, int first_step);

/* Multi-tensor: count tensors of sizes[i] elements, stepped as one parameter
 * group in one parallel region; bit-identical to stepping each alone.
 * buffers (the array) may be NULL when momentum is 0; the arrays may be NULL
 * when count is 0, and an element when its size is 0. */
INERTIA_API inertia_status inertia_sgd_step_multi_f32(float *const *params, const float *const *grads,
                                                      float *const *buffers, const size_t *sizes, size_t count,
                                                      const inertia_sgd_options *options, int first_step);
INERTIA_API inertia_status inertia_sgd_step_multi_f64(double *const *params, const double *const *grads,
                                                      double *const *buffers, const size_t *sizes, size_t count,
                                                      const inertia_sgd_options *options, int first_step);

/* The same steps with the numerics chosen per call (the plain calls are these
 * with INERTIA_SGD_NUMERICS_PYTORCH_LOOP). An unknown value is
 * INERTIA_ERROR_HYPERPARAMETER. */
INERTIA_API inertia_status inertia_sgd_step_ex_f32(float *param, const float *grad, float *momentum_buffer, size_t n,
                                                   const inertia_sgd_options *options, int first_step,
                                                   inertia_sgd_numerics numerics);
INERTIA_API inertia_status inertia_sgd_step_ex_f64(double *param, const double *grad, double *momentum_buffer, size_t n,
                                                   const inertia_sgd_options *options, int first_step,
                                                   inertia_sgd_numerics numerics);
INERTIA_API inertia_status inertia_sgd_step_multi_ex_f32(float *const *params, const float *const *grads,
                                                         float *const *buffers, const size_t *sizes, size_t count,
                                                         const inertia_sgd_options *options, int first_step,
                                                         inertia_sgd_numerics numerics);
INERTIA_API inertia_status inertia_sgd_step_multi_ex_f64(double *const *params, const double *const *grads,
                                                         double *const *buffers, const size_t *sizes, size_t count,
                                                         const inertia_sgd_options *options, int first_step,
                                                         inertia_sgd_numerics numerics);

/* ---- Step policies (include/inertia/step_policy.hpp) ----------------------
 * Per element, in order: g / grad_scale, times the global-norm clip
 * coefficient, clamped to [-clip_value, clip_value]. skip_non_finite: when
 * any gradient element of the call is NaN or Inf, nothing is written and
 * report->skipped is 1 (PyTorch GradScaler's rule; lower the loss scale).
 * flush_denormals: FTZ + DAZ for this call only. */
typedef struct inertia_step_policy {
  double grad_scale;   /* the step uses g / grad_scale; 1 = off; finite, > 0 */
  int skip_non_finite; /* nonzero: skip the whole step on any NaN/Inf gradient */
  double clip_value;   /* clamp each gradient to [-clip_value, clip_value]; 0 = off */
  double max_norm;     /* clip by the global 2-norm of all gradients of the call; 0 = off */
  int flush_denormals; /* nonzero: flush subnormals to zero during this call */
} inertia_step_policy;

typedef struct inertia_step_report {
  int skipped;      /* 1: a non-finite gradient was found and nothing was written */
  double grad_norm; /* the global gradient norm before clipping when max_norm > 0, else NaN */
} inertia_step_report;

/* The multi-tensor SGD step under a policy; report may be NULL. */
INERTIA_API inertia_status inertia_sgd_step_multi_policy_f32(float *const *params, const float *const *grads,
                                                             float *const *buffers, const size_t *sizes, size_t count,
                                                             const inertia_sgd_options *options, int first_step,
                                                             inertia_sgd_numerics numerics,
                                                             const inertia_step_policy *policy,
                                                             inertia_step_report *report);
INERTIA_API inertia_status inertia_sgd_step_multi_policy_f64(double *const *params, const double *const *grads,
                                                             double *const *buffers, const size_t *sizes, size_t count,
                                                             const inertia_sgd_options *options, int first_step,
                                                             inertia_sgd_numerics numerics,
                                                             const inertia_step_policy *policy,
                                                             inertia_step_report *report);

/* ---- Keras / Sutskever form ---------------------------------------------
 *   v = momentum * v - lr * g;  w += v   (nesterov: w += momentum * v - lr * g)
 * Each product rounded on its own (Keras 3's order). With momentum == 0 Keras
 * keeps no velocity: w -= g * lr, and velocity may be NULL. lr >= 0,
 * momentum in [0, 1); nesterov requires momentum > 0. The velocity starts at 0. */
INERTIA_API inertia_status inertia_sutskever_step_f32(float *param, const float *grad, float *velocity, size_t n,
                                                      double lr, double momentum, int nesterov);
INERTIA_API inertia_status inertia_sutskever_step_f64(double *param, const double *grad, double *velocity, size_t n,
                                                      double lr, double momentum, int nesterov);

/* Classic Nesterov look-ahead point, where NAG evaluates the gradient:
 *   lookahead = param + momentum * velocity     (product rounded, then added)
 * then call inertia_sutskever_step_*(param, g, velocity, n, lr, momentum, 0). */
INERTIA_API inertia_status inertia_nesterov_lookahead_f32(const float *param, const float *velocity, float *lookahead,
                                                          size_t n, double momentum);
INERTIA_API inertia_status inertia_nesterov_lookahead_f64(const double *param, const double *velocity,
                                                          double *lookahead, size_t n, double momentum);

/* ---- EMA form (Optax ema + scale(-lr)) ----------------------------------
 *   v = (1 - beta) * g + beta * v
 *   w = w + (-lr) * (bias_correction ? v * (1 / (1 - beta^step)) : v)
 * As Optax computes it: the correction in the element type (float: powf of
 * beta rounded to float) and applied as its rounded reciprocal times v.
 * step is the 1-based count of this step (>= 1 when bias_correction != 0);
 * beta in [0, 1), lr >= 0. The stored velocity is never bias corrected; it
 * starts at 0 and is always required. */
INERTIA_API inertia_status inertia_ema_step_f32(float *param, const float *grad, float *velocity, size_t n, double lr,
                                                double beta, int bias_correction, long long step);
INERTIA_API inertia_status inertia_ema_step_f64(double *param, const double *grad, double *velocity, size_t n,
                                                double lr, double beta, int bias_correction, long long step);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INERTIA_INERTIA_H */
