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
 * Sutskever velocity when momentum is 0, max_exp_avg_sq without amsgrad).
 * Options and out-parameters must never be NULL.
 * Buffers of one call must not share memory (INERTIA_ERROR_OVERLAP).
 *
 * Numerics: the same as the C++ API (include/inertia/heavy_ball.hpp,
 * sutskever.hpp, ema.hpp, lookahead.hpp, qhm.hpp, aggmo.hpp, lion.hpp,
 * signum.hpp, lars.hpp, weight_ema.hpp, adam.hpp, demon.hpp): each variant
 * reproduces its framework bit for bit, on every ISA target and thread count. */
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
  INERTIA_ERROR_INTERNAL,       /* anything else, e.g. out of memory */
  /* The generic optimizer calls' own (inertia_optimizer_*): */
  INERTIA_ERROR_UNKNOWN_NAME,   /* no such variant, option key, or string value (e.g. numerics) */
  INERTIA_ERROR_WRONG_KIND,     /* the key exists but holds another kind of value (set on an array, ...) */
  INERTIA_ERROR_UNUSED_STATE,   /* a state buffer is given that the variant, with these options, does not use */
  INERTIA_ERROR_DTYPE           /* not an inertia_dtype value */
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
 * "avx2", "avx512f" or "avx512bf16"; "auto" returns to the automatic choice (the best the
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

/* ---- Schedule-Free evaluation swap (schedulefree's optimizer.eval()/train()) --
 * The parameters of a schedule_free_sgd / schedule_free_adamw handle are y,
 * where the gradient is taken; evaluate (and checkpoint) at x. In place:
 *   eval:   param = lerp(param, z, 1 - 1/beta)    (y -> x)
 *   train:  param = lerp(param, z, 1 - beta)      (x -> y)
 * with z the handle's state "z", beta its momentum (SGD) or betas[0] (AdamW),
 * in (0, 1), and ATen's CPU lerp rounding (include/inertia/schedule_free.hpp):
 * bit-identical to schedulefree on torch. */
INERTIA_API inertia_status inertia_schedule_free_eval_f32(float *param, const float *z, size_t n, double beta);
INERTIA_API inertia_status inertia_schedule_free_eval_f64(double *param, const double *z, size_t n, double beta);
INERTIA_API inertia_status inertia_schedule_free_train_f32(float *param, const float *z, size_t n, double beta);
INERTIA_API inertia_status inertia_schedule_free_train_f64(double *param, const double *z, size_t n, double beta);

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

/* ---- QHM, quasi-hyperbolic momentum (qhoptim's PyTorch QHM) ---------------
 *   d = weight_decay != 0 ? fma(weight_decay, w, g) : g
 *   v = fma(1 - beta, d, v * beta)
 *   w = fma(-lr * (1 - nu), d, fma(-lr * nu, v, w))
 * Coefficients formed in double, each rounded to the element type once.
 * lr >= 0, nu in [0, 1], beta in [0, 1), weight_decay >= 0, all finite
 * (include/inertia/qhm.hpp; recommended start nu = 0.7, beta = 0.999). The
 * velocity starts at 0 and is always required. */
typedef struct inertia_qhm_options {
  double lr, nu, beta, weight_decay;
} inertia_qhm_options;

INERTIA_API inertia_status inertia_qhm_step_f32(float *param, const float *grad, float *velocity, size_t n,
                                                const inertia_qhm_options *options);
INERTIA_API inertia_status inertia_qhm_step_f64(double *param, const double *grad, double *velocity, size_t n,
                                                const inertia_qhm_options *options);

/* ---- AggMo, aggregated momentum (the authors' PyTorch AggMo) ---------------
 *   d = weight_decay != 0 ? fma(weight_decay, w, g) : g
 *   for i = 0 .. k-1 in order:  v_i = v_i * beta_i - d;  w = fma(lr / k, v_i, w)
 * lr / k and each beta_i formed in double and rounded to the element type.
 * velocities[i] (n elements each) decays by betas[i]; k >= 1 (the paper's
 * default betas are {0, 0.9, 0.99}); each beta in [0, 1); lr >= 0,
 * weight_decay >= 0, all finite (include/inertia/aggmo.hpp). The velocities
 * start at 0, and no two of param, grad and the velocities may share memory.
 * velocities and betas (the arrays) may be NULL only when k is 0, which is
 * itself INERTIA_ERROR_HYPERPARAMETER; an element of velocities only when n is 0. */
INERTIA_API inertia_status inertia_aggmo_step_f32(float *param, const float *grad, float *const *velocities, size_t n,
                                                  double lr, const double *betas, size_t k, double weight_decay);
INERTIA_API inertia_status inertia_aggmo_step_f64(double *param, const double *grad, double *const *velocities,
                                                  size_t n, double lr, const double *betas, size_t k,
                                                  double weight_decay);

/* ---- Lion (Optax lion, op by op) --------------------------------------------
 *   c = (1 - beta1) * g + beta1 * m
 *   u = sign(c) + weight_decay * w        (u = sign(c) when weight_decay == 0)
 *   w = w + (-lr) * u
 *   m = (1 - beta2) * g + beta2 * m       (from the old m)
 * Every product rounded, then added; no fused multiply-add. sign is jnp.sign:
 * +1 or -1, and c itself for +0, -0 and NaN. lr >= 0, beta1 and beta2 in
 * [0, 1), weight_decay >= 0 (decoupled, scaled by lr), all finite
 * (include/inertia/lion.hpp; defaults lr 1e-4, beta1 0.9, beta2 0.99,
 * weight_decay 1e-3). velocity holds the momentum m: it starts at 0 and is
 * always required. */
typedef struct inertia_lion_options {
  double lr, beta1, beta2, weight_decay;
} inertia_lion_options;

INERTIA_API inertia_status inertia_lion_step_f32(float *param, const float *grad, float *velocity, size_t n,
                                                 const inertia_lion_options *options);
INERTIA_API inertia_status inertia_lion_step_f64(double *param, const double *grad, double *velocity, size_t n,
                                                 const inertia_lion_options *options);

/* ---- Signum, sign momentum (Bernstein et al. 2018) --------------------------
 *   m = (1 - beta) * g + beta * m         (products rounded, then added)
 *   w = w + (-lr) * sign(m)               (sign as Lion's)
 * lr >= 0, beta in [0, 1), finite; beta = 0 is signSGD
 * (include/inertia/signum.hpp). The same bits as inertia_lion_step_* with
 * beta1 = beta2 = beta and no weight decay. velocity holds the momentum m: it
 * starts at 0 and is always required. */
INERTIA_API inertia_status inertia_signum_step_f32(float *param, const float *grad, float *velocity, size_t n,
                                                   double lr, double beta);
INERTIA_API inertia_status inertia_signum_step_f64(double *param, const double *grad, double *velocity, size_t n,
                                                   double lr, double beta);

/* ---- LARS, layer-wise adaptive rate scaling, per call --------------------
 *   local_lr = eta * ||w|| / (||g|| + weight_decay * ||w||)   (1 when ||w|| or ||g|| is 0)
 *   scale = lr * local_lr                 (in double, rounded to the element type once)
 *   d = fma(weight_decay, w, g);  v = fma(scale, d, v * momentum);  w = w - v
 * The norms are sums of squares in a fixed order (4096-element chunks; in a
 * chunk element i into accumulator i % 16 by fma in the element type, the 16
 * added pairwise, j + j+8 then +4, +2, +1; chunk sums added in double, in
 * order), so every target and thread count gives the same bits
 * (include/inertia/lars.hpp). One call is one layer: its norms are over the
 * whole of param and grad. lr >= 0, momentum in [0, 1), weight_decay >= 0,
 * eta > 0, all finite. The momentum buffer starts at 0 and is always required. */
typedef struct inertia_lars_options {
  double lr, momentum, weight_decay;
  double eta; /* trust coefficient, e.g. 0.001 */
} inertia_lars_options;

INERTIA_API inertia_status inertia_lars_step_f32(float *param, const float *grad, float *momentum_buffer, size_t n,
                                                 const inertia_lars_options *options);
INERTIA_API inertia_status inertia_lars_step_f64(double *param, const double *grad, double *momentum_buffer, size_t n,
                                                 const inertia_lars_options *options);

/* ---- Weight EMA, Polyak averaging of the parameters -----------------------
 *   decay_t = warmup ? min(decay, (1 + t) / (10 + t)) : decay     (t = updates, in double)
 *   average = decay_t * average + (1 - decay_t) * param           (rounded as `rounding` says)
 * updates is t, the number of earlier updates of this average (0 on the
 * first; >= 0 always, read only with warmup != 0). decay in [0, 1], finite.
 * Initialise average with a copy of the parameters; param is only read
 * (include/inertia/weight_ema.hpp). */
typedef enum inertia_weight_ema_rounding {
  /* average.lerp_(param, 1 - decay_t), torch's CPU lerp bit for bit:
   * torch.optim.swa_utils' multi-avg EMA, timm ModelEmaV3. With
   * w = 1 - decay_t rounded and diff = param - average:
   * |w| < 0.5: fma(w, diff, average), otherwise fma(w - 1, diff, param). */
  INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP = 0,
  /* decay_t * average + (1 - decay_t) * param, both products rounded, then
   * added: timm ModelEmaV2, swa_utils.get_ema_avg_fn. */
  INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD = 1
} inertia_weight_ema_rounding;

/* An unknown rounding is INERTIA_ERROR_HYPERPARAMETER. */
INERTIA_API inertia_status inertia_weight_ema_step_f32(float *average, const float *param, size_t n, double decay,
                                                       int warmup, inertia_weight_ema_rounding rounding,
                                                       long long updates);
INERTIA_API inertia_status inertia_weight_ema_step_f64(double *average, const double *param, size_t n, double decay,
                                                       int warmup, inertia_weight_ema_rounding rounding,
                                                       long long updates);

/* ---- Adam and AdamW (torch.optim.Adam / AdamW, CPU; the order shown is 1.13's) -----
 * step t = 1, 2, ...; exp_avg m and exp_avg_sq v start at 0. r() rounds to the
 * element type; every scalar is formed in double (libm pow and sqrt) and
 * rounded once:
 *   g = maximize ? -g : g
 *   decoupled_weight_decay (AdamW):  w = w * r(1 - lr * weight_decay)
 *   otherwise, weight_decay != 0:    g = fma(r(weight_decay), w, g)
 *   m = fma(r(1 - beta1), g, m * r(beta1))
 *   v = fma(r(1 - beta2) * g, g, v * r(beta2))
 *   amsgrad: v_max = max(v_max, v) (NaN if either is), and v_max stands for v below
 *   denom = sqrt(v) / r(sqrt(1 - beta2^t)) + r(eps)
 *   w = w + (r(-(lr / (1 - beta1^t))) * m) / denom
 * That is torch 1.13.1's CPU step (numerics INERTIA_ADAM_NUMERICS_PYTORCH_1_13);
 * the default, INERTIA_ADAM_NUMERICS_PYTORCH_LOOP (0), is torch 2.x's, which
 * forms m as ATen's lerp (exp_avg.lerp_(g, 1 - beta1)); _FOREACH and _FUSED
 * are its other paths: each order is in include/inertia/adam.hpp. lr >= 0, beta1 and beta2 in [0, 1), eps > 0,
 * weight_decay >= 0, all finite; step >= 1. max_exp_avg_sq is read and
 * written only with amsgrad, and may be NULL without it. AdamW is
 * decoupled_weight_decay = 1 (torch's AdamW default weight_decay is 1e-2). */
typedef enum inertia_adam_numerics {
  INERTIA_ADAM_NUMERICS_PYTORCH_LOOP = 0,    /* torch 2.x, foreach=False (torch's CPU default) */
  INERTIA_ADAM_NUMERICS_PYTORCH_FOREACH = 1, /* torch 2.x, foreach=True */
  INERTIA_ADAM_NUMERICS_PYTORCH_FUSED = 2,   /* torch 2.x, fused=True (Adam/AdamW only) */
  INERTIA_ADAM_NUMERICS_PYTORCH_1_13 = 3     /* torch 1.13 */
} inertia_adam_numerics;

typedef struct inertia_adam_options {
  double lr, beta1, beta2, eps, weight_decay;
  int amsgrad, maximize;
  int decoupled_weight_decay; /* nonzero: AdamW */
  int numerics;               /* an inertia_adam_numerics; 0 (zero-initialised): torch 2.x's loop path */
} inertia_adam_options;

INERTIA_API inertia_status inertia_adam_step_f32(float *param, const float *grad, float *exp_avg, float *exp_avg_sq,
                                                 float *max_exp_avg_sq, size_t n, const inertia_adam_options *options,
                                                 long long step);
INERTIA_API inertia_status inertia_adam_step_f64(double *param, const double *grad, double *exp_avg,
                                                 double *exp_avg_sq, double *max_exp_avg_sq, size_t n,
                                                 const inertia_adam_options *options, long long step);

/* ---- NAdam (torch.optim.NAdam, CPU) ----------------------------------------
 * g (maximize, and Adam's coupled or decoupled weight decay), m and v as
 * Adam's; no amsgrad. Shown here is torch 1.13's order (numerics
 * INERTIA_ADAM_NUMERICS_PYTORCH_1_13, without maximize and decoupled decay,
 * which 1.13 lacks); the default (0) is torch 2.x's loop path, where m is a
 * lerp and mu_product_next = mu_product * mu_next in double; _FOREACH its
 * foreach path; NAdam has no _FUSED. With psi = momentum_decay, f32() rounding to float, and
 * mu_product the float product of the earlier steps' mu:
 *   mu = beta1 * (1 - 0.5 * 0.96^(t * psi));  mu_next = the same at t + 1   (double)
 *   mu_product = f32(mu_product * f32(mu))
 *   mu_product_next = f32(f32(mu_product * f32(mu)) * f32(mu_next))        (mu twice: torch 1.13's)
 *   denom = sqrt(v / r(1 - beta2^t)) + r(eps)
 *   w = w + (r(-lr * (1 - mu) / (1 - mu_product)) * g) / denom
 *   w = w + (r(-lr * mu_next / (1 - mu_product_next)) * m) / denom
 * (include/inertia/adam.hpp). lr, beta1, beta2, eps and weight_decay as
 * Adam's; momentum_decay >= 0, finite (torch's default 4e-3); step >= 1.
 * mu_product is in and out: 1 before step 1, in [0, 1], multiplied by this
 * step's mu only when the call succeeds; it must not be NULL nor point into
 * the buffers. */
typedef struct inertia_nadam_options {
  double lr, beta1, beta2, eps, weight_decay;
  double momentum_decay; /* psi */
  int decoupled_weight_decay, maximize; /* torch >= 2.0 */
  int numerics; /* INERTIA_ADAM_NUMERICS_PYTORCH_LOOP (0), _FOREACH or _1_13 */
} inertia_nadam_options;

INERTIA_API inertia_status inertia_nadam_step_f32(float *param, const float *grad, float *exp_avg, float *exp_avg_sq,
                                                  size_t n, const inertia_nadam_options *options, long long step,
                                                  float *mu_product);
INERTIA_API inertia_status inertia_nadam_step_f64(double *param, const double *grad, double *exp_avg,
                                                  double *exp_avg_sq, size_t n, const inertia_nadam_options *options,
                                                  long long step, float *mu_product);

/* ---- Every variant through one call: inertia_optimizer --------------------
 * A handle is one param group of one variant: its options and its scalar
 * state (NAdam's mu_product). Create it by name, set options by the
 * frameworks' keys, then step any number of tensors at once:
 *
 *   inertia_optimizer *adam;
 *   inertia_optimizer_create("adamw", &adam);
 *   inertia_optimizer_set(adam, "lr", 1e-3);
 *   double betas[2] = {0.9, 0.95};
 *   inertia_optimizer_set_array(adam, "betas", betas, 2);
 *   inertia_tensor t[2] = {{w0, g0, {m0, v0}, n0}, {w1, g1, {m1, v1}, n1}};
 *   inertia_optimizer_step(adam, INERTIA_FLOAT32, t, 2, step, NULL, NULL);   (step = 1, 2, ...)
 *   inertia_optimizer_destroy(adam);
 *
 * Variants (names as inertia-profile's): heavy_ball (also "sgd": torch.optim.SGD),
 * sutskever (Keras SGD), ema (Optax ema + scale), qhm, aggmo, lion, signum,
 * lars, adam, adamw (Adam with decoupled_weight_decay = 1 and weight_decay
 * 1e-2, torch.optim.AdamW), nadam, weight_ema, adagrad, schedule_free_sgd and
 * schedule_free_adamw (schedulefree's SGDScheduleFree, AdamWScheduleFree: keys
 * lr, momentum / betas, weight_decay, warmup_steps, r, weight_lr_power, eps;
 * state z[, exp_avg_sq]; scalar state lr_max and weight_sum, which a resumed
 * schedulefree run sets from its param_groups), ademamix (optax.contrib.ademamix:
 * lr (Optax's learning_rate), b1, b2, b3, alpha, eps, eps_root, weight_decay, alpha_warmup,
 * b3_warmup; state m1, m2, nu), simplified_ademamix (optax.contrib.simplified_ademamix:
 * lr, b1, b2, alpha, eps, eps_root, weight_decay; state m, n), lamb (optax.lamb: lr, b1,
 * b2, eps, eps_root, weight_decay; state mu, nu; not elementwise: per-tensor norms).
 * Each one's equations
 * and numerics are its per-variant section below and its C++ header; a step
 * through this call is bit-identical to the per-variant call.
 *
 * Option keys are the frameworks' hyperparameter names: lr, momentum,
 * dampening, weight_decay, nesterov, maximize, eps, amsgrad, momentum_decay,
 * nu, eta, beta (ema, qhm, signum), betas (an array in torch's order: adam,
 * adamw, nadam, lion (beta1, beta2); aggmo (1 to 8 decays)), bias_correction,
 * decay, warmup, lr_decay, initial_accumulator_value, decoupled_weight_decay
 * (adam); strings: numerics (heavy_ball: "pytorch_loop" or "pytorch_fused";
 * adam, adamw, adagrad: "pytorch_loop" (default), "pytorch_foreach",
 * "pytorch_fused" or "pytorch_1_13"; nadam: the same but "pytorch_fused"),
 * rounding (weight_ema: "torch_lerp" or "mul_add"). Flags are set as 0 or 1.
 * A new handle holds the C++ API's defaults (the frameworks' defaults where
 * they have one). Each value's range is checked when it is set; the relations
 * between options (nesterov needs momentum) when a step runs.
 *
 * Thread safety: calls on different handles from different threads are safe.
 * Setting an option on a handle while a step is using it is the caller's race:
 * one handle is used by one thread at a time.
 *
 * Errors: every call returns a status and, on failure, leaves a message naming
 * the variant and the key, tensor index or buffer (inertia_last_error()), and
 * changes nothing: not the handle, not a buffer. */

/* The element type of every buffer of a step: param, grad and state alike.
 * INERTIA_BFLOAT16 and INERTIA_FLOAT16 store 16-bit elements (uint16_t bits)
 * and compute in float: each element is widened to float, the variant's rule
 * runs exactly as for INERTIA_FLOAT32, and each stored value is rounded back
 * to nearest even (NaN stays NaN): torch 2.x's fused CPU optimizers on
 * bf16/fp16 parameters and state. include/inertia/half.hpp gives the rounding. */
typedef enum inertia_dtype {
  INERTIA_FLOAT32 = 0,
  INERTIA_FLOAT64 = 1,
  INERTIA_BFLOAT16 = 2,
  INERTIA_FLOAT16 = 3
} inertia_dtype;

/* count elements of source (source_dtype) into destination (destination_dtype):
 * INERTIA_FLOAT32 to INERTIA_BFLOAT16 or INERTIA_FLOAT16 (rounded as a step
 * stores: nearest even, NaN stays NaN), or either half type to INERTIA_FLOAT32
 * (exact). Threaded and vectorised as a step is (inertia_set_num_threads). The
 * buffers must not overlap; NULL only when count is 0. */
INERTIA_API inertia_status inertia_convert(inertia_dtype destination_dtype, void *destination,
                                           inertia_dtype source_dtype, const void *source, size_t count);

typedef struct inertia_optimizer inertia_optimizer; /* opaque */

/* A new handle for the variant `variant` (names above), with default options.
 * *out is set on success only. */
INERTIA_API inertia_status inertia_optimizer_create(const char *variant, inertia_optimizer **out);
/* The registered variants, for bindings and tools: names 0 .. count - 1
 * (NULL past the end). Aliases ("sgd") are accepted by create but not listed. */
INERTIA_API size_t inertia_variant_count(void);
INERTIA_API const char *inertia_variant_name(size_t index);
/* Frees the handle; NULL is ignored. */
INERTIA_API void inertia_optimizer_destroy(inertia_optimizer *opt);
/* The variant's name as created ("sgd" reads back as "heavy_ball"); never NULL for a handle. */
INERTIA_API const char *inertia_optimizer_variant(const inertia_optimizer *opt);

/* A number or flag (0/1) option, or scalar state such as NAdam's "mu_product". */
INERTIA_API inertia_status inertia_optimizer_set(inertia_optimizer *opt, const char *key, double value);
/* An array option (betas): count values; values may be NULL only when count is 0. */
INERTIA_API inertia_status inertia_optimizer_set_array(inertia_optimizer *opt, const char *key, const double *values,
                                                       size_t count);
/* A string option, e.g. "numerics". */
INERTIA_API inertia_status inertia_optimizer_set_string(inertia_optimizer *opt, const char *key, const char *value);
/* Reads a number, a flag (0/1), scalar state, a string option's index among its
 * values, or one array element as "betas[1]"; an array's length as "betas#". */
INERTIA_API inertia_status inertia_optimizer_get(const inertia_optimizer *opt, const char *key, double *value);

/* The state buffers each tensor takes, given the options set now (heavy_ball:
 * 1 with momentum, 0 without; adam: 2, or 3 with amsgrad), and their names as
 * torch's state_dict has them (momentum_buffer, exp_avg, exp_avg_sq,
 * max_exp_avg_sq, sum, ...). state_name returns NULL past the count. */
INERTIA_API size_t inertia_optimizer_state_count(const inertia_optimizer *opt);
INERTIA_API const char *inertia_optimizer_state_name(const inertia_optimizer *opt, size_t index);

/* 1 when the step is elementwise: each element's update reads only that
 * element of param, grad and state (and the handle's scalars), so a tensor may
 * be cut into pieces, stepped by separate calls (other threads, other ranks of
 * a sharded step), and give the bits of stepping it whole. 0 when the step
 * reads a per-tensor reduction first (lars: the norms of param and grad), so
 * a piece of a tensor steps differently from the whole; 0 for a NULL handle. */
INERTIA_API int inertia_optimizer_elementwise(const inertia_optimizer *opt);

#define INERTIA_MAX_STATE 8

/* One parameter tensor: param (updated), grad (read; NULL for weight_ema,
 * whose param is the model's weights, read, and whose state[0] is the average),
 * state[0 .. state_count - 1] as state_name names them (the rest NULL), size
 * elements each, of the dtype of the call. A pointer may be NULL only when size is 0. */
typedef struct inertia_tensor {
  void *param;
  const void *grad;
  void *state[INERTIA_MAX_STATE];
  size_t size;
} inertia_tensor;

/* One step of count tensors (one parallel region; bit-identical to stepping
 * each alone). step is t, the 1-based number of this step, as in the papers'
 * equations and torch's state["step"] after it (heavy_ball's first step, where
 * the buffer is initialised, is t == 1). policy: NULL for none; variants that
 * read no gradient or take none (lars, weight_ema) accept only NULL. report:
 * may be NULL. tensors may be NULL only when count is 0. No buffer of any
 * tensor may share memory with another (INERTIA_ERROR_OVERLAP). */
INERTIA_API inertia_status inertia_optimizer_step(inertia_optimizer *opt, inertia_dtype dtype,
                                                  const inertia_tensor *tensors, size_t count, long long step,
                                                  const inertia_step_policy *policy, inertia_step_report *report);

/* ---- Mixed storage and master weights -------------------------------------
 * A step whose buffers are not all of one type: bf16/fp16 parameters with
 * float32 gradients or state, float32 parameters with bf16 state (Adam's
 * moments in 4 bytes instead of 8), and bf16/fp16 model weights kept beside a
 * float32 master copy. The math is always float32: every element is widened to
 * float, the variant's float32 rule runs exactly as inertia_optimizer_step with
 * INERTIA_FLOAT32 would on the widened values, and every value the step writes
 * is rounded back to its buffer's type (nearest even, NaN stays NaN), so:
 *   - a float32 buffer (param, master or state) holds exactly the bits of the
 *     float32 step;
 *   - a bf16/fp16 buffer holds those bits rounded (state is rewritten every
 *     step, unchanged values included: the round trip is exact).
 * The buffers are read and written once each, in their own types. Three modes
 * have kernels of their own, which convert as they load and store: heavy_ball
 * with bf16 params and grads, float32 momentum and a FLOAT32 or SPLIT master;
 * adam and adamw with float32 params and grads and bf16 state. Every other
 * mode (any variant) widens 2048-element pieces into cache, runs the float32
 * step there and rounds them back: the same bits, at the cost of those extra
 * passes through cache. A step with every type equal and no master is
 * inertia_optimizer_step with that dtype (torch's fused semantics).
 *
 * master_weights:
 *   INERTIA_MASTER_NONE      param is the only copy of the weights.
 *   INERTIA_MASTER_FLOAT32   master[i] (float32, size elements) holds tensor i's
 *                            weights and is what the step updates; param (bf16 or
 *                            fp16) is the model's copy, written as the updated
 *                            master rounded to nearest even. Not read.
 *   INERTIA_MASTER_SPLIT     IPEX's split bf16: a float32 master whose top 16 bits
 *                            are param (bf16, the model's weights: the master
 *                            truncated) and whose bottom 16 bits are master[i]
 *                            (uint16_t, size elements). No extra copy, no cast pass:
 *                            the float32 master values are bit for bit the
 *                            float32 step's.
 * Allowed types: param_dtype FLOAT32, BFLOAT16 or FLOAT16; grad_dtype the
 * param's or FLOAT32; state_dtype FLOAT32, BFLOAT16 or the param's. With a master,
 * param_dtype is BFLOAT16 or FLOAT16 (SPLIT: BFLOAT16). FLOAT64 only with every
 * type FLOAT64 and no master. weight_ema (its param is read, never written)
 * takes no master. master is NULL when master_weights is NONE; otherwise an
 * array of count pointers (NULL only for size 0), disjoint from every other buffer.
 *
 * A variant that is not elementwise (lars, lamb) widens whole tensors instead
 * of pieces: its norms need them whole. Its scratch grows to the largest tensor. */
typedef enum inertia_master_weights {
  INERTIA_MASTER_NONE = 0,
  INERTIA_MASTER_FLOAT32 = 1,
  INERTIA_MASTER_SPLIT = 2
} inertia_master_weights;

/* How bf16/fp16 values a step writes are rounded. STOCHASTIC: to one of the two
 * neighbours, the upper with probability (x - lower) / (upper - lower), so that
 * E[stored] = x (lib/simd/stochastic_rounding.hpp has the bit-level rules: NaN
 * stays a quiet NaN, +-0 and +-Inf are kept, fp16 subnormals exact to 2^-40).
 * Each rounding takes 16 random bits of Philox4x32-10 keyed by `seed`, its
 * counter made of the element's index within its tensor, the step number and
 * the buffer (lib/simd/stochastic_draws.hpp has the layout; one evaluation
 * serves eight elements): the same bits on every target, thread count and
 * block size, and in whatever calls the tensors are grouped; a new seed or
 * step draws anew. The counter holds no tensor identity (that is what keeps
 * the bits independent of the grouping), so tensors stepped at the same step
 * with the same seed share their draws element by element: give each tensor
 * its own seed (a hash of the run's seed and the tensor's name, one call per
 * seed) where independent draws across tensors matter. heavy_ball (all
 * bf16) and adam/adamw (all bf16, or float32 params with bf16 moments) round
 * in the same pass as the step; every other mode with a half buffer to write
 * runs staged, with the same bits. Float32 buffers and split halves are exact
 * either way. */
typedef enum inertia_rounding {
  INERTIA_ROUND_NEAREST_EVEN = 0,
  INERTIA_ROUND_STOCHASTIC = 1
} inertia_rounding;

typedef struct inertia_storage {
  inertia_dtype param_dtype;
  inertia_dtype grad_dtype;
  inertia_dtype state_dtype; /* every state buffer of the step */
  inertia_master_weights master_weights;
  inertia_rounding rounding; /* 0, nearest even, in a zero-initialised struct */
  unsigned long long seed;   /* STOCHASTIC's key */
} inertia_storage;

/* inertia_optimizer_step with the buffers' types in *storage (not NULL) and,
 * for master weights, master[0 .. count - 1]. Everything is checked before the
 * first write, as for inertia_optimizer_step (INERTIA_ERROR_DTYPE names the
 * field of a type that is not allowed). */
INERTIA_API inertia_status inertia_optimizer_step_storage(inertia_optimizer *opt, const inertia_storage *storage,
                                                          const inertia_tensor *tensors, void *const *master,
                                                          size_t count, long long step,
                                                          const inertia_step_policy *policy,
                                                          inertia_step_report *report);

/* ---- Demon, decaying momentum: a schedule, not a step ---------------------
 *   beta_t = beta_init * (1 - t/T) / ((1 - beta_init) + beta_init * (1 - t/T))
 * evaluated in double as min(beta_init, 1 / (1 + (1 - beta_init) / (beta_init * (1 - t/T))))
 * with 1 - t/T = 1 - (double)t / (double)T; exactly beta_init at t = 0 and 0
 * at t = T (or when beta_init is 0); never increasing in t
 * (include/inertia/demon.hpp). Feed it each step to a variant's momentum
 * (inertia_sgd_options.momentum, the EMA beta, ...). beta_init in [0, 1),
 * total_steps > 0, 0 <= step <= total_steps. Writes *momentum on success only;
 * momentum must not be NULL. */
INERTIA_API inertia_status inertia_demon_momentum(double beta_init, long long step, long long total_steps,
                                                  double *momentum);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INERTIA_INERTIA_H */
