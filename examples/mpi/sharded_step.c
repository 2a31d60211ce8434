/* A ZeRO-1-style sharded optimizer step with Open MPI and inertia's generic C ABI.
 *
 * The model's parameters live in one flat buffer, tensor after tensor. Each of
 * R ranks owns one contiguous slice of it (the slices cut tensors anywhere),
 * and keeps the optimizer state of that slice only: 1/R of it. One step is
 *   1. MPI_Reduce_scatter_block: every rank's gradients are summed, and each
 *      rank receives the sum over its slice;
 *   2. one inertia_optimizer_step over the pieces of tensors in the slice;
 *   3. MPI_Allgather: every rank gets the whole updated parameter buffer.
 * Because the step is elementwise (inertia_optimizer_elementwise), a piece of a
 * tensor steps exactly as the whole tensor does, so the result is the bits of
 * one process stepping everything. Variants that read per-tensor norms first
 * (lars) are refused: the norm of a cut tensor would need its own reduction
 * across ranks before the step, which this example does not do.
 *
 * Check mode (default): rank 0 also steps an unsharded copy with one call over
 * the whole tensors and compares parameters and state bit for bit. The
 * gradients are multiples of 2^-10 below 1 in magnitude, so their sum is exact
 * in any order: the comparison is about the step, not about MPI's reduction
 * order (which inertia does not control).
 *
 * Time mode (--elements N --time): no reference; per step, the median time of
 * the reduce-scatter, the step and the all-gather on rank 0.
 *
 * usage: mpirun -np R sharded_step [--variant NAME] [--set KEY=VALUE]... [--steps K] [--elements N]
 *                                  [--threads T] [--time]
 * (--set: a number or flag option of the generic C ABI, e.g. --set momentum=0.9 --set nesterov=1)
 * Exits 0 when bit-identical, 1 when not, 2 on bad arguments or a refused variant. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inertia/inertia.h"

/* The default model: odd sizes, so that slices cut tensors and tails are odd. */
static const size_t default_sizes[] = {1000, 37, 4097, 1, 20000, 3, 515};
#define DEFAULT_TENSORS (sizeof default_sizes / sizeof default_sizes[0])

typedef struct {
  const char *variant;
  int steps;
  size_t elements; /* 0: the default model */
  int time;
  int threads;
  int settings; /* --set KEY=VALUE, applied in order */
  char *keys[16];
  double values[16];
} arguments;

static int rank_of_world = 0;

/* One line, from rank 0 only; every rank returns 2. */
static int usage_error(const char *message, const char *detail) {
  if (rank_of_world == 0) fprintf(stderr, "sharded_step: %s%s\n", message, detail ? detail : "");
  return 2;
}

static int parse(int argc, char **argv, arguments *a) {
  a->variant = "adamw";
  a->steps = 5;
  a->elements = 0;
  a->time = 0;
  a->threads = 1;
  a->settings = 0;
  for (int i = 1; i < argc; ++i) {
    const char *flag = argv[i];
    if (strcmp(flag, "--time") == 0) {
      a->time = 1;
      continue;
    }
    if (strcmp(flag, "--variant") != 0 && strcmp(flag, "--steps") != 0 && strcmp(flag, "--threads") != 0 &&
        strcmp(flag, "--elements") != 0 && strcmp(flag, "--set") != 0)
      return usage_error("unknown argument ", flag);
    if (i + 1 >= argc) return usage_error("missing value after ", flag);
    char *value = argv[++i];
    char *end = NULL;
    if (strcmp(flag, "--variant") == 0) {
      a->variant = value;
    } else if (strcmp(flag, "--steps") == 0) {
      long steps = strtol(value, &end, 10);
      if (*end != '\0' || steps < 1 || steps > 1000000) return usage_error("--steps must be 1 to 1000000, not ", value);
      a->steps = (int)steps;
    } else if (strcmp(flag, "--set") == 0) {
      char *equals = strchr(value, '=');
      if (equals == NULL || equals == value) return usage_error("--set takes KEY=VALUE, not ", value);
      if (a->settings == 16) return usage_error("at most 16 --set options", NULL);
      double number = strtod(equals + 1, &end);
      if (*end != '\0' || end == equals + 1) return usage_error("--set: not a number: ", value);
      *equals = '\0';
      a->keys[a->settings] = value;
      a->values[a->settings++] = number;
    } else if (strcmp(flag, "--threads") == 0) {
      long threads = strtol(value, &end, 10);
      if (*end != '\0' || threads < 1 || threads > 1024) return usage_error("--threads must be 1 to 1024, not ", value);
      a->threads = (int)threads;
    } else if (strcmp(flag, "--elements") == 0) {
      unsigned long long n = strtoull(value, &end, 10);
      if (*end != '\0' || n < 1 || n > (1ull << 32)) return usage_error("--elements must be 1 to 2^32, not ", value);
      a->elements = (size_t)n;
    } else {
      return usage_error("unknown argument ", flag);
    }
  }
  return 0;
}

/* Deterministic data: a hash of (index, step, rank). */
static uint32_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return (uint32_t)x;
}
static float initial_param(size_t i) { return (float)((int)(mix(i) % 2001u) - 1000) / 1000.0f; }
/* A multiple of 2^-10 in (-1, 1): sums of up to 2^13 of them are exact in float. */
static float gradient(size_t i, int step, int rank) {
  return (float)((int)(mix(i * 7919u + (uint64_t)step * 104729u + (uint64_t)rank * 15485863u) % 2047u) - 1023) /
         1024.0f;
}

static double median(double *values, int count) {
  for (int i = 1; i < count; ++i)
    for (int j = i; j > 0 && values[j - 1] > values[j]; --j) {
      double t = values[j];
      values[j] = values[j - 1];
      values[j - 1] = t;
    }
  return count % 2 ? values[count / 2] : 0.5 * (values[count / 2 - 1] + values[count / 2]);
}

static int fail_status(inertia_status status, const char *call) {
  fprintf(stderr, "sharded_step: rank %d: %s: %s: %s\n", rank_of_world, call, inertia_status_string(status),
          inertia_last_error());
  return 1;
}

/* The pieces of tensors (offsets[k], sizes[k]) that fall in [lo, hi), as inertia_tensors over the flat
 * param buffer, the slice's gradient and the slice's state buffers (slice-relative). */
static size_t pieces_in_slice(const size_t *offsets, const size_t *sizes, size_t tensors, size_t lo, size_t hi,
                              float *param, float *grad_slice, float *const *state_slice, size_t state_count,
                              inertia_tensor *out) {
  size_t count = 0;
  for (size_t k = 0; k < tensors; ++k) {
    size_t begin = offsets[k] > lo ? offsets[k] : lo;
    size_t end = offsets[k] + sizes[k] < hi ? offsets[k] + sizes[k] : hi;
    if (begin >= end) continue;
    inertia_tensor *t = &out[count++];
    memset(t, 0, sizeof *t);
    t->param = param + begin;
    t->grad = grad_slice + (begin - lo);
    for (size_t s = 0; s < state_count; ++s) t->state[s] = state_slice[s] + (begin - lo);
    t->size = end - begin;
  }
  return count;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_of_world);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int rank = rank_of_world;
  arguments args;
  int code = parse(argc, argv, &args);
  inertia_optimizer *opt = NULL;
  if (code == 0) {
    inertia_status status = inertia_optimizer_create(args.variant, &opt);
    for (int k = 0; k < args.settings && status == INERTIA_OK; ++k)
      status = inertia_optimizer_set(opt, args.keys[k], args.values[k]);
    if (status != INERTIA_OK) {
      code = usage_error("", inertia_last_error());
    } else if (!inertia_optimizer_elementwise(opt)) {
      code = usage_error(args.variant,
                         " reads per-tensor norms before its update: a slice that cuts a tensor would step it "
                         "differently from one process (shard whole tensors, or all-reduce the norms first)");
    }
  }
  if (code != 0) {
    inertia_optimizer_destroy(opt);
    MPI_Finalize();
    return code;
  }
  inertia_set_num_threads(args.threads); /* default 1 per rank: the ranks share the machine's cores */

  /* The model: tensor sizes and their offsets in the flat buffer. */
  size_t tensors = DEFAULT_TENSORS;
  size_t sizes_storage[DEFAULT_TENSORS];
  const size_t *sizes = default_sizes;
  if (args.elements) { /* one tensor per 1/7 of the total, the last takes the rest */
    tensors = DEFAULT_TENSORS;
    for (size_t k = 0; k < tensors; ++k) sizes_storage[k] = args.elements / tensors;
    sizes_storage[tensors - 1] += args.elements % tensors;
    sizes = sizes_storage;
  }
  size_t offsets[DEFAULT_TENSORS], total = 0;
  for (size_t k = 0; k < tensors; ++k) {
    offsets[k] = total;
    total += sizes[k];
  }
  const size_t slice = (total + (size_t)ranks - 1) / (size_t)ranks; /* the last slice ends in padding */
  const size_t padded = slice * (size_t)ranks;
  const size_t lo = (size_t)rank * slice, hi = lo + slice;
  const size_t state_count = inertia_optimizer_state_count(opt);

  float *param = calloc(padded, sizeof(float));
  float *grad = calloc(padded, sizeof(float));
  float *grad_slice = calloc(slice, sizeof(float));
  float *state_slice[INERTIA_MAX_STATE] = {0};
  for (size_t s = 0; s < state_count; ++s) state_slice[s] = calloc(slice, sizeof(float));
  inertia_tensor *pieces = calloc(tensors, sizeof(inertia_tensor));
  for (size_t i = 0; i < total; ++i) param[i] = initial_param(i);

  /* Rank 0's unsharded reference: whole tensors, whole state, and a handle of its own with the same
   * options. A handle is a param group and may hold scalar state that every step advances (nadam's
   * mu_product): each rank's handle advances it alike, and the reference must not share one. */
  const int check = !args.time && rank == 0;
  float *ref_param = NULL, *ref_grad = NULL, *ref_state[INERTIA_MAX_STATE] = {0};
  inertia_tensor *whole = NULL;
  inertia_optimizer *ref_opt = NULL;
  if (check) {
    inertia_optimizer_create(args.variant, &ref_opt); /* the name and the settings were accepted above */
    for (int k = 0; k < args.settings; ++k) inertia_optimizer_set(ref_opt, args.keys[k], args.values[k]);
    ref_param = malloc(total * sizeof(float));
    ref_grad = calloc(total, sizeof(float));
    memcpy(ref_param, param, total * sizeof(float));
    for (size_t s = 0; s < state_count; ++s) ref_state[s] = calloc(total, sizeof(float));
    whole = calloc(tensors, sizeof(inertia_tensor));
    for (size_t k = 0; k < tensors; ++k) {
      whole[k].param = ref_param + offsets[k];
      whole[k].grad = ref_grad + offsets[k];
      for (size_t s = 0; s < state_count; ++s) whole[k].state[s] = ref_state[s] + offsets[k];
      whole[k].size = sizes[k];
    }
  }

  double *times[3];
  for (int j = 0; j < 3; ++j) times[j] = calloc((size_t)args.steps, sizeof(double));
  for (int step = 1; step <= args.steps && code == 0; ++step) {
    for (size_t i = 0; i < total; ++i) grad[i] = gradient(i, step, rank);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    MPI_Reduce_scatter_block(grad, grad_slice, (int)slice, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double t1 = MPI_Wtime();
    size_t count = pieces_in_slice(offsets, sizes, tensors, lo, hi < total ? hi : total, param, grad_slice,
                                   state_slice, state_count, pieces);
    inertia_status status = inertia_optimizer_step(opt, INERTIA_FLOAT32, pieces, count, step, NULL, NULL);
    double t2 = MPI_Wtime();
    int failed = status != INERTIA_OK, any_failed = 0;
    if (failed) fail_status(status, "inertia_optimizer_step");
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    if (any_failed) {
      code = 1;
      break;
    }
    double t3 = MPI_Wtime();
    MPI_Allgather(MPI_IN_PLACE, (int)slice, MPI_FLOAT, param, (int)slice, MPI_FLOAT, MPI_COMM_WORLD);
    double t4 = MPI_Wtime();
    times[0][step - 1] = t1 - t0;
    times[1][step - 1] = t2 - t1;
    times[2][step - 1] = t4 - t3;
    if (check) { /* the gradient sum one process would see: exact, so in any order */
      for (size_t i = 0; i < total; ++i) {
        float sum = 0.0f;
        for (int r = 0; r < ranks; ++r) sum += gradient(i, step, r);
        ref_grad[i] = sum;
      }
      status = inertia_optimizer_step(ref_opt, INERTIA_FLOAT32, whole, tensors, step, NULL, NULL);
      if (status != INERTIA_OK) code = fail_status(status, "inertia_optimizer_step (unsharded)");
    }
  }

  /* Gather every slice's state on rank 0 and compare with the unsharded run. */
  float *gathered = check ? malloc(padded * sizeof(float)) : NULL;
  long long mismatch = -1;
  const char *where = "param";
  if (check && code == 0)
    for (size_t i = 0; i < total && mismatch < 0; ++i)
      if (memcmp(&param[i], &ref_param[i], sizeof(float)) != 0) mismatch = (long long)i;
  for (size_t s = 0; s < state_count && code == 0 && !args.time; ++s) {
    MPI_Gather(state_slice[s], (int)slice, MPI_FLOAT, gathered, (int)slice, MPI_FLOAT, 0, MPI_COMM_WORLD);
    if (check && mismatch < 0)
      for (size_t i = 0; i < total && mismatch < 0; ++i)
        if (memcmp(&gathered[i], &ref_state[s][i], sizeof(float)) != 0) {
          mismatch = (long long)i;
          where = inertia_optimizer_state_name(opt, s);
        }
  }
  if (check && code == 0) {
    if (mismatch >= 0) {
      printf("sharded_step: %s, %d ranks: %s[%lld] differs from one process\n", args.variant, ranks, where,
             mismatch);
      code = 1;
    } else {
      printf("sharded_step: %s, %d ranks, %d steps, %zu elements in %zu tensors: params and %zu state buffers "
             "bit-identical to one process\n",
             args.variant, ranks, args.steps, total, tensors, state_count);
    }
  }
  if (args.time && rank == 0 && code == 0)
    printf("sharded_step: %s, %d ranks x %d threads, %zu elements, median of %d steps: reduce-scatter %.2f ms, "
           "step %.2f ms, all-gather %.2f ms\n",
           args.variant, ranks, args.threads, total, args.steps, 1e3 * median(times[0], args.steps),
           1e3 * median(times[1], args.steps), 1e3 * median(times[2], args.steps));
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);

  for (int j = 0; j < 3; ++j) free(times[j]);
  free(gathered);
  free(whole);
  for (size_t s = 0; s < state_count; ++s) {
    free(state_slice[s]);
    free(ref_state[s]);
  }
  free(ref_grad);
  free(ref_param);
  free(pieces);
  free(grad_slice);
  free(grad);
  free(param);
  inertia_optimizer_destroy(ref_opt);
  inertia_optimizer_destroy(opt);
  MPI_Finalize();
  return code;
}
