/* The element-type-specific half of c_api_test.c, included once per type with
 *   T            the element type (float, double)
 *   SUFFIX       the C ABI's suffix (f32, f64)
 *   FMA          the fused multiply-add of T (fmaf, fma)
 *   POW          the power function of T (powf, pow)
 *   SUFFIX_NAME  SUFFIX as a string ("f32", "f64")
 * defined. Every function gets SUFFIX appended through TYPED(). The
 * references are the equations of include/inertia/{heavy_ball,sutskever,ema,
 * lookahead}.hpp written out in C, one rounding per operation (this file is
 * compiled with -ffp-contract=off, and the explicit FMA calls are the fused
 * operations the library promises). */

#define TYPED_CAT2(name, suffix) name##_##suffix
#define TYPED_CAT(name, suffix) TYPED_CAT2(name, suffix)
#define TYPED(name) TYPED_CAT(name, SUFFIX)
#define C_API(name) TYPED_CAT(inertia_##name, SUFFIX)

/* ---- references --------------------------------------------------------- */

/* torch.optim.SGD. fused: torch's fused CPU kernel, whose last n % (one
 * 256-bit register) elements contract the buffer update around the other product. */
static void TYPED(sgd_reference)(T *w, const T *g, T *v, size_t n, const inertia_sgd_options *o, int first_step,
                                 int fused) {
  const T lr = (T)o->lr, mu = (T)o->momentum, one_minus_dampening = (T)(1.0 - o->dampening);
  const T weight_decay = (T)o->weight_decay;
  const size_t lanes = 32 / sizeof(T);
  const size_t loop_end = fused ? n - n % lanes : n;
  size_t i;
  for (i = 0; i < n; ++i) {
    T d = o->maximize ? -g[i] : g[i];
    if (o->weight_decay != 0.0) d = FMA(weight_decay, w[i], d);
    if (o->momentum != 0.0) {
      if (first_step)
        v[i] = d;
      else if (i < loop_end)
        v[i] = FMA(one_minus_dampening, d, v[i] * mu);
      else
        v[i] = FMA(v[i], mu, d * one_minus_dampening);
      d = o->nesterov ? FMA(mu, v[i], d) : v[i];
    }
    w[i] = FMA(-lr, d, w[i]);
  }
}

/* Keras 3 SGD: m.assign(m * mu - g * lr); w += m (nesterov: w += m * mu - g * lr). */
static void TYPED(sutskever_reference)(T *w, const T *g, T *v, size_t n, double lr_, double momentum, int nesterov) {
  const T lr = (T)lr_, mu = (T)momentum;
  size_t i;
  for (i = 0; i < n; ++i) {
    if (momentum == 0.0) {
      w[i] = w[i] - g[i] * lr;
      continue;
    }
    v[i] = v[i] * mu - g[i] * lr;
    w[i] = nesterov ? w[i] + (v[i] * mu - g[i] * lr) : w[i] + v[i];
  }
}

/* Optax ema + scale(-lr) + apply_updates, run eagerly: the bias correction is
 * computed in T from beta rounded to T (POW: powf for float, as JAX does), and
 * applied as XLA does a division by a scalar: times the rounded reciprocal. */
static void TYPED(ema_reference)(T *w, const T *g, T *v, size_t n, double lr_, double beta_, int bias_correction,
                                 long long step) {
  const T beta = (T)beta_, one_minus_beta = (T)(1.0 - beta_), lr = (T)lr_;
  const T inverse_correction = (T)1 / ((T)1 - POW(beta, (T)step));
  size_t i;
  for (i = 0; i < n; ++i) {
    T v_hat, update;
    v[i] = one_minus_beta * g[i] + beta * v[i];
    v_hat = bias_correction ? v[i] * inverse_correction : v[i];
    update = -lr * v_hat;
    w[i] = w[i] + update;
  }
}

static void TYPED(lookahead_reference)(const T *w, const T *v, T *out, size_t n, double momentum) {
  const T mu = (T)momentum;
  size_t i;
  for (i = 0; i < n; ++i) out[i] = w[i] + mu * v[i];
}

/* ---- helpers ------------------------------------------------------------ */

/* Parameter- and gradient-like values in [-2, 2), with exact zeros and tiny
 * and large magnitudes mixed in. */
static void TYPED(fill)(T *out, size_t n, unsigned seed) {
  unsigned long long state = 0x9e3779b97f4a7c15ull ^ (unsigned long long)seed * 0xbf58476d1ce4e5b9ull;
  size_t i;
  for (i = 0; i < n; ++i) {
    double x;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    x = (double)(state >> 11) / 9007199254740992.0 * 4.0 - 2.0;
    out[i] = (T)(i % 11 == 3 ? 0.0 : i % 13 == 5 ? x * 1e-6 : i % 17 == 7 ? x * 1e3 : x);
  }
}

static T *TYPED(new_array)(size_t n, unsigned seed) {
  T *out = (T *)malloc((n ? n : 1) * sizeof(T));
  if (out == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  TYPED(fill)(out, n, seed);
  return out;
}

static T *TYPED(copy_of)(const T *in, size_t n) {
  T *out = TYPED(new_array)(n, 0);
  if (n) memcpy(out, in, n * sizeof(T));
  return out;
}

static int TYPED(same_bits)(const T *a, const T *b, size_t n) { return n == 0 || memcmp(a, b, n * sizeof(T)) == 0; }

/* ---- results: every entry point against its reference, bit for bit ------- */

enum { TYPED(n) = 37 }; /* an odd tail for every vector width and for the fused kernel */

static void TYPED(test_sgd)(void) {
  static const double momenta[] = {0.0, 0.9}, dampenings[] = {0.0, 0.25}, weight_decays[] = {0.0, 0.01};
  const size_t n = TYPED(n);
  int m, d, wd, nesterov, maximize, fused;
  for (m = 0; m < 2; ++m)
    for (d = 0; d < 2; ++d)
      for (wd = 0; wd < 2; ++wd)
        for (nesterov = 0; nesterov < 2; ++nesterov)
          for (maximize = 0; maximize < 2; ++maximize)
            for (fused = 0; fused < 2; ++fused) {
              inertia_sgd_options o;
              T *w = TYPED(new_array)(n, 1), *g = TYPED(new_array)(n, 2), *v = TYPED(new_array)(n, 3);
              T *w_ref = TYPED(copy_of)(w, n), *v_ref = TYPED(copy_of)(v, n);
              int step, ok = 1;
              o.lr = 0.05;
              o.momentum = momenta[m];
              o.dampening = dampenings[d];
              o.weight_decay = weight_decays[wd];
              o.nesterov = nesterov;
              o.maximize = maximize;
              if (nesterov && (o.momentum == 0.0 || o.dampening != 0.0)) goto next; /* invalid: tested below */
              for (step = 0; step < 3; ++step) {
                /* Plain SGD needs no buffer: pass NULL to show it is never touched. */
                T *buffer = o.momentum == 0.0 ? NULL : v;
                inertia_status status;
                TYPED(fill)(g, n, 100 + (unsigned)step);
                if (fused)
                  status = C_API(sgd_step_ex)(w, g, buffer, n, &o, step == 0, INERTIA_SGD_NUMERICS_PYTORCH_FUSED);
                else if (step == 1) /* the _ex spelling of the default gives the same bits */
                  status = C_API(sgd_step_ex)(w, g, buffer, n, &o, step == 0, INERTIA_SGD_NUMERICS_PYTORCH_LOOP);
                else
                  status = C_API(sgd_step)(w, g, buffer, n, &o, step == 0);
                TYPED(sgd_reference)(w_ref, g, v_ref, n, &o, step == 0, fused);
                ok = ok && status == INERTIA_OK && TYPED(same_bits)(w, w_ref, n) &&
                     (o.momentum == 0.0 || TYPED(same_bits)(v, v_ref, n));
              }
              check(ok,
                    "sgd %s momentum %g dampening %g weight_decay %g nesterov %d maximize %d %s: "
                    "3 steps bit-identical to the reference",
                    SUFFIX_NAME, o.momentum, o.dampening, o.weight_decay, nesterov, maximize,
                    fused ? "pytorch_fused" : "pytorch_loop");
            next:
              free(w), free(g), free(v), free(w_ref), free(v_ref);
            }
}

static void TYPED(test_sutskever)(void) {
  static const double momenta[] = {0.0, 0.9};
  const size_t n = TYPED(n);
  int m, nesterov;
  for (m = 0; m < 2; ++m)
    for (nesterov = 0; nesterov < 2; ++nesterov) {
      T *w = TYPED(new_array)(n, 4), *g = TYPED(new_array)(n, 5), *v = TYPED(new_array)(n, 6);
      T *w_ref = TYPED(copy_of)(w, n), *v_ref = TYPED(copy_of)(v, n);
      const double momentum = momenta[m];
      int step, ok = 1;
      if (nesterov && momentum == 0.0) goto next;
      for (step = 0; step < 3; ++step) {
        inertia_status status;
        TYPED(fill)(g, n, 200 + (unsigned)step);
        status = C_API(sutskever_step)(w, g, momentum == 0.0 ? NULL : v, n, 0.05, momentum, nesterov);
        TYPED(sutskever_reference)(w_ref, g, v_ref, n, 0.05, momentum, nesterov);
        ok = ok && status == INERTIA_OK && TYPED(same_bits)(w, w_ref, n) && TYPED(same_bits)(v, v_ref, n);
      }
      check(ok, "sutskever %s momentum %g nesterov %d: 3 steps bit-identical to the reference", SUFFIX_NAME, momentum,
            nesterov);
    next:
      free(w), free(g), free(v), free(w_ref), free(v_ref);
    }
}

static void TYPED(test_ema)(void) {
  static const double betas[] = {0.0, 0.9};
  const size_t n = TYPED(n);
  int b, bias_correction;
  for (b = 0; b < 2; ++b)
    for (bias_correction = 0; bias_correction < 2; ++bias_correction) {
      T *w = TYPED(new_array)(n, 7), *g = TYPED(new_array)(n, 8), *v = TYPED(new_array)(n, 9);
      T *w_ref = TYPED(copy_of)(w, n), *v_ref = TYPED(copy_of)(v, n);
      long long step;
      int ok = 1;
      for (step = 1; step <= 3; ++step) {
        inertia_status status;
        TYPED(fill)(g, n, 300 + (unsigned)step);
        status = C_API(ema_step)(w, g, v, n, 0.05, betas[b], bias_correction, step);
        TYPED(ema_reference)(w_ref, g, v_ref, n, 0.05, betas[b], bias_correction, step);
        ok = ok && status == INERTIA_OK && TYPED(same_bits)(w, w_ref, n) && TYPED(same_bits)(v, v_ref, n);
      }
      check(ok, "ema %s beta %g bias_correction %d: steps 1-3 bit-identical to the reference", SUFFIX_NAME, betas[b],
            bias_correction);
      free(w), free(g), free(v), free(w_ref), free(v_ref);
    }
}

static void TYPED(test_lookahead)(void) {
  static const double momenta[] = {0.0, 0.9};
  const size_t n = TYPED(n);
  int m;
  for (m = 0; m < 2; ++m) {
    T *w = TYPED(new_array)(n, 10), *v = TYPED(new_array)(n, 11), *out = TYPED(new_array)(n, 12);
    T *out_ref = TYPED(copy_of)(out, n), *w_before = TYPED(copy_of)(w, n), *v_before = TYPED(copy_of)(v, n);
    const inertia_status status = C_API(nesterov_lookahead)(w, v, out, n, momenta[m]);
    TYPED(lookahead_reference)(w, v, out_ref, n, momenta[m]);
    check(status == INERTIA_OK && TYPED(same_bits)(out, out_ref, n) && TYPED(same_bits)(w, w_before, n) &&
              TYPED(same_bits)(v, v_before, n),
          "nesterov_lookahead %s momentum %g: bit-identical to the reference, inputs untouched", SUFFIX_NAME,
          momenta[m]);
    free(w), free(v), free(out), free(out_ref), free(w_before), free(v_before);
  }
}

/* Four tensors, one of them empty (and NULL), stepped as one group: the same
 * bits as stepping each tensor alone, and as the reference. */
static void TYPED(test_multi)(void) {
  enum { count = 4 };
  static const size_t sizes[count] = {5, 0, 37, 1};
  int variant;
  for (variant = 0; variant < 3; ++variant) {
    /* 0: momentum with nesterov and weight decay; 1: the same, fused numerics;
     * 2: plain SGD, no buffers at all (the buffers array is NULL). */
    const int fused = variant == 1, buffered = variant != 2;
    inertia_sgd_options o;
    T *params[count], *grads[count], *buffers[count], *params_alone[count], *buffers_alone[count];
    T *params_ref[count], *buffers_ref[count];
    size_t k;
    int step, ok = 1;
    o.lr = 0.05;
    o.momentum = buffered ? 0.9 : 0.0;
    o.dampening = 0.0;
    o.weight_decay = 0.01;
    o.nesterov = buffered;
    o.maximize = 0;
    for (k = 0; k < count; ++k) {
      const int empty = sizes[k] == 0;
      params[k] = empty ? NULL : TYPED(new_array)(sizes[k], 20 + (unsigned)k);
      grads[k] = empty ? NULL : TYPED(new_array)(sizes[k], 30 + (unsigned)k);
      buffers[k] = empty ? NULL : TYPED(new_array)(sizes[k], 40 + (unsigned)k);
      params_alone[k] = empty ? NULL : TYPED(copy_of)(params[k], sizes[k]);
      buffers_alone[k] = empty ? NULL : TYPED(copy_of)(buffers[k], sizes[k]);
      params_ref[k] = empty ? NULL : TYPED(copy_of)(params[k], sizes[k]);
      buffers_ref[k] = empty ? NULL : TYPED(copy_of)(buffers[k], sizes[k]);
    }
    for (step = 0; step < 3; ++step) {
      const inertia_sgd_numerics numerics =
          fused ? INERTIA_SGD_NUMERICS_PYTORCH_FUSED : INERTIA_SGD_NUMERICS_PYTORCH_LOOP;
      inertia_status status;
      for (k = 0; k < count; ++k)
        if (grads[k]) TYPED(fill)(grads[k], sizes[k], 400 + (unsigned)(step * count + k));
      status = fused ? C_API(sgd_step_multi_ex)(params, (const T *const *)grads, buffers, sizes, count, &o, step == 0,
                                                numerics)
                     : C_API(sgd_step_multi)(params, (const T *const *)grads, buffered ? buffers : NULL, sizes, count,
                                             &o, step == 0);
      ok = ok && status == INERTIA_OK;
      for (k = 0; k < count; ++k) {
        ok = ok && C_API(sgd_step_ex)(params_alone[k], grads[k], buffered ? buffers_alone[k] : NULL, sizes[k], &o,
                                      step == 0, numerics) == INERTIA_OK;
        if (sizes[k]) TYPED(sgd_reference)(params_ref[k], grads[k], buffers_ref[k], sizes[k], &o, step == 0, fused);
        ok = ok && TYPED(same_bits)(params[k], params_alone[k], sizes[k]) &&
             TYPED(same_bits)(params[k], params_ref[k], sizes[k]);
        if (buffered)
          ok = ok && TYPED(same_bits)(buffers[k], buffers_alone[k], sizes[k]) &&
               TYPED(same_bits)(buffers[k], buffers_ref[k], sizes[k]);
      }
    }
    check(ok,
          "sgd_step_multi %s %s: 4 tensors (one empty and NULL), 3 steps, bit-identical to one call per "
          "tensor and to the reference",
          SUFFIX_NAME,
          variant == 0   ? "momentum, nesterov, weight decay"
          : variant == 1 ? "fused numerics"
                         : "plain SGD, buffers NULL");
    for (k = 0; k < count; ++k) {
      free(params[k]), free(grads[k]), free(buffers[k]), free(params_alone[k]), free(buffers_alone[k]);
      free(params_ref[k]), free(buffers_ref[k]);
    }
  }
  check(C_API(sgd_step_multi)(NULL, NULL, NULL, NULL, 0, &(inertia_sgd_options){0.1, 0.9, 0.0, 0.0, 0, 0}, 1) ==
            INERTIA_OK,
        "sgd_step_multi %s: count 0 with every array NULL is a no-op", SUFFIX_NAME);
}

/* ---- errors: the status, a message naming the argument, nothing written -- */

/* Every buffer a failing call could write, snapshotted before it. */
typedef struct TYPED(snapshot) {
  T *arrays[8], *copies[8];
  size_t sizes[8];
  int count;
} TYPED(snapshot);

static void TYPED(snap)(TYPED(snapshot) * s, T *array, size_t n) {
  s->arrays[s->count] = array;
  s->copies[s->count] = TYPED(copy_of)(array, n);
  s->sizes[s->count] = n;
  ++s->count;
}

static int TYPED(untouched_and_free)(TYPED(snapshot) * s) {
  int i, ok = 1;
  for (i = 0; i < s->count; ++i) {
    ok = ok && TYPED(same_bits)(s->arrays[i], s->copies[i], s->sizes[i]);
    free(s->copies[i]);
  }
  s->count = 0;
  return ok;
}

static void TYPED(expect_failure)(TYPED(snapshot) * s, inertia_status got, inertia_status wanted, const char *function,
                                  const char *argument, const char *what) {
  const char *message = inertia_last_error();
  const int untouched = TYPED(untouched_and_free)(s);
  const int names_function = strncmp(message, function, strlen(function)) == 0;
  const int names_argument = strstr(message, argument) != NULL;
  check(got == wanted && untouched && names_function && names_argument,
        "%s %s: %s (got \"%s\", message names %s: %s, buffers untouched: %s)", function, what,
        inertia_status_string(wanted), inertia_status_string(got), argument,
        names_function && names_argument ? "yes" : "no", untouched ? "yes" : "no");
  if (!(names_function && names_argument)) printf("    message: %s\n", message);
}

static void TYPED(test_errors)(void) {
  const size_t n = TYPED(n);
  T *w = TYPED(new_array)(n, 50), *g = TYPED(new_array)(n, 51), *v = TYPED(new_array)(n, 52);
  T *out = TYPED(new_array)(n, 53), *big = TYPED(new_array)(2 * n, 54);
  const inertia_sgd_options good = {0.05, 0.9, 0.0, 0.01, 1, 0};
  inertia_sgd_options bad;
  TYPED(snapshot) s = {{NULL}, {NULL}, {0}, 0};
  char sgd[64], sgd_ex[64], multi[64], sutskever[64], ema[64], lookahead[64];
  sprintf(sgd, "inertia_sgd_step_%s", SUFFIX_NAME);
  sprintf(sgd_ex, "inertia_sgd_step_ex_%s", SUFFIX_NAME);
  sprintf(multi, "inertia_sgd_step_multi_%s", SUFFIX_NAME);
  sprintf(sutskever, "inertia_sutskever_step_%s", SUFFIX_NAME);
  sprintf(ema, "inertia_ema_step_%s", SUFFIX_NAME);
  sprintf(lookahead, "inertia_nesterov_lookahead_%s", SUFFIX_NAME);

#define SNAP_STEP_BUFFERS() (TYPED(snap)(&s, w, n), TYPED(snap)(&s, v, n), TYPED(snap)(&s, big, 2 * n))

  /* null pointers */
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(NULL, g, v, n, &good, 0), INERTIA_ERROR_NULL_POINTER, sgd, "param", "param NULL");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(w, NULL, v, n, &good, 0), INERTIA_ERROR_NULL_POINTER, sgd, "grad", "grad NULL");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(w, g, NULL, n, &good, 0), INERTIA_ERROR_NULL_POINTER, sgd, "momentum_buffer",
   "momentum_buffer NULL with momentum 0.9");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(w, g, v, n, NULL, 0), INERTIA_ERROR_NULL_POINTER, sgd, "options", "options NULL");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sutskever_step)(w, g, NULL, n, 0.1, 0.9, 0), INERTIA_ERROR_NULL_POINTER, sutskever, "velocity",
   "velocity NULL with momentum 0.9");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sutskever_step)(NULL, g, v, n, 0.1, 0.9, 0), INERTIA_ERROR_NULL_POINTER, sutskever, "param", "param NULL");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(ema_step)(w, g, NULL, n, 0.1, 0.9, 0, 1), INERTIA_ERROR_NULL_POINTER, ema, "velocity",
   "velocity NULL (always required)");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(ema_step)(w, NULL, v, n, 0.1, 0.9, 0, 1), INERTIA_ERROR_NULL_POINTER, ema, "grad", "grad NULL");
  TYPED(snap)(&s, out, n);
  TYPED(expect_failure)
  (&s, C_API(nesterov_lookahead)(w, NULL, out, n, 0.9), INERTIA_ERROR_NULL_POINTER, lookahead, "velocity",
   "velocity NULL");
  TYPED(snap)(&s, w, n);
  TYPED(expect_failure)
  (&s, C_API(nesterov_lookahead)(w, v, NULL, n, 0.9), INERTIA_ERROR_NULL_POINTER, lookahead, "lookahead",
   "lookahead NULL");
  check(C_API(sgd_step)(NULL, NULL, NULL, 0, &good, 0) == INERTIA_OK &&
            C_API(sutskever_step)(NULL, NULL, NULL, 0, 0.1, 0.9, 1) == INERTIA_OK &&
            C_API(ema_step)(NULL, NULL, NULL, 0, 0.1, 0.9, 1, 1) == INERTIA_OK &&
            C_API(nesterov_lookahead)(NULL, NULL, NULL, 0, 0.9) == INERTIA_OK,
        "%s: NULL data with n = 0 is a no-op, not an error", SUFFIX_NAME);

  /* overlap */
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)(&s, C_API(sgd_step)(w, w, v, n, &good, 0), INERTIA_ERROR_OVERLAP, sgd, "grad", "grad is param");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(big, g, big + n - 1, n, &good, 0), INERTIA_ERROR_OVERLAP, sgd, "momentum_buffer",
   "momentum_buffer overlaps param by one element");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sutskever_step)(w, g, w, n, 0.1, 0.9, 0), INERTIA_ERROR_OVERLAP, sutskever, "velocity",
   "velocity is param");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(ema_step)(big, big + 1, v, n, 0.1, 0.9, 0, 1), INERTIA_ERROR_OVERLAP, ema, "grad", "grad overlaps param");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(nesterov_lookahead)(big + n / 2, v, big, n, 0.9), INERTIA_ERROR_OVERLAP, lookahead, "lookahead",
   "lookahead overlaps param");

  /* hyperparameters */
  bad = good;
  bad.momentum = 1.0;
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(w, g, v, n, &bad, 0), INERTIA_ERROR_HYPERPARAMETER, sgd, "momentum", "momentum 1.0");
  bad = good;
  bad.lr = NAN;
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)(&s, C_API(sgd_step)(w, g, v, n, &bad, 0), INERTIA_ERROR_HYPERPARAMETER, sgd, "lr", "lr NaN");
  bad = good;
  bad.dampening = 0.5;
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(w, g, v, n, &bad, 0), INERTIA_ERROR_HYPERPARAMETER, sgd, "nesterov",
   "nesterov with dampening 0.5");
  bad = good;
  bad.dampening = 1.5;
  bad.nesterov = 0;
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(w, g, v, n, &bad, 0), INERTIA_ERROR_HYPERPARAMETER, sgd, "dampening", "dampening 1.5");
  bad = good;
  bad.weight_decay = -0.01;
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step)(w, g, v, n, &bad, 0), INERTIA_ERROR_HYPERPARAMETER, sgd, "weight_decay", "weight_decay -0.01");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sgd_step_ex)(w, g, v, n, &good, 0, (inertia_sgd_numerics)7), INERTIA_ERROR_HYPERPARAMETER, sgd_ex,
   "numerics", "numerics 7");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sutskever_step)(w, g, v, n, INFINITY, 0.9, 0), INERTIA_ERROR_HYPERPARAMETER, sutskever, "lr",
   "lr infinite");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(sutskever_step)(w, g, v, n, 0.1, 0.0, 1), INERTIA_ERROR_HYPERPARAMETER, sutskever, "nesterov",
   "nesterov without momentum");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(ema_step)(w, g, v, n, 0.1, 1.0, 0, 1), INERTIA_ERROR_HYPERPARAMETER, ema, "beta", "beta 1.0");
  SNAP_STEP_BUFFERS();
  TYPED(expect_failure)
  (&s, C_API(ema_step)(w, g, v, n, 0.1, 0.9, 1, 0), INERTIA_ERROR_HYPERPARAMETER, ema, "step",
   "step 0 with bias correction");
  TYPED(snap)(&s, out, n);
  TYPED(expect_failure)
  (&s, C_API(nesterov_lookahead)(w, v, out, n, -0.5), INERTIA_ERROR_HYPERPARAMETER, lookahead, "momentum",
   "momentum -0.5");

  /* multi-tensor: a bad later tensor must leave the earlier ones untouched */
  {
    enum { count = 3 };
    T *params[count], *grads[count], *buffers[count];
    size_t sizes[count] = {n, 5, 0};
    T *a = TYPED(new_array)(n, 60), *b = TYPED(new_array)(n, 61), *c = TYPED(new_array)(n, 62);
    T *d = TYPED(new_array)(5, 63), *e = TYPED(new_array)(5, 64), *f = TYPED(new_array)(5, 65);
    const T *const *const_grads = (const T *const *)grads;
    params[0] = a, grads[0] = b, buffers[0] = c;
    params[1] = d, grads[1] = e, buffers[1] = f;
    params[2] = NULL, grads[2] = NULL, buffers[2] = NULL;
#define SNAP_MULTI() (TYPED(snap)(&s, a, n), TYPED(snap)(&s, c, n), TYPED(snap)(&s, d, 5), TYPED(snap)(&s, f, 5))
    SNAP_MULTI();
    TYPED(expect_failure)
    (&s, C_API(sgd_step_multi)(NULL, const_grads, buffers, sizes, count, &good, 0), INERTIA_ERROR_NULL_POINTER, multi,
     "params", "params array NULL");
    SNAP_MULTI();
    TYPED(expect_failure)
    (&s, C_API(sgd_step_multi)(params, const_grads, buffers, NULL, count, &good, 0), INERTIA_ERROR_NULL_POINTER, multi,
     "sizes", "sizes NULL");
    SNAP_MULTI();
    TYPED(expect_failure)
    (&s, C_API(sgd_step_multi)(params, const_grads, NULL, sizes, count, &good, 0), INERTIA_ERROR_NULL_POINTER, multi,
     "buffers", "buffers array NULL with momentum 0.9");
    SNAP_MULTI();
    TYPED(expect_failure)
    (&s, C_API(sgd_step_multi)(params, const_grads, buffers, sizes, count, NULL, 0), INERTIA_ERROR_NULL_POINTER, multi,
     "options", "options NULL");
    grads[1] = NULL;
    SNAP_MULTI();
    TYPED(expect_failure)
    (&s, C_API(sgd_step_multi)(params, const_grads, buffers, sizes, count, &good, 0), INERTIA_ERROR_NULL_POINTER, multi,
     "grads[1]", "grads[1] NULL with sizes[1] = 5");
    grads[1] = e;
    buffers[1] = c; /* tensor 1's buffer is tensor 0's */
    SNAP_MULTI();
    TYPED(expect_failure)
    (&s, C_API(sgd_step_multi)(params, const_grads, buffers, sizes, count, &good, 0), INERTIA_ERROR_OVERLAP, multi,
     "momentum_buffer", "tensor 1's buffer is tensor 0's");
    buffers[1] = f;
    bad = good;
    bad.momentum = 1.0;
    SNAP_MULTI();
    TYPED(expect_failure)
    (&s, C_API(sgd_step_multi)(params, const_grads, buffers, sizes, count, &bad, 0), INERTIA_ERROR_HYPERPARAMETER,
     multi, "momentum", "momentum 1.0");
    /* An absurd count fails allocating the tensor list, before any element is
     * read: the one reachable INERTIA_ERROR_INTERNAL, a C++ exception
     * (std::length_error) that must not cross the ABI. */
    SNAP_MULTI();
    TYPED(expect_failure)
    (&s, C_API(sgd_step_multi)(params, const_grads, buffers, sizes, (size_t)-1, &good, 0), INERTIA_ERROR_INTERNAL,
     multi, "internal", "count SIZE_MAX");
#undef SNAP_MULTI
    free(a), free(b), free(c), free(d), free(e), free(f);
  }
#undef SNAP_STEP_BUFFERS
  free(w), free(g), free(v), free(out), free(big);
}

/* Step policies through the C ABI: unscaling and clipping equal the reference
 * fed pre-transformed gradients; a NaN anywhere skips the step and writes
 * nothing; a null or bad policy is refused. */
static void TYPED(test_policy)(void) {
  enum { n = 37 };
  static const size_t sizes[2] = {n, n};
  T *params[2], *grads[2], *buffers[2], *ref_params[2], *ref_buffers[2], *scaled[2];
  const inertia_sgd_options o = {0.05, 0.9, 0.0, 0.01, 0, 0};
  inertia_step_policy policy = {4.0, 1, 0.25, 0.0, 0};
  inertia_step_report report = {0, 0.0};
  size_t k, i;
  int ok = 1;
  for (k = 0; k < 2; ++k) {
    params[k] = TYPED(new_array)(n, 60 + (unsigned)k);
    grads[k] = TYPED(new_array)(n, 70 + (unsigned)k);
    buffers[k] = TYPED(new_array)(n, 80 + (unsigned)k);
    ref_params[k] = TYPED(copy_of)(params[k], n);
    ref_buffers[k] = TYPED(copy_of)(buffers[k], n);
    scaled[k] = TYPED(copy_of)(grads[k], n);
    for (i = 0; i < n; ++i) {
      T x = scaled[k][i] / (T)4.0;
      scaled[k][i] = x < (T)-0.25 ? (T)-0.25 : (x > (T)0.25 ? (T)0.25 : x);
    }
  }
  ok = C_API(sgd_step_multi_policy)(params, (const T *const *)grads, buffers, sizes, 2, &o, 1,
                                    INERTIA_SGD_NUMERICS_PYTORCH_LOOP, &policy, &report) == INERTIA_OK &&
       report.skipped == 0 && report.grad_norm != report.grad_norm; /* NaN: max_norm is off */
  for (k = 0; k < 2; ++k) {
    TYPED(sgd_reference)(ref_params[k], scaled[k], ref_buffers[k], n, &o, 1, 0);
    ok = ok && TYPED(same_bits)(params[k], ref_params[k], n) && TYPED(same_bits)(buffers[k], ref_buffers[k], n);
  }
  check(ok, "sgd_step_multi_policy %s: grad_scale 4 and clip_value 0.25 equal the reference on g/4 clamped",
        SUFFIX_NAME);

  grads[1][n - 1] = (T)NAN;
  ok = C_API(sgd_step_multi_policy)(params, (const T *const *)grads, buffers, sizes, 2, &o, 0,
                                    INERTIA_SGD_NUMERICS_PYTORCH_LOOP, &policy, &report) == INERTIA_OK &&
       report.skipped == 1;
  for (k = 0; k < 2; ++k)
    ok = ok && TYPED(same_bits)(params[k], ref_params[k], n) && TYPED(same_bits)(buffers[k], ref_buffers[k], n);
  check(ok, "sgd_step_multi_policy %s: a NaN in the last element of tensor 1 skips the step, nothing written",
        SUFFIX_NAME);

  ok = C_API(sgd_step_multi_policy)(params, (const T *const *)grads, buffers, sizes, 2, &o, 0,
                                    INERTIA_SGD_NUMERICS_PYTORCH_LOOP, NULL, &report) == INERTIA_ERROR_NULL_POINTER &&
       contains(inertia_last_error(), "policy");
  policy.grad_scale = 0.0;
  ok = ok &&
       C_API(sgd_step_multi_policy)(params, (const T *const *)grads, buffers, sizes, 2, &o, 0,
                                    INERTIA_SGD_NUMERICS_PYTORCH_LOOP, &policy, &report) ==
           INERTIA_ERROR_HYPERPARAMETER &&
       contains(inertia_last_error(), "grad_scale");
  for (k = 0; k < 2; ++k)
    ok = ok && TYPED(same_bits)(params[k], ref_params[k], n) && TYPED(same_bits)(buffers[k], ref_buffers[k], n);
  check(ok, "sgd_step_multi_policy %s: a NULL policy and grad_scale 0 are refused naming them, nothing written",
        SUFFIX_NAME);
  for (k = 0; k < 2; ++k) {
    free(params[k]), free(grads[k]), free(buffers[k]), free(ref_params[k]), free(ref_buffers[k]), free(scaled[k]);
  }
}

static void TYPED(test_all)(void) {
  TYPED(test_sgd)();
  TYPED(test_sutskever)();
  TYPED(test_ema)();
  TYPED(test_lookahead)();
  TYPED(test_multi)();
  TYPED(test_policy)();
  TYPED(test_errors)();
}

#undef TYPED_CAT2
#undef TYPED_CAT
#undef TYPED
#undef C_API

