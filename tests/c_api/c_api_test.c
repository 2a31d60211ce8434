/* The C ABI exercised from C (compiled as C99, -pedantic): every entry point
 * against references written here in C, bit for bit; every error status with
 * its message and with the buffers left untouched; the thread-locality of the
 * last error; arch selection, thread count and version.
 *
 * Prints one line per check and ends with "c_api: N passed, M failed"; exits
 * non-zero when anything failed. */
#define _POSIX_C_SOURCE 200809L /* pthreads under -std=c99 */

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
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

/* What a variant's test hands its step function beside the buffers, for the
 * entry points whose hyperparameters are not one options struct. The same
 * for both element types, so defined once here. */
typedef struct aggmo_config {
  double lr;
  const double *betas;
  size_t k;
  double weight_decay;
} aggmo_config;

typedef struct signum_config {
  double lr, beta;
} signum_config;

typedef struct weight_ema_config {
  double decay;
  int warmup;
  inertia_weight_ema_rounding rounding;
} weight_ema_config;

/* NAdam's mu_product is state outside the buffers: the library's and the
 * reference's, each advanced by its own steps. */
typedef struct nadam_config {
  inertia_nadam_options options;
  float library_mu_product, reference_mu_product;
} nadam_config;

#define T float
#define SUFFIX f32
#define SUFFIX_NAME "f32"
#define FMA fmaf
#define POW powf
#define SQRT sqrtf
#include "c_api_test_typed.h"
#undef T
#undef SUFFIX
#undef SUFFIX_NAME
#undef FMA
#undef POW
#undef SQRT

#define T double
#define SUFFIX f64
#define SUFFIX_NAME "f64"
#define FMA fma
#define POW pow
#define SQRT sqrt
#include "c_api_test_typed.h"
#undef T
#undef SUFFIX
#undef SUFFIX_NAME
#undef FMA
#undef POW
#undef SQRT


/* ---- Demon: the schedule as include/inertia/demon.hpp evaluates it ---------- */

static double demon_reference(double beta_init, long long step, long long total_steps) {
  double remaining, beta;
  if (step == 0) return beta_init;
  if (step == total_steps || beta_init == 0.0) return 0.0;
  remaining = 1.0 - (double)step / (double)total_steps;
  beta = 1.0 / (1.0 + (1.0 - beta_init) / (beta_init * remaining));
  return beta < beta_init ? beta : beta_init;
}

static void test_demon(void) {
  static const double beta_inits[] = {0.0, 0.5, 0.9, 0.999};
  const long long total_steps = 1000;
  const double sentinel = -7.0;
  double beta = sentinel, previous;
  size_t b;
  long long t;
  for (b = 0; b < sizeof beta_inits / sizeof beta_inits[0]; ++b) {
    int ok = 1, never_increases = 1;
    previous = beta_inits[b];
    for (t = 0; t <= total_steps; ++t) {
      const double expected = demon_reference(beta_inits[b], t, total_steps);
      ok = ok && inertia_demon_momentum(beta_inits[b], t, total_steps, &beta) == INERTIA_OK &&
           memcmp(&beta, &expected, sizeof beta) == 0;
      never_increases = never_increases && beta <= previous;
      previous = beta;
    }
    check(ok && never_increases && previous == 0.0,
          "demon_momentum beta_init %g: steps 0-%lld bit-identical to the reference, never increasing, 0 at the end",
          beta_inits[b], total_steps);
  }
  check(inertia_demon_momentum(0.9, 0, total_steps, &beta) == INERTIA_OK && beta == 0.9,
        "demon_momentum: exactly beta_init at step 0");
  beta = sentinel;
  check(inertia_demon_momentum(1.0, 1, 10, &beta) == INERTIA_ERROR_HYPERPARAMETER &&
            contains(inertia_last_error(), "inertia_demon_momentum: invalid beta_init") && beta == sentinel,
        "demon_momentum: beta_init 1.0 is INERTIA_ERROR_HYPERPARAMETER naming it, nothing written (%s)",
        inertia_last_error());
  check(inertia_demon_momentum(0.9, 1, 0, &beta) == INERTIA_ERROR_HYPERPARAMETER &&
            contains(inertia_last_error(), "total_steps") && beta == sentinel,
        "demon_momentum: total_steps 0 is INERTIA_ERROR_HYPERPARAMETER naming it, nothing written");
  check(inertia_demon_momentum(0.9, 11, 10, &beta) == INERTIA_ERROR_HYPERPARAMETER &&
            contains(inertia_last_error(), "invalid step") && beta == sentinel &&
            inertia_demon_momentum(0.9, -1, 10, &beta) == INERTIA_ERROR_HYPERPARAMETER && beta == sentinel,
        "demon_momentum: step 11 of 10 and step -1 are INERTIA_ERROR_HYPERPARAMETER naming step, nothing written");
  check(inertia_demon_momentum(0.9, 1, 10, NULL) == INERTIA_ERROR_NULL_POINTER &&
            contains(inertia_last_error(), "momentum"),
        "demon_momentum: a NULL out-parameter is INERTIA_ERROR_NULL_POINTER naming momentum");
}

static void test_version(void) {
  char expected[64];
  sprintf(expected, "%d.%d.%d", INERTIA_VERSION_MAJOR, INERTIA_VERSION_MINOR, INERTIA_VERSION_PATCH);
  check(strcmp(inertia_version(), expected) == 0 && strcmp(INERTIA_VERSION_STRING, expected) == 0,
        "inertia_version() \"%s\" matches the header's INERTIA_VERSION_MAJOR.MINOR.PATCH \"%s\"", inertia_version(),
        expected);
}

static void test_status_strings(void) {
  static const inertia_status all[] = {INERTIA_OK,
                                       INERTIA_ERROR_NULL_POINTER,
                                       INERTIA_ERROR_LENGTH,
                                       INERTIA_ERROR_OVERLAP,
                                       INERTIA_ERROR_HYPERPARAMETER,
                                       INERTIA_ERROR_INTERNAL};
  const size_t count = sizeof all / sizeof all[0];
  size_t i, j;
  int distinct = 1;
  for (i = 0; i < count; ++i)
    for (j = 0; j < i; ++j)
      distinct = distinct && strcmp(inertia_status_string(all[i]), inertia_status_string(all[j])) != 0;
  check(INERTIA_OK == 0 && distinct && inertia_status_string(INERTIA_OK)[0] != '\0',
        "inertia_status_string: %u distinct descriptions, INERTIA_OK is 0 (\"%s\" ... \"%s\")", (unsigned)count,
        inertia_status_string(INERTIA_OK), inertia_status_string(INERTIA_ERROR_INTERNAL));
  check(inertia_status_string((inertia_status)99) != NULL && inertia_status_string((inertia_status)99)[0] != '\0',
        "inertia_status_string of an unknown value: \"%s\"", inertia_status_string((inertia_status)99));
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

/* A trajectory long enough for every vector width, peel and tail: SGD with
 * nesterov in both numerics, for both types, against the references. */
static int trajectory_matches_reference(void) {
  enum { n = 1003 };
  const inertia_sgd_options o = {0.01, 0.9, 0.0, 1e-4, 1, 0};
  float *wf = new_array_f32(n, 70), *gf = new_array_f32(n, 71), *vf = new_array_f32(n, 72);
  float *wf_ref = copy_of_f32(wf, n), *vf_ref = copy_of_f32(vf, n);
  double *wd = new_array_f64(n, 73), *gd = new_array_f64(n, 74), *vd = new_array_f64(n, 75);
  double *wd_ref = copy_of_f64(wd, n), *vd_ref = copy_of_f64(vd, n);
  int step, ok = 1;
  for (step = 0; step < 4; ++step) {
    const int fused = step % 2;
    const inertia_sgd_numerics numerics =
        fused ? INERTIA_SGD_NUMERICS_PYTORCH_FUSED : INERTIA_SGD_NUMERICS_PYTORCH_LOOP;
    fill_f32(gf, n, 500 + (unsigned)step);
    fill_f64(gd, n, 600 + (unsigned)step);
    ok = ok && inertia_sgd_step_ex_f32(wf, gf, vf, n, &o, step == 0, numerics) == INERTIA_OK;
    ok = ok && inertia_sgd_step_ex_f64(wd, gd, vd, n, &o, step == 0, numerics) == INERTIA_OK;
    sgd_reference_f32(wf_ref, gf, vf_ref, n, &o, step == 0, fused);
    sgd_reference_f64(wd_ref, gd, vd_ref, n, &o, step == 0, fused);
  }
  ok = ok && same_bits_f32(wf, wf_ref, n) && same_bits_f32(vf, vf_ref, n) && same_bits_f64(wd, wd_ref, n) &&
       same_bits_f64(vd, vd_ref, n);
  free(wf), free(gf), free(vf), free(wf_ref), free(vf_ref);
  free(wd), free(gd), free(vd), free(wd_ref), free(vd_ref);
  return ok;
}

static void test_arch(void) {
  static const char *const names[] = {"scalar", "sse2", "avx2", "avx512f"};
  const char *automatic = inertia_arch();
  size_t i;
  int status;
  check(inertia_set_arch("auto") == 0 && strcmp(inertia_arch(), automatic) == 0,
        "inertia_set_arch(\"auto\"): 0, and the automatic target is \"%s\"", automatic);
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    status = inertia_set_arch(names[i]);
    if (status == 0) {
      check(strcmp(inertia_arch(), names[i]) == 0 && trajectory_matches_reference(),
            "inertia_set_arch(\"%s\"): 0, inertia_arch() says so, and SGD f32/f64 (loop and fused) match the "
            "reference bit for bit",
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
  enum { n = 1 << 17 };
  static const int thread_counts[] = {1, 2, 3, 0, -4};
  const inertia_sgd_options o = {0.01, 0.9, 0.1, 1e-4, 0, 1};
  double *w0 = new_array_f64(n, 80), *g = new_array_f64(n, 81), *v0 = new_array_f64(n, 82);
  double *w_ref = copy_of_f64(w0, n), *v_ref = copy_of_f64(v0, n);
  size_t i;
  sgd_reference_f64(w_ref, g, v_ref, n, &o, 0, 0);
  for (i = 0; i < sizeof thread_counts / sizeof thread_counts[0]; ++i) {
    double *w = copy_of_f64(w0, n), *v = copy_of_f64(v0, n);
    inertia_set_num_threads(thread_counts[i]);
    check(inertia_sgd_step_f64(w, g, v, n, &o, 0) == INERTIA_OK && same_bits_f64(w, w_ref, n) &&
              same_bits_f64(v, v_ref, n),
          "inertia_set_num_threads(%d): SGD f64 over %d elements bit-identical to the reference%s", thread_counts[i], n,
          thread_counts[i] < 0 ? " (negative means OpenMP's default)" : "");
    free(w), free(v);
  }
  inertia_set_num_threads(0);
  free(w0), free(g), free(v0), free(w_ref), free(v_ref);
}

int main(void) {
  /* Before anything has failed on this thread. */
  check(inertia_last_error() != NULL && strcmp(inertia_last_error(), "") == 0,
        "inertia_last_error: \"\" before any failure");
  test_version();
  test_status_strings();
  test_all_f32();
  test_all_f64();
  test_demon();
  test_last_error_survives_success();
  test_last_error_is_per_thread();
  test_arch();
  test_num_threads();
  printf("c_api: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
