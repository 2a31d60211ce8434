// The C ABI (include/inertia/inertia.h) over the C++ API. Each entry point
// checks its pointers (the C++ API takes spans, which cannot say "NULL"),
// calls the C++ function, and turns every exception into a status plus a
// thread-local message: nothing may unwind into C.
#include "inertia/inertia.h"  // first: it must compile on its own, as C++ too

#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "inertia/adam.hpp"
#include "inertia/half.hpp"
#include "inertia/aggmo.hpp"
#include "inertia/arch.hpp"
#include "inertia/demon.hpp"
#include "inertia/ema.hpp"
#include "inertia/error.hpp"
#include "inertia/execution.hpp"
#include "inertia/heavy_ball.hpp"
#include "inertia/lars.hpp"
#include "inertia/lion.hpp"
#include "inertia/lookahead.hpp"
#include "inertia/schedule_free.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/qhm.hpp"
#include "inertia/signum.hpp"
#include "inertia/step_policy.hpp"
#include "inertia/sutskever.hpp"
#include "inertia/version.hpp"
#include "inertia/weight_ema.hpp"
#include "registry/optimizer.hpp"

namespace {

// Per thread, as errno is: a failure on one thread must not overwrite the
// message another thread is about to read.
thread_local std::string last_error_message;

// inertia_set_num_threads: process-wide, read by every call (the C ABI has no
// per-call execution argument).
std::atomic<int> default_threads{0};

inertia::execution current_execution() noexcept {
  inertia::execution exec;
  exec.threads = default_threads.load(std::memory_order_relaxed);
  return exec;
}

inertia_status status_of(inertia::error_kind kind) noexcept {
  switch (kind) {
    case inertia::error_kind::null_pointer: return INERTIA_ERROR_NULL_POINTER;
    case inertia::error_kind::length: return INERTIA_ERROR_LENGTH;
    case inertia::error_kind::overlap: return INERTIA_ERROR_OVERLAP;
    case inertia::error_kind::hyperparameter: return INERTIA_ERROR_HYPERPARAMETER;
    case inertia::error_kind::unknown_name: return INERTIA_ERROR_UNKNOWN_NAME;
    case inertia::error_kind::wrong_kind: return INERTIA_ERROR_WRONG_KIND;
    case inertia::error_kind::unused_state: return INERTIA_ERROR_UNUSED_STATE;
    case inertia::error_kind::dtype: return INERTIA_ERROR_DTYPE;
  }
  return INERTIA_ERROR_INTERNAL;
}

inertia_status record(const char* function, inertia_status status, const std::string& detail) noexcept {
  try {
    last_error_message.assign(function).append(": ").append(detail);
  } catch (...) {
    // No memory for the message: keep the status, drop the text.
    last_error_message.clear();
  }
  return status;
}

// Runs body(); every exception becomes a status and this thread's message.
template <class Body>
inertia_status guarded(const char* function, Body&& body) noexcept {
  try {
    body();
    return INERTIA_OK;
  } catch (const inertia::invalid_argument& e) {
    return record(function, status_of(e.kind()), "invalid " + e.argument() + ": " + e.what());
  } catch (const std::exception& e) {
    return record(function, INERTIA_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return record(function, INERTIA_ERROR_INTERNAL, "internal error: unknown exception");
  }
}

[[noreturn]] void fail_null(const std::string& argument, const std::string& why) {
  throw inertia::invalid_argument(inertia::error_kind::null_pointer, argument, argument + " is NULL" + why);
}

// A pointer to `length` elements: NULL is fine only when there is nothing there.
void require_data(const char* name, const void* pointer, std::size_t length) {
  if (pointer == nullptr && length != 0) fail_null(name, " but n = " + std::to_string(length));
}

// An array of `count` pointers or sizes: NULL is fine only when count is 0.
void require_array(const char* name, const void* array, const char* count_name, std::size_t count) {
  if (array == nullptr && count != 0)
    fail_null(name, std::string(" but ") + count_name + " = " + std::to_string(count));
}

void require_options(const void* options) {
  if (options == nullptr) fail_null("options", "");
}

// param, grad and a state buffer that the variant always needs (state_name:
// the C argument's name, e.g. "velocity"), checked and as the C++ API's spans.
template <class T>
inertia::velocity_tensor<T> required_state_tensor(T* param, const T* grad, const char* state_name, T* state,
                                                  std::size_t n) {
  require_data("param", param, n);
  require_data("grad", grad, n);
  require_data(state_name, state, n);
  return {std::span<T>(param, n), std::span<const T>(grad, n), std::span<T>(state, n)};
}

// A C caller may pass any int where the header says enum, but in C++ reading
// an enum object whose value lies outside its enumerators' range is undefined
// (UBSan rejects it): read the bits as the int they are.
template <class Enum>
int int_value_of(const Enum& value) noexcept {
  static_assert(sizeof(Enum) == sizeof(int));
  int out;
  std::memcpy(&out, &value, sizeof out);
  return out;
}

[[noreturn]] void fail_enum(const char* argument, int value, const char* type) {
  throw inertia::invalid_argument(inertia::error_kind::hyperparameter, argument,
                                  std::string(argument) + " = " + std::to_string(value) + " is not an " + type +
                                      " value");
}

// The C calls' older step conventions as the C++ API's t (1-based): SGD's
// first_step flag (any t > 1 is an ordinary step), and EMA's step, which the
// C ABI lets be anything when bias correction is off (it is not read then).
std::int64_t c_step(int first_step) noexcept { return first_step != 0 ? 1 : 2; }
std::int64_t c_ema_step(int bias_correction, long long step) noexcept {
  return bias_correction == 0 && step < 1 ? 1 : static_cast<std::int64_t>(step);
}

inertia::step_policy policy_of(const inertia_step_policy& policy) noexcept {
  inertia::step_policy out;
  out.grad_scale = policy.grad_scale;
  out.skip_non_finite = policy.skip_non_finite != 0;
  out.clip_value = policy.clip_value;
  out.max_norm = policy.max_norm;
  out.flush_denormals = policy.flush_denormals != 0;
  return out;
}

inertia_step_report report_of(const inertia::step_report& report) noexcept {
  return {report.skipped ? 1 : 0, report.grad_norm};
}

inertia::heavy_ball_numerics numerics_of(const inertia_sgd_numerics& numerics) {
  switch (int_value_of(numerics)) {
    case INERTIA_SGD_NUMERICS_PYTORCH_LOOP: return inertia::heavy_ball_numerics::pytorch_loop;
    case INERTIA_SGD_NUMERICS_PYTORCH_FUSED: return inertia::heavy_ball_numerics::pytorch_fused;
  }
  fail_enum("numerics", int_value_of(numerics), "inertia_sgd_numerics");
}

inertia::weight_ema_rounding rounding_of(const inertia_weight_ema_rounding& rounding) {
  switch (int_value_of(rounding)) {
    case INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP: return inertia::weight_ema_rounding::torch_lerp;
    case INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD: return inertia::weight_ema_rounding::mul_add;
  }
  fail_enum("rounding", int_value_of(rounding), "inertia_weight_ema_rounding");
}

inertia::heavy_ball_options heavy_ball_options_of(const inertia_sgd_options& o, const inertia_sgd_numerics& numerics) {
  inertia::heavy_ball_options options;
  options.lr = o.lr;
  options.momentum = o.momentum;
  options.dampening = o.dampening;
  options.weight_decay = o.weight_decay;
  options.nesterov = o.nesterov != 0;
  options.maximize = o.maximize != 0;
  options.numerics = numerics_of(numerics);
  return options;
}

// The buffer is state only when momentum is on; otherwise it may be NULL and is not touched.
bool uses_momentum_buffer(const inertia_sgd_options& o) noexcept { return o.momentum != 0.0; }

template <class T>
inertia_status sgd_step(const char* function, T* param, const T* grad, T* momentum_buffer, std::size_t n,
                        const inertia_sgd_options* options, int first_step,
                        const inertia_sgd_numerics& numerics) noexcept {
  return guarded(function, [&] {
    require_options(options);
    require_data("param", param, n);
    require_data("grad", grad, n);
    const bool buffered = uses_momentum_buffer(*options);
    if (buffered) require_data("momentum_buffer", momentum_buffer, n);
    inertia::heavy_ball_step(std::span<T>(param, n), std::span<const T>(grad, n),
                             buffered ? std::span<T>(momentum_buffer, n) : std::span<T>(),
                             heavy_ball_options_of(*options, numerics), c_step(first_step), {}, current_execution());
  });
}

template <class T>
inertia_status sgd_step_multi(const char* function, T* const* params, const T* const* grads, T* const* buffers,
                              const std::size_t* sizes, std::size_t count, const inertia_sgd_options* options,
                              int first_step, const inertia_sgd_numerics& numerics,
                              const inertia_step_policy* policy = nullptr, inertia_step_report* report = nullptr) noexcept {
  return guarded(function, [&] {
    require_options(options);
    const bool buffered = uses_momentum_buffer(*options);
    require_array("sizes", sizes, "count", count);
    require_array("params", params, "count", count);
    require_array("grads", grads, "count", count);
    if (buffered) require_array("buffers", buffers, "count", count);
    const auto require_element = [&](const char* name, std::size_t i, const void* element) {
      if (element == nullptr && sizes[i] != 0)
        fail_null(std::string(name) + "[" + std::to_string(i) + "]",
                  " but sizes[" + std::to_string(i) + "] = " + std::to_string(sizes[i]));
    };
    std::vector<inertia::heavy_ball_tensor<T>> tensors(count);
    for (std::size_t i = 0; i < count; ++i) {
      require_element("params", i, params[i]);
      require_element("grads", i, grads[i]);
      if (buffered) require_element("buffers", i, buffers[i]);
      tensors[i].param = std::span<T>(params[i], sizes[i]);
      tensors[i].grad = std::span<const T>(grads[i], sizes[i]);
      if (buffered) tensors[i].momentum_buffer = std::span<T>(buffers[i], sizes[i]);
    }
    inertia::heavy_ball_group<T> group;
    group.options = heavy_ball_options_of(*options, numerics);
    group.tensors = tensors;
    group.step = first_step != 0 ? 0 : 1;  // step 0 is PyTorch's first step: the buffers are initialised
    const auto groups = std::span<inertia::heavy_ball_group<T>>(&group, 1);
    if (policy == nullptr) {
      inertia::heavy_ball_step(groups, {}, current_execution());
      return;
    }
    const inertia::step_report outcome = inertia::heavy_ball_step(groups, policy_of(*policy), current_execution());
    if (report != nullptr) *report = report_of(outcome);
  });
}

template <class T>
inertia_status sutskever_step(const char* function, T* param, const T* grad, T* velocity, std::size_t n, double lr,
                              double momentum, int nesterov) noexcept {
  return guarded(function, [&] {
    require_data("param", param, n);
    require_data("grad", grad, n);
    // Keras keeps no velocity without momentum; neither does the C++ API.
    const bool has_velocity = momentum != 0.0;
    if (has_velocity) require_data("velocity", velocity, n);
    inertia::sutskever_options options;
    options.lr = lr;
    options.momentum = momentum;
    options.nesterov = nesterov != 0;
    inertia::sutskever_step(std::span<T>(param, n), std::span<const T>(grad, n),
                            has_velocity ? std::span<T>(velocity, n) : std::span<T>(), options, 1, {},
                            current_execution());
  });
}

template <class T>
inertia_status ema_step(const char* function, T* param, const T* grad, T* velocity, std::size_t n, double lr,
                        double beta, int bias_correction, long long step) noexcept {
  return guarded(function, [&] {
    require_data("param", param, n);
    require_data("grad", grad, n);
    require_data("velocity", velocity, n);
    inertia::ema_options options;
    options.lr = lr;
    options.beta = beta;
    options.bias_correction = bias_correction != 0;
    inertia::ema_step(std::span<T>(param, n), std::span<const T>(grad, n), std::span<T>(velocity, n), options,
                      c_ema_step(bias_correction, step), {}, current_execution());
  });
}

template <class T>
inertia_status nesterov_lookahead(const char* function, const T* param, const T* velocity, T* lookahead, std::size_t n,
                                  double momentum) noexcept {
  return guarded(function, [&] {
    require_data("param", param, n);
    require_data("velocity", velocity, n);
    require_data("lookahead", lookahead, n);
    inertia::nesterov_lookahead(std::span<const T>(param, n), std::span<const T>(velocity, n), momentum,
                                std::span<T>(lookahead, n), current_execution());
  });
}

template <class T>
inertia_status schedule_free_swap(const char* function, T* param, const T* z, std::size_t n, double beta,
                                  bool to_eval) noexcept {
  return guarded(function, [&] {
    require_data("param", param, n);
    require_data("z", z, n);
    const std::span<T> p(param, n);
    const std::span<const T> zs(z, n);
    to_eval ? inertia::schedule_free_eval(p, zs, beta, current_execution())
            : inertia::schedule_free_train(p, zs, beta, current_execution());
  });
}

// The C options structs as the C++ API's, member by member.
inertia::qhm_options options_of(const inertia_qhm_options& o) {
  return {.lr = o.lr, .nu = o.nu, .beta = o.beta, .weight_decay = o.weight_decay};
}

inertia::lion_options options_of(const inertia_lion_options& o) {
  return {.lr = o.lr, .beta1 = o.beta1, .beta2 = o.beta2, .weight_decay = o.weight_decay};
}

inertia::lars_options options_of(const inertia_lars_options& o) {
  return {.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay, .eta = o.eta};
}

inertia::adam_options options_of(const inertia_adam_options& o) {
  return {.lr = o.lr,
          .beta1 = o.beta1,
          .beta2 = o.beta2,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .amsgrad = o.amsgrad != 0,
          .maximize = o.maximize != 0,
          .decoupled_weight_decay = o.decoupled_weight_decay != 0,
          // An integer outside the enumerators is rejected by the step's checks, naming numerics.
          .numerics = static_cast<inertia::adam_numerics>(o.numerics)};
}

// NAdam takes inertia_adam_numerics' values; torch has no fused NAdam.
inertia::nadam_numerics nadam_numerics_of(int numerics) {
  switch (numerics) {
    case INERTIA_ADAM_NUMERICS_PYTORCH_LOOP: return inertia::nadam_numerics::pytorch_loop;
    case INERTIA_ADAM_NUMERICS_PYTORCH_FOREACH: return inertia::nadam_numerics::pytorch_foreach;
    case INERTIA_ADAM_NUMERICS_PYTORCH_1_13: return inertia::nadam_numerics::pytorch_1_13;
    case INERTIA_ADAM_NUMERICS_PYTORCH_FUSED:
      throw inertia::invalid_argument(inertia::error_kind::hyperparameter, "numerics",
                                      "numerics = INERTIA_ADAM_NUMERICS_PYTORCH_FUSED: torch has no fused NAdam");
  }
  fail_enum("numerics", numerics, "inertia_adam_numerics");
}

inertia::nadam_options options_of(const inertia_nadam_options& o) {
  return {.lr = o.lr,
          .beta1 = o.beta1,
          .beta2 = o.beta2,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .momentum_decay = o.momentum_decay,
          .decoupled_weight_decay = o.decoupled_weight_decay != 0,
          .maximize = o.maximize != 0,
          .numerics = nadam_numerics_of(o.numerics)};
}

// A step that takes an options struct and one state buffer it always needs
// (QHM, Lion, LARS). step is the C++ entry point, called as
// step(param, grad, state, options, exec).
template <class T, class COptions, class Step>
inertia_status options_state_step(const char* function, T* param, const T* grad, const char* state_name, T* state,
                                  std::size_t n, const COptions* options, Step step) noexcept {
  return guarded(function, [&] {
    require_options(options);
    const auto t = required_state_tensor(param, grad, state_name, state, n);
    step(t.param, t.grad, t.velocity, options_of(*options), 1, inertia::step_policy{}, current_execution());
  });
}

// Overload sets of the C++ API as objects that options_state_step can take.
constexpr auto qhm_step = [](const auto&... arguments) { return inertia::qhm_step(arguments...); };
constexpr auto lion_step = [](const auto&... arguments) { return inertia::lion_step(arguments...); };
constexpr auto lars_step = [](const auto&... arguments) { return inertia::lars_step(arguments...); };

template <class T>
inertia_status aggmo_step(const char* function, T* param, const T* grad, T* const* velocities, std::size_t n,
                          double lr, const double* betas, std::size_t k, double weight_decay) noexcept {
  return guarded(function, [&] {
    require_data("param", param, n);
    require_data("grad", grad, n);
    require_array("velocities", velocities, "k", k);
    require_array("betas", betas, "k", k);
    std::vector<std::span<T>> velocity_spans(k);
    for (std::size_t i = 0; i < k; ++i) {
      require_data(("velocities[" + std::to_string(i) + "]").c_str(), velocities[i], n);
      velocity_spans[i] = std::span<T>(velocities[i], n);
    }
    // k == 0 gives empty betas, which the C++ API refuses.
    const inertia::aggmo_options o{.lr = lr, .betas = std::span<const double>(betas, k), .weight_decay = weight_decay};
    inertia::aggmo_step(std::span<T>(param, n), std::span<const T>(grad, n),
                        std::span<const std::span<T>>(velocity_spans), o, 1, {}, current_execution());
  });
}

template <class T>
inertia_status signum_step(const char* function, T* param, const T* grad, T* velocity, std::size_t n, double lr,
                           double beta) noexcept {
  return guarded(function, [&] {
    const auto t = required_state_tensor(param, grad, "velocity", velocity, n);
    inertia::signum_step(t.param, t.grad, t.velocity, {.lr = lr, .beta = beta}, 1, {}, current_execution());
  });
}

// param, grad and Adam's two moments, checked, as the C++ API's tensor
// (max_exp_avg_sq left empty).
template <class T>
inertia::adam_tensor<T> moment_tensor(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, std::size_t n) {
  require_data("param", param, n);
  require_data("grad", grad, n);
  require_data("exp_avg", exp_avg, n);
  require_data("exp_avg_sq", exp_avg_sq, n);
  return {.param = std::span<T>(param, n),
          .grad = std::span<const T>(grad, n),
          .exp_avg = std::span<T>(exp_avg, n),
          .exp_avg_sq = std::span<T>(exp_avg_sq, n)};
}

template <class T>
inertia_status adam_step(const char* function, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                         std::size_t n, const inertia_adam_options* options, long long step) noexcept {
  return guarded(function, [&] {
    require_options(options);
    inertia::adam_tensor<T> tensor = moment_tensor(param, grad, exp_avg, exp_avg_sq, n);
    // Without amsgrad the buffer is not state: it may be NULL and is not touched.
    if (options->amsgrad != 0) {
      require_data("max_exp_avg_sq", max_exp_avg_sq, n);
      tensor.max_exp_avg_sq = std::span<T>(max_exp_avg_sq, n);
    }
    inertia::adam_step(tensor, options_of(*options), static_cast<std::int64_t>(step), {}, current_execution());
  });
}

template <class T>
inertia_status nadam_step(const char* function, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, std::size_t n,
                          const inertia_nadam_options* options, long long step, float* mu_product) noexcept {
  return guarded(function, [&] {
    require_options(options);
    if (mu_product == nullptr) fail_null("mu_product", "");
    const inertia::adam_tensor<T> tensor = moment_tensor(param, grad, exp_avg, exp_avg_sq, n);
    // Advanced by the C++ call only when it succeeds.
    inertia::nadam_step(tensor, options_of(*options), static_cast<std::int64_t>(step), *mu_product, {},
                        current_execution());
  });
}

template <class T>
inertia_status weight_ema_step(const char* function, T* average, const T* param, std::size_t n, double decay,
                               int warmup, const inertia_weight_ema_rounding& rounding, long long updates) noexcept {
  return guarded(function, [&] {
    require_data("average", average, n);
    require_data("param", param, n);
    const inertia::weight_ema_options o{.decay = decay, .warmup = warmup != 0, .rounding = rounding_of(rounding)};
    if (updates < 0)
      throw inertia::invalid_argument(inertia::error_kind::hyperparameter, "updates",
                                      "updates = " + std::to_string(updates) +
                                          " must be >= 0 (the earlier updates of this average)");
    inertia::weight_ema_step(std::span<T>(average, n), std::span<const T>(param, n), o,
                             static_cast<std::int64_t>(updates) + 1, {}, current_execution());
  });
}

}  // namespace

extern "C" {

const char* inertia_status_string(inertia_status status) {
  switch (int_value_of(status)) {
    case INERTIA_OK: return "ok";
    case INERTIA_ERROR_NULL_POINTER: return "null pointer";
    case INERTIA_ERROR_LENGTH: return "length mismatch";
    case INERTIA_ERROR_OVERLAP: return "overlapping buffers";
    case INERTIA_ERROR_HYPERPARAMETER: return "invalid hyperparameter";
    case INERTIA_ERROR_INTERNAL: return "internal error";
    case INERTIA_ERROR_UNKNOWN_NAME: return "unknown name";
    case INERTIA_ERROR_WRONG_KIND: return "wrong kind of value for the key";
    case INERTIA_ERROR_UNUSED_STATE: return "state buffer the variant does not use";
    case INERTIA_ERROR_DTYPE: return "unknown dtype";
  }
  return "unknown status";
}

const char* inertia_last_error(void) { return last_error_message.c_str(); }

const char* inertia_version(void) { return INERTIA_VERSION_STRING; }

void inertia_set_num_threads(int threads) {
  default_threads.store(threads > 0 ? threads : 0, std::memory_order_relaxed);
}

int inertia_set_arch(const char* name) {
  return guarded("inertia_set_arch", [&] {
    if (name == nullptr) fail_null("name", "");
    const std::string_view requested(name);
    if (requested == "auto")
      inertia::reset_arch();
    else
      inertia::set_arch(inertia::parse_arch(requested));
  });
}

const char* inertia_arch(void) {
  // arch_name() views string literals, so data() is NUL-terminated.
  return inertia::arch_name(inertia::active_arch()).data();
}

inertia_status inertia_sgd_step_f32(float* param, const float* grad, float* momentum_buffer, size_t n,
                                    const inertia_sgd_options* options, int first_step) {
  return sgd_step("inertia_sgd_step_f32", param, grad, momentum_buffer, n, options, first_step,
                  INERTIA_SGD_NUMERICS_PYTORCH_LOOP);
}

inertia_status inertia_sgd_step_f64(double* param, const double* grad, double* momentum_buffer, size_t n,
                                    const inertia_sgd_options* options, int first_step) {
  return sgd_step("inertia_sgd_step_f64", param, grad, momentum_buffer, n, options, first_step,
                  INERTIA_SGD_NUMERICS_PYTORCH_LOOP);
}

inertia_status inertia_sgd_step_ex_f32(float* param, const float* grad, float* momentum_buffer, size_t n,
                                       const inertia_sgd_options* options, int first_step,
                                       inertia_sgd_numerics numerics) {
  return sgd_step("inertia_sgd_step_ex_f32", param, grad, momentum_buffer, n, options, first_step, numerics);
}

inertia_status inertia_sgd_step_ex_f64(double* param, const double* grad, double* momentum_buffer, size_t n,
                                       const inertia_sgd_options* options, int first_step,
                                       inertia_sgd_numerics numerics) {
  return sgd_step("inertia_sgd_step_ex_f64", param, grad, momentum_buffer, n, options, first_step, numerics);
}

inertia_status inertia_sgd_step_multi_f32(float* const* params, const float* const* grads, float* const* buffers,
                                          const size_t* sizes, size_t count, const inertia_sgd_options* options,
                                          int first_step) {
  return sgd_step_multi("inertia_sgd_step_multi_f32", params, grads, buffers, sizes, count, options, first_step,
                        INERTIA_SGD_NUMERICS_PYTORCH_LOOP);
}

inertia_status inertia_sgd_step_multi_f64(double* const* params, const double* const* grads, double* const* buffers,
                                          const size_t* sizes, size_t count, const inertia_sgd_options* options,
                                          int first_step) {
  return sgd_step_multi("inertia_sgd_step_multi_f64", params, grads, buffers, sizes, count, options, first_step,
                        INERTIA_SGD_NUMERICS_PYTORCH_LOOP);
}

inertia_status inertia_sgd_step_multi_ex_f32(float* const* params, const float* const* grads, float* const* buffers,
                                             const size_t* sizes, size_t count, const inertia_sgd_options* options,
                                             int first_step, inertia_sgd_numerics numerics) {
  return sgd_step_multi("inertia_sgd_step_multi_ex_f32", params, grads, buffers, sizes, count, options, first_step,
                        numerics);
}

inertia_status inertia_sgd_step_multi_ex_f64(double* const* params, const double* const* grads, double* const* buffers,
                                             const size_t* sizes, size_t count, const inertia_sgd_options* options,
                                             int first_step, inertia_sgd_numerics numerics) {
  return sgd_step_multi("inertia_sgd_step_multi_ex_f64", params, grads, buffers, sizes, count, options, first_step,
                        numerics);
}

inertia_status inertia_sgd_step_multi_policy_f32(float* const* params, const float* const* grads, float* const* buffers,
                                                const size_t* sizes, size_t count, const inertia_sgd_options* options,
                                                int first_step, inertia_sgd_numerics numerics,
                                                const inertia_step_policy* policy, inertia_step_report* report) {
  if (policy == nullptr)
    return record("inertia_sgd_step_multi_policy_f32", INERTIA_ERROR_NULL_POINTER, "invalid policy: policy is null");
  return sgd_step_multi("inertia_sgd_step_multi_policy_f32", params, grads, buffers, sizes, count, options, first_step,
                        numerics, policy, report);
}

inertia_status inertia_sgd_step_multi_policy_f64(double* const* params, const double* const* grads,
                                                double* const* buffers, const size_t* sizes, size_t count,
                                                const inertia_sgd_options* options, int first_step,
                                                inertia_sgd_numerics numerics, const inertia_step_policy* policy,
                                                inertia_step_report* report) {
  if (policy == nullptr)
    return record("inertia_sgd_step_multi_policy_f64", INERTIA_ERROR_NULL_POINTER, "invalid policy: policy is null");
  return sgd_step_multi("inertia_sgd_step_multi_policy_f64", params, grads, buffers, sizes, count, options, first_step,
                        numerics, policy, report);
}

inertia_status inertia_sutskever_step_f32(float* param, const float* grad, float* velocity, size_t n, double lr,
                                          double momentum, int nesterov) {
  return sutskever_step("inertia_sutskever_step_f32", param, grad, velocity, n, lr, momentum, nesterov);
}

inertia_status inertia_sutskever_step_f64(double* param, const double* grad, double* velocity, size_t n, double lr,
                                          double momentum, int nesterov) {
  return sutskever_step("inertia_sutskever_step_f64", param, grad, velocity, n, lr, momentum, nesterov);
}

inertia_status inertia_nesterov_lookahead_f32(const float* param, const float* velocity, float* lookahead, size_t n,
                                              double momentum) {
  return nesterov_lookahead("inertia_nesterov_lookahead_f32", param, velocity, lookahead, n, momentum);
}

inertia_status inertia_nesterov_lookahead_f64(const double* param, const double* velocity, double* lookahead, size_t n,
                                              double momentum) {
  return nesterov_lookahead("inertia_nesterov_lookahead_f64", param, velocity, lookahead, n, momentum);
}

inertia_status inertia_ema_step_f32(float* param, const float* grad, float* velocity, size_t n, double lr, double beta,
                                    int bias_correction, long long step) {
  return ema_step("inertia_ema_step_f32", param, grad, velocity, n, lr, beta, bias_correction, step);
}

inertia_status inertia_ema_step_f64(double* param, const double* grad, double* velocity, size_t n, double lr,
                                    double beta, int bias_correction, long long step) {
  return ema_step("inertia_ema_step_f64", param, grad, velocity, n, lr, beta, bias_correction, step);
}

inertia_status inertia_qhm_step_f32(float* param, const float* grad, float* velocity, size_t n,
                                    const inertia_qhm_options* options) {
  return options_state_step("inertia_qhm_step_f32", param, grad, "velocity", velocity, n, options, qhm_step);
}

inertia_status inertia_qhm_step_f64(double* param, const double* grad, double* velocity, size_t n,
                                    const inertia_qhm_options* options) {
  return options_state_step("inertia_qhm_step_f64", param, grad, "velocity", velocity, n, options, qhm_step);
}

inertia_status inertia_aggmo_step_f32(float* param, const float* grad, float* const* velocities, size_t n, double lr,
                                      const double* betas, size_t k, double weight_decay) {
  return aggmo_step("inertia_aggmo_step_f32", param, grad, velocities, n, lr, betas, k, weight_decay);
}

inertia_status inertia_aggmo_step_f64(double* param, const double* grad, double* const* velocities, size_t n,
                                      double lr, const double* betas, size_t k, double weight_decay) {
  return aggmo_step("inertia_aggmo_step_f64", param, grad, velocities, n, lr, betas, k, weight_decay);
}

inertia_status inertia_lion_step_f32(float* param, const float* grad, float* velocity, size_t n,
                                     const inertia_lion_options* options) {
  return options_state_step("inertia_lion_step_f32", param, grad, "velocity", velocity, n, options, lion_step);
}

inertia_status inertia_lion_step_f64(double* param, const double* grad, double* velocity, size_t n,
                                     const inertia_lion_options* options) {
  return options_state_step("inertia_lion_step_f64", param, grad, "velocity", velocity, n, options, lion_step);
}

inertia_status inertia_signum_step_f32(float* param, const float* grad, float* velocity, size_t n, double lr,
                                       double beta) {
  return signum_step("inertia_signum_step_f32", param, grad, velocity, n, lr, beta);
}

inertia_status inertia_signum_step_f64(double* param, const double* grad, double* velocity, size_t n, double lr,
                                       double beta) {
  return signum_step("inertia_signum_step_f64", param, grad, velocity, n, lr, beta);
}

inertia_status inertia_lars_step_f32(float* param, const float* grad, float* momentum_buffer, size_t n,
                                     const inertia_lars_options* options) {
  return options_state_step("inertia_lars_step_f32", param, grad, "momentum_buffer", momentum_buffer, n, options,
                            lars_step);
}

inertia_status inertia_lars_step_f64(double* param, const double* grad, double* momentum_buffer, size_t n,
                                     const inertia_lars_options* options) {
  return options_state_step("inertia_lars_step_f64", param, grad, "momentum_buffer", momentum_buffer, n, options,
                            lars_step);
}

inertia_status inertia_weight_ema_step_f32(float* average, const float* param, size_t n, double decay, int warmup,
                                           inertia_weight_ema_rounding rounding, long long updates) {
  return weight_ema_step("inertia_weight_ema_step_f32", average, param, n, decay, warmup, rounding, updates);
}

inertia_status inertia_weight_ema_step_f64(double* average, const double* param, size_t n, double decay, int warmup,
                                           inertia_weight_ema_rounding rounding, long long updates) {
  return weight_ema_step("inertia_weight_ema_step_f64", average, param, n, decay, warmup, rounding, updates);
}

inertia_status inertia_adam_step_f32(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                                     float* max_exp_avg_sq, size_t n, const inertia_adam_options* options,
                                     long long step) {
  return adam_step("inertia_adam_step_f32", param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, options, step);
}

inertia_status inertia_adam_step_f64(double* param, const double* grad, double* exp_avg, double* exp_avg_sq,
                                     double* max_exp_avg_sq, size_t n, const inertia_adam_options* options,
                                     long long step) {
  return adam_step("inertia_adam_step_f64", param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, options, step);
}

inertia_status inertia_nadam_step_f32(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, size_t n,
                                      const inertia_nadam_options* options, long long step, float* mu_product) {
  return nadam_step("inertia_nadam_step_f32", param, grad, exp_avg, exp_avg_sq, n, options, step, mu_product);
}

inertia_status inertia_nadam_step_f64(double* param, const double* grad, double* exp_avg, double* exp_avg_sq,
                                      size_t n, const inertia_nadam_options* options, long long step,
                                      float* mu_product) {
  return nadam_step("inertia_nadam_step_f64", param, grad, exp_avg, exp_avg_sq, n, options, step, mu_product);
}

inertia_status inertia_demon_momentum(double beta_init, long long step, long long total_steps, double* momentum) {
  return guarded("inertia_demon_momentum", [&] {
    if (momentum == nullptr) fail_null("momentum", "");
    *momentum = inertia::demon_momentum(beta_init, static_cast<std::int64_t>(step),
                                        static_cast<std::int64_t>(total_steps));
  });
}

// ---- The generic calls: every variant through one handle (registry/) ------

inertia_status inertia_optimizer_create(const char* variant, inertia_optimizer** out) {
  return guarded("inertia_optimizer_create", [&] {
    if (variant == nullptr) fail_null("variant", "");
    if (out == nullptr) fail_null("out", "");
    const inertia::detail::variant_entry* entry = inertia::detail::find_variant(variant);
    if (entry == nullptr) {
      std::string known;
      for (const auto* e : inertia::detail::registered_variants()) known += (known.empty() ? "" : ", ") + std::string(e->name);
      throw inertia::invalid_argument(inertia::error_kind::unknown_name, "variant",
                                      std::string("no variant \"") + variant + "\"; the variants are: " + known);
    }
    *out = entry->create();
  });
}

size_t inertia_variant_count(void) { return inertia::detail::registered_variants().size(); }

const char* inertia_variant_name(size_t index) {
  const auto variants = inertia::detail::registered_variants();
  return index < variants.size() ? variants[index]->name : nullptr;
}

void inertia_optimizer_destroy(inertia_optimizer* opt) { delete opt; }

const char* inertia_optimizer_variant(const inertia_optimizer* opt) { return opt != nullptr ? opt->variant() : ""; }

inertia_status inertia_optimizer_set(inertia_optimizer* opt, const char* key, double value) {
  return guarded("inertia_optimizer_set", [&] {
    if (opt == nullptr) fail_null("opt", "");
    if (key == nullptr) fail_null("key", "");
    opt->set(key, value);
  });
}

inertia_status inertia_optimizer_set_array(inertia_optimizer* opt, const char* key, const double* values,
                                           size_t count) {
  return guarded("inertia_optimizer_set_array", [&] {
    if (opt == nullptr) fail_null("opt", "");
    if (key == nullptr) fail_null("key", "");
    require_array("values", values, "count", count);
    opt->set_array(key, std::span<const double>(values, count));
  });
}

inertia_status inertia_optimizer_set_string(inertia_optimizer* opt, const char* key, const char* value) {
  return guarded("inertia_optimizer_set_string", [&] {
    if (opt == nullptr) fail_null("opt", "");
    if (key == nullptr) fail_null("key", "");
    if (value == nullptr) fail_null("value", "");
    opt->set_string(key, value);
  });
}

inertia_status inertia_optimizer_get(const inertia_optimizer* opt, const char* key, double* value) {
  return guarded("inertia_optimizer_get", [&] {
    if (opt == nullptr) fail_null("opt", "");
    if (key == nullptr) fail_null("key", "");
    if (value == nullptr) fail_null("value", "");
    *value = opt->get(key);
  });
}

size_t inertia_optimizer_state_count(const inertia_optimizer* opt) { return opt != nullptr ? opt->state_count() : 0; }

const char* inertia_optimizer_state_name(const inertia_optimizer* opt, size_t index) {
  return opt != nullptr ? opt->state_name(index) : nullptr;
}

int inertia_optimizer_elementwise(const inertia_optimizer* opt) {
  return opt != nullptr && opt->norm_pass_reads() == 0 ? 1 : 0;
}

inertia_status inertia_optimizer_step(inertia_optimizer* opt, inertia_dtype dtype, const inertia_tensor* tensors,
                                      size_t count, long long step, const inertia_step_policy* policy,
                                      inertia_step_report* report) {
  return guarded("inertia_optimizer_step", [&] {
    if (opt == nullptr) fail_null("opt", "");
    require_array("tensors", tensors, "count", count);
    const int type = int_value_of(dtype);
    if (type != INERTIA_FLOAT32 && type != INERTIA_FLOAT64 && type != INERTIA_BFLOAT16 && type != INERTIA_FLOAT16)
      throw inertia::invalid_argument(inertia::error_kind::dtype, "dtype",
                                      "dtype = " + std::to_string(type) + " is not an inertia_dtype value");
    const inertia::step_policy converted = policy != nullptr ? policy_of(*policy) : inertia::step_policy{};
    const inertia::step_report outcome = opt->step(dtype, std::span<const inertia_tensor>(tensors, count), step,
                                                   policy != nullptr ? &converted : nullptr, current_execution());
    if (report != nullptr) *report = report_of(outcome);
  });
}

inertia_status inertia_optimizer_step_storage(inertia_optimizer* opt, const inertia_storage* storage,
                                              const inertia_tensor* tensors, void* const* master, size_t count,
                                              long long step, const inertia_step_policy* policy,
                                              inertia_step_report* report) {
  return guarded("inertia_optimizer_step_storage", [&] {
    if (opt == nullptr) fail_null("opt", "");
    if (storage == nullptr) fail_null("storage", "");
    require_array("tensors", tensors, "count", count);
    inertia::detail::check_storage_values(
        inertia::detail::argument_checks("inertia_optimizer_step_storage", opt->variant()),
        int_value_of(storage->param_dtype), int_value_of(storage->grad_dtype), int_value_of(storage->state_dtype),
        int_value_of(storage->master_weights), int_value_of(storage->rounding));
    const inertia::step_policy converted = policy != nullptr ? policy_of(*policy) : inertia::step_policy{};
    const inertia::step_report outcome =
        opt->step_storage(*storage, std::span<const inertia_tensor>(tensors, count), master, step,
                          policy != nullptr ? &converted : nullptr, current_execution());
    if (report != nullptr) *report = report_of(outcome);
  });
}

inertia_status inertia_convert(inertia_dtype destination_dtype, void* destination, inertia_dtype source_dtype,
                               const void* source, size_t count) {
  return guarded("inertia_convert", [&] {
    require_data("destination", destination, count);
    require_data("source", source, count);
    const int to = int_value_of(destination_dtype), from = int_value_of(source_dtype);
    const auto known = [](int type) { return type >= INERTIA_FLOAT32 && type <= INERTIA_FLOAT16; };
    if (!known(to))
      throw inertia::invalid_argument(inertia::error_kind::dtype, "destination_dtype",
                                      "destination_dtype = " + std::to_string(to) + " is not an inertia_dtype value");
    if (!known(from))
      throw inertia::invalid_argument(inertia::error_kind::dtype, "source_dtype",
                                      "source_dtype = " + std::to_string(from) + " is not an inertia_dtype value");
    const inertia::execution exec = current_execution();
    const auto half = [](int type) { return type == INERTIA_BFLOAT16 || type == INERTIA_FLOAT16; };
    if (from == INERTIA_FLOAT32 && half(to)) {
      const std::span<const float> in(static_cast<const float*>(source), count);
      if (to == INERTIA_BFLOAT16)
        inertia::convert(in, std::span(static_cast<inertia::bfloat16*>(destination), count), exec);
      else
        inertia::convert(in, std::span(static_cast<inertia::float16*>(destination), count), exec);
    } else if (half(from) && to == INERTIA_FLOAT32) {
      const std::span<float> out(static_cast<float*>(destination), count);
      if (from == INERTIA_BFLOAT16)
        inertia::convert(std::span(static_cast<const inertia::bfloat16*>(source), count), out, exec);
      else
        inertia::convert(std::span(static_cast<const inertia::float16*>(source), count), out, exec);
    } else {
      throw inertia::invalid_argument(inertia::error_kind::dtype, "destination_dtype",
                                      "converts float32 to bfloat16 or float16 and back; destination_dtype = " +
                                          std::to_string(to) + " from source_dtype = " + std::to_string(from) +
                                          " is not one of those");
    }
  });
}

}  // extern "C"

inertia_status inertia_schedule_free_eval_f32(float* param, const float* z, size_t n, double beta) {
  return schedule_free_swap("inertia_schedule_free_eval_f32", param, z, n, beta, true);
}
inertia_status inertia_schedule_free_eval_f64(double* param, const double* z, size_t n, double beta) {
  return schedule_free_swap("inertia_schedule_free_eval_f64", param, z, n, beta, true);
}
inertia_status inertia_schedule_free_train_f32(float* param, const float* z, size_t n, double beta) {
  return schedule_free_swap("inertia_schedule_free_train_f32", param, z, n, beta, false);
}
inertia_status inertia_schedule_free_train_f64(double* param, const double* z, size_t n, double beta) {
  return schedule_free_swap("inertia_schedule_free_train_f64", param, z, n, beta, false);
}
