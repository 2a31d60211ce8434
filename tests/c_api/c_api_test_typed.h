/* The element-type-specific half of c_api_test.c, included once per type with
 *   T            the element type (float, double)
 *   SUFFIX       the C ABI's suffix (f32, f64)
 *   FMA          the fused multiply-add of T (fmaf, fma)
 *   POW          the power function of T (powf, pow)
 *   SQRT         the square root of T (sqrtf, sqrt)
 *   SUFFIX_NAME  SUFFIX as a string ("f32", "f64")
 * defined. Every function gets SUFFIX appended through TYPED(). The
 * references are the equations of include/inertia/{heavy_ball,sutskever,ema,
 * lookahead,qhm,aggmo,lion,signum,lars,weight_ema,adam}.hpp written out in C,
 * one rounding per operation (this file is compiled with -ffp-contract=off,
 * and the explicit FMA calls are the fused operations the library promises). */

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

/* ---- the momentum family (issue 6): each variant's step through the C ABI
 * or through its reference ---------------------------------------------------
 *
 * A family step function runs one step of its variant on the parameters w,
 * the gradient g (for weight EMA: the model's weights, read) and the
 * variant's state buffers: through the C entry point when library != 0, else
 * through the reference written here from the variant's header, one rounding
 * per operation. step counts the steps of a trajectory from 0. */
typedef inertia_status (*TYPED(family_step))(T *w, const T *g, T *const *states, size_t n, void *config, int step,
                                             int library);

/* jnp.sign: -1 below zero, +1 above, and x itself for +0, -0 and NaN. */
static T TYPED(sign)(T x) { return x > 0 ? (T)1 : x < 0 ? (T)-1 : x; }

/* qhoptim's QHM: d = fma(wd, w, g); v = fma(1 - beta, d, v * beta); the
 * momentum term into w first, then the gradient term. */
static inertia_status TYPED(qhm_step_or_reference)(T *w, const T *g, T *const *states, size_t n, void *config,
                                                   int step, int library) {
  const inertia_qhm_options *o = (const inertia_qhm_options *)config;
  const T beta = (T)o->beta, one_minus_beta = (T)(1.0 - o->beta), weight_decay = (T)o->weight_decay;
  const T momentum_step = (T)(-o->lr * o->nu), gradient_step = (T)(-o->lr * (1.0 - o->nu));
  T *v = states[0];
  size_t i;
  (void)step;
  if (library) return C_API(qhm_step)(w, g, v, n, o);
  for (i = 0; i < n; ++i) {
    const T d = o->weight_decay != 0.0 ? FMA(weight_decay, w[i], g[i]) : g[i];
    v[i] = FMA(one_minus_beta, d, v[i] * beta);
    w[i] = FMA(gradient_step, d, FMA(momentum_step, v[i], w[i]));
  }
  return INERTIA_OK;
}

/* The authors' AggMo: per velocity in index order, v_i = v_i * beta_i - d,
 * then one FMA of lr / K times it into w. */
static inertia_status TYPED(aggmo_step_or_reference)(T *w, const T *g, T *const *states, size_t n, void *config,
                                                     int step, int library) {
  const aggmo_config *c = (const aggmo_config *)config;
  const T step_size = (T)(c->lr / (double)c->k), weight_decay = (T)c->weight_decay;
  size_t i, k;
  (void)step;
  if (library) return C_API(aggmo_step)(w, g, states, n, c->lr, c->betas, c->k, c->weight_decay);
  for (i = 0; i < n; ++i) {
    const T d = c->weight_decay != 0.0 ? FMA(weight_decay, w[i], g[i]) : g[i];
    for (k = 0; k < c->k; ++k) {
      states[k][i] = states[k][i] * (T)c->betas[k] - d;
      w[i] = FMA(step_size, states[k][i], w[i]);
    }
  }
  return INERTIA_OK;
}

/* Optax lion, op by op: products rounded, then added; the decay only when on. */
static inertia_status TYPED(lion_step_or_reference)(T *w, const T *g, T *const *states, size_t n, void *config,
                                                    int step, int library) {
  const inertia_lion_options *o = (const inertia_lion_options *)config;
  const T beta1 = (T)o->beta1, one_minus_beta1 = (T)(1.0 - o->beta1), beta2 = (T)o->beta2;
  const T one_minus_beta2 = (T)(1.0 - o->beta2), weight_decay = (T)o->weight_decay, neg_lr = (T)-o->lr;
  T *m = states[0];
  size_t i;
  (void)step;
  if (library) return C_API(lion_step)(w, g, m, n, o);
  for (i = 0; i < n; ++i) {
    T update = TYPED(sign)(one_minus_beta1 * g[i] + beta1 * m[i]);
    if (o->weight_decay != 0.0) update = update + weight_decay * w[i];
    w[i] = w[i] + neg_lr * update;
    m[i] = one_minus_beta2 * g[i] + beta2 * m[i];
  }
  return INERTIA_OK;
}

/* Signum from its own equations (not as Lion): m first, then a step along its sign. */
static inertia_status TYPED(signum_step_or_reference)(T *w, const T *g, T *const *states, size_t n, void *config,
                                                      int step, int library) {
  const signum_config *c = (const signum_config *)config;
  const T beta = (T)c->beta, one_minus_beta = (T)(1.0 - c->beta), lr = (T)c->lr;
  T *m = states[0];
  size_t i;
  (void)step;
  if (library) return C_API(signum_step)(w, g, m, n, c->lr, c->beta);
  for (i = 0; i < n; ++i) {
    m[i] = one_minus_beta * g[i] + beta * m[i];
    w[i] = w[i] - lr * TYPED(sign)(m[i]);
  }
  return INERTIA_OK;
}

/* LARS's sum of squares in its documented order: 4096-element chunks; in a
 * chunk element i into lane i % 16 by FMA; lanes added pairwise (j + j+8,
 * then +4, +2, +1); chunk sums added in double, in order. */
static double TYPED(lars_sum_squares)(const T *x, size_t n) {
  double total = 0.0;
  size_t begin, i, half;
  for (begin = 0; begin < n; begin += 4096) {
    T lanes[16] = {0};
    const size_t count = n - begin < 4096 ? n - begin : 4096;
    for (i = 0; i < count; ++i) lanes[i % 16] = FMA(x[begin + i], x[begin + i], lanes[i % 16]);
    for (half = 8; half >= 1; half /= 2)
      for (i = 0; i < half; ++i) lanes[i] = lanes[i] + lanes[i + half];
    total += (double)lanes[0];
  }
  return total;
}

static inertia_status TYPED(lars_step_or_reference)(T *w, const T *g, T *const *states, size_t n, void *config,
                                                    int step, int library) {
  const inertia_lars_options *o = (const inertia_lars_options *)config;
  double w_norm, g_norm, local_lr;
  T scale, momentum = (T)o->momentum, weight_decay = (T)o->weight_decay, *v = states[0];
  size_t i;
  (void)step;
  if (library) return C_API(lars_step)(w, g, v, n, o);
  w_norm = sqrt(TYPED(lars_sum_squares)(w, n));
  g_norm = sqrt(TYPED(lars_sum_squares)(g, n));
  local_lr = w_norm > 0.0 && g_norm > 0.0 ? o->eta * w_norm / (g_norm + o->weight_decay * w_norm) : 1.0;
  scale = (T)(o->lr * local_lr);
  for (i = 0; i < n; ++i) {
    v[i] = FMA(scale, FMA(weight_decay, w[i], g[i]), v[i] * momentum);
    w[i] = w[i] - v[i];
  }
  return INERTIA_OK;
}

/* Weight EMA: w is the average, g the model's weights, step the earlier
 * updates t. torch's lerp: fma(weight, diff, average) for |weight| < 0.5,
 * else fma(weight - 1, diff, param); timm V2: both products, then the sum. */
static inertia_status TYPED(weight_ema_step_or_reference)(T *average, const T *param, T *const *states, size_t n,
                                                          void *config, int step, int library) {
  const weight_ema_config *c = (const weight_ema_config *)config;
  const double t = (double)step, warm = (1.0 + t) / (10.0 + t);
  const double decay = c->warmup && warm < c->decay ? warm : c->decay;
  const T weight = (T)(1.0 - decay), decay_t = (T)decay;
  size_t i;
  (void)states;
  if (library) return C_API(weight_ema_step)(average, param, n, c->decay, c->warmup, c->rounding, step);
  for (i = 0; i < n; ++i) {
    const T diff = param[i] - average[i];
    if (c->rounding == INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD)
      average[i] = decay_t * average[i] + weight * param[i];
    else if (fabs((double)weight) < 0.5)
      average[i] = FMA(weight, diff, average[i]);
    else
      average[i] = FMA(weight - (T)1, diff, param[i]);
  }
  return INERTIA_OK;
}

/* torch 1.13 Adam / AdamW. states: exp_avg, exp_avg_sq, max_exp_avg_sq (the
 * library gets NULL for the last without amsgrad: it must not touch it). */
static inertia_status TYPED(adam_step_or_reference)(T *w, const T *g, T *const *states, size_t n, void *config,
                                                    int step, int library) {
  const inertia_adam_options *o = (const inertia_adam_options *)config;
  const long long t = step + 1;
  const double bias_correction1 = 1.0 - pow(o->beta1, (double)t), bias_correction2 = 1.0 - pow(o->beta2, (double)t);
  const T neg_step_size = (T)(-(o->lr / bias_correction1)), bias_correction2_sqrt = (T)sqrt(bias_correction2);
  const T beta1 = (T)o->beta1, one_minus_beta1 = (T)(1.0 - o->beta1), beta2 = (T)o->beta2;
  const T one_minus_beta2 = (T)(1.0 - o->beta2), eps = (T)o->eps, weight_decay = (T)o->weight_decay;
  const T decay_factor = (T)(1.0 - o->lr * o->weight_decay);
  T *m = states[0], *v = states[1], *v_max = states[2];
  size_t i;
  if (library) return C_API(adam_step)(w, g, m, v, o->amsgrad ? v_max : NULL, n, o, t);
  for (i = 0; i < n; ++i) {
    T d = o->maximize ? -g[i] : g[i], v_used;
    if (o->decoupled_weight_decay)
      w[i] = w[i] * decay_factor;
    else if (o->weight_decay != 0.0)
      d = FMA(weight_decay, w[i], d);
    m[i] = FMA(one_minus_beta1, d, m[i] * beta1);
    v_used = v[i] = FMA(one_minus_beta2 * d, d, v[i] * beta2);
    if (o->amsgrad) v_used = v_max[i] = isnan(v_used) || v_max[i] < v_used ? v_used : v_max[i];
    w[i] = w[i] + (neg_step_size * m[i]) / (SQRT(v_used) / bias_correction2_sqrt + eps);
  }
  return INERTIA_OK;
}

/* torch 1.13 NAdam, mu_product a float32 (with 1.13's extra factor mu in the
 * momentum step's denominator). states: exp_avg, exp_avg_sq. */
static inertia_status TYPED(nadam_step_or_reference)(T *w, const T *g, T *const *states, size_t n, void *config,
                                                     int step, int library) {
  nadam_config *c = (nadam_config *)config;
  const inertia_nadam_options *o = &c->options;
  const long long t = step + 1;
  const double mu = o->beta1 * (1.0 - 0.5 * pow(0.96, (double)t * o->momentum_decay));
  const double mu_next = o->beta1 * (1.0 - 0.5 * pow(0.96, (double)(t + 1) * o->momentum_decay));
  const T bias_correction2 = (T)(1.0 - pow(o->beta2, (double)t)), eps = (T)o->eps;
  const T beta1 = (T)o->beta1, one_minus_beta1 = (T)(1.0 - o->beta1), beta2 = (T)o->beta2;
  const T one_minus_beta2 = (T)(1.0 - o->beta2), weight_decay = (T)o->weight_decay;
  float mu_product_next;
  T grad_step, momentum_step, *m = states[0], *v = states[1];
  size_t i;
  if (library) return C_API(nadam_step)(w, g, m, v, n, o, t, &c->library_mu_product);
  c->reference_mu_product = c->reference_mu_product * (float)mu;
  mu_product_next = c->reference_mu_product * (float)mu * (float)mu_next;
  grad_step = (T)(-o->lr * (1.0 - mu) / (1.0 - (double)c->reference_mu_product));
  momentum_step = (T)(-o->lr * mu_next / (1.0 - (double)mu_product_next));
  for (i = 0; i < n; ++i) {
    const T d = o->weight_decay != 0.0 ? FMA(weight_decay, w[i], g[i]) : g[i];
    T denom;
    m[i] = FMA(one_minus_beta1, d, m[i] * beta1);
    v[i] = FMA(one_minus_beta2 * d, d, v[i] * beta2);
    denom = SQRT(v[i] / bias_correction2) + eps;
    w[i] = w[i] + (grad_step * d) / denom;
    w[i] = w[i] + (momentum_step * m[i]) / denom;
  }
  return INERTIA_OK;
}

enum { TYPED(max_states) = 4, TYPED(trajectory_steps) = 3 };

/* trajectory_steps steps from one start through the library and through the
 * reference, with fresh gradients each step: 1 if every library call
 * succeeded and w and every state buffer are bit-identical to the
 * reference's after each step. States start non-negative (as an exp_avg_sq
 * must) but otherwise random, not at their usual zeros. */
static int TYPED(matches_reference)(TYPED(family_step) step_of, void *config, size_t states, size_t n, unsigned seed) {
  T *w = TYPED(new_array)(n, seed), *g = TYPED(new_array)(n, seed + 1), *w_ref = TYPED(copy_of)(w, n);
  T *s[TYPED(max_states)], *s_ref[TYPED(max_states)];
  size_t k, i;
  int step, ok = 1;
  for (k = 0; k < states; ++k) {
    s[k] = TYPED(new_array)(n, seed + 2 + (unsigned)k);
    for (i = 0; i < n; ++i) s[k][i] = s[k][i] < 0 ? -s[k][i] : s[k][i];
    s_ref[k] = TYPED(copy_of)(s[k], n);
  }
  for (step = 0; step < TYPED(trajectory_steps); ++step) {
    TYPED(fill)(g, n, seed + 100 + (unsigned)step);
    ok = ok && step_of(w, g, s, n, config, step, 1) == INERTIA_OK;
    step_of(w_ref, g, s_ref, n, config, step, 0);
    ok = ok && TYPED(same_bits)(w, w_ref, n);
    for (k = 0; k < states; ++k) ok = ok && TYPED(same_bits)(s[k], s_ref[k], n);
  }
  for (k = 0; k < states; ++k) free(s[k]), free(s_ref[k]);
  free(w), free(g), free(w_ref);
  return ok;
}

/* check() of matches_reference; the format names the case. */
#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static void
TYPED(check_trajectory)(TYPED(family_step) step_of, void *config, size_t states, size_t n, unsigned seed,
                        const char *format, ...) {
  char what[256];
  va_list args;
  va_start(args, format);
  vsnprintf(what, sizeof what, format, args);
  va_end(args);
  check(TYPED(matches_reference)(step_of, config, states, n, seed), "%s: %d steps bit-identical to the reference",
        what, TYPED(trajectory_steps));
}

static void TYPED(test_qhm)(void) {
  /* nu 0 is plain SGD, 1 pure momentum; 0.7 with beta 0.999 qhoptim's recommended start. */
  static const inertia_qhm_options cases[] = {{0.5, 0.0, 0.9, 0.0},  {0.5, 0.7, 0.999, 0.0}, {0.5, 1.0, 0.9, 0.0},
                                              {0.5, 0.0, 0.9, 0.01}, {0.5, 0.7, 0.9, 0.01},  {0.5, 1.0, 0.999, 0.01}};
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    inertia_qhm_options o = cases[i];
    TYPED(check_trajectory)(TYPED(qhm_step_or_reference), &o, 1, TYPED(n), 1000, "qhm %s nu %g beta %g weight_decay %g",
                            SUFFIX_NAME, o.nu, o.beta, o.weight_decay);
  }
}

static void TYPED(test_aggmo)(void) {
  static const double betas[] = {0.0, 0.9, 0.99, 0.5};
  int i;
  for (i = 0; i < 6; ++i) {
    /* k = 1 (heavy ball), 3 (the paper's default betas), 4; without and with weight decay */
    aggmo_config c;
    c.lr = 0.05;
    c.k = (size_t)(i % 3 == 0 ? 1 : i % 3 + 2);
    c.betas = c.k == 1 ? betas + 1 : betas;
    c.weight_decay = i < 3 ? 0.0 : 0.01;
    TYPED(check_trajectory)(TYPED(aggmo_step_or_reference), &c, c.k, TYPED(n), 1100,
                            "aggmo %s k %u (betas from %g) weight_decay %g", SUFFIX_NAME, (unsigned)c.k, c.betas[0],
                            c.weight_decay);
  }
}

static void TYPED(test_lion)(void) {
  /* beta1 == beta2 takes the library's shortcut (the new m is c). */
  static const inertia_lion_options cases[] = {
      {0.01, 0.9, 0.99, 0.0}, {0.01, 0.9, 0.99, 0.1}, {0.01, 0.9, 0.9, 0.0}, {0.01, 0.9, 0.9, 0.1}};
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    inertia_lion_options o = cases[i];
    TYPED(check_trajectory)(TYPED(lion_step_or_reference), &o, 1, TYPED(n), 1200,
                            "lion %s beta1 %g beta2 %g weight_decay %g", SUFFIX_NAME, o.beta1, o.beta2, o.weight_decay);
  }
}

static void TYPED(test_signum)(void) {
  signum_config c = {0.01, 0.0};
  T w[3] = {1, 2, 3}, g[3] = {1, 0, -1}, m[3] = {0, 0, 0};
  TYPED(check_trajectory)(TYPED(signum_step_or_reference), &c, 1, TYPED(n), 1300, "signum %s beta 0 (signSGD)",
                          SUFFIX_NAME);
  c.beta = 0.9;
  TYPED(check_trajectory)(TYPED(signum_step_or_reference), &c, 1, TYPED(n), 1300, "signum %s beta 0.9", SUFFIX_NAME);
  /* jnp.sign(NaN) is NaN, so a NaN gradient reaches w (torch.sign's 0 would leave w alone). */
  g[1] = (T)NAN;
  check(C_API(signum_step)(w, g, m, 3, 0.01, 0.9) == INERTIA_OK && isnan(w[1]) && isnan(m[1]) && !isnan(w[0]) &&
            !isnan(w[2]),
        "signum %s: a NaN gradient element makes that parameter and momentum NaN, and only those", SUFFIX_NAME);
}

static void TYPED(test_lars)(void) {
  /* 70000 elements take the library's other path (reduced by every thread,
   * chunk by chunk) and sum 18 chunks. */
  static const size_t sizes[] = {TYPED(n), 70000};
  const size_t n = TYPED(n);
  inertia_lars_options o = {0.1, 0.9, 0.0, 0.001};
  T *w = TYPED(new_array)(n, 1400), *v = TYPED(new_array)(n, 1401), *zeros = TYPED(new_array)(n, 0);
  T *w_ref = TYPED(copy_of)(w, n), *v_ref = TYPED(copy_of)(v, n);
  int i;
  inertia_set_num_threads(2);
  for (i = 0; i < 4; ++i) {
    o.weight_decay = i % 2 ? 1e-4 : 0.0;
    TYPED(check_trajectory)(TYPED(lars_step_or_reference), &o, 1, sizes[i / 2], 1410,
                            "lars %s n %u weight_decay %g, 2 threads", SUFFIX_NAME, (unsigned)sizes[i / 2],
                            o.weight_decay);
  }
  inertia_set_num_threads(0);
  /* A zero gradient norm: local_lr is 1, so v = momentum * v + lr * weight_decay * w. */
  memset(zeros, 0, n * sizeof(T));
  o.weight_decay = 0.5;
  TYPED(lars_step_or_reference)(w_ref, zeros, &v_ref, n, &o, 0, 0);
  check(C_API(lars_step)(w, zeros, v, n, &o) == INERTIA_OK && TYPED(same_bits)(w, w_ref, n) &&
            TYPED(same_bits)(v, v_ref, n),
        "lars %s: a zero gradient (local_lr 1) bit-identical to the reference", SUFFIX_NAME);
  free(w), free(v), free(zeros), free(w_ref), free(v_ref);
}

static void TYPED(test_weight_ema)(void) {
  /* 0.9999 lerps from the average (weight < 0.5); 0.25 and every warm-up
   * decay here (0.1 to 0.25) lerp from param. */
  static const double decays[] = {0.9999, 0.25};
  static const inertia_weight_ema_rounding roundings[] = {INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP,
                                                          INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD};
  size_t d, r;
  int warmup;
  for (d = 0; d < 2; ++d)
    for (r = 0; r < 2; ++r)
      for (warmup = 0; warmup < 2; ++warmup) {
        weight_ema_config c;
        c.decay = decays[d];
        c.warmup = warmup;
        c.rounding = roundings[r];
        TYPED(check_trajectory)(TYPED(weight_ema_step_or_reference), &c, 0, TYPED(n), 1500,
                                "weight_ema %s decay %g %s warmup %d, updates from 0", SUFFIX_NAME, c.decay,
                                c.rounding == INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD ? "mul_add" : "torch_lerp", warmup);
      }
}

static void TYPED(test_adam)(void) {
  static const char *const modes[] = {"adam", "adam weight_decay 0.01", "adamw weight_decay 0.01"};
  int mode, amsgrad, maximize;
  for (mode = 0; mode < 3; ++mode)
    for (amsgrad = 0; amsgrad < 2; ++amsgrad)
      for (maximize = 0; maximize < 2; ++maximize) {
        inertia_adam_options o = {0.01, 0.9, 0.999, 1e-8, 0.0, 0, 0, 0};
        o.weight_decay = mode == 0 ? 0.0 : 0.01;
        o.decoupled_weight_decay = mode == 2;
        o.amsgrad = amsgrad;
        o.maximize = maximize;
        TYPED(check_trajectory)(TYPED(adam_step_or_reference), &o, 3, TYPED(n), 1600,
                                "%s %s amsgrad %d maximize %d%s, steps from 1", modes[mode], SUFFIX_NAME, amsgrad,
                                maximize, amsgrad ? "" : " (max_exp_avg_sq NULL and untouched)");
      }
}

static void TYPED(test_nadam)(void) {
  int wd;
  for (wd = 0; wd < 2; ++wd) {
    nadam_config c;
    int ok;
    c.options.lr = 0.002;
    c.options.beta1 = 0.9;
    c.options.beta2 = 0.999;
    c.options.eps = 1e-8;
    c.options.weight_decay = wd ? 0.01 : 0.0;
    c.options.momentum_decay = 0.004;
    c.library_mu_product = c.reference_mu_product = 1.0f;
    ok = TYPED(matches_reference)(TYPED(nadam_step_or_reference), &c, 2, TYPED(n), 1700);
    check(ok && memcmp(&c.library_mu_product, &c.reference_mu_product, sizeof(float)) == 0,
          "nadam %s weight_decay %g: %d steps from 1 and mu_product (%.9g) bit-identical to the reference",
          SUFFIX_NAME, c.options.weight_decay, TYPED(trajectory_steps), (double)c.library_mu_product);
  }
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

/* Every family entry point's failures: the status, a message naming the
 * function and the argument, and nothing written. */
static void TYPED(test_family_errors)(void) {
  const size_t n = TYPED(n);
  T *w = TYPED(new_array)(n, 1800), *g = TYPED(new_array)(n, 1801), *v = TYPED(new_array)(n, 1802);
  T *v2 = TYPED(new_array)(n, 1803), *v3 = TYPED(new_array)(n, 1804), *big = TYPED(new_array)(2 * n, 1805);
  T *velocities[3];
  static const double betas[] = {0.0, 0.9, 0.99}, bad_betas[] = {0.0, 0.9, 1.0};
  const inertia_qhm_options qhm = {0.5, 0.7, 0.9, 0.0};
  const inertia_lion_options lion = {0.01, 0.9, 0.99, 0.1};
  const inertia_lars_options lars = {0.1, 0.9, 1e-4, 0.001};
  const inertia_adam_options adam = {0.01, 0.9, 0.999, 1e-8, 0.0, 1, 0, 0};
  const inertia_nadam_options nadam = {0.002, 0.9, 0.999, 1e-8, 0.0, 0.004};
  inertia_qhm_options bad_qhm;
  inertia_lion_options bad_lion;
  inertia_lars_options bad_lars;
  inertia_adam_options bad_adam;
  inertia_nadam_options bad_nadam;
  float mu_product = 0.5f;
  TYPED(snapshot) s = {{NULL}, {NULL}, {0}, 0};
  const char *const qhm_name = "inertia_qhm_step_" SUFFIX_NAME;
  const char *const aggmo_name = "inertia_aggmo_step_" SUFFIX_NAME;
  const char *const lion_name = "inertia_lion_step_" SUFFIX_NAME;
  const char *const signum_name = "inertia_signum_step_" SUFFIX_NAME;
  const char *const lars_name = "inertia_lars_step_" SUFFIX_NAME;
  const char *const ema_name = "inertia_weight_ema_step_" SUFFIX_NAME;
  const char *const adam_name = "inertia_adam_step_" SUFFIX_NAME;
  const char *const nadam_name = "inertia_nadam_step_" SUFFIX_NAME;
  velocities[0] = v, velocities[1] = v2, velocities[2] = v3;

  /* Every buffer any of these calls could write. */
#define SNAP_ALL()                                                                                                  \
  (TYPED(snap)(&s, w, n), TYPED(snap)(&s, v, n), TYPED(snap)(&s, v2, n), TYPED(snap)(&s, v3, n),                    \
   TYPED(snap)(&s, big, 2 * n))
#define EXPECT(call, status, function, argument, what)                                                              \
  do {                                                                                                              \
    SNAP_ALL();                                                                                                     \
    TYPED(expect_failure)(&s, call, status, function, argument, what);                                              \
  } while (0)

  /* QHM */
  EXPECT(C_API(qhm_step)(NULL, g, v, n, &qhm), INERTIA_ERROR_NULL_POINTER, qhm_name, "param", "param NULL");
  EXPECT(C_API(qhm_step)(w, g, NULL, n, &qhm), INERTIA_ERROR_NULL_POINTER, qhm_name, "velocity", "velocity NULL");
  EXPECT(C_API(qhm_step)(w, g, v, n, NULL), INERTIA_ERROR_NULL_POINTER, qhm_name, "options", "options NULL");
  EXPECT(C_API(qhm_step)(w, g, w, n, &qhm), INERTIA_ERROR_OVERLAP, qhm_name, "velocity", "velocity is param");
  bad_qhm = qhm, bad_qhm.nu = 1.5;
  EXPECT(C_API(qhm_step)(w, g, v, n, &bad_qhm), INERTIA_ERROR_HYPERPARAMETER, qhm_name, "invalid nu", "nu 1.5");
  bad_qhm = qhm, bad_qhm.beta = 1.0;
  EXPECT(C_API(qhm_step)(w, g, v, n, &bad_qhm), INERTIA_ERROR_HYPERPARAMETER, qhm_name, "invalid beta", "beta 1.0");
  bad_qhm = qhm, bad_qhm.weight_decay = -0.5;
  EXPECT(C_API(qhm_step)(w, g, v, n, &bad_qhm), INERTIA_ERROR_HYPERPARAMETER, qhm_name, "invalid weight_decay",
         "weight_decay -0.5");

  /* AggMo */
  EXPECT(C_API(aggmo_step)(w, g, NULL, n, 0.1, betas, 3, 0.0), INERTIA_ERROR_NULL_POINTER, aggmo_name, "velocities",
         "velocities array NULL with k 3");
  EXPECT(C_API(aggmo_step)(w, g, velocities, n, 0.1, NULL, 3, 0.0), INERTIA_ERROR_NULL_POINTER, aggmo_name, "betas",
         "betas NULL with k 3");
  velocities[1] = NULL;
  EXPECT(C_API(aggmo_step)(w, g, velocities, n, 0.1, betas, 3, 0.0), INERTIA_ERROR_NULL_POINTER, aggmo_name,
         "velocities[1]", "velocities[1] NULL");
  velocities[1] = v2;
  EXPECT(C_API(aggmo_step)(w, g, velocities, n, 0.1, betas, 0, 0.0), INERTIA_ERROR_HYPERPARAMETER, aggmo_name,
         "invalid betas", "k 0");
  EXPECT(C_API(aggmo_step)(w, g, velocities, n, 0.1, bad_betas, 3, 0.0), INERTIA_ERROR_HYPERPARAMETER, aggmo_name,
         "invalid betas[2]", "betas[2] 1.0");
  EXPECT(C_API(aggmo_step)(w, g, velocities, n, -0.1, betas, 3, 0.0), INERTIA_ERROR_HYPERPARAMETER, aggmo_name,
         "invalid lr", "lr -0.1");
  velocities[2] = v;
  EXPECT(C_API(aggmo_step)(w, g, velocities, n, 0.1, betas, 3, 0.0), INERTIA_ERROR_OVERLAP, aggmo_name,
         "velocities[2]", "velocities[2] is velocities[0]");
  velocities[2] = v3;
  EXPECT(C_API(aggmo_step)(big, big, velocities, n, 0.1, betas, 3, 0.0), INERTIA_ERROR_OVERLAP, aggmo_name, "grad",
         "grad is param");
  velocities[0] = big + n / 2;
  EXPECT(C_API(aggmo_step)(w, big, velocities, n, 0.1, betas, 3, 0.0), INERTIA_ERROR_OVERLAP, aggmo_name,
         "velocities[0]", "velocities[0] overlaps grad");
  velocities[0] = v;

  /* Lion, Signum */
  EXPECT(C_API(lion_step)(w, NULL, v, n, &lion), INERTIA_ERROR_NULL_POINTER, lion_name, "grad", "grad NULL");
  EXPECT(C_API(lion_step)(w, g, v, n, NULL), INERTIA_ERROR_NULL_POINTER, lion_name, "options", "options NULL");
  EXPECT(C_API(lion_step)(big, big + n, big + 1, n, &lion), INERTIA_ERROR_OVERLAP, lion_name, "velocity",
         "velocity overlaps param");
  bad_lion = lion, bad_lion.beta2 = 1.0;
  EXPECT(C_API(lion_step)(w, g, v, n, &bad_lion), INERTIA_ERROR_HYPERPARAMETER, lion_name, "invalid beta2",
         "beta2 1.0");
  bad_lion = lion, bad_lion.weight_decay = INFINITY;
  EXPECT(C_API(lion_step)(w, g, v, n, &bad_lion), INERTIA_ERROR_HYPERPARAMETER, lion_name, "invalid weight_decay",
         "weight_decay infinite");
  EXPECT(C_API(signum_step)(w, g, NULL, n, 0.01, 0.9), INERTIA_ERROR_NULL_POINTER, signum_name, "velocity",
         "velocity NULL");
  EXPECT(C_API(signum_step)(w, g, v, n, 0.01, -0.1), INERTIA_ERROR_HYPERPARAMETER, signum_name, "invalid beta",
         "beta -0.1");
  EXPECT(C_API(signum_step)(w, g, v, n, NAN, 0.9), INERTIA_ERROR_HYPERPARAMETER, signum_name, "invalid lr", "lr NaN");

  /* LARS */
  EXPECT(C_API(lars_step)(w, g, NULL, n, &lars), INERTIA_ERROR_NULL_POINTER, lars_name, "momentum_buffer",
         "momentum_buffer NULL");
  EXPECT(C_API(lars_step)(w, g, v, n, NULL), INERTIA_ERROR_NULL_POINTER, lars_name, "options", "options NULL");
  EXPECT(C_API(lars_step)(big, g, big + n - 1, n, &lars), INERTIA_ERROR_OVERLAP, lars_name, "momentum_buffer",
         "momentum_buffer overlaps param by one element");
  bad_lars = lars, bad_lars.eta = 0.0;
  EXPECT(C_API(lars_step)(w, g, v, n, &bad_lars), INERTIA_ERROR_HYPERPARAMETER, lars_name, "invalid eta", "eta 0");
  bad_lars = lars, bad_lars.momentum = 1.0;
  EXPECT(C_API(lars_step)(w, g, v, n, &bad_lars), INERTIA_ERROR_HYPERPARAMETER, lars_name, "invalid momentum",
         "momentum 1.0");

  /* Weight EMA: w is the average here, g the model's weights */
  EXPECT(C_API(weight_ema_step)(NULL, g, n, 0.999, 0, INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP, 0),
         INERTIA_ERROR_NULL_POINTER, ema_name, "average", "average NULL");
  EXPECT(C_API(weight_ema_step)(w, NULL, n, 0.999, 0, INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP, 0),
         INERTIA_ERROR_NULL_POINTER, ema_name, "param", "param NULL");
  EXPECT(C_API(weight_ema_step)(big, big + 1, n, 0.999, 0, INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP, 0),
         INERTIA_ERROR_OVERLAP, ema_name, "average", "average overlaps param");
  EXPECT(C_API(weight_ema_step)(w, g, n, 1.5, 0, INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP, 0),
         INERTIA_ERROR_HYPERPARAMETER, ema_name, "invalid decay", "decay 1.5");
  EXPECT(C_API(weight_ema_step)(w, g, n, 0.999, 0, (inertia_weight_ema_rounding)5, 0), INERTIA_ERROR_HYPERPARAMETER,
         ema_name, "invalid rounding", "rounding 5");
  EXPECT(C_API(weight_ema_step)(w, g, n, 0.999, 1, INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD, -1),
         INERTIA_ERROR_HYPERPARAMETER, ema_name, "invalid updates", "updates -1");

  /* Adam (amsgrad on), NAdam */
  EXPECT(C_API(adam_step)(w, g, v, NULL, v3, n, &adam, 1), INERTIA_ERROR_NULL_POINTER, adam_name, "exp_avg_sq",
         "exp_avg_sq NULL");
  EXPECT(C_API(adam_step)(w, g, v, v2, NULL, n, &adam, 1), INERTIA_ERROR_NULL_POINTER, adam_name, "max_exp_avg_sq",
         "max_exp_avg_sq NULL with amsgrad");
  EXPECT(C_API(adam_step)(w, g, v, v2, v3, n, NULL, 1), INERTIA_ERROR_NULL_POINTER, adam_name, "options",
         "options NULL");
  EXPECT(C_API(adam_step)(w, g, v, v, v3, n, &adam, 1), INERTIA_ERROR_OVERLAP, adam_name, "exp_avg_sq",
         "exp_avg_sq is exp_avg");
  EXPECT(C_API(adam_step)(w, g, v, v2, w, n, &adam, 1), INERTIA_ERROR_OVERLAP, adam_name, "max_exp_avg_sq",
         "max_exp_avg_sq is param");
  EXPECT(C_API(adam_step)(w, g, v, v2, v3, n, &adam, 0), INERTIA_ERROR_HYPERPARAMETER, adam_name, "invalid step",
         "step 0");
  bad_adam = adam, bad_adam.eps = 0.0;
  EXPECT(C_API(adam_step)(w, g, v, v2, v3, n, &bad_adam, 1), INERTIA_ERROR_HYPERPARAMETER, adam_name, "invalid eps",
         "eps 0");
  bad_adam = adam, bad_adam.beta1 = 1.0;
  EXPECT(C_API(adam_step)(w, g, v, v2, v3, n, &bad_adam, 1), INERTIA_ERROR_HYPERPARAMETER, adam_name,
         "invalid beta1", "beta1 1.0");
  EXPECT(C_API(nadam_step)(w, g, v, v2, n, &nadam, 1, NULL), INERTIA_ERROR_NULL_POINTER, nadam_name, "mu_product",
         "mu_product NULL");
  EXPECT(C_API(nadam_step)(w, g, NULL, v2, n, &nadam, 1, &mu_product), INERTIA_ERROR_NULL_POINTER, nadam_name,
         "exp_avg", "exp_avg NULL");
  EXPECT(C_API(nadam_step)(w, g, v, v2, n, NULL, 1, &mu_product), INERTIA_ERROR_NULL_POINTER, nadam_name, "options",
         "options NULL");
  EXPECT(C_API(nadam_step)(w, g, v, w, n, &nadam, 1, &mu_product), INERTIA_ERROR_OVERLAP, nadam_name, "exp_avg_sq",
         "exp_avg_sq is param");
  bad_nadam = nadam, bad_nadam.momentum_decay = -1.0;
  EXPECT(C_API(nadam_step)(w, g, v, v2, n, &bad_nadam, 1, &mu_product), INERTIA_ERROR_HYPERPARAMETER, nadam_name,
         "invalid momentum_decay", "momentum_decay -1");
  EXPECT(C_API(nadam_step)(w, g, v, v2, n, &nadam, 0, &mu_product), INERTIA_ERROR_HYPERPARAMETER, nadam_name,
         "invalid step", "step 0");
  mu_product = 1.5f;
  EXPECT(C_API(nadam_step)(w, g, v, v2, n, &nadam, 1, &mu_product), INERTIA_ERROR_HYPERPARAMETER, nadam_name,
         "invalid mu_product", "mu_product 1.5");
  check(mu_product == 1.5f, "nadam %s: mu_product is left alone by failing calls", SUFFIX_NAME);
#undef EXPECT
#undef SNAP_ALL

  mu_product = 1.0f;
  check(C_API(qhm_step)(NULL, NULL, NULL, 0, &qhm) == INERTIA_OK &&
            C_API(aggmo_step)(NULL, NULL, (T *const[3]){NULL, NULL, NULL}, 0, 0.1, betas, 3, 0.0) == INERTIA_OK &&
            C_API(lion_step)(NULL, NULL, NULL, 0, &lion) == INERTIA_OK &&
            C_API(signum_step)(NULL, NULL, NULL, 0, 0.01, 0.9) == INERTIA_OK &&
            C_API(lars_step)(NULL, NULL, NULL, 0, &lars) == INERTIA_OK &&
            C_API(weight_ema_step)(NULL, NULL, 0, 0.999, 1, INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP, 0) == INERTIA_OK &&
            C_API(adam_step)(NULL, NULL, NULL, NULL, NULL, 0, &adam, 1) == INERTIA_OK &&
            C_API(nadam_step)(NULL, NULL, NULL, NULL, 0, &nadam, 1, &mu_product) == INERTIA_OK && mu_product < 1.0f,
        "family %s: NULL data with n = 0 is a no-op, not an error (NAdam still advances mu_product)", SUFFIX_NAME);
  free(w), free(g), free(v), free(v2), free(v3), free(big);
}

static void TYPED(test_all)(void) {
  TYPED(test_sgd)();
  TYPED(test_sutskever)();
  TYPED(test_ema)();
  TYPED(test_lookahead)();
  TYPED(test_multi)();
  TYPED(test_policy)();
  TYPED(test_errors)();
  TYPED(test_qhm)();
  TYPED(test_aggmo)();
  TYPED(test_lion)();
  TYPED(test_signum)();
  TYPED(test_lars)();
  TYPED(test_weight_ema)();
  TYPED(test_adam)();
  TYPED(test_nadam)();
  TYPED(test_family_errors)();
}

#undef TYPED_CAT2
#undef TYPED_CAT
#undef TYPED
#undef C_API

