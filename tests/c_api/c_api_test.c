/* The C ABI from C. Compiled as ISO C99 with -pedantic -Werror, this program
 * is the proof that inertia.h is C and links as C; it then checks from C one
 * smoke call of every entry point against a hand-computed result, every
 * status string, the version, thread and target selection, and that the last
 * error is per thread. That each entry point gives the C++ API's bits, over
 * sizes, steps and bad inputs, is tests/test_c_abi_equivalence.cpp's job.
 *
 * Inputs are small powers of two, chosen so that every result is exact in
 * float and in double: an expectation is a value, not a tolerance.
 *
 * Prints one line per check and ends with "c_api: N passed, M failed"; exits
 * non-zero when anything failed. */
#define _POSIX_C_SOURCE 200809L /* pthreads under -std=c99 */

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inertia/inertia.h"

static int passed, failed;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
check(int ok, const char *format, ...) {
  va_list args;
  va_start(args, format);
  printf("%s ", ok ? "ok  " : "FAIL");
  vprintf(format, args);
  printf("\n");
  va_end(args);
  if (ok)
    ++passed;
  else
    ++failed;
}

static int contains(const char *text, const char *part) { return strstr(text, part) != NULL; }

/* ---- smoke: every entry point once, f32 and f64 -------------------------- */

/* The fixture every smoke call starts from: parameters w, gradient g and
 * three state buffers a, b, c, as float and as double. */
static float wf[2], gf[2], af[2], bf[2], cf[2];
static double wd[2], gd[2], ad[2], bd[2], cd[2];

static void reset(double w0, double w1, double g0, double g1, double a0, double a1, double b0, double b1) {
  wf[0] = (float)(wd[0] = w0), wf[1] = (float)(wd[1] = w1);
  gf[0] = (float)(gd[0] = g0), gf[1] = (float)(gd[1] = g1);
  af[0] = (float)(ad[0] = a0), af[1] = (float)(ad[1] = a1);
  bf[0] = (float)(bd[0] = b0), bf[1] = (float)(bd[1] = b1);
  cf[0] = (float)(cd[0] = 0.0), cf[1] = (float)(cd[1] = 0.0);
}

/* w = {1, -2}, g = {0.5, -1}, a = {0.25, 0.5}, b = {0.5, 0.25}: most calls' start. */
static void reset_common(void) { reset(1, -2, 0.5, -1, 0.25, 0.5, 0.5, 0.25); }

static int eq_f32(const float *x, double e0, double e1) { return x[0] == (float)e0 && x[1] == (float)e1; }
static int eq_f64(const double *x, double e0, double e1) { return x[0] == e0 && x[1] == e1; }

static void test_smoke(void) {
  const inertia_sgd_options sgd = {0.5, 0.5, 0.5, 0.25, 0, 0};
  const size_t sizes[2] = {2, 0};
  float *params_f[2] = {wf, NULL}, *buffers_f[2] = {af, NULL};
  const float *grads_f[2] = {gf, NULL};
  double *params_d[2] = {wd, NULL}, *buffers_d[2] = {ad, NULL};
  const double *grads_d[2] = {gd, NULL};
  const inertia_step_policy policy = {2.0, 1, 0.0, 0.0, 0};
  inertia_step_report report_f = {-1, 0.0}, report_d = {-1, 0.0};
  float *velocities_f[2] = {af, bf};
  double *velocities_d[2] = {ad, bd};
  const double aggmo_betas[2] = {0.0, 0.5};
  const inertia_qhm_options qhm = {0.5, 0.5, 0.5, 0.0};
  const inertia_lion_options lion = {0.5, 0.5, 0.75, 0.25};
  const inertia_lars_options lars = {0.5, 0.5, 0.0, 0.5};
  /* the expected values below were worked out in torch 1.13's order */
  const inertia_adam_options adamw_amsgrad = {0.5, 0.5, 0.75, 1.0, 0.5, 1, 0, 1, INERTIA_ADAM_NUMERICS_PYTORCH_1_13};
  const inertia_nadam_options nadam = {0.5, 0.5, 0.75, 1.0, 0.0, 0.0, 0, 0, INERTIA_ADAM_NUMERICS_PYTORCH_1_13};
  float mu_f = 1.0f, mu_d = 1.0f;
  int i;

  /* d = g + 0.25 w = {0.75, -1.5}; v = 0.5 d + 0.5 v = {0.5, -0.5}; w -= 0.5 v. The
   * fused numerics round differently only where a product is inexact. */
  for (i = 0; i < 5; ++i) {
    const inertia_sgd_numerics numerics = i % 2 ? INERTIA_SGD_NUMERICS_PYTORCH_FUSED : INERTIA_SGD_NUMERICS_PYTORCH_LOOP;
    static const char *const names[] = {"sgd_step", "sgd_step_ex fused", "sgd_step_multi", "sgd_step_multi_ex fused",
                                        "sgd_step_ex loop"};
    int ok32, ok64;
    reset_common();
    if (i == 0) {
      ok32 = inertia_sgd_step_f32(wf, gf, af, 2, &sgd, 0) == INERTIA_OK;
      ok64 = inertia_sgd_step_f64(wd, gd, ad, 2, &sgd, 0) == INERTIA_OK;
    } else if (i == 2) { /* two tensors, the second empty with NULL pointers */
      ok32 = inertia_sgd_step_multi_f32(params_f, grads_f, buffers_f, sizes, 2, &sgd, 0) == INERTIA_OK;
      ok64 = inertia_sgd_step_multi_f64(params_d, grads_d, buffers_d, sizes, 2, &sgd, 0) == INERTIA_OK;
    } else if (i == 3) {
      ok32 = inertia_sgd_step_multi_ex_f32(params_f, grads_f, buffers_f, sizes, 2, &sgd, 0, numerics) == INERTIA_OK;
      ok64 = inertia_sgd_step_multi_ex_f64(params_d, grads_d, buffers_d, sizes, 2, &sgd, 0, numerics) == INERTIA_OK;
    } else {
      ok32 = inertia_sgd_step_ex_f32(wf, gf, af, 2, &sgd, 0, numerics) == INERTIA_OK;
      ok64 = inertia_sgd_step_ex_f64(wd, gd, ad, 2, &sgd, 0, numerics) == INERTIA_OK;
    }
    check(ok32 && eq_f32(wf, 0.75, -1.75) && eq_f32(af, 0.5, -0.5) && ok64 && eq_f64(wd, 0.75, -1.75) &&
              eq_f64(ad, 0.5, -0.5),
          "%s f32/f64: w = {0.75, -1.75}, momentum_buffer = {0.5, -0.5}", names[i]);
  }

  /* grad_scale 2: g = {0.25, -0.5}; d = {0.5, -1}; v = {0.375, -0.25}; w -= 0.5 v. */
  reset_common();
  check(inertia_sgd_step_multi_policy_f32(params_f, grads_f, buffers_f, sizes, 2, &sgd, 0,
                                          INERTIA_SGD_NUMERICS_PYTORCH_LOOP, &policy, &report_f) == INERTIA_OK &&
            eq_f32(wf, 0.8125, -1.875) && eq_f32(af, 0.375, -0.25) && report_f.skipped == 0 &&
            isnan(report_f.grad_norm) &&
            inertia_sgd_step_multi_policy_f64(params_d, grads_d, buffers_d, sizes, 2, &sgd, 0,
                                              INERTIA_SGD_NUMERICS_PYTORCH_LOOP, &policy, &report_d) == INERTIA_OK &&
            eq_f64(wd, 0.8125, -1.875) && eq_f64(ad, 0.375, -0.25) && report_d.skipped == 0 &&
            isnan(report_d.grad_norm),
        "sgd_step_multi_policy f32/f64: grad_scale 2 gives w = {0.8125, -1.875}, not skipped, grad_norm NaN");

  /* v = 0.5 v - 0.5 g = {-0.125, 0.75}; w += v. */
  reset_common();
  check(inertia_sutskever_step_f32(wf, gf, af, 2, 0.5, 0.5, 0) == INERTIA_OK && eq_f32(wf, 0.875, -1.25) &&
            eq_f32(af, -0.125, 0.75) && inertia_sutskever_step_f64(wd, gd, ad, 2, 0.5, 0.5, 0) == INERTIA_OK &&
            eq_f64(wd, 0.875, -1.25) && eq_f64(ad, -0.125, 0.75),
        "sutskever_step f32/f64: w = {0.875, -1.25}, velocity = {-0.125, 0.75}");

  /* lookahead = w + 0.5 a. */
  reset_common();
  check(inertia_nesterov_lookahead_f32(wf, af, cf, 2, 0.5) == INERTIA_OK && eq_f32(cf, 1.125, -1.75) &&
            inertia_nesterov_lookahead_f64(wd, ad, cd, 2, 0.5) == INERTIA_OK && eq_f64(cd, 1.125, -1.75),
        "nesterov_lookahead f32/f64: {1.125, -1.75}");

  /* v = 0.5 g + 0.5 v = {0.375, -0.25}; corrected by 1 / (1 - 0.5) = 2; w -= 0.5 * 2 v. */
  reset_common();
  check(inertia_ema_step_f32(wf, gf, af, 2, 0.5, 0.5, 1, 1) == INERTIA_OK && eq_f32(wf, 0.625, -1.75) &&
            eq_f32(af, 0.375, -0.25) && inertia_ema_step_f64(wd, gd, ad, 2, 0.5, 0.5, 1, 1) == INERTIA_OK &&
            eq_f64(wd, 0.625, -1.75) && eq_f64(ad, 0.375, -0.25),
        "ema_step f32/f64, bias corrected: w = {0.625, -1.75}, velocity = {0.375, -0.25}");

  /* v = {0.375, -0.25}; w = w - 0.25 v - 0.25 g. */
  reset_common();
  check(inertia_qhm_step_f32(wf, gf, af, 2, &qhm) == INERTIA_OK && eq_f32(wf, 0.78125, -1.6875) &&
            eq_f32(af, 0.375, -0.25) && inertia_qhm_step_f64(wd, gd, ad, 2, &qhm) == INERTIA_OK &&
            eq_f64(wd, 0.78125, -1.6875) && eq_f64(ad, 0.375, -0.25),
        "qhm_step f32/f64: w = {0.78125, -1.6875}");

  /* lr / k = 0.25; v0 = 0 v0 - g = {-0.5, 1}; w += 0.25 v0; v1 = 0.5 v1 - g = {-0.25, 1.125}; w += 0.25 v1. */
  reset_common();
  check(inertia_aggmo_step_f32(wf, gf, velocities_f, 2, 0.5, aggmo_betas, 2, 0.0) == INERTIA_OK &&
            eq_f32(wf, 0.8125, -1.46875) && eq_f32(af, -0.5, 1) && eq_f32(bf, -0.25, 1.125) &&
            inertia_aggmo_step_f64(wd, gd, velocities_d, 2, 0.5, aggmo_betas, 2, 0.0) == INERTIA_OK &&
            eq_f64(wd, 0.8125, -1.46875) && eq_f64(ad, -0.5, 1) && eq_f64(bd, -0.25, 1.125),
        "aggmo_step f32/f64, betas {0, 0.5}: w = {0.8125, -1.46875}");

  /* c = 0.5 g + 0.5 m = {0.375, -0.25}; u = sign(c) + 0.25 w = {1.25, -1.5}; w -= 0.5 u;
   * m = 0.25 g + 0.75 m = {0.3125, 0.125}. */
  reset_common();
  check(inertia_lion_step_f32(wf, gf, af, 2, &lion) == INERTIA_OK && eq_f32(wf, 0.375, -1.25) &&
            eq_f32(af, 0.3125, 0.125) && inertia_lion_step_f64(wd, gd, ad, 2, &lion) == INERTIA_OK &&
            eq_f64(wd, 0.375, -1.25) && eq_f64(ad, 0.3125, 0.125),
        "lion_step f32/f64: w = {0.375, -1.25}, m = {0.3125, 0.125}");

  /* m = {0.375, -0.25}; w -= 0.5 sign(m). */
  reset_common();
  check(inertia_signum_step_f32(wf, gf, af, 2, 0.5, 0.5) == INERTIA_OK && eq_f32(wf, 0.5, -1.5) &&
            eq_f32(af, 0.375, -0.25) && inertia_signum_step_f64(wd, gd, ad, 2, 0.5, 0.5) == INERTIA_OK &&
            eq_f64(wd, 0.5, -1.5) && eq_f64(ad, 0.375, -0.25),
        "signum_step f32/f64: w = {0.5, -1.5}");

  /* ||w|| = 5, ||g|| = 2.5: local_lr = 0.5 * 5 / 2.5 = 1, scale 0.5; v = 0.5 g + 0.5 v = {-0.625, 1.25}; w -= v. */
  reset(3, -4, -1.5, 2, 0.25, 0.5, 0, 0);
  check(inertia_lars_step_f32(wf, gf, af, 2, &lars) == INERTIA_OK && eq_f32(wf, 3.625, -5.25) &&
            eq_f32(af, -0.625, 1.25) && inertia_lars_step_f64(wd, gd, ad, 2, &lars) == INERTIA_OK &&
            eq_f64(wd, 3.625, -5.25) && eq_f64(ad, -0.625, 1.25),
        "lars_step f32/f64: w = {3.625, -5.25}, momentum_buffer = {-0.625, 1.25}");

  /* decay 0.5, both roundings: average = 0.5 average + 0.5 param (a is the average, w the model). */
  for (i = 0; i < 2; ++i) {
    const inertia_weight_ema_rounding rounding =
        i ? INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD : INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP;
    reset_common();
    check(inertia_weight_ema_step_f32(af, wf, 2, 0.5, 0, rounding, 0) == INERTIA_OK && eq_f32(af, 0.625, -0.75) &&
              eq_f32(wf, 1, -2) && inertia_weight_ema_step_f64(ad, wd, 2, 0.5, 0, rounding, 0) == INERTIA_OK &&
              eq_f64(ad, 0.625, -0.75),
          "weight_ema_step f32/f64 %s: average = {0.625, -0.75}, param unchanged", i ? "mul_add" : "torch_lerp");
  }

  /* AdamW + amsgrad, step 1: w *= 1 - 0.5 * 0.5; m = 0.5 g = {0.25, -0.5}; v = 0.25 g^2 + 0.75 v = {0.25, 0.25};
   * v_max = max(v_max, v) = {0.25, 2.25}; denom = sqrt(v_max) / 0.5 + 1 = {2, 4}; w -= (0.5 / 0.5) m / denom. */
  reset(1, -2, 0.5, -1, 0, 0, 0.25, 0);
  cf[1] = 2.25f, cd[1] = 2.25;
  check(inertia_adam_step_f32(wf, gf, af, bf, cf, 2, &adamw_amsgrad, 1) == INERTIA_OK && eq_f32(wf, 0.625, -1.375) &&
            eq_f32(af, 0.25, -0.5) && eq_f32(bf, 0.25, 0.25) && eq_f32(cf, 0.25, 2.25) &&
            inertia_adam_step_f64(wd, gd, ad, bd, cd, 2, &adamw_amsgrad, 1) == INERTIA_OK &&
            eq_f64(wd, 0.625, -1.375) && eq_f64(ad, 0.25, -0.5) && eq_f64(bd, 0.25, 0.25) && eq_f64(cd, 0.25, 2.25),
        "adam_step f32/f64, AdamW with amsgrad: w = {0.625, -1.375}");

  /* momentum_decay 0: mu = mu_next = 0.5 * 0.5 = 0.25, mu_product 0.25, so the gradient's coefficient is -lr; m
   * starts at -g, so m = 0 and its term vanishes; denom = sqrt(v / 0.25) + 1 = {2, 2}; w -= 0.5 g / 2. */
  reset(1, -2, 0.5, -1, -0.5, 1, 0.25, 0);
  check(inertia_nadam_step_f32(wf, gf, af, bf, 2, &nadam, 1, &mu_f) == INERTIA_OK && eq_f32(wf, 0.875, -1.75) &&
            eq_f32(af, 0, 0) && eq_f32(bf, 0.25, 0.25) && mu_f == 0.25f &&
            inertia_nadam_step_f64(wd, gd, ad, bd, 2, &nadam, 1, &mu_d) == INERTIA_OK && eq_f64(wd, 0.875, -1.75) &&
            eq_f64(ad, 0, 0) && eq_f64(bd, 0.25, 0.25) && mu_d == 0.25f,
        "nadam_step f32/f64: w = {0.875, -1.75}, mu_product 0.25");

  /* The schedule's exact points: beta_init at step 0, 0 at the end and for beta_init 0. */
  {
    double start = -1, end = -1, zero = -1;
    check(inertia_demon_momentum(0.9, 0, 10, &start) == INERTIA_OK && start == 0.9 &&
              inertia_demon_momentum(0.9, 10, 10, &end) == INERTIA_OK && end == 0.0 &&
              inertia_demon_momentum(0.0, 3, 10, &zero) == INERTIA_OK && zero == 0.0,
          "demon_momentum: 0.9 at step 0, 0 at step 10 of 10, 0 for beta_init 0");
  }

  /* NULL data is fine where it points at nothing. */
  mu_f = 1.0f;
  check(inertia_sgd_step_f32(NULL, NULL, NULL, 0, &sgd, 0) == INERTIA_OK &&
            inertia_sgd_step_multi_f64(NULL, NULL, NULL, NULL, 0, &sgd, 1) == INERTIA_OK &&
            inertia_sutskever_step_f64(NULL, NULL, NULL, 0, 0.1, 0.9, 1) == INERTIA_OK &&
            inertia_ema_step_f32(NULL, NULL, NULL, 0, 0.1, 0.9, 1, 1) == INERTIA_OK &&
            inertia_nesterov_lookahead_f64(NULL, NULL, NULL, 0, 0.9) == INERTIA_OK &&
            inertia_qhm_step_f32(NULL, NULL, NULL, 0, &qhm) == INERTIA_OK &&
            inertia_aggmo_step_f64(NULL, NULL, velocities_d, 0, 0.1, aggmo_betas, 2, 0.0) == INERTIA_OK &&
            inertia_lion_step_f32(NULL, NULL, NULL, 0, &lion) == INERTIA_OK &&
            inertia_signum_step_f64(NULL, NULL, NULL, 0, 0.01, 0.9) == INERTIA_OK &&
            inertia_lars_step_f32(NULL, NULL, NULL, 0, &lars) == INERTIA_OK &&
            inertia_weight_ema_step_f64(NULL, NULL, 0, 0.999, 1, INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD, 0) == INERTIA_OK &&
            inertia_adam_step_f32(NULL, NULL, NULL, NULL, NULL, 0, &adamw_amsgrad, 1) == INERTIA_OK &&
            inertia_nadam_step_f32(NULL, NULL, NULL, NULL, 0, &nadam, 1, &mu_f) == INERTIA_OK && mu_f == 0.25f,
        "NULL data with n = 0 is a no-op, not an error (NAdam still advances mu_product)");
}

/* ---- version, status strings -------------------------------------------- */

static void test_version(void) {
  char expected[64];
  sprintf(expected, "%d.%d.%d", INERTIA_VERSION_MAJOR, INERTIA_VERSION_MINOR, INERTIA_VERSION_PATCH);
  check(strcmp(inertia_version(), expected) == 0 && strcmp(INERTIA_VERSION_STRING, expected) == 0,
        "inertia_version() \"%s\" matches the header's INERTIA_VERSION_MAJOR.MINOR.PATCH \"%s\"", inertia_version(),
        expected);
}

static void test_status_strings(void) {
  static const struct {
    inertia_status status;
    const char *text;
  } all[] = {{INERTIA_OK, "ok"},
             {INERTIA_ERROR_NULL_POINTER, "null pointer"},
             {INERTIA_ERROR_LENGTH, "length mismatch"},
             {INERTIA_ERROR_OVERLAP, "overlapping buffers"},
             {INERTIA_ERROR_HYPERPARAMETER, "invalid hyperparameter"},
             {INERTIA_ERROR_INTERNAL, "internal error"},
             {INERTIA_ERROR_UNKNOWN_NAME, "unknown name"},
             {INERTIA_ERROR_WRONG_KIND, "wrong kind of value for the key"},
             {INERTIA_ERROR_UNUSED_STATE, "state buffer the variant does not use"},
             {INERTIA_ERROR_DTYPE, "unknown dtype"},
             {(inertia_status)99, "unknown status"}};
  size_t i;
  check(INERTIA_OK == 0, "INERTIA_OK is 0");
  for (i = 0; i < sizeof all / sizeof all[0]; ++i)
    check(strcmp(inertia_status_string(all[i].status), all[i].text) == 0, "inertia_status_string(%d) is \"%s\"",
          (int)all[i].status, all[i].text);
}

/* ---- the last error is per thread ---------------------------------------- */

enum { error_rounds = 500 };

typedef struct thread_result {
  int fresh_was_empty; /* "" before this thread's first failure */
  int own_message_every_time;
} thread_result;

/* Fails error_rounds times on lr = NaN (SGD) and checks each time that the
 * message is its own, while the other thread fails on beta (EMA). */
static void *fail_on_lr(void *out) {
  thread_result *result = (thread_result *)out;
  double w[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1}, v[4] = {0, 0, 0, 0};
  inertia_sgd_options o = {NAN, 0.9, 0.0, 0.0, 0, 0};
  int i;
  result->fresh_was_empty = strcmp(inertia_last_error(), "") == 0;
  result->own_message_every_time = 1;
  for (i = 0; i < error_rounds; ++i) {
    const inertia_status status = inertia_sgd_step_f64(w, g, v, 4, &o, 0);
    const char *message = inertia_last_error();
    result->own_message_every_time = result->own_message_every_time && status == INERTIA_ERROR_HYPERPARAMETER &&
                                     strncmp(message, "inertia_sgd_step_f64: invalid lr", 32) == 0;
  }
  return NULL;
}

static void *fail_on_beta(void *out) {
  thread_result *result = (thread_result *)out;
  float w[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1}, v[4] = {0, 0, 0, 0};
  int i;
  result->fresh_was_empty = strcmp(inertia_last_error(), "") == 0;
  result->own_message_every_time = 1;
  for (i = 0; i < error_rounds; ++i) {
    const inertia_status status = inertia_ema_step_f32(w, g, v, 4, 0.1, 1.0, 0, 1);
    const char *message = inertia_last_error();
    result->own_message_every_time = result->own_message_every_time && status == INERTIA_ERROR_HYPERPARAMETER &&
                                     strncmp(message, "inertia_ema_step_f32: invalid beta", 34) == 0;
  }
  return NULL;
}

static void test_last_error_is_per_thread(void) {
  pthread_t sgd_thread, ema_thread;
  thread_result sgd_result = {0, 0}, ema_result = {0, 0};
  double w[2] = {1, 2}, g[2] = {3, 4};
  char main_message[512];
  int started;
  /* The main thread's own failure, which the others must not disturb. */
  inertia_sgd_step_f64(w, g, NULL, 2, NULL, 0);
  strncpy(main_message, inertia_last_error(), sizeof main_message - 1);
  main_message[sizeof main_message - 1] = '\0';
  started = pthread_create(&sgd_thread, NULL, fail_on_lr, &sgd_result) == 0 &&
            pthread_create(&ema_thread, NULL, fail_on_beta, &ema_result) == 0;
  if (!started) {
    check(0, "could not start threads");
    return;
  }
  pthread_join(sgd_thread, NULL);
  pthread_join(ema_thread, NULL);
  check(sgd_result.fresh_was_empty && ema_result.fresh_was_empty,
        "inertia_last_error: \"\" in a new thread although the main thread has failed");
  check(sgd_result.own_message_every_time && ema_result.own_message_every_time,
        "inertia_last_error: two threads failing %d times each at once always read their own message", error_rounds);
  check(strcmp(inertia_last_error(), main_message) == 0 && contains(main_message, "options"),
        "inertia_last_error: the main thread still reads its own message (\"%s\")", main_message);
}

static void test_last_error_survives_success(void) {
  float w[3] = {1, 2, 3}, g[3] = {1, 1, 1};
  const inertia_sgd_options o = {0.1, 0.0, 0.0, 0.0, 0, 0};
  char before[512];
  inertia_sgd_step_f32(NULL, g, NULL, 3, &o, 1);
  strncpy(before, inertia_last_error(), sizeof before - 1);
  before[sizeof before - 1] = '\0';
  check(inertia_sgd_step_f32(w, g, NULL, 3, &o, 1) == INERTIA_OK && strcmp(inertia_last_error(), before) == 0,
        "inertia_last_error: a successful call leaves the last failure's message in place");
}

/* ---- arch and threads --------------------------------------------------- */

/* The smoke SGD step on n equal elements: w = 1, g = 0.5, v = 0.25 everywhere
 * become w = 0.75, v = 0.5, whatever the target, vector width or threads. */
static int uniform_sgd_gives_exact_result(size_t n) {
  const inertia_sgd_options o = {0.5, 0.5, 0.5, 0.25, 0, 0};
  double *w = malloc(n * sizeof *w), *g = malloc(n * sizeof *g), *v = malloc(n * sizeof *v);
  float *wf32 = malloc(n * sizeof *wf32), *gf32 = malloc(n * sizeof *gf32), *vf32 = malloc(n * sizeof *vf32);
  size_t i;
  int ok = w && g && v && wf32 && gf32 && vf32;
  for (i = 0; ok && i < n; ++i) w[i] = wf32[i] = 1, g[i] = gf32[i] = 0.5, v[i] = vf32[i] = 0.25;
  ok = ok && inertia_sgd_step_f64(w, g, v, n, &o, 0) == INERTIA_OK &&
       inertia_sgd_step_ex_f32(wf32, gf32, vf32, n, &o, 0, INERTIA_SGD_NUMERICS_PYTORCH_FUSED) == INERTIA_OK;
  for (i = 0; ok && i < n; ++i) ok = w[i] == 0.75 && v[i] == 0.5 && wf32[i] == 0.75f && vf32[i] == 0.5f;
  free(w), free(g), free(v), free(wf32), free(gf32), free(vf32);
  return ok;
}

static void test_arch(void) {
  static const char *const names[] = {"scalar", "sse2", "avx2", "avx512f", "avx512bf16"};
  const char *automatic = inertia_arch();
  size_t i;
  int status;
  check(inertia_set_arch("auto") == 0 && strcmp(inertia_arch(), automatic) == 0,
        "inertia_set_arch(\"auto\"): 0, and the automatic target is \"%s\"", automatic);
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    status = inertia_set_arch(names[i]);
    if (status == 0) {
      check(strcmp(inertia_arch(), names[i]) == 0 && uniform_sgd_gives_exact_result(1003),
            "inertia_set_arch(\"%s\"): 0, inertia_arch() says so, and SGD f32/f64 over 1003 elements is exact",
            names[i]);
    } else {
      /* Not compiled in, or not supported by this CPU: refused, nothing changed. */
      check(status == INERTIA_ERROR_HYPERPARAMETER && contains(inertia_last_error(), names[i]) &&
                strcmp(inertia_arch(), names[i]) != 0 && strcmp(names[i], "scalar") != 0,
            "inertia_set_arch(\"%s\"): unsupported here, refused with \"%s\" (%s)", names[i],
            inertia_status_string((inertia_status)status), inertia_last_error());
    }
  }
  check(inertia_set_arch("scalar") == 0 && inertia_set_arch("avx9") == INERTIA_ERROR_HYPERPARAMETER &&
            contains(inertia_last_error(), "avx9") && strcmp(inertia_arch(), "scalar") == 0,
        "inertia_set_arch(\"avx9\"): INERTIA_ERROR_HYPERPARAMETER naming it, the target unchanged");
  check(inertia_set_arch(NULL) == INERTIA_ERROR_NULL_POINTER && contains(inertia_last_error(), "name"),
        "inertia_set_arch(NULL): INERTIA_ERROR_NULL_POINTER naming the argument");
  check(inertia_set_arch("auto") == 0 && strcmp(inertia_arch(), automatic) == 0,
        "inertia_set_arch(\"auto\"): back to \"%s\"", automatic);
}

/* Big enough (3 MiB moved per step) that the default settings use threads. */
static void test_num_threads(void) {
  static const int thread_counts[] = {1, 2, 3, 0, -4};
  size_t i;
  for (i = 0; i < sizeof thread_counts / sizeof thread_counts[0]; ++i) {
    inertia_set_num_threads(thread_counts[i]);
    check(uniform_sgd_gives_exact_result((size_t)1 << 17),
          "inertia_set_num_threads(%d): SGD f32/f64 over 2^17 elements is exact%s", thread_counts[i],
          thread_counts[i] < 0 ? " (negative means OpenMP's default)" : "");
  }
  inertia_set_num_threads(0);
}

/* ---- the generic calls from C -------------------------------------------- */

/* heavy_ball through inertia_optimizer_step: exact values (powers of two),
 * and a dtype that is not an inertia_dtype value, which only C can pass
 * without undefined behaviour. */
static void test_generic(void) {
  inertia_optimizer *opt = NULL;
  float w[2] = {1.0f, -2.0f}, g[2] = {0.5f, -1.0f}, v[2] = {0.0f, 0.0f};
  inertia_tensor t;
  size_t i;
  int known = 0;
  for (i = 0; i < inertia_variant_count(); ++i) known += strcmp(inertia_variant_name(i), "adagrad") == 0;
  check(known == 1 && inertia_variant_name(inertia_variant_count()) == NULL, "inertia_variant_name lists adagrad once");
  check(inertia_optimizer_create("sgd", &opt) == INERTIA_OK && opt != NULL, "inertia_optimizer_create(\"sgd\")");
  check(inertia_optimizer_set(opt, "lr", 0.5) == INERTIA_OK && inertia_optimizer_set(opt, "momentum", 0.5) == INERTIA_OK,
        "inertia_optimizer_set lr, momentum");
  check(inertia_optimizer_state_count(opt) == 1 && strcmp(inertia_optimizer_state_name(opt, 0), "momentum_buffer") == 0,
        "heavy_ball with momentum keeps one momentum_buffer");
  memset(&t, 0, sizeof t);
  t.param = w;
  t.grad = g;
  t.state[0] = v;
  t.size = 2;
  /* t = 1: v = g; w -= 0.5 * v. t = 2: v = 0.5 * v + g; w -= 0.5 * v. */
  check(inertia_optimizer_step(opt, INERTIA_FLOAT32, &t, 1, 1, NULL, NULL) == INERTIA_OK && w[0] == 0.75f &&
            w[1] == -1.5f && v[0] == 0.5f && v[1] == -1.0f,
        "inertia_optimizer_step heavy_ball t = 1");
  check(inertia_optimizer_step(opt, INERTIA_FLOAT32, &t, 1, 2, NULL, NULL) == INERTIA_OK && w[0] == 0.375f &&
            w[1] == -0.75f && v[0] == 0.75f && v[1] == -1.5f,
        "inertia_optimizer_step heavy_ball t = 2");
  check(inertia_optimizer_step(opt, (inertia_dtype)7, &t, 1, 3, NULL, NULL) == INERTIA_ERROR_DTYPE &&
            contains(inertia_last_error(), "dtype") && w[0] == 0.375f && v[0] == 0.75f,
        "an unknown dtype is INERTIA_ERROR_DTYPE and writes nothing");
  check(inertia_optimizer_set(opt, "no_such_key", 1.0) == INERTIA_ERROR_UNKNOWN_NAME &&
            contains(inertia_last_error(), "no_such_key"),
        "an unknown key is INERTIA_ERROR_UNKNOWN_NAME");
  check(inertia_optimizer_elementwise(opt) == 1, "heavy_ball is elementwise (a tensor may be stepped in pieces)");
  inertia_optimizer_destroy(opt);
  inertia_optimizer_destroy(NULL);
  check(inertia_optimizer_create("lars", &opt) == INERTIA_OK && inertia_optimizer_elementwise(opt) == 0,
        "lars is not elementwise (it reads per-tensor norms)");
  inertia_optimizer_destroy(opt);
  check(inertia_optimizer_elementwise(NULL) == 0, "inertia_optimizer_elementwise(NULL) is 0");
}

/* Mixed storage from C: bf16 model weights and grads with a float32 master
 * (exact values), and enum values outside inertia_rounding / inertia_master_weights,
 * which only C can pass without undefined behaviour. */
static void test_storage(void) {
  inertia_optimizer *opt = NULL;
  float master_weights[2] = {1.0f, -2.0f}, v[2] = {0.0f, 0.0f};
  uint16_t model[2] = {0, 0}, g[2] = {0x3F00, 0xBF80}; /* bf16 0.5, -1 */
  void *master[1];
  inertia_tensor t;
  inertia_storage storage;
  master[0] = master_weights;
  check(inertia_optimizer_create("sgd", &opt) == INERTIA_OK && inertia_optimizer_set(opt, "lr", 0.5) == INERTIA_OK &&
            inertia_optimizer_set(opt, "momentum", 0.5) == INERTIA_OK,
        "inertia_optimizer_create(\"sgd\") for a storage step");
  memset(&t, 0, sizeof t);
  memset(&storage, 0, sizeof storage);
  t.param = model;
  t.grad = g;
  t.state[0] = v;
  t.size = 2;
  storage.param_dtype = INERTIA_BFLOAT16;
  storage.grad_dtype = INERTIA_BFLOAT16;
  storage.state_dtype = INERTIA_FLOAT32;
  storage.master_weights = INERTIA_MASTER_FLOAT32;
  /* t = 1: v = g; master -= 0.5 * v: 0.75 and -1.5, whose bf16 are 0x3F40 and 0xBFC0. */
  check(inertia_optimizer_step_storage(opt, &storage, &t, master, 1, 1, NULL, NULL) == INERTIA_OK &&
            master_weights[0] == 0.75f && master_weights[1] == -1.5f && model[0] == 0x3F40 && model[1] == 0xBFC0 &&
            v[0] == 0.5f && v[1] == -1.0f,
        "inertia_optimizer_step_storage: bf16 weights, float32 master and momentum");
  storage.rounding = (inertia_rounding)3;
  check(inertia_optimizer_step_storage(opt, &storage, &t, master, 1, 2, NULL, NULL) == INERTIA_ERROR_HYPERPARAMETER &&
            contains(inertia_last_error(), "storage.rounding") && master_weights[0] == 0.75f && model[0] == 0x3F40,
        "an unknown rounding is refused and writes nothing");
  storage.rounding = INERTIA_ROUND_NEAREST_EVEN;
  storage.grad_dtype = (inertia_dtype)7;
  check(inertia_optimizer_step_storage(opt, &storage, &t, master, 1, 2, NULL, NULL) == INERTIA_ERROR_DTYPE &&
            contains(inertia_last_error(), "storage.grad_dtype") && v[0] == 0.5f && model[0] == 0x3F40,
        "an unknown grad_dtype is INERTIA_ERROR_DTYPE and writes nothing");
  storage.grad_dtype = INERTIA_BFLOAT16;
  storage.master_weights = (inertia_master_weights)9;
  check(inertia_optimizer_step_storage(opt, &storage, &t, master, 1, 2, NULL, NULL) == INERTIA_ERROR_DTYPE &&
            contains(inertia_last_error(), "storage.master_weights") && v[0] == 0.5f,
        "an unknown master_weights is INERTIA_ERROR_DTYPE and writes nothing");
  check(inertia_optimizer_step_storage(opt, NULL, &t, master, 1, 2, NULL, NULL) == INERTIA_ERROR_NULL_POINTER,
        "a NULL storage is INERTIA_ERROR_NULL_POINTER");
  inertia_optimizer_destroy(opt);
}

int main(void) {
  /* Before anything has failed on this thread. */
  check(inertia_last_error() != NULL && strcmp(inertia_last_error(), "") == 0,
        "inertia_last_error: \"\" before any failure");
  test_version();
  test_storage();
  test_status_strings();
  test_smoke();
  test_generic();
  test_last_error_survives_success();
  test_last_error_is_per_thread();
  test_arch();
  test_num_threads();
  printf("c_api: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
