// libFuzzer target: drives the C ABI (SGD, Sutskever, EMA, look-ahead, QHM,
// Lion, LARS) with arbitrary lengths, pointer offsets (overlapping or not),
// null pointers, targets, thread counts and hyperparameters (NaN, Inf,
// negative, huge), and checks, besides the sanitizers' own checks:
//   - a rejected call writes nothing anywhere in the arena;
//   - an accepted call writes only the buffers it owns;
//   - a call is accepted only if its buffers are disjoint and its
//     hyperparameters are finite and in range (an independent oracle).
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
  static const char* const archs[] = {"scalar", "sse2", "avx2", "avx512f", "auto", "bogus"};
  inertia_set_arch(archs[in.ConsumeIntegralInRange<int>(0, 5)]);
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool())
    fuzz_one<float>(in);
  else
    fuzz_one<double>(in);
  return 0;
}
