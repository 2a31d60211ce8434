// libFuzzer target: drives the C ABI (SGD, Sutskever, EMA, look-ahead, QHM,
// Lion, LARS) with arbitrary lengths, pointer offsets (overlapping or not),
// null pointers, targets, thread counts and hyperparameters (NaN, Inf,
// negative, huge), and checks, besides the sanitizers' own checks:
//   - a rejected call writes nothing anywhere in the arena;
//   - an accepted call writes only the buffers it owns;
//   - a call is accepted only if its buffers are disjoint and its
//     hyperparameters are finite and in range (an independent oracle).
// And the generic calls (inertia_optimizer_*) for every registered variant,
// with the same checks: options set by key (a rejected set changes nothing
// that get reads back), then a step over 1-3 tensors whose pointers, state
// buffers, sizes and step the fuzzer chooses; the oracle accepts the step iff
// every required pointer is there, no unused state is given, no two buffers
// overlap and step >= 1, except that a relation
// between options (nesterov needs momentum) may reject it as a hyperparameter.
// Any violation aborts, which libFuzzer reports as a crash.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "inertia/inertia.h"

namespace {

constexpr std::size_t arena_elements = 3 * 4096 + 64;

[[noreturn]] void violation(const char* what) {
  std::fprintf(stderr, "c_abi_fuzzer: %s (last error: %s)\n", what, inertia_last_error());
  std::abort();
}

bool overlap(std::size_t a, std::size_t b, std::size_t n) { return n != 0 && a < b + n && b < a + n; }

bool coefficient_in_range(double x) { return std::isfinite(x) && x >= 0.0 && x < 1.0; }

bool non_negative(double x) { return std::isfinite(x) && x >= 0.0; }

// A hyperparameter: half the time in [0, 1], where most valid ranges lie
// (an arbitrary double is almost never there); otherwise an edge of a range,
// a non-finite value, or any double at all.
double consume_hyperparameter(FuzzedDataProvider& in) {
  static constexpr double edges[] = {0.0,    -0.0,   1.0, 0.9999999999999999, -1e-300, 1e-300, 1e300,
                                     -1e300, NAN,    INFINITY, -INFINITY};
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
    case 1: return in.ConsumeProbability<double>();
    case 2: return edges[in.ConsumeIntegralInRange<std::size_t>(0, std::size(edges) - 1)];
    default: return in.ConsumeFloatingPoint<double>();
  }
}

// The arena's contents from the bytes left after the call's parameters,
// repeated: every bit pattern (NaN, Inf, subnormals) can occur. The
// parameters come first because filling the arena value by value would eat
// any input libFuzzer makes (up to a few KiB) long before them.
template <class T>
void fill_arena(std::vector<T>& arena, FuzzedDataProvider& in) {
  const std::vector<std::uint8_t> pattern = in.ConsumeRemainingBytes<std::uint8_t>();
  if (pattern.empty()) return;
  auto* bytes = reinterpret_cast<unsigned char*>(arena.data());
  for (std::size_t i = 0; i < arena.size() * sizeof(T); ++i) bytes[i] = pattern[i % pattern.size()];
}

// The entry points of one element type, so that one switch drives both.
template <class T>
struct c_abi;

#define INERTIA_FUZZED_ENTRY_POINTS(suffix)                                        \
  static constexpr auto sgd_step = inertia_sgd_step_##suffix;                      \
  static constexpr auto sutskever_step = inertia_sutskever_step_##suffix;          \
  static constexpr auto ema_step = inertia_ema_step_##suffix;                      \
  static constexpr auto nesterov_lookahead = inertia_nesterov_lookahead_##suffix;  \
  static constexpr auto qhm_step = inertia_qhm_step_##suffix;                      \
  static constexpr auto lion_step = inertia_lion_step_##suffix;                    \
  static constexpr auto lars_step = inertia_lars_step_##suffix;

template <>
struct c_abi<float> {
  INERTIA_FUZZED_ENTRY_POINTS(f32)
};

template <>
struct c_abi<double> {
  INERTIA_FUZZED_ENTRY_POINTS(f64)
};

#undef INERTIA_FUZZED_ENTRY_POINTS

enum entry_point { sgd, sutskever, ema, nesterov_lookahead, qhm, lion, lars, entry_point_count };

template <class T>
void fuzz_one(FuzzedDataProvider& in) {
  using abi = c_abi<T>;
  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
  const std::size_t limit = arena_elements - n;
  const std::size_t param = in.ConsumeIntegralInRange<std::size_t>(0, limit);
  const std::size_t grad = in.ConsumeIntegralInRange<std::size_t>(0, limit);
  const std::size_t state = in.ConsumeIntegralInRange<std::size_t>(0, limit);
  const int nulls = in.ConsumeBool() ? in.ConsumeIntegralInRange<int>(1, 7) : 0;  // bit k: pointer k is null
  const double lr = consume_hyperparameter(in), momentum = consume_hyperparameter(in);
  const double dampening = in.ConsumeProbability<double>() * 1.5, weight_decay = consume_hyperparameter(in);
  const bool nesterov = in.ConsumeBool(), maximize = in.ConsumeBool(), first = in.ConsumeBool();
  static const char* const archs[] = {"scalar", "sse2", "avx2", "avx512f", "avx512bf16", "auto", "bogus"};
  inertia_set_arch(archs[in.ConsumeIntegralInRange<int>(0, int(std::size(archs)) - 1)]);
  inertia_set_num_threads(in.ConsumeIntegralInRange<int>(0, 3));
  const auto function = static_cast<entry_point>(in.ConsumeIntegralInRange<int>(0, entry_point_count - 1));
  const double eta = consume_hyperparameter(in);  // LARS's trust coefficient
  std::vector<T> arena(arena_elements);
  fill_arena(arena, in);

  T* base = arena.data();
  T* p = (nulls & 1) ? nullptr : base + param;
  const T* g = (nulls & 2) ? nullptr : base + grad;
  T* s = (nulls & 4) ? nullptr : base + state;
  const std::vector<T> before = arena;

  inertia_status status = INERTIA_OK;
  bool uses_state = true, valid = true;
  const bool lr_ok = non_negative(lr);
  switch (function) {
    case sgd: {
      const inertia_sgd_options o{lr, momentum, dampening, weight_decay, nesterov, maximize};
      status = abi::sgd_step(p, g, s, n, &o, first);
      uses_state = momentum != 0.0;
      valid = lr_ok && coefficient_in_range(momentum) && dampening <= 1.0 && non_negative(weight_decay) &&
              (!nesterov || (momentum > 0.0 && dampening == 0.0));
      break;
    }
    case sutskever:
      status = abi::sutskever_step(p, g, s, n, lr, momentum, nesterov);
      uses_state = momentum != 0.0;
      valid = lr_ok && coefficient_in_range(momentum) && (!nesterov || momentum > 0.0);
      break;
    case ema:
      status = abi::ema_step(p, g, s, n, lr, momentum, maximize, first ? 1 : 0);
      valid = lr_ok && coefficient_in_range(momentum) && (!maximize || first);
      break;
    case nesterov_lookahead:
      status = abi::nesterov_lookahead(p, g, s, n, momentum);
      valid = coefficient_in_range(momentum);
      break;
    case qhm: {
      // nu = dampening: in [0, 1.5], so out of its range [0, 1] a third of the time.
      const inertia_qhm_options o{lr, dampening, momentum, weight_decay};
      status = abi::qhm_step(p, g, s, n, &o);
      valid = lr_ok && dampening <= 1.0 && coefficient_in_range(momentum) && non_negative(weight_decay);
      break;
    }
    case lion: {
      const inertia_lion_options o{lr, momentum, dampening, weight_decay};
      status = abi::lion_step(p, g, s, n, &o);
      valid = lr_ok && coefficient_in_range(momentum) && coefficient_in_range(dampening) && non_negative(weight_decay);
      break;
    }
    case lars: {
      const inertia_lars_options o{lr, momentum, weight_decay, eta};
      status = abi::lars_step(p, g, s, n, &o);
      valid = lr_ok && coefficient_in_range(momentum) && non_negative(weight_decay) && std::isfinite(eta) && eta > 0.0;
      break;
    }
    case entry_point_count: break;
  }
  // Which pointers the call reads or writes, and whether any pair overlaps.
  const bool writes_param = function != nesterov_lookahead;
  if (n != 0) {
    if ((nulls & 1) || (nulls & 2) || (uses_state && (nulls & 4))) valid = false;
    // Two read-only inputs may share memory (the look-ahead's param and velocity).
    if ((writes_param && overlap(param, grad, n)) ||
        (uses_state && (overlap(param, state, n) || overlap(grad, state, n))))
      valid = false;
  }
  if (status != INERTIA_OK) {
    if (std::memcmp(arena.data(), before.data(), arena.size() * sizeof(T)) != 0)
      violation("a rejected call wrote to a buffer");
    if (inertia_last_error()[0] == '\0') violation("a rejected call left no message");
    if (valid) violation("a valid call was rejected");
    return;
  }
  if (!valid) violation("an invalid call was accepted");
  for (std::size_t i = 0; i < arena.size(); ++i) {
    const bool owned = (writes_param && i >= param && i < param + n) || (uses_state && i >= state && i < state + n);
    if (!owned && std::memcmp(&arena[i], &before[i], sizeof(T)) != 0) violation("a call wrote outside its buffers");
  }
}

// ---- The generic calls --------------------------------------------------

/// T: the element's storage (std::uint16_t for the half types); dtype: the call's.
template <class T>
void fuzz_generic(FuzzedDataProvider& in, inertia_dtype dtype) {
  const std::size_t variants = inertia_variant_count();
  if (variants == 0) violation("the registry is empty");
  inertia_optimizer* opt = nullptr;
  if (inertia_optimizer_create(inertia_variant_name(in.ConsumeIntegralInRange<std::size_t>(0, variants - 1)), &opt) !=
      INERTIA_OK)
    violation("a registered variant could not be created");
  // Options by key: the frameworks' names, some of which this variant lacks.
  static const char* const keys[] = {"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "eps",
                                     "amsgrad", "momentum_decay", "nu", "eta", "beta", "betas", "bias_correction",
                                     "decay", "warmup", "lr_decay", "initial_accumulator_value", "mu_product",
                                     "numerics", "rounding", "alpha", "centered", "eps_in_sqrt", "initial_scale",
                                     "warmup_steps", "r", "weight_lr_power", "lr_max", "weight_sum", "b1", "b2",
                                     "b3", "eps_root", "alpha_warmup", "b3_warmup", "no_such_key"};
  for (int k = in.ConsumeIntegralInRange<int>(0, 4); k > 0; --k) {
    const char* key = keys[in.ConsumeIntegralInRange<std::size_t>(0, std::size(keys) - 1)];
    double before = 0, after = 0;
    const bool readable = inertia_optimizer_get(opt, key, &before) == INERTIA_OK;
    inertia_status status;
    double value = 0;
    if (in.ConsumeBool()) {
      value = in.ConsumeBool() ? double(in.ConsumeBool()) : consume_hyperparameter(in);
      status = inertia_optimizer_set(opt, key, value);
    } else if (in.ConsumeBool()) {
      double values[9];
      const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, 9);
      for (std::size_t i = 0; i < count; ++i) values[i] = consume_hyperparameter(in);
      status = inertia_optimizer_set_array(opt, key, values, count);
    } else {
      static const char* const strings[] = {"pytorch_loop", "pytorch_fused", "torch_lerp", "mul_add", ""};
      status = inertia_optimizer_set_string(opt, key, strings[in.ConsumeIntegralInRange<int>(0, 4)]);
    }
    if (status != INERTIA_OK) {
      if (inertia_last_error()[0] == '\0') violation("a rejected set left no message");
      if (readable && (inertia_optimizer_get(opt, key, &after) != INERTIA_OK ||
                       std::memcmp(&before, &after, sizeof before) != 0))
        violation("a rejected set changed the option");
    }
  }
  const std::size_t state_count = inertia_optimizer_state_count(opt);
  if (state_count > INERTIA_MAX_STATE) violation("more state than an inertia_tensor holds");
  const bool reads_grad = std::strcmp(inertia_optimizer_variant(opt), "weight_ema") != 0;

  // 1-3 tensors: each buffer is an offset into one arena, or NULL.
  const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(1, 3);
  inertia_tensor tensors[3] = {};
  struct range {
    std::size_t begin, size;
    bool written;
  };
  std::vector<range> used;
  bool valid = true;
  std::vector<T> arena(arena_elements);
  const std::size_t n_max = 256;
  for (std::size_t t = 0; t < count; ++t) {
    const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, n_max);
    tensors[t].size = n;
    const auto place = [&](bool present, bool written, bool required) -> T* {
      if (!present) {
        if (required && n != 0) valid = false;
        return nullptr;
      }
      const std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, arena_elements - n);
      if (!required) valid = false;  // given, but not used
      used.push_back({at, n, written});
      return arena.data() + at;
    };
    const int nulls = in.ConsumeIntegralInRange<int>(0, 15);  // mostly all present
    tensors[t].param = place(nulls != 1, reads_grad, true);  // weight_ema only reads param
    tensors[t].grad = place(reads_grad ? nulls != 2 : nulls == 2, false, reads_grad);
    for (std::size_t j = 0; j < INERTIA_MAX_STATE; ++j) {
      const bool present = j < state_count ? !(nulls == 3 && j == 0) : (nulls == 4 && j == state_count);
      tensors[t].state[j] = place(present, true, j < state_count);
    }
  }
  // No two buffers of a call may share memory, read-only ones included (as the C++ API checks).
  for (std::size_t a = 0; a < used.size(); ++a)
    for (std::size_t b = 0; b < a; ++b) {
      const range &x = used[a], &y = used[b];
      if (x.size != 0 && y.size != 0 && x.begin < y.begin + y.size && y.begin < x.begin + x.size) valid = false;
    }
  const long long step = in.ConsumeBool() ? in.ConsumeIntegralInRange<long long>(1, 1000)
                                          : in.ConsumeIntegralInRange<long long>(-2, 0);
  if (step < 1) valid = false;
  // (A dtype outside the enum cannot be passed from C++ without undefined
  // behaviour, UBSan's enum check; the C test program covers it.)
  fill_arena(arena, in);
  const std::vector<T> before = arena;
  inertia_step_report report{};
  const inertia_status status = inertia_optimizer_step(opt, dtype, tensors, count, step, nullptr, &report);
  if (status != INERTIA_OK) {
    if (std::memcmp(arena.data(), before.data(), arena.size() * sizeof(T)) != 0)
      violation("a rejected generic step wrote to a buffer");
    if (inertia_last_error()[0] == '\0') violation("a rejected generic step left no message");
    // A valid layout may still fail on a relation between options, never otherwise.
    if (valid && status != INERTIA_ERROR_HYPERPARAMETER) violation("a valid generic step was rejected");
  } else {
    if (!valid) violation("an invalid generic step was accepted");
    for (std::size_t i = 0; i < arena.size(); ++i) {
      bool owned = false;
      for (const range& r : used) owned |= r.written && i >= r.begin && i < r.begin + r.size;
      if (!owned && std::memcmp(&arena[i], &before[i], sizeof(T)) != 0)
        violation("a generic step wrote outside its buffers");
    }
  }
  inertia_optimizer_destroy(opt);
}

/// inertia_optimizer_step_storage: any allowed or refused combination of
/// types, master weights and rounding, over one arena of float32-aligned words.
/// Whether a call is valid is the library's to say here; the fuzzer checks
/// that a refused call writes nothing and leaves a message, and that an
/// accepted one writes only inside the buffers it was given to write.
void fuzz_storage(FuzzedDataProvider& in) {
  inertia_optimizer* opt = nullptr;
  const std::size_t variants = inertia_variant_count();
  if (inertia_optimizer_create(inertia_variant_name(in.ConsumeIntegralInRange<std::size_t>(0, variants - 1)), &opt) !=
      INERTIA_OK)
    violation("a registered variant could not be created");
  const inertia_dtype dtypes[] = {INERTIA_FLOAT32, INERTIA_FLOAT64, INERTIA_BFLOAT16, INERTIA_FLOAT16};
  const inertia_master_weights masters[] = {INERTIA_MASTER_NONE, INERTIA_MASTER_FLOAT32, INERTIA_MASTER_SPLIT};
  inertia_storage storage{};
  storage.param_dtype = dtypes[in.ConsumeIntegralInRange<int>(0, 3)];
  storage.grad_dtype = in.ConsumeBool() ? storage.param_dtype : dtypes[in.ConsumeIntegralInRange<int>(0, 3)];
  storage.state_dtype = in.ConsumeBool() ? INERTIA_BFLOAT16 : dtypes[in.ConsumeIntegralInRange<int>(0, 3)];
  storage.master_weights = masters[in.ConsumeIntegralInRange<int>(0, 2)];
  storage.rounding = in.ConsumeBool() ? INERTIA_ROUND_STOCHASTIC : INERTIA_ROUND_NEAREST_EVEN;
  storage.seed = in.ConsumeIntegral<std::uint64_t>();
  const std::size_t state_count = inertia_optimizer_state_count(opt);
  const bool reads_grad = std::strcmp(inertia_optimizer_variant(opt), "weight_ema") != 0;
  const auto width = [](inertia_dtype t) -> std::size_t { return t == INERTIA_FLOAT64 ? 8 : t == INERTIA_FLOAT32 ? 4 : 2; };
  struct range {
    std::size_t begin, bytes;
    bool written;
  };
  std::vector<range> used;
  std::vector<std::uint64_t> arena(arena_elements);  // 8-byte words: every buffer is aligned to its element
  auto* base = reinterpret_cast<unsigned char*>(arena.data());
  const std::size_t arena_bytes = arena.size() * sizeof(std::uint64_t);
  const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, 3);
  inertia_tensor tensors[3] = {};
  void* master[3] = {};
  for (std::size_t t = 0; t < count; ++t) {
    const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 300);
    tensors[t].size = n;
    const auto place = [&](bool present, std::size_t element_bytes, bool written) -> void* {
      if (!present) return nullptr;
      const std::size_t bytes = n * element_bytes;
      const std::size_t at = 8 * in.ConsumeIntegralInRange<std::size_t>(0, (arena_bytes - bytes) / 8);
      used.push_back({at, bytes, written});
      return base + at;
    };
    const int nulls = in.ConsumeIntegralInRange<int>(0, 15);  // mostly all present
    tensors[t].param = place(nulls != 1, width(storage.param_dtype), reads_grad);
    tensors[t].grad = place(reads_grad ? nulls != 2 : nulls == 2, width(storage.grad_dtype), false);
    for (std::size_t j = 0; j < INERTIA_MAX_STATE; ++j)
      tensors[t].state[j] = place(j < state_count ? !(nulls == 3 && j == 0) : (nulls == 4 && j == state_count),
                                  width(storage.state_dtype), true);
    master[t] = place(nulls != 5, storage.master_weights == INERTIA_MASTER_FLOAT32 ? 4 : 2, true);
  }
  const bool master_array = in.ConsumeBool();
  const long long step = in.ConsumeBool() ? in.ConsumeIntegralInRange<long long>(1, 1000)
                                          : in.ConsumeIntegralInRange<long long>(-1, 0);
  const std::vector<std::uint8_t> pattern = in.ConsumeRemainingBytes<std::uint8_t>();
  if (!pattern.empty())
    for (std::size_t i = 0; i < arena_bytes; ++i) base[i] = pattern[i % pattern.size()];
  const std::vector<std::uint64_t> before = arena;
  inertia_step_report report{};
  const inertia_status status = inertia_optimizer_step_storage(opt, &storage, count ? tensors : nullptr,
                                                               master_array ? master : nullptr, count, step, nullptr,
                                                               &report);
  const auto* old = reinterpret_cast<const unsigned char*>(before.data());
  if (status != INERTIA_OK) {
    if (std::memcmp(base, old, arena_bytes) != 0) violation("a rejected storage step wrote to a buffer");
    if (inertia_last_error()[0] == '\0') violation("a rejected storage step left no message");
  } else {
    for (std::size_t i = 0; i < arena_bytes; ++i) {
      bool owned = false;
      for (const range& r : used) owned |= r.written && i >= r.begin && i < r.begin + r.bytes;
      if (!owned && base[i] != old[i]) violation("a storage step wrote outside its buffers");
    }
  }
  inertia_optimizer_destroy(opt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 6)) {
    case 0: fuzz_one<float>(in); break;
    case 1: fuzz_one<double>(in); break;
    case 2: fuzz_generic<float>(in, INERTIA_FLOAT32); break;
    case 3: fuzz_generic<double>(in, INERTIA_FLOAT64); break;
    case 4: fuzz_generic<std::uint16_t>(in, INERTIA_BFLOAT16); break;  // half storage: 16-bit elements
    case 5: fuzz_generic<std::uint16_t>(in, INERTIA_FLOAT16); break;
    default: fuzz_storage(in); break;  // mixed storage, master weights, stochastic rounding
  }
  return 0;
}
