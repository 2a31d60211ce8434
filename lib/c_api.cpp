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

#include "inertia/arch.hpp"
#include "inertia/ema.hpp"
#include "inertia/error.hpp"
#include "inertia/execution.hpp"
#include "inertia/heavy_ball.hpp"
#include "inertia/lookahead.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"
#include "inertia/sutskever.hpp"
#include "inertia/version.hpp"

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

void require_options(const void* options) {
  if (options == nullptr) fail_null("options", "");
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

inertia::heavy_ball_numerics numerics_of(const inertia_sgd_numerics& numerics) {
  switch (int_value_of(numerics)) {
    case INERTIA_SGD_NUMERICS_PYTORCH_LOOP: return inertia::heavy_ball_numerics::pytorch_loop;
    case INERTIA_SGD_NUMERICS_PYTORCH_FUSED: return inertia::heavy_ball_numerics::pytorch_fused;
  }
  throw inertia::invalid_argument(
      inertia::error_kind::hyperparameter, "numerics",
      "numerics = " + std::to_string(int_value_of(numerics)) + " is not an inertia_sgd_numerics value");
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
                             heavy_ball_options_of(*options, numerics), first_step != 0, current_execution());
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
    const auto require_array = [count](const char* name, const void* array) {
      if (array == nullptr && count != 0) fail_null(name, " but count = " + std::to_string(count));
    };
    require_array("sizes", sizes);
    require_array("params", params);
    require_array("grads", grads);
    if (buffered) require_array("buffers", buffers);
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
      inertia::heavy_ball_step(groups, current_execution());
      return;
    }
    inertia::step_policy step_policy;
    step_policy.grad_scale = policy->grad_scale;
    step_policy.skip_non_finite = policy->skip_non_finite != 0;
    step_policy.clip_value = policy->clip_value;
    step_policy.max_norm = policy->max_norm;
    step_policy.flush_denormals = policy->flush_denormals != 0;
    const inertia::step_report outcome = inertia::heavy_ball_step(groups, step_policy, current_execution());
    if (report != nullptr) {
      report->skipped = outcome.skipped ? 1 : 0;
      report->grad_norm = outcome.grad_norm;
    }
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
                            has_velocity ? std::span<T>(velocity, n) : std::span<T>(), options, current_execution());
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
                      static_cast<std::int64_t>(step), current_execution());
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

}  // extern "C"
