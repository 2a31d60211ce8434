// libFuzzer target: drives the C ABI with arbitrary lengths, pointer offsets
// (overlapping or not), null pointers, targets, thread counts and
// hyperparameters (NaN, Inf, negative, huge), and checks, besides the
// sanitizers' own checks:
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

template <class T>
void fuzz_one(FuzzedDataProvider& in) {
  std::vector<T> arena(arena_elements);
  for (T& x : arena) x = static_cast<T>(in.ConsumeFloatingPoint<double>());

  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
  const std::size_t limit = arena_elements - n;
  const std::size_t param = in.ConsumeIntegralInRange<std::size_t>(0, limit);
  const std::size_t grad = in.ConsumeIntegralInRange<std::size_t>(0, limit);
  const std::size_t state = in.ConsumeIntegralInRange<std::size_t>(0, limit);
  const int nulls = in.ConsumeIntegralInRange<int>(0, 7);  // bit k: pointer k is null
  const double lr = in.ConsumeFloatingPoint<double>(), momentum = in.ConsumeFloatingPoint<double>();
  const double dampening = in.ConsumeProbability<double>() * 1.5, weight_decay = in.ConsumeFloatingPoint<double>();
  const bool nesterov = in.ConsumeBool(), maximize = in.ConsumeBool(), first = in.ConsumeBool();
  static const char* const archs[] = {"scalar", "sse2", "avx2", "avx512f", "auto", "bogus"};
  inertia_set_arch(archs[in.ConsumeIntegralInRange<int>(0, 5)]);
  inertia_set_num_threads(in.ConsumeIntegralInRange<int>(0, 3));
  const int function = in.ConsumeIntegralInRange<int>(0, 3);

  T* base = arena.data();
  T* p = (nulls & 1) ? nullptr : base + param;
  const T* g = (nulls & 2) ? nullptr : base + grad;
  T* s = (nulls & 4) ? nullptr : base + state;
  const std::vector<T> before = arena;

  inertia_status status = INERTIA_OK;
  bool uses_state = true, valid = true;
  const bool lr_ok = std::isfinite(lr) && lr >= 0.0;
  if constexpr (sizeof(T) == 4) {
    switch (function) {
      case 0: {
        const inertia_sgd_options o{lr, momentum, dampening, weight_decay, nesterov, maximize};
        status = inertia_sgd_step_f32(p, g, s, n, &o, first);
        uses_state = momentum != 0.0;
        valid = lr_ok && coefficient_in_range(momentum) && dampening <= 1.0 && std::isfinite(weight_decay) &&
                weight_decay >= 0.0 && (!nesterov || (momentum > 0.0 && dampening == 0.0));
        break;
      }
      case 1:
        status = inertia_sutskever_step_f32(p, g, s, n, lr, momentum, nesterov);
        uses_state = momentum != 0.0;
        valid = lr_ok && coefficient_in_range(momentum) && (!nesterov || momentum > 0.0);
        break;
      case 2:
        status = inertia_ema_step_f32(p, g, s, n, lr, momentum, maximize, first ? 1 : 0);
        valid = lr_ok && coefficient_in_range(momentum) && (!maximize || first);
        break;
      default:
        status = inertia_nesterov_lookahead_f32(p, g, s, n, momentum);
        valid = coefficient_in_range(momentum);
        break;
    }
  } else {
    switch (function) {
      case 0: {
        const inertia_sgd_options o{lr, momentum, dampening, weight_decay, nesterov, maximize};
        status = inertia_sgd_step_f64(p, g, s, n, &o, first);
        uses_state = momentum != 0.0;
        valid = lr_ok && coefficient_in_range(momentum) && dampening <= 1.0 && std::isfinite(weight_decay) &&
                weight_decay >= 0.0 && (!nesterov || (momentum > 0.0 && dampening == 0.0));
        break;
      }
      case 1:
        status = inertia_sutskever_step_f64(p, g, s, n, lr, momentum, nesterov);
        uses_state = momentum != 0.0;
        valid = lr_ok && coefficient_in_range(momentum) && (!nesterov || momentum > 0.0);
        break;
      case 2:
        status = inertia_ema_step_f64(p, g, s, n, lr, momentum, maximize, first ? 1 : 0);
        valid = lr_ok && coefficient_in_range(momentum) && (!maximize || first);
        break;
      default:
        status = inertia_nesterov_lookahead_f64(p, g, s, n, momentum);
        valid = coefficient_in_range(momentum);
        break;
    }
  }
  // Which pointers the call reads or writes, and whether any pair overlaps.
  const bool writes_param = function != 3;
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
